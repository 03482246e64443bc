"""Which store a request is for, from its Host header.

``<slug>.<base domain>`` is a store, the bare base domain is the platform's
own site, and any other host may be a store's custom domain (the registry's
``custom_domains``). Matching ignores case, the port and a trailing dot. An
unknown host, a deleted store or one still being created gets the same plain
404, so a probe learns nothing; a suspended or cancelled store gets its closed
page and takes no orders.

Answers are remembered for a few seconds per worker: the registry is not
asked on every request, and a suspension takes effect within that time.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import falcon

from storefront_svc.errors import StoreClosed
from tenancy import InvalidSlug, StoreNotFound, Tenant, normalise_slug

MAX_REMEMBERED = 10_000
CLOSED = ("suspended", "cancelled")

# Paths every known host serves the same way; all others of the platform's
# own host are routed under PLATFORM_PREFIX.
SHARED_PREFIXES = ("/static/",)
PLATFORM_PREFIX = "/platform"


@dataclass(frozen=True)
class Site:
    kind: str  # "platform" or "store"
    store: object = None


PLATFORM = Site("platform")


class StoreDirectory:
    """Host name to Site, from the registry, remembered for ``ttl`` seconds."""

    def __init__(self, platform, base_domain, *, ttl, clock=time.monotonic):
        self._platform = platform
        self._base = base_domain.lower().rstrip(".")
        self._ttl = ttl
        self._clock = clock
        self._known = OrderedDict()
        self._lock = threading.Lock()

    def find(self, host):
        """The Site for ``host``, or None when no live or closed store uses it."""
        host = normalise_host(host)
        now = self._clock()
        with self._lock:
            hit = self._known.get(host)
        if hit is not None and hit[0] > now:
            return hit[1]

        site = self._look_up(host)
        with self._lock:
            self._known[host] = (now + self._ttl, site)
            self._known.move_to_end(host)
            while len(self._known) > MAX_REMEMBERED:
                self._known.popitem(last=False)
        return site

    def _look_up(self, host):
        if host == self._base:
            return PLATFORM

        try:
            if host.endswith("." + self._base):
                label = host[: -len(self._base) - 1]
                store = self._platform.store(normalise_slug(label))
            else:
                store = self._platform.store(self._custom_domain(host))
        except (StoreNotFound, InvalidSlug):
            return None
        if store.status != "active" and store.status not in CLOSED:
            return None
        return Site("store", store)

    def _custom_domain(self, host):
        # TODO(#2): a lookup by host belongs in tenancy.registry with the other
        # store queries; it is the storefront's only registry SQL.
        with self._platform.registry() as conn:
            row = conn.execute(
                "SELECT store_id FROM custom_domains WHERE host = %s", (host,)
            ).fetchone()
        if row is None:
            raise StoreNotFound(host)
        return row[0]


def normalise_host(host):
    """Lower case, without a port or a trailing dot."""
    host = (host or "").strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].rstrip(".")


class StoreFromHost:
    """Middleware: put the site, store, tenant and look on ``req.context``."""

    def __init__(self, platform, directory, looks, *, platform_ga_id=None):
        self._platform = platform
        self._directory = directory
        self._looks = looks
        self._platform_ga_id = platform_ga_id

    def process_request(self, req, resp):
        if req.path == "/healthz":
            return

        site = self._directory.find(req.host)
        if site is None:
            raise falcon.HTTPNotFound()
        req.context.site = site.kind
        if site.kind == "platform":
            req.context.ga_id = self._platform_ga_id
            if not req.path.startswith(SHARED_PREFIXES):
                req.path = PLATFORM_PREFIX + req.path.rstrip("/")
            return

        store = site.store
        req.context.store = store
        if store.status in CLOSED:
            raise StoreClosed(store)
        if req.path.startswith(PLATFORM_PREFIX):
            raise falcon.HTTPNotFound()

        tenant = Tenant(self._platform, store)
        req.context.tenant = tenant
        req.context.look = self._looks.get(tenant)
        req.context.ga_id = req.context.look.ga_id
