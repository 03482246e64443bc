"""``python -m bench [NAME ...]``: run benchmarks, print a table, keep the JSON.

With no names every benchmark in ``bench.BENCHMARKS`` runs, in order, on one
context; a benchmark that fails is reported and the others still run.
"""

import argparse
import importlib
import logging
import os
import platform
import signal
import sys
import time
import warnings
from datetime import UTC, datetime

from bench import BENCHMARKS
from bench.common import Options, open_context
from bench.report import format_table, write_results
from tenancy import db

log = logging.getLogger("bench")


def main(argv=None):
    args = _parse(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    _interrupt_on_termination()
    # As the command line does: platformdirs' notice from the embedded server.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")

    started = datetime.now(UTC)
    document = {
        "started": started.isoformat(timespec="seconds"),
        "options": {"repeat": args.repeat, "quick": args.quick},
        "machine": _machine(),
        "benchmarks": {},
    }
    results = document["benchmarks"]
    clock = time.perf_counter()
    status = 0
    try:
        with open_context(Options(repeat=args.repeat, quick=args.quick)) as ctx:
            document["server"] = _server(ctx)
            document["prefix"] = ctx.prefix
            for name in args.names:
                results[name] = _run_one(name, ctx)
    except KeyboardInterrupt:
        print("bench: interrupted; its databases and roles are gone", file=sys.stderr)
        document["interrupted"] = True
        status = 130

    document["seconds"] = round(time.perf_counter() - clock, 1)
    document["machine"]["load_after"] = os.getloadavg()
    if results:
        print(format_table(results))
        path = write_results(document, started.strftime("%Y%m%dT%H%M%SZ"))
        print(f"\n{document['seconds']} s in all; results in {path}")
    if any("error" in outcome for outcome in results.values()):
        status = status or 1
    return status


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Run the APMTSales benchmarks."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}"
    )
    parser.add_argument(
        "--repeat", type=int, default=5, help="rounds per measurement (default 5)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: check that it all runs"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)

    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.names = args.names or list(BENCHMARKS)
    return args


def _run_one(name, ctx):
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    clock = time.perf_counter()
    try:
        module = importlib.import_module(f"bench.{name}")
        outcome = module.run(ctx)
    except Exception as exc:  # noqa: BLE001 - the other benchmarks still run
        log.exception("%s failed", name)
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    outcome["seconds"] = round(time.perf_counter() - clock, 1)
    print(f"bench: {name} took {outcome['seconds']} s", file=sys.stderr, flush=True)
    return outcome


def _interrupt_on_termination():
    """Make SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt, so cleanup runs.

    SIGINT too: a shell without job control starts background commands with it
    ignored, and such a run must still stop cleanly when asked.
    """

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupt)


def _machine():
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
    }


def _server(ctx):
    with ctx.admin_connection() as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return {"address": db.describe(ctx.dsn), "version": version}


if __name__ == "__main__":
    sys.exit(main())
