"""Sales and inventory analytics of one store, on DuckDB (issue #8).

The admin and the command line use the names exported here::

    with StoreAnalytics(tenant) as analytics:
        period = analytics.period(days=30)            # store days, inclusive
        overview = analytics.overview(period)         # everything at once
        frame = analytics.sales_by(period, "vendor")  # one table

Figures are defined in ``commerce.analytics.sales`` (sales, refunds and
returns) and ``commerce.analytics.inventory``; ``commerce.analytics.charts``
builds the plotly figures from the frames the service returns.
"""

from commerce.analytics.errors import AnalyticsError, EngineUnavailable, PrecisionLost
from commerce.analytics.inventory import StockSettings, StockValue
from commerce.analytics.overview import Overview
from commerce.analytics.periods import GRAINS, Period, last_days
from commerce.analytics.sales import DIMENSIONS, Comparison, CustomerMix, Summary
from commerce.analytics.service import StoreAnalytics, mirror_path
from commerce.analytics.sync import RefreshStats

__all__ = [
    "DIMENSIONS",
    "GRAINS",
    "AnalyticsError",
    "Comparison",
    "CustomerMix",
    "EngineUnavailable",
    "Overview",
    "Period",
    "PrecisionLost",
    "RefreshStats",
    "StockSettings",
    "StockValue",
    "StoreAnalytics",
    "Summary",
    "last_days",
    "mirror_path",
]
