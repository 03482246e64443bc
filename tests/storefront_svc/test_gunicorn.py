"""The storefront through a real gunicorn on 127.0.0.1, started the way
``apmt serve storefront`` starts it."""

import http.client
import json
import re
import secrets
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest

from commerce import catalogue, stock
from tenancy import StoreRequest, delete_store, provision_store
from tests.storefront_svc.conftest import CUSTOMER, add_product, stock_shop

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def live_shop(platform):
    slug = f"live{secrets.token_hex(3)}"
    store = provision_store(
        platform,
        StoreRequest(
            slug=slug, display_name="Tea Shop", owner_email=f"owner@{slug}.example"
        ),
    )
    tenant = stock_shop(platform.tenant(store.id))
    add_product(tenant, "Rare Tea", "25", 3, sku="RARE")
    yield tenant
    delete_store(platform, store.id)


def host(tenant):
    return f"{tenant.store.slug}.localhost"


class Response:
    def __init__(self, raw):
        self.status = raw.status
        self.headers = {k.lower(): v for k, v in raw.getheaders()}
        self.cookies = raw.headers.get_all("Set-Cookie") or []
        self.text = raw.read().decode("utf-8", "replace")


class Browser:
    """http.client with a cookie jar and the form token, over one keep-alive."""

    def __init__(self, port, host):
        self.port = port
        self.host = host
        self.cookies = {}
        self.token = None
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path, headers=None):
        response = self.request("GET", path, headers=headers)
        found = CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def post(self, path, fields):
        body = urlencode({**fields, "csrf_token": self.token or ""})
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, headers=headers)

    def request(self, method, path, body=None, headers=None):
        headers = {"Host": self.host, **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        response = Response(self.conn.getresponse())
        for header in response.cookies:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response


def test_pages_headers_and_request_ids(server, live_shop):
    port, _ = server
    shopper = Browser(port, host(live_shop).title() + ".")
    page = shopper.get("/products", headers={"X-Request-ID": "live-1"})

    assert page.status == 200 and "Green Tea" in page.text
    assert page.headers["x-request-id"] == "live-1"
    assert page.headers["x-frame-options"] == "DENY"
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert shopper.get("/static/store.css").status == 200
    assert Browser(port, "nobody.localhost").get("/").status == 404
    assert "Privacy Policy" in Browser(port, "localhost").get("/privacy").text


def test_a_chunked_body_is_refused(server, live_shop):
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("POST", "/contact", skip_host=True)
    conn.putheader("Host", host(live_shop))
    conn.putheader("Transfer-Encoding", "chunked")
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.endheaders()
    conn.send(b"3\r\na=b\r\n0\r\n\r\n")
    assert conn.getresponse().status == 411


def test_a_whole_purchase(server, live_shop):
    port, _ = server
    shopper = Browser(port, host(live_shop))
    green = catalogue.find_variant(live_shop, "TEA-G")
    shopper.get("/products/green-tea")

    added = shopper.post("/cart", {"action": "add", "variant_id": green, "quantity": 2})
    assert added.status == 303
    shopper.get("/checkout")
    placed = shopper.post("/checkout", CUSTOMER)
    assert placed.status == 303
    order_path = placed.headers["location"].split("localhost", 1)[-1]
    order_path = order_path[order_path.index("/orders/") :]

    order = shopper.get(order_path)
    assert "Waiting for payment" in order.text
    assert shopper.post(order_path + "/payment", {"method": "manual"}).status == 303
    assert "Paid" in shopper.get(order_path).text
    (level,) = stock.stock_levels(live_shop, green)
    assert (level.on_hand, level.reserved) == (8, 0)


def test_concurrent_checkouts_over_http_sell_only_what_there_is(server, live_shop):
    port, _ = server
    rare = catalogue.find_variant(live_shop, "RARE")
    shoppers = []
    for _ in range(8):
        shopper = Browser(port, host(live_shop))
        shopper.get("/products/rare-tea")
        shopper.post("/cart", {"action": "add", "variant_id": rare, "quantity": 1})
        shopper.get("/checkout")
        shoppers.append(shopper)

    start = threading.Barrier(len(shoppers))
    statuses = []

    def check_out(shopper):
        start.wait()
        statuses.append(shopper.post("/checkout", CUSTOMER).status)

    threads = [threading.Thread(target=check_out, args=(s,)) for s in shoppers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(statuses) == [303] * 3 + [409] * 5
    (level,) = stock.stock_levels(live_shop, rare)
    assert (level.on_hand, level.reserved) == (3, 3)


def test_the_access_log_is_json_without_queries(server, live_shop):
    port, log_path = server
    Browser(port, host(live_shop)).get("/products?q=zelda.searcher%40example.com")
    time.sleep(0.3)

    lines = [
        json.loads(line)
        for line in log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    mine = [line for line in lines if line["path"] == "/products"]
    assert mine and mine[-1]["store"] == live_shop.id
    assert mine[-1]["client_ip"] == "127.0.0.1"
    assert "zelda.searcher" not in log_path.read_text()
