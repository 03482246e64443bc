"""Suspending, resuming, cancelling and deleting stores.

Cancelling keeps the store's data for ``RETENTION_DAYS`` and then the retention
job (``tenancy.retention``) destroys it; an owner may ask for deletion now.
Destroying a store removes its database, role, secrets, custom domains and the
files kept for it (exports, mail); what is left is a tombstone row: id, dates
and who asked. Every step is idempotent, so a destruction that crashed half way
is finished by the next attempt.
"""

import logging
import shutil
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
    """Close the store and start the clock: its data goes after 30 days.

    The owner is told the date, and that reactivating before it keeps the data.
    """
    now = now or datetime.now(UTC)
    store = _change(
        platform, key, "cancelled", ("active", "suspended"), actor,
        cancelled_at=now, purge_after=now + timedelta(days=RETENTION_DAYS),
    )  # fmt: skip
    _notify_cancelled(platform, store)
    return store


def _notify_cancelled(platform, store):
    from tenancy.mail import Message, enqueue

    with platform.registry() as conn:
        account = (
            registry.get_account(conn, store.account_id) if store.account_id else None
        )
        if account is None:
            return
        enqueue(conn, Message(
            kind="cancellation_notice",
            recipient=account.email,
            subject=f"{store.display_name} is cancelled",
            body_text=(
                f"Your store {store.display_name} is cancelled and its storefront "
                f"is closed. Its data is kept until {store.purge_after:%Y-%m-%d} "
                f"{store.purge_after:%H:%M} UTC and deleted after that. Sign in "
                "and reactivate the store before then to keep everything.\n"
            ),
            dedupe_key=f"cancelled:{store.id}:{store.cancelled_at:%Y%m%d%H%M%S}",
        ))  # fmt: skip


def request_deletion_now(platform, key, *, actor="owner"):
    """Close the store and mark it for destruction at the next retention run."""
    now = datetime.now(UTC)
    store = cancel_store(platform, key, actor=actor, now=now)
    with platform.registry() as conn:
        conn.execute(
            """UPDATE stores SET delete_now_requested_at = %s, purge_after = %s
               WHERE id = %s""",
            (now, now, store.id),
        )
        registry.record_audit(conn, actor, "store.delete_requested", store.id)
    return platform.store(store.id)


def delete_store(platform, key, *, actor="cli", requested_by="owner"):
    """Destroy a store's database, role, secrets and files now; keep a tombstone."""
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
    for folder in store_folders(platform.config, store.id):
        shutil.rmtree(folder, ignore_errors=True)
    # The analytics mirror holds sales and customer hashes: it goes too.
    for mirror in (platform.config.data_dir / "analytics").glob(f"{store.id}.duckdb*"):
        mirror.unlink(missing_ok=True)

    with platform.registry() as conn:
        conn.execute("DELETE FROM store_secrets WHERE store_id = %s", (store.id,))
        conn.execute("DELETE FROM custom_domains WHERE store_id = %s", (store.id,))
        # The tombstone: the slug is freed and the name forgotten.
        conn.execute(
            """UPDATE stores SET status = 'deleted', deleted_at = now(),
                      role_password = NULL, deletion_requested_by = %s,
                      slug = 'deleted-' || id, display_name = ''
               WHERE id = %s""",
            (requested_by, store.id),
        )
        registry.record_audit(conn, actor, "store.deleted", store.id)
    log.info("store=%s deleted", store.id)
    return platform.store(store.id)


def store_folders(config, store_id):
    """The folders under the data dir that hold files of one store."""
    return [config.data_dir / kind / str(int(store_id)) for kind in ("exports", "mail")]


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
