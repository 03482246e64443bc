"""Analytics (issue #8): the Overview refresh on DuckDB, PostgreSQL and pandas.

One store gets 1,000,000 order lines built by resampling the real UCI Online
Retail invoices (their lines, quantities and prices, cancellations included)
across the catalogue's products, a pool of customers and two years of dates,
loaded with COPY. Then, in one run:

- **pull**: from nothing (a new DuckDB, the extension loaded, the store
  connected) to the orders and order lines in DuckDB, money cast exactly, by
  the postgres scanner and by psycopg COPY (the engine comparison); the
  plain tables (no hashing, no time zone) are the *bare pull* baseline;
- **cold**: a first open with no mirror file: full pull, per-order facts,
  inventory tables and every figure and chart's data of the Overview;
- **warm**: after each batch of 1,000 new orders (with their stock moves),
  the Overview refreshed three ways: the DuckDB service (incremental pull),
  the same SQL run by PostgreSQL on the store's tables, and pandas over
  float DataFrames already in memory (the new rows handed to it ready-made).

Goals: warm DuckDB at least 10x faster than PostgreSQL and 1.5x faster than
pandas, money exact (DuckDB's figures must equal PostgreSQL's to the last
decimal); cold open at most twice the bare pull. ``run(ctx)`` is called by
``python -m bench analytics``.
"""

import io
import secrets
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from bench.report import figure
from bench.timing import summarise
from commerce.analytics import StoreAnalytics, mirror_path, source
from commerce.analytics.customers import load_customer_key
from commerce.analytics.engine import connect
from commerce.analytics.mirror import FACTS
from commerce.analytics.overview import build_overview
from commerce.analytics.periods import today_in
from commerce.analytics.pull import Copier, Scanner
from commerce.analytics.runner import PostgresRunner
from commerce.analytics.source import CustomerHasher, Source
from tenancy import StoreRequest, provision_store

UCI = (
    Path(__file__).resolve().parents[2]
    / "shared/data/uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv"
)
LINES, QUICK_LINES = 1_000_000, 50_000
NEW_ORDERS, QUICK_NEW_ORDERS = 1_000, 100
HISTORY_DAYS = 730
PERIOD_DAYS = 365
CUSTOMERS = 8_000
GOALS = {"vs_postgres": 10.0, "vs_pandas": 1.5, "cold_vs_pull": 2.0}
TIMEZONE = "Europe/London"


def run(ctx):
    quick = ctx.options.quick
    rounds = 2 if quick else min(ctx.options.repeat, 3)
    sandbox = ctx.sandbox("analytics")
    platform = sandbox.platform
    store = provision_store(
        platform,
        StoreRequest(slug="bench-analytics", display_name="Bench analytics",
                     owner_email="bench@example.com", currency="GBP",
                     timezone=TIMEZONE),
    )  # fmt: skip
    tenant = platform.tenant(store.id)
    rng = np.random.default_rng(8)
    uci = _read_uci()

    started = time.perf_counter()
    maker = Maker(uci, rng, today_in(TIMEZONE, _now))
    variants = maker.load_catalogue(tenant)
    loaded = maker.load_orders(tenant, variants, QUICK_LINES if quick else LINES)
    load_s = time.perf_counter() - started

    key = load_customer_key(platform, store.id)
    pulls = _time_pulls(tenant, key, rounds)
    cold = _time_cold(tenant, rounds)
    warm, exact = _time_warm(tenant, key, maker, variants, rounds, quick)
    _remove_mirrors(platform.config, store.id)
    return _report(loaded, load_s, pulls, cold, warm, exact)


def _now():
    return datetime.now(UTC)


# -- the data -------------------------------------------------------------------


