"""Figures on imported real sales histories, against pandas on the raw files.

Each file goes in through ``etl.sales_import.import_sales`` into a store with
the file's currency and time zone; the expected figures are computed here
from the raw file with pandas, following the data sets' own rules (the
README beside each file), not with anything from the importer or analytics.
"""

import secrets
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest

from commerce.analytics import Period, StoreAnalytics
from etl.sales_import import import_sales
from tenancy import StoreRequest, delete_store, provision_store
from tests.commerce.analytics.conftest import KEY, FixedClock
from tests.conftest import SHARED

DATA = SHARED / "data"
UCI = DATA / "uci_online_retail" / "online_retail_sample_full_year_iso.csv"
OLIST = DATA / "olist_brazilian_ecommerce" / "subset_b_excel_resaved"
SUPERSTORE = DATA / "superstore_sales" / "superstore_cp1252.csv"


def money(values):
    return sum((Decimal(v) for v in values), Decimal(0))


def imported(platform, path, currency, timezone, today):
    request = StoreRequest(
        slug=f"real{secrets.token_hex(3)}", display_name="Real data",
        owner_email="real@example.com", currency=currency, timezone=timezone,
    )  # fmt: skip
    store = provision_store(platform, request)
    tenant = platform.tenant(store.id)
    report = import_sales(tenant, path)
    clock = FixedClock(datetime.combine(today, datetime.min.time(), tzinfo=UTC))
    analytics = StoreAnalytics(tenant, clock=clock, customer_key=KEY)
    return analytics, report


@pytest.fixture(scope="module")
def stores(platform):
    made = []

    def make(*args):
        analytics, report = imported(platform, *args)
        made.append(analytics)
        return analytics, report

    yield make
    for analytics in made:
        analytics.close()
        delete_store(platform, analytics.store_id)


# -- UCI Online Retail: cancellations are return invoices ------------------------


@pytest.fixture(scope="module")
def uci(stores):
    raw = pd.read_csv(UCI, dtype=str, keep_default_na=False)
    # The file's own rules: exact repeats are one line; a negative line
    # without a C invoice is a stock write-off, not a sale or a return.
    raw = raw.drop_duplicates()
    raw["qty"] = raw["Quantity"].astype(int)
    raw["total"] = [
        Decimal(p) * q for p, q in zip(raw["UnitPrice"], raw["qty"], strict=True)
    ]
    raw["is_return"] = raw["InvoiceNo"].str.startswith("C")
    raw = raw[raw["is_return"] | (raw["qty"] >= 0)]
    raw["day"] = pd.to_datetime(raw["InvoiceDate"]).dt.date
    raw["customer"] = raw["CustomerID"].str.removesuffix(".0").replace({"0": ""})
    analytics, report = stores(UCI, "GBP", "Europe/London", date(2011, 12, 9))
    return analytics, report, raw


def test_uci_totals_count_returns_once(uci):
    analytics, report, raw = uci
    assert not report.rejected
    sales, returns = raw[~raw["is_return"]], raw[raw["is_return"]]

    period = Period(date(2010, 12, 1), date(2011, 12, 9))
    summary = analytics.summary(period).current

    assert summary.gross_sales == money(sales["total"])
    assert summary.refunds == -money(returns["total"])
    assert summary.net_sales == money(raw["total"])
    assert summary.orders == sales["InvoiceNo"].nunique()
    assert summary.units_sold == sales["qty"].sum()
    assert summary.return_orders == returns["InvoiceNo"].nunique()
    assert summary.units_returned == -returns["qty"].sum()
    assert summary.customers == sales.loc[sales["customer"] != "", "customer"].nunique()


def test_uci_days_months_and_countries(uci):
    analytics, _, raw = uci
    sales = raw[~raw["is_return"]]
    period = Period(date(2011, 3, 1), date(2011, 8, 31))  # across the BST change

    days = analytics.series(period, "day").set_index("period_start")
    expected = sales.groupby("day")["total"].apply(money)
    for day, total in expected.items():
        if period.start <= day <= period.end:
            assert days.loc[day, "gross_sales"] == total, day
    months = analytics.series(period, "month")
    by_month = sales.assign(month=[d.replace(day=1) for d in sales["day"]])
    chosen = by_month[
        (by_month["day"] >= period.start) & (by_month["day"] <= period.end)
    ]
    assert list(months["gross_sales"]) == list(
        chosen.groupby("month")["total"].apply(money)
    )

    countries = analytics.sales_by(period, "country").set_index("key")
    in_period = raw[(raw["day"] >= period.start) & (raw["day"] <= period.end)]
    for country, rows in in_period.groupby("Country"):
        sold = rows[~rows["is_return"]]
        assert countries.loc[country, "gross_sales"] == money(sold["total"])
        assert countries.loc[country, "refunds"] == -money(
            rows.loc[rows["is_return"], "total"]
        )


