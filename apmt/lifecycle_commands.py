"""``apmt retention run``, ``apmt worker``, ``apmt mail configure``, ``apmt policy``."""

import json
import sys
from datetime import datetime
from pathlib import Path

from apmt.cli import UserError
from apmt.platform_commands import open_platform


def register(commands):
    retention = commands.add_parser("retention", help="destroy data past its date")
    actions = retention.add_subparsers(dest="action", required=True, metavar="ACTION")
    run = actions.add_parser("run", help="one retention pass (safe from cron)")
    run.add_argument("--now", help="ISO-8601 time to act as if it were (tests)")
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=run_retention)

    worker = commands.add_parser(
        "worker", help="send queued mail and poll billing, in a loop"
    )
    worker.add_argument("--once", action="store_true", help="one pass, then exit")
    worker.add_argument("--interval", type=float, default=10)
    worker.set_defaults(handler=run_worker)

    mail = commands.add_parser("mail", help="outgoing mail settings")
    actions = mail.add_subparsers(dest="action", required=True, metavar="ACTION")
    configure = actions.add_parser(
        "configure", help="SMTP settings as one JSON object on standard input"
    )
    configure.set_defaults(handler=run_mail_configure)

    policy = commands.add_parser("policy", help="the platform privacy policy")
    actions = policy.add_subparsers(dest="action", required=True, metavar="ACTION")
    publish = actions.add_parser(
        "publish", help="record the policy's version and notify account holders"
    )
    publish.add_argument("--file", type=Path, help="policy text (default: ours)")
    publish.set_defaults(handler=run_policy_publish)


def run_retention(args):
    from tenancy.retention import run_retention as retention_pass

    now = _parse_now(args.now)
    report = retention_pass(open_platform(), now=now)
    if args.json:
        print(json.dumps(report.__dict__, default=str))
        return
    if not report.ran:
        print("another retention run is in progress; nothing done")
        return
    print(f"pre-deletion notices queued: {len(report.notices)}")
    print(f"stores destroyed: {len(report.deleted)} {report.deleted or ''}".rstrip())
    for store_id, error in report.failed.items():
        print(f"  store {store_id} failed: {error}")
    if report.failed:
        raise UserError(f"{len(report.failed)} store(s) could not be destroyed")


def _parse_now(raw):
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UserError(f"--now {raw!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None:
        raise UserError("--now needs a time zone, e.g. 2026-12-04T10:00:00+00:00")
    return moment


def run_worker(args):
    from tenancy.worker import poll_billing, run_forever, run_once

    platform = open_platform()
    if args.once:
        poll_billing(platform)
        results = run_once(platform)
        sent = sum(s for s, _ in results.values())
        failed = sum(f for _, f in results.values())
        print(f"sent {sent}, failed {failed}")
        return
    print("sending queued mail; Ctrl-C to stop", file=sys.stderr)
    run_forever(platform, interval=args.interval)


def run_mail_configure(args):
    from tenancy.mailer import configure_smtp

    try:
        settings = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        raise UserError(f"standard input is not JSON: {exc}") from None
    if not isinstance(settings, dict):
        raise UserError("give one JSON object on standard input")
    parsed = configure_smtp(open_platform(), settings)
    who = f" as {parsed.username}" if parsed.username else ""
    print(
        f"mail goes through {parsed.host}:{parsed.port}{who} (password stored sealed)"
    )


def run_policy_publish(args):
    from tenancy.policy import publish_policy

    path = args.file or _our_policy()
    if not path.is_file():
        raise UserError(f"no policy file at {path}")
    platform = open_platform()
    scheme, domain = platform.config.public_scheme, platform.config.base_domain
    version, queued = publish_policy(
        platform, path.read_text(), policy_url=f"{scheme}://{domain}/privacy"
    )
    print(f"policy version {version}: {queued} notice(s) queued")


def _our_policy():
    import storefront_svc

    return Path(storefront_svc.__file__).parent / "content" / "privacy-policy.md"
