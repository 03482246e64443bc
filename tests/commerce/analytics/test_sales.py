"""Sales figures on small hand-made stores, with exact expected numbers."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commerce.analytics import Period
from commerce.analytics.source import CustomerHasher
from commerce.catalogue import create_product
from commerce.errors import InvalidInput
from tests.commerce.analytics.conftest import KEY, add_order

MARCH = Period(date(2024, 3, 1), date(2024, 3, 31))


def at(day, hour=12, minute=0):
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def shop(make_store):
    return make_store(currency="GBP", timezone="Europe/London")


def test_refunds_and_returns_are_counted_once(shop, open_analytics):
    add_order(shop, at(5), [("A", 2, "10.00"), ("B", 1, "5.50")])
    add_order(shop, at(6), [("A", 1, "10.00")], status="refunded", refunded="10.00")
    add_order(shop, at(7), [("B", 4, "5.50")], status="partially_refunded",
              refunded="5.50")  # fmt: skip
    # An imported return invoice: its own order, negative lines, money back.
    add_order(shop, at(8), [("A", -1, "10.00")], kind="return", status="refunded",
              refunded="10.00")  # fmt: skip
    add_order(shop, at(9), [("A", 9, "10.00")], status="pending", paid=False)
    add_order(shop, at(9), [("A", 9, "10.00")], status="cancelled", paid=False)
    add_order(shop, at(10), [("B", 2, "5.50")], status="cancelled", refunded="11.00")

    summary = open_analytics(shop).summary(MARCH).current

    # Gross: 25.50 + 10.00 + 22.00 + 11.00 (cancelled after payment).
    assert summary.gross_sales == Decimal("68.50")
    # Refunds: 10.00 + 5.50 + 10.00 (the return) + 11.00, each order once.
    assert summary.refunds == Decimal("36.50")
    assert summary.net_sales == Decimal("32.00")
    assert summary.orders == 4
    assert summary.units_sold == 3 + 1 + 4 + 2
    assert (summary.units_returned, summary.return_orders) == (1, 1)
    assert summary.returns_value == Decimal("10.00")
    assert summary.average_order_value == Decimal("17.125")


def test_days_start_at_the_store_midnight(make_store, open_analytics):
    shop = make_store(currency="USD", timezone="America/New_York")
    # 03:30 UTC on 10 March is 22:30 on 9 March in New York.
    add_order(shop, datetime(2024, 3, 10, 3, 30, tzinfo=UTC), [("A", 1, "7.00")])
    add_order(shop, datetime(2024, 3, 10, 5, 30, tzinfo=UTC), [("A", 1, "3.00")])
    analytics = open_analytics(shop)

    days = analytics.series(Period(date(2024, 3, 9), date(2024, 3, 10)))
    assert list(days["gross_sales"]) == [Decimal("7.00"), Decimal("3.00")]
    assert (
        analytics.summary(Period(date(2024, 3, 10), date(2024, 3, 10))).current.orders
        == 1
    )


def test_series_by_week_and_month_and_empty_days(shop, open_analytics):
    add_order(shop, at(4), [("A", 1, "1.10")])  # a Monday
    add_order(shop, at(10), [("A", 2, "1.10")])  # the Sunday of that week
    add_order(shop, at(11), [("A", 3, "1.10")])
    analytics = open_analytics(shop)

    days = analytics.series(MARCH, "day")
    assert len(days) == 31 and days["gross_sales"].iloc[0] == 0
    weeks = analytics.series(MARCH, "week")
    week = weeks.set_index("period_start").loc[date(2024, 3, 4)]
    assert (week["gross_sales"], week["orders"]) == (Decimal("3.30"), 2)
    assert week["average_order_value"] == Decimal("1.65")
    months = analytics.series(MARCH, "month")
    assert list(months["gross_sales"]) == [Decimal("6.60")]
    with pytest.raises(InvalidInput):
        analytics.series(MARCH, "year")


def test_comparison_with_the_previous_period(shop, open_analytics):
    add_order(shop, datetime(2024, 2, 20, tzinfo=UTC), [("A", 1, "8.00")])
    add_order(shop, at(20), [("A", 1, "10.00")])
    period = Period(date(2024, 3, 1), date(2024, 3, 29))

    comparison = open_analytics(shop).summary(period)

    assert comparison.previous.period == Period(date(2024, 2, 1), date(2024, 2, 29))
    assert comparison.previous.gross_sales == Decimal("8.00")
    assert comparison.change("gross_sales") == Decimal("0.25")


def test_breakdowns_by_catalogue_and_order(shop, open_analytics):
    create_product(shop, {"title": "Mug", "vendor": "Acme", "product_type": "Kitchen",
                          "tags": ["gift", "blue"], "status": "active"},
                   [{"sku": "MUG-S", "price": "4.00", "option1_name": "Size",
                     "option1": "S"},
                    {"sku": "MUG-L", "price": "6.00", "option1_name": "Size",
                     "option1": "L"}])  # fmt: skip
    add_order(shop, at(3), [("MUG-S", 2, "4.00"), ("MUG-L", 1, "6.00")],
              country="GB", provider="stripe")  # fmt: skip
    add_order(shop, at(4), [("LOOSE", 1, "2.50")], country="FR")
    add_order(shop, at(5), [("MUG-L", -1, "6.00")], kind="return",
              status="refunded", refunded="6.00", country="GB")  # fmt: skip
    analytics = open_analytics(shop)

    products = analytics.sales_by(MARCH, "product").set_index("label")
    assert products.loc["Mug", "gross_sales"] == Decimal("14.00")
    assert products.loc["Mug", "units_sold"] == 3
    assert products.loc["Mug", "units_returned"] == 1
    assert products.loc["Item LOOSE", "gross_sales"] == Decimal("2.50")
    variants = analytics.sales_by(MARCH, "variant").set_index("label")
    assert variants.loc["Mug / L", "returns_value"] == Decimal("6.00")
    vendors = analytics.sales_by(MARCH, "vendor").set_index("key")
    assert vendors.loc["Acme", "gross_sales"] == Decimal("14.00")
    assert vendors.loc["(none)", "gross_sales"] == Decimal("2.50")
    tags = analytics.sales_by(MARCH, "tag").set_index("key")
    assert tags.loc["gift", "gross_sales"] == tags.loc["blue", "gross_sales"]
    countries = analytics.sales_by(MARCH, "country").set_index("key")
    assert countries.loc["GB", "net_sales"] == Decimal("8.00")
    assert countries.loc["GB", "orders"] == 1
    providers = analytics.sales_by(MARCH, "payment_provider").set_index("key")
    assert providers.loc["(none)", "gross_sales"] == Decimal("2.50")
    with pytest.raises(InvalidInput):
        analytics.sales_by(MARCH, "colour")


def test_new_and_returning_customers(shop, open_analytics):
    add_order(shop, datetime(2024, 2, 1, tzinfo=UTC), [("A", 1, "5.00")],
              email="Ann@Example.com")  # fmt: skip
    add_order(shop, at(2), [("A", 1, "5.00")], email=" ann@example.com ")
    add_order(shop, at(3), [("A", 2, "5.00")], email="bob@example.com")
    add_order(shop, at(4), [("A", 1, "5.00")], customer_ref="C-77")
    add_order(shop, at(5), [("A", 1, "5.00")])

    mix = open_analytics(shop).customers(MARCH)

    assert (mix.new_customers, mix.returning_customers) == (2, 1)
    assert (mix.new_orders, mix.returning_orders, mix.guest_orders) == (2, 1, 1)
    assert (mix.new_sales, mix.returning_sales) == (Decimal("15.00"), Decimal("5.00"))


def test_no_raw_email_reaches_duckdb(shop, open_analytics):
    add_order(shop, at(2), [("A", 1, "5.00")], email="secret.person@example.com")
    analytics = open_analytics(shop)
    analytics.refresh()

    con = analytics.con
    columns = con.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE data_type = 'VARCHAR' AND table_catalog = current_database()"""
    ).fetchall()
    for table, column in columns:
        found = con.execute(
            f'SELECT count(*) FROM "{table}" WHERE "{column}" LIKE \'%@%\''
        ).fetchone()[0]
        assert found == 0, (table, column)
    stored = con.execute("SELECT customer FROM orders").fetchone()[0]
    assert stored == CustomerHasher(KEY).digest("email:secret.person@example.com")


def test_hmac_in_postgres_matches_python(shop):
    hasher = CustomerHasher(b"\x01" * 40)
    with shop.connection() as conn:
        text = "email:zoë@example.com"
        found = conn.execute(f"SELECT {hasher.sql('%s')}", (text,)).fetchone()[0]
    assert found == hasher.digest(text)
