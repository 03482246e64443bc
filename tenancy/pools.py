"""Connections to store databases: a small pool per store, a global cap.

A server may hold thousands of stores, so we cannot keep connections open to
all of them. Each store gets at most ``per_store`` connections; idle ones are
kept in least-recently-used order; at most ``max_stores`` stores keep idle
connections; and no more than ``global_cap`` connections are open at once, the
least recently used idle connection being closed to make room. A caller that
finds every slot busy waits up to ``timeout`` seconds.

Connections carry no session state (no ``SET`` outside a transaction), so the
same code works through PgBouncer in transaction mode.
"""

import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager

import psycopg

from tenancy.errors import DatabaseUnavailable

log = logging.getLogger(__name__)


class PoolExhausted(DatabaseUnavailable):
    """Every connection slot stayed busy for the whole wait."""

    def __init__(self, store_id, timeout):
        super().__init__(f"store {store_id}", f"no free connection in {timeout}s")


class StorePools:
    """Per-store connection pools kept in a bounded LRU under a global cap."""

    def __init__(self, per_store, max_stores, global_cap, *, connect=None, timeout=15):
        self.per_store = per_store
        self.max_stores = max_stores
        self.global_cap = global_cap
        self.timeout = timeout
        self._connect = connect or _connect
        self._idle = OrderedDict()  # store id -> list of idle connections
        self._busy = {}  # store id -> connections handed out
        self._open = 0
        self._cond = threading.Condition()

    @property
    def open_connections(self):
        return self._open

    @contextmanager
    def connection(self, store_id, dsn):
        """Lend a connection to ``store_id``'s database; give it back after."""
        conn = self._acquire(store_id, dsn)
        try:
            yield conn
        finally:
            self._release(store_id, conn)

    def close_store(self, store_id):
        """Close the idle connections of one store (suspension, deletion)."""
        with self._cond:
            idle = self._idle.pop(store_id, [])
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            conn.close()

    def close(self):
        with self._cond:
            stores = list(self._idle)
        for store_id in stores:
            self.close_store(store_id)

    def _acquire(self, store_id, dsn):
        deadline = time.monotonic() + self.timeout
        while True:
            conn = self._take(store_id, deadline)
            if conn is not None:
                if not (conn.closed or conn.broken):
                    return conn
                self._forget(store_id, conn)
                continue

            # A slot was reserved for us: open outside the lock.
            try:
                return self._connect(dsn)
            except BaseException:
                with self._cond:
                    self._open -= 1
                    self._busy[store_id] -= 1
                    self._cond.notify_all()
                raise

    def _take(self, store_id, deadline):
        """An idle connection, or None after reserving a slot for a new one."""
        with self._cond:
            while True:
                idle = self._idle.get(store_id)
                if idle:
                    self._idle.move_to_end(store_id)
                    self._busy[store_id] = self._busy.get(store_id, 0) + 1
                    return idle.pop()

                mine = self._busy.get(store_id, 0) + len(idle or ())
                if mine < self.per_store and self._make_room(store_id):
                    self._open += 1
                    self._busy[store_id] = self._busy.get(store_id, 0) + 1
                    return None

                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolExhausted(store_id, self.timeout)
                self._cond.wait(left)

    def _make_room(self, store_id):
        """Close least recently used idle connections until one may open."""
        while self._open >= self.global_cap or self._too_many_stores(store_id):
            victim = next(
                (s for s, c in self._idle.items() if c and s != store_id), None
            )
            if victim is None:
                return self._open < self.global_cap
            self._idle[victim].pop(0).close()
            self._open -= 1
            if not self._idle[victim]:
                del self._idle[victim]
        return True

    def _too_many_stores(self, store_id):
        return store_id not in self._idle and len(self._idle) >= self.max_stores

    def _release(self, store_id, conn):
        healthy = not (conn.closed or conn.broken)
        if (
            healthy
            and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
        ):
            try:
                conn.rollback()
            except psycopg.Error:
                healthy = False

        with self._cond:
            self._busy[store_id] -= 1
            if healthy:
                self._idle.setdefault(store_id, []).append(conn)
                self._idle.move_to_end(store_id)
            else:
                self._open -= 1
            self._cond.notify_all()
        if not healthy:
            conn.close()

    def _forget(self, store_id, conn):
        conn.close()
        with self._cond:
            self._open -= 1
            self._busy[store_id] -= 1
            self._cond.notify_all()


def _connect(dsn):
    from tenancy.db import connect

    return connect(dsn)
