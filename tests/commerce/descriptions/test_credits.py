"""The AI credit ledger: grants, packs, holds and debits, never below zero."""

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tenancy import credits
from tenancy.credits import InsufficientCredits, PaymentAlreadyApplied

NOW = datetime(2031, 3, 14, 12, 0, tzinfo=UTC)


def ledger_totals(platform, store_id):
    """(included, purchased) summed from the ledger and from the account row."""
    with platform.registry() as conn:
        summed = conn.execute(
            """SELECT coalesce(sum(included), 0), coalesce(sum(purchased), 0)
               FROM credit_ledger WHERE store_id = %s""",
            (store_id,),
        ).fetchone()
        account = conn.execute(
            "SELECT included, purchased FROM credit_accounts WHERE store_id = %s",
            (store_id,),
        ).fetchone()
    return tuple(summed), tuple(account)


def kinds(platform, store_id):
    return [e.kind for e in reversed(credits.list_ledger(platform, store_id))]


def spend(platform, store_id, held, charged, ref, now=None):
    hold = credits.reserve_credits(platform, store_id, held, now=now)
    return credits.settle_hold(
        platform, hold, charged, ref=ref, provider="anthropic", model="m",
        tokens_in=1, tokens_out=1,
    )  # fmt: skip


def test_the_monthly_grant_is_lazy_once_a_month_and_expires(platform, shop):
    assert kinds(platform, shop.id) == []
    first = credits.get_balance(platform, shop.id, now=NOW)
    again = credits.get_balance(platform, shop.id, now=NOW + timedelta(days=3))
    assert first.included == again.included == first.available == 50
    assert kinds(platform, shop.id) == ["grant"]

    spend(platform, shop.id, 10, 7, "gen-1", now=NOW)
    credits.credit_pack(platform, shop.id, 30, "pay-grant-test")
    next_month = credits.get_balance(platform, shop.id, now=NOW + timedelta(days=31))

    assert (next_month.included, next_month.purchased) == (50, 30)
    assert kinds(platform, shop.id) == ["grant", "debit", "pack", "expire", "grant"]
    earlier = credits.get_balance(platform, shop.id, now=NOW)
    assert earlier.included == 50 and kinds(platform, shop.id)[-1] == "grant"
    summed, account = ledger_totals(platform, shop.id)
    assert summed == account == (50, 30)


def test_a_pack_is_credited_once_per_payment(platform, broke_shop, make_store):
    assert credits.credit_pack(platform, broke_shop.id, 100, "clover-pay-1") is True
    assert credits.credit_pack(platform, broke_shop.id, 100, "clover-pay-1") is False
    assert credits.get_balance(platform, broke_shop.id).purchased == 100

    other = make_store(plan="ai-none")
    with pytest.raises(PaymentAlreadyApplied):
        credits.credit_pack(platform, other.id, 100, "clover-pay-1")
    with pytest.raises(PaymentAlreadyApplied):
        credits.credit_pack(platform, broke_shop.id, 200, "clover-pay-1")
    assert credits.get_balance(platform, other.id).purchased == 0

    with platform.registry() as conn:
        audited = conn.execute(
            """SELECT count(*) FROM audit_log
               WHERE store_id = %s AND action = 'ai_credits.pack'""",
            (broke_shop.id,),
        ).fetchone()[0]
    assert audited == 1


def test_a_hold_beyond_the_balance_is_refused(platform, broke_shop):
    credits.credit_pack(platform, broke_shop.id, 5, "pay-hold-test")

    with pytest.raises(InsufficientCredits, match="needs up to 6") as caught:
        credits.reserve_credits(platform, broke_shop.id, 6)
    assert (caught.value.needed, caught.value.available) == (6, 5)

    hold = credits.reserve_credits(platform, broke_shop.id, 5)
    with pytest.raises(InsufficientCredits):
        credits.reserve_credits(platform, broke_shop.id, 1)
    credits.release_hold(platform, hold)
    credits.release_hold(platform, hold)  # twice is harmless
    assert credits.get_balance(platform, broke_shop.id).available == 5


def test_debits_take_included_credits_first_and_once_per_ref(platform, shop):
    credits.get_balance(platform, shop.id, now=NOW)
    credits.credit_pack(platform, shop.id, 10, "pay-order-test")

    first = spend(platform, shop.id, 55, 55, "gen-a")
    again = spend(platform, shop.id, 3, 3, "gen-a")

    assert (first.credits, first.already_charged) == (55, False)
    assert (again.credits, again.already_charged) == (55, True)
    balance = credits.get_balance(platform, shop.id)
    assert (balance.included, balance.purchased, balance.held) == (0, 5, 0)
    [debit] = [e for e in credits.list_ledger(platform, shop.id) if e.kind == "debit"]
    assert (debit.included, debit.purchased) == (-50, -5)


def test_the_ledger_is_append_only(platform, shop):
    credits.get_balance(platform, shop.id)
    for statement in (
        "UPDATE credit_ledger SET included = 1000 WHERE store_id = %s",
        "DELETE FROM credit_ledger WHERE store_id = %s",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with platform.registry() as conn:
                conn.execute(statement, (shop.id,))


def test_the_account_row_refuses_an_overdraft_whatever_the_code(platform, shop):
    credits.get_balance(platform, shop.id)
    with pytest.raises(psycopg.errors.CheckViolation):
        with platform.registry() as conn:
            conn.execute(
                "UPDATE credit_accounts SET held = 51 WHERE store_id = %s", (shop.id,)
            )


def test_a_hold_left_by_a_crash_expires(platform, broke_shop):
    credits.credit_pack(platform, broke_shop.id, 4, "pay-expiry-test")
    hold = credits.reserve_credits(platform, broke_shop.id, 4)
    with platform.registry() as conn:
        conn.execute(
            """UPDATE credit_holds SET created_at = now() - interval '1 hour'
               WHERE id = %s""",
            (hold.id,),
        )

    assert credits.get_balance(platform, broke_shop.id).available == 4
    other = credits.reserve_credits(platform, broke_shop.id, 3)
    late = credits.settle_hold(
        platform, hold, 4, ref="late", provider="openai", model="m",
        tokens_in=1, tokens_out=1,
    )  # fmt: skip
    assert late.credits == 1  # only what the other hold left
    credits.release_hold(platform, other)
    assert credits.get_balance(platform, broke_shop.id).available == 3


def test_concurrent_spending_never_overdraws(platform, broke_shop):
    credits.credit_pack(platform, broke_shop.id, 50, "pay-threads-test")
    charged, errors = [], []
    start = threading.Barrier(8)

    def spender(number):
        start.wait()
        for attempt in range(20):
            try:
                charge = spend(platform, broke_shop.id, 3, 2, f"t{number}-{attempt}")
            except InsufficientCredits:
                return
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
            charged.append(charge.credits)

    threads = [threading.Thread(target=spender, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    balance = credits.get_balance(platform, broke_shop.id)
    assert balance.held == 0 and 0 <= balance.available < 3
    assert sum(charged) == 50 - balance.purchased
    summed, account = ledger_totals(platform, broke_shop.id)
    assert summed == account == (0, balance.purchased)
