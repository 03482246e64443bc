"""Generating a draft for one product: hold credits, write, settle, save.

The order matters. Credits are held before any provider is called, so a
request the store cannot afford is refused up front; the hold is released
if every writer fails, so a failed call costs nothing; the debit is keyed by
the generation's ``ref``, so a retried generation is charged once. The
result is only a draft: nothing reaches the catalogue until it is approved.
"""

import logging
import time
import uuid

from psycopg.types.json import Jsonb

from commerce.catalogue import get_product
from tenancy import record_usage
from tenancy.credits import release_hold, reserve_credits, settle_hold

from .chain import write_with_fallback
from .pricing import charge_for, estimate_credits
from .request import MAX_BRAND_VOICE, Options, build_request
from .review import get_draft
from .settings import load_ai_settings
from .writers import build_writers

log = logging.getLogger(__name__)

BRAND_VOICE_SETTING = "ai_brand_voice"


def generate_for_product(
    tenant,
    product_id,
    options=None,
    *,
    writer=None,
    settings=None,
    sleep=time.sleep,
    actor="owner",
):
    """Write a draft for one product and return it, pending review.

    ``writer`` names the only writer to use (no fallback); by default the
    configured providers are tried in order and the offline writer last.
    Raises InsufficientCredits before any call when the store cannot afford
    the dearest writer in the order.
    """
    settings = settings or load_ai_settings()
    writers = build_writers(tenant.platform, tenant.id, settings, only=writer)
    draft_id = generate_draft(
        tenant, writers, product_id, options or Options(), settings=settings,
        ref=f"draft:{uuid.uuid4().hex}", sleep=sleep, actor=actor,
    )  # fmt: skip
    return get_draft(tenant, draft_id)


def generate_draft(
    tenant,
    writers,
    product_id,
    options,
    *,
    settings,
    ref,
    job_id=None,
    sleep=time.sleep,
    actor="owner",
):
    """Generate and save one draft; return its id. ``ref`` keys the debit."""
    platform = tenant.platform
    product = get_product(tenant, product_id)
    request = build_request(
        product, options, brand_voice=get_brand_voice(tenant),
        currency=tenant.store.currency,
    )  # fmt: skip

    most = max(
        estimate_credits(w, request, settings.max_output_tokens) for w in writers
    )
    hold = reserve_credits(platform, tenant.id, most) if most else None
    try:
        outcome = write_with_fallback(
            writers, request, retry_cap=settings.retry_cap, sleep=sleep,
            store_id=tenant.id,
        )  # fmt: skip
    except BaseException:
        if hold is not None:
            release_hold(platform, hold)
        raise

    # NOTE: if settling fails, the hold stays open until it expires
    # (tenancy.credits.HOLD_TTL) and the credits come back; nothing is debited.
    credits = _settle(platform, hold, outcome, request, ref, actor)
    draft_id = _save_draft(tenant, product, request.options, outcome, credits, ref,
                           job_id)  # fmt: skip
    _record_usage(tenant, outcome, credits)
    log.info(
        "store=%s product=%s draft=%s writer=%s credits=%s",
        tenant.id, product.id, draft_id, outcome.writer.name, credits,
    )  # fmt: skip
    return draft_id


def get_brand_voice(tenant):
    """The store's brand-voice note, sent with every request; '' when unset."""
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT value FROM store_settings WHERE key = %s", (BRAND_VOICE_SETTING,)
        ).fetchone()
    return row[0] if row and isinstance(row[0], str) else ""


def set_brand_voice(tenant, text):
    """Save the brand-voice note (whitespace collapsed, at most 1000 chars)."""
    text = " ".join((text or "").split())[:MAX_BRAND_VOICE]
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO store_settings (key, value) VALUES (%s, %s)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                   updated_at = now()""",
            (BRAND_VOICE_SETTING, Jsonb(text)),
        )
    return text


def _settle(platform, hold, outcome, request, ref, actor):
    """Debit the winning writer's price, or give the hold back; return credits."""
    if hold is None:
        return 0
    if not outcome.writer.paid:
        release_hold(platform, hold)
        return 0

    # NOTE: never more than was held; a provider counting more tokens than
    # the prompt has bytes would otherwise charge past the hold.
    price = min(charge_for(outcome.writer, outcome.reply, request), hold.credits)
    charge = settle_hold(
        platform, hold, price, ref=ref, provider=outcome.writer.name,
        model=outcome.reply.model, tokens_in=outcome.reply.tokens_in,
        tokens_out=outcome.reply.tokens_out, actor=actor,
    )  # fmt: skip
    return charge.credits


def _save_draft(tenant, product, options, outcome, credits, ref, job_id):
    writer, reply, texts = outcome.writer, outcome.reply, outcome.texts
    old_alt = product.images[0].alt_text if product.images else None

    with tenant.transaction() as conn:
        row = conn.execute(
            "SELECT id FROM description_drafts WHERE charge_ref = %s", (ref,)
        ).fetchone()
        if row is None:
            conn.execute(
                """UPDATE description_drafts SET status = 'superseded'
                   WHERE product_id = %s AND status = 'pending'""",
                (product.id,),
            )
            row = conn.execute(
                """INSERT INTO description_drafts (
                       product_id, job_id, writer, writer_label, model, own_key,
                       tokens_in, tokens_out, credits, charge_ref, options,
                       fallback_reasons, description_html, seo_title,
                       meta_description, alt_text, old_description_html,
                       old_seo_title, old_meta_description, old_alt_text)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                           %s, %s, %s, %s, %s, %s)
                   RETURNING id""",
                (product.id, job_id, writer.name, writer.label, reply.model,
                 writer.own_key, reply.tokens_in or 0, reply.tokens_out or 0,
                 credits, ref, Jsonb(options.to_json()),
                 [str(f) for f in outcome.failures], texts.description_html,
                 texts.seo_title, texts.meta_description, texts.alt_text,
                 product.description_html, product.seo_title,
                 product.seo_description, old_alt),
            ).fetchone()  # fmt: skip
        if job_id is not None:
            conn.execute(
                """UPDATE description_job_items
                   SET status = 'done', draft_id = %s, error = NULL
                   WHERE job_id = %s AND product_id = %s""",
                (row[0], job_id, product.id),
            )
    return row[0]


def _record_usage(tenant, outcome, credits):
    store = tenant.store
    with tenant.platform.registry() as conn:
        record_usage(
            conn, "ai_description", store.id, store.account_id, 1,
            writer=outcome.writer.name, model=outcome.reply.model,
            own_key=outcome.writer.own_key, credits=credits,
            tokens_in=outcome.reply.tokens_in, tokens_out=outcome.reply.tokens_out,
        )  # fmt: skip
