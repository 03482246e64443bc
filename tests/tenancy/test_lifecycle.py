from datetime import UTC, datetime, timedelta

import pytest

from tenancy import (
    TenancyError,
    cancel_store,
    delete_store,
    resume_store,
    suspend_store,
)
from tenancy import db as tdb


def test_suspend_resume_cancel(platform, make_store):
    tenant = make_store()
    slug = tenant.store.slug

    assert suspend_store(platform, slug).status == "suspended"
    assert resume_store(platform, slug).status == "active"

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    cancelled = cancel_store(platform, slug, now=now)
    assert cancelled.status == "cancelled"
    assert cancelled.purge_after == now + timedelta(days=30)

    reopened = resume_store(platform, slug)
    assert reopened.status == "active" and reopened.purge_after is None


def test_delete_destroys_database_role_and_secret(platform, make_store):
    tenant = make_store()
    store = tenant.store

    deleted = delete_store(platform, store.slug)
    assert deleted.status == "deleted"
    with platform.admin_connection() as admin:
        assert not tdb.database_exists(admin, store.db_name)
        assert not tdb.role_exists(admin, store.role_name)
    with platform.registry() as conn:
        sealed = conn.execute(
            "SELECT role_password FROM stores WHERE id = %s", (store.id,)
        ).fetchone()[0]
    assert sealed is None
    with pytest.raises(TenancyError):
        resume_store(platform, store.slug)
