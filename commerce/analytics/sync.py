"""Keeping a store's mirror up to date: watermarks, increments, reconciling.

Each refresh asks PostgreSQL, in one query (``PROBE``), for a watermark and
for what the mirror should hold below it:

- The watermark is the probe's ``now()``, held back to the start of the
  oldest transaction still open on the store's database. ``updated_at``
  defaults to its transaction's start, so a row that commits later still
  carries a time at or after the watermark, and reading ``updated_at >=
  previous watermark`` next time cannot miss it. (A transaction that commits
  in the instant between the probe's snapshot and its look at the open
  transactions is caught by the count below.)
- When asked to (``check=True``: the first refresh of a mirror, then at most
  once a minute, see the service), the probe also counts the orders below the
  watermark and sums their ``refunded_total``. If the mirror disagrees after
  merging (an order deleted by an import undo, a refund written without
  touching ``updated_at``), the orders are compared one by one and the
  differences pulled: ``reconcile``. The count reads every order, so it is
  not paid on every refresh.
- Stock levels change only with a movement, so a new movement id means
  "pull the stock levels again". The catalogue (variants, products, tags,
  locations) is pulled again when its rows' counts or newest ``updated_at``
  changed, or when the catalogue version (a sequence every catalogue and
  stock write bumps) moved without a new movement.
"""

import logging
import time
from dataclasses import dataclass

from commerce.analytics import source
from commerce.analytics.pull import APPLICATION_NAME

log = logging.getLogger(__name__)

# Changed orders above which reconciling pulls every line instead of a list.
RECONCILE_LIST_LIMIT = 20_000

PROBE = """WITH mark AS (
    SELECT least(now(), coalesce((
        SELECT min(xact_start) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND xact_start IS NOT NULL AND application_name <> %(app)s
    ), now())) AS at)
SELECT (extract(epoch FROM mark.at) * 1000000)::bigint,
    CASE WHEN %(check)s
        THEN (SELECT count(*) FROM orders WHERE updated_at < mark.at) END,
    CASE WHEN %(check)s THEN (SELECT coalesce(sum(refunded_total), 0)
        FROM orders WHERE updated_at < mark.at) END,
    (SELECT last_value FROM catalogue_version),
    (SELECT coalesce(max(id), 0) FROM stock_movements),
    (SELECT count(*) || '/' || coalesce(max(updated_at)::text, '') FROM products)
        || ' ' || (SELECT count(*) || '/' || coalesce(max(updated_at)::text, '')
                   FROM variants)
        || ' ' || (SELECT count(*) FROM locations)
FROM mark"""


@dataclass(frozen=True)
class Probe:
    mark_us: int
    orders: int
    refunded: object
    version: int
    movement: int
    catalogue: str


@dataclass(frozen=True)
class RefreshStats:
    """What one refresh did, for logs and the bench."""

    full: bool
    orders: int
    lines: int
    reconciled: bool
    inventory: bool
    seconds: float


def probe(connection, check=True):
    with connection() as conn:
        row = conn.execute(PROBE, {"app": APPLICATION_NAME, "check": check}).fetchone()
    return Probe(*row)


