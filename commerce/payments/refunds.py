"""Refunds the owner asks for: through the provider, then settled like any other.

The provider answers with the refund's state; it is applied at once, and the
provider's own refund webhook later finds it already recorded. Whether a full
refund puts the units back on the shelf is the owner's choice
(``settings.set_restock_on_refund``).
"""

import secrets
from datetime import UTC, datetime

from psycopg.rows import dict_row

from commerce.errors import InvalidInput, NotFound
from commerce.messages import owner_address
from commerce.money import to_minor_units
from commerce.payments import settlement


def refund_order(tenant, order_id, providers, *, amount=None, now=None,
                 idempotency_key=None):  # fmt: skip
    """Refund ``amount`` (a Decimal; the rest when None) of a paid order.

    Return the settlement ``Outcome``. Raise NotFound, InvalidInput when
    nothing is left to refund or the amount is too large, or the provider's
    ProviderUnavailable.
    """
    now = now or datetime.now(UTC)
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        order = cur.execute(
            """SELECT id, status, currency, total, refunded_total, payment_provider,
                      payment_ref
               FROM orders WHERE id = %s""",
            (order_id,),
        ).fetchone()
    if order is None:
        raise NotFound("order", order_id)
    if order["status"] not in settlement.PAID_STATUSES or not order["payment_ref"]:
        raise InvalidInput("order", f"is {order['status']} and has nothing to refund")

    currency = order["currency"].strip()
    left = to_minor_units(order["total"] - order["refunded_total"], currency)
    wanted = left if amount is None else to_minor_units(amount, currency)
    if not 0 < wanted <= left:
        raise InvalidInput(
            "amount", f"must be more than 0 and at most {left} minor units"
        )

    provider = order["payment_provider"]
    key = idempotency_key or f"refund-{tenant.id}-{order_id}-{secrets.token_hex(8)}"
    refund = providers.get(tenant.id, provider).refund(
        order["payment_ref"], wanted, currency, key
    )
    shop = settlement.Shop.of(tenant, owner_address(tenant))
    with tenant.transaction() as conn:
        if provider == "manual":
            _record_manual_payment(conn, order, now)
        return settlement.apply_refund(conn, shop, provider, refund, now)


def _record_manual_payment(conn, order, now):
    # Manual payments have no payments row until their first refund needs one.
    conn.execute(
        """INSERT INTO payments (order_id, provider, payment_ref, status, amount,
               currency, created_at, updated_at)
           VALUES (%s, 'manual', %s, 'succeeded', %s, %s, %s, %s)
           ON CONFLICT (provider, payment_ref) DO NOTHING""",
        (
            order["id"],
            order["payment_ref"],
            to_minor_units(order["total"], order["currency"].strip()),
            order["currency"],
            now,
            now,
        ),
    )
