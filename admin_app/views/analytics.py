"""Sales, customers and stock of one store, over a period in its time zone.

Every chart comes titled, with its axes and units, from
``commerce.analytics.charts``; every table can be downloaded as CSV.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from admin_app import data, ui
from commerce import analytics
from commerce.analytics import charts
from commerce.money import format_money, quantize

FIGURES = {
    "gross_sales": "Gross sales",
    "refunds": "Refunds",
    "net_sales": "Net sales",
    "orders": "Orders",
    "average_order_value": "Average order",
    "units_sold": "Units sold",
    "units_returned": "Units returned",
    "customers": "Customers",
}
COUNTS = ("orders", "units_sold", "units_returned", "customers")
FORECAST_COLUMNS = [
    "product", "variant", "sku", "available", "low_stock_threshold",
    "rate_per_day", "days_of_cover", "runs_out_on", "reorder_quantity",
]  # fmt: skip
IDLE_COLUMNS = [
    "status", "product", "variant", "sku", "on_hand", "value_at_cost",
    "last_sold", "days_of_cover", "sell_through",
]  # fmt: skip


def table(frame, name, key):
    """A table and its CSV download."""
    st.dataframe(frame, hide_index=True, key=f"{key}_table")
    st.download_button(
        f"Download {name} (CSV)",
        frame.to_csv(index=False),
        file_name=f"{name.replace(' ', '-')}-{period}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )


def chart(figure, key):
    st.plotly_chart(figure, key=key)


def shown(value, figure):
    if value is None:
        return "—"
    if figure in COUNTS:
        return str(value)
    return format_money(quantize(value, currency), currency)


st.title("Analytics")
tenant = ui.open_store(owner_only=True, allow_closed=True)
currency = tenant.store.currency
version = data.version(tenant)
today = datetime.now(ZoneInfo(tenant.store.timezone)).date()

with ui.reporting():
    locations = dict(data.locations(tenant.id, _tenant=tenant))

dates_col, location_col, grain_col = st.columns([2, 1, 1])
dates = dates_col.date_input(
    f"Period (store days, {tenant.store.timezone})",
    value=(today - timedelta(days=29), today),
    max_value=today,
    key="analytics_dates",
)
location_id = location_col.selectbox(
    "Location",
    [None, *locations],
    format_func=lambda i: "All locations" if i is None else locations[i],
    key="analytics_location",
)
grain = grain_col.radio("Group by", analytics.GRAINS, key="analytics_grain")
if len(dates) != 2:
    st.info("Choose the last day of the period too.")
    st.stop()
start, end = dates

with ui.reporting():
    result = data.analytics_overview(
        tenant.id, version, start, end, None, location_id, _tenant=tenant
    )
    every_row = data.analytics_inventory(
        tenant.id, version, start, end, location_id, (), (), _tenant=tenant
    )
period = result.period
comparison = result.comparison

vendor_col, type_col = st.columns(2)
vendors = vendor_col.multiselect(
    "Vendors", sorted(every_row["vendor"].dropna().unique()), key="analytics_vendors"
)
types = type_col.multiselect(
    "Product types",
    sorted(every_row["product_type"].dropna().unique()),
    key="analytics_types",
)
st.caption(
    f"{period} against {comparison.previous.period}. Vendor and type filters "
    "apply to the breakdowns and stock tables; the headline figures are the "
    "whole store's."
)
# TODO(#8): the headline figures take no product-attribute filter yet (see
# commerce.analytics.service), so the filters narrow the tables only.

with ui.reporting():
    rows = data.analytics_inventory(
        tenant.id, version, start, end, location_id, tuple(vendors), tuple(types),
        _tenant=tenant,
    )  # fmt: skip

sales_tab, breakdown_tab, customers_tab, stock_tab = st.tabs(
    ["Sales", "Breakdowns", "Customers", "Stock"]
)

with sales_tab:
    columns = st.columns(4) + st.columns(4)
    for column, (figure, label) in zip(columns, FIGURES.items(), strict=True):
        change = comparison.change(figure)
        column.metric(
            label,
            shown(getattr(comparison.current, figure), figure),
            None if change is None else f"{float(change):+.0%} on the period before",
        )
    series = result.series[grain]
    chart(charts.sales_over_time(series, currency, grain), "analytics_sales_chart")
    chart(charts.orders_over_time(series, grain), "analytics_orders_chart")
    chart(charts.period_comparison(comparison), "analytics_comparison_chart")
    table(series, f"sales by {grain}", "analytics_series")

with breakdown_tab:
    dimension = st.selectbox(
        "Sales by",
        analytics.DIMENSIONS,
        format_func=charts.DIMENSION_NAMES.get,
        key="analytics_dimension",
    )
    with ui.reporting():
        frame = data.analytics_sales_by(
            tenant.id, version, start, end, dimension, _tenant=tenant
        )
    chosen = {"vendor": vendors, "product_type": types}.get(dimension)
    if chosen:
        frame = frame[frame["label"].isin(chosen)]
    if frame.empty:
        st.info("No sales in this period for this choice.")
    else:
        chart(charts.breakdown(frame, dimension, currency), "analytics_breakdown")
        name = charts.DIMENSION_NAMES[dimension].lower()
        table(frame, f"sales by {name}", "analytics_breakdown")

with customers_tab:
    mix = result.customers
    chart(charts.customer_mix(mix, currency), "analytics_customers_chart")
    st.caption(
        f"{mix.guest_orders} order(s) had no customer to recognise and are left out."
    )
    table(
        pd.DataFrame(
            [
                ("new", mix.new_customers, mix.new_orders, mix.new_sales),
                (
                    "returning",
                    mix.returning_customers,
                    mix.returning_orders,
                    mix.returning_sales,
                ),
            ],
            columns=["customers", "count", "orders", "gross_sales"],
        ),
        "new and returning customers",
        "analytics_customers",
    )

with stock_tab:
    value = result.stock_value
    cost_col, price_col, units_col = st.columns(3)
    cost_col.metric("Stock value at cost", format_money(value.at_cost, currency))
    price_col.metric("Stock value at price", format_money(value.at_price, currency))
    units_col.metric("Units on hand", value.units_on_hand)
    if value.missing_cost:
        st.caption(f"{value.missing_cost} variant(s) have no unit cost and no value.")
    chart(charts.stock_value(result.stock_by_vendor, currency), "analytics_value")
    chart(
        charts.abc_classes(result.abc, currency, result.settings.abc_days),
        "analytics_abc",
    )
    watch = rows[rows["status"] != "ok"]
    if not watch.empty:
        chart(charts.stock_cover(watch), "analytics_cover")

    st.write("**Low-stock forecast**")
    table(
        rows.loc[rows["status"] == "low", FORECAST_COLUMNS],
        "low stock forecast",
        "analytics_forecast",
    )
    st.write("**Slow and dead stock**")
    table(
        rows.loc[rows["status"].isin(["slow", "dead"]), IDLE_COLUMNS],
        "slow and dead stock",
        "analytics_idle",
    )
    st.write("**ABC classes**")
    table(result.abc, "abc classes", "analytics_abc_table")
    st.write("**Every variant**")
    table(rows, "inventory", "analytics_inventory")
