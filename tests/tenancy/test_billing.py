"""Billing through Clover, against a stub of Clover's APIs on 127.0.0.1."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from tenancy import billing, credits
from tenancy.clover_billing import BillingRefused
from tenancy.errors import ConfigError
from tests.tenancy.clover_billing_stub import MERCHANT, TOKEN

CARD = "clv_1TSTtestcard4242"
DECLINING_CARD = "clv_1TSTtestcard0002"


def mails(platform, kind, recipient):
    with platform.registry() as conn:
        return conn.execute(
            """SELECT subject, body_text FROM outbox
               WHERE kind = %s AND recipient = %s ORDER BY id""",
            (kind, recipient),
        ).fetchall()


def payments(platform, store_id):
    return billing.list_payments(platform, store_id)


def store_status(platform, store_id):
    return platform.store(store_id).status


def subscription_id(platform, store_id):
    with platform.registry() as conn:
        return conn.execute(
            "SELECT clover_subscription_id FROM subscriptions WHERE store_id = %s",
            (store_id,),
        ).fetchone()[0]


def owner(tenant):
    return f"owner-{tenant.store.slug}@example.com"


def test_subscribing_saves_the_card_and_starts_a_clover_subscription(
    platform, tenant, clover, clover_stub
):
    status = billing.subscribe(platform, tenant.id, "starter", clover=clover,
                               card_token=CARD)  # fmt: skip

    assert (status.plan, status.state) == ("starter", "active")
    assert status.card_hint == "VISA ending 4242"
    assert platform.store(tenant.id).plan == "starter"
    (sub,) = clover_stub.subscriptions.values()
    plan = clover_stub.plans[sub["planId"]]
    assert (plan["amount"], plan["interval"], plan["intervalCount"]) == (
        2900,
        "MONTH",
        1,
    )
    customer = clover_stub.customers[sub["customerId"]]
    assert customer["email"] == owner(tenant)

    # The card token is Clover's to keep; the registry holds ids and a hint.
    with platform.registry() as conn:
        row = conn.execute(
            "SELECT row_to_json(s)::text FROM subscriptions s WHERE store_id = %s",
            (tenant.id,),
        ).fetchone()[0]
    assert CARD not in row


def test_a_second_store_reuses_the_clover_plan(
    platform, make_store, clover, clover_stub
):
    first, second = make_store(), make_store()
    billing.subscribe(platform, first.id, "growth", clover=clover, card_token=CARD)
    billing.subscribe(platform, second.id, "growth", clover=clover, card_token=CARD)

    growth = [p for p in clover_stub.plans.values() if p["amount"] == 9900]
    assert len(growth) == 1


def test_paid_invoices_are_recorded_once_with_one_receipt(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    invoice = clover_stub.bill(subscription_id(platform, tenant.id))

    first = billing.poll(platform, clover=clover, force=True)
    again = billing.poll(platform, clover=clover, force=True)

    assert first.receipts >= 1 and tenant.id not in first.failed
    assert again.receipts == 0
    (paid,) = [p for p in payments(platform, tenant.id) if p.kind == "subscription"]
    assert (paid.clover_ref, str(paid.amount), paid.status) == (
        invoice["id"],
        "29.00",
        "paid",
    )
    (receipt,) = mails(platform, "billing_receipt", owner(tenant))
    assert "29.00 USD" in receipt[0] and invoice["id"] in receipt[1]


def test_a_failed_invoice_gives_notice_then_grace_then_suspension(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    sub = subscription_id(platform, tenant.id)
    clover_stub.bill(sub, paid=False, attempts=1)
    now = datetime.now(UTC)

    report = billing.poll(platform, clover=clover, now=now, force=True)
    assert report.past_due == [tenant.id]
    assert billing.status(platform, tenant.id).state == "past_due"
    assert store_status(platform, tenant.id) == "active"
    (notice,) = mails(platform, "billing_past_due", owner(tenant))
    assert "failed" in notice[0]

    # Still inside the grace period: the store stays open.
    billing.poll(platform, clover=clover, now=now + timedelta(days=3), force=True)
    assert store_status(platform, tenant.id) == "active"

    later = billing.poll(
        platform, clover=clover, now=now + timedelta(days=8), force=True
    )
    assert later.suspended == [tenant.id]
    assert billing.status(platform, tenant.id).state == "suspended"
    assert store_status(platform, tenant.id) == "suspended"
    assert mails(platform, "billing_suspended", owner(tenant))


def test_clovers_successful_retry_reopens_a_past_due_store(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    sub = subscription_id(platform, tenant.id)
    failing = clover_stub.bill(sub, paid=False, attempts=2)
    billing.poll(platform, clover=clover, force=True)
    assert billing.status(platform, tenant.id).state == "past_due"

    failing["status"], failing["failedAttempts"] = "PAID", 3
    report = billing.poll(platform, clover=clover, force=True)

    assert report.reactivated == [tenant.id]
    status = billing.status(platform, tenant.id)
    assert (status.state, status.past_due_since) == ("active", None)


def test_paying_with_a_new_card_reactivates_a_suspended_store(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    old = subscription_id(platform, tenant.id)
    clover_stub.bill(old, paid=False, attempts=5)
    clover_stub.deactivate(old)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)
    assert store_status(platform, tenant.id) == "suspended"

    status = billing.subscribe(platform, tenant.id, "starter", clover=clover,
                               card_token="clv_1TSTnewcard5555")  # fmt: skip

    assert (status.state, status.card_hint) == ("active", "VISA ending 5555")
    assert store_status(platform, tenant.id) == "active"
    assert old not in clover_stub.subscriptions
    assert subscription_id(platform, tenant.id) in clover_stub.subscriptions
    (settled,) = [p for p in payments(platform, tenant.id) if p.kind == "settlement"]
    assert (settled.status, str(settled.amount)) == ("paid", "29.00")
    assert mails(platform, "billing_receipt", owner(tenant))
    assert mails(platform, "billing_reactivated", owner(tenant))


def test_a_declined_card_leaves_a_suspended_store_closed(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    sub = subscription_id(platform, tenant.id)
    clover_stub.bill(sub, paid=False, attempts=5)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)

    with pytest.raises(BillingRefused, match="declined.*stays suspended"):
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=DECLINING_CARD)  # fmt: skip

    assert store_status(platform, tenant.id) == "suspended"
    assert billing.status(platform, tenant.id).state == "suspended"
    (failed,) = payments(platform, tenant.id)
    assert failed.status == "failed" and "declined" in failed.failure


def test_a_credit_pack_is_credited_once_per_payment(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    before = credits.get_balance(platform, tenant.id).purchased

    payment = billing.buy_credits(platform, tenant.id, "small", clover=clover)

    assert (payment.status, payment.credits, str(payment.amount)) == (
        "paid",
        500,
        "10.00",
    )
    assert credits.get_balance(platform, tenant.id).purchased == before + 500
    (charge,) = clover_stub.charges.values()
    assert (charge["amount"], charge["currency"]) == (1000, "usd")
    assert mails(platform, "billing_receipt", owner(tenant))


def test_a_charge_lost_in_a_crash_is_finished_once_by_polling(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    before = credits.get_balance(platform, tenant.id).purchased
    clover_stub.fail_after_charge = True  # Clover charged; we never heard.

    with pytest.raises(billing.BillingUnavailable):
        billing.buy_credits(platform, tenant.id, "large", clover=clover)
    (pending,) = payments(platform, tenant.id)
    assert pending.status == "pending"

    clover_stub.fail_after_charge = False
    later = datetime.now(UTC) + timedelta(minutes=5)
    reports = []
    threads = [
        threading.Thread(
            target=lambda: reports.append(
                billing.poll(platform, clover=clover, now=later)
            )
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(clover_stub.charges) == 1
    assert credits.get_balance(platform, tenant.id).purchased == before + 3000
    (paid,) = payments(platform, tenant.id)
    assert paid.status == "paid"
    assert len(mails(platform, "billing_receipt", owner(tenant))) == 1


def test_credit_packs_need_a_card_on_file(platform, tenant, clover):
    with pytest.raises(billing.BillingError, match="add a card first"):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)
    with pytest.raises(billing.BillingError, match="no credit pack"):
        billing.buy_credits(platform, tenant.id, "huge", clover=clover)


def test_an_invalid_card_token_is_refused_and_nothing_changes(platform, tenant, clover):
    before = platform.store(tenant.id).plan

    with pytest.raises(BillingRefused, match="Invalid card token"):
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token="clv_invalid")  # fmt: skip
    assert platform.store(tenant.id).plan == before


def test_moving_to_the_free_plan_stops_the_clover_subscription(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)

    status = billing.subscribe(platform, tenant.id, "free", clover=clover)

    assert (status.plan, status.state) == ("free", "active")
    assert clover_stub.subscriptions == {}


def test_changing_plans_leaves_one_subscription(platform, tenant, clover, clover_stub):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.subscribe(platform, tenant.id, "growth", clover=clover)

    (sub,) = clover_stub.subscriptions.values()
    assert clover_stub.plans[sub["planId"]]["amount"] == 9900
    assert platform.store(tenant.id).plan == "growth"


def test_cancelling_stops_billing_and_starts_the_retention_clock(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    now = datetime.now(UTC)

    store = billing.cancel_subscription(platform, tenant.id, clover=clover, now=now)

    assert clover_stub.subscriptions == {}
    assert (store.status, store.plan) == ("cancelled", "free")
    assert store.purge_after == now + timedelta(days=30)
    assert billing.status(platform, tenant.id).state == "cancelled"
    assert mails(platform, "cancellation_notice", owner(tenant))


def test_a_store_closed_elsewhere_is_never_charged_again(
    platform, tenant, clover, clover_stub
):
    from tenancy import lifecycle

    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    lifecycle.cancel_store(platform, tenant.id)

    billing.poll(platform, clover=clover, force=True)

    assert clover_stub.subscriptions == {}
    assert billing.status(platform, tenant.id).state == "cancelled"


def test_one_store_failing_does_not_stop_the_poll(
    platform, make_store, clover, clover_stub
):
    broken, fine = make_store(), make_store()
    billing.subscribe(platform, broken.id, "starter", clover=clover, card_token=CARD)
    billing.subscribe(platform, fine.id, "starter", clover=clover, card_token=CARD)
    clover_stub.stub.route(
        "GET",
        rf"/recurring/v1/subscriptions/{subscription_id(platform, broken.id)}",
        lambda request: (503, {"message": "unavailable"}),
    )
    clover_stub.bill(subscription_id(platform, fine.id))

    report = billing.poll(platform, clover=clover, force=True)

    assert "503" in report.failed[broken.id]
    assert fine.id not in report.failed
    assert [p.kind for p in payments(platform, fine.id)] == ["subscription"]


def test_billing_settings_are_checked_and_sealed(platform):
    with pytest.raises(ConfigError, match="unknown keys colour"):
        billing.configure_billing(platform, {"colour": "red"})
    with pytest.raises(ConfigError, match="private_token"):
        billing.configure_billing(platform, {"merchant_id": "M", "public_key": "p"})

    billing.configure_billing(platform, {
        "merchant_id": MERCHANT, "private_token": "secret-token-value",
        "public_key": "pakms-public", "api_base": "http://127.0.0.1:9",
    })  # fmt: skip

    with platform.registry() as conn:
        (sealed,) = conn.execute(
            "SELECT sealed FROM platform_secrets WHERE name = 'clover_billing'"
        ).fetchone()
    assert "secret-token-value" not in sealed
    form = billing.card_form(platform)
    assert form["public_key"] == "pakms-public"
    assert "private_token" not in form

    with platform.registry() as conn:
        conn.execute("DELETE FROM platform_secrets WHERE name = 'clover_billing'")


def test_a_plan_smaller_than_the_catalogue_is_refused(platform, tenant, clover):
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO locations (name)
               SELECT 'Shelf ' || n FROM generate_series(1, 3) n"""
        )

    with pytest.raises(billing.BillingError, match="allows 1 locations.*has 4"):
        billing.subscribe(platform, tenant.id, "free", clover=clover)
    billing.subscribe(platform, tenant.id, "growth", clover=clover, card_token=CARD)
    assert platform.store(tenant.id).plan == "growth"


def test_an_owners_data_download_holds_their_billing(
    platform, tenant, clover, clover_stub
):
    from tenancy.account_rights import export_account

    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.buy_credits(platform, tenant.id, "small", clover=clover)

    package = export_account(platform, tenant.store.account_id)

    (sub,) = package["billing"]
    assert (sub["plan"], sub["card_hint"]) == ("starter", "VISA ending 4242")
    (paid,) = package["payments"]
    assert (paid["kind"], paid["credits"]) == ("credit_pack", 500)
    assert TOKEN not in str(package) and CARD not in str(package)


def test_deleting_the_account_stops_the_subscription_at_the_next_poll(
    platform, tenant, clover, clover_stub
):
    from tenancy.account_rights import delete_account

    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.poll(platform, clover=clover, force=True)  # read just now

    delete_account(platform, tenant.store.account_id, immediately=False)
    billing.poll(platform, clover=clover)

    assert clover_stub.subscriptions == {}
