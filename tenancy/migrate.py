"""``apmt migrate``: the registry, every template and every store database.

Stores are upgraded several at a time, in worker processes: Alembic's ``op``
and ``context`` are module globals, so two upgrades in threads of one process
would run each other's steps. Each store's upgrade is one transaction
under the store's own role, so a store that fails stays on its old revision;
the others go on, and a second run picks up whatever is still behind.
"""

import logging
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from tenancy import db, registry, schema
from tenancy.errors import MigrationFailed, TenancyError
from tenancy.template import upgrade_template

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreOutcome:
    store_id: int
    slug: str
    before: str | None
    after: str | None
    error: str | None
    seconds: float

    @property
    def ok(self):
        return self.error is None


@dataclass(frozen=True)
class MigrationReport:
    registry: tuple
    templates: dict
    stores: list

    @property
    def failed(self):
        return [outcome for outcome in self.stores if not outcome.ok]

    @property
    def ok(self):
        return not self.failed


def migrate_everything(platform, *, jobs=None, progress=None):
    """Upgrade the registry, the templates and every live store database.

    ``progress(done, total, outcome)`` is called after each store.
    """
    registry_revs = platform.ensure_registry()
    scripts = schema.store_scripts(platform.config.store_migration_paths)

    with platform.registry() as conn:
        stores = [s for s in registry.list_stores(conn) if s.status != "provisioning"]
        server_ids = sorted({s.server_id for s in stores} | _server_ids(conn))
    server_dsns = {sid: platform.server_dsn_for(sid) for sid in server_ids}

    templates = {}
    for server_id, dsn in server_dsns.items():
        templates[server_id] = upgrade_template(platform, dsn, scripts)

    head = schema.head_revision(scripts)
    current = _revisions(server_dsns, stores)
    behind = [s for s in stores if current.get(s.id) != head]
    outcomes = [
        StoreOutcome(s.id, s.slug, head, head, None, 0.0)
        for s in stores
        if current.get(s.id) == head
    ]
    if progress is not None and outcomes:
        progress(len(outcomes), len(stores), None)

    if behind:
        jobs = min(jobs or platform.config.migrate_jobs, len(behind))
        extra = platform.config.store_migration_paths
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [
                pool.submit(_upgrade_store, server_dsns[s.server_id], s, extra)
                for s in behind
            ]
            for future in as_completed(futures):
                outcomes.append(future.result())
                if progress is not None:
                    progress(len(outcomes), len(stores), outcomes[-1])

    outcomes.sort(key=lambda o: o.store_id)
    return MigrationReport(registry_revs, templates, outcomes)


def _revisions(server_dsns, stores):
    """Each store's current revision, read over plain connections in threads.

    Only stores that are behind go to the worker processes, so a run with
    nothing to do costs one short query per store.
    """

    def read(store):
        dsn = db.with_database(server_dsns[store.server_id], store.db_name)
        try:
            with db.connect(dsn, autocommit=True) as conn:
                return store.id, schema.current_revision(conn)
        except Exception:  # NOTE: an unreachable store is retried by a worker
            return store.id, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(read, stores))


def _server_ids(conn):
    return {row[0] for row in conn.execute("SELECT id FROM db_servers").fetchall()}


_scripts_cache = {}


def _upgrade_store(server_dsn, store, extra_paths):
    """Upgrade one store; runs in a worker process."""
    started = time.perf_counter()
    scripts = _scripts_cache.get(extra_paths)
    if scripts is None:
        scripts = _scripts_cache[extra_paths] = schema.store_scripts(extra_paths)
    dsn = db.with_database(server_dsn, store.db_name)
    try:
        before, after = schema.upgrade(dsn, scripts, role=store.role_name)
        error = None
    except Exception as exc:  # NOTE: one store's failure must not stop the rest
        before = after = None
        error = _describe(exc)
    seconds = time.perf_counter() - started

    if error:
        log.warning("store=%s migration failed: %s", store.id, error)
    elif before != after:
        log.info(
            "store=%s migrated %s -> %s in %.2fs", store.id, before, after, seconds
        )
    return StoreOutcome(store.id, store.slug, before, after, error, seconds)


def _describe(exc):
    if isinstance(exc, MigrationFailed):
        return exc.cause
    if isinstance(exc, TenancyError):
        return str(exc)
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
