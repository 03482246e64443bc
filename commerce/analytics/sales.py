"""Sales figures: headline totals, series, breakdowns and customers.

How every figure is counted, so that nothing is counted twice:

- An order *counts* when it is a sale that was paid (status ``paid``,
  ``fulfilled``, ``refunded``, ``partially_refunded``, or ``cancelled`` after
  ``paid_at`` was set), or a return order that is not pending, cancelled or
  expired. Pending, expired and unpaid cancelled orders count nowhere.
- **Gross sales**: the sum of ``line_total`` over the lines of counted *sale*
  orders, before any refund. Shipping and tax are not sales. A return order's
  (negative) lines are never part of gross sales.
- **Refunds**: the sum of ``refunded_total`` over counted orders of both
  kinds, each order once. A refunded storefront order keeps its full gross
  sale on its own day and adds its ``refunded_total`` (all of it, or the part
  refunded) to refunds. An imported return invoice (a UCI ``C`` invoice: kind
  ``return``, negative lines, ``refunded_total`` = the money given back) adds
  nothing to gross sales and its ``refunded_total`` to refunds, on its own
  day. The sale it reverses stays in gross sales on the day it was made.
- **Net sales** = gross sales - refunds.
- **Returns**: units and invoices of counted return orders (``units_returned``
  from their negative quantities, ``return_orders``), and ``returns_value``,
  the value of those goods. The money is already in refunds; returns say what
  came back, and are never subtracted a second time.
- **Orders**: counted sale orders (return orders are not orders placed).
  **Units sold** are the quantities on their lines, before returns (which
  are orders of their own).
- **Average order value** = gross sales / orders.
- Everything is dated by the order's ``placed_at`` in the store's time zone.
  TODO(#8): the orders table records no refund date, so a storefront refund
  falls on the day of its order, not the day it was paid back.

Money stays ``Decimal`` from the database to these objects; nothing here
rounds. ``commerce.money.quantize`` rounds once, where a figure is shown.
"""

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from commerce.analytics.periods import Period, bucket_start
from commerce.errors import InvalidInput

DIMENSIONS = (
    "product", "variant", "vendor", "product_type", "tag", "country",
    "payment_provider",
)  # fmt: skip
ITEM_DIMENSIONS = DIMENSIONS[:5]

_TOTALS = """coalesce(sum(total) FILTER (WHERE kind = 'sale'), 0) AS gross_sales,
    coalesce(sum(refunded), 0) AS refunds,
    count(*) FILTER (WHERE kind = 'sale') AS orders,
    CAST(coalesce(sum(units) FILTER (WHERE kind = 'sale'), 0) AS BIGINT)
        AS units_sold,
    CAST(coalesce(-sum(units) FILTER (WHERE kind = 'return'), 0) AS BIGINT)
        AS units_returned,
    count(*) FILTER (WHERE kind = 'return') AS return_orders,
    coalesce(-sum(total) FILTER (WHERE kind = 'return'), 0) AS returns_value"""

SUMMARY = f"""SELECT CASE WHEN day >= %(start)s THEN 'current' ELSE 'previous' END
        AS period, {_TOTALS},
    count(DISTINCT customer) FILTER (WHERE kind = 'sale') AS customers
FROM order_facts WHERE day BETWEEN %(previous_start)s AND %(end)s
GROUP BY 1"""

DAILY = f"""SELECT day, {_TOTALS}
FROM order_facts WHERE day BETWEEN %(start)s AND %(end)s
GROUP BY day ORDER BY day"""

_FALLBACK_KEY = "coalesce('sku:' || n.sku, 'title:' || n.title, '(unknown)')"
_FALLBACK_LABEL = "n.title, n.sku, '(unnamed)'"
# Per item dimension: the key and the label of one item's row.
_ITEM_KEYS = {
    "product": (
        f"coalesce('product:' || CAST(c.product_id AS VARCHAR), {_FALLBACK_KEY})",
        f"coalesce(c.product, {_FALLBACK_LABEL})",
    ),
    "variant": (
        f"coalesce('variant:' || CAST(n.variant_id AS VARCHAR), {_FALLBACK_KEY})",
        f"""coalesce(c.product || CASE WHEN c.variant <> ''
            THEN ' / ' || c.variant ELSE '' END, {_FALLBACK_LABEL})""",
    ),
    "vendor": ("coalesce(c.vendor, '(none)')", "coalesce(c.vendor, '(none)')"),
    "product_type": (
        "coalesce(c.product_type, '(none)')",
        "coalesce(c.product_type, '(none)')",
    ),
    "tag": ("coalesce(t.tag, '(untagged)')", "coalesce(t.tag, '(untagged)')"),
}
_ORDER_KEYS = ("country", "payment_provider")

