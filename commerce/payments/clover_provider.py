"""Clover: Hosted Checkout over plain HTTP, and its two kinds of webhook.

- Hosted Checkout deliveries carry ``Clover-Signature: t=..,v1=..``, an
  HMAC-SHA256 of ``f"{t}.{raw body}"`` under the merchant's signing secret.
  The body names a payment but says little about it (no amount), so the
  payment is fetched from the API before anything is decided.
- App notifications carry ``X-Clover-Auth``, a static code compared in
  constant time, and bodies of object ids only; each payment they name is
  fetched. Setting the callback up, Clover first posts a bare
  ``{"verificationCode": ...}`` with no auth at all: ``verification_code``
  picks that out so the owner can be shown it. It is never an event.

Clover documents no event id, no retries and no idempotency key; the inbox
keys a Hosted Checkout event on payment id and status, an app update on
merchant, object, kind and time.
"""

import json
import logging
import re
import time
from dataclasses import replace

import httpx

from commerce.payments.base import (
    CANCELLED,
    FAILED,
    PENDING,
    SUCCEEDED,
    Checkout,
    Event,
    PaymentState,
    Provider,
    RefundState,
    active_secrets,
)
from commerce.payments.errors import ProviderUnavailable, WebhookRejected
from commerce.payments.signing import check_timestamped, parse_timestamped, same

log = logging.getLogger(__name__)

API = "https://api.clover.com"
# TODO(#5): confirm the refund host on a sandbox account (Ecommerce API).
ECOMMERCE = "https://scl.clover.com"
TIMEOUT_SECONDS = 10
STALE_SECONDS = 300
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_PAYMENT_STATUS = {"SUCCESS": SUCCEEDED, "FAIL": FAILED, "VOIDED": CANCELLED}


def verification_code(body, headers):
    """The code of Clover's set-up handshake, or None when this is not one."""
    if headers.get("x-clover-auth") or headers.get("clover-signature"):
        return None
    try:
        found = json.loads(body)
    except ValueError:
        return None
    if not isinstance(found, dict) or set(found) != {"verificationCode"}:
        return None
    code = found["verificationCode"]
    return code if isinstance(code, str) and _UUID.fullmatch(code) else None


