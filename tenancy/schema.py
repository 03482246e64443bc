"""Applying migrations to the registry, the template and the store databases.

Alembic and SQLAlchemy are imported inside the functions that need them: they
cost about a quarter of a second to import, and most processes (the web apps,
``apmt store create`` on an up-to-date template) never migrate anything.
"""

import ast
import logging
from pathlib import Path

from psycopg import sql

from tenancy.db import describe
from tenancy.errors import MigrationFailed, TenancyError

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent / "migrations"


def registry_scripts():
    return _scripts(_HERE / "registry", ())


def store_scripts(extra_paths=()):
    """The store migrations, plus extra version folders (plugins, benchmarks)."""
    return _scripts(_HERE / "store", tuple(extra_paths))


def store_head(extra_paths=()):
    """The head store revision, read from the version files without Alembic.

    Cheap enough to call on every store creation: it parses the few files'
    ``revision`` and ``down_revision`` assignments.
    """
    folders = [_HERE / "store" / "versions", *(Path(p) for p in extra_paths)]
    revisions, parents = set(), set()
    for folder in folders:
        for path in folder.glob("*.py"):
            found = _assignments(path)
            if "revision" in found:
                revisions.add(found["revision"])
                down = found.get("down_revision")
                parents.update(down if isinstance(down, tuple) else (down,))
    heads = revisions - parents
    if len(heads) != 1:
        raise MigrationFailed("store migrations", f"expected one head, found {heads}")
    return heads.pop()


def _assignments(path):
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in (
                "revision",
                "down_revision",
            ):
                found[target.id] = ast.literal_eval(node.value)
    return found


def _scripts(folder, extra):
    from alembic.script import ScriptDirectory

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
    from sqlalchemy import text

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


def current_revision(conn):
    """The revision the database behind a psycopg connection is on, or None."""
    exists = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0]
    if exists is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _run(connection, scripts):
    from alembic.config import Config as AlembicConfig
    from alembic.runtime.environment import EnvironmentContext

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
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(dsn, connect_timeout=10),
        poolclass=NullPool,
    )
