"""Owners' accounts and store profiles: sign-up, password reset, profile edits.

Sign-up creates an account and provisions its first store in one go. It never
attaches a store to an account that already existed: an address already in the
registry is refused, and when two sign-ups race for one address the loser's
store is deleted again. Owners whose account was made by ``apmt store create``
get in through a password reset.

A password reset is a one-time link mailed through the registry outbox. The
registry keeps only the SHA-256 of the link's token; the link works once,
for ``RESET_LIFETIME``, and using it revokes every session of the account.
"""

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from tenancy import mail, passwords, registry, sessions
from tenancy.errors import RateLimited, TenancyError
from tenancy.lifecycle import delete_store
from tenancy.provisioning import StoreRequest, provision_store
from tenancy.slugs import normalise_slug

log = logging.getLogger(__name__)

RESET_LIFETIME = timedelta(hours=1)
RESET_COOLDOWN = timedelta(minutes=5)
MAX_NAME = 200
ANALYTICS_ID = "analytics.measurement_id"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Google Analytics 4 measurement ids look like G-1A2B3C4D5E.
_MEASUREMENT_ID = re.compile(r"G-[A-Z0-9]{4,20}")


class ProfileRefused(TenancyError):
    """A sign-up, profile change or reset that cannot be done as asked."""


class EmailTaken(ProfileRefused):
    """Another account already uses this email address."""

    def __init__(self):
        super().__init__(
            "an account with this email already exists; log in, or reset the "
            "password if you forgot it"
        )


@dataclass(frozen=True)
class SignUp:
    owner_name: str
    email: str
    business_name: str
    slug: str
    password: str
    currency: str | None = None
    timezone: str | None = None


@dataclass(frozen=True)
class SignedUp:
    store: registry.Store
    session: sessions.Session


# -- sign-up ------------------------------------------------------------------


def sign_up(platform, request, *, client="", user_agent="", now=None):
    """Create an account with its first store and open a session for it.

    Creating a store costs a database, so a client address may try only a few
    times in a while (counted in ``login_failures``, like failed logins).
    """
    email = clean_email(request.email)
    owner_name = _clean_name(request.owner_name, "your name")
    business_name = _clean_name(request.business_name, "the business name")
    slug = normalise_slug(request.slug)
    problem = passwords.check_strength(request.password)
    if problem:
        raise ProfileRefused(f"the password {problem}")
    _count_attempt(platform, f"signup-client:{client}", now, "sign-ups")
    with platform.registry() as conn:
        if _email_in_use(conn, email):
            raise EmailTaken()

    store = provision_store(
        platform,
        StoreRequest(
            slug=slug,
            display_name=business_name,
            owner_email=email,
            owner_name=owner_name,
            business_name=business_name,
            currency=request.currency,
            timezone=request.timezone,
            actor="signup",
        ),
    )

    with platform.registry() as conn:
        claimed = conn.execute(
            """UPDATE accounts SET password_hash = %s, password_changed_at = now(),
                      updated_at = now()
               WHERE id = %s AND password_hash IS NULL
                 AND (SELECT count(*) FROM stores WHERE account_id = %s) = 1
               RETURNING id""",
            (
                passwords.hash_password(request.password),
                store.account_id,
                store.account_id,
            ),
        ).fetchone()
        if claimed:
            registry.record_audit(
                conn, f"account:{store.account_id}", "account.signed_up", store.id
            )
            registry.record_usage(
                conn, "signup", store_id=store.id, account_id=store.account_id
            )
            session = sessions.open_session(
                conn, account_id=store.account_id, user_agent=user_agent
            )
    if not claimed:
        # NOTE: another sign-up made this account between our check and the
        # provisioning; the store we just made must not join someone else's.
        delete_store(platform, store.id, actor="signup", requested_by="signup race")
        raise EmailTaken()

    log.info("store=%s signed up", store.id)
    return SignedUp(store, session)


# -- accounts -----------------------------------------------------------------


def owned_stores(platform, account_id):
    """The stores an account owns, except deleted ones, oldest first."""
    with (
        platform.registry() as conn,
        conn.cursor(row_factory=class_row(registry.Store)) as cur,
    ):
        cur.execute(
            f"""SELECT {registry._STORE_COLUMNS} FROM stores
                WHERE account_id = %s AND status <> 'deleted' ORDER BY id""",
            (account_id,),
        )
        return cur.fetchall()


