import os
import stat

import pytest

from tenancy.config import load_config
from tenancy.errors import SecretUnavailable
from tenancy.secrets import Keyring, append_key, create_key_file
from tests.conftest import keys_env, new_keyring


def test_sealed_value_opens_only_in_its_own_context():
    keyring = new_keyring()
    sealed = keyring.seal("s3cret", "store:1:db_password")

    assert "s3cret" not in sealed
    assert keyring.open(sealed, "store:1:db_password") == "s3cret"
    with pytest.raises(SecretUnavailable, match="store:2:db_password"):
        keyring.open(sealed, "store:2:db_password")
    with pytest.raises(SecretUnavailable):
        keyring.open(sealed, "store:1:stripe_secret_key")


def test_a_different_key_with_the_same_id_fails_cleanly():
    sealed = new_keyring().seal("value", "store:1:x")

    with pytest.raises(SecretUnavailable, match="does not decrypt"):
        new_keyring().open(sealed, "store:1:x")


def test_tampered_or_truncated_values_are_refused():
    keyring = new_keyring()
    sealed = keyring.seal("value", "store:1:x")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]

    for bad in (flipped, sealed[:20], "plain text", ""):
        with pytest.raises(SecretUnavailable):
            keyring.open(bad, "store:1:x")


def test_key_file_is_created_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "master.keys"
    kid = create_key_file(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(SecretUnavailable, match="already exists"):
        create_key_file(path)

    config = load_config({"APMT_MASTER_KEY_FILE": str(path)})
    assert Keyring.from_config(config).current == kid


def test_loose_key_file_permissions_are_refused(tmp_path):
    path = tmp_path / "master.keys"
    create_key_file(path)
    os.chmod(path, 0o644)

    config = load_config({"APMT_MASTER_KEY_FILE": str(path)})
    with pytest.raises(SecretUnavailable, match="must be mode 0600"):
        Keyring.from_config(config)


def test_missing_keys_say_how_to_create_them(tmp_path):
    config = load_config({"APMT_DATA_DIR": str(tmp_path)})

    with pytest.raises(SecretUnavailable, match="apmt init"):
        Keyring.from_config(config)


def test_keys_from_the_environment_newest_last():
    first, second = new_keyring(), Keyring({"ktest2": os.urandom(32)})
    env = keys_env(first) + "," + keys_env(second)

    keyring = Keyring.from_config(load_config({"APMT_MASTER_KEYS": env}))
    assert keyring.current == "ktest2"
    old = first.seal("v", "ctx")
    assert keyring.open(old, "ctx") == "v"
    assert not keyring.is_current(old)


@pytest.mark.parametrize("raw", ["nocolon", "k1:notbase64!", "k1:c2hvcnQ="])
def test_malformed_environment_keys_are_named(raw):
    with pytest.raises(SecretUnavailable, match="APMT_MASTER_KEYS|k1"):
        Keyring.from_config(load_config({"APMT_MASTER_KEYS": raw}))


def test_append_key_makes_a_new_current_key(tmp_path):
    path = tmp_path / "master.keys"
    first = create_key_file(path)
    second = append_key(path)

    keyring = Keyring.from_config(load_config({"APMT_MASTER_KEY_FILE": str(path)}))
    assert keyring.key_ids == [first, second]
    assert keyring.current == second


def test_derived_keys_differ_by_purpose_and_by_master_key():
    keyring = Keyring({"k1": os.urandom(32), "k2": os.urandom(32)})

    signing = keyring.derive("storefront-signing")
    assert len(signing) == 32
    assert signing != keyring.derive("warehouse-shoppers")
    assert signing != keyring.derive("storefront-signing", kid="k1")
    assert signing == keyring.derive("storefront-signing", kid="k2")
    with pytest.raises(SecretUnavailable, match="k9"):
        keyring.derive("x", kid="k9")
