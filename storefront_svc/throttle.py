"""Rate limits on the forms that write or send mail: contact, newsletter,
privacy requests and checkout.

A resource opts in with ``rate_limit = "<name>"``; its POSTs are counted per
store, form and client address in a moving window (the ``limits`` package).
The counts live in memory, one set per worker, unless
``STOREFRONT_RATE_LIMIT_STORAGE`` names a shared store such as Redis.
"""

import logging
import math
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from storefront_svc.errors import TooManyRequests

log = logging.getLogger(__name__)


class RateLimits:
    """Middleware: count and refuse POSTs to rate-limited resources."""

    def __init__(self, storage_uri, rate, *, clock=time.time):
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))
        self._rate = parse(rate)
        self._clock = clock

    def process_resource(self, req, resp, resource, params):
        form = getattr(resource, "rate_limit", None)
        if req.method != "POST" or not form:
            return

        store = req.context.get("store")
        keys = (str(store.id if store else 0), form, req.context.get("client_ip", ""))
        try:
            allowed = self._limiter.hit(self._rate, *keys)
        except Exception as exc:  # noqa: BLE001 - see the NOTE below
            # NOTE: when a shared counter store is down we let the post through:
            # refusing every checkout would cost more than a burst of forms.
            log.warning(
                "store=%s rate limit storage failed, not limiting: %s", keys[0], exc
            )
            return
        if not allowed:
            stats = self._limiter.get_window_stats(self._rate, *keys)
            wait = max(1, math.ceil(stats.reset_time - self._clock()))
            raise TooManyRequests(form, wait)
