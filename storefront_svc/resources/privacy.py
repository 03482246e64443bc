"""The store's privacy page, privacy requests, their codes and downloads.

The form and its JSON twin answer the same whether or not the store knows the
address: both only ever say that a code was sent if the address is right.
"""

import falcon

from commerce import privacy
from commerce.errors import InvalidInput
from commerce.messages import PRIVACY_KINDS
from storefront_svc.forms import read_form, show_again_on_error


class StorePrivacy:
    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        self._views.render(req, resp, "store/privacy.html")


class PrivacyRequests:
    """The request form, and the page where the emailed code is entered."""

    rate_limit = "privacy"

    def __init__(self, views):
        self._views = views

    def on_get(self, req, resp):
        self._views.render(req, resp, "store/privacy_request.html", kinds=PRIVACY_KINDS)

    def on_post(self, req, resp):
        fields = read_form(req)
        show_again_on_error(
            req, "store/privacy_request.html", fields, lambda: {"kinds": PRIVACY_KINDS}
        )

        token = privacy.open_request(
            req.context.tenant,
            fields.get("kind"),
            fields.get("email"),
            fields.get("details"),
            req.context.get("client_ip"),
        )
        raise falcon.HTTPSeeOther(f"/privacy/requests/{token}")

    def on_get_request(self, req, resp, token):
        self._views.render(req, resp, "store/privacy_verify.html", token=token)

    def on_post_request(self, req, resp, token):
        fields = read_form(req)
        show_again_on_error(
            req, "store/privacy_verify.html", fields, lambda: {"token": token}
        )

        verified = privacy.verify_request(req.context.tenant, token, fields.get("code"))
        self._views.render(
            req,
            resp,
            "store/privacy_verified.html",
            kind=verified.kind,
            due=verified.due,
        )

    def on_get_download(self, req, resp, token):
        package = privacy.download_package(req.context.tenant, token)

        resp.content_type = "application/zip"
        resp.downloadable_as = package.filename
        resp.cache_control = ["private", "no-store"]
        resp.data = package.data


class PrivacyRequestsJson:
    """The same requests for scripts: JSON in, JSON out, no form token.

    NOTE: exempt from the form token because no cookie is read or set here; a
    cross-site page can only make the store email a code to an address.
    """

    # TODO(#9): also answer JSON on /privacy/requests itself when the client
    # sends Accept: application/json; CsrfGuard exempts whole resources only,
    # so that needs a per-request exemption in storefront_svc/csrf.py.

    rate_limit = "privacy"
    csrf_exempt = True

    def on_post(self, req, resp):
        body = _json_body(req)

        try:
            token = privacy.open_request(
                req.context.tenant,
                body.get("kind"),
                body.get("email"),
                body.get("details"),
                req.context.get("client_ip"),
            )
        except InvalidInput as exc:
            _refused(resp, exc)
            return
        resp.status = falcon.HTTP_202
        resp.media = {
            "status": "code_sent_if_address_is_right",
            "verify": f"/privacy/requests.json/{token}",
        }

    def on_post_request(self, req, resp, token):
        body = _json_body(req)

        try:
            verified = privacy.verify_request(
                req.context.tenant, token, str(body.get("code") or "")
            )
        except InvalidInput as exc:
            _refused(resp, exc)
            return
        resp.media = {
            "status": "verified",
            "kind": verified.kind,
            "due": verified.due.isoformat(),
        }


def _json_body(req):
    body = req.get_media(default_when_empty={})
    if not isinstance(body, dict):
        raise falcon.HTTPBadRequest(description="Send a JSON object.")
    return {k: v if isinstance(v, str | None) else str(v) for k, v in body.items()}


def _refused(resp, exc):
    resp.status = falcon.HTTP_400
    resp.media = {"error": "invalid", "field": exc.field, "problem": exc.problem}
