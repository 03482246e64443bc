"""The manual method: the owner takes payment offline, or the demo pays at once.

It has no API and sends no webhooks; the shopper's payment step stays the
storefront's own form (``commerce.checkout.pay_manually``). A refund is only
recorded: the owner gives the money back themselves.
"""

import secrets

from commerce.payments.base import SUCCEEDED, Checkout, Provider, RefundState
from commerce.payments.errors import WebhookRejected


class ManualProvider(Provider):
    name = "manual"

    def __init__(self, settings=None, **_):
        self._settings = settings or {}

    def create_checkout(self, request, idempotency_key):
        # The order's own page holds the manual payment form.
        return Checkout(f"manual-{request.number}", request.cancel_url)

    def verify(self, body, headers):
        raise WebhookRejected(self.name, "the manual method takes no webhooks")

    def events(self, body):
        return []

    def fetch_checkout(self, checkout_ref):
        return None

    def fetch_payment(self, payment_ref):
        return None

    def recent_payments(self, since):
        return []

    def refund(self, payment_ref, amount, currency, idempotency_key):
        return RefundState(
            refund_ref=f"manual-refund-{secrets.token_hex(6)}",
            payment_ref=payment_ref,
            amount=amount or 0,
            currency=currency,
            status=SUCCEEDED,
        )
