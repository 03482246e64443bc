"""Creating a store: a registry row, a role and a database, as named steps.

``provision_store`` runs the steps in order. Each step that makes something has
an undo; when a step fails, the undos of the steps before it run in reverse, so
a failure leaves no database, role or registry row behind and a retry starts
clean. Every step logs one line with the store id.

NOTE: creating a store should cost little more than the ``CREATE DATABASE``
itself, so the steps share one registry and one server connection, and Alembic
is only loaded when the template turns out to be behind the code.
"""

import logging
import secrets
import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from tenancy import db, registry, schema, servers
from tenancy.errors import ProvisioningFailed, StoreExists, TenancyError
from tenancy.platform import TEMPLATE_LOCK
from tenancy.slugs import normalise_slug, store_database_name, store_role_name
from tenancy.template import ensure_template

log = logging.getLogger(__name__)

# A registry row left in 'provisioning' this long was abandoned by a crash.
STALE_AFTER_SECONDS = 600


@dataclass
class StoreRequest:
    """What the caller asks for; validated before any step runs."""

    slug: str
    display_name: str
    owner_email: str
    owner_name: str = ""
    business_name: str = ""
    currency: str | None = None
    timezone: str | None = None
    plan: str = "free"
    actor: str = "cli"


@dataclass
class _Work:
    """What the steps have made so far, for the steps after them and the undos."""

    request: StoreRequest
    store_id: int | None = None
    account_id: int | None = None
    account_created: bool = False
    server_id: int | None = None
    server_dsn: str | None = None
    db_name: str | None = None
    role_name: str | None = None
    password: str | None = field(default=None, repr=False)
    revision: str | None = None
    registry: object = field(default=None, repr=False)
    admin: object = field(default=None, repr=False)

    def close(self):
        for conn in (self.registry, self.admin):
            if conn is not None:
                conn.close()


def provision_store(platform, request, *, password_factory=None, before_step=None):
    """Create a store and return its registry record.

    ``password_factory`` makes the role's password and ``before_step(name)`` is
    called before each step; tests pass their own to make steps fail.
    """
    request.slug = normalise_slug(request.slug)
    request.currency = (request.currency or platform.config.default_currency).upper()
    request.timezone = request.timezone or platform.config.default_timezone
    _validate(request)
    platform.check_keys()

    work = _Work(request)
    work.password = (password_factory or _new_password)()
    try:
        return _run_steps(platform, work, before_step)
    finally:
        work.close()


def _run_steps(platform, work, before_step):
    request = work.request
    steps = [
        ("reserve_registry_row", _reserve, _unreserve),
        ("create_role", _create_role, _drop_role),
        ("create_database", _create_database, _drop_database),
        ("secure_database", _secure_database, None),
        ("run_migrations", _run_migrations, None),
        ("store_secrets", _store_secrets, None),
        ("mark_active", _mark_active, None),
    ]

    done = []
    for name, step, undo in steps:
        started = time.perf_counter()
        try:
            if before_step is not None:
                before_step(name)
            step(platform, work)
        except Exception as exc:
            _undo(platform, work, done)
            if isinstance(exc, StoreExists):
                raise
            raise ProvisioningFailed(request.slug, name, _describe(exc)) from exc
        done.append((name, undo))
        log.info(
            "store=%s step=%s ms=%.1f",
            work.store_id,
            name,
            (time.perf_counter() - started) * 1000,
        )

    return registry.get_store(work.registry, work.store_id)


