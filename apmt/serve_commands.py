"""``apmt serve storefront [--host] [--port]``: run a web app under gunicorn.

``serve`` is a group with one action per app, so the dashboard can join it
as ``apmt serve admin``. The storefront runs under gunicorn with our
``storefront_svc/gunicorn.conf.py``; the process replaces this one, so
signals reach gunicorn directly and stopping it stops the storefront.
"""

import os
import sys
from pathlib import Path

STOREFRONT_CONF = (
    Path(__file__).resolve().parents[1] / "storefront_svc/gunicorn.conf.py"
)


def register(commands):
    serve = commands.add_parser("serve", help="run a web app of the platform")
    apps = serve.add_subparsers(dest="app", required=True, metavar="APP")
    add_app(apps, "storefront", "the shoppers' storefront, under gunicorn",
            run_storefront)  # fmt: skip
    add_app(apps, "admin", "the owners' dashboard (Streamlit)", run_admin)


def add_app(apps, name, help_text, handler):
    """One ``apmt serve <name> [--host] [--port]`` action; the admin joins so."""
    app = apps.add_parser(name, help=help_text)
    app.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    app.add_argument("--port", type=int, help="port (default from the settings)")
    app.set_defaults(handler=handler)
    return app


def run_storefront(args):
    from apmt.platform_commands import open_platform

    argv = storefront_argv(args.host, args.port)
    # NOTE: done once here rather than in every worker: this starts the
    # embedded server when there is no DATABASE_URL, and a missing or wrong
    # master key becomes one error line instead of a storefront answering 503.
    platform = open_platform()
    try:
        platform.check_keys()
    finally:
        platform.close()
    print(f"storefront: {' '.join(argv[3:])}", file=sys.stderr, flush=True)
    os.execv(argv[0], argv)  # noqa: S606 - our own interpreter, no shell


def run_admin(args):
    from apmt.admin_wiring import DEFAULT_HOST, serve_admin

    serve_admin(args.host or DEFAULT_HOST, args.port)


def storefront_argv(host=None, port=None):
    """The gunicorn command line for the storefront, with any overrides."""
    from storefront_svc.config import load_storefront_config
    from tenancy import load_config

    config = load_storefront_config(load_config())
    host = host or config.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    bind = f"{host}:{port or config.port}"
    return [sys.executable, "-m", "gunicorn", "-c", str(STOREFRONT_CONF),
            "--bind", bind]  # fmt: skip
