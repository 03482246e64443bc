"""Checkout: the shopper's details, then a pending order holding its stock."""

import falcon

from commerce import checkout
from storefront_svc.forms import read_form, show_again_on_error


class Checkout:
    rate_limit = "checkout"

    def __init__(self, views, cart_cookie, hold):
        self._views = views
        self._cookie = cart_cookie
        self._hold = hold

    def on_get(self, req, resp):
        cart = checkout.price_cart(req.context.tenant, self._cookie.read(req))
        if not cart.lines:
            raise falcon.HTTPSeeOther("/cart")
        self._views.render(req, resp, "store/checkout.html", cart=cart)

    def on_post(self, req, resp):
        tenant = req.context.tenant
        fields = read_form(req)
        items = self._cookie.read(req)
        show_again_on_error(
            req,
            "store/checkout.html",
            fields,
            lambda: {"cart": checkout.price_cart(tenant, items)},
        )

        customer = checkout.check_customer(fields)
        order = checkout.place_order(tenant, items, customer, hold=self._hold)

        self._cookie.write(req, resp, {})
        raise falcon.HTTPSeeOther(f"/orders/{order.token}")
