"""Sign-up, log-in, log-out and password reset as ordinary HTTP routes.

They are routes of the ASGI app, not Streamlit pages, so they can set the
session cookie themselves: HttpOnly (no script can read it), SameSite=Lax,
and Secure when the request came over HTTPS. The session behind it lives in
the registry (``tenancy.sessions``), so logging out or changing the password
ends it everywhere.

Every form carries a CSRF token. Before login it is a double-submit token: a
random value in a SameSite=Strict cookie (``__Host-`` prefixed over HTTPS, so
a sibling subdomain cannot plant one) that the form must repeat. After login
(the log-out form) it is the session's own token from the registry. A post
whose ``Origin`` names another site is refused as well.
"""

import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.routing import Route

from admin_app.runtime import SESSION_COOKIE
from tenancy import (
    AuthenticationFailed,
    DatabaseUnavailable,
    InvalidSlug,
    ProvisioningFailed,
    RateLimited,
    SessionInvalid,
    StoreExists,
    passwords,
    sessions,
    support,
)
from tenancy import profile as profiles

log = logging.getLogger(__name__)

CSRF_COOKIE = "apmt_csrf"
RESET_COOKIE = "apmt_reset"
MAX_FORM_BYTES = 16 * 1024
SESSION_MAX_AGE = int(sessions.SESSION_LIFETIME.total_seconds())
RESET_MAX_AGE = int(profiles.RESET_LIFETIME.total_seconds())
TRY_LATER = "Something went wrong on our side; please try again in a few minutes."

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
)


class FormRefused(Exception):
    """A post that is not a genuine submission of our form."""


class AuthRoutes:
    """The ``/auth/*`` endpoints, sharing one platform and its settings."""

    def __init__(self, platform, settings):
        self.platform = platform
        self.settings = settings

    def routes(self):
        both = ["GET", "POST"]
        return [
            Route("/auth/login", self.login, methods=both),
            Route("/auth/staff/login", self.staff_login, methods=both),
            Route("/auth/signup", self.signup, methods=both),
            Route("/auth/logout", self.logout, methods=both),
            Route("/auth/reset", self.reset_request, methods=both),
            Route("/auth/reset/confirm", self.reset_confirm, methods=["GET"]),
            Route("/auth/reset/new", self.reset_new, methods=both),
        ]

    # -- log in -----------------------------------------------------------------

    async def login(self, request):
        return await self._login(request, staff=False)

    async def staff_login(self, request):
        return await self._login(request, staff=True)

    async def _login(self, request, *, staff):
        title = "Staff log in" if staff else "Log in to your store"
        page = dict(action=request.url.path, staff=staff, email="")
        if request.method == "GET":
            notice = {
                "reset": "Your password was changed; log in with it.",
                "out": "You are logged out.",
            }.get(request.query_params.get("done", ""))
            return _form(request, "login.html", title, notice=notice, **page)

        try:
            form = await _checked_form(request)
        except FormRefused as exc:
            return _form(
                request, "login.html", title, error=str(exc), status=403, **page
            )
        email = form.get("email", "")[:254]
        password = form.get("password", "")[: passwords.MAX_LENGTH]
        client, agent = _client(request), request.headers.get("user-agent", "")

        try:
            if staff:
                session = await run_in_threadpool(
                    support.log_in_staff,
                    self.platform,
                    email,
                    password,
                    client=client,
                    user_agent=agent,
                )
            else:
                session = await run_in_threadpool(
                    self._owner_log_in, email, password, client, agent
                )
        except (AuthenticationFailed, RateLimited) as exc:
            error = _sentence(exc)
            return _form(
                request,
                "login.html",
                title,
                error=error,
                status=401,
                **{**page, "email": email},
            )
        except DatabaseUnavailable:
            log.exception("login failed: registry unavailable")
            return _form(
                request, "login.html", title, error=TRY_LATER, status=503, **page
            )
        return _signed_in(request, session.token)

    def _owner_log_in(self, email, password, client, agent):
        with self.platform.registry_connection() as conn:
            session = sessions.log_in(
                conn, email, password, client=client, user_agent=agent
            )
            conn.commit()
        return session

    # -- sign up ----------------------------------------------------------------

    async def signup(self, request):
        title = "Open your store"
        page = dict(
            base_domain=self.platform.config.base_domain,
            min_password=passwords.MIN_LENGTH,
        )
        if request.method == "GET":
            return _form(request, "signup.html", title, form={}, **page)

        try:
            form = await _checked_form(request)
        except FormRefused as exc:
            return _form(
                request,
                "signup.html",
                title,
                error=str(exc),
                form={},
                status=403,
                **page,
            )
        fields = {
            name: form.get(name, "")[:254]
            for name in ("owner_name", "email", "business_name", "slug")
        }
        request_ = profiles.SignUp(
            **fields, password=form.get("password", "")[: passwords.MAX_LENGTH]
        )

        try:
            done = await run_in_threadpool(
                profiles.sign_up,
                self.platform,
                request_,
                client=_client(request),
                user_agent=request.headers.get("user-agent", ""),
            )
        except StoreExists:
            error = "That store address is taken; choose another."
        except (InvalidSlug, profiles.ProfileRefused, RateLimited) as exc:
            error = _sentence(exc)
        except (ProvisioningFailed, DatabaseUnavailable):
            log.exception("sign-up failed")
            error = TRY_LATER
        else:
            return _signed_in(request, done.session.token)
        return _form(
            request, "signup.html", title, error=error, form=fields, status=400, **page
        )

    # -- log out ----------------------------------------------------------------

    async def logout(self, request):
        token = request.cookies.get(SESSION_COOKIE)
        session = await run_in_threadpool(self._session, token)
        if session is None:
            return _signed_out(request)
        if request.method == "GET":
            return _form(
                request, "logout.html", "Log out", csrf_token=session.csrf_token
            )

        try:
            await _checked_form(request, expected=session.csrf_token)
        except FormRefused as exc:
            return _form(
                request,
                "logout.html",
                "Log out",
                error=str(exc),
                csrf_token=session.csrf_token,
                status=403,
            )
        await run_in_threadpool(self._log_out, token)
        return _signed_out(request)

    def _session(self, token):
        if not token:
            return None
        try:
            with self.platform.registry() as conn:
                return sessions.check_session(conn, token)
        except SessionInvalid:
            return None

    def _log_out(self, token):
        with self.platform.registry() as conn:
            sessions.log_out(conn, token)

    # -- password reset ---------------------------------------------------------

    async def reset_request(self, request):
        title = "Reset your password"
        if request.method == "GET":
            return _form(request, "reset_request.html", title)

        try:
            form = await _checked_form(request)
        except FormRefused as exc:
            return _form(
                request, "reset_request.html", title, error=str(exc), status=403
            )
        await run_in_threadpool(
            profiles.request_password_reset,
            self.platform,
            form.get("email", "")[:254],
            reset_url=f"{self.settings.public_url}/auth/reset/confirm",
            client=_client(request),
        )
        notice = (
            "If an account uses that address, we have mailed it a link. "
            "It works once, within the hour."
        )
        return _form(request, "reset_request.html", title, notice=notice, sent=True)

    async def reset_confirm(self, request):
        # NOTE: the token moves from the mailed link into a short-lived cookie
        # at once, so it is not left in the address bar, the history or a
        # Referer header while the owner types the new password.
        token = request.query_params.get("token", "")[:100]
        response = RedirectResponse("/auth/reset/new", status_code=303)
        response.set_cookie(
            RESET_COOKIE,
            token,
            max_age=RESET_MAX_AGE,
            path="/auth/reset",
            httponly=True,
            samesite="lax",
            secure=_https(request),
        )
        return _no_store(response)

    async def reset_new(self, request):
        title = "Choose a new password"
        page = dict(min_password=passwords.MIN_LENGTH)
        token = request.cookies.get(RESET_COOKIE, "")
        if not token:
            return RedirectResponse("/auth/reset", status_code=303)
        if request.method == "GET":
            return _form(request, "reset_new.html", title, **page)

        try:
            form = await _checked_form(request)
        except FormRefused as exc:
            return _form(
                request, "reset_new.html", title, error=str(exc), status=403, **page
            )
        if form.get("password") != form.get("repeat"):
            return _form(
                request,
                "reset_new.html",
                title,
                status=400,
                error="The two passwords differ; type them again.",
                **page,
            )
        try:
            await run_in_threadpool(
                profiles.reset_password,
                self.platform,
                token,
                form.get("password", "")[: passwords.MAX_LENGTH],
            )
        except profiles.ProfileRefused as exc:
            return _form(
                request,
                "reset_new.html",
                title,
                error=_sentence(exc),
                status=400,
                **page,
            )

        response = RedirectResponse("/auth/login?done=reset", status_code=303)
        response.delete_cookie(RESET_COOKIE, path="/auth/reset")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return _no_store(response)


