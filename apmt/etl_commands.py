"""``apmt etl run [--out DIR] [--jobs N] [--full]``: build the staff warehouse."""

import sys
from pathlib import Path

from apmt.platform_commands import open_platform


def register(commands):
    etl = commands.add_parser("etl", help="the staff warehouse")
    actions = etl.add_subparsers(dest="action", required=True, metavar="ACTION")

    run = actions.add_parser(
        "run", help="copy the registry and every store into the warehouse"
    )
    run.add_argument(
        "--out",
        type=Path,
        help="folder of the warehouse (default: <data dir>/warehouse)",
    )
    run.add_argument("--jobs", type=int, default=4, help="stores read at a time")
    run.add_argument(
        "--full", action="store_true", help="start over instead of catching up"
    )
    run.set_defaults(handler=run_etl)


def run_etl(args):
    from apmt.cli import UserError
    from etl.warehouse import build_warehouse

    if args.jobs < 1:
        raise UserError("--jobs must be at least 1")

    platform = open_platform()
    result = build_warehouse(
        platform, args.out, jobs=args.jobs, full=args.full,
        progress=sys.stderr.isatty(),
    )  # fmt: skip

    print(
        f"{result.path}: {result.stores} stores, {result.total_rows:,} rows "
        f"in {result.seconds:.1f} s"
    )
    for store_id, error in sorted(result.failed.items()):
        print(f"  store {store_id} failed: {error}", file=sys.stderr)
    return 1 if result.failed else 0
