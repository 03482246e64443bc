"""The storefront under load, against a bare Falcon app on the same gunicorn.

A store of 10,000 products (written with COPY) is served by the storefront
with its own ``gunicorn.conf.py``; a Falcon app that returns a fixed body is
served with the same file, so worker class, workers and threads match. Load
comes from a second process on loopback: ``wrk`` when it is installed, else a
bounded Python client (threads, one keep-alive connection each, a fixed number
of requests and a time cap). Targets take turns round by round; each figure
is the median over the rounds.

The goal: the catalogue page and a product page each reach at least half the
bare app's requests per second. Run alone: ``python -m bench storefront``.
"""

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.load import free_port, percentile, summarise_runs
from bench.report import figure
from bench.timing import alternate, stop_process
from tenancy import StoreRequest, provision_store

GOAL_RATIO = 0.5
PRODUCTS, QUICK_PRODUCTS = 10_000, 500
SECONDS, QUICK_SECONDS = 6, 2
CONNECTIONS = 32
MAX_ROUNDS = 3
START_SECONDS = 30
REPO = Path(__file__).resolve().parents[1]
GUNICORN_CONF = REPO / "storefront_svc" / "gunicorn.conf.py"
SLUG = "benchshop"

TARGETS = {
    # name: (server, path)
    "bare": ("bare", "/"),
    "catalogue": ("storefront", "/products"),
    "product": ("storefront", "/products/product-05000"),
}


def run(ctx):
    sandbox = ctx.sandbox("front")
    quick = ctx.options.quick
    count = QUICK_PRODUCTS if quick else PRODUCTS
    seconds = QUICK_SECONDS if quick else SECONDS
    rounds = 1 if quick else min(ctx.options.repeat, MAX_ROUNDS)

    store = provision_store(
        sandbox.platform,
        StoreRequest(
            slug=SLUG,
            display_name="Bench Shop",
            owner_email="owner@bench.test",
            plan="growth",
        ),
    )
    tenant = sandbox.platform.tenant(store.id)
    load_seconds = _load_catalogue(tenant, count)
    handle = f"product-{count // 2:05}"
    targets = {**TARGETS, "product": ("storefront", f"/products/{handle}")}

    tool = "wrk" if shutil.which("wrk") else "python"
    with _Servers(sandbox, ctx.data_dir / "front") as ports:
        for server, path in targets.values():
            _check(ports[server], path)
            _load(tool, ports[server], path, 2 if quick else 3)  # warm-up

        def measure(name):
            server, path = targets[name]
            return lambda index: _load(tool, ports[server], path, seconds)

        samples = alternate(rounds, {n: measure(n) for n in targets}, warmup=0)

    summary = {name: summarise_runs(runs) for name, runs in samples.items()}
    return {
        "figures": _figures(summary),
        "tool": tool,
        "products": count,
        "copy_seconds": round(load_seconds, 2),
        "seconds_per_run": seconds,
        "rounds": rounds,
        "connections": CONNECTIONS,
        "targets": {name: path for name, (_, path) in targets.items()},
        "results": summary,
        "runs": samples,
    }


# -- the store ------------------------------------------------------------------


def _load_catalogue(tenant, count):
    """Products, one variant each and stock, with COPY; returns the seconds."""
    started = time.perf_counter()
    vendors = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")
    types = ("Tea", "Coffee", "Ware", "Gift")
    with tenant.transaction() as conn:
        location = conn.execute("SELECT id FROM locations WHERE is_default").fetchone()
        with conn.cursor().copy(
            "COPY products (id, handle, title, description_html, vendor, "
            "product_type, tags, status) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                copy.write_row(
                    (
                        n,
                        f"product-{n:05}",
                        f"Product {n:05}",
                        f"<p>Description of product {n}.</p>",
                        vendors[n % 5],
                        types[n % 4],
                        [f"tag{n % 7}", f"tag{n % 11}"],
                        "active",
                    )
                )
        with conn.cursor().copy(
            "COPY variants (id, product_id, position, sku, price) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                copy.write_row((n, n, 1, f"SKU-{n:05}", f"{5 + n % 95}.99"))
        with conn.cursor().copy(
            "COPY stock_levels (variant_id, location_id, on_hand) FROM STDIN"
        ) as copy:
            for n in range(1, count + 1):
                copy.write_row((n, location[0], n % 13))
        conn.execute("SELECT setval('products_id_seq', %s)", (count,))
        conn.execute("SELECT setval('variants_id_seq', %s)", (count,))
        conn.execute("ANALYZE products, variants, stock_levels")
    return time.perf_counter() - started


# -- the servers ------------------------------------------------------------------


class _Servers:
    """Both gunicorns for the block; stopped however the block ends."""

    def __init__(self, sandbox, folder):
        self._env = {
            **sandbox.env,
            "STOREFRONT_HOST": "127.0.0.1",
            "APMT_BASE_DOMAIN": "localhost",
        }
        self._folder = folder
        self._processes = []

    def __enter__(self):
        self._folder.mkdir(parents=True, exist_ok=True)
        try:
            return {
                "storefront": self._start("storefront", []),
                "bare": self._start("bare", ["bench.storefront:bare_app()"]),
            }
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc):
        for process in self._processes:
            stop_process(process)

    def _start(self, name, app):
        port = free_port()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONF),
            "--bind",
            f"127.0.0.1:{port}",
            *app,
        ]
        log = open(self._folder / f"{name}.log", "wb")  # noqa: SIM115 - kept open
        process = subprocess.Popen(
            argv, env=self._env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log
        )
        self._processes.append(process)
        _wait_until_up(port, process, self._folder / f"{name}.log")
        return port