# -- helpers ------------------------------------------------------------------


def _form(request, template, title, *, status=200, csrf_token=None, **values):
    """Render a form page; without a session token, with a double-submit one."""
    name = _csrf_cookie_name(request)
    cookie_token = request.cookies.get(name, "")
    token = csrf_token
    if token is None:
        token = (
            cookie_token if _looks_random(cookie_token) else secrets.token_urlsafe(32)
        )
    html = _templates.get_template(template).render(
        title=title, csrf_token=token, **values
    )

    response = HTMLResponse(html, status_code=status)
    if csrf_token is None and token != cookie_token:
        response.set_cookie(
            name,
            token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=_https(request),
        )
    return _no_store(response)


async def _checked_form(request, *, expected=None):
    """The posted form, once it is shown to come from our own page."""
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        raise FormRefused("This form was sent from another site; open it here.")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        raise FormRefused("This form is too large; reload it and try again.")

    form = await request.form(max_files=0, max_fields=20)
    sent = form.get("csrf_token", "")
    wanted = expected or request.cookies.get(_csrf_cookie_name(request), "")
    if not (sent and wanted and secrets.compare_digest(str(sent), wanted)):
        raise FormRefused("This form has expired; reload the page and try again.")
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _signed_in(request, token):
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_https(request),
    )
    return _no_store(response)


def _signed_out(request):
    response = RedirectResponse("/auth/login?done=out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return _no_store(response)


def _no_store(response):
    response.headers["cache-control"] = "no-store"
    return response


def _https(request):
    return request.url.scheme == "https"


def _csrf_cookie_name(request):
    return f"__Host-{CSRF_COOKIE}" if _https(request) else CSRF_COOKIE


def _client(request):
    return request.client.host if request.client else ""


def _looks_random(value):
    return 40 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum()


def _sentence(exc):
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
