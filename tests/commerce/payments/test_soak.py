"""Soak: 5,000 deliveries, a fifth of them duplicates, a tenth out of order,
2% badly signed, and the store's database connections killed mid-run.

Afterwards every valid event has had its effect exactly once (each is a
one-cent refund, so the refunded totals count them) and every forged one was
refused. Senders behave like providers: a 503 (InboxUnavailable) is retried.
"""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from commerce.payments import InboxUnavailable, WebhookRejected, start_checkout
from tests.commerce.payments.conftest import STRIPE
from tests.commerce.payments.deliveries import body, stripe_headers

SECRET = STRIPE["webhook_secret"]
DELIVERIES = 5_000
ORDERS = 10


def refund_event(number, charge):
    refund = {"id": f"re_{number}", "object": "refund", "amount": 1, "currency": "usd",
              "charge": charge, "status": "succeeded",
              "metadata": {"note": f"remboursé n°{number}"}}  # fmt: skip
    return body(
        {"id": f"evt_{number}", "type": "refund.created", "data": {"object": refund}}
    )


def plan(rng):
    """The deliveries in sending order: (raw, valid) pairs."""
    duplicates, forged = DELIVERIES // 5, DELIVERIES * 2 // 100
    unique = DELIVERIES - duplicates - forged
    events = [refund_event(n, f"ch_{n % ORDERS}") for n in range(unique)]
    sends = [(raw, True) for raw in events]
    sends += [(rng.choice(events), True) for _ in range(duplicates)]
    sends += [(refund_event(10**6 + n, "ch_0"), False) for n in range(forged)]
    rng.shuffle(sends)
    # A tenth swapped with a later neighbour: duplicates may come first.
    for i in rng.sample(range(len(sends) - 5), len(sends) // 10):
        j = i + rng.randint(1, 5)
        sends[i], sends[j] = sends[j], sends[i]
    return sends, unique


def kill_store_connections(platform, tenant):
    with psycopg.connect(platform.primary_dsn, autocommit=True) as admin:
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = %s AND pid <> pg_backend_pid()",
            (tenant.store.role_name,),
        ).fetchone()[0]


def paid_orders(harness):
    """ORDERS paid orders, each charge ch_<n> known by its payment intent."""
    with harness.tenant.transaction() as conn:
        conn.execute("UPDATE stock_levels SET on_hand = 1000")
    for n in range(ORDERS):
        order = harness.order(10)
        start_checkout(harness.tenant, order.token, "stripe", harness.providers)
        session = harness.stripe.pay(f"cs_test_{n + 1}")
        raw = body({"id": f"evt_cs_{n}", "type": "checkout.session.completed",
                    "data": {"object": session}})  # fmt: skip
        harness.deliver("stripe", raw, stripe_headers(raw, SECRET))
        intent = {"id": session["payment_intent"], "object": "payment_intent",
                  "status": "succeeded", "amount": 10990, "amount_received": 10990,
                  "currency": "usd", "latest_charge": f"ch_{n}"}  # fmt: skip
        raw = body({"id": f"evt_pi_{n}", "type": "payment_intent.succeeded",
                    "data": {"object": intent}})  # fmt: skip
        harness.deliver("stripe", raw, stripe_headers(raw, SECRET))


@pytest.mark.slow
def test_soak(harness, platform):
    harness.configure("stripe")
    paid_orders(harness)
    sends, unique = plan(random.Random(5))
    counts = {"refused": 0, "retries": 0, "killed": 0}
    lock = threading.Lock()
    sent = iter(range(len(sends)))

    def deliver(item):
        raw, valid = item
        if next(sent) == len(sends) // 2:
            with lock:
                counts["killed"] += kill_store_connections(platform, harness.tenant)
        headers = stripe_headers(raw, SECRET if valid else "whsec_forged")
        for _ in range(50):
            try:
                harness.inbox.receive(harness.tenant, "stripe", raw, headers)
                return
            except WebhookRejected:
                with lock:
                    counts["refused"] += 1
                return
            except InboxUnavailable:
                with lock:
                    counts["retries"] += 1
                time.sleep(0.05)
        raise AssertionError("a delivery kept failing")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(deliver, sends))
    seconds = time.monotonic() - started

    refunds = harness.rows("refunds")
    events = harness.rows("payment_events", "type = 'refund.created'")
    orders = harness.rows("orders")
    print(f"\nsoak: {len(sends)} deliveries in {seconds:.1f}s, {counts}")
    assert counts["refused"] == DELIVERIES * 2 // 100
    assert counts["killed"] >= 1
    assert len(refunds) == len(events) == unique
    assert all(e["status"] == "applied" for e in events)
    assert sum(r["amount"] for r in refunds) == unique
    assert sum(int(o["refunded_total"] * 100) for o in orders) == unique
    assert {o["status"] for o in orders} == {"partially_refunded"}
