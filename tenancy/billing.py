"""What store owners pay: plans through Clover subscriptions, and AI credit packs.

A store on a paid plan has a Clover customer (the card from Clover's hosted
card form, saved on file) and a Clover subscription to the plan's Clover
plan; Clover charges it each month. Clover sends no webhook for those
charges, so ``poll`` (run by ``apmt worker`` and ``apmt billing poll``) reads
each subscription and its invoices and moves our own ``state``:

    active ──invoice fails──▶ past_due ──GRACE_DAYS──▶ suspended
       ▲                         │                        │
       └────────── paid (Clover's retry, or ``subscribe`` paying now) ◀┘

Past due sends a notice; suspension closes the storefront (the store's data
stays); paying reactivates. Cancelling stops the subscription, moves the
store to the Free plan and cancels the store, which starts the retention
clock of ``tenancy.lifecycle``.

One-off charges (credit packs, settling a past-due period) are written to
``billing_payments`` with an idempotency key before Clover is called; a
crash in between is finished by the next poll with the same key, and the
credits are added by ``credits.credit_pack`` keyed on Clover's charge id, so
a pack is credited once and only once per payment. Every paid charge gets a
receipt by mail, queued with a dedupe key on the charge.
"""

import calendar
import json
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from psycopg.rows import class_row

from tenancy import credits, lifecycle, registry
from tenancy.clover_billing import (
    BillingError,
    BillingRefused,
    BillingUnavailable,
    CloverBilling,
    Subscription,
)
from tenancy.errors import ConfigError, TenancyError
from tenancy.mail import Message, enqueue

log = logging.getLogger(__name__)

SETTINGS = "clover_billing"
GRACE_DAYS = 7
POLL_EVERY = timedelta(hours=1)
RETRY_PENDING_AFTER = timedelta(minutes=2)
_LOCK_SPACE = 0x42494C4C  # "BILL": advisory locks of billing, one per store
_SETTING_KEYS = {
    "merchant_id": True,
    "private_token": True,
    "public_key": True,
    "api_base": False,
    "ecommerce_base": False,
    "sdk_url": False,
    "grace_days": False,
    "currency": False,
}

__all__ = [
    "BillingError",
    "BillingRefused",
    "BillingUnavailable",
    "buy_credits",
    "cancel_subscription",
    "configure_billing",
    "poll",
    "subscribe",
]


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    monthly_price: Decimal
    currency: str
    max_products: int | None
    max_locations: int | None
    monthly_ai_credits: int
    clover_plan_id: str | None

    @property
    def paid(self):
        return self.monthly_price > 0


@dataclass(frozen=True)
class Pack:
    code: str
    name: str
    credits: int
    price: Decimal
    currency: str


@dataclass(frozen=True)
class Status:
    store_id: int
    plan: str
    state: str
    card_hint: str
    has_card: bool
    past_due_since: datetime | None
    suspended_at: datetime | None
    grace_ends: datetime | None


@dataclass(frozen=True)
class Payment:
    id: int
    kind: str
    status: str
    amount: Decimal
    currency: str
    clover_ref: str | None
    pack: str | None
    credits: int | None
    plan: str | None
    failure: str
    created_at: datetime
    paid_at: datetime | None


@dataclass
class PollReport:
    checked: int = 0
    receipts: int = 0
    past_due: list = field(default_factory=list)
    suspended: list = field(default_factory=list)
    reactivated: list = field(default_factory=list)
    settled: int = 0
    failed: dict = field(default_factory=dict)


class BillingBusy(BillingError):
    """Another billing change of the same store is under way."""

    def __init__(self):
        super().__init__(
            "another billing change for this store is under way; try again in a moment"
        )


# -- settings ---------------------------------------------------------------------


