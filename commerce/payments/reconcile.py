"""Reconciliation: ask the providers what was paid, repair what webhooks missed.

For one store: apply the inbox's events still waiting (their provider's API or
the database was down when they came), then read each enabled provider's
recent payments, and the current state of each checkout of a pending order,
and settle them. Settling is idempotent, so whatever webhooks already did is
left as it is; an order paid at the provider but pending here becomes paid.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from commerce.messages import owner_address
from commerce.payments import settlement
from commerce.payments.errors import ProviderUnavailable

log = logging.getLogger(__name__)

WINDOW = timedelta(days=3)


@dataclass
class Report:
    store: str
    drained: int = 0
    checked: int = 0
    repaired: list = field(default_factory=list)
    """Numbers of the orders this run found paid."""
    flagged: int = 0
    failures: list = field(default_factory=list)


def reconcile_store(tenant, inbox, *, window=WINDOW, now=None):
    """Repair one store's orders from its providers' APIs; a Report."""
    now = now or datetime.now(UTC)
    report = Report(tenant.store.slug)
    report.drained = inbox.drain(tenant)
    providers = inbox.providers
    shop = settlement.Shop.of(tenant, owner_address(tenant))

    for name in providers.enabled(tenant.id, fresh=True):
        if name == "manual":
            continue
        try:
            states = _states(tenant, providers.get(tenant.id, name), now - window)
        except ProviderUnavailable as exc:
            log.warning("store=%s reconcile: %s", tenant.id, exc)
            report.failures.append(str(exc))
            continue
        for state in states:
            outcome = _settle(tenant, shop, name, state, now)
            report.checked += 1
            report.flagged += outcome.status == "flagged"
            if outcome.paid:
                report.repaired.append(_number(tenant, outcome.order_id))
    log.info(
        "store=%s reconciled: %s checked, %s repaired",
        tenant.id,
        report.checked,
        len(report.repaired),
    )
    return report


def _states(tenant, provider, since):
    states = list(provider.recent_payments(since))
    with tenant.connection() as conn:
        pending = conn.execute(
            """SELECT c.checkout_ref FROM payment_checkouts c
               JOIN orders o ON o.id = c.order_id
               WHERE c.provider = %s AND o.status = 'pending' AND c.created_at >= %s
               ORDER BY c.id""",
            (provider.name, since),
        ).fetchall()
    for (checkout_ref,) in pending:
        state = provider.fetch_checkout(checkout_ref)
        if state is not None:
            states.append(state)
    return states


def _settle(tenant, shop, provider, state, now):
    with tenant.transaction() as conn:
        return settlement.apply_payment(
            conn, shop, provider, state, now, keep_unmatched=False
        )


def _number(tenant, order_id):
    with tenant.connection() as conn:
        return conn.execute(
            "SELECT number FROM orders WHERE id = %s", (order_id,)
        ).fetchone()[0]
