"""Checkout: reserving stock in the order's transaction, paying, expiring."""

import threading
from datetime import UTC, datetime, timedelta

import pytest

from commerce import checkout, stock
from commerce.errors import InsufficientStock, InvalidInput
from tests.storefront_svc.conftest import CUSTOMER, add_product


def level(tenant, variant_id):
    (found,) = stock.stock_levels(tenant, variant_id)
    return found.on_hand, found.reserved


def held(tenant, order_id):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT status, sum(quantity)::int FROM reservations
               WHERE order_id = %s GROUP BY status""",
            (order_id,),
        ).fetchall()


def test_placing_an_order_reserves_its_stock_in_the_same_transaction(shop):
    green = stock.stock_levels(shop)[0].variant_id
    order = checkout.place_order(shop, {green: 3}, checkout.check_customer(CUSTOMER))

    assert order.status == "pending" and order.awaiting_payment
    assert (
        order.total
        == order.subtotal
        == 3 * checkout.price_cart(shop, {green: 1}).lines[0].unit_price
    )
    assert [(line.sku, line.quantity) for line in order.lines] == [("TEA-G", 3)]
    assert level(shop, green) == (10, 3)
    assert held(shop, order.id) == [("held", 3)]
    assert order.expires_at - order.placed_at == checkout.HOLD


def test_more_than_available_is_refused_and_nothing_is_written(shop):
    green = stock.stock_levels(shop)[0].variant_id
    black = stock.stock_levels(shop)[1].variant_id

    with pytest.raises(InsufficientStock) as refused:
        checkout.place_order(
            shop, {green: 1, black: 3}, checkout.check_customer(CUSTOMER)
        )
    assert (refused.value.sku, refused.value.available) == ("TEA-B", 2)
    assert level(shop, green) == (10, 0)
    with shop.connection() as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_reserved_units_are_not_available_to_the_next_shopper(shop):
    black = stock.stock_levels(shop)[1].variant_id
    customer = checkout.check_customer(CUSTOMER)
    checkout.place_order(shop, {black: 2}, customer)

    with pytest.raises(InsufficientStock):
        checkout.place_order(shop, {black: 1}, customer)
    assert not checkout.price_cart(shop, {black: 1}).ready


def test_concurrent_checkouts_of_the_last_units_sell_exactly_those(make_store):
    tenant = make_store()
    variant = add_product(tenant, "Last Ones", "10", 3, sku="LAST")
    customer = checkout.check_customer(CUSTOMER)
    start = threading.Barrier(12)
    outcomes = []

    def buy():
        start.wait()
        try:
            checkout.place_order(tenant, {variant: 1}, customer)
            outcomes.append("ok")
        except InsufficientStock:
            outcomes.append("refused")

    threads = [threading.Thread(target=buy) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 9
    assert level(tenant, variant) == (3, 3)


def test_paying_turns_the_reservation_into_a_sale(shop):
    green = stock.stock_levels(shop)[0].variant_id
    order = checkout.place_order(shop, {green: 4}, checkout.check_customer(CUSTOMER))

    paid = checkout.pay_manually(shop, order.token, order_url="http://x/orders/t")
    assert paid.status == "paid" and paid.payment_provider == "manual"
    assert level(shop, green) == (6, 0)
    assert held(shop, order.id) == [("sold", 4)]
    kinds = [(m[2], m[3], m[6]) for m in stock.movements(shop, green)]
    assert kinds[0] == ("sold", -4, order.number)

    again = checkout.pay_manually(shop, order.token)
    assert again.status == "paid" and level(shop, green) == (6, 0)
    with shop.connection() as conn:
        mails = conn.execute(
            "SELECT kind, recipient FROM outbox ORDER BY id"
        ).fetchall()
    assert ("order_paid", "ada@example.com") in mails
    assert any(kind == "order_owner" for kind, _ in mails)


def test_abandoned_reservations_expire_and_return_the_stock(shop):
    green = stock.stock_levels(shop)[0].variant_id
    placed = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    order = checkout.place_order(
        shop, {green: 5}, checkout.check_customer(CUSTOMER), now=placed
    )

    assert checkout.expire_reservations(shop, placed + timedelta(minutes=29)) == 0
    assert level(shop, green) == (10, 5)
    assert checkout.expire_reservations(shop, placed + timedelta(minutes=31)) == 1
    assert level(shop, green) == (10, 0)
    assert held(shop, order.id) == [("released", 5)]
    assert checkout.get_order(shop, order.token).status == "expired"

    with pytest.raises(InvalidInput, match="expired"):
        checkout.pay_manually(shop, order.token, now=placed + timedelta(hours=1))
    assert level(shop, green) == (10, 0)


def test_a_checkout_expires_old_reservations_first(shop):
    black = stock.stock_levels(shop)[1].variant_id
    customer = checkout.check_customer(CUSTOMER)
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    checkout.place_order(shop, {black: 2}, customer, now=long_ago)

    order = checkout.place_order(shop, {black: 2}, customer)
    assert order.status == "pending"
    assert level(shop, black) == (2, 2)


def test_variants_that_keep_selling_may_be_ordered_beyond_stock(make_store):
    tenant = make_store()
    variant = add_product(
        tenant, "Made to order", "50", 0, sku="MTO", continue_selling=True
    )
    order = checkout.place_order(
        tenant, {variant: 2}, checkout.check_customer(CUSTOMER)
    )
    checkout.pay_manually(tenant, order.token)
    assert level(tenant, variant) == (-2, 0)


def test_unpublished_or_unknown_items_are_not_sold(shop):
    with shop.connection() as conn:
        secret = conn.execute("SELECT id FROM variants WHERE sku = 'TEA-S'").fetchone()[
            0
        ]
    customer = checkout.check_customer(CUSTOMER)

    with pytest.raises(InvalidInput, match="no longer for sale"):
        checkout.place_order(shop, {secret: 1}, customer)
    with pytest.raises(InvalidInput, match="empty"):
        checkout.place_order(shop, {}, customer)
    cart = checkout.price_cart(shop, {secret: 1, 999999: 2})
    assert cart.lines == () and set(cart.dropped) == {secret, 999999}


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("email", "not-an-address", "does not look like an email"),
        ("name", "   ", "is required"),
        ("postal_code", "x" * 21, "at most 20"),
    ],
)
def test_customer_details_are_checked_field_by_field(field, value, problem):
    with pytest.raises(InvalidInput, match=problem) as refused:
        checkout.check_customer({**CUSTOMER, field: value})
    assert refused.value.field == field


def test_cart_arithmetic_caps_quantities_and_lines():
    cart = checkout.add_to_cart({}, 1, 98)
    cart = checkout.add_to_cart(cart, 1, 5)
    assert cart == {1: checkout.MAX_QUANTITY}
    assert checkout.set_quantity(cart, 1, 0) == {}
    assert checkout.set_quantity(cart, 2, 3) == cart

    full = {n: 1 for n in range(1, checkout.MAX_LINES + 1)}
    with pytest.raises(InvalidInput, match="at most"):
        checkout.add_to_cart(full, 10_000, 1)
    with pytest.raises(InvalidInput, match="whole number"):
        checkout.parse_quantity("two")
