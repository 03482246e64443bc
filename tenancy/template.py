"""The migrated template database that every new store is cloned from.

Each database server has one, owned by the superuser. The objects in it belong
to a NOLOGIN template role, so that a new store's database can hand them all to
the store's role with one ``REASSIGN OWNED``; the template database itself must
not belong to that role, or the reassignment would hand it over too. Nobody
keeps a connection open to it: PostgreSQL refuses to clone a database that has
other sessions.
"""

from contextlib import contextmanager

from psycopg import sql

from tenancy import db, schema
from tenancy.platform import TEMPLATE_LOCK


def ensure_template(platform, server_dsn, *, repair=False):
    """Create the template database and role on a server when missing.

    With ``repair``, also re-grant the template role its rights on an existing
    template (``apmt migrate`` does, so a damaged template heals).
    """
    name, role = platform.config.template_db, platform.config.template_role
    with platform.admin_connection(server_dsn=server_dsn) as admin:
        if not db.role_exists(admin, role):
            admin.execute(
                sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role))
            )
        if db.database_exists(admin, name) and not repair:
            return
        if not db.database_exists(admin, name):
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(
            sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(
                sql.Identifier(name)
            )
        )

    dsn = db.with_database(server_dsn, name)
    with db.connect(dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(
                sql.Identifier(role)
            )
        )


def upgrade_template(platform, server_dsn, scripts):
    """Bring the template to head while no store is being cloned from it."""
    ensure_template(platform, server_dsn, repair=True)
    dsn = db.with_database(server_dsn, platform.config.template_db)
    with template_lock(platform, exclusive=True):
        return schema.upgrade(dsn, scripts, role=platform.config.template_role)


@contextmanager
def template_lock(platform, *, exclusive):
    """Hold the registry's advisory lock on the templates for the block."""
    take = "pg_advisory_lock" if exclusive else "pg_advisory_lock_shared"
    give = "pg_advisory_unlock" if exclusive else "pg_advisory_unlock_shared"
    with platform.registry_connection() as conn:
        conn.autocommit = True
        conn.execute(f"SELECT {take}(%s)", (TEMPLATE_LOCK,))
        try:
            yield
        finally:
            conn.execute(f"SELECT {give}(%s)", (TEMPLATE_LOCK,))
