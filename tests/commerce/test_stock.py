import pytest

from commerce import catalogue, stock
from commerce.errors import InsufficientStock, InvalidInput


@pytest.fixture
def variant(tenant):
    catalogue.create_product(tenant, {"title": "Tea"}, [{"sku": "TEA-1"}])
    return catalogue.find_variant(tenant, "TEA-1")


@pytest.fixture
def oversell(tenant):
    catalogue.create_product(
        tenant, {"title": "Preorder"}, [{"sku": "PRE-1", "continue_selling": True}]
    )
    return catalogue.find_variant(tenant, "PRE-1")


def test_adjust_writes_one_movement_per_change(tenant, variant):
    assert (
        stock.adjust_stock(tenant, variant, 10, reason="delivery", kind="received")
        == 10
    )
    assert stock.adjust_stock(tenant, variant, -3, reason="breakage") == 7

    history = stock.movements(tenant, variant)
    assert [(m[2], m[3], m[4]) for m in history] == [
        ("adjusted", -3, 7),
        ("received", 10, 10),
    ]


def test_on_hand_never_goes_negative(tenant, variant):
    stock.adjust_stock(tenant, variant, 2, reason="found")
    with pytest.raises(InsufficientStock, match="only 2 of TEA-1"):
        stock.adjust_stock(tenant, variant, -5, reason="oops")
    assert stock.stock_levels(tenant, variant)[0].on_hand == 2
    assert len(stock.movements(tenant, variant)) == 1


def test_overselling_variants_may_go_below_zero(tenant, oversell):
    assert (
        stock.adjust_stock(tenant, oversell, -4, reason="preorders", kind="sold") == -4
    )


def test_the_ledger_is_append_only(tenant, variant):
    import psycopg

    stock.adjust_stock(tenant, variant, 1, reason="x")
    with pytest.raises(psycopg.Error, match="append-only"):
        with tenant.transaction() as conn:
            conn.execute("UPDATE stock_movements SET quantity = 100")


def test_reason_is_required(tenant, variant):
    with pytest.raises(InvalidInput, match="reason"):
        stock.adjust_stock(tenant, variant, 1, reason=" ")


def test_transfer_between_locations(tenant, variant):
    shop = stock.create_location(tenant, "Shop floor")
    stock.adjust_stock(tenant, variant, 5, reason="delivery")
    main = stock.list_locations(tenant)[0][0]

    stock.transfer_stock(tenant, variant, main, shop, 3)
    levels = {lvl.location: lvl.on_hand for lvl in stock.stock_levels(tenant, variant)}
    assert levels == {"Main": 2, "Shop floor": 3}
    with pytest.raises(InsufficientStock):
        stock.transfer_stock(tenant, variant, main, shop, 3)


def test_count_shows_differences_before_applying(tenant, variant):
    main = stock.list_locations(tenant)[0][0]
    stock.adjust_stock(tenant, variant, 5, reason="delivery")
    lines = [stock.CountLine(variant, main, 8)]

    preview = stock.preview_count(tenant, lines)
    assert [(d.on_hand, d.counted, d.change) for d in preview] == [(5, 8, 3)]
    assert stock.stock_levels(tenant, variant)[0].on_hand == 5

    stock.apply_count(tenant, lines)
    assert stock.stock_levels(tenant, variant)[0].on_hand == 8
    assert stock.apply_count(tenant, lines) == []


def test_low_stock_list(tenant, variant):
    stock.set_low_stock_threshold(tenant, variant, 3)
    stock.adjust_stock(tenant, variant, 10, reason="delivery")
    assert stock.low_stock(tenant) == []

    stock.adjust_stock(tenant, variant, -7, reason="sold at fair", kind="sold")
    low = stock.low_stock(tenant)
    assert [(row[1], row[4]) for row in low] == [("TEA-1", 3)]
