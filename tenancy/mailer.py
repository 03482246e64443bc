"""Sending the outboxes: SMTP with STARTTLS, or ``.eml`` files for the demo.

The registry and every live store have an outbox. ``deliver`` works through
one of them: each due message is locked (``FOR UPDATE SKIP LOCKED``, so two
workers never take the same one), sent, and marked sent in the same
transaction. A failure is recorded and retried later with exponential backoff.
Every message carries a Message-ID made from its outbox, so a receiving server
can drop the rare second copy of a message whose "sent" mark did not commit.

SMTP settings, password included, are stored sealed in the registry by
``apmt mail configure``; without them the worker writes each message as a file
under ``<data dir>/mail/<platform|store id>/``.
"""

import json
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from tenancy.errors import ConfigError

log = logging.getLogger(__name__)

SMTP_SETTINGS = "smtp"
MAX_ATTEMPTS = 8
BATCH = 50


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    sender: str = "APMTSales <no-reply@localhost>"
    ca_file: str | None = None
    timeout: float = 20


def configure_smtp(platform, settings):
    """Validate SMTP settings (a dict) and store them sealed in the registry."""
    allowed = set(SmtpSettings.__dataclass_fields__)
    unknown = set(settings) - allowed
    if unknown:
        raise ConfigError("smtp", f"unknown keys {', '.join(sorted(unknown))}")
    if not settings.get("host"):
        raise ConfigError("smtp", "host is required")
    parsed = SmtpSettings(**settings)
    if parsed.username and not parsed.starttls:
        raise ConfigError("smtp", "refusing to send a password without STARTTLS")

    sealed = platform.keyring.seal(json.dumps(settings), f"platform:{SMTP_SETTINGS}")
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO platform_secrets (name, sealed) VALUES (%s, %s)
               ON CONFLICT (name) DO UPDATE SET sealed = EXCLUDED.sealed,
                                                updated_at = now()""",
            (SMTP_SETTINGS, sealed),
        )
    return parsed


def load_smtp(platform):
    """The stored SMTP settings, or None when mail goes to files."""
    with platform.registry() as conn:
        row = conn.execute(
            "SELECT sealed FROM platform_secrets WHERE name = %s", (SMTP_SETTINGS,)
        ).fetchone()
    if row is None:
        return None
    return SmtpSettings(
        **json.loads(platform.keyring.open(row[0], f"platform:{SMTP_SETTINGS}"))
    )


class SmtpTransport:
    """One SMTP connection per worker pass, opened on first use."""

    def __init__(self, settings):
        self.settings = settings
        self._client = None

    def send(self, message):
        if self._client is None:
            self._client = self._connect()
        self._client.send_message(message)

    def close(self):
        if self._client is not None:
            try:
                self._client.quit()
            except smtplib.SMTPException:
                pass
            self._client = None

    def _connect(self):
        s = self.settings
        client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.starttls:
            context = ssl.create_default_context(cafile=s.ca_file)
            client.starttls(context=context)
        if s.username:
            client.login(s.username, s.password or "")
        return client


class FileTransport:
    """Writes each message as an ``.eml`` file: the demo's mailbox."""

    def __init__(self, folder):
        self.folder = folder

    def send(self, message):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0]
        (self.folder / f"{name}.eml").write_bytes(bytes(message))

    def close(self):
        pass


def deliver(conn, transport, *, scope, sender, now=None, limit=BATCH):
    """Send what is due in the outbox behind ``conn``; return (sent, failed)."""
    now = now or datetime.now(UTC)
    sent = failed = 0
    for _ in range(limit):
        with conn.transaction():
            row = conn.execute(
                """SELECT id, kind, recipient, subject, body_text, body_html, attempts
                   FROM outbox
                   WHERE sent_at IS NULL AND next_attempt_at <= %s
                     AND attempts < %s
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""",
                (now, MAX_ATTEMPTS),
            ).fetchone()
            if row is None:
                break
            outbox_id, kind, recipient, subject, text, html, attempts = row
            message = _compose(scope, outbox_id, sender, recipient, subject, text,
                               html, now)  # fmt: skip
            try:
                transport.send(message)
            except (OSError, smtplib.SMTPException) as exc:
                conn.execute(
                    """UPDATE outbox SET attempts = attempts + 1, last_error = %s,
                              next_attempt_at = %s WHERE id = %s""",
                    (_reason(exc), now + _backoff(attempts), outbox_id),
                )
                log.warning("scope=%s outbox=%s kind=%s not sent: %s", scope,
                            outbox_id, kind, _reason(exc))  # fmt: skip
                failed += 1
                continue
            conn.execute(
                "UPDATE outbox SET sent_at = %s, attempts = attempts + 1 WHERE id = %s",
                (now, outbox_id),
            )
            sent += 1
    return sent, failed


def _compose(scope, outbox_id, sender, recipient, subject, text, html, now):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    # NOTE: not make_msgid(): its random part would defeat de-duplication.
    message["Message-ID"] = f"<{scope}-{outbox_id}@outbox.apmtsales>"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def _backoff(attempts):
    return timedelta(minutes=min(2**attempts, 24 * 60))


def _reason(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
