"""Newsletter sign-up, its confirmation link and the unsubscribe link.

Both links open a page with a button rather than acting on the GET, so a mail
scanner that follows links neither confirms nor unsubscribes anybody.
"""

import logging
from urllib.parse import urlencode

import falcon

from commerce import newsletter
from storefront_svc.forms import read_form, read_id, show_again_on_error

log = logging.getLogger(__name__)


class NewsletterLinks:
    """Absolute links for newsletter mail, on the store's canonical address.

    NOTE: built from the configured address, never from the request's Host
    header, which a sender could set to poison the links in the mail.
    """

    def __init__(self, store_url, signer):
        self._store_url = store_url
        self._signer = signer

    def confirm(self, store):
        base = self._store_url(store.slug)
        return lambda token: f"{base}newsletter/confirm?{urlencode({'t': token})}"

    def unsubscribe(self, store):
        base = self._store_url(store.slug)

        def link(subscriber_id):
            sig = newsletter.unsubscribe_signature(self.key, store.id, subscriber_id)
            query = urlencode({"s": subscriber_id, "sig": sig})
            return f"{base}newsletter/unsubscribe?{query}"

        return link

    @property
    def key(self):
        return self._signer.keys[0]

    def check(self, store, subscriber_id, signature):
        return newsletter.check_unsubscribe_signature(
            self._signer.keys, store.id, subscriber_id, signature
        )


class Newsletter:
    rate_limit = "newsletter"

    def __init__(self, views, links):
        self._views = views
        self._links = links

    def on_get(self, req, resp):
        sent = req.get_param_as_bool("sent", blank_as_true=False) or False
        self._views.render(req, resp, "store/newsletter.html", sent=sent)

    def on_post(self, req, resp):
        fields = read_form(req)
        show_again_on_error(
            req, "store/newsletter.html", fields, lambda: {"sent": False}
        )

        store = req.context.store
        outcome = newsletter.subscribe(
            req.context.tenant,
            fields.get("email"),
            confirm_url=self._links.confirm(store),
        )
        log.info("store=%s newsletter sign-up: %s", store.id, outcome)
        raise falcon.HTTPSeeOther("/newsletter?sent=1")


class NewsletterConfirm:
    rate_limit = "newsletter"

    def __init__(self, views, links):
        self._views = views
        self._links = links

    def on_get(self, req, resp):
        token = req.get_param("t") or ""
        self._views.render(
            req, resp, "store/newsletter_confirm.html", token=token, done=False
        )

    def on_post(self, req, resp):
        fields = read_form(req)
        store = req.context.store
        newsletter.confirm(
            req.context.tenant,
            fields.get("t"),
            unsubscribe_url=self._links.unsubscribe(store),
        )
        self._views.render(
            req, resp, "store/newsletter_confirm.html", token="", done=True
        )


class NewsletterUnsubscribe:
    # The link's signature proves the request; mail clients' one-click
    # unsubscribe (RFC 8058) posts without our form token.
    csrf_exempt = True

    def __init__(self, views, links):
        self._views = views
        self._links = links

    def on_get(self, req, resp):
        subscriber_id, signature = self._verified(req, {})
        self._views.render(
            req,
            resp,
            "store/unsubscribe.html",
            done=False,
            subscriber_id=subscriber_id,
            sig=signature,
        )

    def on_post(self, req, resp):
        fields = read_form(req) if req.content_length else {}
        subscriber_id, _ = self._verified(req, fields)

        newsletter.unsubscribe(req.context.tenant, subscriber_id)
        self._views.render(
            req,
            resp,
            "store/unsubscribe.html",
            done=True,
            subscriber_id=subscriber_id,
            sig="",
        )

    def _verified(self, req, fields):
        """The subscriber id of a correctly signed link (form first, then query)."""
        given = {
            name: fields.get(name) or req.get_param(name) or "" for name in ("s", "sig")
        }
        subscriber_id = read_id(given, "s")
        if subscriber_id is None or not self._links.check(
            req.context.store, subscriber_id, given["sig"]
        ):
            raise falcon.HTTPNotFound(description="This unsubscribe link is not valid.")
        return subscriber_id, given["sig"]
