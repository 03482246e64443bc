"""A store's payment providers: their settings, sealed, and the owner's choices.

Each enabled provider is one row of the registry's ``store_secrets``
(``payments_<provider>``): the whole settings object as JSON, sealed for the
store (context ``store:<id>:payments_<provider>``), so key rotation re-seals
it with the other secrets and a copy moved to another store does not open.
Secrets are never shown again: summaries carry masked hints.

When a signing secret is replaced, the old one is kept for ``GRACE_SECONDS``
so that deliveries signed just before the change still verify.
"""

import json
import time
from urllib.parse import urlsplit

from commerce.payments.errors import SettingsInvalid, UnknownProvider
from tenancy import record_audit

PROVIDERS = ("stripe", "square", "paypal", "clover", "manual")
GRACE_SECONDS = 24 * 3600
MAX_LENGTH = 2048
PREFIX = "payments_"

# name: (secret fields, plain required fields, plain optional fields)
FIELDS = {
    "stripe": (("secret_key", "webhook_secret"), (), ("api_base",)),
    "square": (
        ("access_token", "signature_key"),
        ("notification_url",),
        ("api_base", "location_id"),
    ),
    "paypal": (
        ("client_secret",),
        ("client_id", "webhook_id"),
        ("api_base", "verify_with"),
    ),
    "clover": (
        ("api_token", "webhook_secret", "auth_code"),
        ("merchant_id",),
        ("api_base",),
    ),
    "manual": ((), (), ()),
}
SIGNING = ("webhook_secret", "signature_key", "auth_code")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
RESTOCK_KEY = "payments_restock_on_refund"
CLOVER_CODE_KEY = "payments_clover_verification"


def check_provider(provider):
    if provider not in PROVIDERS:
        raise UnknownProvider(provider)
    return provider


def configure_provider(platform, store_id, provider, settings, *, actor="owner",
                       now=None):  # fmt: skip
    """Enable ``provider`` for a store with ``settings``; return its masked summary.

    Raise SettingsInvalid naming the first missing or refused field.
    """
    clean = clean_settings(check_provider(provider), settings)
    now = time.time() if now is None else now
    name = PREFIX + provider

    with platform.registry() as conn:
        row = conn.execute(
            """SELECT sealed FROM store_secrets WHERE store_id = %s AND name = %s
               FOR UPDATE""",
            (store_id, name),
        ).fetchone()
        if row is not None:
            old = json.loads(platform.keyring.open(row[0], _context(store_id, name)))
            clean = _keep_replaced(clean, old, now)
        sealed = platform.keyring.seal(json.dumps(clean), _context(store_id, name))
        conn.execute(
            """INSERT INTO store_secrets (store_id, name, sealed) VALUES (%s, %s, %s)
               ON CONFLICT (store_id, name)
               DO UPDATE SET sealed = excluded.sealed, updated_at = now()""",
            (store_id, name, sealed),
        )
        record_audit(conn, actor, "payments.configured", store_id, provider=provider)
    return summary_of(provider, clean)


def disable_provider(platform, store_id, provider, *, actor="owner"):
    """Forget a provider's settings; True if it was enabled."""
    name = PREFIX + check_provider(provider)
    with platform.registry() as conn:
        removed = conn.execute(
            "DELETE FROM store_secrets WHERE store_id = %s AND name = %s",
            (store_id, name),
        ).rowcount
        if removed:
            record_audit(conn, actor, "payments.disabled", store_id, provider=provider)
    return bool(removed)


def provider_summary(platform, store_id):
    """Enabled providers with masked hints, for the admin's Settings page.

    ``{"providers": {name: {field: hint}}, "restock_on_refund": bool,
    "clover_verification": {...} or None}``. With nothing enabled, the
    manual method is what the storefront offers.
    """
    enabled = load_settings(platform, store_id)
    tenant = platform.tenant(store_id)
    summaries = {name: summary_of(name, values) for name, values in enabled.items()}
    return {
        "providers": summaries or {"manual": {}},
        "restock_on_refund": restock_on_refund(tenant),
        "clover_verification": clover_verification(tenant),
    }