class CloverProvider(Provider):
    name = "clover"
    signature_headers = ("clover-signature", "x-clover-auth")

    def __init__(self, settings, *, clock=time.time, http=None):
        self._settings = settings
        self._clock = clock
        self._merchant = settings["merchant_id"]
        self._base = (settings.get("api_base") or API).rstrip("/")
        self._ecommerce = (settings.get("api_base") or ECOMMERCE).rstrip("/")
        self._http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    # -- checkout ----------------------------------------------------------------

    def create_checkout(self, request, idempotency_key):
        # NOTE: Hosted Checkout documents no idempotency key; the inbox's
        # payment_checkouts table hands back the open checkout of an order
        # instead of asking for a second one.
        body = {
            "customer": {"email": request.email} if request.email else {},
            "shoppingCart": {
                "lineItems": [
                    {
                        "name": line.title[:127] or "Item",
                        "unitQty": line.quantity,
                        "price": line.unit_amount,
                    }
                    for line in request.lines
                ]
            },
            "redirectUrls": {
                "success": request.success_url,
                "failure": request.cancel_url,
                "cancel": request.cancel_url,
            },
        }
        found = self._request(
            "create checkout",
            "POST",
            f"{self._base}/invoicingcheckoutservice/v1/checkouts",
            json=body,
        )
        return Checkout(found["checkoutSessionId"], found["href"])

    # -- webhooks ----------------------------------------------------------------

    def verify(self, body, headers):
        signature = headers.get("clover-signature")
        if signature:
            secrets = active_secrets(self._settings, "webhook_secret", self._clock())
            check_timestamped(self.name, signature, body, secrets, 0, None)
            self._note_age(signature)
            return
        auth = headers.get("x-clover-auth")
        if auth:
            codes = active_secrets(self._settings, "auth_code", self._clock())
            if not any(same(code, auth) for code in codes):
                raise WebhookRejected(self.name, "auth code does not match")
            return
        raise WebhookRejected(self.name, "no signature header")

    def _note_age(self, signature):
        # TODO(#5): Clover documents no tolerance nor the unit of t; log old
        # deliveries until real sandbox traffic shows what to refuse.
        timestamp, _ = parse_timestamped(signature)
        if timestamp is not None and timestamp < self._clock() - STALE_SECONDS:
            log.warning(
                "clover delivery signed %ss ago", int(self._clock()) - timestamp
            )

    def events(self, body):
        found = json.loads(body)
        if "merchants" in found:
            return self._app_events(found)
        return [self._checkout_event(found)]

    def _checkout_event(self, raw):
        fields = {_key(name): value for name, value in raw.items()}
        payment = str(fields.get("id") or "")
        status = str(fields.get("status") or "").upper()
        kind = f"hosted_checkout.{str(fields.get('type') or 'payment').lower()}"
        event_id = f"hc:{payment}:{status}"
        if str(fields.get("merchantid") or self._merchant) != self._merchant:
            return Event(event_id, kind, note="for another merchant")
        if not payment:
            return Event(event_id, kind, note="names no payment")
        return Event(
            event_id, kind, fetch=payment, extra={"checkout_ref": fields.get("data")}
        )

    def _app_events(self, raw):
        events = {}
        for merchant, updates in (raw.get("merchants") or {}).items():
            for update in updates or ():
                object_id = str(update.get("objectId") or "")
                prefix, _, bare = object_id.partition(":")
                change = str(update.get("type") or "")
                event_id = f"app:{merchant}:{object_id}:{change}:{update.get('ts')}"
                kind = f"app.{prefix or 'unknown'}.{change.lower()}"
                if merchant != self._merchant:
                    events[event_id] = Event(event_id, kind, note="another merchant")
                elif prefix != "P" or change == "DELETE" or not bare:
                    events[event_id] = Event(event_id, kind, note=f"{kind} is not used")
                else:
                    events[event_id] = Event(event_id, kind, fetch=bare)
        return list(events.values())

    def enrich(self, event):
        if event.fetch is None:
            return event
        state = self.fetch_payment(event.fetch)
        checkout = event.extra.get("checkout_ref")
        if checkout:
            state = replace(state, checkout_ref=str(checkout))
        return Event(event.event_id, event.type, payment=state)

    # -- reading and refunding ----------------------------------------------------

    def fetch_checkout(self, checkout_ref):
        # TODO(#5): Hosted Checkout documents no way to read a session back;
        # reconciliation finds its payment through recent_payments instead.
        return None

    def fetch_payment(self, payment_ref):
        found = self._request(
            "read payment",
            "GET",
            f"{self._base}/v3/merchants/{self._merchant}/payments/{payment_ref}",
            params={"expand": "order,refunds"},
        )
        return _from_payment(found)

    def recent_payments(self, since):
        found = self._request(
            "list payments",
            "GET",
            f"{self._base}/v3/merchants/{self._merchant}/payments",
            params={
                "filter": f"createdTime>={int(since.timestamp() * 1000)}",
                "expand": "order,refunds",
                "limit": 100,
            },
        )
        return [_from_payment(payment) for payment in found.get("elements") or ()]

    def refund(self, payment_ref, amount, currency, idempotency_key):
        body = {"charge": payment_ref}
        if amount is not None:
            body["amount"] = amount
        found = self._request(
            "refund",
            "POST",
            f"{self._ecommerce}/v1/refunds",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
        status = str(found.get("status") or "").lower()
        return RefundState(
            refund_ref=found["id"],
            payment_ref=payment_ref,
            amount=int(found.get("amount") or amount or 0),
            currency=currency,
            status={"succeeded": SUCCEEDED, "failed": FAILED}.get(status, PENDING),
        )

    def _request(self, action, method, url, *, headers=None, **options):
        headers = {
            "Authorization": f"Bearer {self._settings['api_token']}",
            "X-Clover-Merchant-Id": self._merchant,
            **(headers or {}),
        }
        try:
            response = self._http.request(method, url, headers=headers, **options)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(self.name, action, type(exc).__name__) from None


def _key(name):
    """Field names compared without case, spaces or underscores (undocumented)."""
    return re.sub(r"[\s_]", "", str(name)).lower()


def _from_payment(found):
    refunds = (found.get("refunds") or {}).get("elements") or ()
    order = found.get("order") or {}
    return PaymentState(
        payment_ref=found["id"],
        status=_PAYMENT_STATUS.get(str(found.get("result") or "").upper(), PENDING),
        amount=found.get("amount"),
        currency=(found.get("currency") or "").upper() or None,
        provider_order_ref=order.get("id"),
        refunded=sum(int(refund.get("amount") or 0) for refund in refunds),
    )
