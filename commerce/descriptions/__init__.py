"""AI product descriptions: the service the admin pages and the CLI call.

Every store-scoped call takes a ``tenancy.Tenant`` first. Settings come from
``load_ai_settings()`` unless an ``AISettings`` is passed as ``settings=``.

Writing (each result is a pending ``Draft``; nothing is published)::

    generate_for_product(tenant, product_id, options=None, *, writer=None,
                         settings=None) -> Draft
    start_bulk(tenant, product_ids, options=None, *, writer=None,
               settings=None, background=True) -> job id
    run_bulk_job(tenant, job_id, *, settings=None) -> JobProgress
    get_job_progress(tenant, job_id) -> JobProgress
    cancel_job(tenant, job_id) -> JobProgress
    list_jobs(tenant) -> [JobProgress]

Reviewing::

    list_review_queue(tenant) -> [Draft]      pending, oldest first
    approve(tenant, draft_id, *, parts=None) -> Draft   publishes the texts
    reject(tenant, draft_id) -> Draft
    list_history(tenant, product_id) -> [Draft]

Settings of the store::

    get_balance(tenant) -> tenancy.credits.Balance
    get_brand_voice(tenant) / set_brand_voice(tenant, text)
    set_store_ai_key(platform, store_id, provider, key) -> masked hint
    remove_store_ai_key(platform, store_id, provider) -> bool
    list_store_ai_keys(platform, store_id) -> {provider: masked hint}

``Options(tone, length, language, fields)`` says how to write and which
product fields may be sent (``SOURCE_FIELDS``); ``writer`` is one of
``WRITER_NAMES`` to use that writer alone. Errors are ``DescriptionError``
subclasses (see ``commerce.descriptions.errors``), ``commerce.errors``
``NotFound``/``InvalidInput``, and ``tenancy.credits.InsufficientCredits``,
raised before any provider is called when the store cannot pay.
"""

from tenancy.credits import Balance, InsufficientCredits
from tenancy.credits import get_balance as _registry_balance

from .errors import (
    DescriptionError,
    DraftAlreadyDecided,
    NoWriterSucceeded,
    OutputRejected,
    WriterFailed,
    WriterNotConfigured,
)
from .generation import generate_for_product, get_brand_voice, set_brand_voice
from .jobs import (
    JobProgress,
    cancel_job,
    get_job_progress,
    list_jobs,
    list_product_ids,
    run_bulk_job,
    start_bulk,
)
from .keys import list_store_ai_keys, remove_store_ai_key, set_store_ai_key
from .output import LIMITS, Texts
from .request import LENGTHS, SOURCE_FIELDS, TONES, Options
from .review import Draft, approve, get_draft, list_history, list_review_queue, reject
from .settings import AISettings, load_ai_settings
from .writers import WRITER_NAMES


def get_balance(tenant):
    """The store's AI credits (this month's included credits granted if due)."""
    return _registry_balance(tenant.platform, tenant.id)


__all__ = [
    "AISettings",
    "Balance",
    "DescriptionError",
    "Draft",
    "DraftAlreadyDecided",
    "InsufficientCredits",
    "JobProgress",
    "LENGTHS",
    "LIMITS",
    "NoWriterSucceeded",
    "Options",
    "OutputRejected",
    "SOURCE_FIELDS",
    "TONES",
    "Texts",
    "WRITER_NAMES",
    "WriterFailed",
    "WriterNotConfigured",
    "approve",
    "cancel_job",
    "generate_for_product",
    "get_balance",
    "get_brand_voice",
    "get_draft",
    "get_job_progress",
    "list_history",
    "list_jobs",
    "list_product_ids",
    "list_review_queue",
    "list_store_ai_keys",
    "load_ai_settings",
    "reject",
    "remove_store_ai_key",
    "run_bulk_job",
    "set_brand_voice",
    "set_store_ai_key",
    "start_bulk",
]
