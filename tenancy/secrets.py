"""Encryption at rest for store secrets, under versioned master keys.

Master keys never live in the database. They come either from ``APMT_MASTER_KEYS``
(``kid:base64key,kid:base64key``) or from a key file (one ``kid base64key`` per
line, mode 0600), created by ``apmt init`` and extended by ``apmt rotate-keys``.
The last key listed is the current one; older keys stay to decrypt until rotation
has re-encrypted everything under the current key.

A sealed value is ``apmt1:<kid>:<base64url(nonce || AES-256-GCM ciphertext)>``.
The associated data binds it to its context (``store:42:db_password``) and key
id, so a value copied to another store or field fails to decrypt.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets as _random
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tenancy.errors import SecretUnavailable

_PREFIX = "apmt1"
_KID = re.compile(r"k[0-9a-z]{1,31}")


class Keyring:
    """The master keys of one process, newest last."""

    def __init__(self, keys):
        if not keys:
            raise SecretUnavailable("master keys", "none are loaded")
        self._keys = dict(keys)
        self.current = list(self._keys)[-1]

    @classmethod
    def from_config(cls, config):
        """Load the keys from the environment or from the key file."""
        if config.master_keys:
            return cls(_parse_env_keys(config.master_keys))

        path = config.key_file
        if not path.exists():
            raise SecretUnavailable(
                "master keys",
                f"no APMT_MASTER_KEYS and no key file at {path}; run 'apmt init'",
            )
        _check_private(path)
        return cls(_parse_file_keys(path))

    @property
    def key_ids(self):
        return list(self._keys)

    def seal(self, plaintext, context):
        """Encrypt ``plaintext`` (text) for ``context`` under the current key."""
        nonce = os.urandom(12)
        aad = f"{context}|{self.current}".encode()
        body = AESGCM(self._keys[self.current]).encrypt(nonce, plaintext.encode(), aad)
        token = base64.urlsafe_b64encode(nonce + body).decode()
        return f"{_PREFIX}:{self.current}:{token}"

    def open(self, sealed, context):
        """Decrypt a sealed value; raise SecretUnavailable naming the context."""
        kid, raw = _split(sealed, context)
        key = self._keys.get(kid)
        if key is None:
            raise SecretUnavailable(context, f"master key {kid} is not loaded")

        try:
            plain = AESGCM(key).decrypt(raw[:12], raw[12:], f"{context}|{kid}".encode())
        except InvalidTag:
            raise SecretUnavailable(
                context, "does not decrypt: wrong key, or moved from another record"
            ) from None
        return plain.decode()

    def derive(self, purpose, *, kid=None):
        """A 32-byte key for one purpose (signing, hashing), never a master key.

        HMAC-SHA256 of ``purpose`` under the master key ``kid`` (the current
        one by default). Apps that sign with it pass each loaded key id in turn
        to keep verifying what older keys signed.
        """
        kid = kid or self.current
        if kid not in self._keys:
            raise SecretUnavailable(purpose, f"master key {kid} is not loaded")
        return hmac.new(self._keys[kid], purpose.encode(), hashlib.sha256).digest()

    def is_current(self, sealed):
        """True when ``sealed`` is already encrypted under the current key."""
        return sealed.split(":", 2)[1] == self.current


def new_key_id():
    """A key id that sorts by creation time: ``k`` plus a UTC timestamp."""
    return "k" + datetime.now(UTC).strftime("%Y%m%d%H%M%S") + _random.token_hex(2)


def generate_key():
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def create_key_file(path):
    """Write a new key file with one key, mode 0600; refuse to overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kid = new_key_id()
    line = f"{kid} {generate_key()}\n"

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SecretUnavailable(
            "master keys", f"key file {path} already exists"
        ) from None
    with os.fdopen(fd, "w") as out:
        out.write(line)
    return kid


def append_key(path):
    """Add a new current key to an existing key file and return its id."""
    _check_private(path)
    known = _parse_file_keys(path)

    kid = new_key_id()
    while kid in known:
        kid = new_key_id()
    with open(path, "a") as out:
        out.write(f"{kid} {generate_key()}\n")
    return kid


def _check_private(path):
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise SecretUnavailable(
            "master keys", f"key file {path} must be mode 0600, not {mode:04o}"
        )


def _decode_key(kid, text, where):
    if not _KID.fullmatch(kid):
        raise SecretUnavailable("master keys", f"bad key id {kid!r} in {where}")
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise SecretUnavailable(
            "master keys", f"key {kid} in {where} is not 32 bytes of base64"
        )
    return key


def _parse_env_keys(raw):
    keys = {}
    for item in raw.split(","):
        kid, sep, text = item.strip().partition(":")
        if not sep:
            raise SecretUnavailable(
                "master keys", "APMT_MASTER_KEYS must look like kid:base64key,..."
            )
        keys[kid] = _decode_key(kid, text, "APMT_MASTER_KEYS")
    return keys


def _parse_file_keys(path):
    keys = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise SecretUnavailable("master keys", f"{path} line {number} is malformed")
        keys[parts[0]] = _decode_key(parts[0], parts[1], f"{path} line {number}")
    return keys


def _split(sealed, context):
    parts = (sealed or "").split(":", 2)
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise SecretUnavailable(context, "is not a sealed value")
    try:
        raw = base64.urlsafe_b64decode(parts[2])
    except ValueError:
        raise SecretUnavailable(context, "is not a sealed value") from None
    if len(raw) < 29:
        raise SecretUnavailable(context, "is truncated")
    return parts[1], raw
