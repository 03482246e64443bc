"""Password hashing with argon2id (RFC 9106 low-memory parameters)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024

_hasher = PasswordHasher()

# NOTE: verifying against this when the account does not exist keeps the time of
# a failed login the same whether or not the email is known.
_DUMMY_HASH = _hasher.hash("not a real password, only a timing decoy")


def check_strength(password):
    """Return a reason the password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.strip() != password and not password.strip():
        return "must not be only spaces"
    return None


def hash_password(password):
    return _hasher.hash(password)


def verify_password(stored_hash, password):
    """True when ``password`` matches; a missing hash still costs one verify."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(
            stored_hash
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash):
    return _hasher.check_needs_rehash(stored_hash)
