"""Shoppers' privacy requests: access, correction and deletion of their data.

A request goes through these steps, each written to ``privacy_audit`` with who
took it and when, and never with the email, a name or the details:

    opened -> code_sent -> verified -> (extended) -> completed | refused
                        \\-> code_failed ... -> expired

The requester proves the address with a short code sent to it. Until then
nothing is shown and the answer to the form is the same whether or not the
store knows the address. Too many requests for one address or from one client
are dropped silently, for the same reason. A verified request is due one month
after verification; the owner may extend that once, with a reason the
requester is told.

Services raise ``commerce.errors``: ``InvalidInput`` for a wrong code, a bad
field or a step that does not fit the request's state, ``NotFound`` for an
unknown request or download link.
"""

import calendar
import csv
import hashlib
import io
import json
import logging
import secrets
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from commerce.errors import InvalidInput, NotFound
from commerce.messages import MAX_BODY, PRIVACY_KINDS, clean_email, clean_text
from tenancy import DatabaseUnavailable, record_usage
from tenancy.mail import Message, enqueue

log = logging.getLogger(__name__)

CODE_VALID = timedelta(minutes=15)
MAX_ATTEMPTS = 5
RATE_WINDOW = timedelta(hours=1)
MAX_PER_ADDRESS = 3
MAX_PER_CLIENT = 10
DOWNLOAD_VALID = timedelta(days=7)
# Unverified requests keep their address only as long as the rate limit and
# the owner's abuse checks need it.
FORGET_UNVERIFIED_AFTER = timedelta(days=1)
EXTENSION_MONTHS = 2
CORRECTABLE = ("name", "email", "phone", "shipping_address")
ERASED_NOTICE = "privacy_erased"
REQUESTER = "requester"
SYSTEM = "system"


@dataclass(frozen=True)
class PrivacyRequest:
    """A request as the owner sees it."""

    id: int
    kind: str
    status: str
    email: str | None
    details: str | None
    created_at: datetime
    verified_at: datetime | None
    deadline: datetime | None
    extended_until: datetime | None
    extension_reason: str | None
    completed_at: datetime | None

    @property
    def due(self):
        """When the answer is due: the extended date once there is one."""
        return self.extended_until or self.deadline


@dataclass(frozen=True)
class Verified:
    kind: str
    due: datetime


@dataclass(frozen=True)
class Package:
    filename: str
    data: bytes


