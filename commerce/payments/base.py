"""The one small interface every payment provider implements, and its values.

A provider module turns one provider's API and webhooks into these values:

- ``create_checkout(request, idempotency_key)``: a hosted payment page for an
  order, as a ``Checkout`` (where to send the shopper);
- ``verify(body, headers)``: raise ``WebhookRejected`` unless the raw bytes are
  signed as the provider documents; nothing is parsed before this passes;
- ``events(body)``: the verified body as normalised ``Event`` values;
- ``enrich(event)``: fetch what a body only names by id (Clover app
  notifications, PayPal approvals that still need a capture);
- ``fetch_checkout`` / ``fetch_payment`` / ``recent_payments``: the current
  state from the provider's API, for the return page and reconciliation;
- ``refund(payment_ref, amount, currency, idempotency_key)``: full or partial.

Amounts are integers of the currency's minor units (``commerce.money``).
Every event carries a snapshot of the provider's object rather than a verb,
so that applying snapshots in any order ends in the same state.
"""

import abc
from dataclasses import dataclass, field
from datetime import datetime

# Normalised payment and refund statuses, from least to most settled.
PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
STATUSES = (PENDING, SUCCEEDED, FAILED, CANCELLED)


@dataclass(frozen=True)
class CheckoutLine:
    title: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True)
class CheckoutRequest:
    """What a provider needs to build its payment page for one order."""

    order_id: int
    number: str
    store_ref: str
    currency: str
    amount: int
    lines: tuple[CheckoutLine, ...]
    email: str | None
    success_url: str
    cancel_url: str
    expires_at: datetime | None = None

    @property
    def order_ref(self):
        """Our reference as providers echo it back (``order_<number>``)."""
        return f"order_{self.number}"


@dataclass(frozen=True)
class Checkout:
    checkout_ref: str
    url: str
    provider_order_ref: str | None = None


@dataclass(frozen=True)
class PaymentState:
    """A provider's payment as it stands; amounts in minor units, None if unsaid."""

    payment_ref: str
    status: str
    amount: int | None = None
    currency: str | None = None
    order_ref: str | None = None
    """Our order number when the provider echoes it back."""
    checkout_ref: str | None = None
    provider_order_ref: str | None = None
    refunded: int | None = None
    """Total refunded so far, when the object says so."""
    aliases: tuple[str, ...] = ()
    """Other ids of the same payment (a Stripe charge of a payment intent)."""
    store_ref: str | None = None


@dataclass(frozen=True)
class RefundState:
    refund_ref: str
    payment_ref: str | None
    amount: int
    currency: str | None
    status: str


@dataclass(frozen=True)
class DisputeState:
    dispute_ref: str
    payment_ref: str | None
    amount: int | None
    currency: str | None
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class Event:
    """One verified notification, normalised; ``event_id`` is the inbox key."""

    event_id: str
    type: str
    payment: PaymentState | None = None
    refund: RefundState | None = None
    dispute: DisputeState | None = None
    fetch: str | None = None
    """An object id the body only names; ``enrich`` replaces it with state."""
    note: str | None = None
    """Why an event needs nothing done (it is kept as 'ignored')."""
    extra: dict = field(default_factory=dict, compare=False)


def order_number(reference):
    """Our order number from ``order_1001`` or ``tenant_7:order_1001``."""
    if not reference:
        return None
    tail = str(reference).rsplit(":", 1)[-1]
    if tail.startswith("order_") and tail[6:].isdigit():
        return tail[6:]
    return None


class Provider(abc.ABC):
    """One payment provider, configured for one store."""

    name: str = ""
    signature_headers: tuple[str, ...] = ()
    """Lower-case header names kept with a recorded event, to re-check it later."""

    @abc.abstractmethod
    def create_checkout(self, request, idempotency_key):
        """A hosted payment page for ``request``, as a ``Checkout``."""

    @abc.abstractmethod
    def verify(self, body, headers):
        """Raise ``WebhookRejected`` unless ``body`` (bytes) is signed as documented.

        ``headers`` maps lower-case names to values.
        """

    @abc.abstractmethod
    def events(self, body):
        """The verified body as a list of ``Event``."""

    def enrich(self, event):
        """``event`` with the state of anything it only names by id."""
        return event

    @abc.abstractmethod
    def fetch_checkout(self, checkout_ref):
        """The ``PaymentState`` behind a checkout we created, or None if unpaid."""

    @abc.abstractmethod
    def fetch_payment(self, payment_ref):
        """The ``PaymentState`` of one payment."""

    @abc.abstractmethod
    def recent_payments(self, since):
        """``PaymentState`` of the payments made since ``since`` (a datetime)."""

    @abc.abstractmethod
    def refund(self, payment_ref, amount, currency, idempotency_key):
        """Refund ``amount`` minor units (the rest when None); a ``RefundState``."""


def active_secrets(settings, name, now):
    """The current value of a signing secret, then the replaced one while it lasts.

    ``configure_provider`` keeps a replaced secret for a grace period so that
    deliveries signed just before a rotation still pass (Square documents no
    overlap of its own).
    """
    found = [settings[name]] if settings.get(name) else []
    previous = settings.get("previous") or {}
    if previous.get(name) and now < previous.get("until", 0):
        found.append(previous[name])
    return found
