"""Shared fixtures: a real PostgreSQL server and throwaway platforms on it.

Every test session works under its own database prefix (``t<pid>``), so runs
on the same server never see each other's databases, and drops all of them at
the end. Without ``DATABASE_URL`` the embedded server is started for the run.
"""

import base64
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tenancy import Platform, StoreRequest, delete_store, load_config, provision_store
from tenancy.secrets import Keyring

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# The Clover billing stub's fixtures (clover_stub, clover, billing_configured)
# serve tests in several folders.
pytest_plugins = ["tests.tenancy.clover_billing_stub"]


def new_keyring():
    return Keyring({"ktest1": secrets.token_bytes(32)})


def keys_env(keyring):
    return ",".join(
        f"{kid}:{base64.b64encode(keyring._keys[kid]).decode()}"
        for kid in keyring.key_ids
    )


@pytest.fixture(scope="session")
def server_dsn(tmp_path_factory):
    """Superuser DSN of the server the tests use."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return

    from tenancy.embedded import ensure_embedded_server, stop_embedded_server

    data_dir = Path(tempfile.mkdtemp(prefix="apmt-test-pg-"))
    url = ensure_embedded_server(data_dir)
    yield url
    stop_embedded_server(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def db_prefix(server_dsn):
    prefix = f"t{os.getpid()}"
    yield prefix
    drop_prefixed(server_dsn, prefix)


def drop_prefixed(dsn, prefix):
    """Drop every database and role whose name starts with ``prefix_``."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        pattern = prefix.replace("_", r"\_") + r"\_%"
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)
        ).fetchall()
        for (name,) in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (pattern,)
        ).fetchall()
        for (name,) in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def base_config(server_dsn, db_prefix, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("apmt-data")
    return load_config(
        {"DATABASE_URL": server_dsn, "APMT_DB_PREFIX": db_prefix,
         "APMT_DATA_DIR": str(data_dir)}
    )  # fmt: skip


@pytest.fixture(scope="session")
def keyring():
    return new_keyring()


@pytest.fixture(scope="session")
def platform(base_config, keyring):
    """A platform with its registry and template, shared by the session."""
    platform = Platform(base_config, keyring=keyring)
    platform.ensure_registry()
    from tenancy import schema
    from tenancy.template import upgrade_template

    upgrade_template(platform, platform.primary_dsn, schema.store_scripts())
    yield platform
    platform.close()


@pytest.fixture
def make_store(platform):
    """Create stores for one test and delete them afterwards."""
    made = []

    def make(slug=None, **fields):
        slug = slug or f"s{secrets.token_hex(4)}"
        # NOTE: tests import whole real catalogues; the plans' limits have
        # tests of their own, on stores that ask for a smaller plan.
        fields.setdefault("plan", "growth")
        request = StoreRequest(
            slug=slug,
            display_name=fields.pop("display_name", slug.title()),
            owner_email=fields.pop("owner_email", f"owner-{slug}@example.com"),
            **fields,
        )
        store = provision_store(platform, request)
        made.append(store.id)
        return platform.tenant(store.id)

    yield make
    for store_id in made:
        if platform.store(store_id).status != "deleted":
            delete_store(platform, store_id)


@pytest.fixture
def tenant(make_store):
    """A fresh store for one test."""
    return make_store()
