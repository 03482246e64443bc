"""Paid orders are counted in the registry's daily figures once, after commit."""

from commerce import checkout, privacy
from commerce.payments import start_checkout
from tests.commerce.payments.deliveries import stripe_headers
from tests.commerce.payments.test_stripe import SECRET, session_event


def daily(platform, store_id):
    with platform.registry() as conn:
        return conn.execute(
            """SELECT kind, currency, events, amount::text FROM usage_daily
               WHERE store_id = %s ORDER BY kind""",
            (store_id,),
        ).fetchall()


def test_a_manual_payment_counts_one_sale_however_often_it_is_paid(harness):
    order = harness.order(2)

    checkout.pay_manually(harness.tenant, order.token)
    checkout.pay_manually(harness.tenant, order.token)

    assert daily(harness.platform, harness.tenant.id) == [
        ("sale", harness.tenant.store.currency, 1, "21.9800")
    ]


def test_a_webhook_delivered_twice_counts_one_sale(harness):
    harness.configure("stripe")
    order = harness.order(1)
    start_checkout(harness.tenant, order.token, "stripe", harness.providers)
    raw = session_event(harness.stripe.pay("cs_test_1"))

    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))
    harness.deliver("stripe", raw, stripe_headers(raw, SECRET))

    assert daily(harness.platform, harness.tenant.id) == [
        ("sale", harness.tenant.store.currency, 1, "10.9900")
    ]


def test_an_order_never_paid_is_not_counted(harness):
    harness.order(1)

    assert daily(harness.platform, harness.tenant.id) == []


def test_a_privacy_request_is_counted_without_who_asked(harness):
    privacy.open_request(
        harness.tenant, "deletion", "shopper@example.com", "please", "10.1.2.3"
    )

    with harness.platform.registry() as conn:
        (detail,) = conn.execute(
            """SELECT detail::text FROM usage_events
               WHERE kind = 'privacy_request' AND store_id = %s""",
            (harness.tenant.id,),
        ).fetchone()
    assert detail == '{"request": "deletion"}'