def _read_uci():
    """The real invoice lines: sales and ``C`` cancellations, write-offs dropped."""
    frame = pd.read_csv(
        UCI, encoding="latin-1", dtype=str, keep_default_na=False,
        on_bad_lines="skip",
    )  # fmt: skip
    frame = frame[(frame["StockCode"] != "") & (frame["UnitPrice"] != "")]
    frame["quantity"] = pd.to_numeric(frame["Quantity"], errors="coerce")
    frame = frame[frame["quantity"].notna()]
    frame["quantity"] = frame["quantity"].astype("int64")
    # Prices to the tenth of a penny as integers: line totals stay exact.
    frame["price_milli"] = [int(Decimal(p) * 1000) for p in frame["UnitPrice"]]
    frame["is_return"] = frame["InvoiceNo"].str.startswith("C")
    frame = frame[(frame["quantity"] > 0) | frame["is_return"]]
    frame = frame[frame["price_milli"] >= 0]
    return frame.sort_values("InvoiceNo", kind="stable").reset_index(drop=True)


class Maker:
    """Builds the catalogue and resampled orders, and loads them with COPY."""

    def __init__(self, uci, rng, today):
        self.uci = uci
        self.rng = rng
        self.today = today
        invoices = uci["InvoiceNo"].to_numpy()
        starts = np.flatnonzero(np.r_[True, invoices[1:] != invoices[:-1]])
        self.starts = starts
        self.lengths = np.diff(np.r_[starts, len(invoices)])
        self.next_order = 1
        self.countries = uci["Country"].to_numpy()

    def load_catalogue(self, tenant):
        """One product and variant per StockCode; stock at the default location."""
        codes = self.uci.groupby("StockCode").agg(
            title=("Description", lambda d: d.mode().iat[0] if len(d) else ""),
            price=("price_milli", "median"),
        )
        words = codes["title"].str.split().str[0].fillna("OTHER")
        common = set(words.value_counts().index[:20])
        rows = []
        for number, (code, row) in enumerate(codes.iterrows(), start=1):
            price = Decimal(int(row["price"])) / 1000
            title = row["title"].strip() or code
            tags = [t for t in ("heart", "christmas", "vintage", "set", "bag")
                    if t in title.lower()]  # fmt: skip
            rows.append((
                number, f"p-{number}", title, f"Vendor {number % 12}",
                words.iat[number - 1] if words.iat[number - 1] in common else "OTHER",
                "{" + ",".join(tags) + "}", code, price,
                (price * Decimal("0.55")).quantize(Decimal("0.01")),
            ))  # fmt: skip

        with tenant.transaction() as conn:
            with conn.cursor().copy(
                "COPY products (id, handle, title, vendor, product_type, tags, status)"
                " FROM STDIN"
            ) as copy:
                for r in rows:
                    copy.write_row((r[0], r[1], r[2], r[3], r[4], r[5], "active"))
            with conn.cursor().copy(
                "COPY variants (id, product_id, sku, price, unit_cost,"
                " continue_selling, low_stock_threshold) FROM STDIN"
            ) as copy:
                for r in rows:
                    copy.write_row((r[0], r[0], r[6], r[7], r[8], True, 10))
            stock = self.rng.integers(0, 400, len(rows))
            with conn.cursor().copy(
                "COPY stock_levels (variant_id, location_id, on_hand) FROM STDIN"
            ) as copy:
                for r, on_hand in zip(rows, stock, strict=True):
                    copy.write_row((r[0], 1, int(on_hand)))
            for table in ("products", "variants"):
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)",
                    (len(rows),),
                )
        return {row[6]: row[0] for row in rows}

    def orders_and_lines(self, variants, lines_wanted, dates):
        """Resampled invoices as (orders, lines) DataFrames ready for COPY."""
        rng = self.rng
        average = self.lengths.mean()
        picks = rng.integers(0, len(self.starts), int(lines_wanted / average * 1.1))
        picks = picks[np.cumsum(self.lengths[picks]) <= lines_wanted]
        count = len(picks)
        # As in a real store, order ids grow with the time orders are placed.
        placed = sorted(dates(count))
        ids = np.arange(self.next_order, self.next_order + count)
        self.next_order += count

        lengths = self.lengths[picks]
        order_of_line = np.repeat(np.arange(count), lengths)
        first = np.repeat(self.starts[picks], lengths)
        starts = np.cumsum(lengths) - lengths
        offset = np.arange(len(first)) - np.repeat(starts, lengths)
        rows = self.uci.iloc[first + offset]

        quantity = rows["quantity"].to_numpy()
        price = rows["price_milli"].to_numpy()
        total_milli = quantity * price
        lines = pd.DataFrame({
            "order_id": ids[order_of_line],
            "line_no": offset + 1,
            "variant_id": [variants[c] for c in rows["StockCode"]],
            "sku": rows["StockCode"].to_numpy(),
            "title": rows["Description"].str.strip().replace("", "?").to_numpy(),
            "quantity": quantity,
            "unit_price": [_milli(p) for p in price],
            "line_total": [_milli(t) for t in total_milli],
        })  # fmt: skip

        order_total = np.bincount(order_of_line, weights=total_milli, minlength=count)
        order_total = order_total.astype("int64")
        is_return = rows["is_return"].to_numpy()[np.cumsum(lengths) - 1]
        customer = rng.integers(0, CUSTOMERS, count)
        status = np.where(is_return, "refunded", "paid")
        fate = rng.random(count)
        status = np.where(~is_return & (fate < 0.03), "refunded", status)
        status = np.where(~is_return & (fate >= 0.03) & (fate < 0.05),
                          "partially_refunded", status)  # fmt: skip
        refunded = np.where(is_return, -order_total, 0)
        refunded = np.where(status == "refunded", np.abs(order_total), refunded)
        refunded = np.where(status == "partially_refunded",
                            order_total // 3 // 10 * 10, refunded)  # fmt: skip
        orders = pd.DataFrame({
            "id": ids,
            "number": [f"B{i}" for i in ids],
            "token": [secrets.token_hex(8) for _ in ids],
            "source": "storefront",
            "kind": np.where(is_return, "return", "sale"),
            "status": status,
            "currency": "GBP",
            "subtotal": [_milli(t) for t in order_total],
            "total": [_milli(t) for t in order_total],
            "refunded_total": [_milli(t) for t in refunded],
            "email": [f"customer{c}@example.com" if c % 10 else "" for c in customer],
            "country": self.countries[rng.integers(0, len(self.countries), count)],
            "payment_provider": rng.choice(["stripe", "paypal", "manual"], count),
            "placed_at": placed,
            "paid_at": placed,
            "updated_at": placed,
        })  # fmt: skip
        return orders, lines

    def historic_dates(self, count):
        days = self.rng.integers(1, HISTORY_DAYS, count)
        seconds = self.rng.integers(0, 86_400, count)
        start = datetime.combine(self.today, datetime.min.time(), tzinfo=UTC)
        return [
            (start - timedelta(days=int(d)) + timedelta(seconds=int(s))).isoformat()
            for d, s in zip(days, seconds, strict=True)
        ]

    def load_orders(self, tenant, variants, lines_wanted):
        orders, lines = self.orders_and_lines(
            variants, lines_wanted, self.historic_dates
        )
        _copy(tenant, orders, lines)
        with tenant.connection() as conn:
            conn.execute("ANALYZE orders")
            conn.execute("ANALYZE order_lines")
        return {"orders": len(orders), "lines": len(lines)}

    def add_new_orders(self, tenant, variants, count):
        """``count`` orders placed in the last hour, their stock taken off."""

        def recent(n):
            seconds = self.rng.integers(1, 3_600, n)
            now = _now()
            return [(now - timedelta(seconds=int(s))).isoformat() for s in seconds]

        average = self.lengths.mean()
        orders, lines = self.orders_and_lines(variants, int(count * average), recent)
        orders = orders.drop(columns="updated_at")
        _copy(tenant, orders, lines, stock=True)
        return orders, lines


def _milli(value):
    return str(Decimal(int(value)) / 1000)


def _copy(tenant, orders, lines, stock=False):
    with tenant.transaction() as conn:
        for table, frame in (("orders", orders), ("order_lines", lines)):
            buffer = io.StringIO()
            frame.to_csv(buffer, index=False, header=False)
            columns = ", ".join(frame.columns)
            with conn.cursor().copy(
                f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
            ) as copy:
                copy.write(buffer.getvalue())
        conn.execute("SELECT setval('orders_id_seq', (SELECT max(id) FROM orders))")
        if stock:
            conn.execute(
                """WITH sold AS (
                       SELECT variant_id, sum(quantity) AS q FROM order_lines
                       WHERE order_id = ANY(%s) AND quantity > 0 GROUP BY variant_id),
                   taken AS (
                       UPDATE stock_levels s SET on_hand = s.on_hand - sold.q
                       FROM sold WHERE s.variant_id = sold.variant_id
                         AND s.location_id = 1
                       RETURNING s.variant_id, s.on_hand, sold.q)
                   INSERT INTO stock_movements (variant_id, location_id, kind,
                       quantity, on_hand_after, actor)
                   SELECT variant_id, 1, 'sold', -q, on_hand, 'bench' FROM taken""",
                (orders["id"].tolist(),),
            )


# -- pulls and the cold open ------------------------------------------------------

_PLAIN = (
    Source("orders", (
        ("id", "BIGINT"), ("kind", "VARCHAR"), ("status", "VARCHAR"),
        ("placed_at", "TIMESTAMPTZ"), ("email", "VARCHAR"), ("country", "VARCHAR"),
        ("payment_provider", "VARCHAR"), ("refunded_total", "DECIMAL(18,6)"),
    ), """SELECT id, kind, status, placed_at, email, country, payment_provider,
              refunded_total::numeric(18,6) FROM orders"""),
    Source("lines", (
        ("order_id", "BIGINT"), ("variant_id", "BIGINT"), ("sku", "VARCHAR"),
        ("quantity", "INTEGER"), ("line_total", "DECIMAL(18,6)"),
    ), """SELECT order_id, variant_id, sku, quantity, line_total::numeric(18,6)
          FROM order_lines"""),
)  # fmt: skip


def _time_pulls(tenant, key, rounds):
    """Seconds to pull orders and lines into DuckDB, per engine and shape."""
    hasher = CustomerHasher(key)
    shaped = (source.orders(TIMEZONE, hasher), source.lines())
    samples = {}
    for engine in ("scanner", "copy"):
        for shape, sources in (("plain", _PLAIN), ("analytics", shaped)):
            name = f"{engine}_{shape}"
            samples[name] = []
            for _ in range(rounds + 1):
                # From nothing, as a cold open starts: DuckDB, the extension,
                # the connection to the store, then the rows.
                started = time.perf_counter()
                con = connect(None, extension_dir=_extensions(tenant))
                puller = _puller(engine, con, tenant)
                for spec in sources:
                    puller.fetch(f"pull_{spec.name}", spec)
                samples[name].append(time.perf_counter() - started)
                con.close()
            samples[name] = samples[name][1:]
    return samples


COLD_WAYS = {
    "scanner": {"engine_name": "scanner"},
    "copy": {"engine_name": "copy"},
    "scanner_file": {"engine_name": "scanner", "persist": True},
}


def _time_cold(tenant, rounds):
    """A first open (no mirror yet) and its Overview, per engine and storage."""
    samples = {way: [] for way in COLD_WAYS}
    config = tenant.platform.config
    for index in range(rounds + 1):
        for way, options in COLD_WAYS.items():
            _remove_mirrors(config, tenant.id)
            started = time.perf_counter()
            with StoreAnalytics(tenant, **options) as analytics:
                analytics.overview(analytics.period(days=PERIOD_DAYS))
            if index:
                samples[way].append(time.perf_counter() - started)
    return samples


def _puller(engine, con, tenant):
    if engine == "scanner":
        dsn = tenant.platform.store_dsn(tenant.store)
        return Scanner(con, dsn, tenant.id)
    return Copier(con, tenant.connection, tenant.id)


def _extensions(tenant):
    return tenant.platform.config.data_dir / "analytics" / "extensions"


def _remove_mirrors(config, store_id):
    path = mirror_path(config, store_id)
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


# -- warm refreshes ----------------------------------------------------------------


def _time_warm(tenant, key, maker, variants, rounds, quick):
    """Refresh after each batch of new orders: DuckDB, PostgreSQL, pandas."""
    new_orders = QUICK_NEW_ORDERS if quick else NEW_ORDERS
    samples = {"duckdb": [], "duckdb_file": [], "postgres": [], "pandas": []}
    pulls = {"duckdb": [], "duckdb_file": []}
    exact = []
    hasher = CustomerHasher(key)
    _remove_mirrors(tenant.platform.config, tenant.id)
    # Refreshed by hand below, so each Overview is one refresh and its queries.
    analytics = StoreAnalytics(tenant, engine_name="scanner", max_age=timedelta(1))
    on_file = StoreAnalytics(
        tenant, engine_name="scanner", max_age=timedelta(1), persist=True
    )

    def refreshed(service, name):
        pulls[name].append(service.refresh().seconds)
        return service.overview(period)

    period = analytics.period(days=PERIOD_DAYS)
    analytics.overview(period)
    on_file.overview(period)
    frames = _frames_of(analytics)

    with tenant.connection() as conn:
        conn.autocommit = True
        _postgres_views(conn, key)
        for index in range(rounds + 1):
            orders, lines = maker.add_new_orders(tenant, variants, new_orders)
            results = {}
            measures = {
                "duckdb": partial(refreshed, analytics, "duckdb"),
                "duckdb_file": partial(refreshed, on_file, "duckdb_file"),
                "postgres": lambda: _postgres_overview(conn, tenant, period),
                "pandas": partial(
                    _pandas_overview, frames, orders, lines, period, hasher
                ),
            }
            names = list(measures)
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                started = time.perf_counter()
                results[name] = measures[name]()
                samples[name].append(time.perf_counter() - started)
            exact.append(_compare(results))
        conn.execute("DISCARD TEMP")
    analytics.close()
    on_file.close()
    for name, refreshes in pulls.items():
        # The Overview's own queries, on data already in DuckDB: pandas' case.
        samples[f"{name}_queries"] = [
            total - refresh
            for total, refresh in zip(samples[name], refreshes, strict=True)
        ]
        samples[f"{name}_refresh"] = refreshes
    return {name: taken[1:] for name, taken in samples.items()}, exact


def _postgres_views(conn, key):
    """Views shaped like the mirror, over the store's own tables."""
    hasher = CustomerHasher(key)
    conn.execute(
        f"CREATE TEMP VIEW src_orders AS {source.orders(TIMEZONE, hasher).sql}"
    )
    conn.execute(f"CREATE TEMP VIEW src_lines AS {source.lines().sql}")
    conn.execute(
        f"""CREATE TEMP VIEW lines AS
            SELECT l.order_id, o.day, o.kind, {_PG_ITEM} AS item, l.variant_id,
                   l.sku, l.title, l.quantity, l.line_total
            FROM src_lines l JOIN src_orders o ON o.id = l.order_id
            WHERE o.counted"""
    )


# The mirror's item key, spelled for PostgreSQL (a view over the raw lines).
_PG_ITEM = """coalesce(l.variant_id, -1 - abs(hashtextextended(
    coalesce(l.sku, '') || chr(31) || coalesce(l.title, ''), 0) >> 1))"""
_PG_ITEMS = f"""SELECT id AS item, id AS variant_id, sku, NULL::text AS title
    FROM variants
    UNION ALL
    SELECT DISTINCT {_PG_ITEM}, NULL::bigint, l.sku, l.title FROM src_lines l
    WHERE l.variant_id IS NULL"""


def _postgres_overview(conn, tenant, period):
    """What the mirror holds, rebuilt in temp tables, then the same Overview."""
    runner = PostgresRunner(conn)
    for make in (source.catalogue, source.tags, source.stock):
        spec = make()
        runner.execute(f"DROP TABLE IF EXISTS {spec.name}")
        runner.execute(f"CREATE TEMP TABLE {spec.name} AS {spec.sql}")
    runner.execute("DROP TABLE IF EXISTS items")
    runner.execute(f"CREATE TEMP TABLE items AS {_PG_ITEMS}")
    runner.execute("DROP TABLE IF EXISTS item_months")
    runner.execute(
        """CREATE TEMP TABLE item_months AS
           SELECT CAST(date_trunc('month', day) AS DATE) AS month, item, kind,
                  sum(line_total) AS total, sum(quantity) AS units
           FROM lines GROUP BY 1, item, kind"""
    )
    runner.execute("DROP TABLE IF EXISTS order_facts")
    runner.execute(
        "CREATE TEMP TABLE order_facts AS "
        + FACTS.format(orders="src_orders", lines="src_lines")
    )
    return build_overview(runner, tenant.id, "GBP", period, period.end)


# -- pandas, float money -----------------------------------------------------------


def _frames_of(analytics):
    """The mirror's tables as pandas DataFrames (DuckDB turns DECIMAL to float)."""
    con = analytics.con
    return {
        table: con.execute(f"SELECT * FROM {table}").df()
        for table in ("orders", "lines", "catalogue", "stock")
    }


def _pandas_overview(frames, new_orders, new_lines, period, hasher):
    """The Overview's figures in pandas, recomputed from the in-memory frames."""
    orders = _pandas_new_orders(new_orders, hasher)
    frames["orders"] = pd.concat([frames["orders"], orders], ignore_index=True)
    added = new_lines.merge(orders[orders["counted"]][["id", "day", "kind"]],
                            left_on="order_id", right_on="id")  # fmt: skip
    added["line_total"] = added["line_total"].astype(float)
    added["item"] = added["variant_id"]
    frames["lines"] = pd.concat(
        [frames["lines"], added[frames["lines"].columns]], ignore_index=True
    )

    lines, orders = frames["lines"], frames["orders"]
    counted = orders[orders["counted"]]
    per_order = lines.groupby("order_id").agg(
        gross=("line_total", "sum"), units_sold=("quantity", "sum")
    )
    facts = counted.join(per_order, on="id").fillna({"gross": 0, "units_sold": 0})
    start, end = pd.Timestamp(period.start), pd.Timestamp(period.end)
    previous = period.previous()
    day = pd.to_datetime(facts["day"])
    result = {}
    for name, (a, b) in {
        "current": (start, end),
        "previous": (pd.Timestamp(previous.start), pd.Timestamp(previous.end)),
    }.items():
        chosen = facts[(day >= a) & (day <= b)]
        sale = chosen[chosen["kind"] == "sale"]
        result[name] = {
            "gross_sales": sale["gross"].sum(), "refunds": chosen["refunded"].sum(),
            "orders": len(sale), "units_sold": sale["units_sold"].sum(),
            "customers": sale["customer"].nunique(),
        }  # fmt: skip
    current = facts[(day >= start) & (day <= end)].assign(day=day)
    daily = current.groupby("day").agg(gross=("gross", "sum"),
                                       refunds=("refunded", "sum"),
                                       orders=("id", "count"))  # fmt: skip
    for rule in ("W-SUN", "MS"):
        daily.resample(rule).sum()

    line_day = pd.to_datetime(lines["day"])
    in_period = lines[(line_day >= start) & (line_day <= end)]
    items = (
        in_period.groupby(["variant_id", "sku"], dropna=False)
        .agg(gross=("line_total", "sum"), units=("quantity", "sum"))
        .reset_index()
    )
    items = items.merge(frames["catalogue"], on="variant_id", how="left")
    for key in ("product_id", "variant_id", "vendor", "product_type"):
        items.groupby(key, dropna=False)[["gross", "units"]].sum()
    for key in ("country", "payment_provider"):
        current.groupby(key, dropna=False)[["gross", "refunded"]].sum()
    firsts = pd.to_datetime(
        facts[facts["kind"] == "sale"].groupby("customer")["day"].min()
    )
    active = current[current["kind"] == "sale"]
    active.assign(new=active["customer"].map(firsts) >= start).groupby("new")[
        "gross"
    ].sum()
    recent = lines[line_day >= end - pd.Timedelta(days=89)]
    sold = recent[recent["kind"] == "sale"].groupby("variant_id")["quantity"].sum()
    stock = frames["stock"].groupby("variant_id")[["on_hand", "reserved"]].sum()
    stock = frames["catalogue"].join(stock, on="variant_id").join(sold, on="variant_id")
    stock["value_at_cost"] = stock["unit_cost"] * stock["on_hand"].clip(lower=0)
    stock["cover"] = stock["on_hand"] / (stock["quantity"] / 28)
    stock.sort_values("quantity", ascending=False)["quantity"].cumsum()
    return result


def _pandas_new_orders(orders, hasher):
    placed = pd.to_datetime(orders["placed_at"], utc=True)
    return pd.DataFrame({
        "id": orders["id"].to_numpy(),
        "kind": orders["kind"].to_numpy(),
        "status": orders["status"].to_numpy(),
        "counted": True,
        "day": placed.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize(),
        "country": orders["country"].to_numpy(),
        "payment_provider": orders["payment_provider"].to_numpy(),
        "customer": [
            hasher.digest(f"email:{email}") if email else None
            for email in orders["email"]
        ],
        "refunded": orders["refunded_total"].astype(float).to_numpy(),
        "updated_us": 0,
    })  # fmt: skip


def _compare(results):
    """DuckDB against PostgreSQL exactly; pandas (float) to the penny."""
    duck = results["duckdb"].comparison.current
    postgres = results["postgres"].comparison.current
    pandas = results["pandas"]["current"]
    exact = all(
        getattr(duck, name) == getattr(postgres, name)
        for name in ("gross_sales", "refunds", "orders", "units_sold", "customers")
    )
    drift = abs(float(duck.gross_sales) - pandas["gross_sales"])
    return {"duckdb_equals_postgres": exact, "pandas_gross_drift": drift}


# -- the report ----------------------------------------------------------------------


def _report(loaded, load_s, pulls, cold, warm, exact):
    med = {name: float(np.median(s)) for name, s in {**pulls, **warm}.items()}
    cold_med = {name: float(np.median(s)) for name, s in cold.items()}
    bare = med["scanner_plain"]
    vs_pg = med["postgres"] / med["duckdb"]
    vs_pandas = med["pandas"] / med["duckdb"]
    cold_ratio = cold_med["scanner"] / bare
    all_exact = all(e["duckdb_equals_postgres"] for e in exact)
    figures = [
        figure("order lines / orders", f"{loaded['lines']} / {loaded['orders']}"),
        figure("bare pull, scanner (plain tables)", round(bare, 3), "s"),
        figure("bare pull, COPY (plain tables)", round(med["copy_plain"], 3), "s"),
        figure("analytics pull, scanner", round(med["scanner_analytics"], 3), "s"),
        figure("analytics pull, COPY", round(med["copy_analytics"], 3), "s"),
        figure("cold open + Overview, scanner", round(cold_med["scanner"], 3), "s"),
        figure("cold open + Overview, COPY", round(cold_med["copy"], 3), "s"),
        figure("cold open + Overview, scanner, mirror on file",
               round(cold_med["scanner_file"], 3), "s"),
        figure("cold / bare pull", round(cold_ratio, 2), "x",
               goal=f"<= {GOALS['cold_vs_pull']}",
               met=cold_ratio <= GOALS["cold_vs_pull"]),
        figure("warm refresh, DuckDB", round(med["duckdb"], 3), "s"),
        figure("warm refresh, DuckDB, mirror on file", round(med["duckdb_file"], 3),
               "s"),
        figure("warm refresh, PostgreSQL", round(med["postgres"], 3), "s"),
        figure("warm refresh, pandas (float)", round(med["pandas"], 3), "s"),
        figure("  DuckDB part: refresh (probe + pull + merge)",
               round(med["duckdb_refresh"], 3), "s"),
        figure("  DuckDB part: Overview queries on the mirror",
               round(med["duckdb_queries"], 3), "s"),
        figure("pandas / DuckDB Overview queries (both in memory)",
               round(med["pandas"] / med["duckdb_queries"], 2), "x"),
        figure("PostgreSQL / DuckDB", round(vs_pg, 1), "x",
               goal=f">= {GOALS['vs_postgres']}", met=vs_pg >= GOALS["vs_postgres"]),
        figure("pandas / DuckDB", round(vs_pandas, 2), "x",
               goal=f">= {GOALS['vs_pandas']}", met=vs_pandas >= GOALS["vs_pandas"]),
        figure("DuckDB money equals PostgreSQL's", str(all_exact),
               goal="True", met=all_exact),
    ]  # fmt: skip
    return {
        "figures": figures,
        "load_seconds": round(load_s, 1),
        "pulls": {name: summarise(s) for name, s in pulls.items()},
        "cold": {name: summarise(s) for name, s in cold.items()},
        "warm": {name: summarise(s) for name, s in warm.items()},
        "exactness": exact,
    }
