"""The dashboard's settings."""

import pytest

from admin_app.config import load_settings
from apmt.admin_wiring import streamlit_options
from tenancy import ConfigError, load_config

PLATFORM = load_config({"APMT_ADMIN_PORT": "8600"})


def test_defaults_serve_localhost_on_the_admin_port():
    settings = load_settings(PLATFORM, {})

    assert settings.public_url == "http://localhost:8600"
    assert settings.allowed_hosts == ("localhost", "127.0.0.1")
    assert settings.max_upload_mb == 50


def test_the_public_host_is_always_allowed():
    settings = load_settings(
        PLATFORM,
        {
            "ADMIN_PUBLIC_URL": "https://admin.apmtsales.com/",
            "ADMIN_ALLOWED_HOSTS": "admin.internal",
        },
    )

    assert settings.public_url == "https://admin.apmtsales.com"
    assert settings.allowed_hosts == ("admin.internal", "admin.apmtsales.com")


@pytest.mark.parametrize(
    "env",
    [
        {"ADMIN_PUBLIC_URL": "ftp://x"},
        {"ADMIN_MAX_UPLOAD_MB": "0"},
        {"ADMIN_MAX_UPLOAD_MB": "lots"},
    ],
)
def test_bad_values_name_the_variable(env):
    with pytest.raises(ConfigError, match=next(iter(env))):
        load_settings(PLATFORM, env)


def test_the_server_sends_no_usage_statistics_and_checks_hosts():
    options = streamlit_options(load_settings(PLATFORM, {}), "127.0.0.1", 8600)

    assert options["browser.gatherUsageStats"] is False
    assert options["server.allowedHosts"] == ["localhost", "127.0.0.1"]
    assert options["server.enableAgentApi"] is False
    assert options["client.showErrorDetails"] == "none"


def test_the_repository_config_agrees(tmp_path):
    import tomllib
    from pathlib import Path

    config = tomllib.loads(
        (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    )

    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["allowedHosts"]
