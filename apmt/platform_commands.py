"""``apmt init``, ``migrate``, ``rotate-keys``, ``server`` and ``db``."""

import json
import sys

from apmt.cli import UserError


def register(commands):
    init = commands.add_parser("init", help="create the master key and the registry")
    init.set_defaults(handler=run_init)

    migrate = commands.add_parser(
        "migrate", help="upgrade the registry, the templates and every store"
    )
    migrate.add_argument("--jobs", type=int, help="stores migrated at once")
    migrate.add_argument("--json", action="store_true", help="print a JSON report")
    migrate.set_defaults(handler=run_migrate)

    rotate = commands.add_parser(
        "rotate-keys", help="add a master key and re-encrypt every secret under it"
    )
    rotate.add_argument(
        "--no-new-key",
        action="store_true",
        help="only re-encrypt under the newest key already loaded",
    )
    rotate.set_defaults(handler=run_rotate_keys)

    server = commands.add_parser("server", help="database servers that hold stores")
    actions = server.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="register a server; its DSN is read on stdin")
    add.add_argument("name")
    add.add_argument("--max-stores", type=int)
    add.set_defaults(handler=run_server_add)
    listing = actions.add_parser("list", help="servers and how many stores each holds")
    listing.set_defaults(handler=run_server_list)

    embedded = commands.add_parser("db", help="the embedded PostgreSQL server")
    actions = embedded.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler in (("start", run_db_start), ("stop", run_db_stop),
                          ("status", run_db_status)):  # fmt: skip
        actions.add_parser(name).set_defaults(handler=handler)


def open_platform():
    from tenancy import Platform

    return Platform.open()


def run_init(args):
    from tenancy.secrets import create_key_file

    platform = open_platform()
    config = platform.config
    if config.master_keys:
        print("master keys: from APMT_MASTER_KEYS")
    elif config.key_file.exists():
        print(f"master keys: {config.key_file} (kept)")
    else:
        kid = create_key_file(config.key_file)
        print(f"master keys: created {config.key_file} with key {kid} (mode 0600)")

    before, after = platform.ensure_registry()
    platform.check_keys()
    print(f"registry: database {config.registry_db} at revision {after}")

    from tenancy import schema
    from tenancy.template import upgrade_template

    scripts = schema.store_scripts(config.store_migration_paths)
    _, head = upgrade_template(platform, platform.primary_dsn, scripts)
    print(f"template: database {config.template_db} at revision {head}")


def run_migrate(args):
    from tenancy.migrate import migrate_everything

    platform = open_platform()
    with _progress("migrating stores", enabled=not args.json) as advance:
        report = migrate_everything(platform, jobs=args.jobs, progress=advance)

    if args.json:
        print(json.dumps(_report_json(report), indent=2))
    else:
        upgraded = sum(1 for o in report.stores if o.ok and o.before != o.after)
        print(f"registry: {report.registry[0]} -> {report.registry[1]}")
        print(
            f"stores: {len(report.stores)} checked, {upgraded} upgraded, "
            f"{len(report.failed)} failed"
        )
        for outcome in report.failed:
            print(f"  {outcome.slug} (id {outcome.store_id}): {outcome.error}")
    if not report.ok:
        raise UserError(f"{len(report.failed)} store(s) failed to migrate; rerun later")


def _report_json(report):
    return {
        "registry": {"before": report.registry[0], "after": report.registry[1]},
        "stores": [
            {
                "id": o.store_id,
                "slug": o.slug,
                "before": o.before,
                "after": o.after,
                "ok": o.ok,
                "error": o.error,
                "seconds": round(o.seconds, 3),
            }
            for o in report.stores
        ],
        "failed": len(report.failed),
    }


def run_rotate_keys(args):
    from tenancy.rotation import count_stale, rotate_secrets
    from tenancy.secrets import append_key

    platform = open_platform()
    config = platform.config
    if not args.no_new_key:
        if config.master_keys:
            raise UserError(
                "keys come from APMT_MASTER_KEYS: append a new kid:key there, restart,"
                " then run 'apmt rotate-keys --no-new-key'"
            )
        kid = append_key(config.key_file)
        print(f"added master key {kid} to {config.key_file}")
        platform = open_platform()

    moved = rotate_secrets(platform)
    print(f"re-encrypted {moved} secret(s) under key {platform.keyring.current}")
    print(f"{count_stale(platform)} secret(s) left on older keys")


def run_server_add(args):
    from tenancy import servers

    dsn = sys.stdin.readline().strip()
    if not dsn:
        raise UserError("give the server's superuser DSN on standard input")

    platform = open_platform()
    with platform.admin_connection(server_dsn=dsn):
        pass  # reachable and superuser enough to log in
    with platform.registry() as conn:
        server_id = servers.add_server(
            conn, platform.keyring, args.name, dsn, args.max_stores
        )
    print(f"server {args.name} registered with id {server_id}")


def run_server_list(args):
    from tenancy import servers

    platform = open_platform()
    with platform.registry() as conn:
        rows = servers.list_servers(conn)
    for server_id, name, primary, max_stores, stores in rows:
        limit = max_stores if max_stores is not None else "no limit"
        mark = " (primary)" if primary else ""
        print(f"{server_id}\t{name}{mark}\tstores={stores}\tmax={limit}")


def run_db_start(args):
    from tenancy import load_config
    from tenancy.embedded import ensure_embedded_server

    config = load_config()
    if config.database_url:
        raise UserError("DATABASE_URL is set; the embedded server is not used")
    print(ensure_embedded_server(config.data_dir))


def run_db_stop(args):
    from tenancy import load_config
    from tenancy.embedded import stop_embedded_server

    stopped = stop_embedded_server(load_config().data_dir)
    print("stopped" if stopped else "not running")


def run_db_status(args):
    from tenancy import load_config
    from tenancy.embedded import embedded_status

    print(embedded_status(load_config().data_dir))


class _progress:
    """A rich progress bar on a terminal; nothing otherwise."""

    def __init__(self, label, enabled=True):
        self.label = label
        self.enabled = enabled and sys.stderr.isatty()
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda done, total, outcome=None: None

        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        task = self._bar.add_task(self.label, total=None)

        def advance(done, total, outcome=None):
            self._bar.update(task, completed=done, total=total)

        return advance

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
