"""Platform staff: their accounts, their login, and support access to a store.

Staff never reach a store's data by being staff. A staff member asks for
support access to one store, says why, and gets it for a limited time
(``MAX_GRANT``); the grant and its end are written to the audit log, and every
use is checked against an unexpired, unrevoked grant.

Staff log in with the same rate limits as owners: failures are counted per
email and per client address in ``login_failures``.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.rows import class_row

from tenancy import passwords, registry, sessions
from tenancy.errors import AuthenticationFailed, TenancyError

log = logging.getLogger(__name__)

ROLES = ("support", "admin")
MAX_GRANT = timedelta(hours=8)
MAX_REASON = 500


class SupportRefused(TenancyError):
    """A staff account or support grant that cannot be made as asked."""


@dataclass(frozen=True)
class Staff:
    id: int
    email: str
    name: str
    role: str
    disabled_at: datetime | None

    @property
    def is_admin(self):
        return self.role == "admin"


@dataclass(frozen=True)
class Grant:
    id: int
    staff_id: int
    store_id: int
    reason: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


# -- staff accounts -----------------------------------------------------------


def create_staff(platform, email, name, password, *, role="support", actor="cli"):
    """Create a staff account; return its id. The CLI's ``staff create`` calls it."""
    if role not in ROLES:
        raise SupportRefused(f"role must be one of {', '.join(ROLES)}")
    if "@" not in (email or "") or not (name or "").strip():
        raise SupportRefused("a staff account needs an email address and a name")
    problem = passwords.check_strength(password)
    if problem:
        raise SupportRefused(f"the password {problem}")

    try:
        with platform.registry() as conn:
            staff_id = conn.execute(
                """INSERT INTO staff (email, name, password_hash, role)
                   VALUES (%s, %s, %s, %s) RETURNING id""",
                (email.strip(), name.strip(), passwords.hash_password(password), role),
            ).fetchone()[0]
            registry.record_audit(
                conn, actor, "staff.created", staff_id=staff_id, role=role
            )
    except psycopg.errors.UniqueViolation:
        raise SupportRefused("a staff account with this email exists") from None
    return staff_id


def get_staff(platform, staff_id):
    """The staff member, or None when unknown or disabled."""
    with platform.registry() as conn:
        return get_staff_in(conn, staff_id)


def log_in_staff(platform, email, password, *, client="", user_agent="", now=None):
    """Check a staff member's credentials and open a session; raise on failure."""
    now = now or datetime.now(UTC)
    # NOTE: the keys differ from an owner's, so failures on one login form do
    # not lock the same address out of the other.
    keys = [
        sessions._digest(f"staff-email:{email.strip().lower()}"),
        sessions._digest(f"client:{client}"),
    ]

    with platform.registry_connection() as conn:
        with conn.transaction():
            sessions._check_rate(conn, keys, now)
            row = conn.execute(
                """SELECT id, password_hash FROM staff
                   WHERE lower(email) = lower(%s) AND disabled_at IS NULL""",
                (email.strip(),),
            ).fetchone()
            accepted = passwords.verify_password(row[1] if row else None, password)
            if not accepted:
                conn.cursor().executemany(
                    "INSERT INTO login_failures (key_hash, at) VALUES (%s, %s)",
                    [(key, now) for key in keys],
                )
        if not accepted:
            raise AuthenticationFailed()

        with conn.transaction():
            conn.execute("DELETE FROM login_failures WHERE key_hash = %s", (keys[0],))
            registry.record_audit(conn, f"staff:{row[0]}", "staff.logged_in")
            return sessions.open_session(
                conn, staff_id=row[0], user_agent=user_agent, now=now
            )


# -- support grants -----------------------------------------------------------


