"""Mapping grid edits to service calls."""

from decimal import Decimal

from admin_app import edits
from commerce import catalogue, stock

ROWS = [
    {"variant_id": 11, "product_id": 1, "sku": "A"},
    {"variant_id": 12, "product_id": 1, "sku": "B"},
    {"variant_id": 21, "product_id": 2, "sku": None},
]


def test_edits_become_changes_per_variant_and_product():
    variants, products = edits.variant_changes(
        ROWS,
        {
            "0": {"price": 9.5, "on_hand": 100},
            "2": {"status": "archived", "sku": 12345},
        },
    )

    assert variants == {11: {"price": 9.5}, 21: {"sku": "12345"}}
    assert products == {2: {"status": "archived"}}


def test_a_cleared_cell_becomes_none():
    variants, _ = edits.variant_changes(ROWS, {1: {"unit_cost": float("nan")}})

    assert variants == {12: {"unit_cost": None}}


def test_count_lines_only_for_rows_counted():
    lines = edits.count_lines(ROWS, {"1": {"counted": 4}, "2": {"counted": None}}, 7)

    assert lines == [stock.CountLine(12, 7, 4, sku="B", row=2)]


def test_applying_grid_edits_changes_the_store(tenant):
    product_id = catalogue.create_product(
        tenant, {"title": "Mug"}, [{"sku": "M-1", "price": "5"}]
    )
    variant_id = catalogue.get_product(tenant, product_id).variants[0].id
    rows = [{"variant_id": variant_id, "product_id": product_id}]

    changed = edits.apply_variant_changes(
        tenant, rows, {0: {"price": 7.25, "status": "active"}}, actor="test"
    )

    product = catalogue.get_product(tenant, product_id)
    assert changed == 2
    assert product.status == "active"
    assert product.variants[0].price == Decimal("7.25")
