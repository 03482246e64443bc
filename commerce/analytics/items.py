"""Per-item sums that every item figure reads, from month sums and lines.

The item breakdowns of a period (product, variant, vendor, type, tag) and
the inventory figures (recent rate of sale, ABC sales, last sale) all need
sums per item over some window of days. ``prepare_items`` computes them all
in one statement into the temp table ``item_sales``; an item is a variant,
or for lines without one their SKU and title (see ``mirror``).
"""

from dataclasses import dataclass
from datetime import date, timedelta

# Period sums come from whole months in item_months plus the days at either
# end from the lines; the inventory windows (the last few weeks) from the
# lines. Months hold a few thousand rows where the lines hold thousands a day.
ITEM_SALES = """CREATE TEMP TABLE item_sales AS
WITH period_rows AS (
    SELECT item, kind, total, units FROM item_months
    WHERE month BETWEEN %(months_from)s AND %(months_to)s
    UNION ALL
    SELECT item, kind, line_total, quantity FROM lines
    WHERE day BETWEEN %(start)s AND %(end)s
      AND NOT day BETWEEN %(months_from)s AND %(months_end)s),
period AS (
    SELECT item,
        coalesce(sum(total) FILTER (WHERE kind = 'sale'), 0) AS gross_sales,
        CAST(coalesce(sum(units) FILTER (WHERE kind = 'sale'), 0) AS BIGINT)
            AS units_sold,
        CAST(coalesce(-sum(units) FILTER (WHERE kind = 'return'), 0) AS BIGINT)
            AS units_returned,
        coalesce(-sum(total) FILTER (WHERE kind = 'return'), 0) AS returns_value
    FROM period_rows GROUP BY item),
recent AS (
    SELECT item,
        CAST(coalesce(sum(quantity) FILTER (WHERE day >= %(rate_start)s), 0)
            AS BIGINT) AS recent_units,
        coalesce(sum(line_total) FILTER (WHERE day >= %(abc_start)s), 0)
            AS abc_sales,
        max(day) FILTER (WHERE day >= %(dead_start)s AND quantity > 0) AS last_sold
    FROM lines
    WHERE kind = 'sale' AND day BETWEEN %(recent_start)s AND %(today)s
    GROUP BY item)
SELECT coalesce(p.item, r.item) AS item,
    coalesce(p.gross_sales, 0) AS gross_sales,
    coalesce(p.units_sold, 0) AS units_sold,
    coalesce(p.units_returned, 0) AS units_returned,
    coalesce(p.returns_value, 0) AS returns_value,
    coalesce(r.recent_units, 0) AS recent_units,
    coalesce(r.abc_sales, 0) AS abc_sales, r.last_sold
FROM period p FULL JOIN recent r ON r.item = p.item"""


@dataclass(frozen=True)
class Windows:
    """The days the item sums cover: the period, and the inventory windows
    that end today."""

    start: date
    end: date
    today: date
    rate_days: int
    abc_days: int
    dead_days: int

    def params(self):
        rate_start = self.today - timedelta(days=self.rate_days - 1)
        abc_start = self.today - timedelta(days=self.abc_days - 1)
        dead_start = self.today - timedelta(days=self.dead_days - 1)
        months_from, months_to = _whole_months(self.start, self.end)
        return {
            "start": self.start,
            "end": self.end,
            "months_from": months_from,
            "months_to": months_to,
            "months_end": _month_end(months_to),
            "today": self.today,
            "rate_start": rate_start,
            "abc_start": abc_start,
            "dead_start": dead_start,
            "recent_start": min(rate_start, abc_start, dead_start),
        }


def _whole_months(start, end):
    """First and last month (as their first days) lying wholly in start..end;
    the first comes after the last when there is none."""
    first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    last = end.replace(day=1)
    if end != _month_end(end):
        last = (last - timedelta(days=1)).replace(day=1)
    return first, last


def _month_end(day):
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def prepare_items(runner, windows):
    """(Re)build ``item_sales`` for ``windows``."""
    runner.execute("DROP TABLE IF EXISTS item_sales")
    runner.execute(ITEM_SALES, windows.params())
