"""A stub of Clover's Recurring Payments and Ecommerce APIs on 127.0.0.1.

It speaks the wire format ``tenancy.clover_billing`` uses (amounts in cents,
``elements`` lists, ``error.code`` on refusals) and keeps state like Clover:
an idempotency key returns the charge it first made, a subscription needs a
customer with a card, a cancelled subscription answers 404.
"""

import itertools
import secrets
import threading

import pytest

from tenancy import billing
from tenancy.clover_billing import CloverBilling
from tests.commerce.payments.stubs import Stub

TOKEN = "platform-private-token"
MERCHANT = "PLATFORMMID1"


def settings(url):
    """The platform's Clover settings, every host being the stub at ``url``."""
    return {
        "merchant_id": MERCHANT, "private_token": TOKEN,
        "public_key": "pakms-public-key", "api_base": url, "ecommerce_base": url,
        "sdk_url": f"{url}/sdk.js",
    }  # fmt: skip


def client_for(url, **http):
    return CloverBilling(settings(url), **http)


@pytest.fixture
def clover_stub(platform):
    """A new Clover account on 127.0.0.1 (``.stub`` is its server).

    Plans made at another account are forgotten, as the registry outlives
    each test's stub.
    """
    with platform.registry() as conn:
        conn.execute("UPDATE plans SET clover_plan_id = NULL")
    stub = Stub()
    api = CloverBillingApi(stub)
    api.stub = stub
    yield api
    stub.close()


@pytest.fixture
def clover(clover_stub):
    """A client of the stub account."""
    client = client_for(clover_stub.stub.url)
    yield client
    client.close()


@pytest.fixture
def billing_configured(platform, clover_stub):
    """The stub account stored as the platform's billing settings."""
    billing.configure_billing(platform, settings(clover_stub.stub.url))
    yield clover_stub
    with platform.registry() as conn:
        conn.execute("DELETE FROM platform_secrets WHERE name = 'clover_billing'")


