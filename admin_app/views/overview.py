import streamlit as st

from admin_app import data, ui
from commerce.money import format_money

st.title("Overview")
tenant = ui.open_store(allow_closed=True)

with ui.reporting():
    figures = data.overview(tenant.id, data.version(tenant), _tenant=tenant)

currency = tenant.store.currency
products, variants, value, low, orders = st.columns(5)
products.metric("Products", figures["products"])
variants.metric("Variants", figures["variants"])
value.metric(
    "Stock value at cost", format_money(figures["stock_value_at_cost"], currency)
)
low.metric("Low stock", figures["low_stock"])
orders.metric("Orders, last 30 days", figures["orders"])
st.caption(
    f"Sales in the last 30 days: {format_money(figures['sales'], currency)}. "
    "Stock value counts variants with a unit cost"
    + (
        f"; {figures['variants_without_cost']} have none."
        if figures["variants_without_cost"]
        else "."
    )
)
# TODO(#8): sales and stock charts; the analytics issue fills this page.
st.info("Charts of sales and stock arrive with analytics.")
