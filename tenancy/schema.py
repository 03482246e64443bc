"""Applying migrations to the registry, the template and the store databases."""

import logging
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tenancy.db import describe
from tenancy.errors import MigrationFailed, TenancyError

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent / "migrations"


def registry_scripts():
    return _scripts(_HERE / "registry", ())


def store_scripts(extra_paths=()):
    """The store migrations, plus extra version folders (plugins, benchmarks)."""
    return _scripts(_HERE / "store", tuple(extra_paths))


def _scripts(folder, extra):
    locations = [str(folder / "versions"), *(str(p) for p in extra)]
    scripts = ScriptDirectory(str(folder), version_locations=locations)
    # NOTE: the revision map is built lazily and not thread-safe; build it now,
    # before several stores are migrated from threads.
    list(scripts.walk_revisions())
    return scripts


def head_revision(scripts):
    return scripts.get_current_head()


def upgrade(dsn, scripts, *, role=None):
    """Upgrade one database to head in one transaction; return (before, after).

    With ``role``, objects are created by that role (``SET LOCAL ROLE``), so they
    belong to the store and not to the superuser who connected.
    """
    engine = _engine(dsn)
    try:
        with engine.connect() as connection, connection.begin():
            if role is not None:
                quoted = sql.Identifier(role).as_string()
                connection.execute(text(f"SET LOCAL ROLE {quoted}"))
            return _run(connection, scripts)
    except TenancyError:
        raise
    except Exception as exc:
        raise MigrationFailed(describe(dsn), _first_line(exc)) from exc
    finally:
        engine.dispose()


def _first_line(exc):
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def current_revision(dsn):
    """The revision a database is on, or None when it has none."""
    engine = _engine(dsn)
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT to_regclass('alembic_version') IS NOT NULL")
            ).scalar()
            if not exists:
                return None
            return connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar()
    finally:
        engine.dispose()


def _run(connection, scripts):
    state = {}

    def steps(revision, context):
        state["before"] = context.get_current_revision()
        return scripts._upgrade_revs("head", revision)

    config = AlembicConfig()
    with EnvironmentContext(config, scripts, fn=steps, destination_rev="head") as env:
        env.configure(connection=connection, transactional_ddl=True)
        env.run_migrations()
    return state.get("before"), scripts.get_current_head()


def _engine(dsn):
    import psycopg

    return create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(dsn, connect_timeout=10),
        poolclass=NullPool,
    )
