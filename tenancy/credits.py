"""AI credits: a per-store ledger in the registry that never goes negative.

Credits come in two buckets. *Included* credits are the plan's monthly
allowance: granted lazily by the first credit operation of a calendar month
(UTC), once, and what is left of them expires at the next grant. *Purchased*
credits come from packs that billing sells (``credit_pack``); they never
expire. A debit takes included credits first.

A provider call is paid in three steps, so that a request that would
overdraw is refused before any call and a failed call costs nothing:

1. ``reserve_credits`` sets aside the most the call can cost (a hold), or
   raises ``InsufficientCredits``;
2. the caller makes the call;
3. ``settle_hold`` turns the hold into one debit of the real price, or
   ``release_hold`` gives it back.

Every operation locks the store's ``credit_accounts`` row first
(``SELECT ... FOR UPDATE``), so concurrent bulk runs queue on it, and the
row's CHECK constraints make an overdraft impossible even for a bug here.
Ledger rows carry an idempotency ``ref``: a grant, a pack or a generation is
written at most once, whatever is retried. A hold left open by a crashed
process expires after ``HOLD_TTL``.

Errors, all ``TenancyError``::

    CreditError                 a credit operation was refused
    ├── InsufficientCredits     the store cannot afford what it asked for
    └── PaymentAlreadyApplied   a payment ref was already used differently
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from psycopg.rows import class_row

from tenancy.errors import StoreNotFound, TenancyError
from tenancy.registry import record_audit

log = logging.getLogger(__name__)

HOLD_TTL = timedelta(minutes=15)
MAX_PAYMENT_REF = 200


class CreditError(TenancyError):
    """A credit operation was refused."""


class InsufficientCredits(CreditError):
    """The store's available credits do not cover what was asked for."""

    def __init__(self, store_id, needed, available):
        self.store_id = store_id
        self.needed = needed
        self.available = available
        super().__init__(
            f"not enough AI credits: this needs up to {needed} and store "
            f"{store_id} has {available} available; buy a credit pack or wait "
            "for next month's included credits"
        )


class PaymentAlreadyApplied(CreditError):
    """A payment ref was already used for another store or another amount."""

    def __init__(self, payment_ref):
        self.payment_ref = payment_ref
        super().__init__(
            f"payment {payment_ref!r} was already applied to a different "
            "store or amount"
        )


@dataclass(frozen=True)
class Balance:
    store_id: int
    included: int
    purchased: int
    held: int
    monthly: int
    """Included credits the store's plan grants each month."""

    @property
    def available(self):
        """What the store can spend now: its credits less what is on hold."""
        return self.included + self.purchased - self.held


@dataclass(frozen=True)
class Hold:
    id: int
    store_id: int
    credits: int


@dataclass(frozen=True)
class Charge:
    credits: int
    already_charged: bool
    """True when this ref had been debited before; nothing new was taken."""


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    kind: str
    ref: str
    included: int
    purchased: int
    provider: str | None
    model: str | None
    tokens_in: int | None
    tokens_out: int | None
    actor: str

    @property
    def credits(self):
        return self.included + self.purchased


def get_balance(platform, store_id, *, now=None):
    """The store's balance, after granting this month's credits if still due."""
    with platform.registry() as conn:
        account = _lock_account(conn, store_id, now)
    return account


