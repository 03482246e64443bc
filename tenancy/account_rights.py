"""An owner's rights over what the platform holds about them.

"You may request access to, correction of, or deletion of your personal data
at any time." Correction is ``tenancy.profile.update_account``. Here:

- ``export_account``: everything the registry holds about an account, as one
  JSON-ready dict (sessions without their token hashes, no secrets);
- ``delete_account``: cancels the account's stores (destroyed after 30 days,
  or at the next retention run when the owner asks for it now), logs out every
  session, and marks the account; the retention job erases the account's
  personal fields once none of its stores is left.
"""

from datetime import UTC, datetime
from decimal import Decimal

from tenancy import lifecycle, registry

SECURITY_ADDRESS = "security@apmtsales.com"


def export_account(platform, account_id):
    """The registry's data about one account, ready for ``json.dumps``."""
    with platform.registry() as conn:
        account = _rows(
            conn,
            """SELECT id, owner_name, email, business_name,
                                        created_at, updated_at, password_changed_at
                                 FROM accounts WHERE id = %s""",
            (account_id,),
        )
        stores = _rows(
            conn,
            """SELECT id, slug, display_name, status, plan, currency,
                                       timezone, created_at, cancelled_at, purge_after
                                FROM stores WHERE account_id = %s""",
            (account_id,),
        )
        ids = [s["id"] for s in stores]
        return {
            "exported_at": datetime.now(UTC).isoformat(),
            "account": account[0] if account else None,
            "stores": stores,
            "sessions": _rows(conn, """SELECT user_agent, created_at, last_seen_at,
                                              expires_at, revoked_at
                                       FROM sessions WHERE account_id = %s""",
                              (account_id,)),
            "usage_events": _rows(conn, """SELECT at, store_id, kind, quantity
                                           FROM usage_events
                                           WHERE account_id = %s OR store_id = ANY(%s)
                                           ORDER BY at""", (account_id, ids)),
            "audit_log": _rows(conn, """SELECT at, actor, store_id, action
                                        FROM audit_log WHERE store_id = ANY(%s)
                                        ORDER BY at""", (ids,)),
            "billing": _rows(conn, """SELECT store_id, plan, state, card_hint,
                                             past_due_since, suspended_at,
                                             cancelled_at, created_at
                                      FROM subscriptions WHERE store_id = ANY(%s)""",
                             (ids,)),
            "payments": _rows(conn, """SELECT store_id, kind, status, amount,
                                              currency, clover_ref, pack, credits,
                                              plan, created_at, paid_at
                                       FROM billing_payments
                                       WHERE store_id = ANY(%s) ORDER BY created_at""",
                              (ids,)),
            "questions": f"Write to {SECURITY_ADDRESS} for anything not listed here.",
        }  # fmt: skip


def delete_account(platform, account_id, *, immediately, actor="owner"):
    """Cancel every store of the account and mark the account for erasure."""
    with platform.registry() as conn:
        stores = conn.execute(
            """SELECT id FROM stores WHERE account_id = %s
               AND status NOT IN ('deleted', 'provisioning')""",
            (account_id,),
        ).fetchall()

    for (store_id,) in stores:
        if immediately:
            lifecycle.request_deletion_now(platform, store_id, actor=actor)
        elif platform.store(store_id).status != "cancelled":
            lifecycle.cancel_store(platform, store_id, actor=actor)

    with platform.registry() as conn:
        conn.execute(
            "UPDATE accounts SET deletion_requested_at = now() WHERE id = %s",
            (account_id,),
        )
        conn.execute(
            """UPDATE sessions SET revoked_at = now()
               WHERE account_id = %s AND revoked_at IS NULL""",
            (account_id,),
        )
        registry.record_audit(conn, actor, "account.delete_requested",
                              immediately=immediately)  # fmt: skip
    return len(stores)


def erase_deleted_accounts(conn):
    """Erase marked accounts that have no store left; return how many."""
    return conn.execute(
        """UPDATE accounts a SET owner_name = '', business_name = '',
                  email = 'deleted-' || a.id || '@invalid', password_hash = NULL,
                  updated_at = now()
           WHERE a.deletion_requested_at IS NOT NULL
             AND a.email NOT LIKE 'deleted-%%@invalid'
             AND NOT EXISTS (SELECT 1 FROM stores s WHERE s.account_id = a.id
                             AND s.status <> 'deleted')"""
    ).rowcount


def _rows(conn, query, params):
    cursor = conn.execute(query, params)
    names = [d.name for d in cursor.description]
    return [_plain(dict(zip(names, row, strict=True))) for row in cursor]


def _plain(row):
    return {k: _value(v) for k, v in row.items()}


def _value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