def open_request(tenant, kind, email, details, client, *, now=None, new_code=None):
    """Record a request and mail its code; return the token that names it.

    ``client`` is the requester's address (IP), kept only as a hash for the
    rate limit. The token goes back to the requester's browser only.
    """
    kind = (kind or "").strip()
    if kind not in PRIVACY_KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(PRIVACY_KINDS)}")
    email = clean_email(email)
    details = clean_text(details, "details", required=False, limit=MAX_BODY)
    now = now or _now()
    token = secrets.token_urlsafe(24)
    code = (new_code or _new_code)()
    client_hash = _digest(f"{tenant.id}:{client or ''}")

    with tenant.transaction() as conn:
        _tidy(conn, now)
        if _too_busy(conn, email, client_hash, now):
            # NOTE: the requester sees the usual answer and a token that
            # matches nothing, so neither a flood nor a probe learns anything.
            log.info("store=%s privacy request dropped by rate limit", tenant.id)
            return token

        request_id = conn.execute(
            """INSERT INTO privacy_requests (kind, email, details, token_hash,
                   client_hash, code_hash, code_expires_at, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (kind, email, details, _digest(token), client_hash,
             _code_hash(token, code), now + CODE_VALID, now),
        ).fetchone()[0]  # fmt: skip
        _audit(conn, request_id, "opened", REQUESTER, now)

        enqueue(conn, _code_mail(tenant, request_id, email, code))
        _audit(conn, request_id, "code_sent", SYSTEM, now)
    _count_request(tenant, kind)
    return token


def _count_request(tenant, kind):
    """A usage event for staff: the kind of request only, never who asked."""
    try:
        with tenant.platform.registry() as conn:
            record_usage(conn, "privacy_request", tenant.id,
                         tenant.store.account_id, request=kind)  # fmt: skip
    except (DatabaseUnavailable, psycopg.Error) as exc:
        log.warning("store=%s privacy request not counted: %s", tenant.id, exc)


def verify_request(tenant, token, code, *, now=None):
    """Check the emailed code; return Verified, or raise InvalidInput("code").

    A wrong code counts as an attempt; after MAX_ATTEMPTS, or once the code
    is too old, the request expires and the shopper must start again.
    """
    now = now or _now()
    code = (code or "").strip()

    with tenant.transaction() as conn:
        row = conn.execute(
            """SELECT id, kind, status, code_hash, code_expires_at, attempts,
                      deadline
               FROM privacy_requests WHERE token_hash = %s FOR UPDATE""",
            (_digest(token or ""),),
        ).fetchone()
        if row is None:
            return _refuse_code()
        request_id, kind, status, code_hash, expires, attempts, deadline = row
        if status == "verified":
            return Verified(kind, deadline)
        if status != "unverified":
            return _refuse_code()

        right = secrets.compare_digest(code_hash, _code_hash(token, code))
        if right and now < expires:
            deadline = _add_months(now, 1)
            conn.execute(
                """UPDATE privacy_requests
                   SET status = 'verified', verified_at = %s, deadline = %s,
                       code_hash = NULL
                   WHERE id = %s""",
                (now, deadline, request_id),
            )
            _audit(conn, request_id, "verified", REQUESTER, now)
            return Verified(kind, deadline)

        spent = attempts + 1 >= MAX_ATTEMPTS or now >= expires
        conn.execute(
            """UPDATE privacy_requests
               SET attempts = attempts + 1,
                   status = CASE WHEN %s THEN 'expired' ELSE status END,
                   code_hash = CASE WHEN %s THEN NULL ELSE code_hash END
               WHERE id = %s""",
            (spent, spent, request_id),
        )
        _audit(conn, request_id, "expired" if spent else "code_failed", REQUESTER, now)

    # Raised after the commit, so the failed attempt is counted.
    return _refuse_code()


def list_requests(tenant, *, now=None):
    """The verified and answered requests, the most urgent first."""
    now = now or _now()

    with tenant.transaction() as conn:
        _tidy(conn, now)
        rows = (
            conn.cursor(row_factory=dict_row)
            .execute(
                """SELECT id, kind, status, email, details, created_at,
                          verified_at, deadline, extended_until,
                          extension_reason, completed_at
                   FROM privacy_requests
                   WHERE status NOT IN ('unverified', 'expired')
                   ORDER BY status <> 'verified',
                            coalesce(extended_until, deadline), id"""
            )
            .fetchall()
        )
    return [PrivacyRequest(**row) for row in rows]


def extend_deadline(tenant, request_id, reason, *, actor, now=None):
    """Push the deadline back by two months, once, and tell the requester why."""
    reason = clean_text(reason, "reason", limit=MAX_BODY)
    now = now or _now()

    with tenant.transaction() as conn:
        request = _open_request(conn, request_id)
        if request["extended_until"] is not None:
            raise InvalidInput("request", "was already extended once")

        until = _add_months(request["deadline"], EXTENSION_MONTHS)
        conn.execute(
            """UPDATE privacy_requests
               SET extended_until = %s, extension_reason = %s WHERE id = %s""",
            (until, reason, request_id),
        )
        _audit(conn, request_id, "extended", actor, now)
        body = (
            f"{tenant.store.display_name} needs more time to answer your "
            f"privacy request. It will answer by {until:%d %B %Y}.\n\n"
            f"The reason given: {reason}"
        )
        _tell(conn, tenant, request, "privacy_extended", body)
    return until


def fulfil_access(tenant, request_id, *, actor, now=None):
    """Build the requester's package and mail them a link that expires."""
    now = now or _now()
    token = secrets.token_urlsafe(32)

    with tenant.transaction() as conn:
        request = _open_request(conn, request_id, kind="access")
        package = _package(conn, request["email"], now)
        conn.execute(
            """UPDATE privacy_requests
               SET status = 'completed', completed_at = %s, result_package = %s,
                   download_token_hash = %s, download_expires_at = %s
               WHERE id = %s""",
            (now, package, _digest(token), now + DOWNLOAD_VALID, request_id),
        )
        _audit(conn, request_id, "package_ready", actor, now)

        link = f"{_store_url(tenant)}privacy/requests/{token}/download"
        body = (
            "A copy of the data "
            f"{tenant.store.display_name} holds about you is ready:\n\n{link}\n\n"
            f"The link works until {now + DOWNLOAD_VALID:%d %B %Y}."
        )
        _tell(conn, tenant, request, "privacy_access", body)


def download_package(tenant, token, *, now=None):
    """The package behind a download link; NotFound once it has expired."""
    now = now or _now()

    with tenant.transaction() as conn:
        row = conn.execute(
            """SELECT id, result_package FROM privacy_requests
               WHERE download_token_hash = %s AND download_expires_at > %s
                 AND result_package IS NOT NULL""",
            (_digest(token or ""), now),
        ).fetchone()
        if row is None:
            raise NotFound("download", "link")
        _audit(conn, row[0], "downloaded", REQUESTER, now)
    return Package(f"{tenant.store.slug}-your-data.zip", bytes(row[1]))


def fulfil_correction(tenant, request_id, changes, *, actor, now=None):
    """Apply the owner's corrections everywhere the address appears; tell them.

    ``changes`` maps some of CORRECTABLE to new values; ``shipping_address``
    is a dict. Return the number of records changed.
    """
    changes = _clean_changes(changes)
    now = now or _now()

    with tenant.transaction() as conn:
        request = _open_request(conn, request_id, kind="correction")
        email = request["email"]
        changed = _correct(conn, email, changes)
        conn.execute(
            """UPDATE privacy_requests SET status = 'completed', completed_at = %s
               WHERE id = %s""",
            (now, request_id),
        )
        _audit(conn, request_id, "corrected", actor, now)

        fields = ", ".join(sorted(changes)).replace("_", " ")
        body = (
            f"{tenant.store.display_name} has corrected your data as you "
            f"asked ({fields})."
        )
        _tell(conn, tenant, request, "privacy_corrected", body)
    return changed


def fulfil_deletion(tenant, request_id, *, actor, now=None):
    """Erase the requester's personal data from the whole store database.

    Orders keep their amounts, lines and country (for the accounts) but lose
    the email, name, phone, address, note and customer reference. Messages,
    the newsletter subscription and mail to or about the address go. Earlier
    requests lose the address, details and any package.
    """
    now = now or _now()

    with tenant.transaction() as conn:
        request = _open_request(conn, request_id, kind="deletion")
        email = request["email"]
        _erase(conn, email)
        conn.execute(
            """UPDATE privacy_requests SET status = 'completed', completed_at = %s
               WHERE id = %s""",
            (now, request_id),
        )
        _audit(conn, request_id, "erased", actor, now)

        # NOTE: the one thing left holding the address is this notice, until
        # it is sent; ``_tidy`` drops it after that.
        body = (
            f"{tenant.store.display_name} has deleted the personal data it held "
            "about you. Order amounts are kept for the accounts, without your "
            "name, address or email."
        )
        _tell(conn, tenant, request, ERASED_NOTICE, body, email=email)


def refuse_request(tenant, request_id, reason, *, actor, now=None):
    """Close a request without acting on it, telling the requester why."""
    reason = clean_text(reason, "reason", limit=MAX_BODY)
    now = now or _now()

    with tenant.transaction() as conn:
        request = _open_request(conn, request_id)
        conn.execute(
            """UPDATE privacy_requests
               SET status = 'refused', refusal_reason = %s, completed_at = %s
               WHERE id = %s""",
            (reason, now, request_id),
        )
        _audit(conn, request_id, "refused", actor, now)
        body = (
            f"{tenant.store.display_name} did not carry out your privacy "
            f"request. The reason given: {reason}"
        )
        _tell(conn, tenant, request, "privacy_refused", body)


def audit_trail(tenant, request_id):
    """(step, actor, at) of one request, oldest first."""
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT step, actor, at FROM privacy_audit
               WHERE request_id = %s ORDER BY id""",
            (request_id,),
        ).fetchall()


# -- what the store holds about an address ------------------------------------

_ORDER_FIELDS = """id, number, status, currency, subtotal, shipping_total,
    tax_total, total, email, customer_name, phone, shipping_address, country,
    customer_ref, note, placed_at, paid_at"""


def collect(conn, email):
    """Everything the store holds about ``email``, as JSON-ready lists."""
    cur = conn.cursor(row_factory=dict_row)
    orders = cur.execute(
        f"""SELECT {_ORDER_FIELDS} FROM orders
            WHERE lower(email) = lower(%s) ORDER BY id""",
        (email,),
    ).fetchall()
    lines = cur.execute(
        """SELECT order_id, line_no, sku, title, variant_title, quantity,
                  unit_price, line_total
           FROM order_lines WHERE order_id = ANY(%s) ORDER BY order_id, line_no""",
        ([o["id"] for o in orders],),
    ).fetchall()
    messages = cur.execute(
        """SELECT name, email, subject, body, created_at FROM contact_messages
           WHERE lower(email) = lower(%s) ORDER BY id""",
        (email,),
    ).fetchall()
    newsletter = cur.execute(
        """SELECT email, status, consent_requested_at, confirmed_at,
                  unsubscribed_at
           FROM newsletter_subscribers WHERE lower(email) = lower(%s)""",
        (email,),
    ).fetchall()
    requests = cur.execute(
        """SELECT id, kind, status, details, created_at, verified_at,
                  completed_at
           FROM privacy_requests WHERE lower(email) = lower(%s) ORDER BY id""",
        (email,),
    ).fetchall()
    return {
        "orders": orders,
        "order_lines": lines,
        "messages": messages,
        "newsletter": newsletter,
        "privacy_requests": requests,
    }


def _package(conn, email, now):
    data = collect(conn, email)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        summary = {"email": email, "made_at": now, **data}
        archive.writestr("data.json", json.dumps(summary, default=_json, indent=2))
        for name, rows in data.items():
            archive.writestr(f"{name}.csv", _csv(rows))
    return out.getvalue()


def _csv(rows):
    if not rows:
        return ""

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: _json(v) if not isinstance(v, str) else v for k, v in row.items()}
        )
    return out.getvalue()


def _json(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, default=_json)
    return value


def _clean_changes(changes):
    cleaned = {}
    for field, value in (changes or {}).items():
        if field not in CORRECTABLE:
            raise InvalidInput(field, "cannot be corrected here")
        if field == "email":
            cleaned[field] = clean_email(value)
        elif field == "shipping_address":
            if not isinstance(value, dict):
                raise InvalidInput(field, "must be a set of address fields")
            cleaned[field] = {str(k): str(v) for k, v in value.items() if v}
        else:
            cleaned[field] = clean_text(value, field)

    if not cleaned:
        raise InvalidInput("changes", "are required")
    return cleaned


def _correct(conn, email, changes):
    order_sets = {
        "name": "customer_name = %(name)s",
        "email": "email = %(email)s",
        "phone": "phone = %(phone)s",
        "shipping_address": "shipping_address = %(shipping_address)s",
    }
    params = {**changes, "old": email}
    if "shipping_address" in params:
        params["shipping_address"] = Jsonb(params["shipping_address"])
    changed = 0

    sets = ", ".join(order_sets[f] for f in changes)
    changed += conn.execute(
        f"UPDATE orders SET {sets} WHERE lower(email) = lower(%(old)s)", params
    ).rowcount
    message_sets = [order_sets[f].replace("customer_name", "name")
                    for f in changes if f in ("name", "email")]  # fmt: skip
    if message_sets:
        changed += conn.execute(
            f"""UPDATE contact_messages SET {", ".join(message_sets)}
                WHERE lower(email) = lower(%(old)s)""",
            params,
        ).rowcount
    if "email" in changes:
        changed += conn.execute(
            """UPDATE newsletter_subscribers SET email = %(email)s
               WHERE lower(email) = lower(%(old)s)""",
            params,
        ).rowcount
    return changed


def _erase(conn, email):
    names = [
        row[0]
        for row in conn.execute(
            """SELECT customer_name FROM orders WHERE lower(email) = lower(%s)
               UNION SELECT name FROM contact_messages
               WHERE lower(email) = lower(%s)""",
            (email, email),
        )
        if row[0] and len(row[0].strip()) >= 3
    ]
    patterns = [f"%{_like(text)}%" for text in (email, *names)]

    order_ids = [
        row[0]
        for row in conn.execute(
            """UPDATE orders
               SET email = NULL, customer_name = NULL, phone = NULL,
                   shipping_address = NULL, note = NULL, customer_ref = NULL,
                   updated_at = now()
               WHERE lower(email) = lower(%s) RETURNING id""",
            (email,),
        )
    ]
    # NOTE: providers' webhook bodies name the payer. The event stays (it
    # proves the payment was applied) but its body and headers go.
    conn.execute(
        """UPDATE payment_events SET body = '', headers = '{}'
           WHERE order_id = ANY(%s)
              OR position(lower(%s) IN lower(encode(body, 'escape'))) > 0""",
        (order_ids, email),
    )
    conn.execute(
        "DELETE FROM contact_messages WHERE lower(email) = lower(%s)", (email,)
    )
    conn.execute(
        "DELETE FROM newsletter_subscribers WHERE lower(email) = lower(%s)", (email,)
    )
    # Mail to the address, and mail about it (the owner's notices quote the
    # shopper's name and address).
    conn.execute(
        """DELETE FROM outbox WHERE lower(recipient) = lower(%s)
               OR body_text ILIKE ANY(%s) OR subject ILIKE ANY(%s)
               OR body_html ILIKE ANY(%s)""",
        (email, patterns, patterns, patterns),
    )
    conn.execute(
        """UPDATE privacy_requests
           SET email = NULL, details = NULL, result_package = NULL,
               download_token_hash = NULL, extension_reason = NULL,
               refusal_reason = NULL
           WHERE lower(email) = lower(%s)""",
        (email,),
    )


# -- helpers ------------------------------------------------------------------


def _open_request(conn, request_id, kind=None):
    """The verified request ``request_id``, locked; raise when it is not one."""
    row = (
        conn.cursor(row_factory=dict_row)
        .execute(
            """SELECT id, kind, status, email, deadline, extended_until
               FROM privacy_requests WHERE id = %s FOR UPDATE""",
            (request_id,),
        )
        .fetchone()
    )
    if row is None or row["status"] in ("unverified", "expired"):
        raise NotFound("privacy request", request_id)
    if row["status"] != "verified":
        raise InvalidInput("request", f"is already {row['status']}")
    if kind is not None and row["kind"] != kind:
        raise InvalidInput("request", f"is a {row['kind']} request")
    return row


def _tidy(conn, now):
    """Expire stale codes, forget old unverified addresses, drop sent notices."""
    expired = conn.execute(
        """UPDATE privacy_requests SET status = 'expired', code_hash = NULL
           WHERE status = 'unverified' AND code_expires_at <= %s RETURNING id""",
        (now,),
    ).fetchall()
    for (request_id,) in expired:
        _audit(conn, request_id, "expired", SYSTEM, now)

    conn.execute(
        """UPDATE privacy_requests SET email = NULL, details = NULL
           WHERE status = 'expired' AND email IS NOT NULL AND created_at < %s""",
        (now - FORGET_UNVERIFIED_AFTER,),
    )
    # The client's hash only serves the rate limit, so it goes with the window.
    conn.execute(
        """UPDATE privacy_requests SET client_hash = NULL
           WHERE client_hash IS NOT NULL AND created_at < %s""",
        (now - RATE_WINDOW,),
    )
    # TODO(#9): the mail worker should drop an erasure notice as it sends it;
    # until tenancy's worker knows that kind, the next privacy call does.
    conn.execute(
        "DELETE FROM outbox WHERE kind = %s AND sent_at IS NOT NULL",
        (ERASED_NOTICE,),
    )


def _too_busy(conn, email, client_hash, now):
    since = now - RATE_WINDOW
    per_address, per_client = conn.execute(
        """SELECT count(*) FILTER (WHERE lower(email) = lower(%s)),
                  count(*) FILTER (WHERE client_hash = %s)
           FROM privacy_requests WHERE created_at > %s""",
        (email, client_hash, since),
    ).fetchone()
    return per_address >= MAX_PER_ADDRESS or per_client >= MAX_PER_CLIENT


def _audit(conn, request_id, step, actor, at):
    conn.execute(
        """INSERT INTO privacy_audit (request_id, step, actor, at)
           VALUES (%s, %s, %s, %s)""",
        (request_id, step, actor, at),
    )


def _code_mail(tenant, request_id, email, code):
    minutes = int(CODE_VALID.total_seconds() // 60)
    body = (
        f"Your code for the privacy request to {tenant.store.display_name} is:\n\n"
        f"    {code}\n\n"
        f"Enter it on the page where you made the request, within {minutes} "
        "minutes. If you did not ask, ignore this mail: nothing will happen."
    )
    return Message(
        kind="privacy_code",
        recipient=email,
        subject=f"Your code for {tenant.store.display_name}"[:200],
        body_text=body,
        dedupe_key=f"privacy-code:{request_id}",
    )


def _tell(conn, tenant, request, kind, body, *, email=None):
    enqueue(
        conn,
        Message(
            kind=kind,
            recipient=email or request["email"],
            subject=f"Your privacy request to {tenant.store.display_name}"[:200],
            body_text=body,
            dedupe_key=f"{kind}:{request['id']}",
        ),
    )


def _refuse_code():
    raise InvalidInput("code", "is wrong or has expired")


def _store_url(tenant):
    return tenant.platform.config.store_url(tenant.store.slug)


def _add_months(moment, months):
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _new_code():
    return f"{secrets.randbelow(10**6):06d}"


def _code_hash(token, code):
    return _digest(f"{token}:{code}")


def _digest(text):
    return hashlib.sha256(text.encode()).digest()


def _like(text):
    return text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def _now():
    return datetime.now(UTC)
