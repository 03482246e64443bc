"""Newsletter sign-up with double opt-in, and signed unsubscribe links.

Signing up only records the request and mails a confirmation link; the address
counts as subscribed once that link is used. Only the SHA-256 of the link's
token is kept. The answer to a sign-up is the same whether the address was
new, pending or already confirmed, so the form reveals nothing about who
subscribes.

An unsubscribe link carries the subscriber id and an HMAC of it made with a
key the app passes in (derived from the master keys), so it needs no lookup
table and keeps working for every newsletter already sent. Several keys may be
given: the first signs, any of them verifies, which lets the key rotate.
"""

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from commerce.errors import NotFound
from commerce.messages import clean_email
from tenancy.mail import Message, enqueue

CONFIRM_WITHIN = timedelta(days=7)
RESEND_AFTER = timedelta(minutes=10)


def subscribe(tenant, email, *, confirm_url, now=None):
    """Ask ``email`` to confirm its subscription; return what was done.

    ``confirm_url(token)`` builds the link. Returns "sent", "already" (the
    address is confirmed) or "recent" (a link went out less than
    RESEND_AFTER ago), for tests and logs; the shopper sees the same page.
    """
    email = clean_email(email)
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)

    with tenant.transaction() as conn:
        row = conn.execute(
            """SELECT id, status, consent_requested_at FROM newsletter_subscribers
               WHERE lower(email) = lower(%s) FOR UPDATE""",
            (email,),
        ).fetchone()
        if row and row[1] == "confirmed":
            return "already"
        if row and row[1] == "pending" and now - row[2] < RESEND_AFTER:
            return "recent"

        subscriber_id = _request_consent(conn, row, email, _digest(token), now)
        link = confirm_url(token)
        enqueue(conn, _confirmation(tenant, subscriber_id, email, link, now))
    return "sent"


def confirm(tenant, token, *, unsubscribe_url, now=None):
    """Use a confirmation link: the address is subscribed from now on.

    ``unsubscribe_url(subscriber_id)`` builds the link sent in the welcome
    mail. Raise NotFound when the token is unknown, used or too old.
    """
    now = now or datetime.now(UTC)
    with tenant.transaction() as conn:
        row = conn.execute(
            """UPDATE newsletter_subscribers
               SET status = 'confirmed', confirmed_at = %(now)s, token_hash = NULL,
                   unsubscribed_at = NULL, updated_at = %(now)s
               WHERE token_hash = %(hash)s AND status = 'pending'
                 AND consent_requested_at > %(oldest)s
               RETURNING id, email""",
            {"now": now, "hash": _digest(token or ""), "oldest": now - CONFIRM_WITHIN},
        ).fetchone()
        if row is None:
            raise NotFound("confirmation link", "that is still valid")

        subscriber_id, email = row
        enqueue(conn, _welcome(tenant, subscriber_id, email, unsubscribe_url))
    return subscriber_id


def unsubscribe(tenant, subscriber_id, *, now=None):
    """Stop sending to a subscriber; doing it twice is harmless."""
    now = now or datetime.now(UTC)
    with tenant.transaction() as conn:
        found = conn.execute(
            """UPDATE newsletter_subscribers
               SET status = 'unsubscribed',
                   unsubscribed_at = coalesce(unsubscribed_at, %(now)s),
                   token_hash = NULL, updated_at = %(now)s
               WHERE id = %(id)s RETURNING id""",
            {"now": now, "id": subscriber_id},
        ).fetchone()
    if found is None:
        raise NotFound("subscriber", subscriber_id)


def subscriber_status(tenant, subscriber_id):
    """'pending', 'confirmed' or 'unsubscribed'; NotFound for an unknown id."""
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT status FROM newsletter_subscribers WHERE id = %s",
            (subscriber_id,),
        ).fetchone()
    if row is None:
        raise NotFound("subscriber", subscriber_id)
    return row[0]


def unsubscribe_signature(key, store_id, subscriber_id):
    """The signature an unsubscribe link carries for one subscriber of one store."""
    message = f"newsletter-unsubscribe:{store_id}:{subscriber_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def check_unsubscribe_signature(keys, store_id, subscriber_id, signature):
    """True when ``signature`` was made by one of ``keys`` for this subscriber."""
    given = (signature or "").encode()
    return any(
        hmac.compare_digest(
            unsubscribe_signature(key, store_id, subscriber_id).encode(), given
        )
        for key in keys
    )


def _request_consent(conn, row, email, token_hash, now):
    if row is None:
        return conn.execute(
            """INSERT INTO newsletter_subscribers (email, token_hash,
                   consent_requested_at)
               VALUES (%s, %s, %s) RETURNING id""",
            (email, token_hash, now),
        ).fetchone()[0]

    conn.execute(
        """UPDATE newsletter_subscribers
           SET status = 'pending', token_hash = %s, consent_requested_at = %s,
               updated_at = %s
           WHERE id = %s""",
        (token_hash, now, now, row[0]),
    )
    return row[0]


def _confirmation(tenant, subscriber_id, email, link, now):
    name = tenant.store.display_name
    body = (
        f"Someone, hopefully you, asked to receive the newsletter of {name} at "
        f"this address.\n\nTo confirm, open this link within "
        f"{CONFIRM_WITHIN.days} days and press the button:\n\n{link}\n\n"
        "If it was not you, ignore this mail: nothing will be sent to you."
    )
    return Message(
        kind="newsletter_confirm",
        recipient=email,
        subject=f"Please confirm your subscription to {name}"[:200],
        body_text=body,
        dedupe_key=f"newsletter-confirm:{subscriber_id}:{now.isoformat()}",
    )


def _welcome(tenant, subscriber_id, email, unsubscribe_url):
    name = tenant.store.display_name
    body = (
        f"You are now subscribed to the newsletter of {name}.\n\n"
        f"You can unsubscribe at any time with this link:\n\n"
        f"{unsubscribe_url(subscriber_id)}\n"
    )
    return Message(
        kind="newsletter_welcome",
        recipient=email,
        subject=f"You are subscribed to {name}"[:200],
        body_text=body,
    )


def _digest(token):
    return hashlib.sha256(token.encode()).digest()
