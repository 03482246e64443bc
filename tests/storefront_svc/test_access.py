"""Request ids, the access log and the client address behind proxies."""

import ipaddress
import json
import logging

import pytest

from storefront_svc.access import client_ip
from tests.storefront_svc.conftest import host_of

PROXIES = (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="storefront_svc.access")

    def lines():
        return [
            json.loads(r.getMessage())
            for r in caplog.records
            if r.name == "storefront_svc.access"
        ]

    return lines


def test_a_request_id_is_echoed_or_made(client, read_only_shop):
    host = host_of(read_only_shop)
    given = client.simulate_get("/", host=host, headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"

    made = client.simulate_get("/", host=host)
    assert len(made.headers["x-request-id"]) == 32
    odd = client.simulate_get("/", host=host, headers={"X-Request-ID": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"
    unknown = client.simulate_get("/", host="nobody.localhost")
    assert unknown.headers["x-request-id"]


def test_one_json_line_per_request_without_query_or_secrets(
    client, read_only_shop, access_lines
):
    host = host_of(read_only_shop)
    client.simulate_get(
        "/products",
        host=host,
        query_string="q=ada@example.com",
        headers={"User-Agent": "TestAgent/1"},
        remote_addr="192.0.2.7",
    )
    client.simulate_get("/orders/SeCrEtToKeN", host=host)

    first, second = access_lines()
    assert first["store"] == read_only_shop.id
    assert (first["method"], first["path"], first["status"]) == (
        "GET",
        "/products",
        200,
    )
    assert first["client_ip"] == "192.0.2.7"
    assert first["user_agent"] == "TestAgent/1"
    assert first["duration_ms"] >= 0 and first["time"].endswith("+00:00")
    assert "ada@example.com" not in json.dumps(first)
    assert second["path"] == "/orders/{token}" and second["status"] == 404


def test_the_platform_pages_are_logged_as_asked(client, access_lines):
    client.simulate_get("/privacy", host="localhost")
    (line,) = access_lines()
    assert line["path"] == "/privacy" and line["store"] is None


def test_forwarded_for_is_believed_only_from_trusted_proxies(
    make_client, read_only_shop, access_lines
):
    client = make_client(trusted_proxies=PROXIES)
    host = host_of(read_only_shop)
    client.simulate_get(
        "/",
        host=host,
        remote_addr="10.1.2.3",
        headers={"X-Forwarded-For": "198.51.100.9, 10.0.0.5"},
    )
    client.simulate_get(
        "/",
        host=host,
        remote_addr="203.0.113.1",
        headers={"X-Forwarded-For": "198.51.100.9"},
    )

    behind_proxy, direct = access_lines()
    assert behind_proxy["client_ip"] == "198.51.100.9"
    assert direct["client_ip"] == "203.0.113.1"


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("10.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        ("10.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.1"),
        ("10.0.0.1", "not-an-ip", "10.0.0.1"),
        ("1.2.3.4", "5.6.7.8", "1.2.3.4"),
        ("10.0.0.1", None, "10.0.0.1"),
    ],
)
def test_client_ip(peer, forwarded, expected):
    assert client_ip(peer, forwarded, PROXIES) == expected
    assert client_ip(peer, forwarded, ()) == peer
