"""Applying what providers say about payments to orders: once, in any order.

Every event carries a snapshot (a payment, a refund or a dispute as the
provider holds it now), and applying one only moves state forward: a payment
never goes back from succeeded, a refunded amount only grows. So the same
snapshots applied in any order, or twice, end in the same place; the inbox
adds the once-only guard on the event itself.

Locks, always in this order so that two deliveries cannot deadlock:
transaction-level advisory locks on the provider's ids of the payment (sorted;
they tie a refund that names a charge to the payment that names the same
charge), then the order row, then the stock rows (in checkout's order).

A payment that matches no order, arrives for an order that expired, or does
not cover the total is kept and flagged, and the owner is told.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg.rows import dict_row

from commerce import stock
from commerce.checkout import sell_reserved
from commerce.money import from_minor_units, quantize, to_minor_units
from commerce.payments.base import SUCCEEDED, PaymentState, order_number
from commerce.payments.settings import read_restock
from tenancy.mail import Message, enqueue

ACTOR = "payments"
PAID_STATUSES = ("paid", "fulfilled", "partially_refunded", "refunded")
_RANK = "ARRAY['pending', 'cancelled', 'failed', 'succeeded']"
_REFUND_RANK = "ARRAY['pending', 'succeeded', 'failed', 'cancelled']"


@dataclass(frozen=True)
class Shop:
    """What settling needs to know of the store, gathered once per delivery."""

    store_id: int
    display_name: str
    currency: str
    store_url: str
    owner: str | None = None

    @property
    def store_ref(self):
        return f"tenant_{self.store_id}"

    @classmethod
    def of(cls, tenant, owner=None):
        store = tenant.store
        url = tenant.platform.config.store_url(store.slug)
        return cls(store.id, store.display_name, store.currency, url, owner)


@dataclass(frozen=True)
class Outcome:
    status: str = "applied"
    order_id: int | None = None
    note: str | None = None
    paid: bool = False
    """True when this made a pending order paid."""


def apply_event(conn, shop, provider, event, now, *, event_key=None):
    """Apply one normalised event inside the caller's transaction."""
    outcomes = []
    if event.payment is not None:
        outcomes.append(apply_payment(conn, shop, provider, event.payment, now))
    if event.refund is not None:
        outcomes.append(apply_refund(conn, shop, provider, event.refund, now))
    if event.dispute is not None:
        outcomes.append(apply_dispute(conn, shop, provider, event.dispute, now))
    if not outcomes:
        return Outcome("ignored", note=event.note or "nothing to apply")

    flagged = [o for o in outcomes if o.status == "flagged"]
    outcome = flagged[0] if flagged else outcomes[0]
    if flagged and shop.owner:
        _tell_owner(conn, shop, provider, event_key or event.event_id, outcome)
    return outcome


def complete_payment(tenant, order_id, provider, payment_ref, amount, now=None):
    """Record a succeeded payment of ``amount`` minor units for an order.

    The order's reserved units become sold, once, in one transaction; a
    second call for the same payment changes nothing.
    """
    now = now or datetime.now(UTC)
    shop = Shop.of(tenant)
    with tenant.transaction() as conn:
        number = conn.execute(
            "SELECT number FROM orders WHERE id = %s", (order_id,)
        ).fetchone()
        state = PaymentState(
            payment_ref=payment_ref,
            status=SUCCEEDED,
            amount=amount,
            currency=tenant.store.currency,
            order_ref=f"order_{number[0]}" if number else None,
        )
        return apply_payment(conn, shop, provider, state, now)


# -- payments ---------------------------------------------------------------------


def apply_payment(conn, shop, provider, state, now, *, keep_unmatched=True):
    """Settle one payment state; ``keep_unmatched=False`` skips, without a
    trace, a payment that matches none of our orders (reconciliation reads
    all of a merchant's payments, the shop counter's too)."""
    cur = conn.cursor(row_factory=dict_row)
    _lock_refs(cur, provider, (state.payment_ref, *state.aliases))
    if state.store_ref and state.store_ref != shop.store_ref:
        _upsert_payment(cur, provider, state, None, now)
        return Outcome("flagged", note="the payment names another store")

    order = _lock_order_numbered(cur, order_number(state.order_ref))
    if order is None:
        order = _lock_order(cur, _find_order(cur, provider, state))
    if order is None and not keep_unmatched:
        return Outcome("ignored", note="matches none of our orders")
    payment = _upsert_payment(cur, provider, state, order and order["id"], now)
    if order is None:
        return Outcome("flagged", note="no order matches this payment")
    if payment["order_id"] != order["id"]:
        return Outcome(
            "flagged", order["id"], "the payment is already linked to another order"
        )
    _link_checkout(cur, provider, state, order["id"])
    return _settle(cur, shop, provider, order, payment, now)


