from decimal import Decimal

import pytest

from commerce import catalogue
from commerce.errors import Conflict, InvalidInput, NotFound


def test_create_and_read_a_product_with_variants(tenant):
    product_id = catalogue.create_product(
        tenant,
        {"title": "Linen Shirt", "vendor": "Acme", "tags": "summer, linen",
         "status": "active",
         "description_html": '<p onclick="x()">Soft<script>alert(1)</script></p>'},
        [{"sku": "SH-S", "option1_name": "Size", "option1": "S", "price": "29.90"},
         {"sku": "SH-M", "option1_name": "Size", "option1": "M", "price": "31.00"}],
    )  # fmt: skip

    product = catalogue.get_product(tenant, "linen-shirt")
    assert product.id == product_id
    assert product.description_html == "<p>Soft</p>"
    assert product.tags == ("linen", "summer")
    assert [v.sku for v in product.variants] == ["SH-S", "SH-M"]
    assert product.variants[0].price == Decimal("29.90")
    assert product.variants[0].options == (("Size", "S"),)
    assert product.price_range == (Decimal("29.90"), Decimal("31.00"))


def test_skus_keep_leading_zeros_and_must_be_text(tenant):
    catalogue.create_product(
        tenant, {"title": "Bolt"}, [{"sku": "000123", "barcode": "0000080446392"}]
    )
    product = catalogue.get_product(tenant, "bolt")
    assert product.variants[0].sku == "000123"
    assert product.variants[0].barcode == "0000080446392"

    with pytest.raises(InvalidInput, match="sku"):
        catalogue.create_product(tenant, {"title": "Nut"}, [{"sku": 123}])


def test_duplicate_sku_and_handle_are_conflicts(tenant):
    catalogue.create_product(tenant, {"title": "A"}, [{"sku": "DUP"}])
    with pytest.raises(Conflict, match="DUP"):
        catalogue.create_product(tenant, {"title": "B"}, [{"sku": "DUP"}])
    with pytest.raises(Conflict, match="handle"):
        catalogue.create_product(tenant, {"title": "A"})


def test_update_archive_and_not_found(tenant):
    product_id = catalogue.create_product(tenant, {"title": "Mug", "status": "active"})
    catalogue.update_product(
        tenant, product_id, {"title": "Big Mug", "status": "draft"}
    )
    assert catalogue.get_product(tenant, product_id).title == "Big Mug"

    catalogue.archive_product(tenant, product_id)
    assert catalogue.get_product(tenant, product_id).status == "archived"
    with pytest.raises(NotFound):
        catalogue.get_product(tenant, "mug", published_only=True)
    with pytest.raises(NotFound):
        catalogue.update_product(tenant, 999999, {"title": "x"})
    with pytest.raises(InvalidInput, match="status"):
        catalogue.update_product(tenant, product_id, {"status": "gone"})


def test_list_search_filter_and_paginate(tenant):
    for i in range(30):
        catalogue.create_product(
            tenant,
            {"title": f"Candle {i}", "vendor": "Wax Co" if i % 2 else "Glow",
             "status": "active", "tags": ["home"]},
            [{"sku": f"C-{i}", "price": "5"}],
        )  # fmt: skip
    catalogue.create_product(tenant, {"title": "Hidden draft"})

    active = catalogue.ProductFilter(status="active", per_page=10)
    first = catalogue.list_products(tenant, active)
    assert first.total == 30 and first.pages == 3 and len(first.items) == 10

    found = catalogue.list_products(tenant, catalogue.ProductFilter(search="candle 7"))
    assert "Candle 7" in [p.title for p in found.items]
    by_sku = catalogue.list_products(tenant, catalogue.ProductFilter(search="C-12"))
    assert [p.title for p in by_sku.items] == ["Candle 12"]
    vendor = catalogue.list_products(tenant, catalogue.ProductFilter(vendor="Glow"))
    assert vendor.total == 15

    weird = catalogue.list_products(tenant, catalogue.ProductFilter(search="100%_'\\"))
    assert weird.total == 0
    assert catalogue.facet_values(tenant)["vendors"] == ["Glow", "Wax Co"]


def test_catalogue_version_moves_with_changes(tenant):
    before = catalogue.catalogue_version(tenant)
    catalogue.create_product(tenant, {"title": "Versioned"})
    assert catalogue.catalogue_version(tenant) > before
