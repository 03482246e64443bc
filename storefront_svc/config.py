"""Storefront settings, read from the environment in one place.

The platform's own settings (``tenancy.load_config``) say where the database
is and what the base domain and port are; the settings here are the
storefront's alone, mostly ``STOREFRONT_*``. Every variable read here is in the
README's configuration table. Nothing is read at import time.
"""

import base64
import ipaddress
import os
import re
from dataclasses import dataclass, field, replace

from limits import parse as parse_rate

from tenancy import Config, ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 8
DEFAULT_MAX_BODY_BYTES = 64 * 1024
DEFAULT_RATE_LIMIT_STORAGE = "memory://"
DEFAULT_FORM_RATE_LIMIT = "10/minute"
DEFAULT_CACHE_ENTRIES = 2048
DEFAULT_STORE_CACHE_SECONDS = 5
DEFAULT_VERSION_CHECK_SECONDS = 1.0
DEFAULT_RESERVATION_MINUTES = 30

_MEASUREMENT_ID = re.compile(r"G-[A-Z0-9]{4,20}")


@dataclass(frozen=True)
class StorefrontConfig:
    """What one storefront process runs with."""

    platform: Config
    host: str = DEFAULT_HOST
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    trusted_proxies: tuple = ()
    """Networks whose X-Forwarded-For is believed (ipaddress networks)."""
    rate_limit_storage: str = DEFAULT_RATE_LIMIT_STORAGE
    form_rate_limit: str = DEFAULT_FORM_RATE_LIMIT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    secret_key: bytes | None = field(default=None, repr=False)
    """Signing key; None derives one from the master keys."""
    ga_measurement_id: str | None = None
    admin_url: str = ""
    cache_entries: int = DEFAULT_CACHE_ENTRIES
    store_cache_seconds: float = DEFAULT_STORE_CACHE_SECONDS
    version_check_seconds: float = DEFAULT_VERSION_CHECK_SECONDS
    reservation_minutes: int = DEFAULT_RESERVATION_MINUTES

    @property
    def port(self):
        return self.platform.storefront_port

    @property
    def base_domain(self):
        return self.platform.base_domain

    @property
    def platform_url(self):
        """The address of the platform's own pages (the bare base domain)."""
        return self.platform.store_url("x").replace("://x.", "://", 1)

    @property
    def secure_cookies(self):
        return self.platform.public_scheme == "https"

    def with_overrides(self, **changes):
        """A copy with some fields changed; tests use it instead of the env."""
        return replace(self, **changes)


def load_storefront_config(platform_config, environ=None):
    """The storefront's settings on top of the platform's ``Config``."""
    env = os.environ if environ is None else environ

    return StorefrontConfig(
        platform=platform_config,
        host=(env.get("STOREFRONT_HOST") or DEFAULT_HOST).strip(),
        workers=_whole(
            "STOREFRONT_WORKERS", env.get("STOREFRONT_WORKERS"), DEFAULT_WORKERS
        ),
        threads=_whole(
            "STOREFRONT_THREADS", env.get("STOREFRONT_THREADS"), DEFAULT_THREADS
        ),
        trusted_proxies=_networks(env.get("STOREFRONT_TRUSTED_PROXIES") or ""),
        rate_limit_storage=(
            env.get("STOREFRONT_RATE_LIMIT_STORAGE") or DEFAULT_RATE_LIMIT_STORAGE
        ),
        form_rate_limit=_rate(env.get("STOREFRONT_FORM_RATE_LIMIT")),
        max_body_bytes=_whole(
            "STOREFRONT_MAX_BODY_BYTES",
            env.get("STOREFRONT_MAX_BODY_BYTES"),
            DEFAULT_MAX_BODY_BYTES,
        ),
        secret_key=_secret(env.get("STOREFRONT_SECRET_KEY")),
        ga_measurement_id=measurement_id(
            env.get("APMT_GA_MEASUREMENT_ID"), "APMT_GA_MEASUREMENT_ID"
        ),
        # The dashboard's own setting: one address, read by both apps.
        admin_url=_admin_url(env.get("ADMIN_PUBLIC_URL"), platform_config),
        cache_entries=_whole(
            "STOREFRONT_CACHE_ENTRIES",
            env.get("STOREFRONT_CACHE_ENTRIES"),
            DEFAULT_CACHE_ENTRIES,
            lowest=0,
        ),
        store_cache_seconds=_whole(
            "STOREFRONT_STORE_CACHE_SECONDS",
            env.get("STOREFRONT_STORE_CACHE_SECONDS"),
            DEFAULT_STORE_CACHE_SECONDS,
            lowest=0,
        ),
        version_check_seconds=_seconds(
            "STOREFRONT_VERSION_CHECK_SECONDS",
            env.get("STOREFRONT_VERSION_CHECK_SECONDS"),
            DEFAULT_VERSION_CHECK_SECONDS,
        ),
        reservation_minutes=_whole(
            "STOREFRONT_RESERVATION_MINUTES",
            env.get("STOREFRONT_RESERVATION_MINUTES"),
            DEFAULT_RESERVATION_MINUTES,
        ),
    )


def measurement_id(raw, name="measurement id"):
    """A Google Analytics 4 measurement id (``G-1A2B3C4``) or None."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    if not _MEASUREMENT_ID.fullmatch(text):
        raise ConfigError(name, f"{raw!r} is not a measurement id like G-ABC123")
    return text


def _whole(name, raw, default, *, lowest=1):
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if value < lowest:
        raise ConfigError(name, f"must be at least {lowest}")
    return value


def _seconds(name, raw, default):
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"expected a number of seconds, got {raw!r}") from None
    if not 0 <= value <= 3600:
        raise ConfigError(name, "must be from 0 to 3600 seconds")
    return value


def _networks(raw):
    networks = []
    for item in raw.split(","):
        if not item.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                "STOREFRONT_TRUSTED_PROXIES", f"{item.strip()!r} is not an address"
            ) from None
    return tuple(networks)


def _rate(raw):
    text = (raw or DEFAULT_FORM_RATE_LIMIT).strip()
    try:
        parse_rate(text)
    except ValueError:
        raise ConfigError(
            "STOREFRONT_FORM_RATE_LIMIT", f"{text!r} is not a rate like 10/minute"
        ) from None
    return text


def _secret(raw):
    if not raw:
        return None
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError(
            "STOREFRONT_SECRET_KEY", "must be at least 32 bytes, base64-encoded"
        )
    return key


def _admin_url(raw, platform):
    # The same default as the dashboard's own reading of ADMIN_PUBLIC_URL.
    url = (raw or "").strip() or f"http://localhost:{platform.admin_port}"
    return url.rstrip("/") + "/"