def configure_billing(platform, settings):
    """Check the platform's Clover settings (a dict) and store them sealed."""
    if not isinstance(settings, dict):
        raise ConfigError("billing", "expected one JSON object")
    unknown = set(settings) - set(_SETTING_KEYS)
    if unknown:
        raise ConfigError("billing", f"unknown keys {', '.join(sorted(unknown))}")
    missing = [k for k, required in _SETTING_KEYS.items()
               if required and not str(settings.get(k) or "").strip()]  # fmt: skip
    if missing:
        raise ConfigError("billing", f"{', '.join(missing)} required")
    grace = settings.get("grace_days", GRACE_DAYS)
    if type(grace) is not int or not 1 <= grace <= 60:
        raise ConfigError("billing", "grace_days must be a whole number 1-60")

    before = load_settings(platform) or {}
    sealed = platform.keyring.seal(json.dumps(settings), f"platform:{SETTINGS}")
    with platform.registry() as conn:
        if before.get("merchant_id") != settings["merchant_id"]:
            # NOTE: Clover plans belong to one merchant; another account
            # needs its own, made again on first use.
            conn.execute("UPDATE plans SET clover_plan_id = NULL")
        conn.execute(
            """INSERT INTO platform_secrets (name, sealed) VALUES (%s, %s)
               ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed,
                                                updated_at = now()""",
            (SETTINGS, sealed),
        )
        registry.record_audit(conn, "cli", "billing.configure")


def load_settings(platform):
    """The stored Clover settings, or None when billing is not configured."""
    with platform.registry() as conn:
        row = conn.execute(
            "SELECT sealed FROM platform_secrets WHERE name = %s", (SETTINGS,)
        ).fetchone()
    if row is None:
        return None
    return json.loads(platform.keyring.open(row[0], f"platform:{SETTINGS}"))


def card_form(platform):
    """What the hosted card form needs in the browser: public values only."""
    settings = load_settings(platform)
    if settings is None:
        return None
    return {
        "public_key": settings["public_key"],
        "merchant_id": settings["merchant_id"],
        "sdk_url": settings.get("sdk_url") or "https://checkout.clover.com/sdk.js",
    }


def client(platform, *, http=None):
    """A Clover client from the stored settings; BillingError if there are none."""
    settings = load_settings(platform)
    if settings is None:
        raise BillingError(
            "billing is not set up on this platform; ask platform staff to run "
            "`apmt billing configure`"
        )
    return CloverBilling(settings, http=http)


# -- reading ----------------------------------------------------------------------


def list_plans(platform):
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Plan)) as cur:
        cur.execute(
            """SELECT code, name, monthly_price, currency, max_products,
                      max_locations, monthly_ai_credits, clover_plan_id
               FROM plans WHERE active ORDER BY monthly_price, code"""
        )
        return cur.fetchall()


def plan_limits(platform, code):
    """The plan ``code`` (with its limits), or None when there is no such plan."""
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Plan)) as cur:
        cur.execute(
            """SELECT code, name, monthly_price, currency, max_products,
                      max_locations, monthly_ai_credits, clover_plan_id
               FROM plans WHERE code = %s""",
            (code,),
        )
        return cur.fetchone()


def list_packs(platform):
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Pack)) as cur:
        cur.execute(
            """SELECT code, name, credits, price, currency FROM credit_packs
               WHERE active ORDER BY price"""
        )
        return cur.fetchall()


def status(platform, store_id):
    """The store's plan and billing state (a store never billed is active)."""
    grace = _grace(platform)
    with platform.registry() as conn:
        store = registry.get_store(conn, store_id)
        row = _subscription(conn, store_id)
    if row is None:
        return Status(store_id, store.plan, "active", "", False, None, None, None)
    since = row["past_due_since"]
    return Status(
        store_id=store_id,
        plan=store.plan,
        state=_state(row, store),
        card_hint=row["card_hint"],
        has_card=bool(row["clover_customer_id"]),
        past_due_since=since,
        suspended_at=row["suspended_at"],
        grace_ends=since + grace if since else None,
    )


def states(platform):
    """{store id: billing state} of every store ever billed, for staff."""
    with platform.registry() as conn:
        return dict(conn.execute("SELECT store_id, state FROM subscriptions"))


def list_payments(platform, store_id, *, limit=50):
    with platform.registry() as conn:
        with conn.cursor(row_factory=class_row(Payment)) as cur:
            cur.execute(
                """SELECT id, kind, status, amount, currency, clover_ref, pack,
                          credits, plan, failure, created_at, paid_at
                   FROM billing_payments WHERE store_id = %s
                   ORDER BY created_at DESC, id DESC LIMIT %s""",
                (store_id, limit),
            )
            return cur.fetchall()


# -- changing ---------------------------------------------------------------------


