"""The store's privacy page and its privacy request form."""

import falcon

from commerce import messages
from storefront_svc.forms import read_form, show_again_on_error


class StorePrivacy:
    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        self._views.render(req, resp, "store/privacy.html")


class PrivacyRequests:
    rate_limit = "privacy"

    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        sent = req.get_param_as_bool("sent", blank_as_true=False) or False
        self._views.render(
            req,
            resp,
            "store/privacy_request.html",
            sent=sent,
            kinds=messages.PRIVACY_KINDS,
        )

    def on_post(self, req, resp):
        fields = read_form(req)
        show_again_on_error(
            req,
            "store/privacy_request.html",
            fields,
            lambda: {"sent": False, "kinds": messages.PRIVACY_KINDS},
        )

        messages.record_privacy_request(req.context.tenant, fields)
        raise falcon.HTTPSeeOther("/privacy/requests?sent=1")
