"""Inventory figures: stock value, cover, sell-through, ABC, slow and dead
stock, and a low-stock forecast, per variant.

Definitions (all over counted sale lines, see ``sales``):

- **Available** = on hand - reserved, summed over the locations asked for.
- **Stock value** at cost and at price = on hand (never below zero) x the
  variant's unit cost or price, exact. Variants without a cost are counted
  in ``missing_cost`` rather than valued at zero silently.
- **Rate of sale** = units sold over the last ``rate_days`` days (ending
  today) / ``rate_days``. **Days of cover** = available / rate; none when
  nothing sold. **Run-out date** = today + whole days of cover.
- **Reorder quantity** = rate x (lead time + target cover), rounded up, less
  what is available; never negative.
- **Sell-through** for the period = units sold in the period / (units sold
  in the period + on hand now).
- **ABC**: variants ranked by gross sales over the last ``abc_days`` days; A
  until 80 % of those sales is reached, B until 95 %, the rest C (and every
  variant that sold nothing).
- **Status**: ``dead`` (stock on hand, no sale for ``dead_days`` days; TODO(#8):
  stock received less than ``dead_days`` ago is called dead too, until the
  first receipt date is read from the stock movements),
  ``low`` (available at or under the low-stock threshold, or running out
  within the lead time), ``slow`` (more than ``slow_cover_days`` of cover),
  else ``ok``.

Lines of products not in the catalogue (imported history) have no stock and
are not part of inventory figures.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from commerce.analytics.items import Windows
from commerce.errors import InvalidInput


@dataclass(frozen=True)
class StockSettings:
    """Windows and targets of the inventory figures, in days."""

    rate_days: int = 28
    abc_days: int = 90
    dead_days: int = 90
    slow_cover_days: int = 120
    lead_time_days: int = 14
    target_cover_days: int = 28

    def __post_init__(self):
        for name, value in self.__dict__.items():
            if not isinstance(value, int) or value < 1:
                raise InvalidInput(name, "must be a whole number of days, at least 1")


@dataclass(frozen=True)
class StockValue:
    """Totals over the variants shown."""

    at_cost: Decimal
    at_price: Decimal
    units_on_hand: int
    missing_cost: int


# Per variant, every figure of the module docstring; written once for DuckDB
# and PostgreSQL alike. Reads ``item_sales`` (see items.prepare_items).
INVENTORY = """CREATE TEMP TABLE inventory_rows AS
WITH levels AS (
    SELECT variant_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved
    FROM stock {location} GROUP BY variant_id),
base AS (
    SELECT c.variant_id, c.product_id, c.sku, c.product, c.variant, c.vendor,
        c.product_type, c.price, c.unit_cost, c.low_stock_threshold,
        CAST(coalesce(s.on_hand, 0) AS BIGINT) AS on_hand,
        CAST(coalesce(s.reserved, 0) AS BIGINT) AS reserved,
        CAST(coalesce(d.recent_units, 0) AS BIGINT) AS recent_units,
        CAST(coalesce(d.units_sold, 0) AS BIGINT) AS period_units,
        coalesce(d.abc_sales, 0) AS abc_sales, d.last_sold
    FROM catalogue c
    LEFT JOIN levels s ON s.variant_id = c.variant_id
    LEFT JOIN item_sales d ON d.item = c.variant_id
    WHERE NOT c.archived AND c.status <> 'archived'),