def _settle(cur, shop, provider, order, payment, now):
    status, notes, paid = "applied", [], False
    if payment["status"] == SUCCEEDED:
        if order["status"] == "pending":
            problem = _shortfall(order, payment)
            if problem:
                return Outcome("flagged", order["id"], problem)
            if payment["amount"] is None:
                notes.append("succeeded; waiting for its amount")
            else:
                _mark_paid(cur, shop, provider, order, payment, now)
                order, paid = {**order, "status": "paid"}, True
        elif order["status"] in ("expired", "cancelled"):
            # TODO(#5): sell the units again when they are still there, instead
            # of asking the owner; for now a late payment waits for a decision.
            status = "flagged"
            notes.append(
                f"paid after the order was {order['status']}: refund it or sell "
                "the items by hand"
            )
        elif order["payment_ref"] != payment["payment_ref"]:
            status = "flagged"
            notes.append("a second payment for an order already paid")

    if _refresh_refunded(cur, provider, payment) or order["refunded_total"]:
        notes.extend(_settle_refunds(cur, shop, order, now))
    return Outcome(status, order["id"], "; ".join(notes) or None, paid)


def _shortfall(order, payment):
    currency = (payment["currency"] or order["currency"]).strip()
    if currency != order["currency"].strip():
        return f"paid in {currency}, the order is in {order['currency']}"
    due = to_minor_units(order["total"], order["currency"])
    if payment["amount"] is not None and payment["amount"] < due:
        return f"paid {payment['amount']} of the {due} minor units due"
    return None


def _mark_paid(cur, shop, provider, order, payment, now):
    sell_reserved(cur, order, now)
    cur.execute(
        """UPDATE orders SET status = 'paid', paid_at = %s, payment_provider = %s,
                  payment_ref = %s, updated_at = %s
           WHERE id = %s""",
        (now, provider, payment["payment_ref"], now, order["id"]),
    )
    _queue_paid_mail(cur.connection, shop, provider, order)


def _upsert_payment(cur, provider, state, order_id, now):
    cur.execute(
        f"""INSERT INTO payments (order_id, provider, payment_ref, aliases, status,
                amount, currency, refunded, created_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, coalesce(%s, 0), %s, %s)
            ON CONFLICT (provider, payment_ref) DO UPDATE SET
                order_id = coalesce(payments.order_id, excluded.order_id),
                aliases = ARRAY(SELECT DISTINCT unnest(
                    payments.aliases || excluded.aliases) ORDER BY 1),
                status = CASE WHEN array_position({_RANK}, excluded.status)
                                   > array_position({_RANK}, payments.status)
                              THEN excluded.status ELSE payments.status END,
                amount = coalesce(payments.amount, excluded.amount),
                currency = coalesce(payments.currency, excluded.currency),
                refunded = greatest(payments.refunded, excluded.refunded),
                updated_at = excluded.updated_at
            RETURNING id, order_id, payment_ref, aliases, status, amount, currency,
                      refunded""",
        (
            order_id,
            provider,
            state.payment_ref,
            list(state.aliases),
            state.status,
            state.amount,
            state.currency,
            state.refunded,
            now,
            now,
        ),
    )
    return cur.fetchone()


def _find_order(cur, provider, state):
    refs = [r for r in (state.checkout_ref, state.provider_order_ref) if r]
    if refs:
        cur.execute(
            """SELECT order_id AS id FROM payment_checkouts
               WHERE provider = %s
                 AND (checkout_ref = ANY(%s) OR provider_order_ref = ANY(%s))""",
            (provider, refs, refs),
        )
        row = cur.fetchone()
        if row:
            return row["id"]
    found = _find_payment(cur, provider, (state.payment_ref, *state.aliases))
    return found["order_id"] if found else None


def _link_checkout(cur, provider, state, order_id):
    """Remember the provider's own order id once a payment reveals it."""
    if state.provider_order_ref and state.checkout_ref:
        cur.execute(
            """UPDATE payment_checkouts SET provider_order_ref = %s
               WHERE provider = %s AND checkout_ref = %s AND order_id = %s
                 AND provider_order_ref IS NULL""",
            (state.provider_order_ref, provider, state.checkout_ref, order_id),
        )


