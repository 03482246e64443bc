"""Fixtures for payments: a shop with stock, stub provider APIs on 127.0.0.1,
and a harness that places orders and delivers signed webhooks."""

import time
from urllib.parse import urlsplit

import httpx
import pytest
from psycopg.rows import dict_row

from commerce import checkout, stock
from commerce.payments import Inbox, Providers, configure_provider
from commerce.payments.errors import WebhookRejected
from commerce.payments.paypal_certs import Certificates
from tests.commerce.payments import fakes
from tests.commerce.payments.deliveries import PaypalSigner
from tests.commerce.payments.stubs import Stub
from tests.storefront_svc.conftest import CUSTOMER, add_product

STRIPE = {
    "secret_key": "sk_test_0123456789abcdefghij",
    "webhook_secret": "whsec_test_secret_0123456789",
}
SQUARE = {
    "access_token": "EAAAtoken0123456789abcdef",
    "signature_key": "sq-signature-key-0123456789",
    "notification_url": "https://tea.example.com/webhooks/square",
    "location_id": "L1",
}
PAYPAL = {
    "client_id": "paypal-client-1",
    "client_secret": "paypal-secret-0123456789",
    "webhook_id": "4JH86294D6297924G",
}
CLOVER = {
    "api_token": "clover-token-0123456789",
    "merchant_id": "MID1",
    "webhook_secret": "clover-secret-0123456789",
    "auth_code": "clover-auth-code-0123456789",
}
SETTINGS = {"stripe": STRIPE, "square": SQUARE, "paypal": PAYPAL, "clover": CLOVER}


class Clock:
    """A settable wall clock (seconds since the epoch)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture
def stub():
    server = Stub()
    yield server
    server.close()


@pytest.fixture(scope="session")
def paypal_signer():
    return PaypalSigner()


class Harness:
    """One shop's payments, wired to the stub APIs."""

    def __init__(self, platform, tenant, signer, clock):
        self.platform, self.tenant, self.clock = platform, tenant, clock
        self.stubs = {name: Stub() for name in SETTINGS}
        self.variant = add_product(tenant, "Green Tea", self.price, 10, sku="TEA-G")
        self.fetched = []
        self.certificates = Certificates(self._fetch_certificate, clock=clock)
        self.monotonic = Clock()
        self.providers = Providers(
            platform,
            clock=clock,
            monotonic=self.monotonic,
            collaborators={"paypal": {"certificates": self.certificates}},
        )
        self.inbox = Inbox(self.providers)
        self.stripe = fakes.StripeApi(self.stubs["stripe"])
        self.square = fakes.SquareApi(self.stubs["square"])
        self.paypal = fakes.PaypalApi(self.stubs["paypal"], signer.pem)
        self.clover = fakes.CloverApi(self.stubs["clover"])

    @property
    def stub(self):
        """The stub of the one provider a test configured last."""
        return self.stubs[self._last]

    def close(self):
        for stub in self.stubs.values():
            stub.close()

    @property
    def price(self):
        return "1500" if self.tenant.store.currency == "JPY" else "10.99"

    def _fetch_certificate(self, url):
        self.fetched.append(url)
        stub = self.stubs["paypal"]
        return httpx.get(stub.url + urlsplit(url).path, timeout=5).content

    def configure(self, provider, **changes):
        self._last = provider
        base = self.stubs[provider].url if provider in self.stubs else None
        settings = {**SETTINGS.get(provider, {}), "api_base": base, **changes}
        if provider == "manual":
            settings = {}
        configure_provider(
            self.platform, self.tenant.id, provider, settings, now=self.clock()
        )
        self.providers.forget(self.tenant.id)

    def order(self, quantity=1):
        customer = checkout.check_customer(CUSTOMER)
        return checkout.place_order(self.tenant, {self.variant: quantity}, customer)

    def deliver(self, provider, raw, headers):
        return self.inbox.receive(self.tenant, provider, raw, headers)

    def refused(self, provider, raw, headers):
        with pytest.raises(WebhookRejected):
            self.deliver(provider, raw, headers)
        return True

    def rows(self, table, where="true", params=()):
        with self.tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            return cur.execute(
                f"SELECT * FROM {table} WHERE {where} ORDER BY id", params
            ).fetchall()

    def order_row(self, order_id):
        return self.rows("orders", "id = %s", (order_id,))[0]

    def level(self):
        (level,) = stock.stock_levels(self.tenant, self.variant)
        return level.on_hand, level.reserved


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def harness(platform, tenant, paypal_signer, clock):
    made = Harness(platform, tenant, paypal_signer, clock)
    yield made
    made.close()


@pytest.fixture
def jpy_harness(platform, make_store, paypal_signer, clock):
    made = Harness(platform, make_store(currency="JPY"), paypal_signer, clock)
    yield made
    made.close()
