"""Server-side sessions and login for owners and staff.

The browser holds only a random token in an HttpOnly cookie; the registry holds
its SHA-256, so a copy of the table does not let anyone sign in. Logging out or
changing the password revokes sessions; failed logins are counted per email and
per client address and refused for a while past a threshold.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tenancy import passwords, registry
from tenancy.errors import (
    AuthenticationFailed,
    RateLimited,
    SessionInvalid,
    TenancyError,
)

SESSION_LIFETIME = timedelta(days=7)
IDLE_TIMEOUT = timedelta(hours=12)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5


@dataclass(frozen=True)
class Session:
    """A live session. ``token`` is only set on the object returned at login."""

    account_id: int | None
    staff_id: int | None
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    token: str | None = None


def set_password(conn, account_id, password, *, keep_token=None):
    """Change an owner's password and revoke their other sessions."""
    problem = passwords.check_strength(password)
    if problem:
        raise TenancyError(f"password {problem}")

    conn.execute(
        """UPDATE accounts SET password_hash = %s, password_changed_at = now(),
                  updated_at = now() WHERE id = %s""",
        (passwords.hash_password(password), account_id),
    )
    conn.execute(
        """UPDATE sessions SET revoked_at = now()
           WHERE account_id = %s AND revoked_at IS NULL AND token_hash <> %s""",
        (account_id, _digest(keep_token) if keep_token else b""),
    )


def log_in(conn, email, password, *, client="", user_agent="", now=None):
    """Check an owner's credentials and open a session; raise on failure.

    ``conn`` must not be inside a transaction: a failed attempt is committed
    before the error is raised, so that it counts.
    """
    now = now or datetime.now(UTC)
    keys = [_digest(f"email:{email.strip().lower()}"), _digest(f"client:{client}")]

    with conn.transaction():
        _check_rate(conn, keys, now)
        row = conn.execute(
            "SELECT id, password_hash FROM accounts WHERE lower(email) = lower(%s)",
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

    account_id, stored = row
    with conn.transaction():
        if passwords.needs_rehash(stored):
            conn.execute(
                "UPDATE accounts SET password_hash = %s WHERE id = %s",
                (passwords.hash_password(password), account_id),
            )
        conn.execute("DELETE FROM login_failures WHERE key_hash = %s", (keys[0],))
        registry.record_usage(conn, "login", account_id=account_id)
        return open_session(conn, account_id=account_id, user_agent=user_agent, now=now)


def open_session(conn, *, account_id=None, staff_id=None, user_agent="", now=None):
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME

    conn.execute(
        """INSERT INTO sessions (token_hash, account_id, staff_id, csrf_token,
                                 user_agent, created_at, last_seen_at, expires_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s)""",
        (_digest(token), account_id, staff_id, csrf, user_agent[:200], now, now,
         expires),
    )  # fmt: skip
    return Session(account_id, staff_id, csrf, now, expires, token)


def check_session(conn, token, *, now=None):
    """The live session for a cookie token; raise SessionInvalid otherwise."""
    now = now or datetime.now(UTC)
    if not token:
        raise SessionInvalid()

    row = conn.execute(
        """UPDATE sessions SET last_seen_at = %s
           WHERE token_hash = %s AND revoked_at IS NULL AND expires_at > %s
             AND last_seen_at > %s
           RETURNING account_id, staff_id, csrf_token, created_at, expires_at""",
        (now, _digest(token), now, now - IDLE_TIMEOUT),
    ).fetchone()
    if row is None:
        raise SessionInvalid()
    return Session(*row)


def log_out(conn, token):
    conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE token_hash = %s",
        (_digest(token or ""),),
    )


def list_sessions(conn, account_id):
    """The account's live sessions, newest first, each with a revocation handle."""
    return conn.execute(
        """SELECT encode(token_hash, 'hex'), user_agent, created_at, last_seen_at
           FROM sessions WHERE account_id = %s AND revoked_at IS NULL
             AND expires_at > now() ORDER BY last_seen_at DESC""",
        (account_id,),
    ).fetchall()


def revoke_session(conn, account_id, handle):
    """Revoke one of the account's own sessions by the handle list_sessions gave."""
    conn.execute(
        """UPDATE sessions SET revoked_at = now()
           WHERE account_id = %s AND token_hash = decode(%s, 'hex')""",
        (account_id, handle),
    )


def _check_rate(conn, keys, now):
    since = now - FAILURE_WINDOW
    for key in keys:
        count = conn.execute(
            "SELECT count(*) FROM login_failures WHERE key_hash = %s AND at > %s",
            (key, since),
        ).fetchone()[0]
        if count >= MAX_FAILURES:
            raise RateLimited("failed logins", int(FAILURE_WINDOW.total_seconds()))


def _digest(value):
    return hashlib.sha256(value.encode()).digest()
