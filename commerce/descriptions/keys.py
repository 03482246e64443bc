"""A store's own AI provider keys, sealed in the registry's ``store_secrets``.

Each key is sealed for its store and provider (context
``store:<id>:ai_<provider>_key``), so ``apmt rotate-keys`` re-encrypts it with
the other store secrets and a value copied to another store does not open.
Once set, a key is never shown again: callers get a masked hint.
"""

from commerce.errors import InvalidInput
from tenancy import record_audit

from .settings import PROVIDERS

MAX_KEY_LENGTH = 512


def set_store_ai_key(platform, store_id, provider, key, *, actor="owner"):
    """Seal ``key`` as the store's own key for ``provider``; return its hint."""
    name = _secret_name(provider)
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH or any(c.isspace() for c in key):
        raise InvalidInput("api_key", "must be 1-512 characters with no spaces")
    if not key.isprintable():
        raise InvalidInput("api_key", "must not contain control characters")

    sealed = platform.keyring.seal(key, _context(store_id, name))
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO store_secrets (store_id, name, sealed) VALUES (%s, %s, %s)
               ON CONFLICT (store_id, name)
               DO UPDATE SET sealed = excluded.sealed, updated_at = now()""",
            (store_id, name, sealed),
        )
        record_audit(conn, actor, "ai_key.set", store_id, provider=provider)
    return mask_key(key)


def remove_store_ai_key(platform, store_id, provider, *, actor="owner"):
    """Forget the store's own key for ``provider``; True if there was one."""
    name = _secret_name(provider)
    with platform.registry() as conn:
        removed = conn.execute(
            "DELETE FROM store_secrets WHERE store_id = %s AND name = %s",
            (store_id, name),
        ).rowcount
        if removed:
            record_audit(conn, actor, "ai_key.removed", store_id, provider=provider)
    return bool(removed)


def list_store_ai_keys(platform, store_id):
    """Provider name to masked hint, for the keys this store has set."""
    return {
        provider: mask_key(key)
        for provider, key in load_store_ai_keys(platform, store_id).items()
    }


def load_store_ai_keys(platform, store_id):
    """Provider name to the store's own key, in clear; for the writers only."""
    names = {_secret_name(p): p for p in PROVIDERS}
    with platform.registry() as conn:
        rows = conn.execute(
            """SELECT name, sealed FROM store_secrets
               WHERE store_id = %s AND name = ANY(%s)""",
            (store_id, list(names)),
        ).fetchall()

    return {
        names[name]: platform.keyring.open(sealed, _context(store_id, name))
        for name, sealed in rows
    }


def mask_key(key):
    """``…wxyz``: enough to recognise a key, too little to use it."""
    if len(key) < 16:
        return "…"
    return f"…{key[-4:]}"


def _secret_name(provider):
    if provider not in PROVIDERS:
        raise InvalidInput("provider", f"expected one of {', '.join(PROVIDERS)}")
    return f"ai_{provider}_key"


def _context(store_id, name):
    # The same context tenancy.rotation builds for store_secrets rows.
    return f"store:{store_id}:{name}"
