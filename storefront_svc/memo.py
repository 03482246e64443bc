"""A per-store value remembered for a few seconds in each worker."""

import threading
import time


class PerStoreMemo:
    """``load(tenant)`` called at most once per ``ttl`` seconds per store."""

    def __init__(self, load, *, ttl, clock=time.monotonic):
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._known = {}
        self._lock = threading.Lock()

    def get(self, tenant):
        now = self._clock()
        with self._lock:
            hit = self._known.get(tenant.id)
        if hit is not None and hit[0] > now:
            return hit[1]

        value = self._load(tenant)
        with self._lock:
            self._known[tenant.id] = (now + self._ttl, value)
        return value
