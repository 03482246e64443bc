"""AI product descriptions: write drafts, follow bulk jobs, review, publish.

Nothing reaches the catalogue until the owner approves a draft; every
generation, approved or not, stays in the product's history.
"""

import pandas as pd
import streamlit as st

from admin_app import auth, data, state, ui
from commerce import descriptions
from commerce.descriptions.request import DEFAULT_FIELDS
from commerce.descriptions.writers import OFFLINE
from commerce.errors import InvalidInput

WRITERS = {
    "": "Best available (offline writer last)",
    "anthropic": "Anthropic only",
    "openai": "OpenAI only",
    "google": "Google only",
    OFFLINE: "Offline writer only (no AI, free)",
}
TEXT_NAMES = {
    "description_html": "Description (HTML)",
    "seo_title": "SEO title",
    "meta_description": "Meta description",
    "alt_text": "Image alt text",
}
QUEUE_SHOWN = 20


def _options():
    values = st.session_state
    return descriptions.Options(
        tone=values.describe_tone,
        length=values.describe_length,
        language=values.describe_language,
        fields=tuple(values.describe_fields),
    )


def write():
    values = st.session_state
    product_ids = list(values.describe_products)
    writer = values.describe_writer or None

    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        actor = state.viewer().actor
        ids = product_ids
        if values.describe_all:
            ids = descriptions.list_product_ids(tenant)
        if not ids:
            raise InvalidInput("products", "choose at least one")
        if len(ids) == 1 and not values.describe_all:
            draft = descriptions.generate_for_product(
                tenant, ids[0], _options(), writer=writer, actor=actor
            )
            return f"Draft written for {draft.product_title} by {draft.writer_label}."
        job_id = descriptions.start_bulk(
            tenant, ids, _options(), writer=writer, actor=actor
        )
        st.session_state[state.DESCRIBE_JOB] = job_id
        return f"Job {job_id} started for {len(ids)} products."

    ui.act(work, done=lambda message: message + " Review it below before publishing.")


def cancel(job_id):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        return descriptions.cancel_job(tenant, job_id)

    ui.act(work, done=f"Job {job_id} cancelled after its current product.")


def decide(draft_id, approved):
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        actor = state.viewer().actor
        if approved:
            descriptions.approve(tenant, draft_id, actor=actor)
        else:
            descriptions.reject(tenant, draft_id, actor=actor)

    done = "published on the product" if approved else "rejected; nothing changed"
    ui.act(work, done=f"Draft {draft_id} {done}.")


def save_voice():
    def work():
        tenant = auth.require_store(state.viewer(), owner_only=True)
        descriptions.set_brand_voice(tenant, st.session_state.describe_voice)

    ui.act(work, done="Brand voice saved.")


st.title("AI descriptions")
tenant = ui.open_store(owner_only=True)

with ui.reporting():
    balance = descriptions.get_balance(tenant)
    voice = descriptions.get_brand_voice(tenant)
    products = dict(
        data.product_choices(tenant.id, data.version(tenant), _tenant=tenant)
    )
    jobs = descriptions.list_jobs(tenant)
    queue = descriptions.list_review_queue(tenant, limit=QUEUE_SHOWN)

credits, held, monthly = st.columns(3)
credits.metric("AI credits available", balance.available)
held.metric("Credits on hold", balance.held)
monthly.metric("Included each month", balance.monthly)
st.caption("The offline writer and your own provider keys (Settings) cost no credits.")

with st.expander("Brand voice", expanded=not voice):
    with st.form("describe_voice_form"):
        st.text_area(
            "How your shop speaks (sent with every request)",
            value=voice,
            max_chars=1000,
            key="describe_voice",
        )
        st.form_submit_button("Save brand voice", on_click=save_voice)

st.subheader("Write")
if not products:
    st.info("Add products first: descriptions are written for products.")
    st.stop()
st.multiselect(
    "Products",
    list(products),
    format_func=products.get,
    key="describe_products",
    placeholder="Choose one product, or several for a bulk job",
)
st.checkbox("Every product that is not archived", key="describe_all")
tone_col, length_col, language_col = st.columns(3)
tone_col.selectbox("Tone", descriptions.TONES, key="describe_tone")
length_col.selectbox(
    "Length",
    list(descriptions.LENGTHS),
    index=1,
    format_func=lambda n: f"{n} ({'-'.join(map(str, descriptions.LENGTHS[n]))} words)",
    key="describe_length",
)
language_col.text_input(
    "Language", value="en", key="describe_language", help="A tag such as en, de, pt-BR."
)
st.multiselect(
    "Product fields that may be sent to the writer",
    descriptions.SOURCE_FIELDS,
    default=list(DEFAULT_FIELDS),
    key="describe_fields",
    help="The title is always sent. Nothing else about your store is.",
)
st.selectbox("Writer", list(WRITERS), format_func=WRITERS.get, key="describe_writer")
st.button("Write drafts", key="describe_write", on_click=write, type="primary")

st.subheader("Bulk jobs")
if not jobs:
    st.caption("No bulk job yet.")
for job in jobs[:5]:
    finished = job.done + job.failed
    label = (
        f"Job {job.id}: {job.status}, {finished} of {job.total} products "
        f"({job.failed} failed), {job.credits} credits"
    )
    st.progress(finished / job.total if job.total else 1.0, text=label)
    if job.error:
        st.caption(f"Stopped: {job.error}")
    if not job.finished:
        st.button(
            f"Cancel job {job.id}",
            key=f"describe_cancel_{job.id}",
            on_click=cancel,
            args=(job.id,),
        )
if any(not job.finished for job in jobs):
    st.button("Refresh progress", key="describe_refresh")

st.subheader("Review")
if not queue:
    st.caption("No draft waits for review.")
for draft in queue:
    with st.container(border=True):
        st.write(f"**{draft.product_title}**, draft {draft.id}")
        if draft.writer == OFFLINE:
            st.caption(f"Written by the {draft.writer_label}; no AI was used.")
        else:
            st.caption(f"Written by {draft.writer_label}, {draft.credits} credits.")
        for reason in draft.fallback_reasons:
            st.caption(f"Skipped before it: {reason}")
        old_col, new_col = st.columns(2)
        old_col.write("Now")
        new_col.write("Proposed")
        for name, title in TEXT_NAMES.items():
            # NOTE: shown as text, not rendered: the owner reviews the markup.
            old_col.text_area(
                title, getattr(draft.old, name), disabled=True,
                key=f"describe_old_{draft.id}_{name}",
            )  # fmt: skip
            new_col.text_area(
                title, getattr(draft.new, name), disabled=True,
                key=f"describe_new_{draft.id}_{name}",
            )  # fmt: skip
        approve_col, reject_col = st.columns(2)
        approve_col.button(
            "Approve and publish",
            key=f"describe_approve_{draft.id}",
            on_click=decide,
            args=(draft.id, True),
        )
        reject_col.button(
            "Reject",
            key=f"describe_reject_{draft.id}",
            on_click=decide,
            args=(draft.id, False),
        )

st.subheader("History")
product_id = st.selectbox(
    "Product", list(products), format_func=products.get, key="describe_history"
)
with ui.reporting():
    history = descriptions.list_history(tenant, int(product_id))
if not history:
    st.caption("Nothing written for this product yet.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "written": d.created_at,
                    "writer": d.writer_label,
                    "status": d.status,
                    "credits": d.credits,
                    "reviewed by": d.reviewed_by,
                    "published": ", ".join(d.published),
                    "seo title": d.new.seo_title,
                }
                for d in history
            ]
        ),
        hide_index=True,
    )
