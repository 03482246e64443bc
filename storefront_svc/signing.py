"""Signed values: CSRF tokens, the cart cookie and newsletter unsubscribe links.

Each use gets a key of its own, derived from one root key with HMAC-SHA256
and the use's name, so a signature made for a cart is never accepted as a
CSRF token. The root keys are ``STOREFRONT_SECRET_KEY`` when set, otherwise
derived from the platform's master keys: then every process that holds the
master keys (the admin, the mail worker) can make links the storefront
accepts, and rotating the master keys does not break the links already
mailed, because every loaded key still verifies.
"""

import base64
import hmac
import json


class Signer:
    """HMAC-SHA256 under versioned keys: the first signs, any of them verifies."""

    def __init__(self, keys):
        if not keys:
            raise ValueError("a signer needs at least one key")
        self.keys = tuple(keys)

    def derive(self, purpose):
        """A signer for one use, whose signatures no other use accepts."""
        label = f"apmt-storefront:{purpose}".encode()
        return Signer([hmac.digest(key, label, "sha256") for key in self.keys])

    def sign(self, message):
        return _b64(hmac.digest(self.keys[0], _bytes(message), "sha256"))

    def verify(self, message, signature):
        given = _bytes(signature or "")
        return any(
            hmac.compare_digest(
                _b64(hmac.digest(key, _bytes(message), "sha256")).encode(), given
            )
            for key in self.keys
        )

    def dumps(self, value, context=""):
        """``value`` as JSON in a URL-safe string with its signature."""
        body = _b64(json.dumps(value, separators=(",", ":")).encode())
        return f"{body}.{self.sign(f'{context}|{body}')}"

    def loads(self, token, context=""):
        """The value ``dumps`` signed for ``context``, or None if it was changed."""
        body, _, signature = (token or "").rpartition(".")
        if not body or not self.verify(f"{context}|{body}", signature):
            return None
        try:
            return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None


def root_signer(config, keyring):
    """The storefront's root signer: from its own key, else from the master keys."""
    if config.secret_key:
        return Signer([config.secret_key])
    return Signer(_master_key_material(keyring))


def _master_key_material(keyring):
    # Newest key first: it signs; the older ones still verify.
    return [
        keyring.derive("storefront-signing", kid=kid)
        for kid in reversed(keyring.key_ids)
    ]


def _b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bytes(value):
    return value if isinstance(value, bytes) else str(value).encode()
