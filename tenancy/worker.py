"""``apmt worker``: the background loop that sends mail and tidies up.

Each pass first reads the Clover subscriptions that are due (when billing is
set up; see ``tenancy.billing``), then sends the registry's outbox and every
live store's outbox, each store through its own role. One store that fails
(unreachable, broken) is logged and skipped; the others go on.
"""

import logging
import time

from tenancy import registry
from tenancy.mailer import FileTransport, SmtpTransport, deliver, load_smtp

log = logging.getLogger(__name__)


def run_once(platform, *, now=None):
    """One pass over every outbox; return {scope: (sent, failed)}."""
    settings = load_smtp(platform)
    results = {}
    with platform.registry_connection() as conn:
        transport = _transport(platform, settings, "platform")
        try:
            results["platform"] = deliver(conn, transport, scope="platform",
                                          sender=_sender(platform, settings),
                                          now=now)  # fmt: skip
        finally:
            transport.close()

    with platform.registry() as conn:
        stores = [s for s in registry.list_stores(conn) if s.status == "active"]
    for store in stores:
        transport = _transport(platform, settings, str(store.id))
        try:
            with platform.tenant(store.id).connection() as conn:
                sender = _sender(platform, settings, store.display_name)
                results[store.id] = deliver(conn, transport, scope=f"s{store.id}",
                                            sender=sender, now=now)  # fmt: skip
        except Exception as exc:  # NOTE: one store must not stop the others
            log.warning("store=%s mail pass failed: %s", store.id, exc)
        finally:
            transport.close()
    return results


def poll_billing(platform, *, now=None):
    """Read due subscriptions from Clover, when billing is set up at all."""
    from tenancy import billing

    if billing.load_settings(platform) is None:
        return None
    clover = billing.client(platform)
    try:
        return billing.poll(platform, clover=clover, now=now)
    except Exception as exc:  # noqa: BLE001 - mail must go on regardless
        log.warning("billing poll failed: %s", type(exc).__name__)
        return None
    finally:
        clover.close()


def run_forever(platform, *, interval=10):
    """Run passes until interrupted, sleeping ``interval`` seconds between."""
    while True:
        poll_billing(platform)
        results = run_once(platform)
        sent = sum(s for s, _ in results.values())
        if sent:
            log.info("worker pass sent=%s", sent)
        time.sleep(interval)


def _transport(platform, settings, scope):
    if settings is None:
        return FileTransport(platform.config.data_dir / "mail" / scope)
    return SmtpTransport(settings)


def _sender(platform, settings, store_name=None):
    address = f"no-reply@{platform.config.base_domain}"
    base = settings.sender if settings else f"APMTSales <{address}>"
    if store_name:
        mailbox = base.rsplit("<", 1)[-1].rstrip(">") if "<" in base else base
        clean = store_name.replace('"', "").replace("\n", " ")
        return f'"{clean} via APMTSales" <{mailbox}>'
    return base