# -- refunds ----------------------------------------------------------------------


def apply_refund(conn, shop, provider, refund, now):
    cur = conn.cursor(row_factory=dict_row)
    _lock_refs(cur, provider, (refund.payment_ref,))
    payment = _find_payment(cur, provider, (refund.payment_ref,))
    order = _lock_order(cur, payment and payment["order_id"])

    cur.execute(
        f"""INSERT INTO refunds (provider, refund_ref, payment_ref, order_id, amount,
                currency, status, created_at, updated_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (provider, refund_ref) DO UPDATE SET
                order_id = coalesce(refunds.order_id, excluded.order_id),
                status = CASE WHEN array_position({_REFUND_RANK}, excluded.status)
                                   > array_position({_REFUND_RANK}, refunds.status)
                              THEN excluded.status ELSE refunds.status END,
                updated_at = excluded.updated_at""",
        (
            provider,
            refund.refund_ref,
            refund.payment_ref,
            order and order["id"],
            refund.amount,
            refund.currency,
            refund.status,
            now,
            now,
        ),
    )
    if payment is None:
        return Outcome(note="kept until its payment is known")

    _refresh_refunded(cur, provider, payment)
    if order is None:
        return Outcome(note="its payment matches no order")
    notes = _settle_refunds(cur, shop, order, now)
    return Outcome(order_id=order["id"], note="; ".join(notes) or None)


def _refresh_refunded(cur, provider, payment):
    """Raise the payment's refunded amount to what its refunds add up to.

    Refunds and disputes that came before their payment join its order here.
    """
    # TODO(#5): a refund that fails after it succeeded never lowers the total;
    # providers report that rarely, and it needs the owner's eye anyway.
    cur.execute(
        """WITH linked_refunds AS (
               UPDATE refunds SET order_id = %(order)s
               WHERE provider = %(provider)s AND order_id IS NULL
                 AND (payment_ref = %(ref)s OR payment_ref = ANY(%(aliases)s))
               RETURNING 1),
           linked_disputes AS (
               UPDATE disputes SET order_id = %(order)s
               WHERE provider = %(provider)s AND order_id IS NULL
                 AND (payment_ref = %(ref)s OR payment_ref = ANY(%(aliases)s))
               RETURNING 1)
           UPDATE payments SET refunded = greatest(refunded, (
               SELECT coalesce(sum(r.amount), 0) FROM refunds r
               WHERE r.provider = %(provider)s AND r.status = 'succeeded'
                 AND (r.payment_ref = %(ref)s OR r.payment_ref = ANY(%(aliases)s))))
           WHERE id = %(id)s
           RETURNING refunded""",
        {
            "order": payment["order_id"],
            "provider": provider,
            "ref": payment["payment_ref"],
            "aliases": payment["aliases"],
            "id": payment["id"],
        },
    )
    return cur.fetchone()["refunded"]


def _settle_refunds(cur, shop, order, now):
    """Bring the order's refunded total and status up to its payments'."""
    cur.execute(
        """SELECT coalesce(sum(refunded), 0)::bigint AS refunded FROM payments
           WHERE order_id = %s AND status = 'succeeded'""",
        (order["id"],),
    )
    refunded = from_minor_units(cur.fetchone()["refunded"], order["currency"])
    if refunded <= order["refunded_total"]:
        return []

    status = order["status"]
    if status in PAID_STATUSES:
        status = "refunded" if refunded >= order["total"] else "partially_refunded"
    cur.execute(
        """UPDATE orders SET refunded_total = %s, status = %s, updated_at = %s
           WHERE id = %s""",
        (refunded, status, now, order["id"]),
    )
    if status == "refunded" and order["status"] != "refunded":
        if read_restock(cur.connection):
            _restock(cur, order)
            return ["refunded in full; its units are back in stock"]
        return ["refunded in full"]
    return []


def _restock(cur, order):
    cur.execute(
        """SELECT variant_id, location_id, sum(quantity)::int AS quantity
           FROM reservations WHERE order_id = %s AND status = 'sold'
           GROUP BY variant_id, location_id ORDER BY variant_id, location_id""",
        (order["id"],),
    )
    for row in cur.fetchall():
        stock.move(
            cur.connection,
            row["variant_id"],
            row["location_id"],
            row["quantity"],
            "returned",
            f"refund of order {order['number']}",
            order["number"],
            ACTOR,
        )


