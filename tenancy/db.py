"""PostgreSQL connections for the platform's own work (superuser side).

The superuser DSN is used only by provisioning and migrations; the apps reach a
store's database through ``tenancy.pools`` with the store's own role.
"""

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tenancy.errors import DatabaseUnavailable

CONNECT_TIMEOUT = 10


def with_database(dsn, dbname, **overrides):
    """The same server DSN aimed at another database (and maybe another user)."""
    return make_conninfo(dsn, dbname=dbname, **overrides)


def describe(dsn):
    """``host:port/db`` of a DSN, without user or password, for messages."""
    parts = conninfo_to_dict(dsn)
    host = parts.get("host") or "localhost"
    if host.startswith("/"):
        host = "socket"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


def connect(dsn, *, autocommit=False, **kwargs):
    """Open a connection, turning connection failures into DatabaseUnavailable."""
    try:
        return psycopg.connect(
            dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT, **kwargs
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(describe(dsn), _first_line(exc)) from None


def database_exists(conn, name):
    row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
    return row.fetchone() is not None


def role_exists(conn, name):
    row = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    return row.fetchone() is not None


def drop_database(conn, name):
    """Drop a database, closing its sessions first (an autocommit connection)."""
    conn.execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


def drop_role(conn, name):
    conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
