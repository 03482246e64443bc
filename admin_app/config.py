"""The dashboard's own settings, read from ``ADMIN_*`` variables in one place.

Platform settings (database, base domain, the admin port) come from
``tenancy.load_config``; this adds what only the dashboard needs. Nothing is
read at import time: call ``load_settings()``.
"""

import os
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from tenancy import ConfigError

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1")
DEFAULT_MAX_UPLOAD_MB = 50


@dataclass(frozen=True)
class AdminSettings:
    """Settings of one dashboard process."""

    public_url: str
    """Where owners reach the dashboard; password-reset links point here."""

    allowed_hosts: tuple[str, ...] = DEFAULT_ALLOWED_HOSTS
    """Host names the dashboard answers to (Streamlit's ``server.allowedHosts``)."""

    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB

    def with_overrides(self, **changes):
        return replace(self, **changes)


def load_settings(platform_config, environ=None):
    """Build the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ

    public_url = (
        env.get("ADMIN_PUBLIC_URL") or f"http://localhost:{platform_config.admin_port}"
    ).rstrip("/")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("ADMIN_PUBLIC_URL", f"{public_url!r} is not an http(s) URL")

    raw_hosts = env.get("ADMIN_ALLOWED_HOSTS")
    hosts = (
        tuple(h.strip().lower() for h in raw_hosts.split(",") if h.strip())
        if raw_hosts
        else DEFAULT_ALLOWED_HOSTS
    )
    if parts.hostname not in hosts and "*" not in hosts:
        hosts += (parts.hostname,)

    return AdminSettings(
        public_url=public_url,
        allowed_hosts=hosts,
        max_upload_mb=_positive_int(env, "ADMIN_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
    )


def _positive_int(env, name, default):
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(name, "must be at least 1")
    return value