def sync_plans(platform, clover):
    """Create a Clover plan for every active paid plan that has none yet."""
    made = {}
    for plan in list_plans(platform):
        if plan.paid and not plan.clover_plan_id:
            made[plan.code] = _ensure_clover_plan(platform, clover, plan)
    return made


def subscribe(platform, store_id, plan_code, *, clover, card_token=None,
              actor="owner", now=None):  # fmt: skip
    """Move the store to ``plan_code``, paying through its card on file.

    ``card_token`` (from Clover's hosted card form) becomes the card on file;
    on the plan the store already pays for, that is all that changes. A store
    that is past due or suspended first pays one period now, and its new
    subscription starts a month later, so that period is charged once.
    Moving to a free plan stops the Clover subscription. One billing change
    runs per store at a time. Returns the new Status.
    """
    now = now or datetime.now(UTC)
    plan = _plan(platform, plan_code)
    with _store_lock(platform, store_id):
        _subscribe(platform, store_id, plan, clover, card_token, actor, now)
    return status(platform, store_id)


def _subscribe(platform, store_id, plan, clover, card_token, actor, now):
    with platform.registry() as conn:
        store = registry.get_store(conn, store_id)
        account = _owner(conn, store)
        row = _subscription(conn, store_id) or {}
    if store.status not in ("active", "suspended"):
        raise BillingError(
            f"store {store.slug!r} is {store.status}; reactivate it first"
        )
    state = _state(row, store)
    _check_fits(platform, store, plan)

    if not plan.paid:
        if row.get("clover_subscription_id"):
            clover.cancel_subscription(row["clover_subscription_id"])
        _save(platform, store_id, plan.code, "active", actor, now,
              clover_subscription_id=None)  # fmt: skip
        _reopen_if_billing_closed(platform, store, state, actor)
        return

    _same_currency(clover, plan.currency, f"the {plan.name} plan")
    customer, hint = row.get("clover_customer_id"), row.get("card_hint", "")
    if card_token:
        if account is None:
            raise BillingError("this store has no owner account to bill")
        if customer:
            hint = clover.replace_card(customer, card_token)
        else:
            customer, hint = clover.create_customer(
                card_token, email=account.email, name=account.owner_name
            )
        _save(platform, store_id, row.get("plan", store.plan), state, actor, now,
              clover_customer_id=customer, card_hint=hint)  # fmt: skip
    if not customer:
        raise BillingError("add a card first: the plan is charged to a card on file")

    current = row.get("plan", store.plan)
    overdue = state in ("past_due", "suspended")
    if row.get("clover_subscription_id") and current == plan.code and not overdue:
        return  # NOTE: already paying for this plan; a new card was all.

    start = row.get("subscribe_from")
    if overdue:
        _, charge = _one_off(
            platform, clover, store_id, customer, kind="settlement",
            amount=plan.monthly_price, currency=plan.currency, plan=plan.code,
            description=f"{plan.name} plan",
        )  # fmt: skip
        if not charge.paid:
            raise BillingRefused(
                f"the card was declined ({charge.failure}); the store stays "
                f"{state.replace('_', ' ')}: try another card",
                "card_declined",
            )
        # The period is paid: the store is paid up whatever happens next, and
        # the subscription that follows starts when that period ends.
        start = _a_month_after(now)
        _save(platform, store_id, plan.code, "active", actor, now,
              subscribe_from=start)  # fmt: skip
        _reopen_if_billing_closed(platform, store, state, actor)
        current, state = plan.code, "active"

    if row.get("clover_subscription_id"):
        # NOTE: the old subscription goes first: should the new one then fail,
        # the owner is asked to try again, never charged twice a month.
        clover.cancel_subscription(row["clover_subscription_id"])
        _save(platform, store_id, current, state, actor, now,
              clover_subscription_id=None)  # fmt: skip
    _start_subscription(platform, clover, store_id, plan, customer, start, actor, now)


