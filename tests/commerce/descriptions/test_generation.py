"""One product: credits, drafts, review and the store's own keys."""

import pytest

from commerce import catalogue
from commerce import descriptions as service
from commerce.descriptions.errors import NoWriterSucceeded, WriterNotConfigured
from commerce.descriptions.pricing import price_credits
from commerce.errors import InvalidInput
from tenancy import credits
from tests.commerce.descriptions.conftest import make_product
from tests.commerce.descriptions.stubs import GOOD_TEXTS, answer, fail


def debits(platform, store_id):
    return [e for e in credits.list_ledger(platform, store_id) if e.kind == "debit"]


def test_a_draft_is_saved_charged_and_not_published(
    shop, product_id, stub, ai_settings, platform
):
    stub.plan("anthropic", answer(tokens_in=400, tokens_out=250))
    draft = service.generate_for_product(shop, product_id, settings=ai_settings)

    assert draft.status == "pending" and draft.writer == "anthropic"
    assert draft.writer_label == "Anthropic stub-anthropic-model"
    assert draft.new.as_dict() == GOOD_TEXTS
    assert draft.old.description_html == "<p>Hand thrown.</p>"
    assert (draft.old.seo_title, draft.old.alt_text) == ("Old SEO title", "old alt")
    assert catalogue.get_product(shop, product_id).seo_title == "Old SEO title"

    price = price_credits("anthropic", "stub-anthropic-model", 400, 250)
    assert draft.credits == price == 3
    [debit] = debits(platform, shop.id)
    assert (debit.credits, debit.provider, debit.tokens_in) == (-3, "anthropic", 400)
    assert service.get_balance(shop).available == 50 - 3
    assert [d.id for d in service.list_history(shop, product_id)] == [draft.id]
    assert [d.id for d in service.list_review_queue(shop)] == [draft.id]


def test_approve_publishes_all_four_texts(shop, product_id, ai_settings):
    draft = service.generate_for_product(shop, product_id, settings=ai_settings)
    approved = service.approve(shop, draft.id)

    product = catalogue.get_product(shop, product_id)
    assert approved.status == "approved" and approved.reviewed_by == "owner"
    assert product.description_html == GOOD_TEXTS["description_html"]
    assert product.seo_title == GOOD_TEXTS["seo_title"]
    assert product.seo_description == GOOD_TEXTS["meta_description"]
    assert product.images[0].alt_text == GOOD_TEXTS["alt_text"]
    assert service.list_review_queue(shop) == []
    with pytest.raises(service.DraftAlreadyDecided, match="approved"):
        service.approve(shop, draft.id)


def test_approve_can_publish_some_texts_only(shop, product_id, ai_settings):
    draft = service.generate_for_product(shop, product_id, settings=ai_settings)
    approved = service.approve(shop, draft.id, parts=["seo_title"])

    product = catalogue.get_product(shop, product_id)
    assert approved.published == ("seo_title",)
    assert product.seo_title == GOOD_TEXTS["seo_title"]
    assert product.description_html == "<p>Hand thrown.</p>"
    assert product.images[0].alt_text == "old alt"


def test_reject_discards_and_a_newer_draft_supersedes(shop, product_id, ai_settings):
    first = service.generate_for_product(shop, product_id, settings=ai_settings)
    second = service.generate_for_product(shop, product_id, settings=ai_settings)
    assert service.get_draft(shop, first.id).status == "superseded"

    rejected = service.reject(shop, second.id)
    assert rejected.status == "rejected"
    assert catalogue.get_product(shop, product_id).seo_title == "Old SEO title"
    assert [d.status for d in service.list_history(shop, product_id)] == [
        "rejected", "superseded",
    ]  # fmt: skip


def test_too_few_credits_is_refused_before_any_call(
    broke_shop, stub, ai_settings, platform
):
    product_id = make_product(broke_shop)
    credits.credit_pack(platform, broke_shop.id, 2, "pay-too-few")

    with pytest.raises(service.InsufficientCredits, match="buy a credit pack"):
        service.generate_for_product(broke_shop, product_id, settings=ai_settings)
    assert stub.count() == 0
    assert service.list_history(broke_shop, product_id) == []
    assert service.get_balance(broke_shop).available == 2


def test_failed_calls_cost_nothing(shop, product_id, stub, ai_settings, platform):
    for name in ("anthropic", "openai", "google"):
        stub.plan(name, fail(500))

    draft = service.generate_for_product(shop, product_id, settings=ai_settings)
    assert draft.writer == "offline" and draft.credits == 0
    assert "Offline writer" in draft.writer_label
    assert len(draft.fallback_reasons) == 3 and "HTTP 500" in draft.fallback_reasons[0]
    assert debits(platform, shop.id) == []
    balance = service.get_balance(shop)
    assert balance.available == 50 and balance.held == 0


def test_one_chosen_writer_that_fails_releases_its_hold(
    shop, product_id, stub, ai_settings
):
    stub.plan("openai", fail(503))
    with pytest.raises(NoWriterSucceeded, match="openai: HTTP 503"):
        service.generate_for_product(
            shop, product_id, writer="openai", settings=ai_settings
        )
    assert stub.count("anthropic") == 0
    assert service.get_balance(shop).held == 0


def test_without_keys_the_offline_writer_works_even_with_no_credits(
    broke_shop, stub, offline_settings
):
    product_id = make_product(broke_shop)
    draft = service.generate_for_product(
        broke_shop, product_id, settings=offline_settings
    )
    assert draft.writer == "offline" and draft.credits == 0
    assert stub.count() == 0
    with pytest.raises(WriterNotConfigured):
        service.generate_for_product(
            broke_shop, product_id, writer="google", settings=offline_settings
        )


def test_a_stores_own_key_is_used_and_costs_no_credits(
    shop, product_id, stub, offline_settings, platform
):
    own = "sk-store-own-openai-key-7781"
    hint = service.set_store_ai_key(platform, shop.id, "openai", own)
    assert hint == "…7781" and service.list_store_ai_keys(platform, shop.id) == {
        "openai": "…7781"
    }
    with platform.registry() as conn:
        sealed = conn.execute(
            "SELECT sealed FROM store_secrets WHERE store_id = %s AND name = %s",
            (shop.id, "ai_openai_key"),
        ).fetchone()[0]
    assert own not in sealed

    draft = service.generate_for_product(shop, product_id, settings=offline_settings)
    assert draft.writer == "openai" and draft.own_key and draft.credits == 0
    assert "own key" in draft.writer_label
    assert stub.captured("openai")[0].headers["authorization"] == f"Bearer {own}"
    assert debits(platform, shop.id) == []

    assert service.remove_store_ai_key(platform, shop.id, "openai") is True
    after = service.generate_for_product(shop, product_id, settings=offline_settings)
    assert after.writer == "offline"


def test_bad_keys_and_providers_are_refused(shop, platform):
    with pytest.raises(InvalidInput, match="api_key"):
        service.set_store_ai_key(platform, shop.id, "openai", "has space")
    with pytest.raises(InvalidInput, match="provider"):
        service.set_store_ai_key(platform, shop.id, "mistral", "k" * 20)


def test_each_generation_is_a_usage_event(shop, product_id, ai_settings, platform):
    service.generate_for_product(shop, product_id, settings=ai_settings)
    with platform.registry() as conn:
        detail = conn.execute(
            """SELECT detail FROM usage_events
               WHERE store_id = %s AND kind = 'ai_description'""",
            (shop.id,),
        ).fetchone()[0]
    assert detail["writer"] == "anthropic" and detail["credits"] == 3