# Several breakdowns in one statement: one grouping set per dimension, then
# the ``top`` rows of each (all of them when top is NULL).
_GROUPED = """WITH grouped AS (
    SELECT CASE {dimension} END AS dimension, coalesce({keys}) AS key,
        CASE {labels} END AS label, {sums}
    FROM ({rows}) AS keyed
    GROUP BY GROUPING SETS ({sets})),
ranked AS (
    SELECT *, row_number() OVER (
        PARTITION BY dimension ORDER BY gross_sales DESC, key) AS rank
    FROM grouped)
SELECT * FROM ranked
WHERE CAST(%(top)s AS BIGINT) IS NULL OR rank <= CAST(%(top)s AS BIGINT)
ORDER BY dimension, rank"""

_ITEM_ROWS = """SELECT {columns}, i.gross_sales, i.units_sold, i.units_returned,
        i.returns_value
    FROM item_sales i JOIN items n ON n.item = i.item
    LEFT JOIN catalogue c ON c.variant_id = n.variant_id {tags}
    WHERE i.gross_sales <> 0 OR i.units_sold <> 0 OR i.units_returned <> 0
        OR i.returns_value <> 0"""
_ITEM_SUMS = """sum(gross_sales) AS gross_sales,
        CAST(sum(units_sold) AS BIGINT) AS units_sold,
        CAST(sum(units_returned) AS BIGINT) AS units_returned,
        sum(returns_value) AS returns_value"""

_ORDER_ROWS = """SELECT {columns}, kind, total, refunded FROM order_facts
    WHERE day BETWEEN %(start)s AND %(end)s"""
_ORDER_SUMS = """coalesce(sum(total) FILTER (WHERE kind = 'sale'), 0) AS gross_sales,
        coalesce(sum(refunded), 0) AS refunds,
        count(*) FILTER (WHERE kind = 'sale') AS orders"""

CUSTOMERS = """WITH firsts AS (
    SELECT customer, min(day) AS first_day FROM order_facts
    WHERE kind = 'sale' AND customer IS NOT NULL GROUP BY customer)
SELECT CASE WHEN f.first_day >= %(start)s THEN 'new' ELSE 'returning' END AS kind,
    count(DISTINCT o.customer) AS customers, count(*) AS orders,
    coalesce(sum(o.total), 0) AS gross_sales
FROM order_facts o JOIN firsts f ON f.customer = o.customer
WHERE o.kind = 'sale' AND o.day BETWEEN %(start)s AND %(end)s
GROUP BY 1"""


@dataclass(frozen=True)
class Summary:
    """The headline figures of one period (see the module docstring)."""

    period: Period
    currency: str
    gross_sales: Decimal
    refunds: Decimal
    orders: int
    units_sold: int
    units_returned: int
    return_orders: int
    returns_value: Decimal
    customers: int

    @property
    def net_sales(self):
        return self.gross_sales - self.refunds

    @property
    def average_order_value(self):
        """Gross sales per order, unrounded; None without orders."""
        return self.gross_sales / self.orders if self.orders else None


@dataclass(frozen=True)
class Comparison:
    """A period's figures next to those of the equal period just before it."""

    current: Summary
    previous: Summary

    def change(self, figure):
        """Relative change of ``figure`` (0.25 = +25 %); None from zero."""
        now, before = getattr(self.current, figure), getattr(self.previous, figure)
        if before is None or now is None or before == 0:
            return None
        return (Decimal(now) - Decimal(before)) / Decimal(before)


@dataclass(frozen=True)
class CustomerMix:
    """New against returning customers in a period.

    A customer is *new* when their first counted sale ever falls inside the
    period, *returning* when they bought before it. Customers are the keyed
    hashes of their email (else the imported customer reference); orders
    with neither are *guest* orders and belong to no customer.
    """

    new_customers: int
    returning_customers: int
    new_orders: int
    returning_orders: int
    new_sales: Decimal
    returning_sales: Decimal
    guest_orders: int


def summarise(runner, period, currency):
    """A Comparison of ``period`` with the period before it."""
    previous = period.previous()
    frame = runner.frame(
        SUMMARY,
        {"start": period.start, "end": period.end, "previous_start": previous.start},
    )
    rows = {row["period"]: row for row in frame.to_dict("records")}
    return Comparison(
        _summary(rows.get("current"), period, currency),
        _summary(rows.get("previous"), previous, currency),
    )


def daily(runner, period):
    """One row per day of the period, days without sales included."""
    frame = runner.frame(DAILY, {"start": period.start, "end": period.end})
    days = pd.date_range(period.start, period.end, freq="D").date
    frame = frame.set_index("day").reindex(days)
    frame.index.name = "day"

    money = ["gross_sales", "refunds", "returns_value"]
    counts = ["orders", "units_sold", "units_returned", "return_orders"]
    frame[money] = frame[money].astype(object).where(frame[money].notna(), Decimal(0))
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame.reset_index()


