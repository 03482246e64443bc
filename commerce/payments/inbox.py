"""The webhook inbox: verify the raw bytes, record, answer, apply once.

``Inbox.receive`` is all the storefront calls for ``POST /webhooks/<provider>``:

1. verify the signature over the body exactly as received, before parsing;
   a failure raises ``WebhookRejected`` and nothing is written anywhere;
2. record each event in ``payment_events`` under (provider, event id), in a
   transaction of its own; a duplicate only counts one more delivery;
3. apply each event still 'received', holding its inbox row locked: the
   first of two simultaneous deliveries applies it, the second then finds it
   applied. The event's effect and its change to 'applied' commit together.

An event whose body only names objects (Clover, a PayPal approval) is
recorded before the provider's API is asked and applied after; any other is
recorded and applied in one transaction, so one commit acknowledges it.

A database failure at 2 or 3 raises ``InboxUnavailable`` (answer 503): the
provider delivers again and the recorded event is applied then, or by
``drain``. When the provider's API is needed to apply an event and does not
answer, the event stays recorded as 'received' for ``drain``.
"""

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg.types.json import Jsonb

from commerce import usage
from commerce.messages import owner_address
from commerce.payments import settlement
from commerce.payments.base import Event
from commerce.payments.clover_provider import verification_code
from commerce.payments.errors import (
    InboxUnavailable,
    ProviderNotConfigured,
    ProviderUnavailable,
    WebhookRejected,
)
from commerce.payments.settings import check_provider, record_clover_verification
from tenancy import DatabaseUnavailable

log = logging.getLogger(__name__)

OWNER_TTL = 60.0
UNPARSED = "unparsed"
# What a failing database raises; anything else is a bug and is not hidden.
DB_FAILURES = (psycopg.OperationalError, psycopg.InterfaceError, DatabaseUnavailable)


@dataclass(frozen=True)
class Receipt:
    """What became of one delivery."""

    status: str
    """'applied', 'recorded' (kept, not applied yet), 'duplicate' or 'handshake'."""
    events: int = 0


class Inbox:
    def __init__(self, providers, *, monotonic=time.monotonic):
        self.providers = providers
        self._monotonic = monotonic
        self._owners = {}
        self._lock = threading.Lock()

    def receive(self, tenant, provider, body, headers):
        """Verify, record and apply one delivery; raise WebhookRejected if forged."""
        name = check_provider(provider)
        headers = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        if name == "clover":
            code = verification_code(body, headers)
            if code is not None:
                self._guard(name, record_clover_verification, tenant, code, self._now())
                return Receipt("handshake")

        instance = self._verified(tenant, name, body, headers)
        events = _parse(instance, body)
        kept = {k: headers[k] for k in instance.signature_headers if k in headers}
        if not any(event.fetch for event in events):
            # NOTE: one transaction records and applies, one commit in all: if
            # it fails nothing was acknowledged, and the provider delivers again.
            shop = self._guard(name, self._shop, tenant)
            results = self._guard(
                name, _record_and_apply, tenant, shop, name, events, body, kept,
                self._now(),
            )  # fmt: skip
            return Receipt(_summary(results), len(events))

        # Bodies that only name objects: recorded first, then fetched (no
        # database transaction waits on the provider's API), then applied.
        rows = self._guard(name, _record, tenant, name, events, body, kept)
        fresh = [
            (row_id, event) for row_id, status, event in rows if status == "received"
        ]
        results = [
            self._apply(tenant, instance, row_id, event) for row_id, event in fresh
        ]
        return Receipt(_summary(results) if fresh else "duplicate", len(events))

    # TODO(#5): a worker should drain every store every minute; until then
    # ``apmt payments reconcile`` (cron) applies what waits.
    def drain(self, tenant, limit=500):
        """Apply events left 'received' (an API or the database was down); count."""
        rows = self._guard("inbox", _waiting, tenant, limit)
        done = 0
        for row_id, provider, event_id, body in rows:
            try:
                instance = self.providers.get(tenant.id, provider)
            except ProviderNotConfigured:
                continue
            matching = [e for e in _parse(instance, body) if e.event_id == event_id]
            if matching and self._apply(tenant, instance, row_id, matching[0]) not in (
                "recorded",
                "duplicate",
            ):
                done += 1
        return done

    # -- steps --------------------------------------------------------------------

    def _verified(self, tenant, name, body, headers):
        instance = self._guard(name, self.providers.get, tenant.id, name)
        try:
            instance.verify(body, headers)
            return instance
        except WebhookRejected as exc:
            if self.providers.is_fresh(tenant.id):
                _log_refusal(name, exc, body, headers)
                raise
        # The settings may have changed since they were cached: read them again.
        instance = self._guard(name, self.providers.get, tenant.id, name, fresh=True)
        try:
            instance.verify(body, headers)
        except WebhookRejected as exc:
            _log_refusal(name, exc, body, headers)
            raise
        return instance

    def _apply(self, tenant, instance, row_id, event):
        if event.fetch is not None:
            try:
                event = instance.enrich(event)
            except ProviderUnavailable as exc:
                log.warning("store=%s event kept for later: %s", tenant.id, exc)
                self._guard(instance.name, _note, tenant, row_id, str(exc))
                return "recorded"
        shop = self._guard(instance.name, self._shop, tenant)
        return self._guard(
            instance.name, _apply_once, tenant, shop, instance.name, row_id, event,
            self._now(),
        )  # fmt: skip

    def _shop(self, tenant):
        now = self._monotonic()
        with self._lock:
            hit = self._owners.get(tenant.id)
        if hit is None or now - hit[0] > OWNER_TTL:
            hit = (now, owner_address(tenant))
            with self._lock:
                self._owners[tenant.id] = hit
        return settlement.Shop.of(tenant, hit[1])

    def _now(self):
        return datetime.fromtimestamp(self.providers.clock(), UTC)

    @staticmethod
    def _guard(provider, work, *args, **kwargs):
        try:
            return work(*args, **kwargs)
        except DB_FAILURES as exc:
            log.warning("%s webhook: database unavailable: %s", provider, type(exc))
            raise InboxUnavailable(provider) from exc


