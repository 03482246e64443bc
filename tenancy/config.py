"""Platform settings, read from the environment in one place.

Every variable read here is documented in the README's configuration table; a test
checks that the two agree. Nothing is read at import time: call ``load_config()``.
"""

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from tenancy.errors import ConfigError
from tenancy.slugs import validate_prefix

DEFAULT_BASE_DOMAIN = "localhost"
DEFAULT_DATA_DIR = ".apmt"
DEFAULT_DB_PREFIX = "apmt"
DEFAULT_POOL_PER_STORE = 4
DEFAULT_POOL_STORES = 64
DEFAULT_POOL_GLOBAL_CAP = 96
DEFAULT_MIGRATE_JOBS = 4
DEFAULT_CURRENCY = "USD"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_STOREFRONT_PORT = 8080
DEFAULT_ADMIN_PORT = 8501
DEFAULT_PUBLIC_SCHEME = "http"


@dataclass(frozen=True)
class Config:
    """Settings of one running platform process."""

    database_url: str | None
    """Superuser DSN of the main PostgreSQL server; None starts the embedded one."""

    base_domain: str = DEFAULT_BASE_DOMAIN
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    db_prefix: str = DEFAULT_DB_PREFIX
    master_keys: str | None = field(default=None, repr=False)
    master_key_file: Path | None = None
    pool_per_store: int = DEFAULT_POOL_PER_STORE
    pool_stores: int = DEFAULT_POOL_STORES
    pool_global_cap: int = DEFAULT_POOL_GLOBAL_CAP
    migrate_jobs: int = DEFAULT_MIGRATE_JOBS
    store_migration_paths: tuple[Path, ...] = ()
    default_currency: str = DEFAULT_CURRENCY
    default_timezone: str = DEFAULT_TIMEZONE
    log_level: str = DEFAULT_LOG_LEVEL
    storefront_port: int = DEFAULT_STOREFRONT_PORT
    admin_port: int = DEFAULT_ADMIN_PORT
    public_scheme: str = DEFAULT_PUBLIC_SCHEME
    public_port: int | None = DEFAULT_STOREFRONT_PORT
    access_log_ip_days: int = 7

    def store_url(self, slug):
        """The address shoppers use for a store."""
        default = {"http": 80, "https": 443}[self.public_scheme]
        port = f":{self.public_port}" if self.public_port not in (None, default) else ""
        return f"{self.public_scheme}://{slug}.{self.base_domain}{port}/"

    @property
    def key_file(self):
        """Where the master key file lives when keys don't come from the env."""
        return self.master_key_file or self.data_dir / "master.keys"

    @property
    def registry_db(self):
        return f"{self.db_prefix}_registry"

    @property
    def template_db(self):
        return f"{self.db_prefix}_template"

    @property
    def template_role(self):
        return f"{self.db_prefix}_template_owner"

    def with_overrides(self, **changes):
        """A copy with some fields changed; tests use it instead of the env."""
        return replace(self, **changes)


def load_config(environ=None):
    """Build the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ

    data_dir = Path(env.get("APMT_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
    key_file = env.get("APMT_MASTER_KEY_FILE")
    extra = env.get("APMT_STORE_MIGRATION_PATHS", "")
    storefront_port = _positive_int(
        env, "APMT_STOREFRONT_PORT", DEFAULT_STOREFRONT_PORT
    )
    scheme = (env.get("APMT_PUBLIC_SCHEME") or DEFAULT_PUBLIC_SCHEME).lower()
    if scheme not in ("http", "https"):
        raise ConfigError("APMT_PUBLIC_SCHEME", "must be http or https")

    return Config(
        database_url=env.get("DATABASE_URL") or None,
        base_domain=_base_domain(env.get("APMT_BASE_DOMAIN") or DEFAULT_BASE_DOMAIN),
        data_dir=data_dir,
        db_prefix=validate_prefix(env.get("APMT_DB_PREFIX") or DEFAULT_DB_PREFIX),
        master_keys=env.get("APMT_MASTER_KEYS") or None,
        master_key_file=Path(key_file).expanduser() if key_file else None,
        pool_per_store=_positive_int(
            env, "APMT_POOL_PER_STORE", DEFAULT_POOL_PER_STORE
        ),
        pool_stores=_positive_int(env, "APMT_POOL_STORES", DEFAULT_POOL_STORES),
        pool_global_cap=_positive_int(
            env, "APMT_POOL_GLOBAL_CAP", DEFAULT_POOL_GLOBAL_CAP
        ),
        migrate_jobs=_positive_int(env, "APMT_MIGRATE_JOBS", DEFAULT_MIGRATE_JOBS),
        store_migration_paths=tuple(
            Path(p) for p in extra.split(os.pathsep) if p.strip()
        ),
        default_currency=_currency(env.get("APMT_DEFAULT_CURRENCY") or "USD"),
        default_timezone=env.get("APMT_DEFAULT_TIMEZONE") or DEFAULT_TIMEZONE,
        log_level=(env.get("APMT_LOG_LEVEL") or DEFAULT_LOG_LEVEL).upper(),
        storefront_port=storefront_port,
        admin_port=_positive_int(env, "APMT_ADMIN_PORT", DEFAULT_ADMIN_PORT),
        public_scheme=scheme,
        public_port=_public_port(env.get("APMT_PUBLIC_PORT"), storefront_port),
        access_log_ip_days=_positive_int(env, "APMT_ACCESS_LOG_IP_DAYS", 7),
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


def _base_domain(raw):
    domain = raw.strip().lower().rstrip(".")
    labels = domain.split(".")
    if not domain or any(not label or len(label) > 63 for label in labels):
        raise ConfigError("APMT_BASE_DOMAIN", f"{raw!r} is not a host name")
    return domain


def _currency(raw):
    code = raw.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ConfigError("APMT_DEFAULT_CURRENCY", "expected an ISO 4217 code")
    return code


def _public_port(raw, storefront_port):
    if raw is None:
        return storefront_port
    if raw.strip() == "":
        return None
    return _positive_int({"APMT_PUBLIC_PORT": raw}, "APMT_PUBLIC_PORT", None)
