"""Bulk jobs: drafts for many products, in the background, resumable.

A job is a row with its options and one item per product. ``run_bulk_job``
works through the items that are not done yet, so running it again after a
failure picks up where it stopped; each item's debit is keyed by job and
product, so an item generated twice is still charged once. Cancellation is
checked between items. One runner at a time: a run claims the job and keeps
a heartbeat; another run may take over only once the heartbeat is older
than ``LEASE``.

A job stops with status ``failed`` when the store runs out of credits (the
items left stay pending until it is run again) or on an unexpected error; a
product that cannot be written is marked failed and the job goes on.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

from commerce.errors import InvalidInput, NotFound
from tenancy.credits import InsufficientCredits

from .errors import DescriptionError
from .generation import generate_draft
from .request import Options
from .settings import load_ai_settings
from .writers import WRITER_NAMES, build_writers

log = logging.getLogger(__name__)

# TODO(#7): the worker should resume running jobs whose heartbeat is older
# than LEASE (their process died); until it does, such a job waits for the
# owner or a script to run it again.
LEASE = timedelta(minutes=10)
MAX_PRODUCTS = 5000


@dataclass(frozen=True)
class JobProgress:
    id: int
    status: str
    """running, cancelled, done or failed."""

    total: int
    done: int
    failed: int
    pending: int
    credits: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self):
        return self.status != "running"


def start_bulk(
    tenant,
    product_ids,
    options=None,
    *,
    writer=None,
    settings=None,
    background=True,
    actor="owner",
):
    """Create a job for ``product_ids`` and return its id.

    With ``background`` (the default) a thread starts working on it at once;
    otherwise call ``run_bulk_job``.
    """
    options = (options or Options()).validated()
    if writer is not None and writer not in WRITER_NAMES:
        raise InvalidInput("writer", f"expected one of {', '.join(WRITER_NAMES)}")
    ids = list(dict.fromkeys(int(i) for i in product_ids))
    if not ids or len(ids) > MAX_PRODUCTS:
        raise InvalidInput("products", f"choose between 1 and {MAX_PRODUCTS}")

    with tenant.transaction() as conn:
        found = {r[0] for r in conn.execute(
            "SELECT id FROM products WHERE id = ANY(%s)", (ids,)
        )}  # fmt: skip
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("product", missing[0])

        job_id = conn.execute(
            """INSERT INTO description_jobs (options, created_by)
               VALUES (%s, %s) RETURNING id""",
            (Jsonb({**options.to_json(), "writer": writer}), actor),
        ).fetchone()[0]
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO description_job_items (job_id, product_id, position)
                   VALUES (%s, %s, %s)""",
                [(job_id, pid, n) for n, pid in enumerate(ids, start=1)],
            )

    log.info("store=%s job=%s created for %s products", tenant.id, job_id, len(ids))
    if background:
        threading.Thread(
            target=_run_in_background,
            args=(tenant, job_id, settings),
            name=f"describe-s{tenant.id}-j{job_id}",
            daemon=True,
        ).start()
    return job_id


def run_bulk_job(tenant, job_id, *, settings=None, sleep=time.sleep):
    """Work through the job's unfinished items; return its progress after.

    Safe to call again after a failure or a crash. Returns at once, doing
    nothing, when the job is done or cancelled or another runner holds it.
    """
    settings = settings or load_ai_settings()
    runner = uuid.uuid4().hex
    options = _claim(tenant, job_id, runner)
    if options is None:
        return get_job_progress(tenant, job_id)

    try:
        writers = build_writers(
            tenant.platform, tenant.id, settings, only=options.pop("writer", None)
        )
        options = Options.from_json(options)
        for product_id in _unfinished_items(tenant, job_id):
            if not _still_ours(tenant, job_id, runner):
                log.info("store=%s job=%s stopped: cancelled", tenant.id, job_id)
                break
            _process_item(tenant, job_id, product_id, writers, options, settings,
                          sleep)  # fmt: skip
        else:
            _finish(tenant, job_id, runner, "done")
    except InsufficientCredits as exc:
        _finish(tenant, job_id, runner, "failed", str(exc))
    except Exception as exc:
        _finish(tenant, job_id, runner, "failed", _describe(exc))
        raise
    return get_job_progress(tenant, job_id)


def cancel_job(tenant, job_id):
    """Stop a running or failed job after its current item; return progress."""
    with tenant.transaction() as conn:
        exists = conn.execute(
            "SELECT 1 FROM description_jobs WHERE id = %s", (job_id,)
        ).fetchone()
        if exists is None:
            raise NotFound("description job", job_id)

        conn.execute(
            """UPDATE description_jobs SET status = 'cancelled', finished_at = now()
               WHERE id = %s AND status IN ('running', 'failed')""",
            (job_id,),
        )
    return get_job_progress(tenant, job_id)


