"""The platform's own Clover account: plans, cards on file, subscriptions, charges.

The platform bills its store owners as one Clover merchant. Two Clover APIs
are used, over plain HTTP since Clover publishes no Python SDK:

- the Recurring Payments API on the platform host (``/recurring/v1/...``),
  with ``Authorization: Bearer <token>`` and ``X-Clover-Merchant-Id``: plans,
  subscriptions and the invoices a subscription generates;
- the Ecommerce API (``/v1/customers``, ``/v1/charges``) with the private
  Ecommerce key: a customer made from the card token of Clover's hosted card
  form, and one-off charges of that card on file.

Amounts on the wire are whole cents. Clover sends no webhook for recurring
charges, so callers poll ``get_subscription`` and ``list_invoices``.

Errors: ``BillingUnavailable`` when Clover cannot be reached or answers 5xx
(try again later); ``BillingRefused`` when Clover says no (a declined card, a
bad token); its message is Clover's own, which never holds card data.
"""

import logging
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import httpx

from tenancy.errors import TenancyError

log = logging.getLogger(__name__)

API = "https://api.clover.com"
ECOMMERCE = "https://scl.clover.com"
TIMEOUT_SECONDS = 15
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BillingError(TenancyError):
    """Something about billing went wrong; the message says what."""


class BillingUnavailable(BillingError):
    """Clover could not be reached or failed; nothing was decided."""


class BillingRefused(BillingError):
    """Clover refused the request (a declined card, an unknown token)."""

    def __init__(self, message, code=""):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Charge:
    id: str
    paid: bool
    amount: Decimal
    currency: str
    failure: str = ""


@dataclass(frozen=True)
class Invoice:
    id: str
    paid: bool
    amount: Decimal
    currency: str
    failed_attempts: int
    at: str


@dataclass(frozen=True)
class Subscription:
    id: str
    active: bool


