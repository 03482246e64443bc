"""Every chart has a title, axis labels and units; money is rounded for it."""

from datetime import UTC, date, datetime

from commerce.analytics import Period, charts
from commerce.catalogue import create_product
from commerce.stock import adjust_stock
from tests.commerce.analytics.conftest import add_order


def test_every_overview_chart_is_labelled(make_store, open_analytics):
    shop = make_store(currency="JPY", timezone="Asia/Tokyo")
    create_product(shop, {"title": "Fan", "vendor": "Kaze", "status": "active"},
                   [{"sku": "FAN", "price": "1200", "unit_cost": "700"}])  # fmt: skip
    with shop.connection() as conn:
        variant = conn.execute("SELECT id FROM variants").fetchone()[0]
    adjust_stock(shop, variant, 5, reason="count")
    add_order(shop, datetime(2024, 3, 3, 3, tzinfo=UTC), [("FAN", 2, "1200.4")],
              email="k@example.com", country="JP")  # fmt: skip
    overview = open_analytics(shop).overview(
        Period(date(2024, 3, 1), date(2024, 3, 31))
    )

    figures = [
        charts.sales_over_time(overview.series["day"], "JPY", "day"),
        charts.orders_over_time(overview.series["week"], "week"),
        charts.period_comparison(overview.comparison),
        charts.breakdown(overview.breakdowns["vendor"], "vendor", "JPY"),
        charts.customer_mix(overview.customers, "JPY"),
        charts.stock_value(overview.stock_by_vendor, "JPY"),
        charts.abc_classes(overview.abc, "JPY", overview.settings.abc_days),
        charts.stock_cover(overview.watch_list),
    ]
    for figure in figures:
        layout = figure.layout
        assert layout.title.text
        assert layout.xaxis.title.text and layout.yaxis.title.text
        assert "(" in layout.xaxis.title.text + layout.yaxis.title.text

    # JPY has no minor unit: 2400.8 is drawn as 2401, once rounded.
    day = figures[0].data[0]
    assert max(day.y) == 2401.0
    assert "JPY" in figures[0].layout.yaxis.title.text