def credit_pack(platform, store_id, credits, payment_ref, *, actor="billing"):
    """Add purchased credits once per ``payment_ref``; False if already added.

    Billing may call this as often as it likes for the same payment. The
    same ref for another store or another amount raises PaymentAlreadyApplied.
    """
    payment_ref = (payment_ref or "").strip()
    if not payment_ref or len(payment_ref) > MAX_PAYMENT_REF:
        raise CreditError("a credit pack needs a payment ref of 1-200 characters")
    if not isinstance(credits, int) or credits <= 0:
        raise CreditError("a credit pack must add a positive whole number")
    ref = f"pack:{payment_ref}"

    with platform.registry() as conn:
        _lock_account(conn, store_id, None)
        inserted = conn.execute(
            """INSERT INTO credit_ledger (store_id, kind, ref, purchased, actor)
               VALUES (%s, 'pack', %s, %s, %s)
               ON CONFLICT DO NOTHING RETURNING id""",
            (store_id, ref, credits, actor),
        ).fetchone()
        if inserted is None:
            earlier = conn.execute(
                """SELECT store_id, purchased FROM credit_ledger
                   WHERE kind = 'pack' AND ref = %s""",
                (ref,),
            ).fetchone()
            if earlier == (store_id, credits):
                return False
            raise PaymentAlreadyApplied(payment_ref)

        conn.execute(
            """UPDATE credit_accounts SET purchased = purchased + %s,
                      updated_at = now()
               WHERE store_id = %s""",
            (credits, store_id),
        )
        record_audit(
            conn, actor, "ai_credits.pack", store_id,
            credits=credits, payment_ref=payment_ref,
        )  # fmt: skip
    log.info("store=%s credit pack of %s added", store_id, credits)
    return True


def reserve_credits(platform, store_id, credits, *, now=None):
    """Set ``credits`` aside for a call about to be made, or raise.

    Raises InsufficientCredits, before anything is spent, when the store's
    available credits are fewer than ``credits``.
    """
    if credits <= 0:
        raise CreditError("a hold must be for a positive number of credits")

    with platform.registry() as conn:
        account = _lock_account(conn, store_id, now)
        if account.available < credits:
            raise InsufficientCredits(store_id, credits, account.available)

        hold_id = conn.execute(
            "INSERT INTO credit_holds (store_id, credits) VALUES (%s, %s) RETURNING id",
            (store_id, credits),
        ).fetchone()[0]
        conn.execute(
            "UPDATE credit_accounts SET held = held + %s WHERE store_id = %s",
            (credits, store_id),
        )
    return Hold(hold_id, store_id, credits)


def settle_hold(
    platform,
    hold,
    credits,
    *,
    ref,
    provider,
    model,
    tokens_in,
    tokens_out,
    actor="owner",
):
    """Close ``hold`` and debit ``credits`` once for ``ref``; return the Charge.

    A second settle with the same ref debits nothing and reports the first
    debit. The debit never exceeds what the store has: a hold covers the
    worst case, and only a hold that expired before being settled could have
    let the credits go elsewhere in the meantime.
    """
    with platform.registry() as conn:
        account = _lock_account(conn, hold.store_id, None)
        held = account.held - _close_hold(conn, hold, "settled")

        earlier = conn.execute(
            """SELECT included + purchased FROM credit_ledger
               WHERE store_id = %s AND ref = %s AND kind = 'debit'""",
            (hold.store_id, ref),
        ).fetchone()
        if earlier is not None:
            _store_totals(conn, hold.store_id, account.included,
                          account.purchased, held)  # fmt: skip
            return Charge(-earlier[0], already_charged=True)

        amount = max(0, min(credits, account.included + account.purchased - held))
        if amount < credits:
            log.warning(
                "store=%s debit for %s clamped from %s to %s credits",
                hold.store_id, ref, credits, amount,
            )  # fmt: skip
        from_included = min(amount, account.included)
        from_purchased = amount - from_included
        conn.execute(
            """INSERT INTO credit_ledger (store_id, kind, ref, included, purchased,
                   provider, model, tokens_in, tokens_out, actor)
               VALUES (%s, 'debit', %s, %s, %s, %s, %s, %s, %s, %s)""",
            (hold.store_id, ref, -from_included, -from_purchased, provider, model,
             tokens_in, tokens_out, actor),
        )  # fmt: skip
        _store_totals(
            conn, hold.store_id, account.included - from_included,
            account.purchased - from_purchased, held,
        )  # fmt: skip
    return Charge(amount, already_charged=False)


def release_hold(platform, hold):
    """Give a hold's credits back: the call failed or cost nothing."""
    with platform.registry() as conn:
        conn.execute(
            "SELECT 1 FROM credit_accounts WHERE store_id = %s FOR UPDATE",
            (hold.store_id,),
        )

        released = _close_hold(conn, hold, "released")
        if released:
            conn.execute(
                "UPDATE credit_accounts SET held = held - %s WHERE store_id = %s",
                (released, hold.store_id),
            )


