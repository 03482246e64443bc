"""The mail worker against a real SMTP server (aiosmtpd) on 127.0.0.1."""

import datetime as dt
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenancy import ConfigError
from tenancy.mail import Message, enqueue
from tenancy.mailer import FileTransport, SmtpTransport, configure_smtp, deliver
from tenancy.worker import run_once


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(__import__("ipaddress").ip_address("127.0.0.1"))]),
            critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path):
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login == b"mailer" and auth_data.password == b"s3cret-pass"
        )
        return AuthResult(success=ok)

    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), tls_context=context,
        require_starttls=True, authenticator=authenticate, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield controller, inbox, str(cert)
    controller.stop()


def settings_for(controller, ca_file, **overrides):
    return {
        "host": "127.0.0.1", "port": controller.port, "username": "mailer",
        "password": "s3cret-pass", "starttls": True, "ca_file": ca_file,
        "sender": "APMTSales <no-reply@apmt.test>", **overrides,
    }  # fmt: skip


def test_mail_goes_out_over_starttls_once(platform, tenant, smtp_server):
    controller, inbox, ca_file = smtp_server
    configure_smtp(platform, settings_for(controller, ca_file))
    with tenant.transaction() as conn:
        enqueue(conn, Message("contact_notification", "owner@example.com",
                              "New message", "Someone wrote to you.",
                              dedupe_key="k1"))  # fmt: skip
        assert (
            enqueue(
                conn,
                Message(
                    "contact_notification",
                    "owner@example.com",
                    "New message",
                    "dup",
                    dedupe_key="k1",
                ),
            )
            is None
        )

    run_once(platform)
    run_once(platform)

    mine = [m for m in inbox.messages if "owner@example.com" in m]
    assert len(mine) == 1
    assert "Someone wrote to you." in mine[0]
    assert f"Message-ID: <s{tenant.id}-" in mine[0]
    with platform.registry() as conn:
        conn.execute("DELETE FROM platform_secrets")


def test_failures_are_retried_later_with_backoff(platform, tenant):
    class Down:
        def send(self, message):
            raise ConnectionRefusedError("connection refused")

        def close(self):
            pass

    with tenant.transaction() as conn:
        enqueue(conn, Message("x", "a@example.com", "s", "b"))
    with tenant.connection() as conn:
        assert deliver(conn, Down(), scope="t", sender="x@y") == (0, 1)
        # Not due again at once: the backoff holds it back.
        assert deliver(conn, Down(), scope="t", sender="x@y") == (0, 0)
        row = conn.execute(
            "SELECT attempts, last_error, sent_at FROM outbox"
        ).fetchone()
    assert row[0] == 1 and "refused" in row[1] and row[2] is None


def test_without_smtp_settings_mail_lands_in_files(platform, tenant, tmp_path):
    with tenant.transaction() as conn:
        enqueue(conn, Message("welcome", "b@example.com", "Hello", "Welcome!"))
    with tenant.connection() as conn:
        deliver(conn, FileTransport(tmp_path), scope="s1", sender="x@y")
    files = list(tmp_path.glob("*.eml"))
    assert len(files) == 1 and b"Welcome!" in files[0].read_bytes()


def test_a_password_without_starttls_is_refused(platform):
    with pytest.raises(ConfigError, match="STARTTLS"):
        configure_smtp(platform, {"host": "127.0.0.1", "username": "u",
                                  "password": "p", "starttls": False})  # fmt: skip


def test_the_smtp_password_is_stored_sealed(platform, smtp_server):
    controller, _, ca_file = smtp_server
    configure_smtp(platform, settings_for(controller, ca_file))
    with platform.registry() as conn:
        sealed = conn.execute("SELECT sealed FROM platform_secrets").fetchone()[0]
        conn.execute("DELETE FROM platform_secrets")
    assert "s3cret-pass" not in sealed


def test_an_unreachable_server_is_a_failure_not_a_crash(platform, tenant):
    from tenancy.mailer import SmtpSettings

    closed = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    with tenant.transaction() as conn:
        enqueue(conn, Message("x", "c@example.com", "s", "b"))
    with tenant.connection() as conn:
        transport = SmtpTransport(closed)
        assert deliver(conn, transport, scope="t", sender="x@y") == (0, 1)
