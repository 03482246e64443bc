"""Storefront settings, the signing keys and the store's look."""

import base64

import pytest

from storefront_svc.config import load_storefront_config
from storefront_svc.look import DEFAULT_ACCENT, StoreLook, load_look
from storefront_svc.signing import Signer, root_signer
from tenancy import ConfigError, load_config


@pytest.fixture
def platform_config():
    return load_config(
        {
            "APMT_BASE_DOMAIN": "shops.example",
            "APMT_ADMIN_PORT": "8600",
            "APMT_PUBLIC_SCHEME": "https",
        }
    )


def test_defaults(platform_config):
    config = load_storefront_config(platform_config, {})
    assert (config.host, config.port, config.workers, config.threads) == (
        "127.0.0.1",
        8080,
        2,
        8,
    )
    assert config.rate_limit_storage == "memory://"
    assert config.max_body_bytes == 65536 and config.secret_key is None
    assert config.admin_url == "http://localhost:8600/"
    assert config.platform_url == "https://shops.example:8080/"
    assert config.secure_cookies and config.ga_measurement_id is None


def test_every_setting_is_read(platform_config):
    key = base64.b64encode(b"k" * 32).decode()
    config = load_storefront_config(
        platform_config,
        {
            "STOREFRONT_HOST": "127.0.0.2",
            "STOREFRONT_WORKERS": "4",
            "STOREFRONT_THREADS": "16",
            "STOREFRONT_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "STOREFRONT_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379",
            "STOREFRONT_FORM_RATE_LIMIT": "5/minute",
            "STOREFRONT_MAX_BODY_BYTES": "1000",
            "STOREFRONT_SECRET_KEY": key,
            "APMT_GA_MEASUREMENT_ID": "g-abc123",
            "ADMIN_PUBLIC_URL": "https://admin.shops.example",
            "STOREFRONT_CACHE_ENTRIES": "0",
            "STOREFRONT_STORE_CACHE_SECONDS": "0",
            "STOREFRONT_RESERVATION_MINUTES": "15",
            "STOREFRONT_VERSION_CHECK_SECONDS": "0.5",
        },
    )
    assert (config.host, config.workers, config.threads) == ("127.0.0.2", 4, 16)
    assert [str(n) for n in config.trusted_proxies] == ["10.0.0.0/8", "::1/128"]
    assert config.rate_limit_storage == "redis://127.0.0.1:6379"
    assert config.form_rate_limit == "5/minute" and config.max_body_bytes == 1000
    assert config.secret_key == b"k" * 32
    assert config.ga_measurement_id == "G-ABC123"
    assert config.admin_url == "https://admin.shops.example/"
    assert (config.cache_entries, config.store_cache_seconds) == (0, 0)
    assert config.reservation_minutes == 15
    assert config.version_check_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STOREFRONT_WORKERS", "many"),
        ("STOREFRONT_WORKERS", "0"),
        ("STOREFRONT_TRUSTED_PROXIES", "10.0.0.0/8, proxy"),
        ("STOREFRONT_FORM_RATE_LIMIT", "often"),
        ("STOREFRONT_SECRET_KEY", "c2hvcnQ="),
        ("APMT_GA_MEASUREMENT_ID", "UA-1-1"),
        ("STOREFRONT_VERSION_CHECK_SECONDS", "-1"),
    ],
)
def test_a_bad_setting_names_itself(platform_config, name, value):
    with pytest.raises(ConfigError, match=name):
        load_storefront_config(platform_config, {name: value})


def test_signatures_are_per_purpose_and_survive_rotation():
    old, new = Signer([b"o" * 32]), Signer([b"n" * 32, b"o" * 32])
    token = old.derive("cart").dumps([[1, 2]], "cart:1")

    assert new.derive("cart").loads(token, "cart:1") == [[1, 2]]
    assert new.derive("csrf").loads(token, "cart:1") is None
    assert new.derive("cart").loads(token, "cart:2") is None
    assert new.derive("cart").loads(token[:-2] + "xx", "cart:1") is None
    assert new.derive("cart").loads("garbage", "cart:1") is None
    assert Signer([b"x" * 32]).derive("cart").loads(token, "cart:1") is None


def test_the_root_key_comes_from_the_master_keys_unless_set(base_config, keyring):
    from storefront_svc.config import StorefrontConfig

    derived = root_signer(StorefrontConfig(base_config), keyring)
    assert derived.sign("m") == root_signer(
        StorefrontConfig(base_config), keyring
    ).sign("m")
    own = root_signer(StorefrontConfig(base_config, secret_key=b"s" * 32), keyring)
    assert own.sign("m") != derived.sign("m")


def test_the_text_on_the_accent_colour_stays_readable():
    assert StoreLook("a", accent="#ffee00").accent_text == "#000000"
    assert StoreLook("a", accent="#1f4e79").accent_text == "#ffffff"
    assert StoreLook("a").accent == DEFAULT_ACCENT


def test_malformed_look_settings_fall_back(tenant):
    from psycopg.types.json import Jsonb

    with tenant.transaction() as conn:
        for key, value in (
            ("display_name", "  "),
            ("accent_colour", "red"),
            ("privacy_policy", {"not": "text"}),
        ):
            conn.execute(
                "INSERT INTO store_settings VALUES (%s, %s)", (key, Jsonb(value))
            )
    look = load_look(tenant)
    assert look.name == tenant.store.display_name
    assert look.accent == DEFAULT_ACCENT and look.privacy_text is None


def test_the_policy_file_parses():
    from storefront_svc.policy import load_policy, parse_policy

    policy = load_policy()
    assert policy.title == "Privacy Policy" and policy.last_updated == "April 7, 2026"
    assert policy.sections[0].heading == "About APMTSales"
    with pytest.raises(ValueError, match="Last updated"):
        parse_policy("# Policy\n\nNo date here.")
