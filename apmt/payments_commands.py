"""``apmt payments configure SLUG PROVIDER`` and ``apmt payments reconcile [SLUG]``.

Settings arrive as one JSON object on standard input, so that secrets never
show in a process list or a shell history; what is printed back is masked.
"""

import json
import sys

from apmt.platform_commands import open_platform


def register(commands):
    payments = commands.add_parser("payments", help="a store's payment providers")
    actions = payments.add_subparsers(dest="action", required=True, metavar="ACTION")

    configure = actions.add_parser(
        "configure", help="enable a provider; its settings as JSON on stdin"
    )
    configure.add_argument("slug")
    configure.add_argument("provider", help="stripe, square, paypal, clover or manual")
    configure.set_defaults(handler=run_configure)

    disable = actions.add_parser("disable", help="forget a provider's settings")
    disable.add_argument("slug")
    disable.add_argument("provider")
    disable.set_defaults(handler=run_disable)

    reconcile = actions.add_parser(
        "reconcile", help="repair orders from the providers' APIs (all stores)"
    )
    reconcile.add_argument("slug", nargs="?")
    reconcile.add_argument("--json", action="store_true")
    reconcile.set_defaults(handler=run_reconcile)


def run_configure(args):
    from apmt.cli import UserError
    from commerce.payments import configure_provider

    raw = "" if sys.stdin.isatty() else sys.stdin.read()
    try:
        settings = json.loads(raw or "{}")
    except ValueError:
        raise UserError("settings must be one JSON object on standard input") from None

    platform = open_platform()
    platform.check_keys()
    store = platform.store(args.slug)
    hints = configure_provider(
        platform, store.id, args.provider, settings, actor="apmt"
    )
    print(f"{args.provider} enabled for {store.slug}")
    for field, hint in hints.items():
        print(f"  {field}: {hint}")


def run_disable(args):
    from commerce.payments import disable_provider

    platform = open_platform()
    store = platform.store(args.slug)
    removed = disable_provider(platform, store.id, args.provider, actor="apmt")
    print(f"{args.provider} {'disabled' if removed else 'was not enabled'}")


def run_reconcile(args):
    from commerce.payments import Inbox, Providers, reconcile_store
    from tenancy import registry

    platform = open_platform()
    if args.slug:
        stores = [platform.store(args.slug)]
    else:
        with platform.registry() as conn:
            stores = [s for s in registry.list_stores(conn) if s.status == "active"]

    inbox = Inbox(Providers(platform))
    failed = False
    for store in stores:
        report = reconcile_store(platform.tenant(store.id), inbox)
        failed = failed or bool(report.failures)
        if args.json:
            print(json.dumps(report.__dict__))
            continue
        repaired = ", ".join(report.repaired) or "none"
        print(
            f"{report.store}: {report.checked} payments checked, "
            f"{report.drained} waiting events applied, repaired orders: {repaired}"
        )
        for failure in report.failures:
            print(f"  could not ask {failure}")
    return 1 if failed else 0
