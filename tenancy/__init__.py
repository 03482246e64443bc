"""The platform layer: stores, their databases, secrets, accounts and sessions.

The apps and ``commerce`` use the names exported here; the modules behind them
are internal and may change.
"""

from tenancy.config import Config, load_config
from tenancy.errors import (
    AuthenticationFailed,
    ConfigError,
    DatabaseUnavailable,
    InvalidSlug,
    MigrationFailed,
    ProvisioningFailed,
    RateLimited,
    SecretUnavailable,
    SessionInvalid,
    StoreExists,
    StoreNotActive,
    StoreNotFound,
    TenancyError,
)
from tenancy.lifecycle import cancel_store, delete_store, resume_store, suspend_store
from tenancy.platform import Platform, Tenant
from tenancy.provisioning import StoreRequest, provision_store
from tenancy.registry import (
    Account,
    Store,
    count_daily,
    record_audit,
    record_usage,
)
from tenancy.slugs import normalise_slug

__all__ = [
    "Account",
    "AuthenticationFailed",
    "Config",
    "ConfigError",
    "DatabaseUnavailable",
    "InvalidSlug",
    "MigrationFailed",
    "Platform",
    "ProvisioningFailed",
    "RateLimited",
    "SecretUnavailable",
    "SessionInvalid",
    "Store",
    "StoreExists",
    "StoreNotActive",
    "StoreNotFound",
    "StoreRequest",
    "TenancyError",
    "Tenant",
    "cancel_store",
    "count_daily",
    "delete_store",
    "load_config",
    "normalise_slug",
    "provision_store",
    "record_audit",
    "record_usage",
    "resume_store",
    "suspend_store",
]
