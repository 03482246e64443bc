import pytest

from commerce.descriptions.settings import (
    DEFAULT_BASE_URLS,
    DEFAULT_MODELS,
    load_ai_settings,
)
from tenancy.errors import ConfigError


def test_defaults_without_any_variable():
    settings = load_ai_settings({})

    assert settings.order == ("anthropic", "openai", "google")
    assert settings.timeout == 30.0 and settings.retry_cap == 5.0
    for name in settings.order:
        provider = settings.provider(name)
        assert provider.key is None
        assert provider.model == DEFAULT_MODELS[name]
        assert provider.base_url == DEFAULT_BASE_URLS[name].rstrip("/")


def test_every_setting_is_read_from_its_variable():
    settings = load_ai_settings(
        {
            "APMT_AI_ANTHROPIC_KEY": "ak", "APMT_AI_ANTHROPIC_MODEL": "claude-x",
            "APMT_AI_ANTHROPIC_BASE_URL": "http://127.0.0.1:9/",
            "APMT_AI_OPENAI_KEY": "ok", "APMT_AI_OPENAI_MODEL": "gpt-x",
            "APMT_AI_OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
            "APMT_AI_GOOGLE_KEY": "gk", "APMT_AI_GOOGLE_MODEL": "gemini-x",
            "APMT_AI_GOOGLE_BASE_URL": "http://127.0.0.1:9",
            "APMT_AI_ORDER": "google, anthropic", "APMT_AI_TIMEOUT": "12.5",
            "APMT_AI_RETRY_CAP": "0",
        }
    )  # fmt: skip

    assert settings.order == ("google", "anthropic")
    assert settings.timeout == 12.5 and settings.retry_cap == 0
    assert settings.provider("anthropic").base_url == "http://127.0.0.1:9"
    assert settings.provider("openai").model == "gpt-x"
    assert settings.provider("google").key == "gk"


def test_keys_stay_out_of_reprs():
    settings = load_ai_settings({"APMT_AI_OPENAI_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(settings)


@pytest.mark.parametrize(
    "name, value",
    [
        ("APMT_AI_ORDER", "anthropic,cohere"),
        ("APMT_AI_ORDER", "openai,openai"),
        ("APMT_AI_TIMEOUT", "soon"),
        ("APMT_AI_TIMEOUT", "0"),
        ("APMT_AI_RETRY_CAP", "-1"),
        ("APMT_AI_GOOGLE_BASE_URL", "file:///etc/passwd"),
    ],
)
def test_bad_values_name_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_ai_settings({name: value})
