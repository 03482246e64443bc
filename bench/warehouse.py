"""``apmt etl run`` over many stores: a full build, then an incremental one.

Each store gets ``orders`` paid orders of two lines each, plus one product
and its stock, written with ``generate_series``. The baseline is the least a
warehouse build must do: a bare ``COPY (SELECT * FROM t) TO STDOUT`` of the
same tables of every store, one database after the other. Goals: the full
build moves rows at least half as fast as the baseline, and an incremental
build after new orders in a tenth of the stores takes under a tenth of it.
"""

# TODO(#10): both goals are still missed, narrowly for the first (200 stores x
# 5,000 orders on 2 cores: 0.46x the bare COPY, incremental 0.20 of full).
# What is left in an incremental run is per store: a connection and one probe
# query each; skipping unchanged stores without connecting needs a change
# feed from the stores (e.g. a per-store version the registry keeps).

import time

from bench.report import figure
from bench.timing import summarise
from etl.warehouse import build_warehouse
from etl.warehouse_tables import STORE_TABLES
from tenancy import StoreRequest, db, provision_store

GOALS = {"rows ratio": 0.5, "incremental share": 0.1}


def run(ctx, stores=None, orders=None):
    sandbox = ctx.sandbox("wh")
    platform = sandbox.platform
    stores = stores or (10 if ctx.options.quick else 200)
    orders = orders or (200 if ctx.options.quick else 5_000)
    jobs = 4

    tenants = [_make_store(platform, n, orders) for n in range(stores)]
    out = ctx.data_dir / "warehouse-out"

    baseline, base_rows = _baseline(platform, tenants)
    started = time.perf_counter()
    full = build_warehouse(platform, out, jobs=jobs, full=True)
    full_seconds = time.perf_counter() - started

    changed = tenants[: max(1, stores // 10)]
    for tenant in changed:
        _add_orders(tenant, start=orders, count=max(1, orders // 100))
    started = time.perf_counter()
    incremental = build_warehouse(platform, out, jobs=jobs)
    incremental_seconds = time.perf_counter() - started

    base_rate = base_rows / baseline
    rate = full.total_rows / full_seconds
    ratio = rate / base_rate
    share = incremental_seconds / full_seconds
    label = f"{stores} stores x {orders:,} orders"
    return {
        "figures": [
            figure(f"{label}: bare COPY", round(baseline, 3), "s"),
            figure(f"{label}: full build", round(full_seconds, 3), "s"),
            figure(f"{label}: full build rows/s", round(rate), "rows/s"),
            figure(
                f"{label}: rows/s vs bare COPY",
                round(ratio, 2),
                "x",
                goal=f">= {GOALS['rows ratio']}",
                met=ratio >= GOALS["rows ratio"],
            ),
            figure(f"{label}: incremental build", round(incremental_seconds, 3), "s"),
            figure(
                f"{label}: incremental / full",
                round(share, 3),
                "x",
                goal=f"< {GOALS['incremental share']}",
                met=share < GOALS["incremental share"],
            ),
        ],  # fmt: skip
        "samples": {
            "full_rows": full.total_rows,
            "baseline_rows": base_rows,
            "incremental_rows": incremental.total_rows,
            "failed": len(full.failed) + len(incremental.failed),
            "timings": summarise([full_seconds]),
        },
    }


def _make_store(platform, number, orders):
    store = provision_store(
        platform,
        StoreRequest(
            slug=f"wh{number:04d}",
            display_name=f"Warehouse bench {number}",
            owner_email=f"owner{number}@example.com",
        ),
    )
    tenant = platform.tenant(store.id)
    with tenant.transaction() as conn:
        conn.execute(
            """WITH p AS (INSERT INTO products (handle, title)
                   VALUES ('bike', 'Bike') RETURNING id)
               INSERT INTO variants (product_id, sku, price)
               SELECT id, 'BIKE', 10 FROM p"""
        )
        conn.execute(
            """INSERT INTO stock_levels (variant_id, location_id, on_hand)
               SELECT id, 1, 100 FROM variants"""
        )
    _add_orders(tenant, start=0, count=orders)
    return tenant


def _add_orders(tenant, *, start, count):
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO orders (number, token, source, status, currency,
                   subtotal, total, email, customer_name, placed_at, paid_at)
               SELECT '#' || n, md5(random()::text || n), 'storefront', 'paid',
                      'USD', 20, 20, 'shopper' || (n %% 500) || '@example.com',
                      'Shopper ' || n, now() - n * INTERVAL '1 hour', now()
               FROM generate_series(%s::int, %s::int) AS n""",
            (start, start + count - 1),
        )
        conn.execute(
            """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
                   quantity, unit_price, line_total)
               SELECT o.id, line, v.id, 'BIKE', 'Bike', 1, 10, 10
               FROM orders o, variants v, generate_series(1, 2) AS line
               WHERE o.id > coalesce((SELECT max(order_id) FROM order_lines), 0)"""
        )


def _baseline(platform, tenants):
    """Seconds and rows of a bare COPY of every store table, store by store."""
    rows = 0
    started = time.perf_counter()
    for tenant in tenants:
        dsn = db.with_database(platform.primary_dsn, tenant.store.db_name)
        with db.connect(dsn) as conn, conn.cursor() as cur:
            for table in STORE_TABLES:
                with cur.copy(f"COPY (SELECT * FROM {table.name}) TO STDOUT") as copy:
                    # NOTE: the text format escapes newlines inside values,
                    # so each line is one row.
                    for chunk in copy:
                        rows += bytes(chunk).count(b"\n")
    return time.perf_counter() - started, rows