ranked AS (
    SELECT *, on_hand - reserved AS available,
        CASE WHEN recent_units > 0
            THEN CAST(on_hand - reserved AS DOUBLE PRECISION) * %(rate_days)s
                / recent_units
        END AS days_of_cover,
        -- The share reached before this variant decides its class, so the
        -- variant that crosses 80 %% is still an A.
        coalesce(sum(abc_sales) OVER (
            ORDER BY abc_sales DESC, variant_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS sales_before,
        sum(abc_sales) OVER () AS sales_total
    FROM base),
assessed AS (
    SELECT *,
        -- greatest() skips NULLs: no rate of sale must mean no run-out date.
        CASE WHEN days_of_cover IS NOT NULL
            THEN %(today)s + CAST(floor(greatest(days_of_cover, 0)) AS INTEGER)
        END AS runs_out_on
    FROM ranked)
SELECT variant_id, product_id, sku, product, variant, vendor, product_type, price,
    unit_cost, low_stock_threshold, on_hand, reserved, available, recent_units,
    period_units, abc_sales, last_sold,
    price * greatest(on_hand, 0) AS value_at_price,
    unit_cost * greatest(on_hand, 0) AS value_at_cost,
    CAST(recent_units AS DOUBLE PRECISION) / %(rate_days)s AS rate_per_day,
    days_of_cover, runs_out_on,
    greatest(0, CAST(ceil(
        CAST(recent_units * %(horizon)s AS DOUBLE PRECISION) / %(rate_days)s)
        AS BIGINT) - available) AS reorder_quantity,
    CASE WHEN period_units + greatest(on_hand, 0) > 0
        THEN CAST(period_units AS DOUBLE PRECISION)
            / (period_units + greatest(on_hand, 0))
    END AS sell_through,
    CASE WHEN abc_sales <= 0 THEN 'C'
        WHEN sales_before < 0.80 * sales_total THEN 'A'
        WHEN sales_before < 0.95 * sales_total THEN 'B'
        ELSE 'C' END AS abc_class,
    CASE WHEN on_hand > 0 AND (last_sold IS NULL OR last_sold <= %(dead_on)s)
            THEN 'dead'
        WHEN available <= low_stock_threshold OR runs_out_on <= %(lead_until)s
            THEN 'low'
        WHEN days_of_cover > %(slow_cover_days)s THEN 'slow'
        ELSE 'ok' END AS status
FROM assessed"""

WATCH_ORDER = """CASE status WHEN 'low' THEN 0 WHEN 'dead' THEN 1 ELSE 2 END,
    days_of_cover NULLS LAST, variant_id"""

TOTALS = """SELECT coalesce(sum(value_at_cost), 0) AS at_cost,
    coalesce(sum(value_at_price), 0) AS at_price,
    CAST(coalesce(sum(greatest(on_hand, 0)), 0) AS BIGINT) AS units_on_hand,
    count(*) FILTER (WHERE unit_cost IS NULL AND on_hand > 0) AS missing_cost
FROM inventory_rows"""

BY_CLASS = """SELECT abc_class, count(*) AS variants, sum(abc_sales) AS sales,
    coalesce(sum(value_at_cost), 0) AS value_at_cost
FROM inventory_rows GROUP BY abc_class ORDER BY abc_class"""

BY_VENDOR = """SELECT coalesce(vendor, '(none)') AS vendor,
    coalesce(sum(value_at_cost), 0) AS value_at_cost,
    coalesce(sum(value_at_price), 0) AS value_at_price,
    count(*) FILTER (WHERE status = 'dead') AS dead,
    count(*) FILTER (WHERE status = 'low') AS low
FROM inventory_rows GROUP BY 1 ORDER BY value_at_price DESC, vendor"""


def windows(period, today, settings):
    """The item windows the inventory figures of ``period`` need."""
    return Windows(
        period.start, period.end, today, settings.rate_days, settings.abc_days,
        settings.dead_days,
    )  # fmt: skip


def prepare_inventory(runner, today, settings, location_id=None):
    """Build ``inventory_rows`` (needs ``item_sales``; see items.prepare_items)."""
    location = ""
    if location_id is not None:
        location = f"WHERE location_id = {int(location_id)}"
    params = {
        "today": today,
        "rate_days": settings.rate_days,
        "horizon": settings.lead_time_days + settings.target_cover_days,
        "dead_on": today - timedelta(days=settings.dead_days),
        "lead_until": today + timedelta(days=settings.lead_time_days),
        "slow_cover_days": settings.slow_cover_days,
    }
    runner.execute("DROP TABLE IF EXISTS inventory_rows")
    runner.execute(INVENTORY.format(location=location), params)


def rows(runner):
    """Every variant's row of ``inventory_rows``."""
    return runner.frame("SELECT * FROM inventory_rows ORDER BY variant_id")


def watch_list(runner, top):
    """Variants that are low, dead or slow, the most urgent first."""
    return runner.frame(
        "SELECT * FROM inventory_rows WHERE status <> 'ok' "
        f"ORDER BY {WATCH_ORDER} LIMIT {int(top)}"
    )


def stock_value(runner):
    row = runner.frame(TOTALS).iloc[0]
    return StockValue(
        at_cost=Decimal(row["at_cost"]),
        at_price=Decimal(row["at_price"]),
        units_on_hand=int(row["units_on_hand"]),
        missing_cost=int(row["missing_cost"]),
    )


def by_class(runner):
    return runner.frame(BY_CLASS)


def by_vendor(runner):
    return runner.frame(BY_VENDOR)
