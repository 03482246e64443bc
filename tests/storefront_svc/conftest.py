"""Fixtures for the storefront: an app on the test platform, shops with stock,
and a browser-like client that keeps cookies and fills in the form token."""

import http.client
import io
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

import falcon.testing
import pytest

from commerce import catalogue, stock
from storefront_svc.app import create_app
from storefront_svc.config import load_storefront_config
from tenancy import StoreRequest, delete_store, provision_store
from tests.conftest import keys_env

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
START_SECONDS = 30
CUSTOMER = {
    "name": "Ada Shopper",
    "email": "ada@example.com",
    "address_line1": "1 High Street",
    "city": "Leeds",
    "postal_code": "LS1 1AA",
    "country": "United Kingdom",
}


@pytest.fixture
def sf_config(base_config):
    """Storefront settings for tests: changes show at once, generous rate limits."""
    config = load_storefront_config(base_config, {})
    return config.with_overrides(
        store_cache_seconds=0, version_check_seconds=0, form_rate_limit="1000/minute"
    )


@pytest.fixture
def make_client(platform, sf_config):
    """A TestClient on a fresh app; keyword arguments override settings."""

    def make(**overrides):
        app = create_app(sf_config.with_overrides(**overrides), platform)
        return falcon.testing.TestClient(app)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def shop(make_store):
    """A store with three published products and one draft, for one test."""
    return stock_shop(make_store(display_name="Tea Shop"))


@pytest.fixture(scope="module")
def read_only_shop(platform):
    """The same shop shared by a module's tests, which must not change it."""
    slug = f"ro{secrets.token_hex(4)}"
    store = provision_store(
        platform,
        StoreRequest(
            slug=slug, display_name="Tea Shop", owner_email=f"owner-{slug}@example.com"
        ),
    )
    yield stock_shop(platform.tenant(store.id))
    delete_store(platform, store.id)


def stock_shop(tenant):
    add_product(
        tenant,
        "Green Tea",
        "4.50",
        10,
        sku="TEA-G",
        vendor="Leafy",
        product_type="Tea",
        tags="green, loose",
    )
    add_product(
        tenant,
        "Black Tea",
        "5.00",
        2,
        sku="TEA-B",
        vendor="Leafy",
        product_type="Tea",
        tags="black",
    )
    add_product(
        tenant, "Teapot", "30.00", 0, sku="POT-1", vendor="Clay Co", product_type="Ware"
    )
    add_product(tenant, "Secret Blend", "9.00", 5, sku="TEA-S", status="draft")
    return tenant


def add_product(
    tenant,
    title,
    price,
    on_hand,
    *,
    sku,
    status="active",
    continue_selling=False,
    **fields,
):
    """Create a one-variant product with ``on_hand`` units; return the variant id."""
    variant = {
        "sku": sku,
        "price": Decimal(price),
        "continue_selling": continue_selling,
    }
    catalogue.create_product(
        tenant, {"title": title, "status": status, **fields}, [variant]
    )
    variant_id = catalogue.find_variant(tenant, sku)
    if on_hand:
        stock.adjust_stock(
            tenant, variant_id, on_hand, reason="test stock", kind="received"
        )
    return variant_id


def png_bytes(size=(64, 48), colour=(30, 120, 60)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def host_of(tenant, base="localhost"):
    return f"{tenant.store.slug}.{base}"


class Shopper:
    """A browser on one host: keeps cookies, sends the form token it was given."""

    def __init__(self, client, host, *, ip="10.0.0.1"):
        self.client = client
        self.host = host
        self.ip = ip
        self.cookies = {}
        self.token = None

    def get(self, path, **kwargs):
        result = self._send("GET", path, **kwargs)
        found = CSRF_FIELD.search(result.text or "")
        if found:
            self.token = found.group(1)
        return result

    def post(self, path, fields=None, *, token=True, **kwargs):
        fields = dict(fields or {})
        if token and self.token:
            fields.setdefault("csrf_token", self.token)
        return self._send(
            "POST",
            path,
            body=_encode(fields),
            content_type="application/x-www-form-urlencoded",
            **kwargs,
        )

    def _send(self, method, path, **kwargs):
        result = self.client.simulate_request(
            method,
            path,
            host=self.host,
            cookies=dict(self.cookies),
            remote_addr=self.ip,
            **kwargs,
        )
        for name, cookie in result.cookies.items():
            if cookie.value:
                self.cookies[name] = cookie.value
            else:
                self.cookies.pop(name, None)
        return result


def _encode(fields):
    from urllib.parse import urlencode

    return urlencode(fields)


@pytest.fixture
def shopper(client, shop):
    return Shopper(client, host_of(shop))


# -- a real gunicorn ------------------------------------------------------------


@pytest.fixture(scope="module")
def server(base_config, keyring, platform, tmp_path_factory):
    """A gunicorn serving the storefront on 127.0.0.1, started the way
    ``apmt serve storefront`` starts it; yields its port and log file."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("gunicorn") / "stderr.log"
    env = {
        **os.environ,
        "DATABASE_URL": base_config.database_url,
        "APMT_DB_PREFIX": base_config.db_prefix,
        "APMT_DATA_DIR": str(base_config.data_dir),
        "APMT_MASTER_KEYS": keys_env(keyring),
        "STOREFRONT_WORKERS": "2",
        "STOREFRONT_THREADS": "4",
        "STOREFRONT_STORE_CACHE_SECONDS": "0",
        "STOREFRONT_VERSION_CHECK_SECONDS": "0",
    }
    code = (
        "import argparse; from apmt.serve_commands import run_storefront; "
        f"run_storefront(argparse.Namespace(host='127.0.0.1', port={port}))"
    )
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=log, stderr=log
        )
    try:
        _wait_until_up(port, process, log_path)
        yield port, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port, process, log_path):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer in time")
