"""Request ids, the client's address and one JSON access-log line per request.

The line holds the time, request id, store id, method, path, status, duration,
client address and user agent. It never holds a query string (searches and
links can carry personal data), a body or a cookie; the paths of routes with
a secret in them (``/orders/{token}``) are logged as their template.

Lines go to stderr and to one file per day under the data folder, from which
``apmt retention run`` drops the client addresses after
``APMT_ACCESS_LOG_IP_DAYS`` days (see ``tenancy.access_logs``).

The client address is the TCP peer, unless the peer is one of the configured
trusted proxies: then X-Forwarded-For is read from the right, skipping our own
proxies, and the first address that is not one of them is the client.
"""

import ipaddress
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime

access_log = logging.getLogger("storefront_svc.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_USER_AGENT = 200


class RequestLog:
    """Middleware: request id in and out, client address, access-log line."""

    def __init__(self, trusted_proxies=(), *, clock=time.perf_counter):
        self._trusted = tuple(trusted_proxies)
        self._clock = clock

    def process_request(self, req, resp):
        req.context.started = self._clock()
        given = req.get_header("X-Request-ID") or ""
        req.context.request_id = (
            given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        )
        req.context.client_ip = client_ip(
            req.remote_addr, req.get_header("X-Forwarded-For"), self._trusted
        )
        # The path as asked for, before the platform's pages are re-routed.
        req.context.asked_path = req.path

    def process_response(self, req, resp, resource, req_succeeded):
        ctx = req.context
        resp.set_header("X-Request-ID", ctx.get("request_id", ""))
        if not access_log.isEnabledFor(logging.INFO):
            return

        store = ctx.get("store")
        started = ctx.get("started", self._clock())
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": ctx.get("request_id"),
            "store": store.id if store else None,
            "method": req.method,
            "path": _loggable_path(req),
            "status": resp.status_code,
            "duration_ms": round((self._clock() - started) * 1000, 2),
            "client_ip": ctx.get("client_ip"),
            "user_agent": (req.user_agent or "")[:MAX_USER_AGENT],
        }
        access_log.info(json.dumps(line, separators=(",", ":")))


def client_ip(peer, forwarded_for, trusted):
    """The client's address: the peer, or past our trusted proxies."""
    if not trusted or not forwarded_for or not _is_trusted(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not _is_trusted(hop, trusted):
            return hop
    return peer


def _is_trusted(address, trusted):
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _loggable_path(req):
    template = req.uri_template or ""
    if "{token}" in template:
        return template
    return req.context.get("asked_path", req.path)
