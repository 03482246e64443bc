import threading
from datetime import UTC, datetime, timedelta

from tenancy import cancel_store
from tenancy import db as tdb
from tenancy.lifecycle import request_deletion_now
from tenancy.retention import run_retention


def database_exists(platform, name):
    with platform.admin_connection() as admin:
        return tdb.database_exists(admin, name)


def outbox(platform, kind):
    with platform.registry() as conn:
        return conn.execute(
            "SELECT recipient, subject, body_text FROM outbox WHERE kind = %s", (kind,)
        ).fetchall()


def test_nothing_is_deleted_a_minute_early(platform, make_store):
    tenant = make_store()
    cancelled_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    store = cancel_store(platform, tenant.id, now=cancelled_at)
    purge = store.purge_after
    assert purge == cancelled_at + timedelta(days=30)

    run_retention(platform, now=purge - timedelta(minutes=1))
    assert platform.store(tenant.id).status == "cancelled"
    assert database_exists(platform, store.db_name)

    report = run_retention(platform, now=purge)
    assert tenant.id in report.deleted
    tomb = platform.store(tenant.id)
    assert tomb.status == "deleted" and tomb.display_name == ""
    assert not database_exists(platform, store.db_name)


def test_owner_is_told_the_date_and_warned_before_deletion(platform, make_store):
    tenant = make_store()
    cancelled_at = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    store = cancel_store(platform, tenant.id, now=cancelled_at)
    email = f"owner-{tenant.store.slug}@example.com"

    notices = [n for n in outbox(platform, "cancellation_notice") if n[0] == email]
    assert notices and f"{store.purge_after:%Y-%m-%d}" in notices[0][2]

    week_before = store.purge_after - timedelta(days=6)
    run_retention(platform, now=week_before)
    run_retention(platform, now=week_before + timedelta(hours=1))
    warned = [n for n in outbox(platform, "pre_deletion_notice") if n[0] == email]
    assert len(warned) == 1


def test_immediate_deletion_at_the_next_run(platform, make_store):
    tenant = make_store()
    request_deletion_now(platform, tenant.id)
    report = run_retention(platform)
    assert tenant.id in report.deleted
    with platform.registry() as conn:
        who = conn.execute(
            "SELECT deletion_requested_by FROM stores WHERE id = %s", (tenant.id,)
        ).fetchone()[0]
    assert who == "owner"


def test_a_crash_half_way_is_finished_by_the_next_run(platform, make_store):
    tenant = make_store()
    store = tenant.store
    request_deletion_now(platform, tenant.id)
    # As if a run died after dropping the database but before the tombstone.
    platform.forget_store(tenant.id)
    with platform.admin_connection() as admin:
        tdb.drop_database(admin, store.db_name)

    report = run_retention(platform)
    assert tenant.id in report.deleted
    with platform.admin_connection() as admin:
        assert not tdb.role_exists(admin, store.role_name)


def test_two_runs_at_once_do_not_collide(platform, make_store):
    tenants = [make_store() for _ in range(3)]
    for tenant in tenants:
        request_deletion_now(platform, tenant.id)

    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(run_retention(platform)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    deleted = [s for r in reports for s in r.deleted]
    assert sorted(s for s in deleted if s in {t.id for t in tenants}) == sorted(
        t.id for t in tenants
    )
    assert all(not r.failed for r in reports)


def test_client_addresses_leave_old_access_logs(platform, tmp_path):
    import json
    import logging

    from tenancy.access_logs import DailyFileHandler, scrub_client_addresses

    handler = DailyFileHandler(tmp_path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    line = '{"path":"/","client_ip":"203.0.113.9"}'
    record = logging.LogRecord("x", logging.INFO, "", 0, line, None, None)
    handler.emit(record)
    today = next(tmp_path.glob("*.jsonl"))
    old = tmp_path / "2026-01-01.jsonl"
    old.write_text('{"path":"/products","client_ip":"203.0.113.7"}\n')

    now = datetime(2026, 1, 9, tzinfo=UTC)
    assert scrub_client_addresses(tmp_path, days=7, now=now) == 1
    assert json.loads(old.read_text()) == {"path": "/products"}
    assert "203.0.113.9" in today.read_text()
    assert scrub_client_addresses(tmp_path, days=7, now=now) == 0
