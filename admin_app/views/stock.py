import streamlit as st

from admin_app import auth, data, state, ui
from commerce import stock


def adjust():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer())
        return stock.adjust_stock(
            tenant,
            values.stock_adjust_variant,
            values.stock_adjust_quantity,
            reason=values.stock_adjust_reason,
            location_id=values.stock_adjust_location,
            actor=state.viewer().actor,
        )

    ui.act(work, done=lambda on_hand: f"Adjusted; {on_hand} now on hand there.")


def transfer():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer())
        stock.transfer_stock(
            tenant,
            values.stock_move_variant,
            values.stock_move_from,
            values.stock_move_to,
            values.stock_move_quantity,
            reason=values.stock_move_reason or "transfer",
            actor=state.viewer().actor,
        )

    ui.act(work, done="Transferred.")


def add_location():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer())
        stock.create_location(tenant, values.stock_new_location)

    ui.act(work, done="Location added.")


st.title("Stock")
tenant = ui.open_store()

with ui.reporting():
    version = data.version(tenant)
    levels = data.stock_table(tenant.id, version, _tenant=tenant)
    variants = dict(data.variant_choices(tenant.id, version, _tenant=tenant))
    locations = {row[0]: row[1] for row in stock.list_locations(tenant)}

st.subheader("On hand per location")
if levels.empty:
    st.info("No stock recorded yet. Receive some below, or import a stock file.")
else:
    levels["item"] = levels["variant_id"].map(variants).fillna(levels["sku"])
    table = levels.pivot_table(
        index="item", columns="location", values="on_hand", aggfunc="sum", fill_value=0
    )
    st.dataframe(table, width="stretch")

if not variants:
    st.info("Add a product first; stock belongs to its variants.")
    st.stop()

adjust_tab, transfer_tab, location_tab = st.tabs(["Adjust", "Transfer", "Locations"])
with adjust_tab, st.form("stock_adjust"):
    st.selectbox(
        "Variant", list(variants), format_func=variants.get, key="stock_adjust_variant"
    )
    st.selectbox(
        "Location",
        list(locations),
        format_func=locations.get,
        key="stock_adjust_location",
    )
    st.number_input(
        "Quantity (negative to remove)", step=1, value=0, key="stock_adjust_quantity"
    )
    st.text_input(
        "Reason",
        key="stock_adjust_reason",
        placeholder="received from supplier, damaged, found…",
    )
    st.form_submit_button("Adjust stock", on_click=adjust)

with transfer_tab, st.form("stock_move"):
    st.selectbox(
        "Variant", list(variants), format_func=variants.get, key="stock_move_variant"
    )
    st.selectbox(
        "From", list(locations), format_func=locations.get, key="stock_move_from"
    )
    st.selectbox(
        "To",
        list(locations),
        format_func=locations.get,
        key="stock_move_to",
        index=min(1, len(locations) - 1),
    )
    st.number_input("Quantity", min_value=1, step=1, key="stock_move_quantity")
    st.text_input("Reason", key="stock_move_reason", placeholder="transfer")
    st.form_submit_button("Transfer", on_click=transfer)

with location_tab:
    st.dataframe({"Location": list(locations.values())}, hide_index=True)
    with st.form("stock_location", clear_on_submit=True):
        st.text_input("New location", key="stock_new_location")
        st.form_submit_button("Add location", on_click=add_location)
