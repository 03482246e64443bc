"""``apmt retention run``: destroy what the privacy policy says must go.

"If you cancel, your store data is retained for 30 days before deletion. You
may request immediate deletion." Each run, safe to start from cron every hour:

1. warns the owners of stores due within ``NOTICE_DAYS`` (once per store and
   purge date, through the registry outbox);
2. destroys every store whose purge date has passed or whose owner asked for
   immediate deletion (``tenancy.lifecycle.delete_store``), never a minute early;
3. erases the personal fields of accounts whose owner asked for deletion once
   none of their stores is left;
4. prunes failed-login records past their window, and drops client addresses
   from access-log files older than ``APMT_ACCESS_LOG_IP_DAYS``.

Two runs at once do not collide: a run that cannot take the advisory lock says
so and does nothing. A run that crashed half way is finished by the next one,
because every destruction step can be repeated.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tenancy import lifecycle, registry
from tenancy.mail import Message, enqueue

log = logging.getLogger(__name__)

RETENTION_LOCK = 0x41504D55
NOTICE_DAYS = 7


@dataclass
class RetentionReport:
    ran: bool = True
    notices: list = field(default_factory=list)
    deleted: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    login_failures_pruned: int = 0
    accounts_erased: int = 0
    access_logs_scrubbed: int = 0


def run_retention(platform, *, now=None):
    """One retention pass at ``now`` (the real clock by default)."""
    now = now or datetime.now(UTC)
    report = RetentionReport()

    with platform.registry_connection() as lock:
        lock.autocommit = True
        got = lock.execute(
            "SELECT pg_try_advisory_lock(%s)", (RETENTION_LOCK,)
        ).fetchone()[0]
        if not got:
            report.ran = False
            return report
        try:
            _send_notices(platform, now, report)
            _destroy_due(platform, now, report)
            _prune(platform, now, report)
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (RETENTION_LOCK,))
    return report


def _send_notices(platform, now, report):
    with platform.registry() as conn:
        due = conn.execute(
            """SELECT s.id, s.display_name, s.purge_after, a.email
               FROM stores s JOIN accounts a ON a.id = s.account_id
               WHERE s.status = 'cancelled' AND s.delete_now_requested_at IS NULL
                 AND s.purge_after > %s AND s.purge_after <= %s""",
            (now, now + timedelta(days=NOTICE_DAYS)),
        ).fetchall()
        for store_id, name, purge_after, email in due:
            queued = enqueue(conn, Message(
                kind="pre_deletion_notice",
                recipient=email,
                subject=f"{name}: your store's data will be deleted on "
                        f"{purge_after:%Y-%m-%d}",
                body_text=_notice_text(name, purge_after),
                dedupe_key=f"pre-deletion:{store_id}:{purge_after:%Y%m%d%H%M}",
            ))  # fmt: skip
            if queued:
                report.notices.append(store_id)


def _notice_text(name, purge_after):
    return (
        f"Your store {name} was cancelled. As our privacy policy says, its data "
        f"is kept for 30 days: it will be deleted on {purge_after:%Y-%m-%d} at "
        f"{purge_after:%H:%M} UTC. To keep it, sign in and reactivate the store "
        "before then. To export your inventory first, use Export in your dashboard.\n"
    )


def _destroy_due(platform, now, report):
    with platform.registry() as conn:
        due = conn.execute(
            """SELECT id, CASE WHEN delete_now_requested_at IS NOT NULL
                               THEN 'owner' ELSE 'retention' END
               FROM stores
               WHERE status IN ('cancelled', 'suspended')
                 AND purge_after IS NOT NULL AND purge_after <= %s
               ORDER BY purge_after""",
            (now,),
        ).fetchall()

    for store_id, requested_by in due:
        try:
            lifecycle.delete_store(
                platform, store_id, actor="retention", requested_by=requested_by
            )
        except Exception as exc:  # NOTE: one store's failure must not stop the rest
            log.warning("store=%s retention failed: %s", store_id, exc)
            report.failed[store_id] = str(exc).splitlines()[0]
            continue
        report.deleted.append(store_id)


def _prune(platform, now, report):
    from tenancy.access_logs import access_log_dir, scrub_client_addresses
    from tenancy.account_rights import erase_deleted_accounts

    report.access_logs_scrubbed = scrub_client_addresses(
        access_log_dir(platform.config), days=platform.config.access_log_ip_days,
        now=now,
    )  # fmt: skip
    with platform.registry() as conn:
        report.accounts_erased = erase_deleted_accounts(conn)
        report.login_failures_pruned = conn.execute(
            "DELETE FROM login_failures WHERE at < %s", (now - timedelta(days=1),)
        ).rowcount
        registry.record_audit(
            conn, "retention", "retention.run",
            deleted=len(report.deleted), notices=len(report.notices),
        )  # fmt: skip
