"""The Overview: every figure and every chart's data for one period at once.

``build_overview`` takes a runner, so the same steps run on the DuckDB
mirror (the service) or, for the bench, on PostgreSQL.
"""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from commerce.analytics import inventory, sales
from commerce.analytics.items import prepare_items
from commerce.analytics.periods import GRAINS, Period


@dataclass(frozen=True)
class Overview:
    """What the Overview page shows. Money is exact ``Decimal`` throughout."""

    store_id: int
    currency: str
    period: Period
    today: date
    comparison: sales.Comparison
    series: dict[str, pd.DataFrame]
    """``day``, ``week`` and ``month`` rows of the period (see sales.series)."""
    breakdowns: dict[str, pd.DataFrame]
    """The ``top`` rows per name in ``sales.DIMENSIONS`` (the service's
    ``sales_by`` gives whole tables, for download)."""
    customers: sales.CustomerMix
    stock_value: inventory.StockValue
    watch_list: pd.DataFrame
    """Variants low, dead or slow, most urgent first (``inventory_rows`` columns)."""
    abc: pd.DataFrame
    """Variants, sales and stock value per ABC class."""
    stock_by_vendor: pd.DataFrame
    settings: inventory.StockSettings = field(default_factory=inventory.StockSettings)

    @property
    def summary(self):
        return self.comparison.current


TOP = 25


def build_overview(
    runner, store_id, currency, period, today, settings=None, location_id=None,
    top=TOP,
):  # fmt: skip
    settings = settings or inventory.StockSettings()
    comparison = sales.summarise(runner, period, currency)
    days = sales.daily(runner, period)
    series = {grain: sales.series(days, grain) for grain in GRAINS}

    prepare_items(runner, inventory.windows(period, today, settings))
    breakdowns = sales.breakdowns(runner, period, sales.DIMENSIONS, top)
    customers = sales.customer_mix(runner, period, comparison.current.orders)

    inventory.prepare_inventory(runner, today, settings, location_id)
    return Overview(
        store_id=store_id,
        currency=currency,
        period=period,
        today=today,
        comparison=comparison,
        series=series,
        breakdowns=breakdowns,
        customers=customers,
        stock_value=inventory.stock_value(runner),
        watch_list=inventory.watch_list(runner, top),
        abc=inventory.by_class(runner),
        stock_by_vendor=inventory.by_vendor(runner),
        settings=settings,
    )
