"""Bulk jobs: progress, background runs, cancellation, resumption, concurrency."""

import threading
import time

import pytest

from commerce import descriptions as service
from commerce.descriptions.pricing import estimate_credits
from commerce.errors import InvalidInput, NotFound
from tenancy import credits
from tests.commerce.descriptions.conftest import make_product, settings_for
from tests.commerce.descriptions.stubs import hang


@pytest.fixture
def cheap_settings(stub):
    """OpenAI alone, on a model whose hold and price are both one credit."""
    return settings_for(stub, order=("openai",), models={"openai": "gpt-4o-mini"})


def products(tenant, count):
    return [make_product(tenant, f"Product {n:02d}") for n in range(count)]


def debit_refs(platform, store_id):
    return sorted(
        e.ref for e in credits.list_ledger(platform, store_id) if e.kind == "debit"
    )


def wait_until_finished(tenant, job_id, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        progress = service.get_job_progress(tenant, job_id)
        if progress.finished:
            return progress
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {seconds}s")


def test_one_credit_per_item_on_the_cheap_model(broke_shop, cheap_settings):
    # The other tests count on this: hold and debit are exactly one credit.
    from commerce.catalogue import get_product
    from commerce.descriptions.request import Options, build_request
    from commerce.descriptions.writers import build_writers

    [writer] = build_writers(broke_shop.platform, broke_shop.id, cheap_settings,
                             only="openai")  # fmt: skip
    product = get_product(broke_shop, make_product(broke_shop))
    request = build_request(product, Options(), currency="USD")
    assert estimate_credits(writer, request, cheap_settings.max_output_tokens) == 1


def test_a_job_drafts_every_product_with_progress(shop, stub, ai_settings):
    ids = products(shop, 3)
    job_id = service.start_bulk(shop, ids, settings=ai_settings, background=False)
    assert service.get_job_progress(shop, job_id).pending == 3

    progress = service.run_bulk_job(shop, job_id, settings=ai_settings)

    assert (progress.status, progress.done, progress.pending) == ("done", 3, 0)
    assert progress.credits == 9 and progress.finished
    queue = service.list_review_queue(shop, job_id=job_id)
    assert sorted(d.product_id for d in queue) == sorted(ids)
    assert stub.count("anthropic") == 3


def test_a_job_runs_in_the_background(shop, stub, offline_settings):
    ids = products(shop, 4)
    job_id = service.start_bulk(shop, ids, settings=offline_settings)

    progress = wait_until_finished(shop, job_id)
    assert (progress.status, progress.done) == ("done", 4)
    assert [j.id for j in service.list_jobs(shop)] == [job_id]


def test_cancellation_is_checked_between_items(shop, stub, ai_settings):
    ids = products(shop, 5)
    job_id = service.start_bulk(shop, ids, settings=ai_settings, background=False)

    def cancel_during_the_second(provider, count):
        if count == 2:
            service.cancel_job(shop, job_id)

    stub.on_request = cancel_during_the_second
    progress = service.run_bulk_job(shop, job_id, settings=ai_settings)

    assert (progress.status, progress.done, progress.pending) == ("cancelled", 2, 3)
    again = service.run_bulk_job(shop, job_id, settings=ai_settings)
    assert again.status == "cancelled" and stub.count() == 2


def test_a_job_out_of_credits_resumes_without_charging_twice(
    broke_shop, stub, cheap_settings, platform
):
    ids = products(broke_shop, 5)
    credits.credit_pack(platform, broke_shop.id, 2, "pay-resume-1")
    job_id = service.start_bulk(
        broke_shop, ids, settings=cheap_settings, background=False
    )

    stopped = service.run_bulk_job(broke_shop, job_id, settings=cheap_settings)
    assert (stopped.status, stopped.done, stopped.pending) == ("failed", 2, 3)
    assert "not enough AI credits" in stopped.error
    assert stub.count() == 2

    credits.credit_pack(platform, broke_shop.id, 10, "pay-resume-2")
    resumed = service.run_bulk_job(broke_shop, job_id, settings=cheap_settings)

    assert (resumed.status, resumed.done, resumed.error) == ("done", 5, None)
    assert stub.count() == 5
    assert debit_refs(platform, broke_shop.id) == sorted(
        f"job:{job_id}:product:{p}" for p in ids
    )
    assert service.get_balance(broke_shop).available == 12 - 5


def test_an_item_charged_before_a_crash_is_not_charged_again(
    broke_shop, cheap_settings, platform
):
    ids = products(broke_shop, 3)
    credits.credit_pack(platform, broke_shop.id, 10, "pay-crash")
    job_id = service.start_bulk(
        broke_shop, ids, settings=cheap_settings, background=False
    )
    # As if a first run debited the first item, then died before saving it.
    hold = credits.reserve_credits(platform, broke_shop.id, 1)
    credits.settle_hold(
        platform, hold, 1, ref=f"job:{job_id}:product:{ids[0]}", provider="openai",
        model="gpt-4o-mini", tokens_in=1, tokens_out=1,
    )  # fmt: skip

    progress = service.run_bulk_job(broke_shop, job_id, settings=cheap_settings)

    assert (progress.status, progress.done) == ("done", 3)
    assert len(debit_refs(platform, broke_shop.id)) == 3
    assert service.get_balance(broke_shop).available == 10 - 3


def test_concurrent_jobs_on_one_store_never_overdraw(
    broke_shop, stub, cheap_settings, platform
):
    stub.set_default("openai", hang(0.05))
    credits.credit_pack(platform, broke_shop.id, 6, "pay-concurrent")
    ids = products(broke_shop, 10)
    jobs = [
        service.start_bulk(broke_shop, part, settings=cheap_settings, background=False)
        for part in (ids[:5], ids[5:])
    ]

    results = {}
    threads = [
        threading.Thread(
            target=lambda j=j: results.setdefault(
                j, service.run_bulk_job(broke_shop, j, settings=cheap_settings)
            )
        )
        for j in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(results[j].done for j in jobs) == 6
    assert {results[j].status for j in jobs} <= {"done", "failed"}
    balance = service.get_balance(broke_shop)
    assert (balance.available, balance.held, balance.purchased) == (0, 0, 0)
    assert len(debit_refs(platform, broke_shop.id)) == 6


def test_a_second_runner_leaves_a_running_job_alone(shop, stub, ai_settings):
    ids = products(shop, 2)
    job_id = service.start_bulk(shop, ids, settings=ai_settings, background=False)
    seen = []

    def run_again_during_the_first(provider, count):
        if count == 1:
            seen.append(service.run_bulk_job(shop, job_id, settings=ai_settings))

    stub.on_request = run_again_during_the_first
    progress = service.run_bulk_job(shop, job_id, settings=ai_settings)

    assert seen[0].status == "running" and seen[0].done == 0
    assert progress.done == 2 and stub.count() == 2


def test_a_job_needs_existing_products(shop):
    with pytest.raises(NotFound):
        service.start_bulk(shop, [999_999], background=False)
    with pytest.raises(InvalidInput):
        service.start_bulk(shop, [], background=False)
    with pytest.raises(InvalidInput):
        service.start_bulk(shop, products(shop, 1), writer="gpt", background=False)
    with pytest.raises(NotFound):
        service.get_job_progress(shop, 424242)
