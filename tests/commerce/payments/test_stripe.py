"""Stripe through the official SDK against our stub, and signed deliveries."""

import json
import threading
from pathlib import Path

import pytest

from commerce.payments import start_checkout
from tests.commerce.payments.conftest import STRIPE
from tests.commerce.payments.deliveries import body, stripe_headers

SECRET = STRIPE["webhook_secret"]
EVENTS = Path(__file__).resolve().parents[3].parent / "shared/webhooks/stripe/events"


def session_event(session, event_id="evt_1", kind="checkout.session.completed"):
    return body({"id": event_id, "type": kind, "data": {"object": session}})


def test_checkout_goes_through_the_sdk_with_an_idempotency_key(harness):
    harness.configure("stripe")
    order = harness.order(2)

    url = start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    again = start_checkout(harness.tenant, order.token, "stripe", harness.providers)

    assert url == again == "https://checkout.stripe.com/c/pay/cs_test_1"
    (sent,) = harness.stub.seen("POST", "/v1/checkout/sessions")
    form = sent.form()
    assert (
        sent.headers["idempotency-key"]
        == f"checkout-{harness.tenant.id}-{order.id}-stripe"
    )
    assert form["line_items[0][price_data][unit_amount]"] == "1099"
    assert form["line_items[0][quantity]"] == "2"
    assert form["metadata[order_id]"] == f"order_{order.number}"
    assert (
        form["client_reference_id"]
        == f"tenant_{harness.tenant.id}:order_{order.number}"
    )


def test_a_paid_session_sells_the_reserved_units_once(harness):
    harness.configure("stripe")
    order = harness.order(2)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    raw = session_event(harness.stripe.pay("cs_test_1"))

    first = harness.deliver("stripe", raw, stripe_headers(raw, SECRET))
    second = harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    assert (first.status, second.status) == ("applied", "duplicate")
    row = harness.order_row(order.id)
    assert (row["status"], row["payment_provider"], row["payment_ref"]) == (
        "paid",
        "stripe",
        "pi_cs_test_1",
    )
    assert harness.level() == (8, 0)
    (event,) = harness.rows("payment_events")
    assert (event["status"], event["deliveries"], event["order_id"]) == (
        "applied",
        2,
        order.id,
    )
    assert bytes(event["body"]) == raw
    assert "stripe-signature" in event["headers"]


def test_two_deliveries_at_the_same_moment_have_one_effect(harness):
    harness.configure("stripe")
    order = harness.order(1)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    raw = session_event(harness.stripe.pay("cs_test_1"))
    headers = stripe_headers(raw, SECRET)
    start = threading.Barrier(4)
    results = []

    def deliver():
        start.wait()
        results.append(harness.deliver("stripe", raw, headers).status)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(results) == ["applied", "duplicate", "duplicate", "duplicate"]
    assert harness.level() == (9, 0)
    movements = harness.rows("stock_movements", "kind = 'sold'")
    assert len(movements) == 1
    assert harness.rows("payment_events")[0]["deliveries"] == 4


def test_the_return_page_settles_before_the_webhook(harness):
    from commerce.payments import confirm_return

    harness.configure("stripe")
    order = harness.order(1)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    harness.stripe.pay("cs_test_1")

    after = confirm_return(harness.tenant, order.token, "stripe", harness.providers)
    raw = session_event(harness.stripe.sessions["cs_test_1"])
    late = harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    assert after.status == "paid"
    assert late.status == "applied"
    assert len(harness.rows("stock_movements", "kind = 'sold'")) == 1


def test_refunds_partial_then_full_with_restock(harness):
    from commerce.payments import refund_order, set_restock_on_refund

    harness.configure("stripe")
    set_restock_on_refund(harness.tenant, True)
    order = harness.order(2)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    raw = session_event(harness.stripe.pay("cs_test_1"))
    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    from decimal import Decimal

    refund_order(harness.tenant, order.id, harness.providers, amount=Decimal("5.00"))
    partial = harness.order_row(order.id)
    refund_order(harness.tenant, order.id, harness.providers)
    full = harness.order_row(order.id)

    assert (partial["status"], partial["refunded_total"]) == (
        "partially_refunded",
        Decimal("5"),
    )
    assert (full["status"], full["refunded_total"]) == ("refunded", Decimal("21.98"))
    assert harness.level() == (10, 0)
    sent = [r.form()["amount"] for r in harness.stub.seen("POST", "/v1/refunds")]
    assert sent == ["500", "1698"]


def test_the_shared_event_bodies_apply_in_any_order(harness):
    """The five events of /work/shared, with our store's id put in, reversed."""
    harness.configure("stripe")
    order = harness.order(1)  # the first order of a store is number 1001
    assert order.number == "1001"
    with harness.tenant.transaction() as conn:
        conn.execute("UPDATE orders SET total = 10.99 WHERE id = %s", (order.id,))
    names = [
        "checkout.session.completed",
        "payment_intent.succeeded",
        "charge.refunded",
        "refund.created",
        "charge.dispute.created",
    ]
    raws = [
        (EVENTS / f"derived.{name}.json")
        .read_bytes()
        .replace(b"tenant_42", f"tenant_{harness.tenant.id}".encode())
        for name in names
    ]

    results = [
        harness.deliver("stripe", raw, stripe_headers(raw, SECRET))
        for raw in reversed(raws)
    ]

    assert all(r.status == "applied" for r in results)
    row = harness.order_row(order.id)
    assert row["status"] == "partially_refunded"
    assert str(row["refunded_total"]) == "1.00"
    statuses = {e["type"]: e["status"] for e in harness.rows("payment_events")}
    assert statuses["charge.dispute.created"] == "flagged"
    (dispute,) = harness.rows("disputes")
    assert dispute["order_id"] == order.id


@pytest.mark.parametrize("name", ["checkout.session.completed", "charge.refunded"])
def test_the_shared_bodies_as_they_are_name_another_store(harness, name):
    harness.configure("stripe")
    raw = (EVENTS / f"derived.{name}.json").read_bytes()

    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    (event,) = harness.rows("payment_events")
    assert event["status"] == "flagged"
    assert json.loads(bytes(event["body"]))["type"] == name
