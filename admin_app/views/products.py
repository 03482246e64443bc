import streamlit as st

from admin_app import auth, data, edits, state, ui
from commerce import catalogue, stock


def save_edits(editor_key, rows):
    def work():
        tenant = auth.require_store(state.viewer())
        edited = st.session_state.get(editor_key, {}).get("edited_rows", {})
        return edits.apply_variant_changes(
            tenant, rows, edited, actor=state.viewer().actor
        )

    ui.act(work, done=lambda n: f"Saved {n} change(s)." if n else "Nothing to save.")


def add_product():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer())
        variant = {
            "sku": values.products_new_sku or None,
            "price": values.products_new_price,
            "unit_cost": values.products_new_cost or None,
        }
        product_id = catalogue.create_product(
            tenant,
            {"title": values.products_new_title, "status": values.products_new_status},
            [variant],
            actor=state.viewer().actor,
        )
        if values.products_new_quantity:
            variant_id = catalogue.get_product(tenant, product_id).variants[0].id
            stock.adjust_stock(
                tenant,
                variant_id,
                values.products_new_quantity,
                kind="received",
                reason="opening stock",
                actor=state.viewer().actor,
            )
        return values.products_new_title

    ui.act(work, done=lambda title: f"Added {title}.")


st.title("Products")
tenant = ui.open_store()

search_col, status_col, page_col = st.columns([3, 1, 1])
search = search_col.text_input("Search title, SKU or barcode", key="products_search")
status = status_col.selectbox(
    "Status",
    ["", *catalogue.STATUSES],
    key="products_status",
    format_func=lambda s: s.title() or "Any",
)
page = page_col.number_input("Page", min_value=1, step=1, key="products_page")

with ui.reporting():
    version = data.version(tenant)
    frame, pages = data.variants(
        tenant.id, version, search, status, int(page), _tenant=tenant
    )

if frame.empty:
    st.info("No products match. Add one below, or import a catalogue.")
else:
    editor_key = f"{state.PRODUCTS_EDITOR}-{version}-{page}"
    st.data_editor(
        frame,
        key=editor_key,
        hide_index=True,
        disabled=[
            "variant_id",
            "product_id",
            "product",
            "variant",
            "on_hand",
            "available",
        ],
        column_config={
            "variant_id": None,
            "product_id": None,
            "status": st.column_config.SelectboxColumn(
                "Status", options=list(catalogue.STATUSES), required=True
            ),
            "price": st.column_config.NumberColumn("Price", min_value=0),
            "unit_cost": st.column_config.NumberColumn("Unit cost", min_value=0),
            "low_stock_threshold": st.column_config.NumberColumn(
                "Low-stock threshold", min_value=0, step=1
            ),
        },
    )
    st.caption(f"Page {page} of {pages}. Status applies to the whole product.")
    st.button(
        "Save changes",
        key="products_save",
        on_click=save_edits,
        args=(editor_key, frame.to_dict("records")),
    )

st.subheader("Add a product")
with st.form("products_new", clear_on_submit=True):
    st.text_input("Title", key="products_new_title")
    sku_col, price_col, cost_col, qty_col = st.columns(4)
    sku_col.text_input("SKU", key="products_new_sku")
    price_col.number_input("Price", min_value=0.0, step=0.01, key="products_new_price")
    cost_col.number_input(
        "Unit cost", min_value=0.0, step=0.01, key="products_new_cost"
    )
    qty_col.number_input(
        "Opening stock", min_value=0, step=1, key="products_new_quantity"
    )
    st.selectbox(
        "Status",
        catalogue.STATUSES[:2],
        key="products_new_status",
        format_func=str.title,
    )
    st.form_submit_button("Add product", on_click=add_product)
