"""``StoreAnalytics``: one store's analytics, as the admin and the CLI use it.

It owns a DuckDB database holding the store's mirror, refreshes the mirror
from the store's database through the store's own role, and answers from it.
A refresh happens at most once per ``max_age`` before a read; ``refresh()``
forces one.

The mirror lives in memory by default: the admin keeps one instance per
store id (``st.cache_resource``), so a store pays the full pull once per
process and increments after that. With ``persist=True`` it lives in
``<data dir>/analytics/<store id>.duckdb`` instead (one file per store: the
cache key is the store id) and survives the process, at the price of writing
it; the command line uses that. A second process that finds the file locked
works in memory: correct, only slower, since it pulls everything.

Calls are serialised by a lock, so one instance may be shared by the threads
of a process.

TODO(#8): the headline figures take no product-attribute filter (vendor,
type, tag): a storefront refund has no lines to say which products it gave
money back for. The breakdown frames can be filtered where they are shown.
"""

import logging
import threading
from datetime import timedelta

import duckdb

from commerce.analytics import engine, inventory, sales, sync
from commerce.analytics.customers import load_customer_key
from commerce.analytics.errors import EngineUnavailable
from commerce.analytics.items import prepare_items
from commerce.analytics.mirror import Mirror
from commerce.analytics.overview import build_overview
from commerce.analytics.periods import (
    GRAINS,
    period_between,
    store_zone,
    system_clock,
    today_in,
)
from commerce.analytics.pull import Copier, Scanner
from commerce.analytics.runner import DuckRunner
from commerce.analytics.source import CustomerHasher
from commerce.errors import InvalidInput

log = logging.getLogger(__name__)

ENGINES = ("auto", "scanner", "copy")
DEFAULT_MAX_AGE = timedelta(seconds=5)
# How often a refresh also compares every order with the store (sync.PROBE).
DEFAULT_CHECK_EVERY = timedelta(minutes=1)


def mirror_path(config, store_id):
    return config.data_dir / "analytics" / f"{int(store_id)}.duckdb"