def bare_app():
    """A Falcon app that answers every GET with a fixed body: the baseline."""
    import falcon

    class Fixed:
        body = b"<!doctype html><title>bare</title><p>Hello from a bare app.</p>"

        def on_get(self, req, resp):
            resp.content_type = falcon.MEDIA_HTML
            resp.data = self.body

    app = falcon.App()
    app.add_sink(Fixed().on_get, prefix="/")
    return app


def _wait_until_up(port, process, log_path):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-1500:]
            raise RuntimeError(f"gunicorn exited: {tail}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} did not start")


def _check(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"{SLUG}.localhost"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}: {body[:300]!r}")


# -- load -------------------------------------------------------------------------


def _load(tool, port, path, seconds):
    """One load run; its requests per second and latency percentiles (ms)."""
    if tool == "wrk":
        return _wrk(port, path, seconds)
    return _python_client(port, path, seconds)


def _wrk(port, path, seconds):
    argv = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Host: {SLUG}.localhost",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {
        int(p): _ms(value, unit)
        for p, value, unit in re.findall(
            r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\b", out, re.MULTILINE
        )
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": round(rate, 1),
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
        "errors": int(errors.group(1)) if errors else 0,
    }


def _ms(value, unit):
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit], 3)


def _python_client(port, path, seconds):
    argv = [
        sys.executable,
        "-m",
        "bench.storefront",
        "load",
        "--port",
        str(port),
        "--path",
        path,
        "--seconds",
        str(seconds),
        "--requests",
        str(seconds * 20_000),
    ]
    out = subprocess.run(
        argv, capture_output=True, text=True, check=True, cwd=REPO, timeout=seconds + 60
    ).stdout
    return json.loads(out)


def client_load(port, path, seconds, requests, connections=CONNECTIONS):
    """Up to ``requests`` GETs in ``seconds`` over ``connections`` keep-alives."""
    latencies, errors = [], [0]
    left = [requests]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < deadline:
            with lock:
                if left[0] <= 0:
                    break
                left[0] -= 1
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": f"{SLUG}.localhost"})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors[0] += 1
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
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 3),
        "p99_ms": round(percentile(latencies, 99) * 1000, 3),
        "errors": errors[0],
    }


# -- figures ----------------------------------------------------------------------


def _figures(summary):
    bare = summary["bare"]["rps"]
    figures = []
    for name, label in (
        ("bare", "bare Falcon"),
        ("catalogue", "catalogue page"),
        ("product", "product page"),
    ):
        result = summary[name]
        figures.append(figure(f"{label} req/s", result["rps"], "req/s"))
        figures.append(
            figure(
                f"{label} p50 / p99", f"{result['p50_ms']} / {result['p99_ms']}", "ms"
            )
        )
        if name != "bare":
            ratio = round(result["rps"] / bare, 3) if bare else 0.0
            figures.append(
                figure(
                    f"{label} / bare",
                    ratio,
                    goal=f">= {GOAL_RATIO}",
                    met=ratio >= GOAL_RATIO,
                )
            )
    return figures


def main(argv=None):
    """``python -m bench.storefront load ...``: the load client's process."""
    parser = argparse.ArgumentParser(prog="python -m bench.storefront")
    parser.add_argument("mode", choices=["load"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    args = parser.parse_args(argv)

    result = client_load(
        args.port, args.path, args.seconds, args.requests, args.connections
    )
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