def _start_subscription(platform, clover, store_id, plan, customer, start, actor,
                        now):  # fmt: skip
    """Subscribe the card on file to ``plan``, once even if retried.

    The idempotency key is written before Clover is called and used again by
    every retry (the owner's or the poll's) until a subscription is recorded.
    """
    # TODO(#10): Clover documents idempotency keys for Ecommerce charges; that
    # the Recurring API honours one on subscriptions is still to be confirmed.
    with platform.registry() as conn:
        key = conn.execute(
            """UPDATE subscriptions
               SET pending_key = coalesce(pending_key, %s)
               WHERE store_id = %s RETURNING pending_key""",
            (f"apmt-subscription-{uuid.uuid4()}", store_id),
        ).fetchone()[0]
    clover_plan = plan.clover_plan_id or _ensure_clover_plan(platform, clover, plan)
    made = clover.create_subscription(clover_plan, customer, start_date=start,
                                      idempotency_key=key)  # fmt: skip
    _save(platform, store_id, plan.code, "active", actor, now,
          clover_subscription_id=made.id, clover_active=made.active,
          pending_key=None, subscribe_from=None)  # fmt: skip


def buy_credits(platform, store_id, pack_code, *, clover, actor="owner"):
    """Charge a credit pack to the card on file; return the Payment.

    The credits are added before this returns when the charge succeeds; a
    declined card adds nothing and says why. A purchase whose answer was
    lost is finished, not made again, by the next one.
    """
    with platform.registry() as conn:
        store = registry.get_store(conn, store_id)
        row = _subscription(conn, store_id) or {}
        pack = conn.execute(
            """SELECT code, name, credits, price, currency FROM credit_packs
               WHERE code = %s AND active""",
            (pack_code,),
        ).fetchone()
    if pack is None:
        raise BillingError(f"there is no credit pack {pack_code!r}")
    if store.status != "active":
        raise BillingError(f"store {store.slug!r} is {store.status}; credits wait")
    if not row.get("clover_customer_id"):
        raise BillingError("add a card first: credit packs are charged to it")

    code, name, pack_credits, price, currency = pack
    _same_currency(clover, currency, f"the pack {name!r}")
    with _store_lock(platform, store_id):
        payment_id, charge = _one_off(
            platform, clover, store_id, row["clover_customer_id"],
            kind="credit_pack", amount=price, currency=currency, pack=code,
            credits=pack_credits, description=name, actor=actor,
        )  # fmt: skip
    if not charge.paid:
        raise BillingRefused(f"the card was declined ({charge.failure})", "declined")
    return _payment(platform, payment_id)


def cancel_subscription(platform, store_id, *, clover, actor="owner", now=None):
    """Stop billing and cancel the store: its data goes when retention says."""
    now = now or datetime.now(UTC)
    with _store_lock(platform, store_id):
        with platform.registry() as conn:
            row = _subscription(conn, store_id) or {}
        if row.get("clover_subscription_id"):
            clover.cancel_subscription(row["clover_subscription_id"])
        _save(platform, store_id, "free", "cancelled", actor, now,
              clover_subscription_id=None, cancelled_at=now,
              pending_key=None)  # fmt: skip
    return lifecycle.cancel_store(platform, store_id, actor=actor, now=now)


# -- polling ----------------------------------------------------------------------


def poll(platform, *, clover, now=None, force=False):
    """Read every live subscription from Clover and act on what changed.

    A store that fails (Clover down, a bad answer) is reported in ``failed``,
    waits ``POLL_EVERY`` like the others, and the rest go on. Subscriptions
    read within ``POLL_EVERY`` are skipped unless ``force``, except those of
    stores closed meanwhile, whose subscription is stopped at the next poll.
    A paid store whose subscription could not be made is subscribed here.
    A store in the middle of a billing change is left for the next poll.
    """
    now = now or datetime.now(UTC)
    report = PollReport()
    grace = _grace(platform)
    with platform.registry() as conn:
        rows = conn.execute(
            """SELECT s.store_id FROM subscriptions s
               JOIN stores st ON st.id = s.store_id
               JOIN plans p ON p.code = s.plan
               WHERE (s.clover_subscription_id IS NOT NULL
                      AND (%s OR s.polled_at IS NULL OR s.polled_at < %s
                           OR st.status IN ('cancelled', 'deleted')))
                  OR (s.clover_subscription_id IS NULL AND s.state = 'active'
                      AND p.monthly_price > 0 AND s.clover_customer_id IS NOT NULL
                      AND st.status = 'active')
               ORDER BY s.store_id""",
            (force, now - POLL_EVERY),
        ).fetchall()

    for (store_id,) in rows:
        try:
            with _store_lock(platform, store_id):
                _poll_one(platform, clover, store_id, now, grace, report)
            report.checked += 1
        except BillingBusy:
            continue
        except Exception as exc:  # noqa: BLE001 - one store must not stop the rest
            report.failed[store_id] = _reason(exc)
            log.warning("store=%s billing poll failed: %s", store_id, _reason(exc))
            with platform.registry() as conn:
                conn.execute(
                    "UPDATE subscriptions SET polled_at = %s WHERE store_id = %s",
                    (now, store_id),
                )
    _retry_pending(platform, clover, now, report)
    return report


