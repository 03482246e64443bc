"""Queueing mail in an outbox, in the same transaction as what caused it.

The registry and every store database have an ``outbox`` table of the same
shape. A message is queued with the change that causes it, so it is sent if and
only if that change commits; the mail worker (``apmt worker``) sends it later.
A ``dedupe_key`` makes queueing idempotent: the same key is queued once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    kind: str
    recipient: str
    subject: str
    body_text: str
    body_html: str | None = None
    dedupe_key: str | None = None


def enqueue(conn, message):
    """Queue ``message`` on ``conn`` (registry or store); return its id or None."""
    row = conn.execute(
        """INSERT INTO outbox (kind, recipient, subject, body_text, body_html,
               dedupe_key)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
        (
            message.kind,
            message.recipient,
            message.subject,
            message.body_text,
            message.body_html,
            message.dedupe_key,
        ),
    ).fetchone()
    return row[0] if row else None


def pending(conn, limit=100):
    """Messages due for sending, oldest first (the worker's view)."""
    return conn.execute(
        """SELECT id, kind, recipient, subject, body_text, body_html
           FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= now()
           ORDER BY id LIMIT %s""",
        (limit,),
    ).fetchall()
