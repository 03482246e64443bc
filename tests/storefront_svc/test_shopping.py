"""Cart, checkout and order pages through the app, as a shopper uses them."""

import re

from commerce import catalogue, stock
from storefront_svc.cart import COOKIE
from tests.storefront_svc.conftest import CUSTOMER, Shopper, host_of


def variant(shop, sku):
    return catalogue.find_variant(shop, sku)


def add(shopper, variant_id, quantity=1):
    return shopper.post(
        "/cart", {"action": "add", "variant_id": variant_id, "quantity": quantity}
    )


def test_the_cart_adds_updates_and_removes(shopper, shop):
    shopper.get("/products/green-tea")
    green, black = variant(shop, "TEA-G"), variant(shop, "TEA-B")

    assert add(shopper, green, 2).status_code == 303
    add(shopper, black)
    cart = shopper.get("/cart")
    assert "Green Tea" in cart.text and "Black Tea" in cart.text
    assert "14.00 USD" in cart.text  # 2 x 4.50 + 5.00
    assert "(3<span" in cart.text

    shopper.post("/cart", {"action": "update", "variant_id": green, "quantity": 5})
    shopper.post("/cart", {"action": "remove", "variant_id": black})
    cart = shopper.get("/cart")
    assert "Black Tea" not in cart.text and "22.50 USD" in cart.text
    cookie = shopper.client.simulate_get(
        "/cart", host=shopper.host, cookies=shopper.cookies
    )
    assert cookie.status_code == 200


def test_more_than_in_stock_is_flagged_before_checkout(shopper, shop):
    shopper.get("/products/black-tea")
    add(shopper, variant(shop, "TEA-B"), 5)
    cart = shopper.get("/cart")
    assert "Only 2 left" in cart.text and "/checkout" not in cart.text


def test_bad_cart_input_names_the_field(shopper, shop):
    shopper.get("/products/green-tea")
    green = variant(shop, "TEA-G")
    refused = add(shopper, green, "lots")
    assert refused.status_code == 400 and "Quantity must be a whole number" in (
        refused.text
    )
    assert add(shopper, "abc").status_code == 400
    assert add(shopper, 10**30).status_code == 400
    odd = shopper.post("/cart", {"action": "steal", "variant_id": green})
    assert odd.status_code == 400 and "Action must be" in odd.text


def test_a_tampered_or_foreign_cart_cookie_is_ignored(client, shop, make_store):
    shopper = Shopper(client, host_of(shop))
    shopper.get("/products/green-tea")
    add(shopper, variant(shop, "TEA-G"), 2)
    cookie = shopper.cookies[COOKIE]

    body, _, signature = cookie.rpartition(".")
    forged = Shopper(client, host_of(shop))
    forged.cookies[COOKIE] = body + "." + signature[::-1]
    assert "Your cart is empty" in forged.get("/cart").text

    other = make_store()
    elsewhere = Shopper(client, host_of(other))
    elsewhere.cookies[COOKIE] = cookie
    assert "Your cart is empty" in elsewhere.get("/cart").text


def test_checkout_reserves_then_manual_payment_completes(shopper, shop):
    green = variant(shop, "TEA-G")
    shopper.get("/products/green-tea")
    add(shopper, green, 3)
    form = shopper.get("/checkout")
    assert form.status_code == 200 and 'autocomplete="postal-code"' in form.text

    placed = shopper.post("/checkout", CUSTOMER)
    assert placed.status_code == 303
    order_path = placed.headers["location"]
    assert re.fullmatch(r"/orders/[\w-]{32}", order_path)
    assert COOKIE not in shopper.cookies
    (level,) = stock.stock_levels(shop, green)
    assert (level.on_hand, level.reserved) == (10, 3)

    page = shopper.get(order_path)
    assert "Waiting for payment" in page.text and "Manual payment" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    paid = shopper.post(order_path + "/payment", {"method": "manual"})
    assert paid.status_code == 303 and paid.headers["location"] == order_path
    assert "Paid" in shopper.get(order_path).text
    (level,) = stock.stock_levels(shop, green)
    assert (level.on_hand, level.reserved) == (7, 0)


def test_a_provider_connected_meanwhile_is_offered_at_once(shopper, shop, platform):
    from commerce.payments import configure_provider

    shopper.get("/products/green-tea")
    add(shopper, variant(shop, "TEA-G"))
    shopper.get("/checkout")
    order_path = shopper.post("/checkout", CUSTOMER).headers["location"]
    assert "Complete order with manual payment" in shopper.get(order_path).text

    stripe = {"secret_key": "sk_test_0123456789abcdef", "webhook_secret": "whsec_1"}
    configure_provider(platform, shop.id, "stripe", stripe)

    # The app caches stores for store_cache_seconds, which the tests set to 0.
    assert "Pay with Stripe" in shopper.get(order_path).text


def test_checkout_errors_show_the_form_again_with_the_input(shopper, shop):
    shopper.get("/products/green-tea")
    add(shopper, variant(shop, "TEA-B"), 2)
    shopper.get("/checkout")

    bad = shopper.post("/checkout", {**CUSTOMER, "email": "nope"})
    assert bad.status_code == 400
    assert "Email does not look like an email address" in bad.text
    assert 'value="Ada Shopper"' in bad.text and 'aria-invalid="true"' in bad.text

    # Someone else buys the last two while this shopper fills in the form.
    stock.adjust_stock(
        shop, variant(shop, "TEA-B"), -1, reason="sold in shop", kind="sold"
    )
    short = shopper.post("/checkout", CUSTOMER)
    assert short.status_code == 409 and "only 1 of TEA-B left" in short.text
    with shop.connection() as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_an_empty_cart_goes_back_to_the_cart(shopper):
    result = shopper.get("/checkout")
    assert result.status_code == 303 and result.headers["location"].endswith("/cart")


def test_an_unknown_order_token_is_not_found(shopper):
    assert shopper.get("/orders/not-a-real-token").status_code == 404
    shopper.get("/contact")
    assert shopper.post("/orders/not-a-real-token/payment").status_code == 404


def test_paying_an_expired_order_shows_the_order_again(shopper, shop):
    from datetime import UTC, datetime, timedelta

    from commerce import checkout

    green = variant(shop, "TEA-G")
    long_ago = datetime.now(UTC) - timedelta(hours=3)
    order = checkout.place_order(
        shop, {green: 1}, checkout.check_customer(CUSTOMER), now=long_ago
    )
    shopper.get(f"/orders/{order.token}")

    refused = shopper.post(f"/orders/{order.token}/payment", {"method": "manual"})
    assert refused.status_code == 400
    assert "Order is expired and can no longer be paid" in refused.text
    assert "Expired: it was not paid in time" in refused.text
