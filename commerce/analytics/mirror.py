"""The store's analytics mirror in DuckDB: tables, bookkeeping and merges.

``orders`` holds every order (to compare with PostgreSQL), ``lines`` the
lines of counted orders with their order's day and kind copied on, and
``order_facts`` one row per counted order with its line sums: the per-order
aggregate that the sales figures read, kept up to date order by order as
changed orders arrive. Each line carries an integer ``item``: its variant id,
or for a line without one (imported history) a negative hash of its SKU and
title, named in ``items``; grouping on one integer is what keeps the item
scans cheap. ``item_months`` sums the lines per month, item and kind; it is
kept up to date by folding in each increment's sums (less those of the lines
it replaces), touching only the months that changed, so no refresh rescans
every line. ``catalogue``, ``tags``, ``stock`` and ``locations`` are small
and replaced whole when the catalogue or stock changes.

``meta`` records what the mirror was built for (store, time zone, customer
key, layout version) and how far it has read; a mismatch rebuilds it.
"""

from commerce.analytics import source

LAYOUT_VERSION = "4"

ORDER_COLUMNS = (
    "id, kind, status, counted, day, country, payment_provider, customer, "
    "refunded, updated_us"
)

_TABLES = {
    "orders": """CREATE TABLE orders (id BIGINT, kind VARCHAR, status VARCHAR,
        counted BOOLEAN, day DATE, country VARCHAR, payment_provider VARCHAR,
        customer VARCHAR, refunded DECIMAL(18,6), updated_us BIGINT)""",
    "lines": """CREATE TABLE lines (order_id BIGINT, day DATE, kind VARCHAR,
        item BIGINT, variant_id BIGINT, sku VARCHAR, title VARCHAR,
        quantity INTEGER, line_total DECIMAL(18,6))""",
    "items": """CREATE TABLE items (item BIGINT, variant_id BIGINT, sku VARCHAR,
        title VARCHAR)""",
    "item_months": """CREATE TABLE item_months (month DATE, item BIGINT,
        kind VARCHAR, total DECIMAL(38,6), units BIGINT)""",
    "order_facts": """CREATE TABLE order_facts (id BIGINT, day DATE, kind VARCHAR,
        customer VARCHAR, country VARCHAR, payment_provider VARCHAR,
        refunded DECIMAL(18,6), total DECIMAL(18,6), units BIGINT)""",
}

# One row per counted order with the sums of its lines. Written in SQL that
# PostgreSQL runs unchanged too (the bench's baseline reads the same text).
FACTS = """SELECT o.id, o.day, o.kind, o.customer, o.country, o.payment_provider,
        o.refunded, CAST(coalesce(l.total, 0) AS DECIMAL(18,6)) AS total,
        CAST(coalesce(l.units, 0) AS BIGINT) AS units
    FROM {orders} o LEFT JOIN (
        SELECT order_id, sum(line_total) AS total, sum(quantity) AS units
        FROM {lines} GROUP BY order_id) l ON l.order_id = o.id
    WHERE o.counted"""

# The pulled lines of counted orders, with their order's day and kind. Item
# keys of lines without a variant are negative, so they never meet a variant.
ITEM = """coalesce(l.variant_id, -1 - CAST(hash(coalesce(l.sku, '') || chr(31)
        || coalesce(l.title, '')) >> 1 AS BIGINT))"""
_LINES_IN = f"""INSERT INTO lines
    SELECT l.order_id, o.day, o.kind, {ITEM}, l.variant_id, l.sku, l.title,
        l.quantity, l.line_total
    FROM {{{{rows}}}} l JOIN {{orders}} o ON o.id = l.order_id WHERE o.counted"""
# Items not seen before, named by their least SKU and title.
ITEMS = """SELECT item, min(variant_id) AS variant_id, min(sku) AS sku,
        min(title) AS title
    FROM {lines} GROUP BY item"""


