"""The storefront as a Falcon WSGI app.

``create_app(config, platform)`` builds everything from what it is given, so
tests hand in their own platform and settings; ``get_app()`` reads the
environment once and is what gunicorn loads
(``storefront_svc.app:get_app()``).

Middleware runs in this order on the way in (and the reverse on the way out):
request id and access log, store from Host, security headers, body-size
limit, CSRF, rate limits.
"""

from datetime import timedelta

import falcon

from commerce.payments import Inbox, Providers
from storefront_svc import errors
from storefront_svc.access import RequestLog
from storefront_svc.bodylimit import BodyLimit
from storefront_svc.cache import CachedPages, CatalogueVersions, PageCache
from storefront_svc.cart import CartCookie
from storefront_svc.config import load_storefront_config
from storefront_svc.csrf import CsrfGuard
from storefront_svc.headers import SecurityHeaders
from storefront_svc.hosts import PLATFORM_PREFIX, StoreDirectory, StoreFromHost
from storefront_svc.look import Looks
from storefront_svc.payment_webhooks import PaymentReturn, PaymentWebhooks
from storefront_svc.policy import load_policy
from storefront_svc.resources.cart import Cart
from storefront_svc.resources.catalogue import Home, Products
from storefront_svc.resources.checkout import Checkout
from storefront_svc.resources.contact import Contact
from storefront_svc.resources.health import Health
from storefront_svc.resources.images import Images
from storefront_svc.resources.newsletter import (
    Newsletter,
    NewsletterConfirm,
    NewsletterLinks,
    NewsletterUnsubscribe,
)
from storefront_svc.resources.orders import Orders
from storefront_svc.resources.platform import PlatformHome, PlatformPrivacy
from storefront_svc.resources.privacy import (
    PrivacyRequests,
    PrivacyRequestsJson,
    StorePrivacy,
)
from storefront_svc.resources.static import StaticFiles, Theme
from storefront_svc.signing import root_signer
from storefront_svc.throttle import RateLimits
from storefront_svc.views import STATIC_DIR, Views
from tenancy import Platform, load_config

ID = "int(min=1, max=4611686018427387904)"


def create_app(config, platform):
    """The storefront app for ``config`` (a StorefrontConfig) on ``platform``."""
    signer = root_signer(config, platform.keyring)
    cart_cookie = CartCookie(signer.derive("cart"), secure=config.secure_cookies)
    views = Views(config, cart_cookie)
    directory = StoreDirectory(
        platform, config.base_domain, ttl=config.store_cache_seconds
    )
    looks = Looks(ttl=config.store_cache_seconds)

    app = falcon.App(
        middleware=[
            RequestLog(config.trusted_proxies),
            StoreFromHost(
                platform, directory, looks, platform_ga_id=config.ga_measurement_id
            ),
            SecurityHeaders(),
            BodyLimit(config.max_body_bytes),
            CsrfGuard(signer.derive("csrf"), secure=config.secure_cookies),
            RateLimits(config.rate_limit_storage, config.form_rate_limit),
        ]
    )
    app.resp_options.secure_cookies_by_default = config.secure_cookies
    app.req_options.strip_url_path_trailing_slash = True
    errors.register(app, views)

    pages = CachedPages(
        views,
        PageCache(config.cache_entries),
        CatalogueVersions(ttl=config.version_check_seconds),
    )
    links = NewsletterLinks(config.platform.store_url, signer.derive("newsletter"))
    hold = timedelta(minutes=config.reservation_minutes)
    # A provider the owner connects is offered as soon as the store's other
    # settings would show, not up to half a minute later on some workers.
    providers = Providers(platform, ttl=config.store_cache_seconds)
    _add_store_routes(app, views, pages, cart_cookie, links, hold, config, providers)
    _add_platform_routes(app, views)
    app.add_route("/static/{name}", StaticFiles(STATIC_DIR))
    app.add_route("/healthz", Health())
    return app


def get_app():
    """The app for the process environment; gunicorn calls this once per worker."""
    platform_config = load_config()
    config = load_storefront_config(platform_config)
    return create_app(config, Platform(platform_config))


def _add_store_routes(app, views, pages, cart_cookie, links, hold, config, providers):
    products = Products(pages)
    images = Images()
    orders = Orders(views, config.platform.store_url, providers)

    app.add_route("/", Home(pages))
    app.add_route("/products", products)
    app.add_route("/products/{handle}", products, suffix="product")
    app.add_route(f"/images/{{image_id:{ID}}}", images)
    app.add_route(f"/images/{{image_id:{ID}}}/thumbnail", images, suffix="thumbnail")
    app.add_route("/theme.css", Theme())
    app.add_route("/cart", Cart(views, cart_cookie))
    app.add_route("/checkout", Checkout(views, cart_cookie, hold))
    app.add_route("/orders/{token}", orders)
    app.add_route("/orders/{token}/payment", orders, suffix="payment")
    app.add_route("/contact", Contact(views))
    app.add_route("/newsletter", Newsletter(views, links))
    app.add_route("/newsletter/confirm", NewsletterConfirm(views, links))
    app.add_route("/newsletter/unsubscribe", NewsletterUnsubscribe(views, links))
    app.add_route("/privacy", StorePrivacy(views))
    privacy_requests = PrivacyRequests(views)
    privacy_json = PrivacyRequestsJson()
    app.add_route("/privacy/requests", privacy_requests)
    app.add_route("/privacy/requests/{token}", privacy_requests, suffix="request")
    app.add_route(
        "/privacy/requests/{token}/download", privacy_requests, suffix="download"
    )
    app.add_route("/privacy/requests.json", privacy_json)
    app.add_route("/privacy/requests.json/{token}", privacy_json, suffix="request")
    app.add_route("/orders/{token}/paid", PaymentReturn(providers))
    app.add_route("/webhooks/{provider}", PaymentWebhooks(Inbox(providers)))


def _add_platform_routes(app, views):
    # The platform's host is routed here by StoreFromHost (see hosts.py).
    app.add_route(PLATFORM_PREFIX, PlatformHome(views))
    app.add_route(f"{PLATFORM_PREFIX}/privacy", PlatformPrivacy(views, load_policy()))
