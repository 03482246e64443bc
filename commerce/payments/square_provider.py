"""Square: payment links through the official ``squareup`` SDK, signed webhooks.

Deliveries carry ``x-square-hmacsha256-signature``: the base64 HMAC-SHA256 of
the notification URL *as registered with Square* followed by the raw body.
That URL is a stored setting of the store, never rebuilt from the request:
behind a proxy the request's own URL differs by scheme or port. The legacy
SHA-1 header is ignored. Payments link back to our order through the Square
order the payment link created, and through the payment note we set.
"""

import json
import threading
import time
from datetime import UTC

import httpx
from square import Square
from square.core.api_error import ApiError

from commerce.payments.base import (
    CANCELLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    Checkout,
    DisputeState,
    Event,
    PaymentState,
    Provider,
    RefundState,
    active_secrets,
)
from commerce.payments.errors import ProviderUnavailable, WebhookRejected
from commerce.payments.signing import hmac_base64, same

PRODUCTION = "https://connect.squareup.com"
TIMEOUT_SECONDS = 10
SIGNATURE = "x-square-hmacsha256-signature"

_PAYMENT_STATUS = {"COMPLETED": SUCCEEDED, "FAILED": FAILED, "CANCELED": CANCELLED}
_REFUND_STATUS = {
    "COMPLETED": SUCCEEDED,
    "FAILED": FAILED,
    "REJECTED": FAILED,
    "CANCELED": CANCELLED,
}


class SquareProvider(Provider):
    name = "square"
    signature_headers = (
        SIGNATURE,
        "square-initial-delivery-timestamp",
        "square-retry-number",
        "square-environment",
    )

    def __init__(self, settings, *, clock=time.time, http=None):
        self._settings = settings
        self._clock = clock
        self._client = Square(
            token=settings["access_token"],
            base_url=settings.get("api_base") or PRODUCTION,
            timeout=TIMEOUT_SECONDS,
            httpx_client=http,
        )
        self._location = settings.get("location_id")
        self._lock = threading.Lock()

    # -- checkout ----------------------------------------------------------------

    def create_checkout(self, request, idempotency_key):
        order = {
            "location_id": self._location_id(),
            "reference_id": request.order_ref,
            "line_items": [
                {
                    "name": line.title[:500] or "Item",
                    "quantity": str(line.quantity),
                    "base_price_money": {
                        "amount": line.unit_amount,
                        "currency": request.currency,
                    },
                }
                for line in request.lines
            ],
        }
        extra = {"pre_populated_data": {"buyer_email": request.email}}
        response = self._call(
            "create checkout",
            self._client.checkout.payment_links.create,
            idempotency_key=idempotency_key,
            order=order,
            checkout_options={"redirect_url": request.success_url},
            payment_note=f"{request.store_ref}:{request.order_ref}",
            **(extra if request.email else {}),
        )
        link = response.payment_link
        return Checkout(link.id, link.url, provider_order_ref=link.order_id)

    def _location_id(self):
        with self._lock:
            if self._location is None:
                found = self._call("read location", self._client.locations.get, "main")
                self._location = found.location.id
            return self._location

    # -- webhooks ----------------------------------------------------------------

    def verify(self, body, headers):
        given = headers.get(SIGNATURE)
        if not given:
            raise WebhookRejected(self.name, "no signature header")

        # NOTE: the stored URL's bytes, then the body's: nothing is decoded or
        # re-encoded, so an escape or a non-ASCII character stays as signed.
        signed = self._settings["notification_url"].encode() + body
        keys = active_secrets(self._settings, "signature_key", self._clock())
        if not any(same(hmac_base64(key, signed), given) for key in keys):
            raise WebhookRejected(self.name, "no signature matches")

    def events(self, body):
        event = json.loads(body)
        kind = event.get("type") or ""
        obj = (event.get("data") or {}).get("object") or {}
        found = {"event_id": event["event_id"], "type": kind}

        if kind.startswith("payment.") and "payment" in obj:
            return [Event(**found, payment=_from_payment(obj["payment"]))]
        if kind.startswith("refund.") and "refund" in obj:
            return [Event(**found, refund=_from_refund(obj["refund"]))]
        if kind.startswith("dispute.") and "object" in obj:
            return [Event(**found, dispute=_from_dispute(obj["object"]))]
        return [Event(**found, note=f"{kind or 'an untyped event'} is not used")]

    # -- reading and refunding ----------------------------------------------------

    def fetch_checkout(self, checkout_ref):
        link = self._call(
            "read checkout", self._client.checkout.payment_links.get, checkout_ref
        ).payment_link
        order = self._call("read order", self._client.orders.get, link.order_id).order
        for tender in order.tenders or ():
            if tender.payment_id:
                return self.fetch_payment(tender.payment_id)
        return None

    def fetch_payment(self, payment_ref):
        payment = self._call("read payment", self._client.payments.get, payment_ref)
        return _from_payment(payment.payment.dict())

    def recent_payments(self, since):
        begin = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pager = self._call(
            "list payments", self._client.payments.list, begin_time=begin, limit=100
        )
        try:
            return [_from_payment(payment.dict()) for payment in pager]
        except (ApiError, httpx.HTTPError) as exc:
            raise ProviderUnavailable(self.name, "list payments", _why(exc)) from None

    def refund(self, payment_ref, amount, currency, idempotency_key):
        if amount is None:
            state = self.fetch_payment(payment_ref)
            amount = (state.amount or 0) - (state.refunded or 0)
            currency = state.currency or currency
        response = self._call(
            "refund",
            self._client.refunds.refund_payment,
            idempotency_key=idempotency_key,
            amount_money={"amount": amount, "currency": currency},
            payment_id=payment_ref,
        )
        return _from_refund(response.refund.dict())

    def _call(self, action, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (ApiError, httpx.HTTPError) as exc:
            raise ProviderUnavailable(self.name, action, _why(exc)) from None


def _why(exc):
    return (
        f"HTTP {exc.status_code}" if isinstance(exc, ApiError) else type(exc).__name__
    )


def _money(obj, *names):
    for name in names:
        money = obj.get(name)
        if money and money.get("amount") is not None:
            return int(money["amount"]), money.get("currency")
    return None, None


def _from_payment(obj):
    amount, currency = _money(obj, "total_money", "amount_money")
    refunded, _ = _money(obj, "refunded_money")
    note = obj.get("note") or ""
    return PaymentState(
        payment_ref=obj["id"],
        status=_PAYMENT_STATUS.get(obj.get("status"), PENDING),
        amount=amount,
        currency=currency,
        order_ref=note or obj.get("reference_id"),
        provider_order_ref=obj.get("order_id"),
        refunded=refunded,
        store_ref=note.split(":", 1)[0] if ":" in note else None,
    )


def _from_refund(obj):
    amount, currency = _money(obj, "amount_money")
    return RefundState(
        refund_ref=obj["id"],
        payment_ref=obj.get("payment_id"),
        amount=amount or 0,
        currency=currency,
        status=_REFUND_STATUS.get(obj.get("status"), PENDING),
    )


def _from_dispute(obj):
    amount, currency = _money(obj, "amount_money")
    payment = (obj.get("disputed_payment") or {}).get("payment_id")
    return DisputeState(
        dispute_ref=obj.get("id") or obj.get("dispute_id"),
        payment_ref=payment,
        amount=amount,
        currency=currency,
        status=str(obj.get("state") or "open").lower(),
        reason=obj.get("reason"),
    )
