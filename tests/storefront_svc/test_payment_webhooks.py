"""``POST /webhooks/<provider>`` and the return page, through the Falcon app and
through a real gunicorn with two workers."""

import http.client
import os
import signal
import subprocess
import sys
import threading

import falcon.testing
import pytest

from commerce import payments
from commerce.payments import Inbox, Providers, configure_provider, start_checkout
from storefront_svc.app import create_app, get_app
from storefront_svc.payment_webhooks import PaymentReturn, PaymentWebhooks
from tests.commerce.payments.conftest import STRIPE
from tests.commerce.payments.deliveries import body, stripe_headers
from tests.commerce.payments.fakes import StripeApi
from tests.commerce.payments.stubs import Stub
from tests.conftest import keys_env
from tests.storefront_svc.conftest import (
    _wait_until_up,
    add_product,
    free_port,
    host_of,
)

SECRET = STRIPE["webhook_secret"]


def wire(app, platform):
    """The routes as the lead adds them to create_app."""
    providers = Providers(platform)
    app.add_route("/webhooks/{provider}", PaymentWebhooks(Inbox(providers)))
    app.add_route("/orders/{token}/paid", PaymentReturn(providers))
    return app


def wired_app():
    """What gunicorn loads in the test below: the storefront plus our routes."""
    app = get_app()
    from tenancy import Platform

    return wire(app, Platform.open())


@pytest.fixture
def stripe_stub():
    stub = Stub()
    api = StripeApi(stub)
    yield stub, api
    stub.close()


@pytest.fixture
def shop(tenant, platform, stripe_stub):
    stub, _ = stripe_stub
    add_product(tenant, "Green Tea", "10.99", 10, sku="TEA-G")
    configure_provider(platform, tenant.id, "stripe", {**STRIPE, "api_base": stub.url})
    return tenant


@pytest.fixture
def client(platform, sf_config):
    return falcon.testing.TestClient(wire(create_app(sf_config, platform), platform))


def place(shop):
    from commerce import catalogue, checkout
    from tests.storefront_svc.conftest import CUSTOMER

    variant = catalogue.find_variant(shop, "TEA-G")
    return checkout.place_order(shop, {variant: 1}, checkout.check_customer(CUSTOMER))


def completed(api, order_token, shop, platform):
    start_checkout(shop, order_token, "stripe", Providers(platform))
    session = api.pay("cs_test_1")
    return body({"id": "evt_1", "type": "checkout.session.completed",
                 "data": {"object": session}})  # fmt: skip


def post(client, shop, raw, headers):
    return client.simulate_post(
        "/webhooks/stripe", body=raw, headers=headers, host=host_of(shop)
    )


def event_count(shop):
    with shop.connection() as conn:
        return conn.execute("SELECT count(*) FROM payment_events").fetchone()[0]


def test_a_signed_delivery_is_applied_without_a_form_token(
    client, shop, platform, stripe_stub
):
    order = place(shop)
    raw = completed(stripe_stub[1], order.token, shop, platform)

    result = post(client, shop, raw, stripe_headers(raw, SECRET))
    again = post(client, shop, raw, stripe_headers(raw, SECRET))

    assert (result.status_code, result.json) == (200, {"received": "applied"})
    assert (again.status_code, again.json) == (200, {"received": "duplicate"})


def test_refusals_store_nothing(client, shop, platform, stripe_stub):
    order = place(shop)
    raw = completed(stripe_stub[1], order.token, shop, platform)

    assert post(client, shop, raw, {}).status_code == 400
    assert (
        post(client, shop, raw[:-1] + b" ", stripe_headers(raw, SECRET)).status_code
        == 400
    )
    assert (
        client.simulate_post(
            "/webhooks/square", body=raw, host=host_of(shop)
        ).status_code
        == 404
    )
    assert (
        client.simulate_post("/webhooks/nope", body=raw, host=host_of(shop)).status_code
        == 404
    )
    assert event_count(shop) == 0


def test_a_database_failure_answers_503(platform, sf_config, shop):
    class DownInbox:
        def receive(self, *args):
            raise payments.InboxUnavailable("stripe")

    app = create_app(sf_config, platform)
    app.add_route("/webhooks/{provider}", PaymentWebhooks(DownInbox()))
    result = falcon.testing.TestClient(app).simulate_post(
        "/webhooks/stripe", body=b"{}", host=host_of(shop)
    )

    assert result.status_code == 503
    assert result.headers["retry-after"] == "30"


def test_the_return_page_settles_and_redirects(client, shop, platform, stripe_stub):
    order = place(shop)
    start_checkout(shop, order.token, "stripe", Providers(platform))
    stripe_stub[1].pay("cs_test_1")

    result = client.simulate_get(
        f"/orders/{order.token}/paid", params={"provider": "stripe"}, host=host_of(shop)
    )

    assert result.status_code == 303
    assert result.headers["location"].endswith(f"/orders/{order.token}")
    from commerce import checkout

    assert checkout.get_order(shop, order.token).status == "paid"


@pytest.fixture
def gunicorn(base_config, keyring, platform, tmp_path):
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": base_config.database_url,
        "APMT_DB_PREFIX": base_config.db_prefix,
        "APMT_DATA_DIR": str(base_config.data_dir),
        "APMT_MASTER_KEYS": keys_env(keyring),
        "STOREFRONT_WORKERS": "2",
        "STOREFRONT_THREADS": "4",
        "STOREFRONT_STORE_CACHE_SECONDS": "0",
    }
    command = [
        sys.executable, "-m", "gunicorn", "-c", "storefront_svc/gunicorn.conf.py",
        "--bind", f"127.0.0.1:{port}",
        "tests.storefront_svc.test_payment_webhooks:wired_app()",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        _wait_until_up(port, process, log_path)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(20)


def test_the_same_delivery_to_two_workers_at_once_has_one_effect(
    gunicorn, shop, platform, stripe_stub
):
    order = place(shop)
    raw = completed(stripe_stub[1], order.token, shop, platform)
    headers = {**stripe_headers(raw, SECRET), "Host": host_of(shop),
               "Content-Type": "application/json"}  # fmt: skip
    start = threading.Barrier(8)
    statuses = []

    def deliver():
        conn = http.client.HTTPConnection("127.0.0.1", gunicorn, timeout=30)
        start.wait()
        conn.request("POST", "/webhooks/stripe", body=raw, headers=headers)
        statuses.append(conn.getresponse().status)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200] * 8
    with shop.connection() as conn:
        sold = conn.execute(
            "SELECT count(*) FROM stock_movements WHERE kind = 'sold'"
        ).fetchone()[0]
        deliveries = conn.execute("SELECT deliveries FROM payment_events").fetchone()[0]
    assert (sold, deliveries) == (1, 8)