def load_settings(platform, store_id):
    """Provider name to its settings in clear, for the providers alone."""
    with platform.registry() as conn:
        rows = conn.execute(
            """SELECT name, sealed FROM store_secrets
               WHERE store_id = %s AND name = ANY(%s)""",
            (store_id, [PREFIX + p for p in PROVIDERS]),
        ).fetchall()
    return {
        name[len(PREFIX) :]: json.loads(
            platform.keyring.open(sealed, _context(store_id, name))
        )
        for name, sealed in rows
    }


def summary_of(provider, settings):
    secret, required, optional = FIELDS[provider]
    hints = {field: mask(settings[field]) for field in secret if settings.get(field)}
    for field in (*required, *optional):
        if settings.get(field):
            hints[field] = settings[field]
    return hints


def mask(value):
    """``…wxyz``: enough to recognise a secret, too little to use it."""
    return f"…{value[-4:]}" if len(value) >= 16 else "…"


def clean_settings(provider, settings):
    if not isinstance(settings, dict):
        raise SettingsInvalid(provider, "settings", "must be one JSON object")
    secret, required, optional = FIELDS[provider]
    unknown = sorted(set(settings) - {*secret, *required, *optional})
    if unknown:
        raise SettingsInvalid(provider, unknown[0], "is not a setting of this provider")

    clean = {}
    for field in (*secret, *required, *optional):
        value = settings.get(field)
        if value in (None, ""):
            if field in optional:
                continue
            raise SettingsInvalid(provider, field, "is required")
        if not isinstance(value, str) or len(value) > MAX_LENGTH:
            raise SettingsInvalid(
                provider, field, "must be text of 2048 characters at most"
            )
        if value != value.strip() or not value.isprintable():
            raise SettingsInvalid(provider, field, "must not hold spaces at its ends")
        clean[field] = value
    _check_urls(provider, clean)
    return clean


def _check_urls(provider, clean):
    if "api_base" in clean:
        parts = urlsplit(clean["api_base"])
        host = (parts.hostname or "").lower()
        local = host in LOCAL_HOSTS or host.endswith(".localhost")
        # Plain HTTP only reaches this machine: stubs and sandboxes in tests.
        if not (parts.scheme == "https" or (parts.scheme == "http" and local)):
            raise SettingsInvalid(provider, "api_base", "must be an https:// address")
    if "notification_url" in clean:
        if urlsplit(clean["notification_url"]).scheme not in ("https", "http"):
            raise SettingsInvalid(
                provider, "notification_url", "must be the URL registered with Square"
            )
    if clean.get("verify_with", "certificate") not in ("certificate", "api"):
        raise SettingsInvalid(provider, "verify_with", "must be certificate or api")


def _keep_replaced(clean, old, now):
    previous = {}
    for field in SIGNING:
        if old.get(field) and clean.get(field) and old[field] != clean[field]:
            previous[field] = old[field]
    if previous:
        clean["previous"] = {**previous, "until": now + GRACE_SECONDS}
    elif old.get("previous", {}).get("until", 0) > now:
        clean["previous"] = old["previous"]
    return clean


# -- the owner's choices in the store's own settings -------------------------------


def restock_on_refund(tenant):
    """Whether a full refund puts the order's units back on the shelf."""
    with tenant.connection() as conn:
        return read_restock(conn)


def read_restock(conn):
    row = conn.execute(
        "SELECT value FROM store_settings WHERE key = %s", (RESTOCK_KEY,)
    ).fetchone()
    return bool(row and row[0] is True)


def set_restock_on_refund(tenant, enabled):
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO store_settings (key, value) VALUES (%s, %s::jsonb)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = now()""",
            (RESTOCK_KEY, json.dumps(bool(enabled))),
        )


def record_clover_verification(tenant, code, now):
    """Keep the code of Clover's set-up handshake for the owner to paste."""
    value = json.dumps({"code": code, "received_at": now.isoformat()})
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO store_settings (key, value) VALUES (%s, %s::jsonb)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = now()""",
            (CLOVER_CODE_KEY, value),
        )


def clover_verification(tenant):
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT value FROM store_settings WHERE key = %s", (CLOVER_CODE_KEY,)
        ).fetchone()
    return row[0] if row else None


def _context(store_id, name):
    # The same context tenancy.rotation builds for store_secrets rows.
    return f"store:{store_id}:{name}"