def get_job_progress(tenant, job_id):
    """The job's status and counters."""
    with tenant.connection() as conn:
        row = conn.execute(
            """SELECT j.id, j.status,
                      count(i.product_id),
                      count(i.product_id) FILTER (WHERE i.status = 'done'),
                      count(i.product_id) FILTER (WHERE i.status = 'failed'),
                      count(i.product_id) FILTER (WHERE i.status = 'pending'),
                      (SELECT coalesce(sum(d.credits), 0)::int
                       FROM description_drafts d WHERE d.job_id = j.id),
                      j.error, j.created_at, j.finished_at
               FROM description_jobs j
               LEFT JOIN description_job_items i ON i.job_id = j.id
               WHERE j.id = %s GROUP BY j.id""",
            (job_id,),
        ).fetchone()

    if row is None:
        raise NotFound("description job", job_id)
    return JobProgress(*row)


def list_jobs(tenant, *, limit=20):
    """The store's most recent jobs, newest first."""
    with tenant.connection() as conn:
        ids = conn.execute(
            "SELECT id FROM description_jobs ORDER BY id DESC LIMIT %s", (limit,)
        ).fetchall()
    return [get_job_progress(tenant, job_id) for (job_id,) in ids]


def list_product_ids(tenant):
    """Every product that is not archived, for a job over the whole catalogue."""
    with tenant.connection() as conn:
        rows = conn.execute(
            "SELECT id FROM products WHERE status <> 'archived' ORDER BY id"
        ).fetchall()
    return [r[0] for r in rows]


def _process_item(tenant, job_id, product_id, writers, options, settings, sleep):
    try:
        generate_draft(
            tenant, writers, product_id, options, settings=settings,
            ref=f"job:{job_id}:product:{product_id}", job_id=job_id, sleep=sleep,
            actor=f"job:{job_id}",
        )  # fmt: skip
    except (DescriptionError, NotFound, InvalidInput) as exc:
        log.warning("store=%s job=%s product=%s failed: %s",
                    tenant.id, job_id, product_id, exc)  # fmt: skip

        with tenant.transaction() as conn:
            conn.execute(
                """UPDATE description_job_items SET status = 'failed', error = %s
                   WHERE job_id = %s AND product_id = %s""",
                (str(exc)[:500], job_id, product_id),
            )


def _claim(tenant, job_id, runner):
    """Take the job for this run; its options, or None when not ours to run."""
    with tenant.transaction() as conn:
        row = conn.execute(
            """UPDATE description_jobs
               SET status = 'running', runner = %s, heartbeat_at = now(),
                   error = NULL, finished_at = NULL
               WHERE id = %s AND (status = 'failed' OR (status = 'running' AND
                     (runner IS NULL OR heartbeat_at < now() - %s)))
               RETURNING options""",
            (runner, job_id, LEASE),
        ).fetchone()
        if row is not None:
            return dict(row[0])

        exists = conn.execute(
            "SELECT 1 FROM description_jobs WHERE id = %s", (job_id,)
        ).fetchone()
    if exists is None:
        raise NotFound("description job", job_id)
    return None


def _unfinished_items(tenant, job_id):
    # Failed items are tried again too: a resumed job is the way to retry them.
    with tenant.connection() as conn:
        rows = conn.execute(
            """SELECT product_id FROM description_job_items
               WHERE job_id = %s AND status IN ('pending', 'failed')
               ORDER BY position""",
            (job_id,),
        ).fetchall()
    return [r[0] for r in rows]


def _still_ours(tenant, job_id, runner):
    """Beat the heartbeat; False when the job was cancelled or taken over."""
    with tenant.transaction() as conn:
        row = conn.execute(
            """UPDATE description_jobs SET heartbeat_at = now()
               WHERE id = %s AND runner = %s AND status = 'running'
               RETURNING id""",
            (job_id, runner),
        ).fetchone()
    return row is not None


def _finish(tenant, job_id, runner, status, error=None):
    with tenant.transaction() as conn:
        conn.execute(
            """UPDATE description_jobs
               SET status = %s, error = %s, finished_at = now()
               WHERE id = %s AND runner = %s AND status = 'running'""",
            (status, error, job_id, runner),
        )
    log.info("store=%s job=%s %s", tenant.id, job_id, status)


def _run_in_background(tenant, job_id, settings):
    try:
        run_bulk_job(tenant, job_id, settings=settings)
    except Exception:
        log.exception("store=%s job=%s failed in the background", tenant.id, job_id)


def _describe(exc):
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:500]
