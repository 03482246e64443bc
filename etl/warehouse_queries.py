"""The questions staff ask of the warehouse, as functions the notebooks share.

Each function takes a read-only DuckDB connection (``connect``) and returns a
pandas DataFrame. Amounts are summed per currency, never across currencies.
"""

import os
from pathlib import Path

import duckdb

from etl.warehouse import DUCKDB_CONFIG, warehouse_file

WAREHOUSE_ENV = "APMT_WAREHOUSE"


def warehouse_path(path=None):
    """The warehouse file: ``path``, else $APMT_WAREHOUSE (a file or folder)."""
    path = Path(path or os.environ.get(WAREHOUSE_ENV) or "")
    if not str(path) or str(path) == ".":
        raise LookupError(f"no warehouse given: pass a path or set {WAREHOUSE_ENV}")
    return warehouse_file(path) if path.is_dir() else path


def connect(path=None):
    """A read-only connection to the warehouse."""
    db = duckdb.connect(str(warehouse_path(path)), read_only=True, config=DUCKDB_CONFIG)
    db.execute("SET TimeZone = 'UTC'")
    return db


# -- platform usage -----------------------------------------------------------


def signups_and_churn(db):
    """Stores opened and cancelled per month."""
    return db.sql(
        """WITH opened AS (
               SELECT date_trunc('month', created_at)::DATE AS month,
                      count(*) AS signups FROM stores GROUP BY ALL),
           closed AS (
               SELECT date_trunc('month', cancelled_at)::DATE AS month,
                      count(*) AS cancellations FROM stores
               WHERE cancelled_at IS NOT NULL GROUP BY ALL)
           SELECT month, coalesce(signups, 0) AS signups,
                  coalesce(cancellations, 0) AS cancellations
           FROM opened FULL JOIN closed USING (month) ORDER BY month"""
    ).df()


def active_stores(db, days=30):
    """Stores with an order or a usage event in the last ``days`` days."""
    return db.execute(
        """WITH seen AS (
               SELECT store_id, placed_at AS seen_at FROM orders
               UNION ALL
               SELECT store_id, "at" FROM usage_events WHERE store_id IS NOT NULL)
           SELECT s.plan, count(DISTINCT seen.store_id) AS active_stores
           FROM seen JOIN stores s ON s.id = seen.store_id
           WHERE seen.seen_at >= now() - to_days(?::INTEGER)
           GROUP BY ALL ORDER BY s.plan""",
        (days,),
    ).df()


def plan_mix(db):
    """Stores per plan and status, deleted stores left out."""
    return db.sql(
        """SELECT plan, status, count(*) AS stores FROM stores
           WHERE status <> 'deleted' GROUP BY ALL ORDER BY plan, status"""
    ).df()


def sales_by_day(db, store_id=None):
    """Orders and sales per day per store (paid or later, sales not returns)."""
    where = "" if store_id is None else f"AND store_id = {int(store_id)}"
    return db.sql(
        f"""SELECT store_id, placed_at::DATE AS day, currency,
                   count(*) AS orders, sum(total) AS sales
            FROM orders
            WHERE kind = 'sale'
              AND status IN ('paid', 'fulfilled', 'partially_refunded') {where}
            GROUP BY ALL ORDER BY day, store_id"""
    ).df()


def sales_volume(db):
    """Sales across all stores per month and currency."""
    return db.sql(
        """SELECT date_trunc('month', placed_at)::DATE AS month, currency,
                  count(DISTINCT store_id) AS stores, count(*) AS orders,
                  sum(total) AS sales
           FROM orders
           WHERE kind = 'sale'
             AND status IN ('paid', 'fulfilled', 'partially_refunded')
           GROUP BY ALL ORDER BY month, currency"""
    ).df()


def ai_credit_spend(db):
    """AI credits spent per month and provider (debits of the ledger)."""
    return db.sql(
        """SELECT date_trunc('month', "at")::DATE AS month,
                  coalesce(provider, 'unknown') AS provider,
                  -sum(included + purchased) AS credits,
                  sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out
           FROM credit_ledger WHERE kind = 'debit'
           GROUP BY ALL ORDER BY month, provider"""
    ).df()


