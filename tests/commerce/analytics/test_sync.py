"""Keeping the mirror in step with the store: increments, drift, both engines."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from commerce.analytics import Period, PrecisionLost, mirror_path
from tests.commerce.analytics.conftest import add_order

MARCH = Period(date(2024, 3, 1), date(2024, 3, 31))


def at(day):
    return datetime(2024, 3, day, 12, tzinfo=UTC)


def test_new_and_changed_orders_arrive_incrementally(tenant, open_analytics):
    first = add_order(tenant, at(2), [("A", 1, "10.00")])
    analytics = open_analytics(tenant)
    assert analytics.refresh().full

    add_order(tenant, at(3), [("A", 2, "10.00")])
    with tenant.transaction() as conn:
        conn.execute(
            """UPDATE orders SET status = 'refunded', refunded_total = 10,
                   updated_at = now() WHERE id = %s""",
            (first,),
        )
    stats = analytics.refresh()

    assert not stats.full and not stats.reconciled
    summary = analytics.summary(MARCH).current
    assert (summary.gross_sales, summary.refunds) == (Decimal(30), Decimal(10))
    assert analytics.refresh().orders == 0


def test_a_change_without_updated_at_is_reconciled(tenant, open_analytics):
    kept = add_order(tenant, at(2), [("A", 1, "10.00")])
    gone = add_order(tenant, at(3), [("B", 1, "4.00")])
    analytics = open_analytics(tenant)
    analytics.refresh()

    with tenant.transaction() as conn:
        # A refund that forgets updated_at, and an order removed outright
        # (as undoing an import does).
        conn.execute("UPDATE orders SET refunded_total = 2.5 WHERE id = %s", (kept,))
        conn.execute("DELETE FROM orders WHERE id = %s", (gone,))
    assert not analytics.refresh(check=False).reconciled
    stats = analytics.refresh(check=True)

    assert stats.reconciled
    summary = analytics.summary(MARCH).current
    assert (summary.gross_sales, summary.refunds, summary.orders) == (
        Decimal(10),
        Decimal("2.5"),
        1,
    )
    assert not analytics.refresh(check=True).reconciled


def test_both_engines_give_the_same_exact_figures(tenant, open_analytics):
    add_order(tenant, at(2), [("A", 3, "0.333333"), ("B", 1, "19.99")],
              email="a@example.com", country="GB")  # fmt: skip
    add_order(tenant, at(4), [("A", -1, "0.333333")], kind="return",
              status="refunded", refunded="0.333333")  # fmt: skip

    figures = []
    for engine in ("scanner", "copy"):
        analytics = open_analytics(tenant, engine_name=engine)
        assert analytics.puller.name == engine
        overview = analytics.overview(MARCH)
        figures.append((overview.summary, overview.breakdowns["country"].to_dict()))
    assert figures[0] == figures[1]
    assert figures[0][0].gross_sales == Decimal("20.989999")


def test_money_that_would_round_is_refused(tenant, open_analytics):
    add_order(tenant, at(2), [("A", 1, "1.0000001")])
    for engine in ("scanner", "copy"):
        with pytest.raises(PrecisionLost):
            open_analytics(tenant, engine_name=engine).refresh()


def test_a_persisted_mirror_is_reused_and_keyed_by_store(tenant, open_analytics):
    add_order(tenant, at(2), [("A", 1, "10.00")])
    first = open_analytics(tenant, persist=True)
    first.refresh()
    first.close()

    path = mirror_path(tenant.platform.config, tenant.id)
    assert path.name == f"{tenant.id}.duckdb" and path.exists()
    again = open_analytics(tenant, persist=True)
    assert not again.refresh().full
    assert again.summary(MARCH).current.orders == 1


def test_another_key_or_zone_rebuilds_the_mirror(tenant, open_analytics):
    add_order(tenant, at(2), [("A", 1, "10.00")], email="a@example.com")
    open_analytics(tenant, persist=True).close()

    again = open_analytics(tenant, persist=True, customer_key=b"z" * 32)
    assert again.refresh().full
