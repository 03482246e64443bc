"""Sending a shopper to a provider's payment page, and back again.

``start_checkout`` asks the provider for a page for a pending order, with an
idempotency key made from the store, order and provider: asking twice, or
after a timeout, gives the same page (and ``payment_checkouts`` hands back
one it already has without asking). ``confirm_return`` reads the payment's
state when the shopper comes back, so a paid order shows as paid even before
the webhook arrives; both paths settle through ``settlement``, once.
"""

from datetime import UTC, datetime

from commerce import checkout
from commerce.errors import InvalidInput
from commerce.messages import owner_address
from commerce.money import to_minor_units
from commerce.payments import settlement
from commerce.payments.base import CheckoutLine, CheckoutRequest
from commerce.payments.errors import ProviderUnavailable


def start_checkout(tenant, token, provider, providers, *, now=None):
    """The address of ``provider``'s payment page for the pending order ``token``.

    Raise NotFound for an unknown order, InvalidInput when it no longer awaits
    payment, ProviderNotConfigured or ProviderUnavailable from the provider.
    """
    order = checkout.get_order(tenant, token)
    if not order.awaiting_payment:
        raise InvalidInput("order", f"is {order.status} and can no longer be paid")
    store_url = tenant.platform.config.store_url(tenant.store.slug)
    order_url = f"{store_url}orders/{token}"
    instance = providers.get(tenant.id, provider)
    if provider == "manual":
        return order_url

    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT url FROM payment_checkouts WHERE order_id = %s AND provider = %s",
            (order.id, provider),
        ).fetchone()
    if row:
        return row[0]

    key = f"checkout-{tenant.id}-{order.id}-{provider}"
    request = _request(tenant, order, order_url, provider)
    page = instance.create_checkout(request, key)
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO payment_checkouts (order_id, provider, checkout_ref,
                   provider_order_ref, url, idempotency_key)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT DO NOTHING""",
            (order.id, provider, page.checkout_ref, page.provider_order_ref,
             page.url, key),
        )  # fmt: skip
        conn.execute(
            """UPDATE orders SET payment_provider = %s, updated_at = now()
               WHERE id = %s AND status = 'pending'""",
            (provider, order.id),
        )
    return page.url


def confirm_return(tenant, token, provider, providers, *, now=None):
    """Settle what the provider says of the order's checkout; the Order after.

    A provider that does not answer is no error here: the webhook, or
    reconciliation, settles the order later.
    """
    now = now or datetime.now(UTC)
    order = checkout.get_order(tenant, token)
    if not order.awaiting_payment:
        return order
    with tenant.connection() as conn:
        row = conn.execute(
            """SELECT checkout_ref FROM payment_checkouts
               WHERE order_id = %s AND provider = %s""",
            (order.id, provider),
        ).fetchone()
    if row is None:
        return order

    try:
        state = providers.get(tenant.id, provider).fetch_checkout(row[0])
    except ProviderUnavailable:
        return order
    if state is not None:
        shop = settlement.Shop.of(tenant, owner_address(tenant))
        with tenant.transaction() as conn:
            settlement.apply_payment(conn, shop, provider, state, now)
    return checkout.get_order(tenant, token)


def _request(tenant, order, order_url, provider):
    currency = order.currency
    lines = tuple(
        CheckoutLine(
            title=" / ".join(t for t in (line.title, line.variant_title) if t),
            quantity=line.quantity,
            unit_amount=to_minor_units(line.unit_price, currency),
        )
        for line in order.lines
    )
    with tenant.connection() as conn:
        email = conn.execute(
            "SELECT email FROM orders WHERE id = %s", (order.id,)
        ).fetchone()[0]
    return CheckoutRequest(
        order_id=order.id,
        number=order.number,
        store_ref=f"tenant_{tenant.id}",
        currency=currency,
        amount=to_minor_units(order.total, currency),
        lines=lines,
        email=email,
        success_url=f"{order_url}/paid?provider={provider}",
        cancel_url=order_url,
        expires_at=order.expires_at,
    )