def usage_by_kind(db):
    """Usage events per month and kind."""
    return db.sql(
        """SELECT date_trunc('month', "at")::DATE AS month, kind,
                  count(*) AS events, sum(quantity) AS quantity
           FROM usage_events GROUP BY ALL ORDER BY month, kind"""
    ).df()


# -- store health -------------------------------------------------------------


def store_imports(db, store_id):
    """A store's imports, newest first."""
    return db.execute(
        """SELECT id, kind, source_format, status, counts, created_at, undone_at
           FROM import_batches WHERE store_id = ? ORDER BY created_at DESC""",
        (store_id,),
    ).df()


def webhook_failures(db, store_id=None):
    """Payment webhooks flagged or never applied, per store and type."""
    where = "" if store_id is None else f"AND store_id = {int(store_id)}"
    return db.sql(
        f"""SELECT store_id, provider, type, status, count(*) AS events,
                   max(received_at) AS last_received
            FROM payment_events
            WHERE (status = 'flagged' OR (status = 'received'
                   AND received_at < now() - INTERVAL 1 HOUR)) {where}
            GROUP BY ALL ORDER BY events DESC"""
    ).df()


def job_errors(db, store_id=None):
    """Failed AI description jobs per store."""
    where = "" if store_id is None else f"AND store_id = {int(store_id)}"
    return db.sql(
        f"""SELECT store_id, count(*) AS failed_jobs,
                   max(coalesce(finished_at, created_at)) AS last_failure
            FROM description_jobs WHERE status = 'failed' {where}
            GROUP BY ALL ORDER BY failed_jobs DESC"""
    ).df()


def stock_alerts(db, store_id=None):
    """Variants at or under their low-stock threshold (or out of stock)."""
    where = "" if store_id is None else f"AND l.store_id = {int(store_id)}"
    return db.sql(
        f"""SELECT l.store_id, l.variant_id, v.sku, l.location_id, l.on_hand,
                   v.low_stock_threshold
            FROM stock_levels l
            JOIN variants v ON v.store_id = l.store_id AND v.id = l.variant_id
            WHERE v.archived_at IS NULL
              AND l.on_hand <= coalesce(v.low_stock_threshold, 0) {where}
            ORDER BY l.store_id, l.on_hand"""
    ).df()


def store_health(db):
    """One row per store: open problems support looks at first."""
    return db.sql(
        """SELECT s.id AS store_id, s.status, s.plan,
                  (SELECT count(*) FROM import_batches i
                   WHERE i.store_id = s.id) AS imports,
                  (SELECT count(*) FROM payment_events e WHERE e.store_id = s.id
                   AND e.status = 'flagged') AS flagged_webhooks,
                  (SELECT count(*) FROM description_jobs j WHERE j.store_id = s.id
                   AND j.status = 'failed') AS failed_jobs,
                  (SELECT count(*) FROM stock_levels l JOIN variants v
                     ON v.store_id = l.store_id AND v.id = l.variant_id
                   WHERE l.store_id = s.id AND v.archived_at IS NULL
                   AND l.on_hand <= coalesce(v.low_stock_threshold, 0))
                   AS stock_alerts
           FROM stores s WHERE s.status <> 'deleted' ORDER BY s.id"""
    ).df()


def billing_revenue(db):
    """What Clover collected per month, currency and kind (plans, packs)."""
    return db.sql(
        """SELECT date_trunc('month', paid_at)::DATE AS month, currency, kind,
                  count(*) AS payments, sum(amount) AS amount
           FROM billing_payments WHERE status = 'paid'
           GROUP BY ALL ORDER BY month, currency, kind"""
    ).df()


def billing_trouble(db):
    """Stores past due or suspended by billing, and failed one-off charges."""
    return db.sql(
        """SELECT s.store_id, s.plan, s.state, s.past_due_since, s.suspended_at,
                  (SELECT count(*) FROM billing_payments p
                   WHERE p.store_id = s.store_id AND p.status = 'failed')
                   AS failed_charges
           FROM subscriptions s WHERE s.state IN ('past_due', 'suspended')
           ORDER BY s.past_due_since"""
    ).df()
