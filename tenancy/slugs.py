"""Store slugs and the database identifiers derived from them.

A slug is the store's DNS label (``<slug>.<base domain>``), so it follows RFC 1035
label rules, restricted to lower case: 1 to 63 characters from ``a-z``, ``0-9`` and
``-``, starting with a letter and not ending with a hyphen. We also refuse
``xn--`` and any other double hyphen in positions 3-4 (reserved for IDNA), and names
the platform needs for itself.

Database and role names never contain the slug: they are built from the database
prefix (validated here) and the store's numeric id, then quoted with the driver's
identifier quoting. PostgreSQL identifiers are limited to 63 bytes
(https://www.postgresql.org/docs/current/sql-syntax-lexical.html).
"""

import re

from tenancy.errors import ConfigError, InvalidSlug

RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "apps", "assets", "auth", "billing", "blog", "cdn",
        "dashboard", "dev", "docs", "ftp", "help", "imap", "internal", "login",
        "mail", "media", "mx", "ns", "ns1", "ns2", "pop", "pop3", "portal",
        "postgres", "root", "shop", "signup", "smtp", "staff", "staging", "static",
        "status", "support", "system", "test", "webhooks", "webmail", "www",
    }
)  # fmt: skip

_SLUG = re.compile(r"[a-z][a-z0-9-]{0,62}")
_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,23}")


def normalise_slug(raw):
    """Return the canonical form of a slug, or raise InvalidSlug saying why."""
    if not isinstance(raw, str):
        raise InvalidSlug(str(raw), "must be text")

    slug = raw.strip().lower()
    if not slug:
        raise InvalidSlug(raw, "must not be empty")
    if len(slug) > 63:
        raise InvalidSlug(raw, "must be at most 63 characters")
    if not _SLUG.fullmatch(slug):
        raise InvalidSlug(
            raw,
            "use only letters a-z, digits and hyphens, starting with a letter",
        )
    if slug.endswith("-"):
        raise InvalidSlug(raw, "must not end with a hyphen")
    if slug[2:4] == "--":
        raise InvalidSlug(raw, "must not have hyphens in the third and fourth place")
    if slug in RESERVED_SLUGS:
        raise InvalidSlug(raw, "this name is reserved")

    return slug


def validate_prefix(prefix):
    """Check the database name prefix that every platform database starts with."""
    if not _PREFIX.fullmatch(prefix or ""):
        raise ConfigError(
            "APMT_DB_PREFIX",
            "must be 1-24 characters of a-z, 0-9 and _, starting with a letter",
        )
    return prefix


def store_database_name(prefix, store_id):
    """Name of a store's database: prefix and numeric id, nothing user-chosen."""
    return f"{validate_prefix(prefix)}_s{int(store_id)}"


def store_role_name(prefix, store_id):
    """Name of a store's login role; same shape as its database name."""
    return f"{validate_prefix(prefix)}_s{int(store_id)}_owner"
