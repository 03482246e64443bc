"""What analytics reads from a store's PostgreSQL database, and how.

Each ``Source`` is one query on the store's database and the exact DuckDB
types its rows land in. The queries do three things on the PostgreSQL side,
so that neither engine has to:

- cut days at the store's midnight (``placed_at AT TIME ZONE <store zone>``);
- replace the customer (email, else the imported customer reference) by a
  keyed hash, so no raw email ever reaches DuckDB (see ``CustomerHasher``);
- cast money to ``numeric(18,6)`` through ``exact_money``, which makes
  PostgreSQL raise rather than round a value with more than 6 decimals (and
  it refuses one of 10^12 or more by itself): a value arrives exact or the
  pull fails with ``PrecisionLost``.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

MONEY = "DECIMAL(18,6)"
SCALE = 6
# Raised from PostgreSQL (as a failed numeric cast naming it) by exact_money.
PRECISION_MARK = "apmt-precision-lost"
_ZONE = re.compile(r"[A-Za-z0-9_+\-/]+")

# Orders that are sales the owner made: paid in some way, even if refunded or
# (after payment) cancelled. Return orders count once they are not pending.
COUNTED = """CASE WHEN o.kind = 'sale'
        THEN o.status IN ('paid', 'fulfilled', 'refunded', 'partially_refunded')
             OR (o.status = 'cancelled' AND o.paid_at IS NOT NULL)
        ELSE o.status NOT IN ('pending', 'cancelled', 'expired') END"""

CUSTOMER = """CASE
        WHEN nullif(btrim(o.email), '') IS NOT NULL
            THEN 'email:' || lower(btrim(o.email))
        WHEN nullif(btrim(o.customer_ref), '') IS NOT NULL
            THEN 'ref:' || btrim(o.customer_ref) END"""


@dataclass(frozen=True)
class Source:
    """One pull: a name, the typed columns it fills and its PostgreSQL query."""

    name: str
    columns: tuple[tuple[str, str], ...]
    sql: str

    @property
    def column_names(self):
        return [name for name, _ in self.columns]

    def ddl(self, table, *, temp=False):
        body = ", ".join(f"{name} {kind}" for name, kind in self.columns)
        return f"CREATE {'TEMP ' if temp else ''}TABLE {table} ({body})"


class CustomerHasher:
    """HMAC-SHA256 of a customer's identity under the store's own key.

    PostgreSQL has ``sha256()`` but no HMAC without pgcrypto, so the HMAC is
    spelled out (RFC 2104): ``H(K ^ opad || H(K ^ ipad || message))``. Only
    the padded keys reach the query text; the hash keeps 16 bytes (hex).
    """

    BLOCK = 64

    def __init__(self, key):
        if len(key) < 16:
            raise ValueError("a customer key needs at least 16 bytes")
        self._key = key
        padded = (hashlib.sha256(key).digest() if len(key) > self.BLOCK else key).ljust(
            self.BLOCK, b"\0"
        )
        self._inner = bytes(b ^ 0x36 for b in padded).hex()
        self._outer = bytes(b ^ 0x5C for b in padded).hex()

    def sql(self, expression):
        message = f"convert_to({expression}, 'UTF8')"
        inner = f"sha256(decode('{self._inner}', 'hex') || {message})"
        return (
            f"encode(substr(sha256(decode('{self._outer}', 'hex') || {inner}), 1, 16),"
            " 'hex')"
        )

    def digest(self, identity):
        """The same hash computed here, for ``email:...`` or ``ref:...``."""
        mac = hmac.new(self._key, identity.encode(), hashlib.sha256)
        return mac.hexdigest()[:32]

    @property
    def fingerprint(self):
        """Changes with the key; stored with the mirror to notice a new key."""
        return self.digest("fingerprint")[:12]


def exact_money(column):
    """``column`` as numeric(18,6), or an error when that would round it."""
    return (
        f"CASE WHEN min_scale({column}) <= {SCALE} "
        f"THEN {column}::numeric(18,{SCALE}) "
        f"ELSE ('{PRECISION_MARK} ' || {column})::numeric END"
    )


def orders(zone, hasher, where=""):
    zone = _checked_zone(zone)
    sql = f"""SELECT o.id, o.kind, o.status, {COUNTED} AS counted,
        (o.placed_at AT TIME ZONE '{zone}')::date AS day,
        o.country, o.payment_provider, {hasher.sql(CUSTOMER)} AS customer,
        {exact_money("o.refunded_total")} AS refunded,
        (extract(epoch FROM o.updated_at) * 1000000)::bigint AS updated_us
    FROM orders o {where}"""
    return Source("orders", _ORDER_COLUMNS, sql)


def lines(*wheres):
    """The lines matching any of ``wheres`` (each a WHERE clause), or all."""
    select = f"""SELECT l.order_id, l.variant_id, l.sku,
        CASE WHEN l.variant_id IS NULL THEN l.title END AS title, l.quantity,
        {exact_money("l.line_total")} AS line_total
    FROM order_lines l"""
    # NOTE: one query per filter, glued with UNION ALL: PostgreSQL plans an
    # OR of a range and a list as a scan of every line.
    sql = "\nUNION ALL\n".join(f"{select} {where}" for where in wheres or [""])
    return Source("lines", _LINE_COLUMNS, sql)


def changed_since(mark_us):
    """Filters for orders, and for their lines, updated at or after a mark."""
    at = f"timestamptz 'epoch' + {int(mark_us)} * interval '1 microsecond'"
    return (
        f"WHERE o.updated_at >= {at}",
        f"WHERE l.order_id IN (SELECT id FROM orders WHERE updated_at >= {at})",
    )


def lines_after(order_id):
    """Lines of orders newer than ``order_id`` (a range on the lines' index)."""
    return f"WHERE l.order_id > {int(order_id)}"


def lines_of(order_ids):
    """Lines of the listed orders, looked up one order at a time."""
    ids = ",".join(str(int(i)) for i in order_ids)
    return f"WHERE l.order_id IN (SELECT unnest('{{{ids}}}'::bigint[]))"


def catalogue():
    sql = f"""SELECT v.id AS variant_id, v.product_id, v.sku, p.title AS product,
        concat_ws(' / ', v.option1, v.option2, v.option3) AS variant,
        p.vendor, p.product_type, p.status, v.archived_at IS NOT NULL AS archived,
        {exact_money("v.price")} AS price,
        {exact_money("v.unit_cost")} AS unit_cost, v.low_stock_threshold
    FROM variants v JOIN products p ON p.id = v.product_id"""
    return Source("catalogue", _CATALOGUE_COLUMNS, sql)


def tags():
    sql = "SELECT p.id AS product_id, unnest(p.tags) AS tag FROM products p"
    return Source("tags", (("product_id", "BIGINT"), ("tag", "VARCHAR")), sql)


def stock():
    sql = "SELECT variant_id, location_id, on_hand, reserved FROM stock_levels"
    columns = (
        ("variant_id", "BIGINT"), ("location_id", "INTEGER"),
        ("on_hand", "INTEGER"), ("reserved", "INTEGER"),
    )  # fmt: skip
    return Source("stock", columns, sql)


def locations():
    sql = "SELECT id, name FROM locations"
    return Source("locations", (("id", "INTEGER"), ("name", "VARCHAR")), sql)


def _checked_zone(zone):
    # NOTE: the zone is spelled into SQL that DuckDB hands to PostgreSQL, where
    # no bind parameter can reach; only zone-name characters may pass.
    if not _ZONE.fullmatch(zone):
        raise ValueError(f"not a time zone name: {zone!r}")
    return zone


_ORDER_COLUMNS = (
    ("id", "BIGINT"), ("kind", "VARCHAR"), ("status", "VARCHAR"),
    ("counted", "BOOLEAN"), ("day", "DATE"), ("country", "VARCHAR"),
    ("payment_provider", "VARCHAR"), ("customer", "VARCHAR"), ("refunded", MONEY),
    ("updated_us", "BIGINT"),
)  # fmt: skip
_LINE_COLUMNS = (
    ("order_id", "BIGINT"), ("variant_id", "BIGINT"), ("sku", "VARCHAR"),
    ("title", "VARCHAR"), ("quantity", "INTEGER"), ("line_total", MONEY),
)  # fmt: skip
_CATALOGUE_COLUMNS = (
    ("variant_id", "BIGINT"), ("product_id", "BIGINT"), ("sku", "VARCHAR"),
    ("product", "VARCHAR"), ("variant", "VARCHAR"), ("vendor", "VARCHAR"),
    ("product_type", "VARCHAR"), ("status", "VARCHAR"), ("archived", "BOOLEAN"),
    ("price", MONEY), ("unit_cost", MONEY), ("low_stock_threshold", "INTEGER"),
)  # fmt: skip