def get_account(platform, account_id):
    with platform.registry() as conn:
        account = registry.get_account(conn, account_id)
    if account is None:
        raise ProfileRefused(f"no account {account_id}")
    return account


def update_account(
    platform, account_id, *, owner_name, email, business_name, password=None
):
    """Change an owner's name, email address and business name.

    A new email address needs the current ``password``: whoever holds a
    stolen session must not be able to move the account to their own address.
    """
    name = _clean_name(owner_name, "your name")
    address = clean_email(email)
    business = _clean_name(business_name, "the business name")

    try:
        with platform.registry() as conn:
            row = conn.execute(
                "SELECT email, password_hash FROM accounts WHERE id = %s",
                (account_id,),
            ).fetchone()
            if row is None:
                raise ProfileRefused(f"no account {account_id}")
            moving = row[0].lower() != address.lower()
            if moving and not passwords.verify_password(row[1], password or ""):
                raise ProfileRefused(
                    "enter your current password to change the email address"
                )
            conn.execute(
                """UPDATE accounts SET owner_name = %s, email = %s,
                          business_name = %s, updated_at = now()
                   WHERE id = %s""",
                (name, address, business, account_id),
            )
            registry.record_audit(
                conn, f"account:{account_id}", "account.updated", email_changed=moving
            )
    except psycopg.errors.UniqueViolation:
        raise EmailTaken() from None


def change_password(platform, account_id, current, new, *, keep_token=None):
    """Change the password after checking the current one.

    Every other session of the account is revoked; the one holding
    ``keep_token`` (the caller's own) stays open.
    """
    with platform.registry() as conn:
        stored = conn.execute(
            "SELECT password_hash FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()
        if not passwords.verify_password(stored[0] if stored else None, current):
            raise ProfileRefused("the current password is not right")
        try:
            sessions.set_password(conn, account_id, new, keep_token=keep_token)
        except TenancyError as exc:
            raise ProfileRefused(f"the new {exc}") from None
        registry.record_audit(conn, f"account:{account_id}", "account.password_changed")


def account_sessions(platform, account_id):
    """The account's live sessions as (handle, user agent, created, last seen)."""
    with platform.registry() as conn:
        return sessions.list_sessions(conn, account_id)


def end_session(platform, account_id, handle):
    """Revoke one of the account's own sessions by its handle."""
    with platform.registry() as conn:
        sessions.revoke_session(conn, account_id, handle)
        registry.record_audit(conn, f"account:{account_id}", "account.session_ended")


# -- password reset -----------------------------------------------------------


def request_password_reset(platform, email, *, reset_url, client="", now=None):
    """Mail a one-time reset link when ``email`` has an account; else nothing.

    The caller says the same thing either way, so the form does not tell
    whether an address is registered. ``reset_url`` is the confirmation
    address; the token is appended as ``?token=``. A second request within
    ``RESET_COOLDOWN`` sends nothing more.
    """
    now = now or datetime.now(UTC)
    try:
        email = clean_email(email)
        _count_attempt(platform, f"reset-client:{client}", now, "reset requests")
    except (ProfileRefused, RateLimited):
        return

    with platform.registry() as conn:
        row = conn.execute(
            "SELECT id, owner_name FROM accounts WHERE lower(email) = lower(%s)",
            (email,),
        ).fetchone()
        if row is None:
            return
        account_id, owner_name = row
        recent = conn.execute(
            """SELECT 1 FROM password_resets
               WHERE account_id = %s AND created_at > %s AND used_at IS NULL""",
            (account_id, now - RESET_COOLDOWN),
        ).fetchone()
        if recent:
            return

        token = secrets.token_urlsafe(32)
        conn.execute(
            """INSERT INTO password_resets (token_hash, account_id, created_at,
                                            expires_at)
               VALUES (%s, %s, %s, %s)""",
            (_digest(token), account_id, now, now + RESET_LIFETIME),
        )
        mail.enqueue(conn, _reset_message(email, owner_name, reset_url, token))
        registry.record_audit(conn, f"account:{account_id}", "account.reset_requested")


def reset_password(platform, token, new_password, *, now=None):
    """Set a new password with a reset token; return the account id.

    The token works once and only until it expires. Every session of the
    account is revoked.
    """
    now = now or datetime.now(UTC)
    problem = passwords.check_strength(new_password or "")
    if problem:
        raise ProfileRefused(f"the new password {problem}")

    with platform.registry() as conn:
        row = conn.execute(
            """UPDATE password_resets SET used_at = %s
               WHERE token_hash = %s AND used_at IS NULL AND expires_at > %s
               RETURNING account_id""",
            (now, _digest(token or ""), now),
        ).fetchone()
        if row is None:
            raise ProfileRefused(
                "this reset link has expired or was already used; ask for a new one"
            )
        account_id = row[0]
        sessions.set_password(conn, account_id, new_password)
        conn.execute(
            """UPDATE password_resets SET used_at = %s
               WHERE account_id = %s AND used_at IS NULL""",
            (now, account_id),
        )
        registry.record_audit(conn, f"account:{account_id}", "account.password_reset")
    return account_id


# -- store profile ------------------------------------------------------------


def update_store_profile(
    platform, store_id, *, display_name, currency, timezone, actor
):
    """Change a store's display name, currency and time zone in the registry.

    Prices are not converted when the currency changes: they are the same
    numbers in the new currency.
    """
    name = _clean_name(display_name, "the store name")
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ProfileRefused(f"{currency!r} is not a three-letter ISO 4217 code")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileRefused(f"unknown time zone {timezone!r}") from None

    with platform.registry() as conn:
        updated = conn.execute(
            """UPDATE stores SET display_name = %s, currency = %s, timezone = %s
               WHERE id = %s AND status <> 'deleted'""",
            (name, code, timezone, store_id),
        ).rowcount
        if updated:
            registry.record_audit(
                conn,
                actor,
                "store.profile_updated",
                store_id,
                currency=code,
                timezone=timezone,
            )
    if not updated:
        raise ProfileRefused(f"no store {store_id}")


def store_setting(tenant, key, default=None):
    """A value from the store's own ``store_settings`` table."""
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT value FROM store_settings WHERE key = %s", (key,)
        ).fetchone()
    return row[0] if row else default