# -- disputes ---------------------------------------------------------------------


def apply_dispute(conn, shop, provider, dispute, now):
    cur = conn.cursor(row_factory=dict_row)
    _lock_refs(cur, provider, (dispute.payment_ref,))
    payment = _find_payment(cur, provider, (dispute.payment_ref,))
    order = _lock_order(cur, payment and payment["order_id"])
    cur.execute(
        """INSERT INTO disputes (provider, dispute_ref, payment_ref, order_id, amount,
               currency, status, reason, opened_at, updated_at)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (provider, dispute_ref) DO UPDATE SET
               order_id = coalesce(disputes.order_id, excluded.order_id),
               status = excluded.status,
               updated_at = excluded.updated_at""",
        (
            provider,
            dispute.dispute_ref,
            dispute.payment_ref,
            order and order["id"],
            dispute.amount,
            dispute.currency,
            dispute.status,
            dispute.reason,
            now,
            now,
        ),
    )
    # TODO(#5): a dispute's status is taken as delivered; two updates that
    # cross can leave the older one. Providers give no order to judge by.
    where = f"order {order['number']}" if order else "a payment we cannot match"
    return Outcome(
        "flagged", order and order["id"], f"dispute {dispute.status} on {where}"
    )


# -- helpers ----------------------------------------------------------------------


def _lock_refs(cur, provider, refs):
    keys = sorted({f"{provider}:{ref}" for ref in refs if ref})
    if keys:
        cur.execute(
            """SELECT pg_advisory_xact_lock(h) FROM (
                   SELECT hashtextextended(k, 0) AS h FROM unnest(%s::text[]) k
                   ORDER BY 1) AS sorted""",
            (keys,),
        )


def _find_payment(cur, provider, refs):
    refs = [r for r in refs if r]
    if not refs:
        return None
    cur.execute(
        """SELECT id, order_id, payment_ref, aliases, status, amount, currency,
                  refunded
           FROM payments
           WHERE provider = %s AND (payment_ref = ANY(%s) OR aliases && %s)
           ORDER BY order_id NULLS LAST, id LIMIT 1""",
        (provider, refs, refs),
    )
    return cur.fetchone()


def _lock_order_numbered(cur, number):
    if not number:
        return None
    cur.execute(
        f"""SELECT {_ORDER_COLUMNS} FROM orders
            WHERE number = %s AND source = 'storefront' FOR UPDATE""",
        (number,),
    )
    return cur.fetchone()


_ORDER_COLUMNS = """id, number, token, status, currency, total, refunded_total,
    email, payment_provider, payment_ref"""


def _lock_order(cur, order_id):
    if order_id is None:
        return None
    cur.execute(
        f"SELECT {_ORDER_COLUMNS} FROM orders WHERE id = %s FOR UPDATE", (order_id,)
    )
    return cur.fetchone()


def _queue_paid_mail(conn, shop, provider, order):
    number = order["number"]
    amount = f"{quantize(order['total'], order['currency'])} {order['currency']}"
    if order["email"]:
        url = f"{shop.store_url}orders/{order['token']}"
        link = f"\n\nSee your order at any time: {url}"
        enqueue(
            conn,
            Message(
                kind="order_paid",
                recipient=order["email"],
                subject=f"{shop.display_name}: order {number} confirmed"[:200],
                body_text=f"Thank you. Order {number} ({amount}) is paid.{link}\n",
                dedupe_key=f"order-paid:{number}",
            ),
        )
    if shop.owner:
        enqueue(
            conn,
            Message(
                kind="order_owner",
                recipient=shop.owner,
                subject=f"New order {number}",
                body_text=f"Order {number} ({amount}) was paid through {provider}.\n",
                dedupe_key=f"order-owner:{number}",
            ),
        )


def _tell_owner(conn, shop, provider, key, outcome):
    enqueue(
        conn,
        Message(
            kind="payment_flagged",
            recipient=shop.owner,
            subject=f"A {provider} payment needs you"[:200],
            body_text=(
                f"{provider} told us: {outcome.note}.\n"
                "See Payments in your dashboard for the details.\n"
            ),
            dedupe_key=f"payment-flag:{provider}:{key}"[:200],
        ),
    )