class CloverBillingApi:
    def __init__(self, stub):
        self.plans, self.customers, self.subscriptions = {}, {}, {}
        self.charges, self.by_key, self.invoices = {}, {}, {}
        self.declined = set()
        self.fail_after_charge = False
        self._prefix, self._count = secrets.token_hex(3).upper(), itertools.count(1)
        self._lock = threading.Lock()
        self.subscription_keys = {}
        sub = r"/recurring/v1/subscriptions/([A-Za-z0-9]+)"
        stub.route("POST", r"/recurring/v1/plans", self.create_plan)
        stub.route(
            "POST", r"/recurring/v1/plans/([A-Za-z0-9]+)/subscriptions", self.subscribe
        )
        stub.route("GET", sub, self.subscription)
        stub.route("DELETE", sub, self.cancel)
        stub.route("GET", sub + "/invoices", self.list_invoices)
        stub.route("POST", r"/v1/customers", self.create_customer)
        stub.route("POST", r"/v1/customers/([A-Za-z0-9]+)", self.replace_card)
        stub.route("POST", r"/v1/charges", self.charge)

    def _next_id(self):
        # Ids unique across stubs, as the registry outlives each test's stub;
        # next() on a shared counter is atomic, so concurrent handlers are safe.
        return f"{self._prefix}{next(self._count)}"

    # -- what tests do to the world ---------------------------------------------

    def bill(self, subscription_id, *, paid=True, attempts=0):
        """Clover runs a billing period: an invoice, paid or failing."""
        number = self._next_id()
        earlier = len(self.invoices.get(subscription_id, []))
        plan = self.plans[self.subscriptions[subscription_id]["planId"]]
        invoice = {
            "id": f"INV{number}",
            "amount": plan["amount"],
            "currency": "USD",
            "status": "PAID" if paid else "OPEN",
            "failedAttempts": attempts,
            "createdTime": f"2026-12-04T00:00:{earlier:02d}Z",
        }
        self.invoices.setdefault(subscription_id, []).append(invoice)
        return invoice

    def deactivate(self, subscription_id):
        """What Clover does after the fifth failed attempt."""
        self.subscriptions[subscription_id]["active"] = False

    # -- routes -----------------------------------------------------------------

    def _authorised(self, request):
        return (
            request.headers.get("authorization") == f"Bearer {TOKEN}"
            and request.headers.get("x-clover-merchant-id") == MERCHANT
        )

    def _refuse(self, status, code, message):
        return status, {"error": {"code": code, "message": message}}

    def create_plan(self, request):
        if not self._authorised(request):
            return self._refuse(401, "unauthorized", "Unauthorized")
        sent = request.json()
        if not isinstance(sent.get("amount"), int) or sent.get("interval") != "MONTH":
            return self._refuse(400, "invalid_request", "bad plan")
        plan = {**sent, "id": f"PLAN{self._next_id()}", "active": True}
        self.plans[plan["id"]] = plan
        return 200, plan

    def subscribe(self, request):
        if not self._authorised(request):
            return self._refuse(401, "unauthorized", "Unauthorized")
        sent = request.json()
        if request.match.group(1) not in self.plans:
            return self._refuse(404, "not_found", "no such plan")
        if sent.get("customerId") not in self.customers:
            return self._refuse(400, "invalid_request", "customer has no card")
        if sent.get("collectionMethod") != "CHARGE_AUTOMATICALLY":
            return self._refuse(400, "invalid_request", "collectionMethod")
        key = request.headers.get("idempotency-key")
        if key in self.subscription_keys:
            return 200, self.subscription_keys[key]
        made = {
            "id": f"SUB{self._next_id()}",
            "planId": request.match.group(1),
            "customerId": sent["customerId"],
            "active": True,
        }
        self.subscriptions[made["id"]] = made
        if key:
            self.subscription_keys[key] = made
        return 200, made

    def subscription(self, request):
        found = self.subscriptions.get(request.match.group(1))
        if found is None or not self._authorised(request):
            return self._refuse(404, "not_found", "no such subscription")
        return 200, found

    def cancel(self, request):
        found = self.subscriptions.pop(request.match.group(1), None)
        if found is None:
            return self._refuse(404, "not_found", "no such subscription")
        return 200, {}

    def list_invoices(self, request):
        if request.match.group(1) not in self.subscriptions:
            return self._refuse(404, "not_found", "no such subscription")
        return 200, {"elements": self.invoices.get(request.match.group(1), [])}

    def create_customer(self, request):
        sent = request.json()
        token = sent.get("source", "")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return self._refuse(401, "unauthorized", "Unauthorized")
        if not token.startswith("clv_") or token == "clv_invalid":
            return self._refuse(400, "invalid_request", "Invalid card token")
        customer = {
            "id": f"CUST{self._next_id()}",
            "email": sent.get("email"),
            "sources": {"elements": [{"brand": "VISA", "last4": token[-4:]}]},
        }
        self.customers[customer["id"]] = {**customer, "token": token}
        return 200, customer

    def replace_card(self, request):
        customer = self.customers.get(request.match.group(1))
        token = request.json().get("source", "")
        if customer is None:
            return self._refuse(404, "not_found", "no such customer")
        if not token.startswith("clv_") or token == "clv_invalid":
            return self._refuse(400, "invalid_request", "Invalid card token")
        customer["token"] = token
        customer["sources"] = {"elements": [{"brand": "VISA", "last4": token[-4:]}]}
        return 200, {k: v for k, v in customer.items() if k != "token"}

    def charge(self, request):
        sent, key = request.json(), request.headers.get("idempotency-key")
        if not key:
            return self._refuse(400, "invalid_request", "idempotency-key required")
        with self._lock:
            if key in self.by_key:
                return 200, self.by_key[key]
            customer = self.customers.get(sent.get("source"))
            if customer is None:
                return self._refuse(400, "invalid_request", "no such source")
            if customer["token"].endswith("0002") or customer["id"] in self.declined:
                return self._refuse(402, "card_declined", "Card is declined")
            made = {
                "id": f"CHG{self._next_id()}",
                "amount": sent["amount"],
                "currency": sent["currency"],
                "paid": True,
                "status": "succeeded",
            }
            self.charges[made["id"]] = made
            self.by_key[key] = made
        if self.fail_after_charge:
            return 503, {"message": "Service Unavailable"}
        return 200, made
