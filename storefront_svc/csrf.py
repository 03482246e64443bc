"""CSRF protection for every form post: a signed double-submit token.

The browser holds a random value in a host-only, HttpOnly, SameSite=Lax
cookie; each form carries an HMAC of that value and the store's id. A post is
accepted only when the field matches the cookie it came with. A page on
another site cannot read the cookie, and a sibling subdomain that plants a
cookie of its own cannot compute the matching field without our key.

The cookie is set only when a page actually renders a form, so browsing the
catalogue sets none. Resources that prove the sender another way (webhooks'
signatures, signed unsubscribe links) set ``csrf_exempt = True``.
"""

import re
import secrets

from storefront_svc.errors import CsrfRejected
from storefront_svc.forms import read_form

COOKIE = "csrf"
FIELD = "csrf_token"
_SEED = re.compile(r"[A-Za-z0-9_-]{43}")


class CsrfToken:
    """One browser's token for one site; remembers whether a page used it."""

    def __init__(self, signer, seed, scope):
        self.is_new = seed is None
        self.seed = seed or secrets.token_urlsafe(32)
        self.used = False
        self._signer = signer
        self._scope = scope

    def token(self):
        self.used = True
        return self._signer.sign(f"{self._scope}:{self.seed}")

    def accepts(self, given):
        return not self.is_new and self._signer.verify(
            f"{self._scope}:{self.seed}", given or ""
        )


class CsrfGuard:
    """Middleware: a token per request, checked on every non-exempt POST."""

    def __init__(self, signer, *, secure):
        self._signer = signer
        self._secure = secure

    def process_request(self, req, resp):
        seed = req.cookies.get(COOKIE)
        if seed is not None and not _SEED.fullmatch(seed):
            seed = None
        store = req.context.get("store")
        scope = f"store:{store.id}" if store else "platform"
        req.context.csrf = CsrfToken(self._signer, seed, scope)

    def process_resource(self, req, resp, resource, params):
        if req.method != "POST" or resource is None:
            return
        if getattr(resource, "csrf_exempt", False):
            return
        if not req.context.csrf.accepts(read_form(req).get(FIELD)):
            raise CsrfRejected()

    def process_response(self, req, resp, resource, req_succeeded):
        csrf = req.context.get("csrf")
        if csrf is None or not (csrf.is_new and csrf.used):
            return
        resp.set_cookie(
            COOKIE,
            csrf.seed,
            path="/",
            secure=self._secure,
            http_only=True,
            same_site="Lax",
        )