class StoreAnalytics:
    """Analytics of one store; see the module docstring."""

    def __init__(
        self,
        tenant,
        *,
        clock=system_clock,
        customer_key=None,
        engine_name="auto",
        persist=False,
        max_age=DEFAULT_MAX_AGE,
        check_every=DEFAULT_CHECK_EVERY,
    ):
        if engine_name not in ENGINES:
            raise InvalidInput("engine", f"must be one of {', '.join(ENGINES)}")
        store = tenant.store
        store_zone(store.timezone)
        self.tenant = tenant
        self.store_id = store.id
        self.currency = store.currency
        self.timezone = store.timezone
        self.clock = clock
        self.max_age = max_age
        self.check_every = check_every
        self._checked_at = None
        key = customer_key or load_customer_key(tenant.platform, store.id)
        self.hasher = CustomerHasher(key)

        config = tenant.platform.config
        self._folder = config.data_dir / "analytics"
        self.con = self._connect(mirror_path(config, store.id) if persist else None)
        self.mirror = Mirror(self.con)
        self.runner = DuckRunner(self.con)
        self.puller = self._puller(engine_name)
        self._lock = threading.RLock()
        self._refreshed_at = None

    # -- lifecycle -----------------------------------------------------------------

    def close(self):
        with self._lock:
            self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- refreshing ----------------------------------------------------------------

    @property
    def identity(self):
        """What the mirror must have been built for; anything else rebuilds it."""
        return {
            "store_id": self.store_id,
            "timezone": self.timezone,
            "customer_key": self.hasher.fingerprint,
            # Item keys of imported lines are DuckDB hashes: stable per release.
            "duckdb": duckdb.__version__,
        }

    def refresh(self, *, check=None):
        """Pull what changed in the store since the last refresh: RefreshStats.

        ``check`` (default: if ``check_every`` has passed since the last one)
        also compares every order with the store's, to catch changes that
        bypassed ``updated_at``.
        """
        with self._lock:
            now = self.clock()
            if check is None:
                check = self._checked_at is None or (
                    now - self._checked_at >= self.check_every
                )
            stats = sync.refresh(
                self.mirror, self.puller, self.tenant.connection, self.identity,
                self.timezone, self.hasher, self.store_id, check,
            )  # fmt: skip
            self._refreshed_at = now
            if check:
                self._checked_at = now
            return stats

    def _fresh(self):
        if self._refreshed_at is None or (
            self.clock() - self._refreshed_at >= self.max_age
        ):
            self.refresh()

    # -- periods -------------------------------------------------------------------

    def today(self):
        """The store's date now (its time zone, the injected clock)."""
        return today_in(self.timezone, self.clock)

    def period(self, start=None, end=None, days=30):
        """A Period in store days; missing ends default to the last ``days``."""
        return period_between(start, end, self.today(), days)

    # -- figures -------------------------------------------------------------------

    def summary(self, period):
        """Comparison of ``period`` with the period before it."""
        with self._lock:
            self._fresh()
            return sales.summarise(self.runner, period, self.currency)

    def series(self, period, grain="day"):
        if grain not in GRAINS:
            raise InvalidInput("grain", f"must be one of {', '.join(GRAINS)}")
        with self._lock:
            self._fresh()
            return sales.series(sales.daily(self.runner, period), grain)

    def sales_by(self, period, dimension):
        if dimension not in sales.DIMENSIONS:
            raise InvalidInput(
                "dimension", f"must be one of {', '.join(sales.DIMENSIONS)}"
            )
        with self._lock:
            self._fresh()
            if dimension in sales.ITEM_DIMENSIONS:
                settings = inventory.StockSettings()
                windows = inventory.windows(period, self.today(), settings)
                prepare_items(self.runner, windows)
            return sales.breakdown(self.runner, period, dimension)

    def customers(self, period):
        with self._lock:
            self._fresh()
            orders = sales.summarise(self.runner, period, self.currency).current.orders
            return sales.customer_mix(self.runner, period, orders)

    def inventory(self, period=None, *, location_id=None, settings=None):
        """Every variant's inventory figures (see ``inventory``), a DataFrame;
        sell-through is over ``period`` (default: the last ``rate_days``)."""
        settings = settings or inventory.StockSettings()
        today = self.today()
        period = period or self.period(days=settings.rate_days)
        with self._lock:
            self._fresh()
            prepare_items(self.runner, inventory.windows(period, today, settings))
            inventory.prepare_inventory(self.runner, today, settings, location_id)
            return inventory.rows(self.runner)

    def overview(self, period=None, *, location_id=None, settings=None):
        """Every figure and chart's data of the Overview page, in one go."""
        period = period or self.period()
        with self._lock:
            self._fresh()
            return build_overview(
                self.runner, self.store_id, self.currency, period, self.today(),
                settings, location_id,
            )  # fmt: skip

    # -- set-up --------------------------------------------------------------------

    def _connect(self, path):
        extensions = self._folder / "extensions"
        try:
            return engine.connect(path, extension_dir=extensions)
        except duckdb.IOException as exc:
            if path is None or "lock" not in str(exc).lower():
                raise EngineUnavailable(self.store_id, "DuckDB cannot open") from None
        log.warning(
            "store=%s analytics mirror is locked by another process; working in memory",
            self.store_id,
        )
        return engine.connect(None, extension_dir=extensions)

    def _puller(self, engine_name):
        if engine_name in ("auto", "scanner"):
            try:
                dsn = self.tenant.platform.store_dsn(self.tenant.store)
                return Scanner(self.con, dsn, self.store_id)
            except EngineUnavailable:
                if engine_name == "scanner":
                    raise
                log.warning(
                    "store=%s postgres scanner unavailable; using COPY", self.store_id
                )
        return Copier(self.con, self.tenant.connection, self.store_id, self._folder)
