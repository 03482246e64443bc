# ruff: noqa: F811  (fixtures imported from tests.admin_app.conftest)
"""Attacks on billing through Clover, against the stub Clover on 127.0.0.1.

Each test is an attack: a double charge, a subscription left billing, a
state that lets a store run unpaid or reopens one staff closed, a bad answer
from Clover, a forged form. They all hold.
"""

import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from admin_app.runtime import SESSION_COOKIE
from commerce import catalogue
from commerce.limits import PlanLimitReached
from tenancy import billing, credits, lifecycle
from tenancy.clover_billing import (
    BillingError,
    BillingRefused,
    BillingUnavailable,
    cents,
)
from tests.admin_app.conftest import (  # noqa: F401  (fixtures)
    admin,
    asgi_app,
    browser,
    http,
    other_owner,
    owner,
)
from tests.commerce.payments.stubs import Stub
from tests.tenancy.clover_billing_stub import (
    TOKEN,
    client_for,
)

CARD = "clv_1TSTtestcard4242"
SUBSCRIBE = r"/recurring/v1/plans/([A-Za-z0-9]+)/subscriptions"
SUB = r"/recurring/v1/subscriptions/([A-Za-z0-9]+)"
HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- fixtures --------


def sub_id(platform, store_id):
    with platform.registry() as conn:
        return conn.execute(
            "SELECT clover_subscription_id FROM subscriptions WHERE store_id = %s",
            (store_id,),
        ).fetchone()[0]


def payments(platform, store_id):
    return billing.list_payments(platform, store_id)


def purchased(platform, store_id):
    return credits.get_balance(platform, store_id).purchased


def suspend_by_billing(platform, tenant, clover, clover_stub):
    """Subscribe, fail five times, wait out the grace: billing suspends."""
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    sub = sub_id(platform, tenant.id)
    clover_stub.bill(sub, paid=False, attempts=5)
    clover_stub.deactivate(sub)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)
    assert platform.store(tenant.id).status == "suspended"
    return sub


# == FAILURES ===================================================================

# -- orphaned subscriptions: charged monthly and known to nobody ----------------


def test_concurrent_subscribe_leaves_one_clover_subscription(
    platform, tenant, clover, clover_stub
):
    billing.sync_plans(platform, clover)
    second_done = threading.Event()

    def slow_subscribe(request):
        # Hold the first call at Clover until the second has been answered.
        second_done.wait(timeout=10)
        return clover_stub.subscribe(request)

    clover_stub.stub.route("POST", SUBSCRIBE, slow_subscribe)
    errors = []

    def go():
        client = client_for(clover_stub.stub.url)
        try:
            billing.subscribe(platform, tenant.id, "starter", clover=client,
                              card_token=CARD)  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            second_done.set()
        finally:
            client.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [type(e) for e in errors] == [billing.BillingBusy]
    assert set(clover_stub.subscriptions) == {sub_id(platform, tenant.id)}


def test_a_lost_answer_to_create_subscription_does_not_leave_two(
    platform, tenant, clover, clover_stub
):
    lose = {"once": True}

    def created_then_lost(request):
        status, body = clover_stub.subscribe(request)
        if lose.pop("once", False):
            return 503, {"message": "Service Unavailable"}
        return status, body

    clover_stub.stub.route("POST", SUBSCRIBE, created_then_lost)
    with pytest.raises(BillingUnavailable):
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
    billing.subscribe(platform, tenant.id, "starter", clover=clover)

    assert len(clover_stub.subscriptions) == 1, clover_stub.subscriptions


