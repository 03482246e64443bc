import pytest

from tenancy import ConfigError, load_config


def test_defaults():
    config = load_config({})
    assert config.database_url is None
    assert config.base_domain == "localhost"
    assert str(config.data_dir) == ".apmt"
    assert config.registry_db == "apmt_registry"


def test_base_domain_is_normalised():
    assert load_config({"APMT_BASE_DOMAIN": "Shop.Example.COM."}).base_domain == (
        "shop.example.com"
    )


@pytest.mark.parametrize(
    "env, name",
    [
        ({"APMT_DB_PREFIX": "Bad-Prefix"}, "APMT_DB_PREFIX"),
        ({"APMT_POOL_GLOBAL_CAP": "0"}, "APMT_POOL_GLOBAL_CAP"),
        ({"APMT_BASE_DOMAIN": "a..b"}, "APMT_BASE_DOMAIN"),
        ({"APMT_DEFAULT_CURRENCY": "dollars"}, "APMT_DEFAULT_CURRENCY"),
        ({"APMT_PUBLIC_SCHEME": "ftp"}, "APMT_PUBLIC_SCHEME"),
    ],
)
def test_bad_settings_name_the_variable(env, name):
    with pytest.raises(ConfigError, match=name):
        load_config(env)
