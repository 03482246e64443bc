"""The per-store key that turns customers into hashes for analytics.

The key is a store secret like the database password: 32 random bytes,
sealed under the master keys as ``store:<id>:analytics_customer_key`` in the
registry's ``store_secrets`` (so ``apmt rotate-keys`` re-seals it), and it
never enters DuckDB. Without it a mirror file holds nothing that leads back
to an email address: guessing an email needs the key, not just a hash table.
"""

import base64
import secrets

KEY_NAME = "analytics_customer_key"


def load_customer_key(platform, store_id):
    """The store's customer key (bytes).

    TODO(#8): provisioning should create this key with the store's other
    secrets; until it does, the first call creates it (once: concurrent
    first calls agree through ON CONFLICT and read back the same key).
    """
    context = f"store:{store_id}:{KEY_NAME}"
    select = "SELECT sealed FROM store_secrets WHERE store_id = %s AND name = %s"
    with platform.registry() as conn:
        row = conn.execute(select, (store_id, KEY_NAME)).fetchone()
        if row is None:
            fresh = base64.b64encode(secrets.token_bytes(32)).decode()
            conn.execute(
                """INSERT INTO store_secrets (store_id, name, sealed)
                   VALUES (%s, %s, %s) ON CONFLICT (store_id, name) DO NOTHING""",
                (store_id, KEY_NAME, platform.keyring.seal(fresh, context)),
            )
            row = conn.execute(select, (store_id, KEY_NAME)).fetchone()
    return base64.b64decode(platform.keyring.open(row[0], context))
