"""Plotly figures of the analytics frames, for the admin's Overview page.

Every figure has a title, axis labels and units. Money is rounded here, once,
to the currency's minor unit (``commerce.money.quantize``) and only then
handed to plotly as numbers; the hover text shows the rounded amount with
its currency.
"""

import plotly.graph_objects as go

from commerce.money import format_money, quantize

GRAIN_NAMES = {"day": "Day", "week": "Week (from Monday)", "month": "Month"}
DIMENSION_NAMES = {
    "product": "Product", "variant": "Variant", "vendor": "Vendor",
    "product_type": "Product type", "tag": "Tag", "country": "Country",
    "payment_provider": "Payment provider",
}  # fmt: skip
STATUS_COLOURS = {"dead": "#7f7f7f", "low": "#d62728", "slow": "#ff7f0e"}


def sales_over_time(series, currency, grain="day"):
    """Gross and net sales per day, week or month (a ``series`` frame)."""
    x = list(series["period_start"])
    figure = go.Figure()
    for column, name in (("gross_sales", "Gross sales"), ("net_sales", "Net sales")):
        figure.add_trace(
            go.Scatter(
                x=x, y=_amounts(series[column], currency), name=name,
                mode="lines+markers", hovertext=_labels(series[column], currency),
            )
        )  # fmt: skip
    return _layout(
        figure,
        f"Sales by {grain}",
        f"{GRAIN_NAMES[grain]} (store time)",
        f"Sales ({currency})",
    )


def orders_over_time(series, grain="day"):
    """Orders and units sold per day, week or month."""
    x = list(series["period_start"])
    figure = go.Figure(
        [
            go.Bar(x=x, y=list(series["orders"]), name="Orders"),
            go.Bar(x=x, y=list(series["units_sold"]), name="Units sold"),
        ]
    )
    figure.update_layout(barmode="group")
    return _layout(
        figure,
        f"Orders and units by {grain}",
        f"{GRAIN_NAMES[grain]} (store time)",
        "Count (orders, units)",
    )


def period_comparison(comparison):
    """This period against the one before it: gross sales, refunds, net sales."""
    currency = comparison.current.currency
    names = ["Gross sales", "Refunds", "Net sales"]
    figure = go.Figure()
    for label, summary in (("Previous period", comparison.previous),
                           ("This period", comparison.current)):  # fmt: skip
        values = [summary.gross_sales, summary.refunds, summary.net_sales]
        figure.add_trace(
            go.Bar(
                x=names, y=_amounts(values, currency), name=label,
                hovertext=_labels(values, currency),
            )
        )  # fmt: skip
    figure.update_layout(barmode="group")
    period = comparison.current.period
    return _layout(
        figure, f"This period ({period}) and the one before", "Figure",
        f"Amount ({currency})",
    )  # fmt: skip


def breakdown(frame, dimension, currency, top=10):
    """The ``top`` rows of a breakdown frame by gross sales, as bars."""
    shown = frame.head(top).iloc[::-1]
    name = DIMENSION_NAMES[dimension]
    figure = go.Figure(
        go.Bar(
            x=_amounts(shown["gross_sales"], currency),
            y=[str(label) for label in shown["label"]],
            orientation="h",
            hovertext=_labels(shown["gross_sales"], currency),
            name="Gross sales",
        )
    )
    return _layout(
        figure, f"Gross sales by {name.lower()} (top {top})",
        f"Gross sales ({currency})", name,
    )  # fmt: skip


def customer_mix(mix, currency):
    """New against returning customers: customers, and their gross sales."""
    kinds = ["New", "Returning"]
    sales = [mix.new_sales, mix.returning_sales]
    figure = go.Figure(
        [
            go.Bar(
                x=kinds, y=[mix.new_customers, mix.returning_customers],
                name="Customers", yaxis="y",
            ),
            go.Bar(
                x=kinds, y=_amounts(sales, currency), name=f"Gross sales ({currency})",
                yaxis="y2", hovertext=_labels(sales, currency),
            ),
        ]
    )  # fmt: skip
    figure.update_layout(
        barmode="group",
        yaxis2={"title": f"Gross sales ({currency})", "overlaying": "y",
                "side": "right"},
    )  # fmt: skip
    return _layout(
        figure,
        "New and returning customers",
        "Customer (first order in period or before)",
        "Customers (count)",
    )


def stock_value(by_vendor, currency):
    """Stock value at cost and at price per vendor (``Overview.stock_by_vendor``)."""
    vendors = [str(v) for v in by_vendor["vendor"]]
    figure = go.Figure(
        [
            go.Bar(
                x=vendors, y=_amounts(by_vendor["value_at_cost"], currency),
                name="At cost", hovertext=_labels(by_vendor["value_at_cost"], currency),
            ),
            go.Bar(
                x=vendors, y=_amounts(by_vendor["value_at_price"], currency),
                name="At price",
                hovertext=_labels(by_vendor["value_at_price"], currency),
            ),
        ]
    )  # fmt: skip
    figure.update_layout(barmode="group")
    return _layout(
        figure, "Stock value by vendor", "Vendor", f"Stock value ({currency})"
    )


def abc_classes(abc, currency, days):
    """Sales and stock value per ABC class (``Overview.abc``)."""
    classes = [f"{c} ({n} variants)" for c, n in zip(abc["abc_class"], abc["variants"],
                                                     strict=True)]  # fmt: skip
    figure = go.Figure(
        [
            go.Bar(x=classes, y=_amounts(abc["sales"], currency),
                   name=f"Sales, last {days} days",
                   hovertext=_labels(abc["sales"], currency)),
            go.Bar(x=classes, y=_amounts(abc["value_at_cost"], currency),
                   name="Stock value at cost",
                   hovertext=_labels(abc["value_at_cost"], currency)),
        ]
    )  # fmt: skip
    figure.update_layout(barmode="group")
    return _layout(
        figure, "ABC classes: where sales and stock sit", "ABC class (variants)",
        f"Amount ({currency})",
    )  # fmt: skip


def stock_cover(watch_list, top=20):
    """Days of cover of the variants to watch (``Overview.watch_list``)."""
    shown = watch_list.head(top).iloc[::-1]
    labels = [f"{p} ({s})" for p, s in zip(shown["product"], shown["sku"],
                                            strict=True)]  # fmt: skip
    cover = [
        0.0 if c is None or c != c else round(float(c), 1)
        for c in shown["days_of_cover"]
    ]
    figure = go.Figure(
        go.Bar(
            x=cover, y=labels, orientation="h",
            marker_color=[STATUS_COLOURS.get(s, "#1f77b4") for s in shown["status"]],
            hovertext=[
                f"{s}; runs out {r if r is not None else 'n/a'}; reorder {q}"
                for s, r, q in zip(shown["status"], shown["runs_out_on"],
                                   shown["reorder_quantity"], strict=True)
            ],
        )
    )  # fmt: skip
    return _layout(
        figure, "Stock to watch: days of cover at the recent rate of sale",
        "Days of cover (days)", "Variant (SKU)",
    )  # fmt: skip


def _amounts(values, currency):
    # NOTE: the one place money becomes a float: rounded first, for drawing.
    return [float(quantize(value, currency)) for value in values]


def _labels(values, currency):
    return [format_money(value, currency) for value in values]


def _layout(figure, title, x_title, y_title):
    figure.update_layout(
        title={"text": title},
        xaxis_title=x_title,
        yaxis_title=y_title,
        legend_title_text="",
        margin={"t": 60},
    )
    return figure
