"""The store's figures the platform keeps: paid orders per day, in the registry.

Each order counts once, when it becomes paid, after its own transaction has
committed: a sale that rolled back is never counted. The count is a bump of
one ``usage_daily`` row per store, day and currency, and holds no shopper data.
A failure here is logged and swallowed: a missing figure must never fail a
payment that already went through.
"""

import logging

import psycopg

from tenancy import DatabaseUnavailable, count_daily

log = logging.getLogger(__name__)


def record_paid_orders(tenant, order_ids):
    """Count the orders of ``order_ids`` as sales of the day they were paid."""
    if not order_ids:
        return
    try:
        with tenant.connection() as conn:
            paid = conn.execute(
                """SELECT (paid_at AT TIME ZONE 'UTC')::date, total, currency
                   FROM orders WHERE id = ANY(%s) AND paid_at IS NOT NULL""",
                (list(order_ids),),
            ).fetchall()
        with tenant.platform.registry() as conn:
            for day, total, currency in paid:
                count_daily(conn, tenant.id, day, "sale", total, currency)
    except (DatabaseUnavailable, psycopg.Error) as exc:
        log.warning("store=%s daily sales not counted: %s", tenant.id, exc)
