"""``apmt demo``: the whole platform on this machine, on real data.

Sets the platform up (keys, registry, template; the embedded PostgreSQL when
``DATABASE_URL`` is unset), makes the demo store and fills it from the bundled
UCI Online Retail data (CC BY 4.0; see ``scripts/build_demo_data.py``), then
runs the storefront, the dashboard and the mail worker until Ctrl-C, and stops
them all. Run again, it reuses what it made: imports are idempotent and the
owner's password is kept in the data folder.
"""

import gzip
import os
import secrets
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apmt.cli import UserError
from apmt.platform_commands import open_platform, run_init

DEMO_SLUG = "demo"
DEMO_OWNER = "owner@demo.example"
DATA = Path(__file__).parent / "demo_data"


def register(commands):
    demo = commands.add_parser("demo", help="run the whole platform on demo data")
    demo.add_argument(
        "--no-serve", action="store_true", help="set up and fill the store, then exit"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args):
    from tenancy import load_config

    if not args.no_serve:
        _check_ports_free(load_config())
    run_init(args)
    platform = open_platform()
    store, password = ensure_demo_store(platform)
    fill_demo_store(platform, store)

    storefront = platform.config.store_url(store.slug)
    admin = f"http://localhost:{platform.config.admin_port}/"
    print()
    print(f"  storefront  {storefront}")
    print(f"  dashboard   {admin}")
    print(f"  log in as   {DEMO_OWNER} / {password}")
    print("  payments    manual (labelled on the checkout page); no provider keys")
    print("  AI writer   offline (labelled in the dashboard); no API keys")
    mail = platform.config.data_dir / "mail"
    print(f"  mail        written as .eml files under {mail}")
    if args.no_serve:
        print("\nnothing is running: start the parts with `apmt serve storefront`, "
              "`apmt serve admin` and `apmt worker`")  # fmt: skip
        return

    print("\nstarting the storefront, the dashboard and the mail worker; "
          "Ctrl-C stops everything")  # fmt: skip
    serve_until_interrupted(platform)


def _check_ports_free(config):
    """Refuse before the banner when a port the demo serves on is taken."""
    import socket

    wanted = (
        (config.storefront_port, "APMT_STOREFRONT_PORT"),
        (config.admin_port, "APMT_ADMIN_PORT"),
    )
    for port, setting in wanted:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                raise UserError(
                    f"port {port} on 127.0.0.1 is in use; stop what holds it or "
                    f"set {setting} to another port"
                ) from None


def ensure_demo_store(platform):
    """The demo store and its owner's password, made on the first run."""
    from tenancy import StoreNotFound, StoreRequest, provision_store
    from tenancy.sessions import set_password

    try:
        store = platform.store(DEMO_SLUG)
        print(f"demo store: reusing {store.slug} (id {store.id})")
    except StoreNotFound:
        store = provision_store(
            platform,
            StoreRequest(
                slug=DEMO_SLUG,
                display_name="Online Retail UK (demo)",
                owner_email=DEMO_OWNER,
                owner_name="Demo Owner",
                business_name="Online Retail UK",
                currency="GBP",
                timezone="Europe/London",
                plan="growth",
            ),
        )
        print(f"demo store: created {store.slug} (id {store.id})")

    password_file = platform.config.data_dir / "demo-owner-password"
    if password_file.exists():
        password = password_file.read_text().strip()
    else:
        password = "demo-" + secrets.token_urlsafe(9)
        with platform.registry() as conn:
            set_password(conn, store.account_id, password)
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password + "\n")
    return store, password


def fill_demo_store(platform, store):
    """Import the bundled catalogue and a year of sales; a second run adds none."""
    from etl.catalogue_import import import_products
    from etl.sales_import import import_sales

    tenant = platform.tenant(store.id)
    work = platform.config.data_dir / "demo"
    work.mkdir(parents=True, exist_ok=True)

    catalogue = work / "catalogue.csv"
    catalogue.write_bytes(gzip.decompress((DATA / "catalogue.csv.gz").read_bytes()))
    report = import_products(tenant, catalogue, actor="demo")
    print(f"catalogue: {report.created} created, {report.unchanged} unchanged")

    sales = work / "sales.csv"
    _write_recent_sales(sales)
    report = import_sales(tenant, sales, actor="demo")
    print(f"sales history: {report.created} lines imported, "
          f"{report.unchanged} already there")  # fmt: skip


def _write_recent_sales(out):
    """The bundled year of sales, moved so that it ends yesterday.

    NOTE: the real dates (Dec 2010 - Dec 2011) would leave every "last 30 days"
    figure of the dashboard empty; the days move together, nothing else changes.
    """
    text = gzip.decompress((DATA / "sales.csv.gz").read_bytes()).decode("utf-8")
    lines = text.splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]]
    # InvoiceDate is the fifth column and never quoted in this file.
    last = max(datetime.fromisoformat(r[-4]) for r in rows if len(r) >= 8)
    yesterday = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
    shift = timedelta(days=(yesterday.date() - last.date()).days)

    with out.open("w", encoding="utf-8", newline="") as target:
        target.write(header + "\n")
        for row in rows:
            if len(row) >= 8:
                row[-4] = (datetime.fromisoformat(row[-4]) + shift).isoformat(sep=" ")
            target.write(",".join(row) + "\n")


def serve_until_interrupted(platform):
    """Run the three processes; on Ctrl-C (or one of them dying) stop them all."""
    apmt = [sys.executable, "-m", "apmt"]

    # NOTE: each in a process group of its own, so that Ctrl-C reaches only
    # this process, which then stops every group whole (gunicorn's workers
    # included) instead of racing the terminal's signal to each process.
    def start(*args):
        return subprocess.Popen([*apmt, *args], start_new_session=True)

    children = {
        "storefront": start("serve", "storefront"),
        "dashboard": start("serve", "admin"),
        "mail worker": start("worker", "--interval", "5"),
    }
    stop = []
    # NOTE: SIGINT too, by hand: a shell that starts the demo in the
    # background hands it SIGINT ignored, and Python then never raises
    # KeyboardInterrupt.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.append(True))
    try:
        while not stop:
            for name, child in children.items():
                if child.poll() is not None:
                    print(
                        f"{name} stopped (exit {child.returncode}); stopping the rest"
                    )
                    stop.append(True)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(children)
        _stop_embedded(platform)
        print("demo stopped")


def _stop(children):
    """SIGTERM each child's group, then SIGKILL whatever of it is left.

    The second step also catches a worker its master left behind.
    """
    for child in children.values():
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        _signal_group(child, signal.SIGKILL)


def _signal_group(child, signum):
    try:
        os.killpg(child.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


def _stop_embedded(platform):
    if platform.config.database_url:
        return
    from tenancy.embedded import stop_embedded_server

    platform.close()
    if stop_embedded_server(platform.config.data_dir):
        print("embedded PostgreSQL stopped")