def _poll_one(platform, clover, store_id, now, grace, report):
    with platform.registry() as conn:
        store = registry.get_store(conn, store_id)
        row = _subscription(conn, store_id)
    sub_id = row["clover_subscription_id"]

    if store.status in ("cancelled", "deleted"):
        # NOTE: a store closed by other means (staff, account deletion) must
        # not be charged again.
        if sub_id:
            clover.cancel_subscription(sub_id)
        _save(platform, store_id, "free", "cancelled", "billing", now,
              clover_subscription_id=None, cancelled_at=now,
              pending_key=None)  # fmt: skip
        return
    if sub_id is None:
        plan = _plan(platform, row["plan"])
        _start_subscription(platform, clover, store_id, plan,
                            row["clover_customer_id"], row["subscribe_from"],
                            "billing", now)  # fmt: skip
        return

    try:
        remote = clover.get_subscription(sub_id)
        invoices = clover.list_invoices(sub_id)
    except BillingRefused as exc:
        if exc.code != "not_found":
            raise
        # Gone at Clover (cancelled in its dashboard): nothing bills the plan
        # any more, which is the same as Clover giving up on the card.
        remote, invoices = Subscription(sub_id, False), []
    for invoice in invoices:
        if invoice.paid and _record_invoice(platform, store, row["plan"], invoice):
            report.receipts += 1

    latest = invoices[-1] if invoices else None
    overdue = not remote.active or (
        latest is not None and not latest.paid and latest.failed_attempts > 0
    )
    state, since = row["state"], row["past_due_since"]
    seen = {"clover_active": remote.active}
    if overdue and state == "active":
        _update(platform, store_id, sub_id, now, state="past_due",
                past_due_since=now, **seen)  # fmt: skip
        _notify(platform, store, "past_due", now + grace)
        report.past_due.append(store_id)
    elif overdue and state == "past_due" and now >= since + grace:
        _update(platform, store_id, sub_id, now, state="suspended",
                suspended_at=now, **seen)  # fmt: skip
        if store.status == "active":
            lifecycle.suspend_store(platform, store_id, actor="billing",
                                    reason="payment past due")  # fmt: skip
        _notify(platform, store, "suspended", None)
        report.suspended.append(store_id)
    elif not overdue and state in ("past_due", "suspended"):
        _update(platform, store_id, sub_id, now, state="active",
                past_due_since=None, suspended_at=None, **seen)  # fmt: skip
        _reopen_if_billing_closed(platform, store, state, "billing")
        report.reactivated.append(store_id)
    else:
        _update(platform, store_id, sub_id, now, **seen)


def _retry_pending(platform, clover, now, report):
    """Finish one-off charges whose answer was lost, with the same key.

    A store closed meanwhile is not charged: its pending charges are marked
    failed, for staff to look up at Clover should the lost answer have been
    a success.
    """
    with platform.registry() as conn:
        pending = conn.execute(
            """SELECT p.id, p.store_id, p.kind, s.clover_customer_id, st.status
               FROM billing_payments p
               JOIN subscriptions s USING (store_id)
               JOIN stores st ON st.id = p.store_id
               WHERE p.status = 'pending' AND p.created_at < %s
               ORDER BY p.id""",
            (now - RETRY_PENDING_AFTER,),
        ).fetchall()
    for payment_id, store_id, kind, customer, store_status in pending:
        open_for = ("active",) if kind == "credit_pack" else ("active", "suspended")
        if store_status not in open_for:
            _close_pending(platform, payment_id, f"store {store_status}; not charged")
            continue
        try:
            with _store_lock(platform, store_id):
                _charge_payment(platform, clover, payment_id, customer)
            report.settled += 1
        except BillingBusy:
            continue
        except BillingError as exc:
            report.failed[store_id] = str(exc)


# -- steps ------------------------------------------------------------------------