def test_uci_products_and_new_customers(uci):
    analytics, _, raw = uci
    period = Period(date(2011, 9, 1), date(2011, 12, 9))
    in_period = raw[(raw["day"] >= period.start) & (raw["day"] <= period.end)]

    products = analytics.sales_by(period, "product").set_index("key")
    top = in_period[~in_period["is_return"]].groupby("StockCode")["total"].apply(money)
    for code in top.sort_values(ascending=False).index[:20]:
        assert products.loc[f"sku:{code}", "gross_sales"] == top[code]

    sales = raw[~raw["is_return"] & (raw["customer"] != "")]
    firsts = sales.groupby("customer")["day"].min()
    active = sales[(sales["day"] >= period.start) & (sales["day"] <= period.end)]
    new = active[active["customer"].map(firsts) >= period.start]
    mix = analytics.customers(period)
    assert mix.new_customers == new["customer"].nunique()
    assert mix.new_orders == new["InvoiceNo"].nunique()
    assert mix.new_sales == money(new["total"])
    assert mix.returning_customers == (
        active["customer"].nunique() - new["customer"].nunique()
    )


# -- Olist: days cut at São Paulo's midnight, not UTC's -----------------------------


def test_olist_days_are_store_days(stores):
    orders = pd.read_csv(OLIST / "olist_orders_dataset.csv", dtype=str).dropna(
        subset=["order_id"]
    )
    items = pd.read_csv(OLIST / "olist_order_items_dataset.csv", dtype=str).dropna(
        subset=["order_id"]
    )
    placed = pd.to_datetime(orders["order_purchase_timestamp"], format="%m/%d/%Y %H:%M")
    orders = orders.assign(placed=placed)
    lines = items.merge(orders, on="order_id")
    lines = lines[~lines["order_status"].isin(["canceled", "unavailable"])]
    lines = lines.assign(day=lines["placed"].dt.date)
    # NOTE: the items file, not the folder: import_sales cannot digest a folder.
    items_file = OLIST / "olist_order_items_dataset.csv"
    analytics, _ = stores(items_file, "BRL", "America/Sao_Paulo", date(2018, 12, 31))

    period = Period(date(2016, 9, 1), date(2018, 12, 31))
    summary = analytics.summary(period).current
    assert summary.gross_sales == money(lines["price"])
    assert summary.orders == lines["order_id"].nunique()
    assert summary.units_sold == len(lines)

    days = analytics.series(period, "day").set_index("period_start")
    expected = lines.groupby("day")["price"].apply(money)
    assert dict(days.loc[days["gross_sales"] != 0, "gross_sales"]) == dict(expected)
    # Late evening orders are on the next day in UTC: the cut matters here.
    utc_days = (placed + pd.Timedelta(hours=3)).dt.date
    assert (utc_days != placed.dt.date).sum() > 100


# -- Superstore: a dated order file, whole days in New York ---------------------------


def test_superstore_months_and_totals(stores):
    raw = pd.read_csv(SUPERSTORE, encoding="cp1252", dtype=str)
    raw["day"] = pd.to_datetime(raw["Order Date"]).dt.date
    first_day = raw.groupby("Order ID")["day"].transform("first")
    raw["order_day"] = first_day
    analytics, report = stores(
        SUPERSTORE, "USD", "America/New_York", date(2017, 12, 31)
    )
    assert not report.rejected

    period = Period(date(2014, 1, 1), date(2017, 12, 31))
    summary = analytics.summary(period).current
    assert summary.gross_sales == money(raw["Sales"])
    assert summary.orders == raw["Order ID"].nunique()
    assert summary.units_sold == raw["Quantity"].astype(int).sum()
    assert summary.refunds == 0

    months = analytics.series(period, "month").set_index("period_start")
    raw["month"] = [d.replace(day=1) for d in raw["order_day"]]
    for month, total in raw.groupby("month")["Sales"].apply(money).items():
        assert months.loc[month, "gross_sales"] == total, month
