"""Payment webhooks under load, against a bare endpoint on the same gunicorn.

The storefront app, with the payments routes added as the lead wires them,
and a bare Falcon app whose one endpoint only inserts the raw body into a
table of the same store's database (through the same connection pools), are
each served with ``storefront_svc/gunicorn.conf.py``. A second process on
loopback posts bounded load: each webhook is a Stripe
``checkout.session.completed`` signed at send time for its own pending order,
so every delivery is verified, recorded and applied (the order's reserved unit
is sold). Orders are written beforehand with SQL, a fresh slice per round.

Figures: events applied per second, the bare endpoint's inserts per second,
their ratio (goal: at least 0.5) and p99 latencies. Run alone:
``python -m bench webhooks``.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.load import free_port, percentile, summarise_runs
from bench.report import figure
from bench.storefront import _wait_until_up
from bench.timing import alternate, stop_process
from tenancy import StoreRequest, provision_store

GOAL_RATIO = 0.5
EVENTS, QUICK_EVENTS = 2_000, 300
CONNECTIONS = 16
MAX_ROUNDS = 3
SECONDS_CAP = 60
REPO = Path(__file__).resolve().parents[1]
GUNICORN_CONF = REPO / "storefront_svc" / "gunicorn.conf.py"
SLUG = "hookshop"
SECRET = "whsec_bench_0123456789abcdef"
FIRST_NUMBER = 500_000
VARIANTS = 200


def run(ctx):
    sandbox = ctx.sandbox("hooks")
    quick = ctx.options.quick
    per_round = QUICK_EVENTS if quick else EVENTS
    rounds = 1 if quick else min(ctx.options.repeat, MAX_ROUNDS)

    tenant = _shop(sandbox, per_round * (rounds + 1))
    folder = ctx.data_dir / "hooks"
    env = {
        **sandbox.env,
        "STOREFRONT_HOST": "127.0.0.1",
        "APMT_BASE_DOMAIN": "localhost",
        "BENCH_WEBHOOK_STORE": SLUG,
    }
    slices = iter(range(rounds + 1))

    with _Servers(env, folder) as ports:

        def webhooks(index):
            first = FIRST_NUMBER + next(slices) * per_round
            return _load(
                ports["webhooks"], "/webhooks/stripe", tenant.id, first, per_round
            )

        def bare(index):
            return _load(ports["bare"], "/webhooks/raw", tenant.id, 0, per_round)

        def bare_in_app(index):
            return _load(ports["webhooks"], "/raw/raw", tenant.id, 0, per_round)

        measures = {"webhooks": webhooks, "bare": bare, "bare_in_app": bare_in_app}
        samples = alternate(rounds, measures, warmup=1)

    applied = _count_applied(tenant)
    summary = {name: summarise_runs(runs) for name, runs in samples.items()}
    return {
        "figures": _figures(summary, applied, per_round * (rounds + 1)),
        "events_per_round": per_round,
        "rounds": rounds,
        "connections": CONNECTIONS,
        "results": summary,
        "runs": samples,
    }


# -- the store ----------------------------------------------------------------------


def _shop(sandbox, orders):
    """A store with Stripe enabled and ``orders`` pending orders of one unit."""
    from commerce.payments import configure_provider

    platform = sandbox.platform
    platform.check_keys()
    store = provision_store(
        platform,
        StoreRequest(slug=SLUG, display_name="Hook Shop", owner_email="o@b.test"),
    )
    configure_provider(
        platform,
        store.id,
        "stripe",
        {
            "secret_key": "sk_test_bench_0123456789",
            "webhook_secret": SECRET,
            "api_base": "http://127.0.0.1:9",
        },  # fmt: skip
    )
    tenant = platform.tenant(store.id)
    values = {"v": VARIANTS, "n": orders, "first": FIRST_NUMBER}
    with tenant.transaction() as conn:
        for statement in _SHOP_SQL:
            conn.execute(statement, values)
    return tenant


# Orders spread over the variants, as a shop's payments are.
_SHOP_SQL = (
    """INSERT INTO products (id, handle, title, status)
       SELECT v, 'tea-' || v, 'Tea ' || v, 'active' FROM generate_series(1, %(v)s) v""",
    """INSERT INTO variants (id, product_id, sku, price)
       SELECT v, v, 'T' || v, 10.99 FROM generate_series(1, %(v)s) v""",
    """INSERT INTO stock_levels (variant_id, location_id, on_hand)
       SELECT v, l.id, %(n)s FROM generate_series(1, %(v)s) v
       CROSS JOIN locations l WHERE l.is_default""",
    "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, body bytea NOT NULL)",
    """INSERT INTO orders (number, token, source, status, currency, subtotal,
           total, email, payment_provider, placed_at, expires_at)
       SELECT g::text, 'tok' || g, 'storefront', 'pending', 'USD', 10.99, 10.99,
              'shopper@bench.test', 'stripe', now(), now() + interval '1 day'
       FROM generate_series(%(first)s, %(first)s + %(n)s - 1) g""",
    """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
           quantity, unit_price, line_total)
       SELECT id, 1, 1 + number::int %% %(v)s, 'T', 'Tea', 1, 10.99, 10.99
       FROM orders""",
    """INSERT INTO reservations (order_id, variant_id, location_id, quantity,
           expires_at)
       SELECT o.id, 1 + o.number::int %% %(v)s, l.id, 1, o.expires_at
       FROM orders o CROSS JOIN locations l WHERE l.is_default""",
    """UPDATE stock_levels s SET reserved = (
           SELECT count(*) FROM reservations r WHERE r.variant_id = s.variant_id)""",
    "ANALYZE",
)


def _count_applied(tenant):
    with tenant.connection() as conn:
        return conn.execute(
            "SELECT count(*) FROM orders WHERE status = 'paid'"
        ).fetchone()[0]


# -- the servers ------------------------------------------------------------------


class _Servers:
    """Both gunicorns for the block, stopped however the block ends."""

    def __init__(self, env, folder):
        self._env, self._folder, self._processes = env, folder, []

    def __enter__(self):
        self._folder.mkdir(parents=True, exist_ok=True)
        try:
            return {
                "webhooks": self._start("webhooks", "bench.webhooks:webhook_app()"),
                "bare": self._start("bare", "bench.webhooks:bare_app()"),
            }
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc):
        for process in self._processes:
            stop_process(process)

    def _start(self, name, app):
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF),
                "--bind", f"127.0.0.1:{port}", app]  # fmt: skip
        log_path = self._folder / f"{name}.log"
        log = open(log_path, "wb")  # noqa: SIM115 - kept open for the process
        process = subprocess.Popen(
            argv, env=self._env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
        )
        self._processes.append(process)
        _wait_until_up(port, process, log_path)
        return port


def webhook_app():
    """The storefront with the payments routes, as storefront_svc/app.py will have."""
    from commerce.payments import Inbox, Providers
    from storefront_svc.app import get_app
    from storefront_svc.payment_webhooks import PaymentWebhooks
    from tenancy import Platform

    app = get_app()
    app.add_route(
        "/webhooks/{provider}", PaymentWebhooks(Inbox(Providers(Platform.open())))
    )
    # The same insert as the bare app's, behind the storefront's middleware.
    app.add_route("/raw/{provider}", RawInsert())
    return app


class RawInsert:
    """Insert the raw body into ``bench_raw``; answer as the webhooks do."""

    csrf_exempt = True

    def __init__(self, tenant=None):
        self._tenant = tenant

    def on_post(self, req, resp, provider):
        body = req.bounded_stream.read()
        tenant = self._tenant or req.context.tenant
        with tenant.transaction() as conn:
            conn.execute("INSERT INTO bench_raw (body) VALUES (%s)", (body,))
        resp.media = {"received": "stored"}


def bare_app():
    """A bare Falcon app: one endpoint that inserts the raw body, nothing else."""
    import falcon

    from tenancy import Platform

    tenant = Platform.open().tenant(os.environ["BENCH_WEBHOOK_STORE"])

    class Health:
        def on_get(self, req, resp):
            resp.media = {"ok": True}

    app = falcon.App()
    app.add_route("/webhooks/{provider}", RawInsert(tenant))
    app.add_route("/healthz", Health())
    return app


# -- load -------------------------------------------------------------------------


def _load(port, path, store_id, first, count):
    argv = [sys.executable, "-m", "bench.webhooks", "--port", str(port),
            "--path", path, "--store", str(store_id), "--first", str(first),
            "--count", str(count)]  # fmt: skip
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, cwd=REPO,
        timeout=SECONDS_CAP + 60,
    ).stdout  # fmt: skip
    return json.loads(out)


def session_event(store_id, number):
    """A checkout.session.completed body for order ``number``, compact JSON."""
    session = {
        "id": f"cs_bench_{number}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "amount_total": 1099,
        "currency": "usd",
        "payment_intent": f"pi_bench_{number}",
        "client_reference_id": f"tenant_{store_id}:order_{number}",
        "metadata": {"tenant_id": f"tenant_{store_id}", "order_id": f"order_{number}"},
    }
    event = {"id": f"evt_bench_{number}", "type": "checkout.session.completed",
             "data": {"object": session}}  # fmt: skip
    return json.dumps(event, separators=(",", ":")).encode()


def client_load(port, path, store_id, first, count, connections=CONNECTIONS):
    """POST ``count`` deliveries over ``connections`` keep-alives, within the cap."""
    latencies, failures = [], [0]
    numbers = iter(range(first, first + count))
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS_CAP

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < deadline:
            with lock:
                number = next(numbers, None)
            if number is None:
                break
            raw = session_event(store_id, number)
            now = int(time.time())
            signed = f"{now}.".encode() + raw
            digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
            headers = {
                "Host": f"{SLUG}.localhost",
                "Content-Type": "application/json",
                "Stripe-Signature": f"t={now},v1={digest}",
            }
            started = time.perf_counter()
            conn.request("POST", path, body=raw, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                failures[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    latencies.sort()
    return {
        "rps": round((len(latencies) - failures[0]) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "sent": len(latencies),
        "errors": failures[0],
    }


# -- figures ----------------------------------------------------------------------


def _figures(summary, applied, sent):
    hooks, bare, in_app = summary["webhooks"], summary["bare"], summary["bare_in_app"]
    ratio = round(hooks["rps"] / bare["rps"], 3) if bare["rps"] else 0.0
    in_app_ratio = round(hooks["rps"] / in_app["rps"], 3) if in_app["rps"] else 0.0
    return [
        figure("verified events applied/s", hooks["rps"], "events/s"),
        figure("bare raw-body inserts/s", bare["rps"], "req/s"),
        figure(
            "applied / bare", ratio, goal=f">= {GOAL_RATIO}", met=ratio >= GOAL_RATIO
        ),
        figure("bare insert behind the storefront middleware/s", in_app["rps"]),
        figure("applied / that", in_app_ratio),
        figure("webhook p50 / p99", f"{hooks['p50_ms']} / {hooks['p99_ms']}", "ms"),
        figure("bare p50 / p99", f"{bare['p50_ms']} / {bare['p99_ms']}", "ms"),
        figure(
            "orders paid = events sent",
            f"{applied} / {sent}",
            goal="equal",
            met=applied == sent and hooks["errors"] == 0,
        ),
    ]


def main(argv=None):
    """``python -m bench.webhooks --port ...``: the load client's process."""
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/webhooks/stripe")
    parser.add_argument("--store", type=int, required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    args = parser.parse_args(argv)
    result = client_load(
        args.port, args.path, args.store, args.first, args.count, args.connections
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