def refresh(mirror, puller, connection, identity, zone, hasher, store_id, check=True):
    """Bring ``mirror`` up to date with the store; return RefreshStats.

    ``check`` compares the mirror's orders with the store's (see above).
    """
    started = time.perf_counter()
    seen = probe(connection, check)
    con = mirror.con

    con.execute("BEGIN TRANSACTION")
    try:
        full = not mirror.matches(identity)
        if full:
            mirror.reset(identity)
            order_filter = line_filter = ""
        else:
            mark = int(mirror.meta()["orders_mark"])
            order_filter, line_filter = source.changed_since(mark)

        orders, lines = _pull_orders(
            puller, mirror, zone, hasher, order_filter, line_filter
        )
        reconciled = check and not mirror.agrees(
            seen.mark_us, seen.orders, seen.refunded
        )
        if reconciled:
            orders, lines = _reconcile(puller, mirror, zone, hasher, store_id)

        inventory = _pull_inventory(puller, mirror, seen, full)
        mirror.set_meta(
            orders_mark=seen.mark_us, version=seen.version,
            movement=seen.movement, catalogue=seen.catalogue,
        )  # fmt: skip
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        mirror.forget_meta()
        raise

    stats = RefreshStats(
        full, orders, lines, reconciled, inventory, time.perf_counter() - started
    )
    log.info(
        "store=%s step=analytics_refresh engine=%s full=%s orders=%s lines=%s "
        "reconciled=%s inventory=%s seconds=%.3f",
        store_id, puller.name, full, orders, lines, reconciled, inventory,
        stats.seconds,
    )  # fmt: skip
    return stats


def _pull_orders(puller, mirror, zone, hasher, order_filter, line_filter):
    con = mirror.con
    newest = con.execute("SELECT coalesce(max(id), 0) FROM orders").fetchone()[0]
    puller.fetch("pull_orders", source.orders(zone, hasher, order_filter))
    wheres = [line_filter]
    if order_filter:
        # New orders' lines by a range of order ids, changed orders' by list:
        # both use the lines' (order_id, line_no) index, where a semi-join on
        # the orders' updated_at would read every line.
        changed = con.execute(
            "SELECT id FROM pull_orders WHERE id <= ?", [newest]
        ).fetchall()
        if len(changed) <= RECONCILE_LIST_LIMIT:
            wheres = [source.lines_after(newest)]
            if changed:
                wheres.append(source.lines_of([row[0] for row in changed]))
    return mirror.merge(puller, source.lines(*wheres), stage=bool(order_filter))


def _reconcile(puller, mirror, zone, hasher, store_id):
    """Compare every order with PostgreSQL's and pull what differs."""
    con = mirror.con
    puller.fetch("pull_orders", source.orders(zone, hasher))
    con.execute(
        """CREATE OR REPLACE TEMP TABLE gone AS
           SELECT id FROM orders WHERE id NOT IN (SELECT id FROM pull_orders)"""
    )
    mirror.forget("gone")
    con.execute(
        """DELETE FROM pull_orders WHERE id IN (
               SELECT p.id FROM pull_orders p JOIN orders m ON m.id = p.id
               WHERE m.updated_us = p.updated_us AND m.refunded = p.refunded
                 AND m.status = p.status AND m.counted = p.counted
                 AND m.day = p.day
                 AND m.customer IS NOT DISTINCT FROM p.customer)"""
    )
    changed = [row[0] for row in con.execute("SELECT id FROM pull_orders").fetchall()]
    log.warning(
        "store=%s analytics mirror disagreed with the store: %s orders gone, "
        "%s changed without a newer updated_at",
        store_id, con.execute("SELECT count(*) FROM gone").fetchone()[0], len(changed),
    )  # fmt: skip

    if len(changed) > RECONCILE_LIST_LIMIT:
        return mirror.merge(puller, source.lines(), stage=False)
    return mirror.merge(puller, source.lines(source.lines_of(changed or [0])))


def _pull_inventory(puller, mirror, seen, full):
    """Pull the stock levels and/or the catalogue if they changed; True if any."""
    meta = mirror.meta()
    moved = full or meta.get("movement") != str(seen.movement)
    versioned = meta.get("version") != str(seen.version)
    catalogue = (
        full or meta.get("catalogue") != seen.catalogue or (versioned and not moved)
    )
    wanted = [source.stock] * moved + [
        source.catalogue,
        source.tags,
        source.locations,
    ] * catalogue
    for make in wanted:
        spec = make()
        mirror.con.execute(f"DELETE FROM {spec.name}")
        puller.run(f"INSERT INTO {spec.name} SELECT * FROM {{rows}}", spec)
    return bool(wanted)