def series(daily_frame, grain):
    """Daily rows summed by day, ISO week (from Monday) or month, with net
    sales and average order value per bucket."""
    frame = daily_frame.copy()
    frame["period_start"] = [bucket_start(day, grain) for day in frame["day"]]
    summed = frame.drop(columns="day").groupby("period_start", sort=True).sum()
    summed = summed.reset_index()
    summed["net_sales"] = summed["gross_sales"] - summed["refunds"]
    summed["average_order_value"] = [
        gross / orders if orders else None
        for gross, orders in zip(summed["gross_sales"], summed["orders"], strict=True)
    ]
    return summed[
        ["period_start", "gross_sales", "refunds", "net_sales", "orders",
         "units_sold", "units_returned", "return_orders", "returns_value",
         "average_order_value"]
    ]  # fmt: skip


def breakdown(runner, period, dimension, top=None):
    """Sales in ``period`` by one of DIMENSIONS, largest gross sales first."""
    return breakdowns(runner, period, [dimension], top)[dimension]


def breakdowns(runner, period, dimensions, top=None):
    """Sales in ``period`` by each of ``dimensions`` (a frame each, largest
    gross sales first; the ``top`` rows, or all).

    Item dimensions (product, variant, vendor, type, tag) read the lines, so
    they carry gross sales, units sold and what came back on return invoices;
    a line of a product with several tags counts under each tag, and lines of
    products not in the catalogue fall under ``(none)``/``(untagged)``. Order
    dimensions (country, payment provider) also carry refunds, net sales and
    orders. Call ``items.prepare_items`` for the period first for the item
    dimensions.
    """
    unknown = set(dimensions) - set(DIMENSIONS)
    if unknown:
        raise InvalidInput("dimension", f"must be one of {', '.join(DIMENSIONS)}")

    days = {"start": period.start, "end": period.end}
    # The tag join repeats a line once per tag, so tags are grouped alone.
    batches = [
        ([d for d in dimensions if d in _ITEM_KEYS and d != "tag"], False),
        (["tag"] * ("tag" in dimensions), False),
        ([d for d in dimensions if d in _ORDER_KEYS], True),
    ]
    frames = {}
    for batch, by_order in batches:
        if batch:
            params = {"top": top, **(days if by_order else {})}
            frame = runner.frame(_grouped_sql(batch, by_order), params)
            frames.update(_split(frame, batch, by_order))
    return frames


def _grouped_sql(dimensions, by_order):
    if by_order:
        columns = ", ".join(f"coalesce({d}, '(none)') AS {d}_key" for d in dimensions)
        rows, sums = _ORDER_ROWS.format(columns=columns), _ORDER_SUMS
        labels = [f"WHEN GROUPING({d}_key) = 0 THEN min({d}_key)" for d in dimensions]
    else:
        columns = ", ".join(
            f"{_ITEM_KEYS[d][0]} AS {d}_key, {_ITEM_KEYS[d][1]} AS {d}_label"
            for d in dimensions
        )
        tags = "LEFT JOIN tags t ON t.product_id = c.product_id" * ("tag" in dimensions)
        rows, sums = _ITEM_ROWS.format(columns=columns, tags=tags), _ITEM_SUMS
        labels = [f"WHEN GROUPING({d}_key) = 0 THEN min({d}_label)" for d in dimensions]
    return _GROUPED.format(
        dimension=" ".join(
            f"WHEN GROUPING({d}_key) = 0 THEN '{d}'" for d in dimensions
        ),
        keys=", ".join(f"{d}_key" for d in dimensions),
        labels=" ".join(labels),
        sums=sums,
        rows=rows,
        sets=", ".join(f"({d}_key)" for d in dimensions),
    )


def _split(frame, dimensions, by_order):
    frames = {}
    for dimension in dimensions:
        part = frame[frame["dimension"] == dimension]
        part = part.drop(columns=["dimension", "rank"]).reset_index(drop=True)
        if by_order:
            part.insert(4, "net_sales", part["gross_sales"] - part["refunds"])
        frames[dimension] = part
    return frames


def customer_mix(runner, period, orders_in_period):
    frame = runner.frame(CUSTOMERS, {"start": period.start, "end": period.end})
    rows = {row["kind"]: row for row in frame.to_dict("records")}
    new, returning = rows.get("new", {}), rows.get("returning", {})
    known = int(new.get("orders", 0)) + int(returning.get("orders", 0))
    return CustomerMix(
        new_customers=int(new.get("customers", 0)),
        returning_customers=int(returning.get("customers", 0)),
        new_orders=int(new.get("orders", 0)),
        returning_orders=int(returning.get("orders", 0)),
        new_sales=Decimal(new.get("gross_sales", 0)),
        returning_sales=Decimal(returning.get("gross_sales", 0)),
        guest_orders=orders_in_period - known,
    )


def _summary(row, period, currency):
    row = row or {}
    return Summary(
        period=period,
        currency=currency,
        gross_sales=Decimal(row.get("gross_sales", 0)),
        refunds=Decimal(row.get("refunds", 0)),
        orders=int(row.get("orders", 0)),
        units_sold=int(row.get("units_sold", 0)),
        units_returned=int(row.get("units_returned", 0)),
        return_orders=int(row.get("return_orders", 0)),
        returns_value=Decimal(row.get("returns_value", 0)),
        customers=int(row.get("customers", 0)),
    )
