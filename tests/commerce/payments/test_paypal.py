"""PayPal: Orders v2 through ``paypal-server-sdk`` with its host overridden to
our stub, and deliveries signed with a certificate the stub serves."""

import json

from commerce.payments import reconcile_store, start_checkout
from tests.commerce.payments.conftest import PAYPAL
from tests.commerce.payments.deliveries import body

WEBHOOK_ID = PAYPAL["webhook_id"]


def event(kind, resource, event_id):
    return body({"id": event_id, "event_version": "1.0", "event_type": kind,
                 "resource_type": "checkout-order", "resource": resource})  # fmt: skip


def send(harness, signer, raw, **kwargs):
    return harness.deliver("paypal", raw, signer.headers(raw, WEBHOOK_ID, **kwargs))


def started(harness, quantity=1):
    harness.configure("paypal")
    order = harness.order(quantity)
    url = start_checkout(harness.tenant, order.token, "paypal", harness.providers)
    return order, url


def test_create_order_through_the_sdk(harness):
    order, url = started(harness)

    assert url == "https://www.sandbox.paypal.com/checkoutnow?token=PPO1"
    (sent,) = harness.stub.seen("POST", "/v2/checkout/orders")
    assert (
        sent.headers["paypal-request-id"]
        == f"checkout-{harness.tenant.id}-{order.id}-paypal"
    )
    assert sent.headers["authorization"] == "Bearer A21-token"
    unit = sent.json()["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "USD", "value": "10.99"}
    assert unit["custom_id"] == f"tenant_{harness.tenant.id}:order_{order.number}"


def test_an_approval_is_captured_and_the_capture_pays(harness, paypal_signer):
    order, _ = started(harness, 2)
    harness.paypal.approve("PPO1")
    approved = event(
        "CHECKOUT.ORDER.APPROVED", {"id": "PPO1", "status": "APPROVED"}, "WH-1"
    )
    capture = harness.paypal.orders["PPO1"]

    assert send(harness, paypal_signer, approved).status == "applied"
    completed = event(
        "PAYMENT.CAPTURE.COMPLETED",
        {**capture["purchase_units"][0]["payments"]["captures"][0],
         "supplementary_data": {"related_ids": {"order_id": "PPO1"}}},
        "WH-2",
    )  # fmt: skip
    assert (
        send(harness, paypal_signer, completed, transmission_id="tx-2").status
        == "applied"
    )
    assert (
        send(harness, paypal_signer, completed, transmission_id="tx-3").status
        == "duplicate"
    )

    assert harness.order_row(order.id)["status"] == "paid"
    assert harness.level() == (8, 0)
    assert len(harness.stub.seen("POST", r"/v2/checkout/orders/PPO1/capture")) == 1
    assert harness.fetched == [harness.fetched[0]]  # one certificate fetch


def test_a_refund_event_links_through_the_up_link(harness, paypal_signer):
    order, _ = started(harness)
    harness.paypal.approve("PPO1")
    send(
        harness, paypal_signer, event("CHECKOUT.ORDER.APPROVED", {"id": "PPO1"}, "WH-1")
    )
    up = "https://api.paypal.com/v2/payments/captures/CAPPPO1"
    refund = {
        "id": "RF1",
        "status": "COMPLETED",
        "amount": {"value": "4.00", "currency_code": "USD"},
        "links": [{"rel": "up", "href": up}],
    }

    send(harness, paypal_signer, event("PAYMENT.CAPTURE.REFUNDED", refund, "WH-3"))

    row = harness.order_row(order.id)
    assert (row["status"], str(row["refunded_total"])) == ("partially_refunded", "4.00")


def test_foreign_certificate_host_is_refused_without_fetching(harness, paypal_signer):
    started(harness)
    raw = event("CHECKOUT.ORDER.APPROVED", {"id": "PPO1"}, "WH-1")
    headers = paypal_signer.headers(
        raw, WEBHOOK_ID, cert_url="https://paypal.example.net/v1/notifications/certs/X"
    )

    assert harness.refused("paypal", raw, headers)
    assert harness.fetched == []
    assert harness.rows("payment_events") == []


def test_verify_by_api_sends_the_raw_bytes(harness, paypal_signer):
    harness.configure("paypal", verify_with="api")
    raw = b'{"id":"WH-9","event_type":"PAYMENT.CAPTURE.PENDING","amount":1.0,' \
          b'"resource":{"id":"C9","status":"PENDING"}}'  # fmt: skip

    assert (
        harness.deliver("paypal", raw, paypal_signer.headers(raw, WEBHOOK_ID)).status
        == "applied"
    )
    assert raw in harness.paypal.last_verify
    assert json.loads(harness.paypal.last_verify)["webhook_id"] == WEBHOOK_ID
    harness.paypal.verification = "FAILURE"
    assert harness.refused("paypal", raw, paypal_signer.headers(raw, WEBHOOK_ID))
    assert harness.fetched == []


def test_reconcile_captures_an_approved_order_without_a_webhook(harness):
    order, _ = started(harness)
    harness.paypal.approve("PPO1")

    report = reconcile_store(harness.tenant, harness.inbox)

    assert report.repaired == [order.number]
    assert harness.order_row(order.id)["payment_ref"] == "CAPPPO1"