class Mirror:
    """The DuckDB tables of one store, on a connection the caller owns."""

    def __init__(self, con):
        self.con = con
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")
        self._meta = dict(con.execute("SELECT key, value FROM meta").fetchall())

    # -- bookkeeping ---------------------------------------------------------------

    def meta(self):
        return dict(self._meta)

    def set_meta(self, **values):
        """Record ``values`` (inside the caller's transaction)."""
        values = {key: str(value) for key, value in values.items()}
        self.con.execute(
            "DELETE FROM meta WHERE key IN (SELECT unnest(?))", [list(values)]
        )
        self.con.executemany("INSERT INTO meta VALUES (?, ?)", list(values.items()))
        self._meta.update(values)

    def forget_meta(self):
        """Drop the cached bookkeeping after a rolled-back transaction."""
        self._meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())

    def matches(self, identity):
        """True when the mirror was built for this store, zone, key and layout."""
        meta = self.meta()
        wanted = {"layout": LAYOUT_VERSION, **identity}
        return "orders_mark" in meta and all(
            meta.get(key) == str(value) for key, value in wanted.items()
        )

    def reset(self, identity):
        """Empty every table and start over for ``identity``."""
        for table in (*_TABLES, "catalogue", "tags", "stock", "locations"):
            self.con.execute(f"DROP TABLE IF EXISTS {table}")
        for ddl in _TABLES.values():
            self.con.execute(ddl)
        for make in (source.catalogue, source.tags, source.stock, source.locations):
            spec = make()
            self.con.execute(spec.ddl(spec.name))
        self.con.execute("DELETE FROM meta")
        self._meta = {}
        self.set_meta(layout=LAYOUT_VERSION, **identity)

    # -- orders and lines ---------------------------------------------------------

    def merge(self, puller, lines, orders="pull_orders", *, stage=True):
        """Replace the orders in table ``orders`` with their new state: the order
        rows, their lines (pulled now from the ``lines`` source) and their facts
        and items. Returns (orders, lines) merged.

        ``stage`` pulls the lines into a temp table first, so facts and items
        are computed from the increment alone; a full pull (``stage=False``)
        streams into the mirror and computes them from it, saving a copy.
        """
        con = self.con
        changed = f"(SELECT id FROM {orders})"
        self._start_delta()
        known = con.execute(
            f"SELECT count(*) FROM orders WHERE id IN {changed}"
        ).fetchone()[0]
        if known:
            # New orders (the usual increment) have nothing to delete, and the
            # deletes are what would scan every line.
            self.forget(orders, fold=False)

        empty = not con.execute("SELECT count(*) FROM orders").fetchone()[0]
        merged = con.execute(
            f"INSERT INTO orders SELECT {ORDER_COLUMNS} FROM {orders}"
        ).fetchone()[0]
        count, mine = self._add_lines(puller, lines, orders, stage, empty)

        con.execute(
            "INSERT INTO order_facts " + FACTS.format(orders=orders, lines=mine)
        )
        fresh = f"(SELECT * FROM {mine} WHERE item NOT IN (SELECT item FROM items))"
        con.execute("INSERT INTO items " + ITEMS.format(lines=fresh))
        self._sum_items(mine, sign="")
        if empty:
            # A first fill: the sums are the table, nothing to fold them into.
            con.execute("INSERT INTO item_months SELECT * FROM item_delta")
        else:
            self._fold("item_months", "month", "item_delta")
        return merged, count

    def _add_lines(self, puller, lines, orders, stage, empty):
        """Pull the lines into the mirror; return their count and a table
        expression for just them."""
        if not stage:
            count = puller.run(_LINES_IN.format(orders=orders), lines)[0]
            if empty:
                return count, "lines"
            return count, (
                f"(SELECT * FROM lines WHERE order_id IN (SELECT id FROM {orders}))"
            )

        con = self.con
        con.execute("DROP TABLE IF EXISTS new_lines")
        con.execute("CREATE TEMP TABLE new_lines AS SELECT * FROM lines LIMIT 0")
        statement = _LINES_IN.replace("INSERT INTO lines", "INSERT INTO new_lines")
        count = puller.run(statement.format(orders=orders), lines)[0]
        con.execute("INSERT INTO lines SELECT * FROM new_lines")
        return count, "new_lines"

    def _start_delta(self):
        self.con.execute("DROP TABLE IF EXISTS item_delta")
        self.con.execute(
            "CREATE TEMP TABLE item_delta AS SELECT * FROM item_months LIMIT 0"
        )

    def _sum_items(self, lines, sign):
        self.con.execute(
            f"""INSERT INTO item_delta
                SELECT CAST(date_trunc('month', day) AS DATE) AS month, item, kind,
                    {sign}sum(line_total), {sign}sum(quantity)
                FROM {lines} GROUP BY 1, item, kind"""
        )

    def _fold(self, table, key, delta):
        """Add ``delta``'s sums into ``table``, one row per key, item and kind."""
        con = self.con
        keys = f"(SELECT DISTINCT {key} FROM {delta})"
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE folded AS
                SELECT {key}, item, kind, sum(total) AS total,
                    CAST(sum(units) AS BIGINT) AS units
                FROM (SELECT * FROM {table} WHERE {key} IN {keys}
                      UNION ALL SELECT * FROM {delta})
                GROUP BY {key}, item, kind"""
        )
        con.execute(f"DELETE FROM {table} WHERE {key} IN {keys}")
        con.execute(
            f"INSERT INTO {table} SELECT * FROM folded WHERE total <> 0 OR units <> 0"
        )

    def forget(self, ids_table, *, fold=True):
        """Remove orders listed in ``ids_table`` with their lines, facts and
        month sums (``fold=False``: leave the month sums in ``item_delta``)."""
        if fold:
            self._start_delta()
        lines = f"(SELECT * FROM lines WHERE order_id IN (SELECT id FROM {ids_table}))"
        self._sum_items(lines, sign="-")
        for table, key in (("orders", "id"), ("lines", "order_id"),
                           ("order_facts", "id")):  # fmt: skip
            self.con.execute(
                f"DELETE FROM {table} WHERE {key} IN (SELECT id FROM {ids_table})"
            )
        if fold:
            self._fold("item_months", "month", "item_delta")

    def agrees(self, mark_us, count, refunded):
        """Do the orders updated before ``mark_us`` match PostgreSQL's?"""
        mine = self.con.execute(
            """SELECT count(*), coalesce(sum(refunded), 0) FROM orders
               WHERE updated_us < ?""",
            [mark_us],
        ).fetchone()
        return mine[0] == count and mine[1] == refunded
