"""Errors raised by checkout payments and their webhooks.

They sit under the domain's ``CommerceError`` and name the provider involved,
never a secret or a payload::

    PaymentError
    ├── UnknownProvider        no such provider name
    ├── ProviderNotConfigured  the store has not enabled this provider
    ├── SettingsInvalid        a provider setting is missing or refused
    ├── WebhookRejected        a delivery failed verification (answer 400)
    ├── ProviderUnavailable    the provider's API failed or could not be reached
    └── InboxUnavailable       the store's database failed while recording
"""

from commerce.errors import CommerceError


class PaymentError(CommerceError):
    """Base class of the payment errors."""

    def __init__(self, provider, message):
        self.provider = provider
        super().__init__(f"{provider}: {message}")


class UnknownProvider(PaymentError):
    def __init__(self, provider):
        super().__init__(str(provider)[:32], "is not a payment provider")


class ProviderNotConfigured(PaymentError):
    def __init__(self, provider):
        super().__init__(provider, "is not enabled for this store")


class SettingsInvalid(PaymentError):
    def __init__(self, provider, field, problem):
        self.field = field
        self.problem = problem
        super().__init__(provider, f"{field} {problem}")


class WebhookRejected(PaymentError):
    """The delivery is not from the provider, or not as it was signed."""

    def __init__(self, provider, reason):
        self.reason = reason
        super().__init__(provider, f"webhook refused: {reason}")


class ProviderUnavailable(PaymentError):
    def __init__(self, provider, action, detail=""):
        self.action = action
        text = f"{action} failed" + (f": {detail}" if detail else "")
        super().__init__(provider, text)


class InboxUnavailable(PaymentError):
    """The event could not be recorded; the provider should deliver it again."""

    def __init__(self, provider, detail=""):
        super().__init__(provider, f"the webhook inbox is unavailable {detail}".strip())
