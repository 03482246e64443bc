"""The card form: Clover's hosted card fields, then a plan charged to the card.

Card numbers never reach our servers. The page loads Clover's iframe SDK
with the platform's public (PAKMS) key; Clover's own fields turn the card
into a single-use token in the browser, and only that token is posted here,
with the session's CSRF token. ``tenancy.billing.subscribe`` then saves the
card on file at Clover and starts the subscription.

The page has its own Content-Security-Policy: the dashboard's, plus Clover's
SDK origin for the script and the card frames.
"""

import logging
from pathlib import Path
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin_app.routes import (
    FormRefused,
    _checked_form,
    _form,
    _no_store,
    _sentence,
)
from admin_app.runtime import SESSION_COOKIE
from tenancy import SessionInvalid, TenancyError, billing, sessions
from tenancy import profile as profiles

log = logging.getLogger(__name__)

SCRIPT = "card.js"


class BillingRoutes:
    """``/billing/card`` (the form) and ``/billing/card.js`` (its script)."""

    def __init__(self, platform):
        self.platform = platform

    def routes(self):
        return [
            Route("/billing/card", self.card, methods=["GET", "POST"]),
            Route("/billing/card.js", self.script, methods=["GET"]),
        ]

    async def script(self, request):
        path = Path(__file__).with_name("static") / SCRIPT
        response = Response(path.read_text(), media_type="text/javascript")
        response.headers["cache-control"] = "no-cache"
        return response

    async def card(self, request):
        found = await run_in_threadpool(
            self._owner, request.cookies.get(SESSION_COOKIE)
        )
        if found is None:
            return _no_store(RedirectResponse("/auth/login", status_code=303))
        session, stores = found
        form = await run_in_threadpool(billing.card_form, self.platform)
        plans = await run_in_threadpool(billing.list_plans, self.platform)
        paid = [p for p in plans if p.paid]
        page = {"clover": form, "plans": paid, "stores": stores}
        title = "Card for your plan"

        if form is None:
            error = "Billing is not set up on this platform yet."
            return self._page(request, session, title, page, status=503, error=error)
        if request.method == "GET":
            wanted = request.query_params.get("plan", "")
            return self._page(request, session, title, page, chosen=wanted)

        try:
            sent = await _checked_form(request, expected=session.csrf_token)
        except FormRefused as exc:
            return self._page(request, session, title, page, status=403,
                              error=str(exc))  # fmt: skip
        error = _invalid(sent, paid, stores)
        if error:
            return self._page(request, session, title, page, status=400,
                              error=error, chosen=sent.get("plan", ""))  # fmt: skip
        try:
            await run_in_threadpool(
                self._subscribe, int(sent["store"]), sent["plan"], sent["token"],
                session.account_id,
            )  # fmt: skip
        except TenancyError as exc:
            return self._page(request, session, title, page, status=400,
                              error=_sentence(exc), chosen=sent["plan"])  # fmt: skip
        return _no_store(RedirectResponse("/billing?done=card", status_code=303))

    def _owner(self, token):
        """(session, owned stores) for an owner's live session, else None."""
        if not token:
            return None
        try:
            with self.platform.registry() as conn:
                session = sessions.check_session(conn, token)
        except SessionInvalid:
            return None
        if session.account_id is None:
            return None
        stores = [s for s in profiles.owned_stores(self.platform, session.account_id)
                  if s.status in ("active", "suspended")]  # fmt: skip
        return session, stores

    def _subscribe(self, store_id, plan, token, account_id):
        clover = billing.client(self.platform)
        try:
            billing.subscribe(
                self.platform, store_id, plan, clover=clover, card_token=token,
                actor=f"account:{account_id}",
            )  # fmt: skip
        finally:
            clover.close()

    def _page(self, request, session, title, page, *, status=200, **values):
        response = _form(request, "card.html", title, status=status,
                         csrf_token=session.csrf_token, **page, **values)  # fmt: skip
        if page["clover"]:
            response.headers["content-security-policy"] = _policy(
                page["clover"]["sdk_url"]
            )
        return response


def _invalid(sent, plans, stores):
    if sent.get("plan") not in {p.code for p in plans}:
        return "Choose one of the paid plans."
    if not sent.get("store", "").isdigit() or int(sent["store"]) not in {
        s.id for s in stores
    }:
        return "Choose one of your stores."
    token = sent.get("token", "")
    if not token or len(token) > 200:
        return "The card was not read; fill in the card fields and try again."
    return None


def _policy(sdk_url):
    """The dashboard's policy with Clover's SDK origin allowed for the card."""
    parts = urlsplit(sdk_url)
    clover = f"{parts.scheme}://{parts.netloc}"
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' {clover}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        f"connect-src 'self' {clover} https://*.clover.com",
        f"frame-src {clover} https://*.clover.com",
        "frame-ancestors 'self'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ))  # fmt: skip
