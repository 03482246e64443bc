"""The inbox's promises, shown with Stripe deliveries: nothing forged is kept,
nothing verified is lost, each event has its effect once and in any order."""

from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest

from commerce import checkout
from commerce.payments import (
    InboxUnavailable,
    ProviderNotConfigured,
    UnknownProvider,
    configure_provider,
    start_checkout,
)
from tests.commerce.payments.conftest import STRIPE
from tests.commerce.payments.deliveries import body, stripe_headers

SECRET = STRIPE["webhook_secret"]


def intent(order, status="succeeded", amount=1099, event_id="evt_pi", **extra):
    obj = {
        "id": "pi_1",
        "object": "payment_intent",
        "status": status,
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": "usd",
        "metadata": {"order_id": f"order_{order.number}"} if order else {},
        **extra,
    }
    kind = {"succeeded": "payment_intent.succeeded"}.get(
        status, "payment_intent.processing"
    )
    if status == "failed":
        obj["status"], kind = "requires_payment_method", "payment_intent.payment_failed"
    return body({"id": event_id, "type": kind, "data": {"object": obj}})


def charge_refunded(refunded, event_id="evt_ch"):
    obj = {
        "id": "ch_1",
        "object": "charge",
        "status": "succeeded",
        "paid": True,
        "payment_intent": "pi_1",
        "amount_refunded": refunded,
        "currency": "usd",
    }
    return body({"id": event_id, "type": "charge.refunded", "data": {"object": obj}})


def send(harness, raw, **kwargs):
    return harness.deliver("stripe", raw, stripe_headers(raw, SECRET, **kwargs))


def test_forged_or_damaged_deliveries_leave_no_trace(harness):
    harness.configure("stripe")
    order = harness.order()
    raw = intent(order)
    good = stripe_headers(raw, SECRET)

    assert harness.refused("stripe", raw + b" ", good)
    assert harness.refused("stripe", raw.replace(b'"usd"', b'"eur"'), good)
    assert harness.refused("stripe", raw, stripe_headers(raw, "whsec_wrong"))
    assert harness.refused("stripe", raw, {})
    assert harness.refused("stripe", raw, stripe_headers(raw, SECRET, timestamp=1))
    assert harness.rows("payment_events") == []
    assert harness.order_row(order.id)["status"] == "pending"


def test_unknown_and_disabled_providers(harness):
    with pytest.raises(UnknownProvider):
        harness.deliver("bitcoin", b"{}", {})
    with pytest.raises(ProviderNotConfigured):
        harness.deliver("square", b"{}", {})


def test_a_payment_for_no_order_is_kept_and_flagged(harness):
    harness.configure("stripe")
    with harness.tenant.transaction() as conn:
        conn.execute(
            "INSERT INTO store_settings (key, value) VALUES ('contact_email', %s)",
            ('"owner@tea.example"',),
        )

    send(harness, intent(None, event_id="evt_orphan"))

    (event,) = harness.rows("payment_events")
    assert (event["status"], event["order_id"]) == ("flagged", None)
    (payment,) = harness.rows("payments")
    assert (payment["payment_ref"], payment["order_id"]) == ("pi_1", None)
    (mail,) = harness.rows("outbox", "kind = 'payment_flagged'")
    assert mail["recipient"] == "owner@tea.example"


def test_a_short_payment_does_not_complete_the_order(harness):
    harness.configure("stripe")
    order = harness.order()

    send(harness, intent(order, amount=1000))

    assert harness.order_row(order.id)["status"] == "pending"
    assert harness.rows("payment_events")[0]["status"] == "flagged"
    assert harness.level() == (10, 1)


def test_a_payment_after_expiry_is_flagged(harness):
    harness.configure("stripe")
    order = harness.order()
    checkout.expire_reservations(
        harness.tenant, order.expires_at + timedelta(seconds=1)
    )

    send(harness, intent(order))

    assert harness.order_row(order.id)["status"] == "expired"
    assert "paid after" in harness.rows("payment_events")[0]["note"]
    assert harness.level() == (10, 0)


def test_out_of_order_refund_before_payment_and_failure_after_success(harness):
    harness.configure("stripe")
    order = harness.order(2)
    total = 2198

    send(harness, charge_refunded(500, event_id="evt_r1"))
    send(harness, charge_refunded(300, event_id="evt_r0"))  # older, arrives later
    send(harness, intent(order, amount=total, event_id="evt_ok", latest_charge="ch_1"))
    send(harness, intent(order, status="failed", amount=total, event_id="evt_fail"))

    row = harness.order_row(order.id)
    assert (row["status"], str(row["refunded_total"])) == ("partially_refunded", "5.00")
    assert harness.rows("payments")[0]["status"] == "succeeded"
    assert harness.level() == (8, 0)


@contextmanager
def failing_database():
    raise psycopg.OperationalError("the server closed the connection")
    yield  # pragma: no cover


class BrokenTenant:
    """The store, with its database gone."""

    def __init__(self, tenant):
        self._tenant = tenant
        self.id, self.store, self.platform = tenant.id, tenant.store, tenant.platform

    def transaction(self):
        return failing_database()

    connection = transaction


def test_a_database_failure_keeps_nothing_and_the_retry_applies(harness):
    harness.configure("stripe")
    order = harness.order()
    raw = intent(order)
    headers = stripe_headers(raw, SECRET)

    with pytest.raises(InboxUnavailable):
        harness.inbox.receive(BrokenTenant(harness.tenant), "stripe", raw, headers)
    assert harness.rows("payment_events") == []

    assert harness.deliver("stripe", raw, headers).status == "applied"
    assert harness.order_row(order.id)["status"] == "paid"


def test_a_verified_body_we_cannot_read_is_kept_and_flagged(harness):
    harness.configure("stripe")
    raw = "not json, but signed: é".encode()

    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    (event,) = harness.rows("payment_events")
    assert (event["type"], event["status"]) == ("unparsed", "flagged")


def test_a_secret_changed_a_moment_ago_and_the_one_it_replaced(harness, platform):
    harness.configure("stripe")
    order = harness.order()
    harness.providers.get(harness.tenant.id, "stripe")  # cached with the old secret
    harness.monotonic.now += 2
    configure_provider(
        platform,
        harness.tenant.id,
        "stripe",
        {**STRIPE, "webhook_secret": "whsec_new_one"},
    )
    raw_new, raw_old = (
        intent(order, event_id="evt_new"),
        intent(order, event_id="evt_old"),
    )

    harness.deliver("stripe", raw_new, stripe_headers(raw_new, "whsec_new_one"))
    harness.deliver("stripe", raw_old, stripe_headers(raw_old, SECRET))

    assert [e["status"] for e in harness.rows("payment_events")] == [
        "applied",
        "applied",
    ]


def test_zero_decimal_currency(jpy_harness):
    harness = jpy_harness
    harness.configure("stripe")
    order = harness.order(2)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    (sent,) = harness.stub.seen("POST", "/v1/checkout/sessions")
    assert sent.form()["line_items[0][price_data][unit_amount]"] == "1500"
    assert sent.form()["line_items[0][price_data][currency]"] == "jpy"

    session = harness.stripe.pay("cs_test_1")
    raw = body({"id": "evt_jpy", "type": "checkout.session.completed",
                "data": {"object": session}})  # fmt: skip
    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    assert session["amount_total"] == 3000
    assert harness.order_row(order.id)["status"] == "paid"
    assert harness.rows("payments")[0]["amount"] == 3000
