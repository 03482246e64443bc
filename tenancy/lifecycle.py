"""Suspending, resuming, cancelling and deleting stores.

Cancelling keeps the store's data for ``RETENTION_DAYS`` and then the retention
job destroys it; deleting now (an owner's request) destroys it at once. What is
left is a tombstone row: id, slug, dates and who asked.
"""

import logging
from datetime import UTC, datetime, timedelta

from tenancy import db, registry, servers
from tenancy.errors import StoreNotActive, TenancyError

log = logging.getLogger(__name__)

RETENTION_DAYS = 30


def suspend_store(platform, key, *, actor="cli", reason=""):
    return _change(platform, key, "suspended", ("active",), actor, reason=reason)


def resume_store(platform, key, *, actor="cli"):
    """Re-open a suspended or cancelled store (before its data is destroyed)."""
    return _change(
        platform, key, "active", ("suspended", "cancelled"), actor,
        cancelled_at=None, purge_after=None,
    )  # fmt: skip


def cancel_store(platform, key, *, actor="cli", now=None):
    """Close the store and start the clock: its data goes after 30 days."""
    now = now or datetime.now(UTC)
    return _change(
        platform, key, "cancelled", ("active", "suspended"), actor,
        cancelled_at=now, purge_after=now + timedelta(days=RETENTION_DAYS),
    )  # fmt: skip


def delete_store(platform, key, *, actor="cli", requested_by="owner"):
    """Destroy a store's database, role and secrets now; keep a tombstone."""
    with platform.registry() as conn:
        store = registry.get_store(conn, key)
        if store.status == "deleted":
            raise StoreNotActive(store.slug, store.status)
        dsn = servers.server_dsn(
            conn, platform.keyring, store.server_id, platform.primary_dsn
        )

    platform.forget_store(store.id)
    with platform.admin_connection(server_dsn=dsn) as admin:
        if store.db_name:
            db.drop_database(admin, store.db_name)
        if store.role_name:
            db.drop_role(admin, store.role_name)

    with platform.registry() as conn:
        conn.execute("DELETE FROM store_secrets WHERE store_id = %s", (store.id,))
        conn.execute(
            """UPDATE stores SET status = 'deleted', deleted_at = now(),
                      role_password = NULL, deletion_requested_by = %s
               WHERE id = %s""",
            (requested_by, store.id),
        )
        registry.record_audit(conn, actor, "store.deleted", store.id)
    log.info("store=%s deleted", store.id)
    return platform.store(store.id)


def _change(platform, key, status, allowed_from, actor, **dates):
    with platform.registry() as conn:
        store = registry.get_store(conn, key)
        if store.status == status:
            return store
        if store.status not in allowed_from:
            raise TenancyError(
                f"store {store.slug!r} is {store.status}; it cannot become {status}"
            )
        reason = dates.pop("reason", "")
        registry.set_store_status(conn, store.id, status, **dates)
        registry.record_audit(conn, actor, f"store.{status}", store.id, reason=reason)

    if status != "active":
        platform.forget_store(store.id)
    log.info("store=%s status %s -> %s", store.id, store.status, status)
    return platform.store(store.id)
