"""``apmt billing``: the platform's Clover account, plans and the poll."""

import json
import sys

from apmt.cli import UserError
from apmt.platform_commands import open_platform


def register(commands):
    billing = commands.add_parser("billing", help="subscriptions through Clover")
    actions = billing.add_subparsers(dest="action", required=True, metavar="ACTION")

    configure = actions.add_parser(
        "configure",
        help="the platform's Clover settings as one JSON object on standard input",
    )
    configure.set_defaults(handler=run_configure)

    plans = actions.add_parser("plans", help="plans and credit packs on sale")
    plans.add_argument("--json", action="store_true")
    plans.set_defaults(handler=run_plans)

    sync = actions.add_parser("sync-plans", help="create the paid plans at Clover")
    sync.set_defaults(handler=run_sync)

    poll = actions.add_parser(
        "poll", help="read subscriptions from Clover and act (safe from cron)"
    )
    poll.add_argument(
        "--force", action="store_true", help="also those read within the hour"
    )
    poll.add_argument("--json", action="store_true")
    poll.set_defaults(handler=run_poll)


def run_configure(args):
    from tenancy.billing import configure_billing

    try:
        settings = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        raise UserError(f"standard input is not JSON: {exc}") from None
    configure_billing(open_platform(), settings)
    print(
        f"billing through Clover merchant {settings['merchant_id']} "
        "(private token stored sealed)"
    )


def run_plans(args):
    from tenancy.billing import list_packs, list_plans

    platform = open_platform()
    plans, packs = list_plans(platform), list_packs(platform)
    if args.json:
        print(json.dumps({
            "plans": [p.__dict__ for p in plans],
            "packs": [p.__dict__ for p in packs],
        }, default=str))  # fmt: skip
        return
    for plan in plans:
        limit = plan.max_products if plan.max_products is not None else "unlimited"
        print(
            f"{plan.code:<10} {plan.monthly_price:>8} {plan.currency}/month  "
            f"products {limit}, locations {plan.max_locations or 'unlimited'}, "
            f"AI credits {plan.monthly_ai_credits}/month"
        )
    for pack in packs:
        print(
            f"pack {pack.code:<5} {pack.price:>8} {pack.currency}  "
            f"{pack.credits} AI credits"
        )


def run_sync(args):
    from tenancy.billing import client, sync_plans

    platform = open_platform()
    clover = client(platform)
    try:
        made = sync_plans(platform, clover)
    finally:
        clover.close()
    print(f"Clover plans created: {len(made)}")


def run_poll(args):
    from tenancy.billing import client, poll

    platform = open_platform()
    clover = client(platform)
    try:
        report = poll(platform, clover=clover, force=args.force)
    finally:
        clover.close()
    if args.json:
        print(json.dumps(report.__dict__, default=str))
    else:
        print(
            f"subscriptions read: {report.checked}; receipts: {report.receipts}; "
            f"past due: {len(report.past_due)}; suspended: {len(report.suspended)}; "
            f"reactivated: {len(report.reactivated)}"
        )
    for store_id, error in report.failed.items():
        print(f"  store {store_id} failed: {error}", file=sys.stderr)
    if report.failed:
        raise UserError(f"{len(report.failed)} store(s) could not be read")
