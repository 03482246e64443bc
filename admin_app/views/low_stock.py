import streamlit as st

from admin_app import auth, data, state, ui
from commerce import stock


def set_threshold():
    values = st.session_state

    def work():
        tenant = auth.require_store(state.viewer())
        threshold = values.low_threshold_value
        stock.set_low_stock_threshold(
            tenant, values.low_threshold_variant, None if threshold < 0 else threshold
        )

    ui.act(work, done="Threshold saved.")


st.title("Low stock")
tenant = ui.open_store()

with ui.reporting():
    version = data.version(tenant)
    low = data.low_stock(tenant.id, version, _tenant=tenant)
    variants = dict(data.variant_choices(tenant.id, version, _tenant=tenant))

if low.empty:
    st.success("Nothing is at or below its low-stock threshold.")
else:
    st.dataframe(low.drop(columns=["variant_id"]), hide_index=True)

st.subheader("Set a threshold")
if not variants:
    st.info("Add a product first.")
    st.stop()
with st.form("low_threshold"):
    st.selectbox(
        "Variant", list(variants), format_func=variants.get, key="low_threshold_variant"
    )
    st.number_input(
        "Warn at or below (-1 for never)",
        min_value=-1,
        step=1,
        value=5,
        key="low_threshold_value",
    )
    st.form_submit_button("Save threshold", on_click=set_threshold)