def _one_off(platform, clover, store_id, customer, *, kind, amount, currency,
             description, plan=None, pack=None, credits=None,
             actor="owner"):  # fmt: skip
    """Charge once: (payment id, Charge). A pending charge of the same thing
    (its answer lost) is finished with its own key instead of made again."""
    with platform.registry() as conn:
        found = conn.execute(
            """SELECT id FROM billing_payments
               WHERE store_id = %s AND kind = %s AND status = 'pending'
                 AND pack IS NOT DISTINCT FROM %s AND plan IS NOT DISTINCT FROM %s
               ORDER BY id LIMIT 1""",
            (store_id, kind, pack, plan),
        ).fetchone()
        if found is None:
            found = conn.execute(
                """INSERT INTO billing_payments (store_id, kind, status, amount,
                       currency, idempotency_key, pack, credits, plan)
                   VALUES (%s, %s, 'pending', %s, %s, %s, %s, %s, %s)
                   RETURNING id""",
                (store_id, kind, amount, currency, f"apmt-{kind}-{uuid.uuid4()}",
                 pack, credits, plan),
            ).fetchone()  # fmt: skip
            registry.record_audit(conn, actor, f"billing.{kind}", store_id,
                                  amount=str(amount), currency=currency)  # fmt: skip
    payment_id = found[0]
    return payment_id, _charge_payment(
        platform, clover, payment_id, customer, description
    )


def _charge_payment(platform, clover, payment_id, customer, description=None):
    with platform.registry() as conn:
        store_id, kind, amount, currency, key, pack_credits, status_now = conn.execute(
            """SELECT store_id, kind, amount, currency, idempotency_key, credits,
                      status FROM billing_payments WHERE id = %s""",
            (payment_id,),
        ).fetchone()
    if status_now != "pending":
        raise BillingError(f"payment {payment_id} is already {status_now}")

    charge = clover.charge(amount, currency, customer,
                           description=description or kind.replace("_", " "),
                           idempotency_key=key)  # fmt: skip
    if charge.paid and (charge.amount, charge.currency) != (amount, currency):
        # NOTE: never credit what was not paid as asked; staff sort it out.
        log.warning("payment=%s Clover charged another amount", payment_id)
        charge = replace(charge, paid=False, failure=(
            f"Clover charged {charge.amount} {charge.currency} instead of "
            f"{amount} {currency}; write to support"
        ))  # fmt: skip
    if charge.paid and kind == "credit_pack":
        credits.credit_pack(platform, store_id, pack_credits, f"clover:{charge.id}")

    with platform.registry() as conn:
        store = registry.get_store(conn, store_id)
        updated = conn.execute(
            """UPDATE billing_payments SET status = %s, clover_ref = %s,
                      failure = %s, paid_at = CASE WHEN %s THEN now() END
               WHERE id = %s AND status = 'pending' RETURNING id""",
            ("paid" if charge.paid else "failed", charge.id or None,
             charge.failure[:200], charge.paid, payment_id),
        ).fetchone()  # fmt: skip
        if updated and charge.paid:
            registry.record_usage(conn, "billing_payment", store_id,
                                  store.account_id, amount, charge=kind,
                                  currency=currency)  # fmt: skip
            what = description or kind
            _queue_receipt(conn, store, charge.id, what, amount, currency)
    return charge


def _close_pending(platform, payment_id, reason):
    with platform.registry() as conn:
        conn.execute(
            """UPDATE billing_payments SET status = 'failed', failure = %s
               WHERE id = %s AND status = 'pending'""",
            (reason, payment_id),
        )
    log.warning("payment=%s closed unpaid: %s", payment_id, reason)


def _payment(platform, payment_id):
    with platform.registry() as conn:
        with conn.cursor(row_factory=class_row(Payment)) as cur:
            cur.execute(
                """SELECT id, kind, status, amount, currency, clover_ref, pack,
                          credits, plan, failure, created_at, paid_at
                   FROM billing_payments WHERE id = %s""",
                (payment_id,),
            )
            return cur.fetchone()


