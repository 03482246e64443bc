import os

from tenancy import Platform
from tenancy.rotation import count_stale, rotate_secrets
from tenancy.secrets import Keyring


def test_rotation_keeps_every_secret_readable(platform, make_store, keyring):
    tenants = [make_store() for _ in range(3)]
    with platform.registry() as conn:
        conn.execute(
            "INSERT INTO store_secrets (store_id, name, sealed) VALUES (%s, %s, %s)",
            (tenants[0].id, "stripe_secret_key",
             keyring.seal("sk_test_1", f"store:{tenants[0].id}:stripe_secret_key")),
        )  # fmt: skip

    newer = Keyring({**keyring._keys, "ktest9": os.urandom(32)})
    rotated = Platform(platform.config, primary_dsn=platform.primary_dsn, keyring=newer)
    assert count_stale(rotated) >= 4
    assert rotate_secrets(rotated) >= 4
    assert count_stale(rotated) == 0

    # Only the new key is needed now, and every store still opens.
    only_new = Keyring({"ktest9": newer._keys["ktest9"]})
    fresh = Platform(
        platform.config, primary_dsn=platform.primary_dsn, keyring=only_new
    )
    for tenant in tenants:
        with fresh.tenant(tenant.id).transaction() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    with fresh.registry() as conn:
        sealed = conn.execute(
            "SELECT sealed FROM store_secrets WHERE store_id = %s", (tenants[0].id,)
        ).fetchone()[0]
    assert (
        only_new.open(sealed, f"store:{tenants[0].id}:stripe_secret_key") == "sk_test_1"
    )

    # Rotate back so the session's keyring keeps working for the other tests.
    back = Keyring({"ktest9": newer._keys["ktest9"], **keyring._keys})
    restore = Platform(platform.config, primary_dsn=platform.primary_dsn, keyring=back)
    rotate_secrets(restore)
    assert count_stale(platform) == 0
