"""The review queue and history: drafts side by side with the text they replace.

Every generation is saved as a draft holding the four new texts and the
product's texts at the time. A draft is ``pending`` until the owner
approves it (the texts are published through ``commerce.catalogue``) or
rejects it (nothing changes); a newer draft for the same product marks an
older pending one ``superseded``. Drafts are the generation history too.
"""

from dataclasses import dataclass
from datetime import datetime

from psycopg.rows import dict_row

from commerce.catalogue import update_product
from commerce.errors import InvalidInput, NotFound

from .errors import DraftAlreadyDecided
from .output import LIMITS, Texts

TEXT_FIELDS = tuple(LIMITS)
# Where each approved text goes on the product.
_PRODUCT_COLUMNS = {
    "description_html": "description_html",
    "seo_title": "seo_title",
    "meta_description": "seo_description",
}


@dataclass(frozen=True)
class Draft:
    id: int
    product_id: int
    product_title: str
    status: str
    writer: str
    writer_label: str
    """Says plainly which writer produced the texts, offline writer included."""

    model: str
    own_key: bool
    tokens_in: int
    tokens_out: int
    credits: int
    job_id: int | None
    fallback_reasons: tuple
    """Why the writers before this one were skipped, if any were."""

    created_at: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    published: tuple
    new: Texts
    old: Texts


def get_draft(tenant, draft_id):
    drafts = _select(tenant, "d.id = %s", (draft_id,), "d.id", 1)
    if not drafts:
        raise NotFound("description draft", draft_id)
    return drafts[0]


def list_review_queue(tenant, *, job_id=None, limit=50):
    """Pending drafts, oldest first; only one job's with ``job_id``."""
    where, params = "d.status = 'pending'", ()
    if job_id is not None:
        where, params = f"{where} AND d.job_id = %s", (job_id,)
    return _select(tenant, where, params, "d.created_at, d.id", limit)


def list_history(tenant, product_id, *, limit=50):
    """Every draft written for a product, newest first."""
    return _select(
        tenant, "d.product_id = %s", (product_id,), "d.created_at DESC, d.id DESC",
        limit,
    )  # fmt: skip


def approve(tenant, draft_id, *, parts=None, actor="owner"):
    """Publish a pending draft's texts (all four, or ``parts``); return the draft.

    The alt text goes to the product's first image; a product without images
    keeps it in the draft only.
    """
    parts = tuple(parts or TEXT_FIELDS)
    unknown = set(parts) - set(TEXT_FIELDS)
    if unknown or not parts:
        raise InvalidInput("parts", f"choose among {', '.join(TEXT_FIELDS)}")

    with tenant.transaction() as conn:
        draft = _lock_pending(conn, draft_id)
        changes = {
            column: draft[name]
            for name, column in _PRODUCT_COLUMNS.items()
            if name in parts
        }
        # update_product runs in its own transaction; the draft row stays
        # locked meanwhile, so a second approval waits and then finds it
        # decided. If this commit failed, approving again is harmless.
        update_product(tenant, draft["product_id"], changes, actor=actor)
        if "alt_text" in parts:
            # NOTE: commerce.images has no alt-text setter yet; this is the one
            # statement that would move there when it gets one.
            conn.execute(
                """UPDATE product_images SET alt_text = %s
                   WHERE id = (SELECT id FROM product_images WHERE product_id = %s
                               ORDER BY position, id LIMIT 1)""",
                (draft["alt_text"], draft["product_id"]),
            )
        conn.execute(
            """UPDATE description_drafts SET status = 'approved',
                   reviewed_at = now(), reviewed_by = %s, published = %s
               WHERE id = %s""",
            (actor, list(parts), draft_id),
        )
    return get_draft(tenant, draft_id)


def reject(tenant, draft_id, *, actor="owner"):
    """Discard a pending draft; the product keeps its texts."""
    with tenant.transaction() as conn:
        _lock_pending(conn, draft_id)
        conn.execute(
            """UPDATE description_drafts SET status = 'rejected',
                   reviewed_at = now(), reviewed_by = %s
               WHERE id = %s""",
            (actor, draft_id),
        )
    return get_draft(tenant, draft_id)


def _lock_pending(conn, draft_id):
    with conn.cursor(row_factory=dict_row) as cur:
        draft = cur.execute(
            """SELECT id, product_id, status, description_html, seo_title,
                      meta_description, alt_text
               FROM description_drafts WHERE id = %s FOR UPDATE""",
            (draft_id,),
        ).fetchone()

    if draft is None:
        raise NotFound("description draft", draft_id)
    if draft["status"] != "pending":
        raise DraftAlreadyDecided(draft_id, draft["status"])
    return draft


def _select(tenant, where, params, order, limit):
    """Drafts matching ``where``; ``limit`` None for all of them."""
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            f"""SELECT d.*, p.title AS product_title
                FROM description_drafts d JOIN products p ON p.id = d.product_id
                WHERE {where} ORDER BY {order} LIMIT %s""",
            (*params, limit),
        ).fetchall()
    return [_draft(row) for row in rows]


def _draft(row):
    return Draft(
        id=row["id"],
        product_id=row["product_id"],
        product_title=row["product_title"],
        status=row["status"],
        writer=row["writer"],
        writer_label=row["writer_label"],
        model=row["model"],
        own_key=row["own_key"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        credits=row["credits"],
        job_id=row["job_id"],
        fallback_reasons=tuple(row["fallback_reasons"]),
        created_at=row["created_at"],
        reviewed_at=row["reviewed_at"],
        reviewed_by=row["reviewed_by"],
        published=tuple(row["published"] or ()),
        new=Texts(*(row[name] for name in TEXT_FIELDS)),
        old=Texts(*(row[f"old_{name}"] or "" for name in TEXT_FIELDS)),
    )