def grant_support(platform, staff_id, store_id, reason, *, hours=1, now=None):
    """Give a staff member access to one store for ``hours``, saying why."""
    now = now or datetime.now(UTC)
    reason = " ".join((reason or "").split())
    if not reason:
        raise SupportRefused("say why you need access to this store")
    if len(reason) > MAX_REASON:
        raise SupportRefused(f"keep the reason under {MAX_REASON} characters")
    length = timedelta(hours=float(hours))
    if not timedelta(0) < length <= MAX_GRANT:
        raise SupportRefused(
            f"access lasts between a few minutes and {MAX_GRANT.seconds // 3600} hours"
        )

    with platform.registry() as conn:
        if get_staff_in(conn, staff_id) is None:
            raise SupportRefused("this staff account is disabled")
        store = registry.get_store(conn, store_id)
        if store.status == "deleted":
            raise SupportRefused(f"store {store.slug!r} is deleted")
        with conn.cursor(row_factory=class_row(Grant)) as cur:
            cur.execute(
                """INSERT INTO support_grants (staff_id, store_id, reason,
                                               granted_at, expires_at)
                   VALUES (%s, %s, %s, %s, %s)
                   RETURNING id, staff_id, store_id, reason, granted_at,
                             expires_at, revoked_at""",
                (staff_id, store.id, reason, now, now + length),
            )
            grant = cur.fetchone()
        # NOTE: the reason is free text and may name a person, so the audit
        # entry points at the grant row that keeps it instead of copying it.
        registry.record_audit(
            conn,
            f"staff:{staff_id}",
            "support.granted",
            store.id,
            grant_id=grant.id,
            expires_at=grant.expires_at.isoformat(),
        )
    log.info("store=%s support granted to staff=%s", store.id, staff_id)
    return grant


def active_grant(platform, staff_id, store_id, *, now=None):
    """The staff member's live grant for the store, or None."""
    now = now or datetime.now(UTC)
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Grant)) as cur:
        cur.execute(
            f"""SELECT {_GRANT_COLUMNS} FROM support_grants g
                JOIN staff s ON s.id = g.staff_id AND s.disabled_at IS NULL
                WHERE g.staff_id = %s AND g.store_id = %s AND g.revoked_at IS NULL
                  AND g.granted_at <= %s AND g.expires_at > %s
                ORDER BY g.expires_at DESC LIMIT 1""",
            (staff_id, store_id, now, now),
        )
        return cur.fetchone()


def active_grants(platform, staff_id=None, *, now=None):
    """Live grants, of one staff member or of everyone, soonest to end first."""
    now = now or datetime.now(UTC)
    where = "AND g.staff_id = %(staff)s" if staff_id is not None else ""
    with platform.registry() as conn, conn.cursor(row_factory=class_row(Grant)) as cur:
        cur.execute(
            f"""SELECT {_GRANT_COLUMNS} FROM support_grants g
                WHERE g.revoked_at IS NULL AND g.expires_at > %(now)s {where}
                ORDER BY g.expires_at""",
            {"now": now, "staff": staff_id},
        )
        return cur.fetchall()


def revoke(platform, grant_id, *, staff_id, now=None):
    """End a grant early. Staff end their own; an admin may end anyone's."""
    now = now or datetime.now(UTC)
    with platform.registry() as conn:
        staff = get_staff_in(conn, staff_id)
        if staff is None:
            raise SupportRefused("this staff account is disabled")
        row = conn.execute(
            """UPDATE support_grants SET revoked_at = %s
               WHERE id = %s AND revoked_at IS NULL AND (staff_id = %s OR %s)
               RETURNING store_id""",
            (now, grant_id, staff_id, staff.is_admin),
        ).fetchone()
        if row is None:
            raise SupportRefused(f"no live grant {grant_id} of yours to end")
        registry.record_audit(
            conn, f"staff:{staff_id}", "support.revoked", row[0], grant_id=grant_id
        )


def list_stores(platform):
    """Every store with its status and plan, for the staff's store list."""
    with platform.registry() as conn:
        return registry.list_stores(conn, include_deleted=True)


def get_staff_in(conn, staff_id):
    with conn.cursor(row_factory=class_row(Staff)) as cur:
        cur.execute(
            """SELECT id, email, name, role, disabled_at FROM staff
               WHERE id = %s AND disabled_at IS NULL""",
            (staff_id,),
        )
        return cur.fetchone()


_GRANT_COLUMNS = """g.id, g.staff_id, g.store_id, g.reason, g.granted_at,
                    g.expires_at, g.revoked_at"""
