import psycopg
import pytest

from tenancy import (
    InvalidSlug,
    ProvisioningFailed,
    StoreExists,
    StoreRequest,
    provision_store,
)
from tenancy import db as tdb

STEPS = [
    "reserve_registry_row",
    "create_role",
    "create_database",
    "secure_database",
    "run_migrations",
    "store_secrets",
    "mark_active",
]


def leftovers(platform, slug):
    """Registry rows, databases and roles that a store named ``slug`` left."""
    with platform.registry() as conn:
        rows = conn.execute(
            "SELECT db_name, role_name FROM stores WHERE lower(slug) = %s", (slug,)
        ).fetchall()
    prefix = platform.config.db_prefix
    with platform.admin_connection() as admin:
        dbs = admin.execute(
            "SELECT count(*) FROM pg_database WHERE datname LIKE %s", (f"{prefix}_s%",)
        ).fetchone()[0]
        roles = admin.execute(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE %s", (f"{prefix}_s%",)
        ).fetchone()[0]
    return rows, dbs, roles


def test_store_gets_its_own_database_and_role(platform, make_store):
    tenant = make_store("acme-shop")
    store = tenant.store

    assert store.status == "active"
    assert store.slug == "acme-shop"
    assert "acme" not in store.db_name and "acme" not in store.role_name
    with tenant.transaction() as conn:
        user, database = conn.execute(
            "SELECT current_user, current_database()"
        ).fetchone()
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'store_settings'"
        ).fetchone()[0]
    assert (user, database) == (store.role_name, store.db_name)
    assert owner == store.role_name


def test_one_store_cannot_reach_another(platform, make_store):
    a, b = make_store(), make_store()
    with b.transaction() as conn:
        conn.execute("INSERT INTO store_settings VALUES ('secret', '\"b-only\"')")

    # Store A's role, with its real password, aimed at B's database.
    a_dsn = platform.store_dsn(a.store)
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        psycopg.connect(tdb.with_database(a_dsn, b.store.db_name))

    # A's connection sees only A's rows.
    with a.transaction() as conn:
        assert conn.execute("SELECT count(*) FROM store_settings").fetchone()[0] == 0


def test_public_cannot_connect_to_a_store(platform, make_store):
    tenant = make_store()
    with platform.admin_connection() as admin:
        admin.execute(f"CREATE ROLE {platform.config.db_prefix}_outsider LOGIN")
        rows = admin.execute(
            """SELECT has_database_privilege('public', %s, 'CONNECT'),
                      has_database_privilege(%s, %s, 'CONNECT')""",
            (tenant.store.db_name, f"{platform.config.db_prefix}_outsider",
             tenant.store.db_name),
        ).fetchone()  # fmt: skip
        admin.execute(f"DROP ROLE {platform.config.db_prefix}_outsider")
    assert rows == (False, False)


def test_duplicate_slug_is_refused_whatever_its_case(platform, make_store):
    tenant = make_store()
    request = StoreRequest(tenant.store.slug.upper(), "Again", "x@example.com")

    with pytest.raises(StoreExists):
        provision_store(platform, request)


@pytest.mark.parametrize(
    "slug",
    [
        "www",
        "Admin",
        "",
        "a" * 64,
        "-lead",
        "trail-",
        "xn--bcher-kva",
        "ab'; DROP DATABASE postgres; --",
        'x"; CREATE ROLE evil SUPERUSER; --',
        "$(rm -rf /)",
        "`id`",
        "shop\nwww",
        "café",
        "a.b",
        "a_b",
        "1abc",
    ],
)
def test_bad_slugs_are_refused_before_anything_is_made(platform, slug):
    before = leftovers(platform, slug.lower())

    with pytest.raises(InvalidSlug):
        provision_store(platform, StoreRequest(slug, "Name", "o@example.com"))
    assert leftovers(platform, slug.lower()) == before


@pytest.mark.parametrize("failing_step", STEPS)
def test_failure_at_any_step_leaves_nothing_and_a_retry_works(
    platform, make_store, failing_step
):
    slug = f"roll-{STEPS.index(failing_step)}"
    before = leftovers(platform, slug)

    def explode(step):
        if step == failing_step:
            raise RuntimeError("injected failure")

    request = StoreRequest(slug, "Rollback", f"{slug}@example.com")
    with pytest.raises(ProvisioningFailed, match=failing_step):
        provision_store(platform, request, before_step=explode)
    assert leftovers(platform, slug) == before

    tenant = make_store(slug)
    assert tenant.store.status == "active"


def test_a_real_database_error_is_rolled_back_too(platform, make_store):
    prefix = platform.config.db_prefix
    with platform.registry() as conn:
        next_id = conn.execute("SELECT last_value + 1 FROM stores_id_seq").fetchone()[0]
    # A database already holding the name the next store would get.
    squatter = f"{prefix}_s{next_id}"
    with platform.admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{squatter}"')
    try:
        with pytest.raises(ProvisioningFailed, match="create_database"):
            provision_store(platform, StoreRequest("squat", "S", "s@example.com"))
        with platform.admin_connection() as admin:
            assert not tdb.role_exists(admin, f"{prefix}_s{next_id}_owner")
    finally:
        with platform.admin_connection() as admin:
            tdb.drop_database(admin, squatter)
    assert make_store("squat").store.status == "active"
