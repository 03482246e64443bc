"""Square through the official ``squareup`` SDK against our stub."""

from commerce.payments import reconcile_store, refund_order, start_checkout
from tests.commerce.payments.conftest import SQUARE
from tests.commerce.payments.deliveries import body, square_headers

KEY, URL = SQUARE["signature_key"], SQUARE["notification_url"]


def event(kind, obj, event_id):
    name = kind.split(".")[0]
    return body({
        "merchant_id": "M1", "type": kind, "event_id": event_id,
        "created_at": "2026-01-01T00:00:00Z",
        "data": {"type": name, "id": obj["id"], "object": {name: obj}},
    })  # fmt: skip


def send(harness, raw, url=URL):
    return harness.deliver("square", raw, square_headers(raw, KEY, url))


def paid_order(harness, quantity=1):
    harness.configure("square")
    order = harness.order(quantity)
    url = start_checkout(harness.tenant, order.token, "square", harness.providers)
    return order, url


def test_payment_link_and_a_completed_payment(harness):
    order, url = paid_order(harness, 2)
    payment = harness.square.pay("PL1", 2198)

    assert url == "https://square.link/u/PL1"
    (sent,) = harness.stub.seen("POST", "/v2/online-checkout/payment-links")
    request = sent.json()
    assert (
        request["idempotency_key"] == f"checkout-{harness.tenant.id}-{order.id}-square"
    )
    assert request["order"]["location_id"] == "L1"
    assert request["order"]["line_items"][0]["base_price_money"] == {
        "amount": 1099,
        "currency": "USD",
    }
    assert send(harness, event("payment.updated", payment, "e1")).status == "applied"
    assert harness.order_row(order.id)["status"] == "paid"
    assert harness.level() == (8, 0)


def test_wrong_notification_url_or_key_is_refused(harness):
    order, _ = paid_order(harness)
    raw = event("payment.updated", harness.square.pay("PL1", 1099), "e1")

    assert harness.refused("square", raw, square_headers(raw, KEY, URL + "/"))
    assert harness.refused(
        "square",
        raw,
        square_headers(raw, KEY, "http://tea.example.com/webhooks/square"),
    )
    assert harness.refused("square", raw, square_headers(raw, "other-key", URL))
    assert harness.refused("square", raw, {})
    assert harness.rows("payment_events") == []
    assert harness.order_row(order.id)["status"] == "pending"


def test_refund_before_payment_and_a_dispute(harness):
    order, _ = paid_order(harness, 2)
    payment = harness.square.pay("PL1", 2198)
    refund = {"id": "R1", "status": "COMPLETED", "payment_id": payment["id"],
              "amount_money": {"amount": 2198, "currency": "USD"}}  # fmt: skip
    dispute = {"id": "D1", "state": "EVIDENCE_REQUIRED", "reason": "NOT_AS_DESCRIBED",
               "amount_money": {"amount": 2198, "currency": "USD"},
               "disputed_payment": {"payment_id": payment["id"]}}  # fmt: skip

    send(harness, event("refund.updated", refund, "e-refund"))
    send(harness, event("payment.updated", payment, "e-pay"))
    raw = body(
        {
            "type": "dispute.created",
            "event_id": "e-dispute",
            "data": {"type": "dispute", "object": {"object": dispute}},
        }
    )
    send(harness, raw)

    row = harness.order_row(order.id)
    assert (row["status"], str(row["refunded_total"])) == ("refunded", "21.98")
    assert harness.level() == (8, 0)  # the owner did not choose to restock
    (flag,) = harness.rows("payment_events", "status = 'flagged'")
    assert flag["type"] == "dispute.created"


def test_reconcile_repairs_an_order_whose_webhook_never_came(harness):
    order, _ = paid_order(harness)
    harness.square.pay("PL1", 1099)
    harness.square.payments["POS-1"] = {"id": "POS-1", "status": "COMPLETED",
        "amount_money": {"amount": 500, "currency": "USD"}}  # fmt: skip

    report = reconcile_store(harness.tenant, harness.inbox)

    assert report.repaired == [order.number]
    assert harness.order_row(order.id)["status"] == "paid"
    assert [p["payment_ref"] for p in harness.rows("payments")] == ["SQPPL1"]
    assert reconcile_store(harness.tenant, harness.inbox).repaired == []


def test_refund_through_the_sdk(harness):
    order, _ = paid_order(harness)
    send(harness, event("payment.updated", harness.square.pay("PL1", 1099), "e1"))

    refund_order(harness.tenant, order.id, harness.providers)

    (sent,) = harness.stub.seen("POST", "/v2/refunds")
    assert sent.json()["amount_money"] == {"amount": 1099, "currency": "USD"}
    assert harness.order_row(order.id)["status"] == "refunded"
