"""Reading and writing the registry: stores, accounts and database servers.

Functions here take an open registry connection (a psycopg connection to the
platform database) and leave transaction control to the caller.
"""

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import class_row

from tenancy.errors import StoreNotFound

STORE_STATUSES = ("provisioning", "active", "suspended", "cancelled", "deleted")


@dataclass(frozen=True)
class Store:
    """A store as the registry knows it. Carries no secret."""

    id: int
    slug: str
    display_name: str
    account_id: int | None
    status: str
    plan: str
    currency: str
    timezone: str
    server_id: int | None
    db_name: str | None
    role_name: str | None
    created_at: datetime
    cancelled_at: datetime | None
    purge_after: datetime | None

    @property
    def is_open(self):
        return self.status == "active"


@dataclass(frozen=True)
class Account:
    id: int
    owner_name: str
    email: str
    business_name: str
    created_at: datetime


_STORE_COLUMNS = """
    id, slug, display_name, account_id, status, plan, currency, timezone,
    server_id, db_name, role_name, created_at, cancelled_at, purge_after
"""


def get_store(conn, key):
    """A store by id (int) or slug (text, any case); raise StoreNotFound."""
    if isinstance(key, int):
        where, value = "id = %s", key
    else:
        where, value = "lower(slug) = lower(%s)", str(key).strip()

    with conn.cursor(row_factory=class_row(Store)) as cur:
        cur.execute(f"SELECT {_STORE_COLUMNS} FROM stores WHERE {where}", (value,))
        store = cur.fetchone()
    if store is None:
        raise StoreNotFound(key)
    return store


def list_stores(conn, *, include_deleted=False):
    where = "" if include_deleted else "WHERE status <> 'deleted'"
    with conn.cursor(row_factory=class_row(Store)) as cur:
        cur.execute(f"SELECT {_STORE_COLUMNS} FROM stores {where} ORDER BY id")
        return cur.fetchall()


def set_store_status(conn, store_id, status, **dates):
    """Change a store's status and any of its lifecycle dates."""
    assignments = ["status = %(status)s"]
    assignments += [f"{name} = %({name})s" for name in dates]
    conn.execute(
        f"UPDATE stores SET {', '.join(assignments)} WHERE id = %(id)s",
        {"status": status, "id": store_id, **dates},
    )


def find_or_create_account(conn, email, owner_name="", business_name=""):
    """The account for ``email`` (case-insensitive), created when missing."""
    row = conn.execute(
        "SELECT id FROM accounts WHERE lower(email) = lower(%s)", (email,)
    ).fetchone()
    if row:
        return row[0], False

    row = conn.execute(
        """INSERT INTO accounts (owner_name, email, business_name)
           VALUES (%s, %s, %s) RETURNING id""",
        (owner_name, email, business_name),
    ).fetchone()
    return row[0], True


def get_account(conn, account_id):
    with conn.cursor(row_factory=class_row(Account)) as cur:
        cur.execute(
            """SELECT id, owner_name, email, business_name, created_at
               FROM accounts WHERE id = %s""",
            (account_id,),
        )
        return cur.fetchone()


def record_audit(conn, actor, action, store_id=None, **detail):
    """Append to the audit log. ``detail`` must hold no secret or personal data."""
    from psycopg.types.json import Jsonb

    conn.execute(
        "INSERT INTO audit_log (actor, store_id, action, detail) VALUES (%s,%s,%s,%s)",
        (actor, store_id, action, Jsonb(detail)),
    )


def record_usage(conn, kind, store_id=None, account_id=None, quantity=1, **detail):
    """Append a usage event; cheap, and never holds shoppers' personal data."""
    from psycopg.types.json import Jsonb

    conn.execute(
        """INSERT INTO usage_events (kind, store_id, account_id, quantity, detail)
           VALUES (%s, %s, %s, %s, %s)""",
        (kind, store_id, account_id, quantity, Jsonb(detail)),
    )


def count_daily(conn, store_id, day, kind, amount=0, currency=""):
    """Add one event (and ``amount``) to the store's figures for ``day``."""
    conn.execute(
        """INSERT INTO usage_daily (store_id, day, kind, currency, events, amount)
           VALUES (%s, %s, %s, %s, 1, %s)
           ON CONFLICT (store_id, day, kind, currency) DO UPDATE
           SET events = usage_daily.events + 1,
               amount = usage_daily.amount + EXCLUDED.amount, updated_at = now()""",
        (store_id, day, kind, currency, amount),
    )