def _record_invoice(platform, store, plan, invoice):
    """Write a paid invoice once, with its receipt; True the first time."""
    with platform.registry() as conn:
        inserted = conn.execute(
            """INSERT INTO billing_payments (store_id, kind, status, amount,
                   currency, clover_ref, plan, paid_at)
               VALUES (%s, 'subscription', 'paid', %s, %s, %s, %s, now())
               ON CONFLICT (clover_ref) DO NOTHING RETURNING id""",
            (store.id, invoice.amount, invoice.currency, invoice.id, plan),
        ).fetchone()
        if inserted is None:
            return False
        registry.record_usage(conn, "billing_payment", store.id, store.account_id,
                              invoice.amount, charge="subscription",
                              currency=invoice.currency)  # fmt: skip
        _queue_receipt(conn, store, invoice.id, f"{plan} plan", invoice.amount,
                       invoice.currency)  # fmt: skip
    return True


def _queue_receipt(conn, store, ref, what, amount, currency):
    account = _owner(conn, store)
    if account is None:
        return
    what = what.replace("_", " ")
    enqueue(conn, Message(
        kind="billing_receipt",
        recipient=account.email,
        subject=f"Receipt: {amount} {currency} for {store.display_name}",
        body_text=(
            f"Thank you. We charged {amount} {currency} to your card on file "
            f"for {what} ({store.display_name}).\n\n"
            f"Payment reference: {ref}\n"
            f"Date: {datetime.now(UTC):%Y-%m-%d} (UTC)\n\n"
            "Your invoices are listed on the dashboard's Billing page.\n"
        ),
        dedupe_key=f"receipt:{ref}",
    ))  # fmt: skip


def _notify(platform, store, what, grace_ends):
    with platform.registry() as conn:
        account = _owner(conn, store)
        if account is None:
            return
        if what == "past_due":
            subject = f"Payment for {store.display_name} failed"
            text = (
                f"We could not charge your card for {store.display_name}. Your "
                f"store stays open until {grace_ends:%Y-%m-%d} (UTC); after that "
                "the storefront closes until the plan is paid. Update your card "
                "or pay now on the dashboard's Billing page.\n"
            )
        else:
            subject = f"{store.display_name} is suspended for non-payment"
            text = (
                f"The storefront of {store.display_name} is closed because its "
                "plan is unpaid. Nothing is deleted: pay on the dashboard's "
                "Billing page and it reopens at once.\n"
            )
        enqueue(conn, Message(
            kind=f"billing_{what}", recipient=account.email, subject=subject,
            body_text=text,
            dedupe_key=f"billing:{what}:{store.id}:{datetime.now(UTC):%Y%m%d}",
        ))  # fmt: skip


def _save(platform, store_id, plan, state, actor, now, **columns):
    """Upsert the store's subscription row and its plan in one transaction."""
    values = {"plan": plan, "state": state, "updated_at": now}
    if state == "active":
        values.update(past_due_since=None, suspended_at=None)
    if actor == "billing":
        values["polled_at"] = now
    values.update(columns)
    names = list(values)
    with platform.registry() as conn:
        conn.execute(
            f"""INSERT INTO subscriptions (store_id, {", ".join(names)})
                VALUES (%s, {", ".join(["%s"] * len(names))})
                ON CONFLICT (store_id) DO UPDATE SET
                {", ".join(f"{n} = EXCLUDED.{n}" for n in names)}""",
            (store_id, *values.values()),
        )
        conn.execute("UPDATE stores SET plan = %s WHERE id = %s", (plan, store_id))
        registry.record_audit(conn, actor, f"billing.{state}", store_id, plan=plan)


def _update(platform, store_id, sub_id, now, **columns):
    """Write what a poll found, unless the subscription changed meanwhile."""
    values = {"polled_at": now, "updated_at": now, **columns}
    with platform.registry() as conn:
        conn.execute(
            f"""UPDATE subscriptions SET {", ".join(f"{n} = %s" for n in values)}
                WHERE store_id = %s AND clover_subscription_id = %s""",
            (*values.values(), store_id, sub_id),
        )
        if "state" in columns:
            registry.record_audit(conn, "billing", f"billing.{columns['state']}",
                                  store_id)  # fmt: skip


def _reopen_if_billing_closed(platform, store, state, actor):
    """Reopen a store that billing suspended; a staff suspension stays."""
    if state != "suspended" or store.status != "suspended":
        return
    with platform.registry() as conn:
        last = conn.execute(
            """SELECT actor FROM audit_log WHERE store_id = %s AND action IN
                   ('store.suspended', 'store.active', 'store.cancelled')
               ORDER BY at DESC, id DESC LIMIT 1""",
            (store.id,),
        ).fetchone()
    if last is None or last[0] != "billing":
        log.info("store=%s paid but stays suspended by staff", store.id)
        return
    lifecycle.resume_store(platform, store.id, actor=actor)
    _notify_reopened(platform, store)