def list_ledger(platform, store_id, *, limit=100):
    """The store's most recent ledger entries, newest first."""
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Entry)) as cur:
        cur.execute(
            """SELECT id, at, kind, ref, included, purchased, provider, model,
                      tokens_in, tokens_out, actor
               FROM credit_ledger WHERE store_id = %s
               ORDER BY at DESC, id DESC LIMIT %s""",
            (store_id, limit),
        )
        return cur.fetchall()


# -- under the account lock ------------------------------------------------------


def _lock_account(conn, store_id, now):
    """Lock the store's account row and bring it up to date; return its Balance.

    Creates the row on first use, expires holds left by crashed processes and
    grants the month's included credits when they are due.
    """
    plan = conn.execute(
        """SELECT p.monthly_ai_credits FROM stores s JOIN plans p ON p.code = s.plan
           WHERE s.id = %s""",
        (store_id,),
    ).fetchone()
    if plan is None:
        raise StoreNotFound(store_id)
    monthly = plan[0]

    conn.execute(
        "INSERT INTO credit_accounts (store_id) VALUES (%s) ON CONFLICT DO NOTHING",
        (store_id,),
    )
    included, purchased, held = conn.execute(
        """SELECT included, purchased, held FROM credit_accounts
           WHERE store_id = %s FOR UPDATE""",
        (store_id,),
    ).fetchone()

    held -= _expire_holds(conn, store_id)
    included = _grant_month(conn, store_id, now, monthly, included, purchased, held)
    _store_totals(conn, store_id, included, purchased, held)
    return Balance(store_id, included, purchased, held, monthly)


def _expire_holds(conn, store_id):
    # NOTE: the database clock, not the injected one, ages holds: created_at
    # is the database's now() too.
    rows = conn.execute(
        """UPDATE credit_holds SET closed_at = now(), outcome = 'expired'
           WHERE store_id = %s AND closed_at IS NULL
             AND created_at < now() - %s
           RETURNING id, credits""",
        (store_id, HOLD_TTL),
    ).fetchall()
    for hold_id, credits in rows:
        log.warning("store=%s hold %s (%s credits) expired", store_id, hold_id, credits)
    return sum(credits for _, credits in rows)


def _grant_month(conn, store_id, now, monthly, included, purchased, held):
    """Grant the plan's credits for ``now``'s month once; return ``included``."""
    period = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m")
    last = conn.execute(
        """SELECT max(ref) FROM credit_ledger
           WHERE store_id = %s AND kind = 'grant'""",
        (store_id,),
    ).fetchone()[0]
    if last is not None and last >= f"grant:{period}":
        return included

    # Last month's leftovers expire, except what open holds still need: a
    # call in flight across midnight must still be able to settle.
    expiring = max(0, min(included, included + purchased - held))
    if expiring:
        conn.execute(
            """INSERT INTO credit_ledger (store_id, kind, ref, included, actor)
               VALUES (%s, 'expire', %s, %s, 'platform')""",
            (store_id, f"expire:{period}", -expiring),
        )
    conn.execute(
        """INSERT INTO credit_ledger (store_id, kind, ref, included, actor)
           VALUES (%s, 'grant', %s, %s, 'platform')""",
        (store_id, f"grant:{period}", monthly),
    )
    # TODO(#7): a plan upgrade mid-month takes effect at the next grant; billing
    # may want to top up the difference when the plan changes.
    return included - expiring + monthly


def _close_hold(conn, hold, outcome):
    """Close an open hold; return its credits, or 0 when already closed."""
    row = conn.execute(
        """UPDATE credit_holds SET closed_at = now(), outcome = %s
           WHERE id = %s AND store_id = %s AND closed_at IS NULL
           RETURNING credits""",
        (outcome, hold.id, hold.store_id),
    ).fetchone()
    return row[0] if row else 0


def _store_totals(conn, store_id, included, purchased, held):
    conn.execute(
        """UPDATE credit_accounts
           SET included = %s, purchased = %s, held = %s, updated_at = now()
           WHERE store_id = %s""",
        (included, purchased, held, store_id),
    )