def _parse(instance, body):
    try:
        return instance.events(body)
    except (ValueError, KeyError, TypeError, AttributeError):
        # Verified but not understood: kept and flagged, never dropped.
        digest = hashlib.sha256(body).hexdigest()
        return [Event(f"{UNPARSED}:{digest}", UNPARSED, note="body not understood")]


def _record(tenant, provider, events, body, headers):
    with tenant.transaction() as conn:
        return [
            (*_insert(conn, provider, event, body, headers), event) for event in events
        ]


def _record_and_apply(tenant, shop, provider, events, body, headers, now):
    try:
        return _record_and_apply_once(
            tenant, shop, provider, events, body, headers, now
        )
    except DB_FAILURES:
        raise
    except Exception as exc:  # noqa: BLE001 - kept for drain, never lost
        # Not the database's failure (a bug, a value no check caught): keep the
        # events as 'received' with a note, acknowledged, for drain to retry.
        log.exception("%s events could not be applied", provider)
        note = f"not applied: {type(exc).__name__}"
        with tenant.transaction() as conn:
            for event in events:
                row_id, _ = _insert(conn, provider, event, body, headers)
                conn.execute(
                    "UPDATE payment_events SET note = %s WHERE id = %s", (note, row_id)
                )
        return ["recorded"]


def _record_and_apply_once(tenant, shop, provider, events, body, headers, now):
    results, paid = [], []
    with tenant.transaction() as conn:
        for event in events:
            row_id, status = _insert(conn, provider, event, body, headers)
            if status != "received":
                results.append("duplicate")
                continue
            # The insert (or the conflict's update) holds the row's lock.
            outcome = _apply_row(conn, shop, provider, row_id, event, now)
            results.append(outcome.status)
            if outcome.paid:
                paid.append(outcome.order_id)
    usage.record_paid_orders(tenant, paid)
    return results


def _insert(conn, provider, event, body, headers):
    """The inbox row of ``event``: (id, status); a duplicate counts a delivery."""
    return conn.execute(
        """INSERT INTO payment_events (provider, event_id, type, body, headers)
           VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (provider, event_id) DO UPDATE
           SET deliveries = payment_events.deliveries + 1
           RETURNING id, status""",
        (provider, event.event_id[:500], event.type[:200], body, Jsonb(headers)),
    ).fetchone()


def _apply_once(tenant, shop, provider, row_id, event, now):
    with tenant.transaction() as conn:
        status = conn.execute(
            "SELECT status FROM payment_events WHERE id = %s FOR UPDATE", (row_id,)
        ).fetchone()[0]
        if status != "received":
            return "duplicate"
        outcome = _apply_row(conn, shop, provider, row_id, event, now)
    if outcome.paid:
        usage.record_paid_orders(tenant, [outcome.order_id])
    return outcome.status


def _apply_row(conn, shop, provider, row_id, event, now):
    """Apply ``event`` and mark its locked inbox row; both commit together.

    Returns the settlement's Outcome; the caller counts a sale it made once
    the transaction has committed.
    """
    if event.type == UNPARSED:
        outcome = settlement.Outcome("flagged", note=event.note)
    else:
        outcome = settlement.apply_event(
            conn, shop, provider, event, now, event_key=event.event_id
        )
    conn.execute(
        """UPDATE payment_events SET status = %s, applied_at = %s, order_id = %s,
                  note = %s
           WHERE id = %s""",
        (outcome.status, now, outcome.order_id, outcome.note, row_id),
    )
    return outcome


def _note(tenant, row_id, text):
    with tenant.transaction() as conn:
        conn.execute(
            "UPDATE payment_events SET note = %s WHERE id = %s", (text[:500], row_id)
        )


def _waiting(tenant, limit):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT id, provider, event_id, body FROM payment_events
               WHERE status = 'received' ORDER BY id LIMIT %s""",
            (limit,),
        ).fetchall()


def _summary(results):
    if any(result == "recorded" for result in results):
        return "recorded"
    if all(result == "duplicate" for result in results):
        return "duplicate"
    return "applied"


def _log_refusal(provider, exc, body, headers):
    # Enough to debug a misconfiguration; never the secret nor the body.
    log.info(
        "%s webhook refused (%s): headers %s, %s bytes, sha256 %s",
        provider,
        exc.reason,
        sorted(headers),
        len(body),
        hashlib.sha256(body).hexdigest()[:16],
    )
