"""PayPal's webhook signing certificates: fetched only from PayPal, then cached.

A delivery names the certificate that signed it (``PAYPAL-CERT-URL``). Were
any URL fetched, a forger would sign with a key of their own and point us at
its certificate; so the URL must be HTTPS on one of PayPal's API hosts before
anything is fetched. Certificates are cached per URL until they expire, and
kept to a bounded number.
"""

import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID

from commerce.payments.errors import ProviderUnavailable, WebhookRejected

# TODO(#5): confirm this list against real sandbox and live deliveries (the
# notes could not settle whether api.* and api-m.* both occur).
HOSTS = frozenset(
    {
        "api.paypal.com",
        "api-m.paypal.com",
        "api.sandbox.paypal.com",
        "api-m.sandbox.paypal.com",
    }
)
PATH_PREFIX = "/v1/notifications/certs/"
MAX_CERTIFICATES = 64
MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 10


def check_url(url):
    """Raise WebhookRejected unless ``url`` is a certificate URL on PayPal's hosts."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise WebhookRejected("paypal", "malformed certificate URL") from None
    if (
        parts.scheme != "https"
        or (parts.hostname or "") not in HOSTS
        or parts.username is not None
        or port not in (None, 443)
        or not parts.path.startswith(PATH_PREFIX)
    ):
        raise WebhookRejected("paypal", "certificate URL is not on PayPal's hosts")


def fetch_over_https(url):
    """The certificate's PEM bytes; TLS to PayPal's host vouches for them."""
    try:
        response = httpx.get(url, timeout=TIMEOUT_SECONDS, follow_redirects=False)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        why = type(exc).__name__
        raise ProviderUnavailable("paypal", "fetch certificate", why) from None
    return response.content[:MAX_BYTES]


class Certificates:
    """Public keys of PayPal's signing certificates, by URL."""

    def __init__(self, fetch=fetch_over_https, *, clock=time.time):
        self._fetch = fetch
        self._clock = clock
        self._keys = OrderedDict()
        self._lock = threading.Lock()

    def public_key(self, url):
        check_url(url)
        now = self._clock()
        with self._lock:
            hit = self._keys.get(url)
        if hit is not None and hit[1] > now:
            return hit[0]

        # NOTE: the chain is not walked to a root: the URL is pinned to
        # PayPal's hosts and fetched over verified TLS, which is what makes
        # the certificate PayPal's. Its own dates and name are still checked.
        certificate = _load(self._fetch(url))
        _check(certificate, now)
        key = certificate.public_key()
        with self._lock:
            self._keys[url] = (key, certificate.not_valid_after_utc.timestamp())
            while len(self._keys) > MAX_CERTIFICATES:
                self._keys.popitem(last=False)
        return key


def _load(pem):
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise WebhookRejected("paypal", "certificate does not parse") from None


def _check(certificate, now):
    moment = datetime.fromtimestamp(now, UTC)
    if (
        not certificate.not_valid_before_utc
        <= moment
        <= certificate.not_valid_after_utc
    ):
        raise WebhookRejected("paypal", "certificate is not valid now")

    names = [
        attribute.value
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    ]
    if not any(str(name).lower().endswith(".paypal.com") for name in names):
        raise WebhookRejected("paypal", "certificate is not issued to PayPal")
