"""What reaches a provider: the chosen product fields, never shoppers or secrets.

The privacy policy promises AI providers "only the content you submit for
processing". Shopper data is seeded where it lives (orders, contact
messages, newsletter sign-ups) and every secret the platform holds is
collected; no request body the stub captures may contain any of them.
"""

import base64

from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from commerce import descriptions as service
from commerce.descriptions.request import Options
from tests.commerce.descriptions.conftest import TEST_KEYS, add_photo, make_product

SHOPPER = {
    "email": "jane.shopper@example.net",
    "name": "Jane Q. Shopper",
    "phone": "+44 7700 900123",
    "street": "42 Wallaby Way",
    "city": "Sydneyville",
    "message": "Please call me about my order, my card ends 4242",
    "subscriber": "news.reader@example.org",
}


def seed_shoppers(tenant):
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO orders (number, token, source, currency, email,
                   customer_name, phone, shipping_address, note)
               VALUES ('1001', 'tok-privacy', 'storefront', 'USD', %s, %s, %s, %s,
                       %s)""",
            (SHOPPER["email"], SHOPPER["name"], SHOPPER["phone"],
             Jsonb({"line1": SHOPPER["street"], "city": SHOPPER["city"]}),
             SHOPPER["message"]),
        )  # fmt: skip
        conn.execute(
            """INSERT INTO contact_messages (name, email, subject, body)
               VALUES (%s, %s, 'Order', %s)""",
            (SHOPPER["name"], SHOPPER["email"], SHOPPER["message"]),
        )
        conn.execute(
            "INSERT INTO newsletter_subscribers (email) VALUES (%s)",
            (SHOPPER["subscriber"],),
        )


def secrets_of(platform, tenant, own_key):
    password = conninfo_to_dict(platform.store_dsn(tenant.store))["password"]
    master = [
        base64.b64encode(platform.keyring._keys[kid]).decode()
        for kid in platform.keyring.key_ids
    ]
    return [*TEST_KEYS.values(), own_key, password, *master]


def test_no_shopper_data_or_secret_reaches_any_provider(
    shop, stub, ai_settings, platform
):
    seed_shoppers(shop)
    product_id = make_product(shop, "Linen Apron", description_html="<p>Soft.</p>")
    add_photo(shop, product_id)
    own_key = "AIza-store-own-google-key-5550"
    service.set_store_ai_key(platform, shop.id, "google", own_key)
    service.set_brand_voice(shop, "Calm and practical.")

    everything = Options(fields=("title", "vendor", "product_type", "tags",
                                 "options", "description", "price"))  # fmt: skip
    for writer in ("anthropic", "openai", "google"):
        service.generate_for_product(
            shop, product_id, everything, writer=writer, settings=ai_settings
        )

    bodies = [r.body.decode() for r in stub.requests]
    assert len(bodies) == 3
    forbidden = [*SHOPPER.values(), *secrets_of(platform, shop, own_key)]
    for body in bodies:
        assert "Linen Apron" in body and "Calm and practical." in body
        for value in forbidden:
            assert value not in body


def test_fields_the_owner_did_not_choose_are_not_sent(shop, stub, ai_settings):
    product_id = make_product(shop, "Oak Board", vendor="Secret Supplier Ltd")

    service.generate_for_product(
        shop, product_id, Options(fields=("title", "tags")), settings=ai_settings
    )

    [request] = stub.requests
    body = request.body.decode()
    assert "Oak Board" in body and "kitchen" in body
    for absent in ("Secret Supplier", "Colour", "18.00", "Hand thrown", "Mug"):
        assert absent not in body
