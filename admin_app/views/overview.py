import streamlit as st

from admin_app import data, ui
from commerce.analytics import GRAINS, charts
from commerce.money import format_money, quantize

PERIODS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days", 365: "Last year"}
FIGURES = {
    "gross_sales": "Gross sales",
    "net_sales": "Net sales",
    "refunds": "Refunds",
    "orders": "Orders",
    "average_order_value": "Average order",
    "units_sold": "Units sold",
}


def change_text(comparison, figure):
    change = comparison.change(figure)
    return None if change is None else f"{float(change):+.0%} on the period before"


def shown(value, currency, figure):
    if value is None:
        return "—"
    if figure in ("orders", "units_sold"):
        return str(value)
    return format_money(quantize(value, currency), currency)


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

st.subheader("Sales")
period_col, grain_col = st.columns([1, 2])
days = period_col.selectbox(
    "Period", list(PERIODS), index=1, format_func=PERIODS.get, key="overview_days"
)
grain = grain_col.radio("Group by", GRAINS, horizontal=True, key="overview_grain")
with ui.reporting():
    result = data.analytics_overview(
        tenant.id, data.version(tenant), None, None, days, None, _tenant=tenant
    )

comparison = result.comparison
st.caption(
    f"{comparison.current.period}, in the store's time zone "
    f"({tenant.store.timezone}), against {comparison.previous.period}. "
    "More on the Analytics page."
)
for column, (figure, label) in zip(
    st.columns(len(FIGURES)), FIGURES.items(), strict=True
):
    column.metric(
        label,
        shown(getattr(comparison.current, figure), currency, figure),
        change_text(comparison, figure),
    )
series = result.series[grain]
st.plotly_chart(
    charts.sales_over_time(series, currency, grain), key="overview_sales_chart"
)
st.download_button(
    f"Download sales by {grain} (CSV)",
    series.to_csv(index=False),
    file_name=f"sales-by-{grain}-{comparison.current.period}.csv",
    mime="text/csv",
    key="overview_sales_csv",
)
