"""Read-only store queries the dashboard needs before ``commerce`` has them.

NOTE: these belong in ``commerce`` (orders, contact messages, newsletter,
analytics); they are here, read-only and behind plain functions that take a
Tenant, only because those modules do not exist yet. Pages never run SQL: they
call these through ``admin_app.data`` like any other service. Move each one
when its home lands:
TODO(#5): ``list_orders``/``get_order`` to ``commerce/orders.py``.
TODO(#4): ``list_messages``/``list_subscribers`` to ``commerce/messages.py`` and
``commerce/newsletter.py``, which have the shoppers' side so far.
TODO(#8): ``overview_figures`` to ``commerce/analytics``.
"""

from datetime import UTC, datetime, timedelta

from psycopg.rows import dict_row

from commerce.errors import NotFound

ORDER_STATUSES = (
    "pending",
    "paid",
    "fulfilled",
    "cancelled",
    "expired",
    "refunded",
    "partially_refunded",
)
ORDERS_PER_PAGE = 50
RECENT_DAYS = 30


def overview_figures(tenant, *, now=None):
    """Headline figures: catalogue size, stock value at cost, low stock, orders."""
    now = now or datetime.now(UTC)
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT
                 (SELECT count(*) FROM products WHERE status <> 'archived')
                     AS products,
                 (SELECT count(*) FROM variants v JOIN products p
                         ON p.id = v.product_id
                  WHERE v.archived_at IS NULL AND p.status <> 'archived')
                     AS variants,
                 (SELECT coalesce(sum(s.on_hand * v.unit_cost), 0)
                  FROM stock_levels s JOIN variants v ON v.id = s.variant_id
                  WHERE v.unit_cost IS NOT NULL AND s.on_hand > 0)
                     AS stock_value_at_cost,
                 (SELECT count(*) FROM variants v
                  WHERE v.unit_cost IS NULL AND v.archived_at IS NULL)
                     AS variants_without_cost,
                 (SELECT count(*) FROM (
                     SELECT v.id FROM variants v
                     JOIN products p ON p.id = v.product_id
                     LEFT JOIN stock_levels s ON s.variant_id = v.id
                     WHERE v.low_stock_threshold IS NOT NULL
                       AND v.archived_at IS NULL AND p.status <> 'archived'
                     GROUP BY v.id
                     HAVING coalesce(sum(s.on_hand - s.reserved), 0)
                            <= v.low_stock_threshold) low)
                     AS low_stock""",
        )
        figures = cur.fetchone()
        cur.execute(
            """SELECT count(*) AS orders, coalesce(sum(total), 0) AS sales
               FROM orders
               WHERE kind = 'sale' AND placed_at >= %s
                 AND status IN ('paid', 'fulfilled', 'partially_refunded')""",
            (now - timedelta(days=RECENT_DAYS),),
        )
        figures.update(cur.fetchone())
    return figures


def list_orders(tenant, *, status=None, page=1):
    """A page of orders, newest first, without the customers' details."""
    where = "WHERE status = %(status)s" if status else ""
    page = max(1, int(page))
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT count(*) AS n FROM orders {where}", {"status": status})
        total = cur.fetchone()["n"]
        cur.execute(
            f"""SELECT id, number, placed_at, source, kind, status, currency, total,
                       refunded_total,
                       (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)
                           AS lines
                FROM orders o {where}
                ORDER BY placed_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s""",
            {
                "status": status,
                "limit": ORDERS_PER_PAGE,
                "offset": (page - 1) * ORDERS_PER_PAGE,
            },
        )
        return cur.fetchall(), total


def get_order(tenant, order_id):
    """One order with its lines (the customer's details included)."""
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT id, number, placed_at, paid_at, source, kind, status, currency,
                      subtotal, shipping_total, tax_total, total, refunded_total,
                      customer_name, email, phone, shipping_address, country, note,
                      payment_provider, payment_ref
               FROM orders WHERE id = %s""",
            (order_id,),
        )
        order = cur.fetchone()
        if order is None:
            raise NotFound("order", order_id)
        cur.execute(
            """SELECT line_no, sku, title, variant_title, quantity, unit_price,
                      line_total
               FROM order_lines WHERE order_id = %s ORDER BY line_no""",
            (order_id,),
        )
        order["lines"] = cur.fetchall()
    return order


def has_table(tenant, name):
    """Whether the store's database has the table yet (a later migration)."""
    with tenant.connection() as conn:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row[0])


def list_messages(tenant, limit=200):
    """Contact-form messages, newest first; None before the table exists."""
    return _newest(
        tenant, "contact_messages",
        "created_at, name, email, subject, body, read_at", limit,
    )  # fmt: skip


def list_subscribers(tenant, limit=10_000):
    """Newsletter subscribers, newest first; None before the table exists.

    The confirmation token's hash is left out: it is a credential.
    """
    return _newest(
        tenant, "newsletter_subscribers",
        "email, status, consent_requested_at, confirmed_at, unsubscribed_at",
        limit,
    )  # fmt: skip


def _newest(tenant, table, columns, limit):
    # NOTE: the tables come with the storefront's migration (s0005); a store
    # database not yet upgraded to it reads as "nothing here yet".
    if not has_table(tenant, table):
        return None
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            f"SELECT {columns} FROM {table} ORDER BY created_at DESC, id DESC LIMIT %s",
            (limit,),
        )
        return cur.fetchall()
