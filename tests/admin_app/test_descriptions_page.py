"""The AI descriptions page: drafts, review, jobs, history, for the owner only."""

import time

import pytest

from commerce import catalogue, descriptions
from tenancy import support

from .conftest import app_for, texts


def open_page(browser, who):
    at = app_for(browser, who.token).run()
    at.switch_page("views/descriptions.py").run()
    assert not at.exception, at.exception
    return at


def click(at, label):
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception, at.exception
    return at


def product(tenant, title="Blue mug"):
    return catalogue.create_product(
        tenant,
        {"title": title, "status": "active", "vendor": "Acme"},
        [{"sku": title.upper().replace(" ", "-"), "price": "12.50"}],
    )


@pytest.fixture
def offline_draft(owner):
    product_id = product(owner.tenant)
    draft = descriptions.generate_for_product(
        owner.tenant, product_id, writer="offline"
    )
    return product_id, draft


def test_without_products_the_page_says_to_add_some(admin, browser, owner):
    at = open_page(browser, owner)

    assert texts(at, "title") == ["AI descriptions"]
    assert any("Add products first" in i for i in texts(at, "info"))
    assert {m.label for m in at.metric} >= {"AI credits available"}


def test_one_product_gets_a_pending_draft_labelled_offline(admin, browser, owner):
    product_id = product(owner.tenant)
    at = open_page(browser, owner)
    at.multiselect(key="describe_products").select(product_id)
    at.selectbox(key="describe_writer").select("offline")
    click(at, "Write drafts")

    assert any("Offline writer" in s for s in texts(at, "success")), texts(at, "error")
    assert any("no AI was used" in c for c in texts(at, "caption"))
    (draft,) = descriptions.list_review_queue(owner.tenant)
    assert draft.status == "pending"
    # Nothing is published before approval.
    assert catalogue.get_product(owner.tenant, product_id).seo_title in ("", None)


def test_review_shows_old_and_new_and_approval_publishes(
    admin, browser, owner, offline_draft
):
    product_id, draft = offline_draft
    at = open_page(browser, owner)

    new = at.text_area(key=f"describe_new_{draft.id}_seo_title")
    old = at.text_area(key=f"describe_old_{draft.id}_seo_title")
    assert new.value == draft.new.seo_title and old.value == ""
    click(at, "Approve and publish")

    assert f"Draft {draft.id} published on the product." in texts(at, "success")
    published = catalogue.get_product(owner.tenant, product_id)
    assert published.seo_title == draft.new.seo_title
    assert descriptions.list_review_queue(owner.tenant) == []


def test_rejection_changes_nothing_and_stays_in_history(
    admin, browser, owner, offline_draft
):
    product_id, draft = offline_draft
    at = open_page(browser, owner)
    click(at, "Reject")

    assert descriptions.get_draft(owner.tenant, draft.id).status == "rejected"
    assert catalogue.get_product(owner.tenant, product_id).seo_title in ("", None)
    history = at.dataframe[0].value
    assert history["status"].tolist() == ["rejected"]


def test_a_bulk_job_runs_and_shows_its_progress(admin, browser, owner):
    ids = [product(owner.tenant, f"Mug {n}") for n in range(3)]
    at = open_page(browser, owner)
    at.multiselect(key="describe_products").set_value(ids)
    at.selectbox(key="describe_writer").select("offline")
    click(at, "Write drafts")
    assert any("started for 3 products" in s for s in texts(at, "success"))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        (job,) = descriptions.list_jobs(owner.tenant)
        if job.finished:
            break
        time.sleep(0.2)
    at.run()
    assert job.status == "done" and job.done == 3
    assert any("3 of 3 products" in p.proto.text for p in at.get("progress"))
    assert len(descriptions.list_review_queue(owner.tenant)) == 3


def test_a_running_job_can_be_cancelled(admin, browser, owner):
    ids = [product(owner.tenant, f"Cup {n}") for n in range(2)]
    job_id = descriptions.start_bulk(
        owner.tenant, ids, writer="offline", background=False
    )
    at = open_page(browser, owner)
    click(at, f"Cancel job {job_id}")

    assert descriptions.get_job_progress(owner.tenant, job_id).status == "cancelled"


def test_the_brand_voice_is_saved(admin, browser, owner):
    at = open_page(browser, owner)
    at.text_area(key="describe_voice").input("Warm, short sentences.")
    click(at, "Save brand voice")

    assert descriptions.get_brand_voice(owner.tenant) == "Warm, short sentences."


def test_another_owner_sees_none_of_these_drafts(
    admin, browser, owner, other_owner, offline_draft
):
    _, draft = offline_draft
    at = open_page(browser, other_owner)

    assert not [b for b in at.button if b.label == "Approve and publish"]
    assert any("Add products first" in i for i in texts(at, "info"))
    assert descriptions.get_draft(owner.tenant, draft.id).status == "pending"


def test_support_staff_cannot_reach_the_page(admin, browser, platform, staff, owner):
    support.grant_support(platform, staff.id, owner.tenant.id, "ticket", hours=1)
    at = app_for(browser, staff.token).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/descriptions.py")
