"""The storefront's errors, and the one place where every error becomes HTTP.

Raised by the storefront itself (middleware, mostly)::

    StorefrontError
    ├── StoreClosed        the store is suspended or cancelled
    ├── CsrfRejected       a form was posted without a valid token
    ├── TooManyRequests    a form was posted too often from one address
    └── BodyTooLarge       the request body is over the limit

The handlers registered by ``register`` turn these, the domain's
``CommerceError``, the platform's ``TenancyError``, database failures and
Falcon's own HTTP errors into pages. Bad input is a 400 that names the field,
never a 500; a database that cannot be reached is a 503, so clients retry. No
page ever shows a stack trace or an exception's text that could carry data.
"""

import logging

import falcon
import psycopg

from commerce.errors import (
    CommerceError,
    Conflict,
    ImageRejected,
    InsufficientStock,
    InvalidInput,
    NotFound,
)
from tenancy import DatabaseUnavailable, StoreNotFound, TenancyError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


class StorefrontError(Exception):
    """Base class of the errors the storefront raises on purpose."""


class StoreClosed(StorefrontError):
    """The store exists but takes no visitors or orders."""

    def __init__(self, store):
        self.store = store
        super().__init__(f"store {store.id} is {store.status}")


class CsrfRejected(StorefrontError):
    """The form's token is missing or does not match the browser's cookie."""


class TooManyRequests(StorefrontError):
    def __init__(self, form, retry_after):
        self.form = form
        self.retry_after = retry_after
        super().__init__(f"too many {form} posts; retry in {retry_after}s")


class BodyTooLarge(StorefrontError):
    def __init__(self, limit):
        self.limit = limit
        super().__init__(f"request body over {limit} bytes")


def register(app, views):
    """Install the handlers on ``app``; Falcon picks the most specific one."""
    pages = _ErrorPages(views)
    app.add_error_handler(Exception, pages.unexpected)
    app.add_error_handler(falcon.HTTPError, pages.http_error)
    app.add_error_handler(StorefrontError, pages.storefront)
    app.add_error_handler(CommerceError, pages.commerce)
    app.add_error_handler(TenancyError, pages.tenancy)
    app.add_error_handler(psycopg.OperationalError, pages.database)
    app.add_error_handler(psycopg.DataError, pages.bad_value)


class _ErrorPages:
    def __init__(self, views):
        self._views = views

    def storefront(self, req, resp, ex, params):
        if isinstance(ex, StoreClosed):
            name = ex.store.display_name
            self._page(req, resp, falcon.HTTP_503, "store/closed.html", name=name)
            return
        if isinstance(ex, TooManyRequests):
            resp.retry_after = ex.retry_after
        self._error(req, resp, *_storefront_page(ex))

    def commerce(self, req, resp, ex, params):
        if isinstance(ex, NotFound):
            self._error(
                req,
                resp,
                falcon.HTTP_404,
                "Not found",
                f"We could not find that {ex.kind}.",
            )
            return

        status, field, problem = _commerce_status(ex)
        form = req.context.get("form_page")
        if form is not None:
            errors = {field: problem} if field else {}
            self._page(
                req,
                resp,
                status,
                form.template,
                errors=errors,
                error=_sentence(field, problem),
                **form.context(),
            )
            return
        self._error(req, resp, status, "That did not work", _sentence(field, problem))

    def tenancy(self, req, resp, ex, params):
        if isinstance(ex, StoreNotFound):
            self._error(req, resp, falcon.HTTP_404, "Not found", "")
            return
        if not isinstance(ex, DatabaseUnavailable):
            log.error("%s platform error: %s", _where(req), ex)
        self.database(req, resp, ex, params)

    def database(self, req, resp, ex, params):
        log.warning("%s database unavailable: %s", _where(req), _first_line(ex))
        resp.retry_after = RETRY_AFTER_SECONDS
        self._error(
            req,
            resp,
            falcon.HTTP_503,
            "We are having trouble",
            "The shop cannot be reached just now. Please try again soon.",
        )

    def bad_value(self, req, resp, ex, params):
        # NOTE: PostgreSQL's data exceptions (a NUL byte in text, a number out
        # of range) come from values a shopper sent that no check caught.
        log.info("%s value refused by the database: %s", _where(req), type(ex).__name__)
        self._error(
            req,
            resp,
            falcon.HTTP_400,
            "That did not work",
            "The request holds a value the shop cannot use.",
        )

    def http_error(self, req, resp, ex, params):
        resp.set_headers(ex.headers or {})
        if req.path.startswith("/webhooks/") or req.path == "/healthz":
            resp.status = ex.status
            resp.media = {"title": ex.title, "description": ex.description}
            return
        self._error(req, resp, ex.status, _title(ex), ex.description or "")

    def unexpected(self, req, resp, ex, params):
        log.error("%s unexpected error", _where(req), exc_info=ex)
        self._error(
            req,
            resp,
            falcon.HTTP_500,
            "Something went wrong",
            f"Please try again. If it happens again, quote {_rid(req)}.",
        )

    def _error(self, req, resp, status, title, detail):
        self._page(req, resp, status, "error.html", title=title, detail=detail)

    def _page(self, req, resp, status, template, **context):
        try:
            self._views.render(req, resp, template, status=status, **context)
        except Exception:  # noqa: BLE001 - the error page itself must not fail
            log.exception("%s error page failed", _where(req))
            resp.status = status
            resp.content_type = "text/plain; charset=utf-8"
            resp.text = f"{falcon.code_to_http_status(status)}\n"


def _storefront_page(ex):
    """(status, title, detail) of the page for a StorefrontError."""
    if isinstance(ex, CsrfRejected):
        return (
            falcon.HTTP_403,
            "This form has expired",
            "Go back, reload the page and send the form again.",
        )
    if isinstance(ex, TooManyRequests):
        return (
            falcon.HTTP_429,
            "Too many attempts",
            f"Please wait {ex.retry_after} seconds and try again.",
        )
    if isinstance(ex, BodyTooLarge):
        return (
            falcon.HTTP_413,
            "Too much data",
            "What you sent is larger than this page accepts.",
        )
    return (falcon.HTTP_500, "Something went wrong", "Please try again.")


def _commerce_status(ex):
    if isinstance(ex, InvalidInput):
        return falcon.HTTP_400, ex.field, ex.problem
    if isinstance(ex, InsufficientStock):
        item = ex.sku or "an item in your cart"
        return falcon.HTTP_409, "cart", f"only {ex.available} of {item} left"
    if isinstance(ex, Conflict):
        return falcon.HTTP_409, ex.field, "is already taken"
    if isinstance(ex, ImageRejected):
        return falcon.HTTP_400, "image", ex.reason
    return falcon.HTTP_400, None, "the request could not be carried out"


def _sentence(field, problem):
    text = f"{field.replace('_', ' ').capitalize()} {problem}" if field else problem
    return text[:1].upper() + text[1:] + "."


def _title(ex):
    title = ex.title or falcon.code_to_http_status(ex.status)
    return title.split(" ", 1)[1] if title[:3].isdigit() else title


def _where(req):
    """The store and request a log line is about."""
    store = req.context.get("store")
    return f"store={store.id if store else '-'} request={_rid(req)}"


def _rid(req):
    return req.context.get("request_id", "-")


def _first_line(ex):
    lines = str(ex).strip().splitlines()
    return lines[0] if lines else type(ex).__name__
