"""Security headers on every kind of response, and Google Analytics only on
request."""

import pytest

from commerce import images
from storefront_svc.headers import content_security_policy
from tests.storefront_svc.conftest import host_of, png_bytes

REQUIRED = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def assert_secure(result):
    for name, value in REQUIRED.items():
        assert result.headers.get(name) == value, name
    csp = result.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in result.headers["permissions-policy"]


def set_setting(tenant, key, value):
    from psycopg.types.json import Jsonb

    with tenant.transaction() as conn:
        conn.execute(
            "INSERT INTO store_settings (key, value) VALUES (%s, %s)",
            (key, Jsonb(value)),
        )


def test_on_pages_404s_and_errors(make_client, read_only_shop):
    shop = read_only_shop
    client = make_client(max_body_bytes=100)
    host = host_of(shop)
    assert_secure(client.simulate_get("/", host=host))
    assert_secure(client.simulate_get("/nowhere", host=host))
    assert_secure(client.simulate_get("/", host="unknown.localhost"))
    assert_secure(client.simulate_get("/", host="localhost"))
    big = client.simulate_post(
        "/contact",
        host=host,
        body="x" * 101,
        content_type="application/x-www-form-urlencoded",
    )
    assert big.status_code == 413
    assert_secure(big)
    assert_secure(client.simulate_get("/static/store.css", host=host))
    assert_secure(client.simulate_get("/healthz"))


def test_on_images_and_not_modified_answers(client, shop):
    from commerce import catalogue

    product = catalogue.get_product(shop, "green-tea")
    image_id = images.add_image(shop, product.id, png_bytes(), alt_text="Tin")
    first = client.simulate_get(f"/images/{image_id}", host=host_of(shop))
    assert first.status_code == 200
    assert_secure(first)

    again = client.simulate_get(
        f"/images/{image_id}",
        host=host_of(shop),
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert_secure(again)


def test_no_analytics_and_no_cookies_without_a_measurement_id(client, read_only_shop):
    shop = read_only_shop
    for path in ("/", "/products", "/products/green-tea"):
        result = client.simulate_get(path, host=host_of(shop))
        assert "googletagmanager" not in result.text
        assert "googletagmanager" not in result.headers["content-security-policy"]
    browse = client.simulate_get("/products", host=host_of(shop))
    assert "set-cookie" not in browse.headers


def test_a_store_measurement_id_adds_exactly_what_analytics_needs(client, shop):
    set_setting(shop, "ga_measurement_id", "G-TEST1234")
    page = client.simulate_get("/", host=host_of(shop))

    assert 'src="https://www.googletagmanager.com/gtag/js?id=G-TEST1234"' in page.text
    assert 'data-measurement-id="G-TEST1234"' in page.text
    assert page.headers["content-security-policy"] == content_security_policy(True)
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    # The platform's own pages stay without analytics: the id is the store's.
    platform_page = client.simulate_get("/", host="localhost")
    assert "googletagmanager" not in platform_page.text


def test_the_platform_measurement_id_is_for_the_platform_pages(
    make_client, read_only_shop
):
    shop = read_only_shop
    client = make_client(ga_measurement_id="G-PLATFORM1")
    assert "G-PLATFORM1" in client.simulate_get("/", host="localhost").text
    assert "G-PLATFORM1" not in client.simulate_get("/", host=host_of(shop)).text


@pytest.mark.parametrize("value", ["not-an-id", "UA-1234-1", 42])
def test_a_malformed_store_measurement_id_turns_analytics_off(client, shop, value):
    set_setting(shop, "ga_measurement_id", value)
    page = client.simulate_get("/", host=host_of(shop))
    assert page.status_code == 200
    assert "googletagmanager" not in page.text


def test_no_inline_script_or_style_on_any_page(client, read_only_shop):
    shop = read_only_shop
    import re

    for path in (
        "/",
        "/products",
        "/products/green-tea",
        "/cart",
        "/contact",
        "/newsletter",
        "/privacy",
        "/privacy/requests",
    ):
        text = client.simulate_get(path, host=host_of(shop)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text, path
