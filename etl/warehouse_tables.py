"""What the staff warehouse copies, table by table, and how it reduces each row.

Every table is read with one ``SELECT`` that keeps only what staff may see:
ids, statuses, amounts and dates. Names, email addresses, street addresses,
file names, actors and free text never leave the source database; a shopper
is known only by ``shopper``, an HMAC of the lowercased email computed inside
PostgreSQL (see ``etl.warehouse.shopper_key``).

A ``Table`` whose ``cursor`` is set is read incrementally: only rows whose
cursor is past the watermark kept for that store and table, replacing rows of
the same ``key``. Tables without one are small and re-read in full.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """One warehouse table and the reduced SELECT that fills it."""

    name: str
    source: str  # "registry" or "store"
    select: str  # the reduced SELECT; store tables gain store_id on load
    schema: str  # "name TYPE, ..." in SELECT order, as DuckDB types
    key: tuple = ("id",)
    cursor: str | None = None  # over the SELECT's columns, vs the watermark
    month: str = "created_at"  # the date that partitions the Parquet files

    @property
    def columns(self):
        """(name, type) pairs; commas inside DECIMAL(p,s) do not split."""
        parts = re.split(r",\s*(?![^()]*\))", self.schema)
        return [tuple(part.strip().split(" ", 1)) for part in parts]

    @property
    def column_names(self):
        return [name for name, _ in self.columns]


REGISTRY_TABLES = (
    Table(
        "stores",
        "registry",
        """SELECT id, account_id, status, plan, currency, timezone, created_at,
                  cancelled_at, deleted_at FROM stores""",
        "id BIGINT, account_id BIGINT, status VARCHAR, plan VARCHAR, "
        "currency VARCHAR, timezone VARCHAR, created_at TIMESTAMPTZ, "
        "cancelled_at TIMESTAMPTZ, deleted_at TIMESTAMPTZ",
    ),
    # NOTE: an account has no plan or status of its own; both come from its
    # newest store, which is what support asks about.
    Table(
        "accounts",
        "registry",
        """SELECT a.id, a.created_at, s.plan, s.status
           FROM accounts a
           LEFT JOIN LATERAL (
               SELECT plan, status FROM stores
               WHERE account_id = a.id ORDER BY created_at DESC LIMIT 1
           ) s ON true""",
        "id BIGINT, created_at TIMESTAMPTZ, plan VARCHAR, status VARCHAR",
    ),
    Table(
        "plans",
        "registry",
        """SELECT code, monthly_price, currency, max_products, max_locations,
                  monthly_ai_credits, active FROM plans""",
        "code VARCHAR, monthly_price DECIMAL(12,2), currency VARCHAR, "
        "max_products INTEGER, max_locations INTEGER, "
        "monthly_ai_credits INTEGER, active BOOLEAN",
        key=("code",),
        month="",
    ),
    Table(
        "usage_events",
        "registry",
        """SELECT id, at, store_id, account_id, kind, quantity, detail::text
           FROM usage_events""",
        "id BIGINT, at TIMESTAMPTZ, store_id BIGINT, account_id BIGINT, "
        "kind VARCHAR, quantity DOUBLE, detail JSON",
        cursor="id",
        month="at",
    ),
    # NOTE: ``ref`` and ``actor`` are left out: a pack's ref carries the
    # payment reference and an actor may be an owner's email address.
    Table(
        "credit_ledger",
        "registry",
        """SELECT id, at, store_id, kind, included, purchased, provider, model,
                  tokens_in, tokens_out FROM credit_ledger""",
        "id BIGINT, at TIMESTAMPTZ, store_id BIGINT, kind VARCHAR, "
        "included INTEGER, purchased INTEGER, provider VARCHAR, "
        "model VARCHAR, tokens_in INTEGER, tokens_out INTEGER",
        cursor="id",
        month="at",
    ),
)
REGISTRY_TABLES = (
    *REGISTRY_TABLES,
    # NOTE: Clover's customer id and the card hint stay out: they lead to a
    # person. The subscription id is Clover's and says nothing by itself.
    Table(
        "subscriptions",
        "registry",
        """SELECT store_id, plan, state, clover_active, past_due_since,
                  suspended_at, cancelled_at, created_at, updated_at
           FROM subscriptions""",
        "store_id BIGINT, plan VARCHAR, state VARCHAR, clover_active BOOLEAN, "
        "past_due_since TIMESTAMPTZ, suspended_at TIMESTAMPTZ, "
        "cancelled_at TIMESTAMPTZ, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ",
        key=("store_id",),
        cursor="updated_at",
    ),
    # NOTE: small (a row per store, day and currency) and bumped in place,
    # so it is re-read in full.
    Table(
        "usage_daily",
        "registry",
        """SELECT store_id, day, kind, currency, events, amount FROM usage_daily""",
        "store_id BIGINT, day DATE, kind VARCHAR, currency VARCHAR, "
        "events INTEGER, amount DECIMAL(18,4)",
        key=("store_id", "day", "kind", "currency"),
        month="day",
    ),
    Table(
        "billing_payments",
        "registry",
        """SELECT id, store_id, kind, status, amount, currency, pack, credits,
                  plan, failure <> '' AS failed_with_reason, created_at, paid_at
           FROM billing_payments""",
        "id BIGINT, store_id BIGINT, kind VARCHAR, status VARCHAR, "
        "amount DECIMAL(12,2), currency VARCHAR, pack VARCHAR, credits INTEGER, "
        "plan VARCHAR, failed_with_reason BOOLEAN, created_at TIMESTAMPTZ, "
        "paid_at TIMESTAMPTZ",
        cursor="greatest(created_at, paid_at)",
    ),
)

# The shopper hash: HMAC-SHA256 written out with PostgreSQL's own sha256(), so
# the email never leaves the store's database. {ipad} and {opad} are the
# key already XORed with the HMAC pads (see etl.warehouse.hmac_pads).
SHOPPER = """CASE WHEN email IS NULL OR email = '' THEN NULL ELSE encode(sha256(
    {opad}::bytea || sha256({ipad}::bytea
        || convert_to(lower(trim(email)), 'UTF8'))), 'hex') END"""

STORE_TABLES = (
    Table(
        "orders",
        "store",
        f"""SELECT id, source, kind, status, currency, subtotal, shipping_total,
                  tax_total, total, refunded_total, country, payment_provider,
                  {SHOPPER} AS shopper, placed_at, paid_at, cancelled_at,
                  import_batch_id, created_at, updated_at FROM orders""",
        "id BIGINT, source VARCHAR, kind VARCHAR, status VARCHAR, "
        "currency VARCHAR, subtotal DECIMAL(18,4), "
        "shipping_total DECIMAL(18,4), tax_total DECIMAL(18,4), "
        "total DECIMAL(18,4), refunded_total DECIMAL(18,4), country VARCHAR, "
        "payment_provider VARCHAR, shopper VARCHAR, placed_at TIMESTAMPTZ, "
        "paid_at TIMESTAMPTZ, cancelled_at TIMESTAMPTZ, "
        "import_batch_id BIGINT, created_at TIMESTAMPTZ, "
        "updated_at TIMESTAMPTZ",
        cursor="updated_at",
        month="placed_at",
    ),
    # NOTE: lines are written with their order and never change, so the id
    # is their cursor; the title (free text) stays behind.
    Table(
        "order_lines",
        "store",
        """SELECT l.id, l.order_id, l.line_no, l.variant_id, l.sku, l.quantity,
                  l.unit_price, l.line_total, o.placed_at
           FROM order_lines l JOIN orders o ON o.id = l.order_id""",
        "id BIGINT, order_id BIGINT, line_no INTEGER, variant_id BIGINT, "
        "sku VARCHAR, quantity INTEGER, unit_price DECIMAL(18,4), "
        "line_total DECIMAL(18,4), placed_at TIMESTAMPTZ",
        cursor="id",
        month="placed_at",
    ),
    Table(
        "products",
        "store",
        """SELECT id, status, product_type, created_at, updated_at
           FROM products""",
        "id BIGINT, status VARCHAR, product_type VARCHAR, "
        "created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ",
        cursor="updated_at",
    ),
    Table(
        "variants",
        "store",
        """SELECT id, product_id, sku, price, unit_cost, continue_selling,
                  low_stock_threshold, archived_at, created_at, updated_at
           FROM variants""",
        "id BIGINT, product_id BIGINT, sku VARCHAR, price DECIMAL(18,4), "
        "unit_cost DECIMAL(18,4), continue_selling BOOLEAN, "
        "low_stock_threshold INTEGER, archived_at TIMESTAMPTZ, "
        "created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ",
        cursor="updated_at",
    ),
    Table(
        "stock_levels",
        "store",
        """SELECT variant_id, location_id, on_hand, reserved, updated_at
           FROM stock_levels""",
        "variant_id BIGINT, location_id INTEGER, on_hand INTEGER, "
        "reserved INTEGER, updated_at TIMESTAMPTZ",
        key=("variant_id", "location_id"),
        cursor="updated_at",
        month="",
    ),
    Table(
        "stock_movements",
        "store",
        """SELECT id, at, variant_id, location_id, kind, quantity, on_hand_after,
                  batch_id FROM stock_movements""",
        "id BIGINT, at TIMESTAMPTZ, variant_id BIGINT, location_id INTEGER, "
        "kind VARCHAR, quantity INTEGER, on_hand_after INTEGER, "
        "batch_id BIGINT",
        cursor="id",
        month="at",
    ),
    Table(
        "import_batches",
        "store",
        """SELECT id, kind, source_format, status, counts::text, created_at,
                  undone_at FROM import_batches""",
        "id BIGINT, kind VARCHAR, source_format VARCHAR, status VARCHAR, "
        "counts JSON, created_at TIMESTAMPTZ, undone_at TIMESTAMPTZ",
        cursor="greatest(created_at, undone_at)",
    ),
    Table(
        "payment_events",
        "store",
        """SELECT id, provider, type, deliveries, received_at, applied_at,
                  order_id, status FROM payment_events""",
        "id BIGINT, provider VARCHAR, type VARCHAR, deliveries INTEGER, "
        "received_at TIMESTAMPTZ, applied_at TIMESTAMPTZ, order_id BIGINT, "
        "status VARCHAR",
        cursor="greatest(received_at, applied_at)",
        month="received_at",
    ),
    Table(
        "description_jobs",
        "store",
        """SELECT id, status, error IS NOT NULL AS failed_with_error, created_at,
                  finished_at FROM description_jobs""",
        "id BIGINT, status VARCHAR, failed_with_error BOOLEAN, "
        "created_at TIMESTAMPTZ, finished_at TIMESTAMPTZ",
        cursor="greatest(created_at, finished_at)",
    ),
)
# NOTE: privacy requests by kind and status only (no email, no details);
# they are few, so they are read in full. ``commerce.privacy`` also writes a
# "privacy_request" usage event to the registry as each one is made.
PRIVACY = Table(
    "privacy_requests",
    "store",
    "SELECT id, kind, status, created_at FROM privacy_requests",
    "id BIGINT, kind VARCHAR, status VARCHAR, created_at TIMESTAMPTZ",
)
STORE_TABLES = (*STORE_TABLES, PRIVACY)

# TODO(#10): rows deleted at the source (an undone import removes its orders
# and variants) stay in the warehouse until a run with --full.

TABLES = REGISTRY_TABLES + STORE_TABLES
