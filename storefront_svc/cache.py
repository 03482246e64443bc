"""Catalogue pages rendered once per store and catalogue version.

A cache key always starts with the store's id and its ``catalogue_version``
(a number the database bumps on any product, variant, image or stock change),
so a change in one store invalidates exactly that store's pages and one store
can never be served another's. The rest of the key is the page (template and
query), the store's look and the number of items in the shopper's cart: all
that a catalogue page shows besides the form token, which is filled in per
request. Stale versions are never asked for again and fall out of the LRU.
One cache per worker, of ``STOREFRONT_CACHE_ENTRIES`` pages (0 turns it off).

NOTE: reading the version is a database round trip that costs more than
serving a cached page, so each worker reads it at most once per
``STOREFRONT_VERSION_CHECK_SECONDS`` (1 s) per store: a change shows within
that time, and a busy page costs no query at all.
"""

import threading
import time
from collections import OrderedDict

from commerce.catalogue import catalogue_version
from storefront_svc.memo import PerStoreMemo


class PageCache:
    """A bounded, thread-safe LRU whose keys always include the store."""

    def __init__(self, entries):
        self._entries = entries
        self._values = OrderedDict()
        self._lock = threading.Lock()

    def fetch(self, store_id, version, key, make):
        """The value cached for (store, version, key), made by ``make()`` if new."""
        full_key = (store_id, version, key)
        with self._lock:
            if full_key in self._values:
                self._values.move_to_end(full_key)
                return self._values[full_key]

        value = make()
        if self._entries:
            with self._lock:
                self._values[full_key] = value
                while len(self._values) > self._entries:
                    self._values.popitem(last=False)
        return value

    def __len__(self):
        return len(self._values)


class CatalogueVersions(PerStoreMemo):
    """Each store's catalogue version, read at most once per ``ttl`` seconds."""

    def __init__(self, *, ttl, clock=time.monotonic):
        super().__init__(catalogue_version, ttl=ttl, clock=clock)


class CachedPages:
    """Renders catalogue pages through a PageCache."""

    def __init__(self, views, cache, versions):
        self._views = views
        self._cache = cache
        self._versions = versions

    def render(self, req, resp, template, key, data):
        """Send ``template`` rendered with ``data()``, which is called on a miss.

        ``key`` must name everything ``data()`` depends on besides the store.
        An error raised by ``data()`` (NotFound) is passed on and never cached.
        """
        tenant = req.context.tenant
        page_key = (template, key, req.context.look, self._views.cart_count(req))

        def make():
            return self._views.render_text(req, template, for_cache=True, **data())

        version = self._versions.get(tenant)
        html = self._cache.fetch(tenant.id, version, page_key, make)
        self._views.send(req, resp, html)
