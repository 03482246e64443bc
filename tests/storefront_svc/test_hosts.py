"""Which store a request is for: the Host header, custom domains, closed stores."""

import pytest

from storefront_svc.hosts import StoreDirectory, normalise_host
from tenancy import cancel_store, delete_store, suspend_store
from tests.storefront_svc.conftest import Shopper, host_of


@pytest.mark.parametrize(
    "variant",
    [
        "{slug}.localhost",
        "{SLUG}.LocalHost",
        "{slug}.localhost:8080",
        "{slug}.localhost.",
        "{Slug}.localhost.:443",
    ],
)
def test_the_host_matches_whatever_its_case_port_or_trailing_dot(
    client, read_only_shop, variant
):
    slug = read_only_shop.store.slug
    host = variant.format(slug=slug, SLUG=slug.upper(), Slug=slug.title())
    result = client.simulate_get("/products/green-tea", host=host)
    assert result.status_code == 200
    assert "Green Tea" in result.text


@pytest.mark.parametrize(
    "host",
    [
        "nosuchstore.localhost",
        "a.b.localhost",
        "localhost.evil.test",
        "",
        "-bad-.localhost",
        "127.0.0.1",
    ],
)
def test_an_unknown_host_gets_a_plain_404(client, host):
    result = client.simulate_get("/", host=host)
    assert result.status_code == 404
    assert "<nav" not in result.text and "APMTSales" not in result.text


def test_a_deleted_store_looks_exactly_like_an_unknown_one(
    client, make_store, platform
):
    tenant = make_store()
    unknown = client.simulate_get("/products", host="neverexisted.localhost")
    delete_store(platform, tenant.id)
    deleted = client.simulate_get("/products", host=host_of(tenant))

    assert deleted.status_code == unknown.status_code == 404
    assert deleted.text.replace(deleted.headers["x-request-id"], "") == (
        unknown.text.replace(unknown.headers["x-request-id"], "")
    )


def test_a_product_handle_on_another_stores_host_is_not_found(
    client, read_only_shop, make_store
):
    other = make_store()
    mine = client.simulate_get("/products/green-tea", host=host_of(read_only_shop))
    assert mine.status_code == 200
    result = client.simulate_get("/products/green-tea", host=host_of(other))
    assert result.status_code == 404
    assert "Green Tea" not in result.text


@pytest.mark.parametrize("change", [suspend_store, cancel_store])
def test_a_closed_store_shows_its_closed_page_and_takes_no_orders(
    client, shop, platform, change
):
    shopper = Shopper(client, host_of(shop))
    shopper.get("/products/green-tea")
    change(platform, shop.id)

    page = shopper.get("/products")
    assert page.status_code == 503
    assert "Tea Shop is closed" in page.text
    posted = shopper.post("/checkout", {"name": "x"})
    assert posted.status_code == 503
    with shop.connection() as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_a_custom_domain_serves_its_store(client, read_only_shop, platform):
    slug = read_only_shop.store.slug
    with platform.registry() as conn:
        conn.execute(
            "INSERT INTO custom_domains (host, store_id) VALUES (%s, %s)",
            (f"shop-{slug}.example.org", read_only_shop.id),
        )
    result = client.simulate_get("/products", host=f"Shop-{slug}.Example.org.")
    assert result.status_code == 200 and "Green Tea" in result.text


def test_the_bare_base_domain_serves_the_platform(client, read_only_shop):
    shop = read_only_shop
    home = client.simulate_get("/", host="LocalHost:8080")
    assert home.status_code == 200
    assert 'href="http://localhost:8501/auth/signup"' in home.text
    assert 'href="http://localhost:8501/auth/login"' in home.text
    assert client.simulate_get("/products", host="localhost").status_code == 404
    assert client.simulate_get("/privacy", host="localhost").status_code == 200
    # Platform pages are not reachable through a store's host.
    assert client.simulate_get("/platform", host=host_of(shop)).status_code == 404


def test_answers_are_remembered_for_the_configured_time(platform, shop):
    now = [0.0]
    directory = StoreDirectory(platform, "localhost", ttl=5, clock=lambda: now[0])
    assert directory.find(host_of(shop)).store.status == "active"

    suspend_store(platform, shop.id)
    assert directory.find(host_of(shop)).store.status == "active"
    now[0] = 6
    assert directory.find(host_of(shop)).store.status == "suspended"


def test_normalise_host():
    assert normalise_host("Shop.LocalHost.:8080") == "shop.localhost"
    assert normalise_host("[::1]:8080") == "[::1]"
    assert normalise_host(None) == ""