def set_analytics_id(tenant, measurement_id):
    """Store (or, given an empty value, remove) the Google Analytics id."""
    value = (measurement_id or "").strip().upper()
    if value and not _MEASUREMENT_ID.fullmatch(value):
        raise ProfileRefused(
            f"{measurement_id!r} is not a measurement id; it looks like G-ABC123XYZ"
        )

    with tenant.transaction() as conn:
        if not value:
            conn.execute("DELETE FROM store_settings WHERE key = %s", (ANALYTICS_ID,))
            return
        conn.execute(
            """INSERT INTO store_settings (key, value) VALUES (%s, %s)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                               updated_at = now()""",
            (ANALYTICS_ID, Jsonb(value)),
        )


# -- helpers ------------------------------------------------------------------


def clean_email(raw):
    email = (raw or "").strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise ProfileRefused(f"{raw!r} is not an email address")
    return email


def _clean_name(raw, what):
    value = " ".join((raw or "").split())
    if not value:
        raise ProfileRefused(f"{what} is required")
    if len(value) > MAX_NAME:
        raise ProfileRefused(f"{what} must be at most {MAX_NAME} characters")
    return value


def _count_attempt(platform, key, now, what):
    """Count one attempt under ``key``; raise RateLimited past the limit."""
    now = now or datetime.now(UTC)
    digest = _digest(key)
    with platform.registry() as conn:
        try:
            sessions._check_rate(conn, [digest], now)
        except RateLimited as exc:
            raise RateLimited(what, exc.retry_after) from None
        conn.execute(
            "INSERT INTO login_failures (key_hash, at) VALUES (%s, %s)", (digest, now)
        )


def _email_in_use(conn, email):
    row = conn.execute(
        "SELECT 1 FROM accounts WHERE lower(email) = lower(%s)", (email,)
    ).fetchone()
    return row is not None


def _reset_message(email, owner_name, reset_url, token):
    link = f"{reset_url}?token={token}"
    body = (
        f"Hello {owner_name or ''},\n\n"
        "Someone asked to reset the password of your APMTSales account. "
        "If it was you, open this link within the hour to choose a new one:\n\n"
        f"{link}\n\n"
        "If it was not you, ignore this message; your password stays as it is.\n"
    )
    return mail.Message(
        kind="password_reset",
        recipient=email,
        subject="Reset your APMTSales password",
        body_text=body,
    )


def _digest(value):
    return hashlib.sha256(value.encode()).digest()