def cents(amount):
    """Whole cents of a Decimal amount (half up, as card schemes round)."""
    return int((Decimal(amount) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def from_cents(value):
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


class CloverBilling:
    """A client for one Clover merchant account (the platform's)."""

    def __init__(self, settings, *, http=None):
        self.merchant_id = settings["merchant_id"]
        # NOTE: Clover's plans and charges carry no currency of their own; the
        # merchant account's is the one every amount is charged in.
        self.currency = (settings.get("currency") or "USD").upper()
        self._token = settings["private_token"]
        self._api = (settings.get("api_base") or API).rstrip("/")
        self._ecommerce = (settings.get("ecommerce_base") or ECOMMERCE).rstrip("/")
        self._http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    def close(self):
        self._http.close()

    # -- plans and subscriptions (Recurring Payments API) ------------------------

    def create_plan(self, name, amount, *, interval="MONTH", interval_count=1):
        """Create a Clover plan; return its id."""
        found = self._call("POST", self._api, "/recurring/v1/plans", json={
            "name": name[:127],
            "amount": cents(amount),
            "interval": interval,
            "intervalCount": interval_count,
        })  # fmt: skip
        return _clover_id(found, "plan")

    def create_subscription(self, plan_id, customer_id, *, start_date=None,
                            idempotency_key=None):  # fmt: skip
        """Tie the customer's card on file to a plan; Clover charges each period.

        Without ``start_date`` Clover starts the next day, its default.
        """
        body = {"customerId": customer_id, "collectionMethod": "CHARGE_AUTOMATICALLY"}
        if start_date is not None:
            body["startDate"] = start_date.isoformat()
        headers = {"idempotency-key": idempotency_key} if idempotency_key else None
        found = self._call(
            "POST", self._api, f"/recurring/v1/plans/{_safe(plan_id)}/subscriptions",
            json=body, headers=headers,
        )  # fmt: skip
        return Subscription(_clover_id(found, "subscription"), _active(found))

    def get_subscription(self, subscription_id):
        found = self._call(
            "GET", self._api, f"/recurring/v1/subscriptions/{_safe(subscription_id)}"
        )
        return Subscription(_clover_id(found, "subscription"), _active(found))

    def cancel_subscription(self, subscription_id):
        """Stop future charges; an already cancelled one is not an error."""
        try:
            self._call(
                "DELETE",
                self._api,
                f"/recurring/v1/subscriptions/{_safe(subscription_id)}",
            )
        except BillingRefused as exc:
            if exc.code != "not_found":
                raise

    def list_invoices(self, subscription_id):
        """The invoices the subscription generated, oldest first."""
        # TODO(#10): the path and field names follow Clover's description of
        # subscription invoices; confirm them on a sandbox account.
        found = self._call(
            "GET",
            self._api,
            f"/recurring/v1/subscriptions/{_safe(subscription_id)}/invoices",
        )
        elements = found.get("elements", [])
        if not isinstance(elements, list):
            raise BillingUnavailable("Clover's invoice list was not understood")
        invoices = [_invoice(e) for e in elements]
        return sorted(invoices, key=lambda invoice: invoice.at)

    # -- cards and one-off charges (Ecommerce API) --------------------------------

    def create_customer(self, card_token, *, email, name=""):
        """Save the hosted form's card as a card on file; return (id, card hint)."""
        first, _, last = name.partition(" ")
        found = self._call("POST", self._ecommerce, "/v1/customers", json={
            "ecomind": "ecom",
            "email": email,
            "firstName": first,
            "lastName": last,
            "source": card_token,
        })  # fmt: skip
        return _clover_id(found, "customer"), _card_hint(found)

    def replace_card(self, customer_id, card_token):
        """Make a new hosted-form card the customer's card on file; its hint."""
        found = self._call(
            "POST", self._ecommerce, f"/v1/customers/{_safe(customer_id)}",
            json={"ecomind": "ecom", "source": card_token},
        )  # fmt: skip
        return _card_hint(found)

    def charge(self, amount, currency, customer_id, *, description, idempotency_key):
        """Charge the card on file once per ``idempotency_key``."""
        try:
            found = self._call(
                "POST",
                self._ecommerce,
                "/v1/charges",
                json={
                    "amount": cents(amount),
                    "currency": currency.lower(),
                    "source": customer_id,
                    "ecomind": "ecom",
                    "description": description[:127],
                },
                headers={"idempotency-key": idempotency_key},
            )
        except BillingRefused as exc:
            # NOTE: a refusal is an answer: nothing was charged, whatever the
            # code, so the payment is closed rather than retried later.
            return Charge("", False, Decimal(amount), currency, str(exc))
        paid = found.get("paid") is True and found.get("status") == "succeeded"
        return Charge(
            _clover_id(found, "charge"),
            paid,
            _amount(found.get("amount"), "charge"),
            str(found.get("currency") or currency).upper()[:3],
            "" if paid else str(found.get("failure_message") or "declined")[:200],
        )

    # -- the wire ----------------------------------------------------------------

    def _call(self, method, base, path, *, json=None, headers=None):
        sent = {
            "Authorization": f"Bearer {self._token}",
            "X-Clover-Merchant-Id": self.merchant_id,
            "Accept": "application/json",
            **(headers or {}),
        }
        try:
            response = self._http.request(method, base + path, json=json, headers=sent)
        except httpx.HTTPError as exc:
            raise BillingUnavailable(
                f"Clover could not be reached ({type(exc).__name__})"
            ) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise BillingUnavailable(
                f"Clover answered {response.status_code}; try again later"
            )
        if response.status_code >= 400:
            raise _refusal(response)
        if not 200 <= response.status_code < 300:
            # NOTE: a redirect is not a success; nothing is known to be done.
            raise BillingUnavailable(f"Clover answered {response.status_code}")
        if not response.content:
            return {}
        try:
            found = response.json()
        except ValueError:
            raise BillingUnavailable(
                "Clover answered with something not JSON"
            ) from None
        if not isinstance(found, dict):
            raise BillingUnavailable("Clover's answer was not an object")
        return found


def _refusal(response):
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {"message": str(error)}
    code = str(
        error.get("code") or ("not_found" if response.status_code == 404 else "")
    )
    message = str(error.get("message") or f"Clover refused ({response.status_code})")
    log.info("clover refused status=%s code=%s", response.status_code, code)
    return BillingRefused(message[:200], code)


def _clover_id(found, what):
    value = found.get("id") if isinstance(found, dict) else None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise BillingUnavailable(f"Clover's answer named no {what} id")
    return value


def _safe(value):
    if not _ID.fullmatch(value or ""):
        raise BillingError(f"{value!r} is not a Clover id")
    return value


def _active(found):
    if "active" in found:
        return bool(found["active"])
    return str(found.get("status", "")).upper() == "ACTIVE"


def _invoice(element):
    if not isinstance(element, dict):
        raise BillingUnavailable("Clover's invoice list was not understood")
    status = str(element.get("status", "")).upper()
    attempts = element.get("failedAttempts") or 0
    if type(attempts) is not int or attempts < 0:
        raise BillingUnavailable("Clover's invoice list was not understood")
    return Invoice(
        id=_clover_id(element, "invoice"),
        paid=status == "PAID",
        amount=_amount(element.get("amount"), "invoice"),
        currency=str(element.get("currency") or "USD").upper()[:3],
        failed_attempts=attempts,
        at=str(element.get("createdTime") or ""),
    )


def _amount(cents_value, what):
    """Whole cents from Clover as a Decimal, or BillingUnavailable."""
    if type(cents_value) is not int or not 0 <= cents_value < 10**12:
        raise BillingUnavailable(f"Clover's {what} amount was not understood")
    return from_cents(cents_value)


def _card_hint(found):
    sources = found.get("sources")
    cards = sources.get("elements") if isinstance(sources, dict) else None
    if not isinstance(cards, list) or not cards or not isinstance(cards[0], dict):
        return ""
    card = cards[0]
    brand = str(card.get("brand") or "card")[:20]
    return f"{brand} ending {str(card.get('last4') or '????')[-4:]}"
