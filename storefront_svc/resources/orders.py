"""An order's status page and its payment step.

The address holds the order's random token, which is the only thing that
lets a shopper see the order: there are no accounts.
"""

import falcon

from commerce import checkout, payments
from storefront_svc.forms import read_form, show_again_on_error


class Orders:
    def __init__(self, views, store_url, providers):
        self._views = views
        self._store_url = store_url
        self._providers = providers

    def on_get(self, req, resp, token):
        order = checkout.get_order(req.context.tenant, token)
        methods = self._providers.enabled(req.context.store.id)
        self._views.render(req, resp, "store/order.html", order=order, methods=methods)
        # The address is a secret: keep it out of Referer headers and indexes.
        resp.set_header("Referrer-Policy", "no-referrer")
        resp.set_header("X-Robots-Tag", "noindex")

    def on_post_payment(self, req, resp, token):
        tenant = req.context.tenant
        methods = self._providers.enabled(req.context.store.id)
        url = f"{self._store_url(req.context.store.slug)}orders/{token}"
        show_again_on_error(
            req,
            "store/order.html",
            {},
            lambda: {"order": checkout.get_order(tenant, token), "methods": methods},
        )

        method = read_form(req).get("method") or methods[0]
        if method == "manual" and "manual" in methods:
            checkout.pay_manually(tenant, token, order_url=url)
            raise falcon.HTTPSeeOther(f"/orders/{token}")
        raise falcon.HTTPSeeOther(
            payments.start_checkout(tenant, token, method, self._providers)
        )
