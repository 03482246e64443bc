"""``apmt analytics SLUG [--from DATE] [--to DATE] [--json]``: a store's sales
figures for a period, for scripts and for a quick look."""

import argparse
import json
from datetime import date

from apmt.platform_commands import open_platform

MONEY = ("gross_sales", "refunds", "net_sales", "returns_value", "average_order_value")
COUNTS = ("orders", "units_sold", "units_returned", "return_orders", "customers")


def register(commands):
    parser = commands.add_parser(
        "analytics", help="sales figures of a store for a period (store's days)"
    )
    parser.add_argument("slug")
    parser.add_argument(
        "--from",
        dest="start",
        type=_day,
        metavar="DATE",
        help="first day, YYYY-MM-DD (default: 30 days up to --to)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=_day,
        metavar="DATE",
        help="last day, included, YYYY-MM-DD (default: today in the store)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run_analytics)


def run_analytics(args):
    from commerce.analytics import StoreAnalytics

    tenant = open_platform().tenant(args.slug)
    # The mirror file lets the next run read only what changed since this one.
    with StoreAnalytics(tenant, persist=True) as analytics:
        period = analytics.period(args.start, args.end)
        summary = analytics.summary(period).current

    figures = summary_figures(tenant.store.slug, summary)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{figures['store']}: {figures['from']} to {figures['to']} (store time)")
    for name in MONEY:
        if figures[name] is not None:
            label = name.replace("_", " ")
            print(f"  {label:<20} {figures[name]} {figures['currency']}")
    for name in COUNTS:
        print(f"  {name.replace('_', ' '):<20} {figures[name]}")


def summary_figures(slug, summary):
    """A Summary as JSON-ready values; money rounded here, once, as text."""
    from commerce.money import quantize

    figures = {
        "store": slug,
        "currency": summary.currency,
        "from": summary.period.start.isoformat(),
        "to": summary.period.end.isoformat(),
    }
    for name in MONEY:
        value = getattr(summary, name)
        figures[name] = (
            None if value is None else str(quantize(value, summary.currency))
        )
    for name in COUNTS:
        figures[name] = getattr(summary, name)
    return figures


def _day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD)"
        ) from None
