"""Fixtures for analytics: orders written straight into a store, a fixed clock."""

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from commerce.analytics import StoreAnalytics

KEY = b"k" * 32


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def add_order(tenant, placed_at, lines, *, kind="sale", status="paid",
              refunded="0", email=None, customer_ref=None, country=None,
              provider=None, paid=True):  # fmt: skip
    """Insert one order with ``lines`` of (sku, quantity, unit price); its id."""
    total = sum(Decimal(q) * Decimal(p) for _, q, p in lines)
    with tenant.transaction() as conn:
        order_id = conn.execute(
            """INSERT INTO orders (number, token, source, kind, status, currency,
                   subtotal, total, refunded_total, email, customer_ref, country,
                   payment_provider, placed_at, paid_at)
               VALUES (%s, %s, 'storefront', %s, %s, %s, %s, %s, %s, %s, %s, %s,
                       %s, %s, %s) RETURNING id""",
            (secrets.token_hex(6), secrets.token_hex(8), kind, status,
             tenant.store.currency, total, total, Decimal(refunded), email,
             customer_ref, country, provider, placed_at,
             placed_at if paid else None),
        ).fetchone()[0]  # fmt: skip
        for number, (sku, quantity, price) in enumerate(lines, start=1):
            variant = conn.execute(
                "SELECT id FROM variants WHERE sku = %s", (sku,)
            ).fetchone()
            conn.execute(
                """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
                       quantity, unit_price, line_total)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
                (order_id, number, variant[0] if variant else None, sku,
                 f"Item {sku}", quantity, Decimal(price),
                 quantity * Decimal(price)),
            )  # fmt: skip
    return order_id


@pytest.fixture
def clock():
    return FixedClock(datetime(2024, 3, 31, 12, 0, tzinfo=UTC))


@pytest.fixture
def open_analytics(clock):
    """Open StoreAnalytics for a tenant (fixed clock and key); closed after."""
    opened = []

    def open_(tenant, **options):
        options.setdefault("clock", clock)
        options.setdefault("customer_key", KEY)
        options.setdefault("max_age", timedelta(0))
        analytics = StoreAnalytics(tenant, **options)
        opened.append(analytics)
        return analytics

    yield open_
    for analytics in opened:
        analytics.close()
