"""The contact form: a message kept for the owner, who is told by mail."""

import falcon

from commerce import messages
from storefront_svc.forms import read_form, show_again_on_error


class Contact:
    rate_limit = "contact"

    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        sent = req.get_param_as_bool("sent", blank_as_true=False) or False
        self._views.render(req, resp, "store/contact.html", sent=sent)

    def on_post(self, req, resp):
        fields = read_form(req)
        show_again_on_error(req, "store/contact.html", fields, lambda: {"sent": False})

        messages.send_contact_message(req.context.tenant, fields)
        raise falcon.HTTPSeeOther("/contact?sent=1")