def _validate(request):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if "@" not in request.owner_email or len(request.owner_email) > 254:
        raise TenancyError(f"owner email {request.owner_email!r} is not an address")
    if not request.display_name.strip():
        raise TenancyError("the store needs a name")
    if len(request.currency) != 3 or not request.currency.isalpha():
        raise TenancyError(f"currency {request.currency!r} is not an ISO 4217 code")
    try:
        ZoneInfo(request.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TenancyError(f"unknown time zone {request.timezone!r}") from None


def _reserve(platform, work):
    request = work.request
    work.registry = platform.open_registry()
    conn = work.registry
    with conn.transaction():
        _clear_stale(platform, conn, request.slug)
        work.account_id, work.account_created = registry.find_or_create_account(
            conn, request.owner_email, request.owner_name, request.business_name
        )
        work.server_id = servers.pick_server(conn)
        try:
            with conn.transaction():
                row = conn.execute(
                    """INSERT INTO stores (slug, display_name, account_id, plan,
                                           currency, timezone, server_id)
                       VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
                    (
                        request.slug,
                        request.display_name.strip(),
                        work.account_id,
                        request.plan,
                        request.currency,
                        request.timezone,
                        work.server_id,
                    ),
                ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise StoreExists(request.slug) from None

        work.store_id = row[0]
        prefix = platform.config.db_prefix
        work.db_name = store_database_name(prefix, work.store_id)
        work.role_name = store_role_name(prefix, work.store_id)
        conn.execute(
            "UPDATE stores SET db_name = %s, role_name = %s WHERE id = %s",
            (work.db_name, work.role_name, work.store_id),
        )
        work.server_dsn = servers.server_dsn(
            conn, platform.keyring, work.server_id, platform.primary_dsn
        )


def _unreserve(platform, work):
    conn = work.registry
    if conn.broken or conn.closed:
        conn = work.registry = platform.open_registry()
    conn.rollback()
    with conn.transaction():
        conn.execute("DELETE FROM stores WHERE id = %s", (work.store_id,))
        if work.account_created:
            conn.execute(
                """DELETE FROM accounts WHERE id = %s
                   AND NOT EXISTS (SELECT 1 FROM stores WHERE account_id = %s)""",
                (work.account_id, work.account_id),
            )


def _create_role(platform, work):
    work.admin = platform.admin_connection(server_dsn=work.server_dsn)
    work.admin.execute(
        sql.SQL(
            "CREATE ROLE {} LOGIN PASSWORD {} NOSUPERUSER NOCREATEDB NOCREATEROLE"
        ).format(sql.Identifier(work.role_name), sql.Literal(work.password))
    )


def _drop_role(platform, work):
    with platform.admin_connection(server_dsn=work.server_dsn) as admin:
        db.drop_role(admin, work.role_name)


def _create_database(platform, work):
    statement = sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {}").format(
        sql.Identifier(work.db_name),
        sql.Identifier(platform.config.template_db),
        sql.Identifier(work.role_name),
    )
    # A shared lock: stores may be cloned side by side, but not while the
    # template is being migrated (that takes the lock exclusively).
    lock = work.registry
    lock.execute("SELECT pg_advisory_lock_shared(%s)", (TEMPLATE_LOCK,))
    lock.commit()
    try:
        try:
            work.admin.execute(statement)
        except psycopg.errors.InvalidCatalogName:
            # First store on this server: make its template, then clone it.
            ensure_template(platform, work.server_dsn)
            work.admin.execute(statement)
    finally:
        lock.execute("SELECT pg_advisory_unlock_shared(%s)", (TEMPLATE_LOCK,))
        lock.commit()


def _drop_database(platform, work):
    with platform.admin_connection(server_dsn=work.server_dsn) as admin:
        db.drop_database(admin, work.db_name)


def _secure_database(platform, work):
    database = sql.Identifier(work.db_name)
    role = sql.Identifier(work.role_name)
    template_role = sql.Identifier(platform.config.template_role)
    with platform.admin_connection(work.db_name, server_dsn=work.server_dsn) as conn:
        work.revision = schema.current_revision(conn)
        conn.execute(sql.SQL("REASSIGN OWNED BY {} TO {}").format(template_role, role))
        conn.execute(
            sql.SQL("REVOKE ALL ON SCHEMA public FROM {}").format(template_role)
        )
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(database))
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                database, role
            )
        )


def _run_migrations(platform, work):
    # The template is normally at head already; this catches a store cloned
    # from a template that a migration run had not reached yet.
    extra = platform.config.store_migration_paths
    if work.revision == schema.store_head(extra):
        return
    dsn = db.with_database(work.server_dsn, work.db_name)
    schema.upgrade(dsn, schema.store_scripts(extra), role=work.role_name)


def _store_secrets(platform, work):
    sealed = platform.keyring.seal(work.password, f"store:{work.store_id}:db_password")
    with work.registry.transaction():
        work.registry.execute(
            "UPDATE stores SET role_password = %s WHERE id = %s",
            (sealed, work.store_id),
        )


def _mark_active(platform, work):
    conn = work.registry
    with conn.transaction():
        registry.set_store_status(conn, work.store_id, "active")
        registry.record_audit(
            conn, work.request.actor, "store.created", work.store_id,
            server_id=work.server_id,
        )  # fmt: skip
        registry.record_usage(
            conn,
            "store_created",
            work.store_id,
            work.account_id,
            plan=work.request.plan,
        )


def _undo(platform, work, done):
    for name, undo in reversed(done):
        if undo is None:
            continue
        try:
            undo(platform, work)
        except Exception:
            # NOTE: keep undoing the rest; a leftover is cleared by the next try
            # (see _clear_stale) rather than hidden behind this error.
            log.exception("store=%s undo of %s failed", work.store_id, name)


def _clear_stale(platform, conn, slug):
    """Remove what a crashed creation of ``slug`` left behind, if it is old."""
    row = conn.execute(
        """SELECT id, server_id, db_name, role_name FROM stores
           WHERE lower(slug) = %s AND status = 'provisioning'
             AND created_at < now() - make_interval(secs => %s)""",
        (slug, STALE_AFTER_SECONDS),
    ).fetchone()
    if row is None:
        return

    store_id, server_id, db_name, role_name = row
    dsn = servers.server_dsn(conn, platform.keyring, server_id, platform.primary_dsn)
    with platform.admin_connection(server_dsn=dsn) as admin:
        if db_name:
            db.drop_database(admin, db_name)
        if role_name:
            db.drop_role(admin, role_name)
    conn.execute("DELETE FROM stores WHERE id = %s", (store_id,))
    log.info("store=%s cleared an interrupted creation", store_id)


def _new_password():
    return secrets.token_urlsafe(32)


def _describe(exc):
    if isinstance(exc, TenancyError):
        return str(exc)
    if isinstance(exc, psycopg.Error):
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return f"{type(exc).__name__}: {exc}"
