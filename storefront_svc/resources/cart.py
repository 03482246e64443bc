"""The cart page: see the cart, add to it, change or remove a line."""

import falcon

from commerce import checkout
from commerce.errors import InvalidInput
from storefront_svc.forms import read_form, read_id


class Cart:
    def __init__(self, views, cart_cookie):
        self._views = views
        self._cookie = cart_cookie

    def on_get(self, req, resp):
        cart = checkout.price_cart(req.context.tenant, self._cookie.read(req))
        self._views.render(req, resp, "store/cart.html", cart=cart)

    def on_post(self, req, resp):
        fields = read_form(req)
        items = self._cookie.read(req)
        variant_id = read_id(fields, "variant_id")
        if variant_id is None:
            raise InvalidInput("variant_id", "is not an item of this store")

        action = fields.get("action", "add")
        if action == "add":
            quantity = checkout.parse_quantity(fields.get("quantity", "1"))
            items = checkout.add_to_cart(items, variant_id, quantity)
        elif action == "update":
            quantity = checkout.parse_quantity(
                fields.get("quantity", "0"), allow_zero=True
            )
            items = checkout.set_quantity(items, variant_id, quantity)
        elif action == "remove":
            items = checkout.set_quantity(items, variant_id, 0)
        else:
            raise InvalidInput("action", "must be add, update or remove")

        self._cookie.write(req, resp, items)
        raise falcon.HTTPSeeOther("/cart")
