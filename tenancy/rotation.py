"""``apmt rotate-keys``: re-encrypt every secret under the newest master key.

Rotation is online: each value is re-sealed in its own short transaction and
readers accept any loaded key, so the apps keep working while it runs. Once it
reports zero values left on old keys, the old keys can be removed.
"""

import logging

log = logging.getLogger(__name__)

# (table, key columns, sealed column, context built from the key columns)
SEALED_FIELDS = (
    ("stores", ("id",), "role_password", lambda k: f"store:{k[0]}:db_password"),
    ("store_secrets", ("store_id", "name"), "sealed", lambda k: f"store:{k[0]}:{k[1]}"),
    ("db_servers", ("id",), "dsn_sealed", lambda k: f"server:{k[0]}:dsn"),
    ("platform_secrets", ("name",), "sealed", lambda k: f"platform:{k[0]}"),
)


def rotate_secrets(platform):
    """Re-seal every value not under the current key; return how many."""
    keyring = platform.keyring
    platform.check_keys()
    moved = 0

    for table, keys, column, context in SEALED_FIELDS:
        key_list = ", ".join(keys)
        with platform.registry() as conn:
            rows = conn.execute(
                f"SELECT {key_list}, {column} FROM {table} WHERE {column} IS NOT NULL"
            ).fetchall()

        for row in rows:
            key, sealed = row[:-1], row[-1]
            if keyring.is_current(sealed):
                continue
            fresh = keyring.seal(keyring.open(sealed, context(key)), context(key))
            where = " AND ".join(f"{k} = %s" for k in keys)
            with platform.registry() as conn:
                updated = conn.execute(
                    f"UPDATE {table} SET {column} = %s WHERE {where} AND {column} = %s",
                    (fresh, *key, sealed),
                ).rowcount
            moved += updated

    log.info("rotated %s secrets to key %s", moved, keyring.current)
    return moved


def count_stale(platform):
    """How many sealed values still use a key other than the current one."""
    keyring = platform.keyring
    stale = 0
    with platform.registry() as conn:
        for table, _, column, _ in SEALED_FIELDS:
            for (sealed,) in conn.execute(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
            ):
                stale += not keyring.is_current(sealed)
    return stale
