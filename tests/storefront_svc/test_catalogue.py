"""The home page, the catalogue with its filters and the product pages."""

import re

from commerce import catalogue, images, stock
from storefront_svc.cache import CatalogueVersions, PageCache
from tests.storefront_svc.conftest import add_product, host_of, png_bytes


def titles(result):
    return re.findall(r'<h2 class="card-title">([^<]+)</h2>', result.text)


def get(client, shop, path, **params):
    return client.simulate_get(path, host=host_of(shop), params=params)


def test_home_shows_new_products(client, read_only_shop):
    home = get(client, read_only_shop, "/")
    assert home.status_code == 200
    assert "<h1>Welcome to Tea Shop</h1>" in home.text
    assert set(titles(home)) == {"Green Tea", "Black Tea", "Teapot"}


def test_search_and_filters(client, read_only_shop):
    shop = read_only_shop
    assert titles(get(client, shop, "/products")) == [
        "Teapot",
        "Black Tea",
        "Green Tea",
    ]
    assert titles(get(client, shop, "/products", q="green")) == ["Green Tea"]
    assert titles(get(client, shop, "/products", vendor="Clay Co")) == ["Teapot"]
    assert titles(get(client, shop, "/products", type="Tea", tag="black")) == [
        "Black Tea"
    ]
    assert "Teapot" not in titles(get(client, shop, "/products", in_stock="true"))
    assert titles(get(client, shop, "/products", q="secret")) == []
    assert "No products match" in get(client, shop, "/products", q="zzz").text


def test_bad_query_values_are_a_400_not_a_500(client, read_only_shop):
    for params in (
        {"page": "abc"},
        {"page": "0"},
        {"page": "99999999999999"},
        {"in_stock": "maybe"},
    ):
        assert get(client, read_only_shop, "/products", **params).status_code == 400
    long_search = get(client, read_only_shop, "/products", q="x" * 5000)
    assert long_search.status_code == 200


def test_pagination_keeps_the_filters(make_store, client):
    tenant = make_store()
    for n in range(26):
        add_product(tenant, f"Cup {n:02}", "3", 1, sku=f"CUP-{n}", vendor="Kiln")
    first = get(client, tenant, "/products", vendor="Kiln")
    assert len(titles(first)) == 24 and "page 1 of 2" in first.text
    assert 'href="/products?vendor=Kiln&amp;page=2"' in first.text

    second = get(client, tenant, "/products", vendor="Kiln", page="2")
    assert titles(second) == ["Cup 01", "Cup 00"]
    assert 'rel="prev" href="/products?vendor=Kiln"' in second.text


def test_product_page_shows_variants_availability_and_images(client, shop):
    product_id = catalogue.create_product(
        shop,
        {
            "title": "Mug",
            "status": "active",
            "description_html": "<p>Big <script>alert(1)</script>mug</p>",
        },
        [
            {"sku": "MUG-S", "option1_name": "Size", "option1": "Small", "price": "8"},
            {"sku": "MUG-L", "option1_name": "Size", "option1": "Large", "price": "9"},
        ],
    )
    small = catalogue.find_variant(shop, "MUG-S")
    stock.adjust_stock(shop, small, 3, reason="delivery")
    image_id = images.add_image(shop, product_id, png_bytes(), alt_text="A big mug")

    page = get(client, shop, "/products/mug")
    assert page.status_code == 200
    assert "<h1>Mug</h1>" in page.text and "<p>Big mug</p>" in page.text
    assert "<script>alert" not in page.text
    assert "Only 3 left" in page.text and "Sold out" in page.text
    assert f'src="/images/{image_id}/thumbnail" alt="A big mug"' in page.text
    assert f'value="{small}" checked' in page.text
    assert 'name="csrf_token"' in page.text


def test_a_draft_or_unknown_product_is_not_found(client, read_only_shop):
    assert get(client, read_only_shop, "/products/secret-blend").status_code == 404
    assert get(client, read_only_shop, "/products/no-such-thing").status_code == 404


def test_a_catalogue_change_shows_at_once_despite_the_cache(client, shop):
    before = get(client, shop, "/products/black-tea")
    assert "Only 2 left" in before.text

    variant = catalogue.find_variant(shop, "TEA-B")
    stock.adjust_stock(shop, variant, -2, reason="breakage")
    after = get(client, shop, "/products/black-tea")
    assert "Sold out" in after.text
    catalogue.update_product(
        shop, catalogue.get_product(shop, "black-tea").id, {"title": "Black Tea No. 2"}
    )
    assert "Black Tea No. 2" in titles(get(client, shop, "/products"))


def test_cache_keys_always_hold_the_store():
    cache = PageCache(entries=2)
    assert cache.fetch(1, 7, "home", lambda: "store one") == "store one"
    assert cache.fetch(2, 7, "home", lambda: "store two") == "store two"
    assert cache.fetch(1, 7, "home", lambda: "rebuilt") == "store one"
    assert cache.fetch(1, 8, "home", lambda: "new version") == "new version"
    assert len(cache) == 2
    assert PageCache(entries=0).fetch(1, 1, "k", lambda: "x") == "x"


def test_the_version_is_read_at_most_once_per_interval(shop):
    now = [0.0]
    versions = CatalogueVersions(ttl=1, clock=lambda: now[0])
    first = versions.get(shop)
    stock.adjust_stock(shop, catalogue.find_variant(shop, "TEA-G"), 1, reason="x")

    assert versions.get(shop) == first
    now[0] = 1.5
    assert versions.get(shop) > first


def test_images_have_etags_cache_headers_and_thumbnails(client, shop):
    product_id = catalogue.get_product(shop, "green-tea").id
    image_id = images.add_image(shop, product_id, png_bytes())

    full = get(client, shop, f"/images/{image_id}")
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert full.content == png_bytes()
    assert "max-age=" in full.headers["cache-control"]
    thumb = get(client, shop, f"/images/{image_id}/thumbnail")
    assert thumb.headers["content-type"] == "image/jpeg"
    assert thumb.headers["etag"] != full.headers["etag"]

    assert get(client, shop, "/images/999999").status_code == 404
    assert get(client, shop, "/images/99999999999999999999").status_code == 404
    assert get(client, shop, "/images/abc").status_code == 404


def test_static_files_and_theme(client, shop):
    from psycopg.types.json import Jsonb

    css = client.simulate_get("/static/store.css", host=host_of(shop))
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    again = client.simulate_get(
        "/static/store.css",
        host=host_of(shop),
        headers={"If-None-Match": css.headers["etag"]},
    )
    assert again.status_code == 304
    assert (
        client.simulate_get("/static/nope.css", host=host_of(shop)).status_code == 404
    )

    with shop.transaction() as conn:
        conn.execute(
            "INSERT INTO store_settings VALUES ('accent_colour', %s)",
            (Jsonb("#FFEE00"),),
        )
    theme = client.simulate_get("/theme.css", host=host_of(shop))
    assert "--accent: #ffee00" in theme.text and "--accent-text: #000000" in theme.text
