"""Rendering pages: the Jinja environment and what every template is given.

Templates autoescape everything. What varies per shopper (the CSRF token, the
number of items in the cart) is filled in here from ``req.context``, so the
resources only name a template and the data it shows.

A page rendered for the cache (``for_cache=True``) carries a placeholder where
the form token goes; ``send`` puts the shopper's own token in its place, so
one rendering serves every shopper.
"""

import hashlib
import secrets
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import falcon
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from commerce.html import sanitise_html
from commerce.money import format_money

STATIC_DIR = Path(__file__).parent / "static"
HTML = "text/html; charset=utf-8"
# Unguessable, so no product text can contain it by design or by chance.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"


class Views:
    """Renders templates into responses, with the shared page context."""

    def __init__(self, config, cart_cookie):
        self._cart = cart_cookie
        self._static = _static_versions()
        self.env = Environment(
            loader=PackageLoader("storefront_svc", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(money=format_money, sanitised=_sanitised, when=_when)
        self.env.globals.update(
            static=self.static_url,
            admin_url=config.admin_url,
            platform_url=config.platform_url,
            base_domain=config.base_domain,
            products_url=products_url,
            availability=availability,
            order_status=ORDER_STATUS.get,
        )

    def static_url(self, name):
        """A static file's address, with its content hash to bust caches."""
        return f"/static/{name}?v={self._static.get(name, '0')}"

    def render(self, req, resp, template, *, status=falcon.HTTP_200, **context):
        """Render ``template`` with the page context into ``resp``."""
        self.send(req, resp, self.render_text(req, template, **context), status)

    def render_text(self, req, template, *, for_cache=False, **context):
        page = self.page_context(req)
        if for_cache:
            page["csrf_token"] = CSRF_PLACEHOLDER
        page.update(context)
        return self.env.get_template(template).render(page)

    def send(self, req, resp, html, status=falcon.HTTP_200):
        """Answer with a rendered page, filling in this shopper's form token."""
        if CSRF_PLACEHOLDER in html:
            token = str(_CsrfField(req.context.get("csrf")))
            html = html.replace(CSRF_PLACEHOLDER, token)
        resp.status = status
        resp.content_type = HTML
        resp.text = html
        # Pages may hold a CSRF token or a cart: never kept by shared caches.
        resp.cache_control = ["private", "no-cache"]

    def cart_count(self, req):
        if req.context.get("store") is None:
            return 0
        return sum(self._cart.read(req).values())

    def page_context(self, req):
        ctx = req.context
        look = ctx.get("look")
        store = ctx.get("store")
        return {
            "currency": store.currency if store else "USD",
            "timezone": store.timezone if store else "UTC",
            "site": ctx.get("site"),
            "look": look,
            "site_name": look.name if look else "APMTSales",
            "ga_id": ctx.get("ga_id"),
            "cart_count": self.cart_count(req),
            "csrf_token": _CsrfField(ctx.get("csrf")),
            "request_id": ctx.get("request_id", ""),
            # What form pages show when a service refused the input.
            "values": {},
            "errors": {},
            "error": None,
        }


ORDER_STATUS = {
    "pending": "Waiting for payment",
    "paid": "Paid: the shop is preparing your order",
    "fulfilled": "Sent",
    "cancelled": "Cancelled",
    "expired": "Expired: it was not paid in time and the items were released",
    "refunded": "Refunded",
    "partially_refunded": "Partly refunded",
}
LOW_STOCK = 5


def products_url(query, page):
    """The catalogue address for another page of the same search and filters."""
    params = {
        "q": query.search,
        "vendor": query.vendor,
        "type": query.product_type,
        "tag": query.tag,
        "in_stock": "true" if query.in_stock else None,
        "page": page if page > 1 else None,
    }
    kept = {name: value for name, value in params.items() if value}
    return "/products" + (f"?{urlencode(kept)}" if kept else "")


def availability(variant):
    """How a variant's stock is shown to shoppers."""
    if variant.available > LOW_STOCK:
        return "In stock"
    if variant.available > 0:
        return f"Only {variant.available} left"
    if variant.continue_selling:
        return "Available to order"
    return "Sold out"


def _sanitised(html):
    # Descriptions are cleaned when written; cleaning again costs little and
    # protects the page from any row that was not. After nh3, it is safe HTML.
    return Markup(sanitise_html(html))  # noqa: S704


def _when(moment, timezone):
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%d %B %Y, %H:%M ") + local.tzname()


class _CsrfField:
    """The form token, created on first use so pages without forms set no cookie."""

    def __init__(self, csrf):
        self._csrf = csrf

    def __str__(self):
        return self._csrf.token() if self._csrf else ""

    def __html__(self):
        return str(self)


def _static_versions():
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.iterdir()
        if path.is_file()
    }
