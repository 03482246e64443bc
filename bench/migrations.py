"""``apmt migrate`` applying a trivial migration to 200 stores.

The goal: 200 stores in under 30 s on two cores. Set-up creates the stores in
process. Each timed apply writes one more trivial store migration (a table and
an index) on top of the current head, into the folder APMT_STORE_MIGRATION_PATHS
names, and times ``apmt migrate --jobs N`` applying it; a no-op run times the
same command when every store is at head already. The baselines, measured in
the same rounds, do the same work over plain psycopg connections, one store
after another in this process: the DDL, and reading the revision.
"""

import json
import statistics
from pathlib import Path

import psycopg
from psycopg import sql

from bench.report import figure
from bench.timing import alternate, ratio, run_command, summarise, time_call
from tenancy import StoreRequest, db, provision_store, registry, schema

STORES = 200
QUICK_STORES = 20
GOAL_SECONDS = 30
JOBS = (2, 4)

# Each round applies two migrations and runs migrate four times; three rounds
# give a median and keep the whole run within a few minutes.
MAX_ROUNDS = 3

_MIGRATION = '''"""A trivial store migration written by the benchmark.

Revision ID: {revision}
Revises: {down}
"""

from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE {table} (id bigint PRIMARY KEY, label text NOT NULL)")
    op.execute("CREATE INDEX {table}_label ON {table} (label)")


def downgrade():
    op.execute("DROP TABLE {table}")
'''


class MigrationChain:
    """Trivial migrations written one at a time, each on top of the last."""

    def __init__(self, folder):
        self.folder = folder
        self.base = self.head = _code_head()
        self.written = 0
        folder.mkdir(parents=True)

    def add(self):
        """Write the next migration and return its revision id."""
        # A store migration added to the tree mid-run would make a second head
        # and fail the run with alembic's message; say what happened instead.
        if _code_head() != self.base:
            raise RuntimeError(
                "the store migrations in tenancy/ changed during the run; run again"
            )

        self.written += 1
        revision = f"bench{self.written:03d}"
        text = _MIGRATION.format(
            revision=revision, down=self.head, table=f"{revision}_items"
        )
        (self.folder / f"{revision}_items.py").write_text(text)
        self.head = revision
        return revision


def run(ctx):
    sandbox = ctx.sandbox("migr")
    quick = ctx.options.quick
    stores = QUICK_STORES if quick else STORES
    rounds = 2 if quick else min(ctx.options.repeat, MAX_ROUNDS)

    folder = Path(sandbox.env["APMT_DATA_DIR"]) / "bench-migrations"
    chain = MigrationChain(folder)
    set_up_s = time_call(_create_stores, sandbox.platform, stores)
    targets = _store_databases(sandbox.platform)
    env = {**sandbox.env, "APMT_STORE_MIGRATION_PATHS": str(folder)}

    measures = {}
    for jobs in JOBS:
        measures[f"apply_jobs{jobs}"] = _applying(sandbox, env, chain, jobs, stores)
        measures[f"noop_jobs{jobs}"] = _idling(sandbox, env, chain, jobs, stores)
    measures["raw_ddl"] = lambda index: time_call(
        _apply_raw, ctx.dsn, targets, f"raw{index}_items"
    )
    measures["raw_check"] = lambda index: time_call(_check_raw, ctx.dsn, targets)
    samples = alternate(rounds, measures, warmup=0)

    return {
        "figures": _figures(samples, stores, set_up_s, goal=not quick),
        "stores": stores,
        "rounds": rounds,
        "set_up_s": round(set_up_s, 3),
        "runs": {name: summarise(s) for name, s in samples.items()},
    }


def _applying(sandbox, env, chain, jobs, stores):
    def measure(index):
        revision = chain.add()
        done = _migrate(sandbox, env, jobs)
        _check_report(done.stdout, stores, revision, upgraded=True)
        return done.seconds

    return measure


def _idling(sandbox, env, chain, jobs, stores):
    def measure(index):
        done = _migrate(sandbox, env, jobs)
        _check_report(done.stdout, stores, chain.head, upgraded=False)
        return done.seconds

    return measure


def _migrate(sandbox, env, jobs):
    argv = sandbox.apmt("migrate", "--jobs", str(jobs), "--json")
    return run_command(argv, env, timeout=600)


def _check_report(stdout, stores, revision, *, upgraded):
    """Refuse a timing whose run did not do exactly the work it should have."""
    report = json.loads(stdout)
    outcomes = report["stores"]
    wrong = [
        o
        for o in outcomes
        if not o["ok"]
        or o["after"] != revision
        or (o["before"] != o["after"]) != upgraded
    ]
    if len(outcomes) != stores or wrong:
        raise RuntimeError(
            f"apmt migrate checked {len(outcomes)} of {stores} stores; "
            f"{len(wrong)} not as expected, e.g. {wrong[:1]}"
        )


def _code_head():
    return schema.store_scripts().get_current_head()


def _create_stores(platform, stores):
    for index in range(stores):
        request = StoreRequest(
            slug=f"m{index}",
            display_name=f"Bench {index}",
            owner_email=f"m{index}@bench.test",
        )
        provision_store(platform, request)


def _store_databases(platform):
    with platform.registry() as conn:
        stores = registry.list_stores(conn)
    return [(store.db_name, store.role_name) for store in stores]


def _apply_raw(dsn, targets, table):
    """The migration's DDL, store by store, as each store's role, by hand."""
    create = sql.SQL("CREATE TABLE {} (id bigint PRIMARY KEY, label text NOT NULL)")
    index = sql.SQL("CREATE INDEX {} ON {} (label)")
    for db_name, role in targets:
        with psycopg.connect(db.with_database(dsn, db_name)) as conn:
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            conn.execute(create.format(sql.Identifier(table)))
            conn.execute(
                index.format(sql.Identifier(f"{table}_label"), sql.Identifier(table))
            )


def _check_raw(dsn, targets):
    """What a migrate run with nothing to do must at least do: read each revision."""
    for db_name, _ in targets:
        with psycopg.connect(db.with_database(dsn, db_name)) as conn:
            conn.execute("SELECT version_num FROM alembic_version").fetchone()


def _figures(samples, stores, set_up_s, *, goal):
    def median(name):
        return round(statistics.median(samples[name]), 2)

    figures = [figure(f"set-up: provision_store x {stores}", round(set_up_s, 1), "s")]
    for jobs in JOBS:
        applied = median(f"apply_jobs{jobs}")
        figures += [
            figure(
                f"apmt migrate --jobs {jobs}, {stores} stores",
                applied,
                "s",
                goal=f"< {GOAL_SECONDS} s" if goal else None,
                met=applied < GOAL_SECONDS,
            ),
            figure("  stores per second", round(stores / applied, 1)),
            figure(
                "  ratio to raw DDL",
                round(ratio(samples[f"apply_jobs{jobs}"], samples["raw_ddl"]), 2),
                "x",
            ),
        ]
    for jobs in JOBS:
        figures += [
            figure(
                f"no-op apmt migrate --jobs {jobs}", median(f"noop_jobs{jobs}"), "s"
            ),
            figure(
                "  ratio to raw revision check",
                round(ratio(samples[f"noop_jobs{jobs}"], samples["raw_check"]), 2),
                "x",
            ),
        ]
    figures += [
        figure("raw DDL, store by store", median("raw_ddl"), "s"),
        figure("raw revision check, store by store", median("raw_check"), "s"),
    ]
    return figures
