"""Settings of the AI description writers, read from the environment here only.

Every variable is ``APMT_AI_*`` and is listed in the README's configuration
table. Nothing is read at import time: call ``load_ai_settings()``, or build an
``AISettings`` directly (tests point every base URL at a stub server).
Platform-wide keys come from here; a store's own keys are sealed in the
registry (``commerce.descriptions.keys``).
"""

import os
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from tenancy import ConfigError

PROVIDERS = ("anthropic", "openai", "google")
DEFAULT_ORDER = PROVIDERS
DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-4-5",
    "openai": "gpt-4.1-mini",
    "google": "gemini-2.5-flash",
}
# Explicit, so that the SDKs' own environment variables (ANTHROPIC_BASE_URL,
# OPENAI_BASE_URL, ...) can never send a store's data somewhere else.
DEFAULT_BASE_URLS = {
    "anthropic": "https://api.anthropic.com",
    "openai": "https://api.openai.com/v1",
    "google": "https://generativelanguage.googleapis.com",
}
DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRY_CAP = 5.0
MAX_OUTPUT_TOKENS = 2000


@dataclass(frozen=True)
class ProviderSettings:
    name: str
    key: str | None = field(default=None, repr=False)
    model: str = ""
    base_url: str = ""


@dataclass(frozen=True)
class AISettings:
    providers: dict
    """Provider name to ProviderSettings, for all three providers."""

    order: tuple = DEFAULT_ORDER
    """Providers tried in this order; the offline writer always comes last."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds one provider call may take."""

    retry_cap: float = DEFAULT_RETRY_CAP
    """Longest Retry-After (seconds) honoured before moving to the next one."""

    max_output_tokens: int = MAX_OUTPUT_TOKENS

    def provider(self, name):
        return self.providers[name]

    def with_overrides(self, **changes):
        """A copy with some fields changed."""
        return replace(self, **changes)


def load_ai_settings(environ=None):
    """Build the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ

    raw = {
        "anthropic": (
            env.get("APMT_AI_ANTHROPIC_KEY"),
            env.get("APMT_AI_ANTHROPIC_MODEL"),
            env.get("APMT_AI_ANTHROPIC_BASE_URL"),
        ),
        "openai": (
            env.get("APMT_AI_OPENAI_KEY"),
            env.get("APMT_AI_OPENAI_MODEL"),
            env.get("APMT_AI_OPENAI_BASE_URL"),
        ),
        "google": (
            env.get("APMT_AI_GOOGLE_KEY"),
            env.get("APMT_AI_GOOGLE_MODEL"),
            env.get("APMT_AI_GOOGLE_BASE_URL"),
        ),
    }
    providers = {
        name: provider_settings(name, key, model, base_url)
        for name, (key, model, base_url) in raw.items()
    }

    return AISettings(
        providers=providers,
        order=parse_order(env.get("APMT_AI_ORDER")),
        timeout=_seconds(env, "APMT_AI_TIMEOUT", DEFAULT_TIMEOUT, zero_ok=False),
        retry_cap=_seconds(env, "APMT_AI_RETRY_CAP", DEFAULT_RETRY_CAP, zero_ok=True),
    )


def provider_settings(name, key=None, model=None, base_url=None):
    """One provider's settings, with defaults filled in and the URL checked."""
    upper = name.upper()
    url = (base_url or "").strip() or DEFAULT_BASE_URLS[name]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"APMT_AI_{upper}_BASE_URL", f"{url!r} is not an http(s) URL")

    return ProviderSettings(
        name=name,
        key=(key or "").strip() or None,
        model=(model or "").strip() or DEFAULT_MODELS[name],
        base_url=url.rstrip("/"),
    )


def parse_order(raw):
    """``anthropic,google`` to a tuple of provider names; unset gives all three."""
    if raw is None or not raw.strip():
        return DEFAULT_ORDER

    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown or len(set(names)) != len(names):
        raise ConfigError(
            "APMT_AI_ORDER",
            f"expected distinct names among {', '.join(PROVIDERS)}, got {raw!r}",
        )
    return tuple(names)


def _seconds(env, name, default, *, zero_ok):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number of seconds, got {raw!r}") from None

    if value > 600 or value < 0 or (value == 0 and not zero_ok):
        lowest = "0" if zero_ok else "more than 0"
        raise ConfigError(name, f"must be {lowest} and at most 600 seconds")
    return value
