"""HMAC checks shared by the providers, all in constant time.

Stripe and Clover's Hosted Checkout both send ``t=<unix seconds>,v1=<hex>``
and sign ``f"{t}.{raw body}"``; Square signs other bytes but also with
HMAC-SHA256. Secrets are used as their UTF-8 bytes, as the providers do.
"""

import base64
import hashlib
import hmac

from commerce.payments.errors import WebhookRejected


def hmac_sha256(secret, message):
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def hmac_hex(secret, message):
    return hmac_sha256(secret, message).hex()


def hmac_base64(secret, message):
    return base64.b64encode(hmac_sha256(secret, message)).decode()


def same(expected, given):
    """Constant-time equality of two texts."""
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def parse_timestamped(header):
    """``(timestamp, [v1 signatures])`` from ``t=..,v1=..[,v1=..]``.

    Other schemes (``v0``) are dropped, so a header cannot downgrade to them.
    A missing or non-numeric ``t`` gives None.
    """
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamp = int(value) if value.isdigit() else None
        elif key == "v1" and value:
            signatures.append(value)
    return timestamp, signatures


def check_timestamped(provider, header, body, secrets, now, tolerance):
    """Raise WebhookRejected unless one ``v1`` is the HMAC of ``t.body``.

    ``secrets`` may hold several (ours during a rotation); the provider may send
    several ``v1`` (its own rotation); any pair that matches passes. Only a
    timestamp older than ``tolerance`` seconds is refused, as stripe-python
    does; None turns the age check off.
    """
    if not header:
        raise WebhookRejected(provider, "no signature header")
    timestamp, signatures = parse_timestamped(header)
    if timestamp is None or not signatures:
        raise WebhookRejected(provider, "malformed signature header")

    signed = str(timestamp).encode() + b"." + body
    expected = [hmac_hex(secret, signed) for secret in secrets]
    if not any(same(e, given) for e in expected for given in signatures):
        raise WebhookRejected(provider, "no signature matches")
    if tolerance is not None and timestamp < now - tolerance:
        raise WebhookRejected(provider, "timestamp outside the tolerance")
    return timestamp


def timestamped_header(secret, body, timestamp):
    """The header a provider would send: for our tests and stubs."""
    signed = str(timestamp).encode() + b"." + body
    return f"t={timestamp},v1={hmac_hex(secret, signed)}"
