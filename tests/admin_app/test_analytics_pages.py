"""The Overview and Analytics pages: figures, charts and CSVs of one store only."""

import json

import pytest

from admin_app import data
from commerce import catalogue, stock
from tenancy import support

from .conftest import app_for, texts


def open_page(browser, who, path):
    at = app_for(browser, who.token).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def sell(tenant, title, sku, vendor, price, quantity, *, number, stocked=10):
    """A product with stock, and one paid storefront order of it today."""
    product_id = catalogue.create_product(
        tenant,
        {"title": title, "status": "active", "vendor": vendor, "product_type": "Mug"},
        [{"sku": sku, "price": price, "unit_cost": "2.00"}],
    )
    variant_id = catalogue.get_product(tenant, product_id).variants[0].id
    stock.adjust_stock(tenant, variant_id, stocked, reason="received")
    total = float(price) * quantity
    with tenant.transaction() as conn:
        order_id = conn.execute(
            """INSERT INTO orders (number, token, source, kind, status, currency,
                   subtotal, total, email, country, placed_at, paid_at,
                   payment_provider, payment_ref)
               VALUES (%s, %s, 'storefront', 'sale', 'paid', 'USD', %s, %s,
                       %s, 'DE', now(), now(), 'manual', %s)
               RETURNING id""",
            (number, f"tok-{number}", total, total, f"{number}@example.com",
             f"manual-{number}"),
        ).fetchone()[0]  # fmt: skip
        conn.execute(
            """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
                   quantity, unit_price, line_total)
               VALUES (%s, 1, %s, %s, %s, %s, %s, %s)""",
            (order_id, variant_id, sku, title, quantity, price, total),
        )
    return variant_id


@pytest.fixture
def sales(owner):
    sell(owner.tenant, "Blue mug", "MUG-B", "Acme", "10.00", 3, number="2001")
    sell(owner.tenant, "Red mug", "MUG-R", "Zenith", "5.00", 2, number="2002")
    return owner


def charts_of(at):
    return {
        json.loads(c.proto.spec)["layout"]["title"]["text"]: json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
    }


def downloads(at):
    return [b.proto.label for b in at.get("download_button")]


def test_the_overview_compares_with_the_period_before(admin, browser, sales):
    at = open_page(browser, sales, "views/overview.py")

    metrics = {m.label: m for m in at.metric}
    assert metrics["Gross sales"].value == "40.00 USD"
    assert metrics["Orders"].value == "2"
    assert metrics["Products"].value == "2"
    figure = charts_of(at)["Sales by day"]
    assert figure["layout"]["yaxis"]["title"]["text"] == "Sales (USD)"
    assert "store time" in figure["layout"]["xaxis"]["title"]["text"]
    assert downloads(at) == ["Download sales by day (CSV)"]


def test_the_overview_groups_by_month(admin, browser, sales):
    at = open_page(browser, sales, "views/overview.py")
    at.radio(key="overview_grain").set_value("month").run()

    assert "Sales by month" in charts_of(at)
    assert downloads(at) == ["Download sales by month (CSV)"]


def test_analytics_shows_every_part_titled_with_units(admin, browser, sales):
    at = open_page(browser, sales, "views/analytics.py")

    assert texts(at, "title") == ["Analytics"]
    assert not texts(at, "error")
    titles = charts_of(at)
    for expected in (
        "Sales by day",
        "Orders and units by day",
        "Gross sales by product (top 10)",
        "New and returning customers",
        "Stock value by vendor",
        "ABC classes: where sales and stock sit",
    ):
        assert expected in titles, titles.keys()
    for figure in titles.values():
        assert figure["layout"]["xaxis"]["title"]["text"]
        assert figure["layout"]["yaxis"]["title"]["text"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gross sales"] == "40.00 USD"
    assert metrics["Customers"] == "2"
    labels = downloads(at)
    assert "Download sales by product (CSV)" in labels
    assert "Download inventory (CSV)" in labels
    assert len(labels) == len(at.dataframe)


def test_analytics_breaks_sales_down_by_vendor_and_filters(admin, browser, sales):
    at = open_page(browser, sales, "views/analytics.py")
    at.selectbox(key="analytics_dimension").select("vendor").run()
    tables = [t.value for t in at.dataframe]
    by_vendor = next(t for t in tables if "label" in t and "Acme" in set(t["label"]))
    assert set(by_vendor["label"]) == {"Acme", "Zenith"}

    at.multiselect(key="analytics_vendors").select("Zenith").run()
    tables = [t.value for t in at.dataframe]
    by_vendor = next(t for t in tables if "label" in t)
    assert list(by_vendor["label"]) == ["Zenith"]
    inventory = next(t for t in tables if "abc_class" in t and "vendor" in t)
    assert set(inventory["vendor"]) == {"Zenith"}


def test_low_stock_is_forecast(admin, browser, owner):
    variant_id = sell(owner.tenant, "Tiny mug", "MUG-T", "Acme", "4.00", 5,
                      number="2003", stocked=2)  # fmt: skip
    catalogue.update_variant(owner.tenant, variant_id, {"low_stock_threshold": 3})
    at = open_page(browser, owner, "views/analytics.py")

    tables = [t.value for t in at.dataframe]
    forecast = next(t for t in tables if "reorder_quantity" in t and "rate_per_day" in t
                    and "abc_class" not in t)  # fmt: skip
    assert list(forecast["sku"]) == ["MUG-T"]


def test_another_owner_sees_only_their_own_figures(admin, browser, sales, other_owner):
    at = open_page(browser, other_owner, "views/analytics.py")

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Gross sales"] == "0.00 USD"
    assert metrics["Orders"] == "0"
    at = open_page(browser, other_owner, "views/overview.py")
    assert {m.label: m.value for m in at.metric}["Gross sales"] == "0.00 USD"


def test_support_staff_see_the_overview_but_not_analytics(
    admin, browser, platform, staff, sales
):
    support.grant_support(platform, staff.id, sales.tenant.id, "ticket", hours=1)
    at = open_page(browser, staff, "views/overview.py")
    assert not texts(at, "error")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/analytics.py")


def test_cached_analytics_refuse_a_mismatched_store(admin, owner, other_owner):
    mine, theirs = owner.tenant, other_owner.tenant
    with pytest.raises(ValueError, match="is not tenant"):
        data.analytics_overview(mine.id, 1, None, None, 30, None, _tenant=theirs)
    with pytest.raises(ValueError, match="is not tenant"):
        data.analytics_inventory(mine.id, 1, None, None, None, (), (), _tenant=theirs)
