"""Checkout payments: providers behind one interface, webhooks applied once.

The storefront and the command line use the names exported here::

    providers = Providers(platform)          # per-store provider instances
    inbox = Inbox(providers)                 # POST /webhooks/<provider>
    url = start_checkout(tenant, token, "stripe", providers)

The provider modules (``stripe_provider``, ``square_provider``,
``paypal_provider``, ``clover_provider``, ``manual``) implement
``base.Provider``; ``settlement`` applies what they report to orders.
"""

from commerce.payments.checkouts import confirm_return, start_checkout
from commerce.payments.errors import (
    InboxUnavailable,
    PaymentError,
    ProviderNotConfigured,
    ProviderUnavailable,
    SettingsInvalid,
    UnknownProvider,
    WebhookRejected,
)
from commerce.payments.inbox import Inbox, Receipt
from commerce.payments.providers import Providers
from commerce.payments.reconcile import reconcile_store
from commerce.payments.refunds import refund_order
from commerce.payments.settings import (
    PROVIDERS,
    configure_provider,
    disable_provider,
    provider_summary,
    restock_on_refund,
    set_restock_on_refund,
)
from commerce.payments.settlement import complete_payment

__all__ = [
    "PROVIDERS",
    "Inbox",
    "InboxUnavailable",
    "PaymentError",
    "ProviderNotConfigured",
    "ProviderUnavailable",
    "Providers",
    "Receipt",
    "SettingsInvalid",
    "UnknownProvider",
    "WebhookRejected",
    "complete_payment",
    "configure_provider",
    "confirm_return",
    "disable_provider",
    "provider_summary",
    "reconcile_store",
    "refund_order",
    "restock_on_refund",
    "set_restock_on_refund",
    "start_checkout",
]
