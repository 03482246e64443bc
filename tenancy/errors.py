"""Errors raised by the platform layer.

Every error carries the identifiers involved, never a secret or personal data,
so that its message can be shown to an operator as it is::

    TenancyError
    ├── ConfigError            a setting is missing or malformed
    ├── DatabaseUnavailable    a PostgreSQL server cannot be reached
    ├── InvalidSlug            a store slug breaks the naming rules
    ├── StoreExists            the slug is already taken
    ├── StoreNotFound          no store has this slug or id
    ├── StoreNotActive         the store is suspended, cancelled or deleted
    ├── ProvisioningFailed     a provisioning step failed (and was undone)
    ├── MigrationFailed        a database could not be upgraded
    ├── SecretUnavailable      a secret cannot be decrypted or no key is loaded
    ├── AuthenticationFailed   wrong email or password
    ├── RateLimited            too many attempts; retry later
    └── SessionInvalid         the session is unknown, expired or revoked
"""


class TenancyError(Exception):
    """Base class of every error the platform layer raises on purpose."""


class ConfigError(TenancyError):
    """A setting is missing or malformed."""

    def __init__(self, name, problem):
        self.name = name
        super().__init__(f"setting {name}: {problem}")


class DatabaseUnavailable(TenancyError):
    """A PostgreSQL server cannot be reached or refused the connection."""

    def __init__(self, server, problem):
        self.server = server
        super().__init__(f"database server {server} is unavailable: {problem}")


class InvalidSlug(TenancyError):
    """A store slug breaks the naming rules."""

    def __init__(self, slug, problem):
        self.slug = slug
        super().__init__(f"invalid store slug {slug!r}: {problem}")


class StoreExists(TenancyError):
    """The slug is already taken, whatever its case."""

    def __init__(self, slug):
        self.slug = slug
        super().__init__(f"a store with slug {slug!r} already exists")


class StoreNotFound(TenancyError):
    """No store has this slug or id."""

    def __init__(self, key):
        self.key = key
        super().__init__(f"no store {key!r}")


class StoreNotActive(TenancyError):
    """The store exists but is not active."""

    def __init__(self, slug, status):
        self.slug = slug
        self.status = status
        super().__init__(f"store {slug!r} is {status}")


class ProvisioningFailed(TenancyError):
    """A provisioning step failed; the steps before it were undone."""

    def __init__(self, slug, step, cause):
        self.slug = slug
        self.step = step
        super().__init__(f"creating store {slug!r} failed at step {step}: {cause}")


class MigrationFailed(TenancyError):
    """A database could not be upgraded; it stays on its previous revision."""

    def __init__(self, target, cause):
        self.target = target
        self.cause = cause
        super().__init__(f"migrating {target} failed: {cause}")


class SecretUnavailable(TenancyError):
    """A secret cannot be decrypted, or no master key is loaded."""

    def __init__(self, name, problem):
        self.name = name
        super().__init__(f"secret {name}: {problem}")


class AuthenticationFailed(TenancyError):
    """Wrong email or password; deliberately says no more than that."""

    def __init__(self):
        super().__init__("wrong email or password")


class RateLimited(TenancyError):
    """Too many attempts in a short time."""

    def __init__(self, what, retry_after):
        self.what = what
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} seconds")


class SessionInvalid(TenancyError):
    """The session is unknown, expired or revoked."""

    def __init__(self):
        super().__init__("session is not valid; please log in again")