@contextmanager
def _store_lock(platform, store_id):
    """Hold the store's billing lock (a PostgreSQL advisory lock) or refuse.

    Held across the calls to Clover, so a double-submitted form, a poll and
    an owner's click never change one store's billing at the same time.
    """
    conn = platform.open_registry()
    try:
        conn.autocommit = True
        (got,) = conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_SPACE, store_id)
        ).fetchone()
        if not got:
            raise BillingBusy()
        yield
    finally:
        conn.close()  # NOTE: closing the session releases the lock


def _state(row, store):
    """Billing's state as the owner should see it now."""
    if row.get("state") == "cancelled" and store.status in ("active", "suspended"):
        return "active"  # reactivated after cancelling: free until a new plan
    return row.get("state", "active")


def _a_month_after(moment):
    month = moment.month % 12 + 1
    year = moment.year + (moment.month == 12)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _reason(exc):
    if isinstance(exc, TenancyError):
        return str(exc)
    return f"{type(exc).__name__} while reading Clover's answer"


def _notify_reopened(platform, store):
    with platform.registry() as conn:
        account = _owner(conn, store)
        if account is not None:
            enqueue(conn, Message(
                kind="billing_reactivated", recipient=account.email,
                subject=f"{store.display_name} is open again",
                body_text=f"Thank you: {store.display_name} is paid and open again.\n",
                dedupe_key=f"billing:reopened:{store.id}:{uuid.uuid4()}",
            ))  # fmt: skip


def _same_currency(clover, currency, what):
    if currency != clover.currency:
        raise BillingError(
            f"{what} is priced in {currency} but the platform's Clover account "
            f"charges {clover.currency}; staff must price it in {clover.currency}"
        )


def _ensure_clover_plan(platform, clover, plan):
    _same_currency(clover, plan.currency, f"the {plan.name} plan")
    with platform.registry() as conn:
        # NOTE: the row lock makes two processes syncing at once create one plan.
        (existing,) = conn.execute(
            "SELECT clover_plan_id FROM plans WHERE code = %s FOR UPDATE", (plan.code,)
        ).fetchone()
        if existing:
            return existing
        made = clover.create_plan(f"APMTSales {plan.name}", plan.monthly_price)
        conn.execute(
            "UPDATE plans SET clover_plan_id = %s WHERE code = %s", (made, plan.code)
        )
    return made


def _check_fits(platform, store, plan):
    """Refuse a plan whose limits the store's catalogue already exceeds."""
    # NOTE: creating past a limit is refused by commerce.limits; this is
    # the other door, a store moving to a plan it has already outgrown.
    with platform.tenant(store.id).connection() as conn:
        products, locations = conn.execute(
            """SELECT (SELECT count(*) FROM products WHERE status <> 'archived'),
                      (SELECT count(*) FROM locations WHERE archived_at IS NULL)"""
        ).fetchone()
    checks = (
        (products, plan.max_products, "products"),
        (locations, plan.max_locations, "locations"),
    )
    for have, limit, what in checks:
        if limit is not None and have > limit:
            raise BillingError(
                f"the {plan.name} plan allows {limit} {what} and the store has "
                f"{have}; archive some first or choose a larger plan"
            )


def _owner(conn, store):
    return registry.get_account(conn, store.account_id) if store.account_id else None


def _plan(platform, code):
    for plan in list_plans(platform):
        if plan.code == code:
            return plan
    raise BillingError(f"there is no plan {code!r}")


def _subscription(conn, store_id):
    cur = conn.execute(
        """SELECT plan, state, clover_customer_id, clover_subscription_id,
                  card_hint, past_due_since, suspended_at, pending_key,
                  subscribe_from
           FROM subscriptions WHERE store_id = %s""",
        (store_id,),
    )
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([c.name for c in cur.description], row, strict=True))


def _grace(platform):
    settings = load_settings(platform) or {}
    return timedelta(days=int(settings.get("grace_days") or GRACE_DAYS))
