"""Inventory figures on a small catalogue with exact expected numbers."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from commerce.analytics import Period, StockSettings
from commerce.catalogue import create_product
from commerce.errors import InvalidInput
from commerce.stock import adjust_stock
from tests.commerce.analytics.conftest import add_order

TODAY = date(2024, 3, 31)


@pytest.fixture
def shop(make_store):
    tenant = make_store(currency="EUR", timezone="Europe/Paris")
    create_product(tenant, {"title": "Tea", "vendor": "Leaf", "status": "active"},
                   [{"sku": "TEA", "price": "4.50", "unit_cost": "1.25",
                     "low_stock_threshold": 5}])  # fmt: skip
    pot = {"sku": "POT", "price": "30.00", "unit_cost": "12.10"}
    create_product(tenant, {"title": "Pot", "vendor": "Clay", "status": "active"},
                   [pot])  # fmt: skip
    create_product(tenant, {"title": "Cup", "vendor": "Clay", "status": "active"},
                   [{"sku": "CUP", "price": "8.00"}])  # fmt: skip
    variants = {}
    with tenant.connection() as conn:
        for sku, variant_id in conn.execute("SELECT sku, id FROM variants"):
            variants[sku] = variant_id
    for sku, units in (("TEA", 20), ("POT", 10), ("CUP", 7)):
        adjust_stock(tenant, variants[sku], units, reason="count")
    tenant.variants = variants
    return tenant


def sold(tenant, sku, units, days_ago, price):
    placed = datetime.combine(
        TODAY - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC
    ) + timedelta(hours=12)
    add_order(tenant, placed, [(sku, units, price)])  # fmt: skip


def test_stock_value_cover_forecast_and_classes(shop, open_analytics):
    sold(shop, "TEA", 28, 3, "4.50")  # 1 a day over the last 28 days
    sold(shop, "POT", 2, 60, "30.00")  # in the ABC window, not the rate window
    analytics = open_analytics(shop)

    rows = analytics.inventory(Period(TODAY - timedelta(days=27), TODAY))
    rows = rows.set_index("sku")

    assert rows.loc["TEA", "value_at_cost"] == Decimal("25.00")
    assert rows.loc["POT", "value_at_price"] == Decimal("300.00")
    assert rows.loc["TEA", "days_of_cover"] == 20.0
    assert rows.loc["TEA", "runs_out_on"] == TODAY + timedelta(days=20)
    # 1 a day x (14 lead + 28 cover) days, less 20 available.
    assert rows.loc["TEA", "reorder_quantity"] == 22
    assert rows.loc["TEA", "sell_through"] == pytest.approx(28 / 48)
    # Tea's 126.00 comes first; the pot's 60.00 starts below 80 % of 186.00.
    assert list(rows["abc_class"]) == ["A", "A", "C"]
    assert list(rows["status"]) == ["ok", "ok", "dead"]


def test_overview_inventory_parts(shop, open_analytics):
    sold(shop, "TEA", 17, 1, "4.50")
    adjust_stock(shop, shop.variants["TEA"], -17, reason="sold")  # 3 left, under 5
    overview = open_analytics(shop).overview(Period(TODAY - timedelta(days=29), TODAY))

    value = overview.stock_value
    assert value.at_cost == Decimal("3") * Decimal("1.25") + Decimal("121.00")
    assert value.at_price == Decimal("13.50") + Decimal("300.00") + Decimal("56.00")
    assert (value.units_on_hand, value.missing_cost) == (20, 1)
    watch = overview.watch_list.set_index("sku")
    assert watch.loc["TEA", "status"] == "low"
    assert set(watch.loc[["POT", "CUP"], "status"]) == {"dead"}
    vendors = overview.stock_by_vendor.set_index("vendor")
    assert vendors.loc["Clay", "value_at_price"] == Decimal("356.00")
    assert list(overview.abc["abc_class"]) == ["A", "C"]


def test_settings_are_whole_days():
    with pytest.raises(InvalidInput):
        StockSettings(rate_days=0)