def test_a_new_card_on_the_same_plan_does_not_start_a_new_billing_period(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.subscribe(platform, tenant.id, "starter", clover=clover,
                      card_token="clv_1TSTnewcard5555")  # fmt: skip
    billing.subscribe(platform, tenant.id, "starter", clover=clover)

    made = clover_stub.stub.seen("POST", SUBSCRIBE)
    restarted = [r.json() for r in made[1:] if "startDate" not in r.json()]
    assert restarted == [], (
        f"{len(made)} subscriptions made, {len(restarted)} start now"
    )


def test_paying_now_does_not_bill_the_period_twice(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.bill(sub_id(platform, tenant.id), paid=False, attempts=1)
    billing.poll(platform, clover=clover, force=True)
    assert billing.status(platform, tenant.id).state == "past_due"

    billing.subscribe(platform, tenant.id, "starter", clover=clover)

    assert [p.kind for p in payments(platform, tenant.id)] == ["settlement"]
    (_, new) = clover_stub.stub.seen("POST", SUBSCRIBE)
    assert "startDate" in new.json(), new.json()


def test_a_settlement_is_not_charged_twice_when_the_subscription_step_fails(
    platform, tenant, clover, clover_stub
):
    suspend_by_billing(platform, tenant, clover, clover_stub)
    fail = {"once": True}

    def flaky(request):
        if fail.pop("once", False):
            return 503, {"message": "Service Unavailable"}
        return clover_stub.subscribe(request)

    clover_stub.stub.route("POST", SUBSCRIBE, flaky)
    with pytest.raises(BillingUnavailable):
        billing.subscribe(platform, tenant.id, "starter", clover=clover)
    # The owner was charged; what does the store look like now?
    paid = [p for p in payments(platform, tenant.id) if p.status == "paid"]
    assert [p.kind for p in paid] == ["settlement"]

    billing.subscribe(platform, tenant.id, "starter", clover=clover)

    assert len(clover_stub.charges) == 1, "the settlement was charged twice"


def test_a_paid_store_whose_subscription_failed_is_subscribed_by_the_poll(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.bill(sub_id(platform, tenant.id), paid=False, attempts=1)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    clover_stub.stub.route(
        "POST", SUBSCRIBE, lambda request: (503, {"message": "Service Unavailable"})
    )
    with pytest.raises(BillingUnavailable):
        billing.subscribe(platform, tenant.id, "starter", clover=clover)
    # The period was paid, so the store is paid up, but nothing bills it yet.
    assert billing.status(platform, tenant.id).state == "active"
    assert sub_id(platform, tenant.id) is None

    down = billing.poll(platform, clover=clover, now=now, force=True)
    assert tenant.id in down.failed
    clover_stub.stub.route("POST", SUBSCRIBE, clover_stub.subscribe)
    billing.poll(platform, clover=clover, now=now + timedelta(hours=2), force=True)

    made = clover_stub.subscriptions[sub_id(platform, tenant.id)]
    assert made["planId"] in clover_stub.plans
    (sent,) = [r for r in clover_stub.stub.seen("POST", SUBSCRIBE)
               if r.json().get("startDate")][-1:]  # fmt: skip
    assert sent.json()["startDate"] > now.isoformat()


def test_a_subscription_gone_at_clover_does_not_keep_the_paid_plan(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "growth", clover=clover, card_token=CARD)
    clover_stub.subscriptions.clear()  # gone at Clover
    now = datetime.now(UTC)

    for day in (0, 8, 30):
        billing.poll(platform, clover=clover, now=now + timedelta(days=day),
                     force=True)  # fmt: skip

    assert billing.status(platform, tenant.id).state != "active"


# -- state machine --------


def test_billing_does_not_lift_a_staff_suspension(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    lifecycle.suspend_store(platform, tenant.id, actor="staff:1", reason="fraud")
    sub = sub_id(platform, tenant.id)
    failing = clover_stub.bill(sub, paid=False, attempts=2)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)
    assert billing.status(platform, tenant.id).state == "suspended"

    failing["status"] = "PAID"  # Clover's retry succeeds
    billing.poll(platform, clover=clover, now=now + timedelta(days=9), force=True)

    assert platform.store(tenant.id).status == "suspended", "staff suspension lifted"


def test_paying_now_does_not_lift_a_staff_suspension(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    lifecycle.suspend_store(platform, tenant.id, actor="staff:1", reason="fraud")
    sub = sub_id(platform, tenant.id)
    clover_stub.bill(sub, paid=False, attempts=5)
    clover_stub.deactivate(sub)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)

    billing.subscribe(platform, tenant.id, "starter", clover=clover)

    assert platform.store(tenant.id).status == "suspended", "staff suspension lifted"


def test_a_plan_change_during_a_poll_waits_for_it(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    refused = []

    def invoices_then_owner_downgrades(request):
        answer = clover_stub.list_invoices(request)
        if not refused:
            owner_client = client_for(clover_stub.stub.url)
            try:
                billing.subscribe(platform, tenant.id, "free", clover=owner_client)
            except billing.BillingBusy as exc:
                refused.append(exc)
            finally:
                owner_client.close()
        return answer

    clover_stub.stub.route("GET", SUB + "/invoices", invoices_then_owner_downgrades)
    billing.poll(platform, clover=clover, force=True)

    assert refused, "the owner's change ran inside the poll"
    assert platform.store(tenant.id).plan == "starter"
    assert billing.subscribe(platform, tenant.id, "free", clover=clover).plan == "free"


def test_a_reactivated_store_is_not_left_cancelled_in_billing(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.cancel_subscription(platform, tenant.id, clover=clover)

    lifecycle.resume_store(platform, tenant.id, actor="owner")

    assert platform.store(tenant.id).status == "active"
    assert billing.status(platform, tenant.id).state != "cancelled"


# -- one-off charges ------------------------------------------------------------------


def test_a_refused_pack_is_not_charged_later_by_the_poll(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    refuse = {"once": True}

    def refuse_once(request):
        if refuse.pop("once", False):
            return 402, {"error": {"code": "insufficient_funds",
                                   "message": "Insufficient funds"}}  # fmt: skip
        return clover_stub.charge(request)

    clover_stub.stub.route("POST", r"/v1/charges", refuse_once)
    with pytest.raises(BillingRefused, match="Insufficient funds"):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)

    billing.poll(platform, clover=clover,
                 now=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    assert clover_stub.charges == {}, "charged after the owner was told no"
    assert [p.status for p in payments(platform, tenant.id)] == ["failed"]


def test_retrying_after_a_lost_answer_does_not_charge_twice(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.fail_after_charge = True
    with pytest.raises(BillingUnavailable):
        billing.buy_credits(platform, tenant.id, "large", clover=clover)
    clover_stub.fail_after_charge = False

    billing.buy_credits(platform, tenant.id, "large", clover=clover)  # owner retries
    billing.poll(platform, clover=clover,
                 now=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    assert len(clover_stub.charges) == 1, f"{len(clover_stub.charges)} charges"


def test_a_pending_pack_of_a_closed_store_is_not_charged(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    down = {"once": True}

    def down_once(request):
        if down.pop("once", False):
            return 503, {"message": "Service Unavailable"}  # nothing charged
        return clover_stub.charge(request)

    clover_stub.stub.route("POST", r"/v1/charges", down_once)
    with pytest.raises(BillingUnavailable):
        billing.buy_credits(platform, tenant.id, "large", clover=clover)
    billing.cancel_subscription(platform, tenant.id, clover=clover)
    lifecycle.delete_store(platform, tenant.id)

    billing.poll(platform, clover=clover,
                 now=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    assert clover_stub.charges == {}, "a deleted store's owner was charged 50 USD"


def test_buy_credits_returns_its_own_payment(platform, tenant, clover, clover_stub):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.bill(sub_id(platform, tenant.id))

    def charge_while_the_poll_runs(request):
        answer = clover_stub.charge(request)
        poller = client_for(clover_stub.stub.url)
        try:
            billing.poll(platform, clover=poller, force=True)
        finally:
            poller.close()
        return answer

    clover_stub.stub.route("POST", r"/v1/charges", charge_while_the_poll_runs)
    payment = billing.buy_credits(platform, tenant.id, "small", clover=clover)

    assert (payment.kind, payment.credits) == ("credit_pack", 500), payment


# -- Clover answering garbage --------


GARBAGE_INVOICES = {
    "failed_attempts_text": {"elements": [{"id": "INV1", "status": "OPEN",
                                           "failedAttempts": "many"}]},
    "amount_null": {"elements": [{"id": "INV1", "status": "PAID", "amount": None}]},
    "elements_not_a_list": {"elements": {"id": "INV1"}},
    "element_not_an_object": {"elements": ["INV1"]},
    "amount_too_large": {"elements": [{"id": "INV1", "status": "PAID",
                                       "amount": 10**16, "currency": "USD",
                                       "createdTime": "x"}]},
    "body_is_a_list": [],
}  # fmt: skip


@pytest.mark.parametrize("garbage", sorted(GARBAGE_INVOICES))
def test_garbage_invoices_fail_one_store_not_the_poll(
    platform, make_store, clover, clover_stub, garbage
):
    bad, fine = make_store(), make_store()
    billing.subscribe(platform, bad.id, "starter", clover=clover, card_token=CARD)
    billing.subscribe(platform, fine.id, "starter", clover=clover, card_token=CARD)
    clover_stub.stub.route(
        "GET",
        rf"/recurring/v1/subscriptions/{sub_id(platform, bad.id)}/invoices",
        lambda request: (200, GARBAGE_INVOICES[garbage]),
    )
    clover_stub.bill(sub_id(platform, fine.id))

    report = billing.poll(platform, clover=clover, force=True)

    assert bad.id in report.failed
    assert [p.kind for p in payments(platform, fine.id)] == ["subscription"]


def test_garbage_from_clover_does_not_stop_the_worker(
    platform, tenant, billing_configured
):
    from tenancy import worker

    clover = billing.client(platform)
    try:
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
    finally:
        clover.close()
    billing_configured.stub.route(
        "GET",
        rf"/recurring/v1/subscriptions/{sub_id(platform, tenant.id)}/invoices",
        lambda request: (200, {"elements": [{"id": "I1", "failedAttempts": "x"}]}),
    )

    worker.poll_billing(platform, now=datetime.now(UTC) + timedelta(hours=2))


def test_a_garbage_charge_answer_is_a_billing_error(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.stub.route(
        "POST", r"/v1/charges",
        lambda request: (200, {"id": "CHG1", "paid": True, "status": "succeeded",
                               "amount": "ten dollars"}),
    )  # fmt: skip

    with pytest.raises(BillingError):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)
    billing.poll(platform, clover=clover, now=datetime.now(UTC) + timedelta(minutes=5))


def test_credits_need_the_amount_that_was_asked(platform, tenant, clover, clover_stub):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    before = purchased(platform, tenant.id)
    clover_stub.stub.route(
        "POST", r"/v1/charges",
        lambda request: (200, {"id": "CHGcheap1", "paid": True, "status": "succeeded",
                               "amount": 1, "currency": "cad"}),
    )  # fmt: skip

    try:
        billing.buy_credits(platform, tenant.id, "large", clover=clover)
    except BillingError:
        pass

    assert purchased(platform, tenant.id) == before


def test_a_plan_in_another_currency_than_the_account_is_refused(
    platform, tenant, clover, clover_stub
):
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO plans (code, name, monthly_price, currency)
               VALUES ('cadplan', 'Canadian', 19.99, 'CAD')
               ON CONFLICT (code) DO NOTHING"""
        )
    try:
        with pytest.raises(billing.BillingError, match="priced in CAD.*charges USD"):
            billing.subscribe(platform, tenant.id, "cadplan", clover=clover,
                              card_token=CARD)  # fmt: skip
        assert clover_stub.plans == {}
    finally:
        with platform.registry() as conn:
            conn.execute("DELETE FROM subscriptions WHERE plan = 'cadplan'")
            conn.execute("DELETE FROM plans WHERE code = 'cadplan'")


# -- plan limits --------


def test_unarchiving_does_not_bypass_the_product_limit(make_store):
    free = make_store(plan="free")
    with free.transaction() as conn:
        conn.execute(
            """INSERT INTO products (handle, title, status)
               SELECT 'p-' || n, 'P ' || n, 'archived'
               FROM generate_series(1, 150) n"""
        )
    with free.connection() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM products").fetchall()]

    refused = 0
    for product_id in ids:
        try:
            catalogue.update_product(free, product_id, {"status": "active"})
        except PlanLimitReached:
            refused += 1

    with free.connection() as conn:
        (live,) = conn.execute(
            "SELECT count(*) FROM products WHERE status <> 'archived'"
        ).fetchone()
    assert live <= 100, f"{live} live products on the Free plan"


# == ATTACKS THAT HELD ===========================================================


@pytest.mark.parametrize(
    "bad_id", ["../plans", "a/b", "x?y=1", "%2e%2e", "", "a" * 65, "sub id", "ü"]
)
def test_ids_with_path_characters_are_never_sent(clover, clover_stub, bad_id):
    with pytest.raises(BillingError):
        clover.get_subscription(bad_id)
    with pytest.raises(BillingError):
        clover.cancel_subscription(bad_id)
    with pytest.raises(BillingError):
        clover.list_invoices(bad_id)
    assert clover_stub.stub.requests == []


@pytest.mark.parametrize("bad_id", ["../../v1/charges", "a/b", None, 7, "x" * 65])
def test_ids_from_clover_with_path_characters_are_refused(
    platform, tenant, clover, clover_stub, bad_id
):
    clover_stub.stub.route(
        "POST", SUBSCRIBE, lambda request: (200, {"id": bad_id, "active": True})
    )
    with pytest.raises(BillingUnavailable, match="no subscription id"):
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
    assert sub_id(platform, tenant.id) is None


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, {"message": "boom"}, BillingUnavailable),
        (503, b"<html>down</html>", BillingUnavailable),
        (429, {"message": "slow down"}, BillingUnavailable),
        (200, b"not json at all", BillingUnavailable),
        (200, b"\xff\xfe\x00garbage", BillingUnavailable),
        (401, {"error": "Unauthorized"}, BillingRefused),
        (400, [1, 2, 3], BillingRefused),
        (418, b"", BillingRefused),
    ],
)
def test_clover_errors_and_garbage_are_billing_errors(
    clover, clover_stub, status, body, kind
):
    clover_stub.stub.route("GET", SUB, lambda request: (status, body))
    with pytest.raises(kind) as caught:
        clover.get_subscription("SUB1")
    assert TOKEN not in str(caught.value)


def test_a_timeout_is_billing_unavailable(clover_stub):
    hold = threading.Event()

    def never(request):
        hold.wait(5)
        return 200, {"id": "SUB1", "active": True}

    clover_stub.stub.route("GET", SUB, never)
    client = client_for(clover_stub.stub.url, http=httpx.Client(timeout=0.5))
    try:
        with pytest.raises(BillingUnavailable, match="ReadTimeout"):
            client.get_subscription("SUB1")
    finally:
        hold.set()
        client.close()


def test_a_huge_error_message_is_cut(clover, clover_stub):
    clover_stub.stub.route(
        "GET", SUB,
        lambda request: (400, {"error": {"code": "x", "message": "A" * 2_000_000}}),
    )  # fmt: skip
    with pytest.raises(BillingRefused) as caught:
        clover.get_subscription("SUB1")
    assert len(str(caught.value)) <= 200


def test_the_private_token_never_reaches_logs_or_errors(
    platform, tenant, clover, clover_stub, caplog
):
    caplog.set_level(logging.DEBUG)
    clover_stub.stub.route(
        "POST", r"/v1/customers",
        lambda request: (400, {"error": {"code": "x",
                                         "message": "bad card <b>x</b>"}}),
    )  # fmt: skip
    with pytest.raises(BillingRefused) as refused:
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
    clover_stub.stub.route("GET", SUB, lambda request: (500, {}))
    with pytest.raises(BillingUnavailable) as down:
        clover.get_subscription("SUB1")
    closed = Stub()
    closed.close()  # a port on 127.0.0.1 nobody listens on any more
    unreachable = client_for(closed.url)
    with pytest.raises(BillingUnavailable) as gone:
        unreachable.get_subscription("SUB1")
    unreachable.close()

    for text in (
        caplog.text,
        str(refused.value),
        str(down.value),
        str(gone.value),
        repr(refused.value),
        repr(clover.__dict__.get("merchant_id")),
    ):
        assert TOKEN not in text
    with platform.registry() as conn:
        audit = conn.execute("SELECT coalesce(string_agg(t::text, ''), '') "
                             "FROM audit_log t").fetchone()[0]  # fmt: skip
    assert TOKEN not in audit and CARD not in audit


def test_cents_round_half_up_and_never_drift():
    assert cents(Decimal("10.00")) == 1000
    assert cents(Decimal("10.005")) == 1001
    assert cents(Decimal("0.015")) == 2
    assert cents(Decimal("19.99")) == 1999
    assert cents(Decimal("0.1") + Decimal("0.2")) == 30
    assert cents("29") == 2900


def test_concurrent_polls_record_an_invoice_once(platform, tenant, clover, clover_stub):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.bill(sub_id(platform, tenant.id))
    reports = []

    def go():
        client = client_for(clover_stub.stub.url)
        try:
            reports.append(billing.poll(platform, clover=client, force=True))
        finally:
            client.close()

    threads = [threading.Thread(target=go) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.receipts for r in reports) == 1
    assert [p.kind for p in payments(platform, tenant.id)] == ["subscription"]
    with platform.registry() as conn:
        (mails,) = conn.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'billing_receipt' "
            "AND recipient = %s",
            (f"owner-{tenant.store.slug}@example.com",),
        ).fetchone()
    assert mails == 1


def test_a_crash_after_the_credit_is_finished_once(
    platform, tenant, clover, clover_stub, monkeypatch
):
    """Crash after credit_pack but before the payment row is updated."""
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    before = purchased(platform, tenant.id)
    real = credits.credit_pack

    def credit_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise RuntimeError("process killed")

    monkeypatch.setattr(credits, "credit_pack", credit_then_die)
    with pytest.raises(RuntimeError):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)
    monkeypatch.setattr(credits, "credit_pack", real)

    for _ in range(3):
        billing.poll(platform, clover=clover,
                     now=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    assert purchased(platform, tenant.id) == before + 500
    assert len(clover_stub.charges) == 1
    assert [p.status for p in payments(platform, tenant.id)] == ["paid"]


def test_a_declined_pack_adds_nothing_and_is_not_retried(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover,
                      card_token="clv_1TSTtestcard0002")  # fmt: skip
    before = purchased(platform, tenant.id)
    with pytest.raises(BillingRefused):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)
    billing.poll(platform, clover=clover, now=datetime.now(UTC) + timedelta(hours=1))
    assert purchased(platform, tenant.id) == before
    assert [p.status for p in payments(platform, tenant.id)] == ["failed"]


def test_a_suspended_store_cannot_buy_credits(platform, tenant, clover, clover_stub):
    suspend_by_billing(platform, tenant, clover, clover_stub)
    charges = len(clover_stub.charges)
    with pytest.raises(BillingError, match="suspended"):
        billing.buy_credits(platform, tenant.id, "small", clover=clover)
    assert len(clover_stub.charges) == charges


def test_a_cancelled_store_cannot_subscribe_again_without_reactivating(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    billing.cancel_subscription(platform, tenant.id, clover=clover)
    with pytest.raises(BillingError, match="cancelled"):
        billing.subscribe(platform, tenant.id, "growth", clover=clover)
    assert clover_stub.subscriptions == {}


def test_a_deleted_store_is_never_charged_again(platform, tenant, clover, clover_stub):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    lifecycle.delete_store(platform, tenant.id)

    billing.poll(platform, clover=clover, force=True)

    assert clover_stub.subscriptions == {}
    assert sub_id(platform, tenant.id) is None


def test_cancel_when_clover_is_down_changes_nothing(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.stub.route("DELETE", SUB, lambda request: (503, {}))
    with pytest.raises(BillingUnavailable):
        billing.cancel_subscription(platform, tenant.id, clover=clover)
    assert platform.store(tenant.id).status == "active"
    assert sub_id(platform, tenant.id) is not None


def test_a_declined_settlement_keeps_the_old_subscription_state(
    platform, tenant, clover, clover_stub
):
    suspend_by_billing(platform, tenant, clover, clover_stub)
    subscriptions_before = dict(clover_stub.subscriptions)
    with pytest.raises(BillingRefused):
        billing.subscribe(platform, tenant.id, "growth", clover=clover,
                          card_token="clv_1TSTtestcard0002")  # fmt: skip
    assert clover_stub.subscriptions == subscriptions_before
    assert platform.store(tenant.id).status == "suspended"
    assert platform.store(tenant.id).plan == "starter"


# -- the card form --------


def _csrf(client, owner_):
    client.cookies.set(SESSION_COOKIE, owner_.token)
    return HIDDEN_CSRF.search(client.get("/billing/card").text).group(1)


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://testserver.evil.example"]
)
def test_card_posts_from_another_origin_are_refused(
    http,
    owner,
    billing_configured,
    origin,
):
    csrf = _csrf(http, owner)
    refused = http.post(
        "/billing/card",
        data={"csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
              "token": CARD},
        headers={"origin": origin},
    )  # fmt: skip
    assert refused.status_code == 403
    assert billing_configured.customers == {}


def test_another_sessions_csrf_token_is_refused(
    http,
    owner,
    other_owner,
    billing_configured,
):
    theirs = _csrf(http, other_owner)
    http.cookies.set(SESSION_COOKIE, owner.token)
    refused = http.post("/billing/card", data={
        "csrf_token": theirs, "store": owner.tenant.id, "plan": "starter",
        "token": CARD,
    })  # fmt: skip
    assert refused.status_code == 403
    assert billing_configured.customers == {}


@pytest.mark.parametrize(
    "store", ["{other}", "{mine} ", "-1", "{mine}.0", "0x1", "", "١"]
)
def test_card_posts_for_stores_not_ones_own_are_refused(
    http,
    owner,
    other_owner,
    billing_configured,
    store,
):
    csrf = _csrf(http, owner)
    sent = store.format(other=other_owner.tenant.id, mine=owner.tenant.id)
    refused = http.post("/billing/card", data={
        "csrf_token": csrf, "store": sent, "plan": "starter", "token": CARD,
    })  # fmt: skip
    assert refused.status_code == 400
    assert billing_configured.customers == {}
    assert platform_plan(other_owner) == "growth"


def platform_plan(owner_):
    return owner_.tenant.platform.store(owner_.tenant.id).plan


def test_card_form_without_session_or_with_a_dead_one_redirects(
    http,
    owner,
    billing_configured,
    platform,
):
    for token in ("", "not-a-session", owner.token + "x"):
        http.cookies.set(SESSION_COOKIE, token)
        assert http.post("/billing/card", data={}).status_code == 303
        assert http.get("/billing/card").status_code == 303
    assert billing_configured.customers == {}


def test_clovers_error_message_is_escaped_on_the_card_form(
    http,
    owner,
    billing_configured,
):
    billing_configured.stub.route(
        "POST", r"/v1/customers",
        lambda request: (400, {"error": {
            "code": "x", "message": f'<script>alert(1)</script>"><img src=x> {TOKEN}'
        }}),
    )  # fmt: skip
    csrf = _csrf(http, owner)
    page = http.post("/billing/card", data={
        "csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
        "token": CARD,
    })  # fmt: skip
    assert page.status_code == 400
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_a_plan_name_is_escaped_on_the_card_form(
    http,
    owner,
    billing_configured,
    platform,
):
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO plans (code, name, monthly_price, currency, max_products,
                   max_locations, monthly_ai_credits, active)
               VALUES ('xss', '<img src=x onerror=alert(1)>', 1, 'USD', NULL,
                       NULL, 0, true)"""
        )
    try:
        http.cookies.set(SESSION_COOKIE, owner.token)
        page = http.get('/billing/card?plan="><script>alert(2)</script>')
        assert "<img src=x" not in page.text
        assert "<script>alert(2)" not in page.text
    finally:
        with platform.registry() as conn:
            conn.execute("DELETE FROM plans WHERE code = 'xss'")


def test_a_too_long_token_is_refused_before_clover(
    http,
    owner,
    billing_configured,
):
    csrf = _csrf(http, owner)
    refused = http.post("/billing/card", data={
        "csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
        "token": "clv_" + "x" * 300,
    })  # fmt: skip
    assert refused.status_code == 400
    assert billing_configured.customers == {}


def test_reimporting_archived_products_does_not_bypass_the_limit(make_store):
    from pathlib import Path

    from etl.catalogue_import import import_products

    shopify = (Path(__file__).resolve().parents[2].parent
               / "shared/data/shopify_real_exports/"
               "packt_dev_store_products_export.csv")  # fmt: skip
    if not shopify.is_file():
        pytest.skip("../shared/data is missing")
    free = make_store(plan="free")
    import_products(free, shopify)
    with free.transaction() as conn:
        conn.execute("UPDATE products SET status = 'archived'")
        conn.execute(
            """INSERT INTO products (handle, title)
               SELECT 'filler-' || n, 'Filler ' || n FROM generate_series(1, 95) n"""
        )

    try:
        import_products(free, shopify)
    except PlanLimitReached:
        pass

    with free.connection() as conn:
        (live,) = conn.execute(
            "SELECT count(*) FROM products WHERE status <> 'archived'"
        ).fetchone()
    assert live <= 100, f"{live} live products on the Free plan"


def test_a_staff_session_gets_no_card_form(http, platform, billing_configured):
    from tests.admin_app.conftest import sign_in_staff

    staff = sign_in_staff(platform)
    http.cookies.set(SESSION_COOKIE, staff.token)
    assert http.get("/billing/card").status_code == 303
    assert http.post("/billing/card", data={"plan": "starter"}).status_code == 303


def test_the_warehouse_copies_no_clover_identifiers():
    from etl import warehouse_tables

    for table in warehouse_tables.REGISTRY_TABLES:
        if table.name in ("subscriptions", "billing_payments", "platform_secrets"):
            sql = table.select
            for secret in ("clover_customer_id", "card_hint", "idempotency_key",
                           "sealed", "failure,"):  # fmt: skip
                assert secret not in sql, (table.name, secret)
    names = {t.name for t in warehouse_tables.REGISTRY_TABLES}
    assert "platform_secrets" not in names


def test_inactive_plans_and_packs_cannot_be_bought(platform, tenant, clover):
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO credit_packs VALUES
               ('retired', 'Old pack', 10, 1, 'USD', false)
               ON CONFLICT DO NOTHING"""
        )
    try:
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
        with pytest.raises(BillingError, match="no credit pack"):
            billing.buy_credits(platform, tenant.id, "retired", clover=clover)
        with pytest.raises(BillingError, match="no plan"):
            billing.subscribe(platform, tenant.id, "enterprise", clover=clover)
    finally:
        with platform.registry() as conn:
            conn.execute("DELETE FROM credit_packs WHERE code = 'retired'")


def test_a_redirect_is_not_taken_for_a_cancellation(
    platform, tenant, clover, clover_stub
):
    billing.subscribe(platform, tenant.id, "starter", clover=clover, card_token=CARD)
    clover_stub.stub.route(
        "DELETE", SUB,
        lambda request: (301, b"", {"type": "text/html"}),
    )  # fmt: skip

    try:
        billing.cancel_subscription(platform, tenant.id, clover=clover)
    except BillingError:
        pass

    still_charging = bool(clover_stub.subscriptions)
    forgotten = sub_id(platform, tenant.id) is None
    assert not (still_charging and forgotten), "Clover still bills a cancelled store"


def test_pay_now_after_a_lost_answer_charges_once(
    platform, tenant, clover, clover_stub
):
    suspend_by_billing(platform, tenant, clover, clover_stub)
    clover_stub.fail_after_charge = True
    with pytest.raises(BillingUnavailable):
        billing.subscribe(platform, tenant.id, "starter", clover=clover)
    clover_stub.fail_after_charge = False

    billing.subscribe(platform, tenant.id, "starter", clover=clover)
    billing.poll(platform, clover=clover,
                 now=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip

    assert len(clover_stub.charges) == 1, f"{len(clover_stub.charges)} settlements"


def test_the_billing_page_does_not_restart_the_current_plan(
    admin,
    browser,
    owner,
    platform,
    billing_configured,
):
    from tests.admin_app.conftest import app_for

    clover = billing.client(platform)
    try:
        billing.subscribe(platform, owner.tenant.id, "starter", clover=clover,
                          card_token=CARD)  # fmt: skip
    finally:
        clover.close()
    at = app_for(browser, owner.token).run()
    at.switch_page("views/billing.py").run()
    assert not at.exception, at.exception
    assert at.selectbox[0].value == "starter"

    (button,) = [b for b in at.button if b.label == "Change plan"]
    assert button.disabled, "the current plan can be 'changed' to itself"

    assert len(billing_configured.stub.seen("POST", SUBSCRIBE)) == 1
