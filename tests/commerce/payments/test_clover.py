"""Clover: Hosted Checkout over HTTP, its signed webhooks, app notifications
and the set-up handshake."""

import uuid

from commerce.payments import provider_summary, start_checkout
from tests.commerce.payments.conftest import CLOVER
from tests.commerce.payments.deliveries import body, clover_headers

SECRET, AUTH = CLOVER["webhook_secret"], CLOVER["auth_code"]


def hosted(payment_id, session, status="APPROVED", merchant="MID1"):
    return body({"createdTime": 1, "message": "Approved for 1099", "status": status,
                 "type": "PAYMENT", "id": payment_id, "merchantId": merchant,
                 "data": session})  # fmt: skip


def started(harness):
    harness.configure("clover")
    order = harness.order()
    url = start_checkout(harness.tenant, order.token, "clover", harness.providers)
    return order, url


def test_hosted_checkout_and_its_signed_webhook(harness):
    order, url = started(harness)
    harness.clover.pay("PAY1", 1099)
    raw = hosted("PAY1", "CS1")

    assert url.endswith("/checkout/CS1")
    (sent,) = harness.stub.seen("POST", "/invoicingcheckoutservice/v1/checkouts")
    assert sent.headers["authorization"] == f"Bearer {CLOVER['api_token']}"
    assert sent.headers["x-clover-merchant-id"] == "MID1"
    assert sent.json()["shoppingCart"]["lineItems"][0]["price"] == 1099
    assert (
        harness.deliver("clover", raw, clover_headers(raw, SECRET)).status == "applied"
    )
    assert (
        harness.deliver("clover", raw, clover_headers(raw, SECRET)).status
        == "duplicate"
    )
    assert harness.order_row(order.id)["status"] == "paid"
    assert harness.rows("payment_checkouts")[0]["provider_order_ref"] == "COPAY1"
    assert harness.refused("clover", raw, clover_headers(raw, "wrong-secret"))


def test_app_notifications_fan_out_and_fetch_the_payment(harness):
    order, _ = started(harness)
    harness.clover.pay("PAY1", 1099)
    raw = hosted("PAY1", "CS1")
    harness.deliver("clover", raw, clover_headers(raw, SECRET))
    update = {"objectId": "P:PAY1", "type": "UPDATE", "ts": 5}
    notice = body({"appId": "APP", "merchants": {
        "MID1": [update, update, {"objectId": "O:X", "type": "CREATE", "ts": 6}],
        "OTHER": [{"objectId": "P:Z", "type": "CREATE", "ts": 7}]}})  # fmt: skip

    assert harness.refused("clover", notice, {"X-Clover-Auth": "nope"})
    harness.deliver("clover", notice, {"X-Clover-Auth": AUTH})

    statuses = sorted((e["type"], e["status"]) for e in harness.rows("payment_events"))
    assert statuses == [
        ("app.O.create", "ignored"),
        ("app.P.create", "ignored"),
        ("app.P.update", "applied"),
        ("hosted_checkout.payment", "applied"),
    ]
    assert harness.order_row(order.id)["status"] == "paid"


def test_an_api_outage_keeps_the_event_for_later(harness):
    order, _ = started(harness)
    raw = hosted("PAY1", "CS1")  # the stub does not know PAY1 yet: a 404

    assert (
        harness.deliver("clover", raw, clover_headers(raw, SECRET)).status == "recorded"
    )
    assert harness.rows("payment_events")[0]["status"] == "received"
    harness.clover.pay("PAY1", 1099)

    assert harness.inbox.drain(harness.tenant) == 1
    assert harness.order_row(order.id)["status"] == "paid"


def test_the_verification_handshake_is_shown_to_the_owner(harness, platform):
    code = str(uuid.uuid4())
    raw = body({"verificationCode": code})

    assert harness.deliver("clover", raw, {}).status == "handshake"
    assert harness.rows("payment_events") == []
    assert (
        provider_summary(platform, harness.tenant.id)["clover_verification"]["code"]
        == code
    )
    harness.configure("clover")
    assert harness.refused("clover", body({"verificationCode": "not-a-code"}), {})
    assert harness.refused("clover", body({"verificationCode": code, "x": 1}), {})
