"""Provider instances per store, built from its sealed settings and kept a while.

Reading and opening a store's settings costs a registry connection, too much
for every webhook; instances are kept for ``ttl`` seconds. A delivery that
fails verification is checked once more against freshly read settings before
it is refused, so a secret changed a moment ago takes effect at once.
"""

import threading
import time

from commerce.payments.clover_provider import CloverProvider
from commerce.payments.errors import ProviderNotConfigured
from commerce.payments.manual import ManualProvider
from commerce.payments.paypal_provider import PaypalProvider
from commerce.payments.settings import check_provider, load_settings
from commerce.payments.square_provider import SquareProvider
from commerce.payments.stripe_provider import StripeProvider

CLASSES = {
    "stripe": StripeProvider,
    "square": SquareProvider,
    "paypal": PaypalProvider,
    "clover": CloverProvider,
    "manual": ManualProvider,
}
DEFAULT_TTL = 30.0


def build(name, settings, *, clock=time.time, **collaborators):
    """One provider from its settings; collaborators (``http``) are passed on."""
    return CLASSES[check_provider(name)](settings, clock=clock, **collaborators)


class Providers:
    """The providers each store enabled, built on demand and cached."""

    def __init__(self, platform, *, clock=time.time, ttl=DEFAULT_TTL,
                 monotonic=time.monotonic, collaborators=None):  # fmt: skip
        """``collaborators`` maps a provider name to keyword arguments for it,
        such as ``{"paypal": {"certificates": ...}, "clover": {"http": ...}}``."""
        self.platform = platform
        self.clock = clock
        self._ttl = ttl
        self._monotonic = monotonic
        self._collaborators = collaborators or {}
        self._stores = {}
        self._lock = threading.Lock()

    def get(self, store_id, name, *, fresh=False):
        """The store's ``name`` provider; ProviderNotConfigured if not enabled."""
        check_provider(name)
        built = self._store(store_id, fresh=fresh)
        if name not in built and not fresh:
            built = self._store(store_id, fresh=True)
        if name in built:
            return built[name]
        if name == "manual" and not built:
            return ManualProvider()
        raise ProviderNotConfigured(name)

    def enabled(self, store_id, *, fresh=False):
        """Names of the providers the store enabled (manual when none is)."""
        return sorted(self._store(store_id, fresh=fresh)) or ["manual"]

    def is_fresh(self, store_id):
        """True when the cached entry was read within the last second."""
        with self._lock:
            hit = self._stores.get(store_id)
        return hit is not None and self._monotonic() - hit[0] < 1.0

    def forget(self, store_id):
        with self._lock:
            self._stores.pop(store_id, None)

    def _store(self, store_id, *, fresh):
        now = self._monotonic()
        with self._lock:
            hit = self._stores.get(store_id)
        if hit is not None and not fresh and now - hit[0] < self._ttl:
            return hit[1]

        settings = load_settings(self.platform, store_id)
        built = {
            name: build(
                name, values, clock=self.clock, **self._collaborators.get(name, {})
            )
            for name, values in settings.items()
        }
        with self._lock:
            self._stores[store_id] = (now, built)
        return built
