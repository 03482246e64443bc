"""Signed deliveries built the way each provider documents it, for the tests.

Written here with plain ``hmac`` and ``cryptography``, apart from the code
under test, so that a mistake in one is not repeated in the other.
"""

import base64
import hashlib
import hmac
import json
import time
import zlib
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-test-1"


def body(obj):
    """JSON bytes as a provider might send them (compact, non-ASCII kept)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def stripe_headers(raw, secrets, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    signed = f"{timestamp}.".encode() + raw
    parts = [f"t={timestamp}"]
    for secret in [secrets] if isinstance(secrets, str) else secrets:
        parts.append(
            "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        )
    return {"Stripe-Signature": ",".join(parts)}


def square_headers(raw, key, url):
    digest = hmac.new(key.encode(), url.encode() + raw, hashlib.sha256).digest()
    return {"x-square-hmacsha256-signature": base64.b64encode(digest).decode()}


def clover_headers(raw, secret, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    signed = f"{timestamp}.".encode() + raw
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return {"Clover-Signature": f"t={timestamp},v1={digest}"}


class PaypalSigner:
    """A throw-away key and certificate standing in for PayPal's."""

    def __init__(self, common_name="messageverificationcerts.sandbox.paypal.com"):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM)

    def headers(self, raw, webhook_id, *, transmission_id="tx-1", cert_url=CERT_URL):
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        crc = zlib.crc32(raw) & 0xFFFFFFFF
        message = f"{transmission_id}|{when}|{webhook_id}|{crc}".encode()
        signature = self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-AUTH-VERSION": "v2",
        }
