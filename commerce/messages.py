"""Messages from shoppers to a store: the contact form.

A contact message is kept in the store's database for the owner and the owner
is told by mail, queued in the same transaction. Privacy requests live in
``commerce.privacy``. The field checks here (``clean_email``, ``clean_text``)
are shared by the other shopper-facing services.
"""

import re
from dataclasses import dataclass

from commerce.errors import InvalidInput
from tenancy import registry
from tenancy.mail import Message, enqueue

MAX_NAME = 200
MAX_SUBJECT = 200
MAX_BODY = 5000
MAX_EMAIL = 254
PRIVACY_KINDS = ("access", "correction", "deletion")

# Deliberately loose: one @, no spaces, a dot in the domain. The real check is
# the mail reaching the address.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class ContactMessage:
    name: str
    email: str
    subject: str | None
    body: str


def clean_email(raw, field="email"):
    """An email address, trimmed, with its domain in lower case."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(field, "is required")
    if len(text) > MAX_EMAIL or not _EMAIL.fullmatch(text):
        raise InvalidInput(field, "does not look like an email address")

    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def clean_text(raw, field, *, required=True, limit=MAX_NAME):
    """Trimmed text of at most ``limit`` characters; None when optional and empty."""
    text = (raw or "").strip()
    if not text:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if len(text) > limit:
        raise InvalidInput(field, f"must be at most {limit} characters")
    return text


def check_contact(fields):
    """A ContactMessage from form fields; InvalidInput names the first bad one."""
    return ContactMessage(
        name=clean_text(fields.get("name"), "name"),
        email=clean_email(fields.get("email")),
        subject=clean_text(
            fields.get("subject"), "subject", required=False, limit=MAX_SUBJECT
        ),
        body=clean_text(fields.get("message"), "message", limit=MAX_BODY),
    )


def send_contact_message(tenant, fields):
    """Keep a shopper's message for the owner and tell the owner; return its id."""
    message = check_contact(fields)
    owner = owner_address(tenant)

    with tenant.transaction() as conn:
        message_id = conn.execute(
            """INSERT INTO contact_messages (name, email, subject, body)
               VALUES (%s, %s, %s, %s) RETURNING id""",
            (message.name, message.email, message.subject, message.body),
        ).fetchone()[0]
        if owner:
            enqueue(conn, _owner_notice(tenant, message_id, message, owner))
    return message_id


def owner_address(tenant):
    """Where the owner wants shop mail, or None when no address is known.

    The store's ``contact_email`` setting wins over the account's email.
    """
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT value #>> '{}' FROM store_settings WHERE key = 'contact_email'"
        ).fetchone()
    if row and row[0]:
        return row[0]

    if tenant.store.account_id is None:
        return None
    with tenant.platform.registry() as conn:
        account = registry.get_account(conn, tenant.store.account_id)
    return account.email if account else None


def _owner_notice(tenant, message_id, message, owner):
    subject = message.subject or "(no subject)"
    body = (
        f"{message.name} <{message.email}> wrote through the contact form of "
        f"{tenant.store.display_name}:\n\n"
        f"Subject: {subject}\n\n{message.body}\n\n"
        "Reply to the address above; the message is also in your dashboard."
    )
    return Message(
        kind="contact_message",
        recipient=owner,
        subject=f"New message: {subject}"[:200],
        body_text=body,
        dedupe_key=f"contact:{message_id}",
    )
