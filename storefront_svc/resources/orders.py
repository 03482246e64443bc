"""An order's status page and its payment step.

The address holds the order's random token, which is the only thing that
lets a shopper see the order: there are no accounts.
"""

import falcon

from commerce import checkout
from storefront_svc.forms import show_again_on_error


class Orders:
    def __init__(self, views, store_url):
        self._views = views
        self._store_url = store_url

    def on_get(self, req, resp, token):
        order = checkout.get_order(req.context.tenant, token)
        self._views.render(req, resp, "store/order.html", order=order)
        # The address is a secret: keep it out of Referer headers and indexes.
        resp.set_header("Referrer-Policy", "no-referrer")
        resp.set_header("X-Robots-Tag", "noindex")

    def on_post_payment(self, req, resp, token):
        # TODO(#5): offer the providers the owner enabled; manual payment is
        # what completes an order until they exist.
        tenant = req.context.tenant
        url = f"{self._store_url(req.context.store.slug)}orders/{token}"
        show_again_on_error(
            req,
            "store/order.html",
            {},
            lambda: {"order": checkout.get_order(tenant, token)},
        )

        checkout.pay_manually(tenant, token, order_url=url)
        raise falcon.HTTPSeeOther(f"/orders/{token}")
