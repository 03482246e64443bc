"""The Billing page and the card form, against the Clover stub on 127.0.0.1."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from admin_app.runtime import SESSION_COOKIE
from tenancy import billing, credits
from tests.tenancy.clover_billing_stub import MERCHANT, TOKEN

from .conftest import app_for, texts

HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CARD = "clv_1TSTtestcard4242"


def billing_page(browser, owner):
    at = app_for(browser, owner.token).run()
    at.switch_page("views/billing.py").run()
    assert not at.exception, at.exception
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_without_clover_settings_the_page_says_paid_plans_wait(admin, browser, owner):
    at = billing_page(browser, owner)

    assert any("not set up" in text for text in texts(at, "info"))
    assert "No card on file." in texts(at, "caption")


def test_an_owner_with_a_card_buys_a_credit_pack(
    admin, browser, owner, platform, clover, billing_configured
):
    billing.subscribe(platform, owner.tenant.id, "starter", clover=clover,
                      card_token=CARD)  # fmt: skip
    before = credits.get_balance(platform, owner.tenant.id).purchased
    at = billing_page(browser, owner)
    assert "Card on file: VISA ending 4242" in texts(at, "caption")

    button(at, "Buy 500 AI credits for 10.00 USD").click().run()

    assert not at.exception, at.exception
    assert any("500 AI credits added" in text for text in texts(at, "success"))
    assert credits.get_balance(platform, owner.tenant.id).purchased == before + 500


def test_a_suspended_store_pays_now_and_reopens(
    admin, browser, owner, platform, clover, billing_configured
):
    store_id = owner.tenant.id
    billing.subscribe(platform, store_id, "starter", clover=clover, card_token=CARD)
    (sub,) = billing_configured.subscriptions
    billing_configured.bill(sub, paid=False, attempts=5)
    billing_configured.deactivate(sub)
    now = datetime.now(UTC)
    billing.poll(platform, clover=clover, now=now, force=True)
    billing.poll(platform, clover=clover, now=now + timedelta(days=8), force=True)
    assert platform.store(store_id).status == "suspended"

    at = billing_page(browser, owner)
    assert any("closed" in text for text in texts(at, "error"))
    button(at, "Pay now and reopen").click().run()

    assert not at.exception, at.exception
    assert platform.store(store_id).status == "active"
    assert billing.status(platform, store_id).state == "active"


def test_the_card_form_needs_a_session(http, billing_configured):
    response = http.get("/billing/card")

    assert response.status_code == 303
    assert response.headers["location"] == "/auth/login"


def test_the_card_form_loads_clovers_fields_under_its_own_policy(
    http, owner, billing_configured
):
    http.cookies.set(SESSION_COOKIE, owner.token)

    page = http.get("/billing/card?plan=growth")

    assert page.status_code == 200
    assert 'data-public-key="pakms-public-key"' in page.text
    assert f'data-merchant-id="{MERCHANT}"' in page.text
    assert '<option value="growth" selected' in page.text
    policy = page.headers["content-security-policy"]
    origin = page.text.split('<script src="')[1].split("/sdk.js")[0]
    assert f"script-src 'self' {origin}" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert TOKEN not in page.text
    assert (
        http.get("/billing/card.js")
        .headers["content-type"]
        .startswith("text/javascript")
    )


def test_posting_a_card_token_subscribes_the_store(
    http, owner, platform, billing_configured
):
    http.cookies.set(SESSION_COOKIE, owner.token)
    csrf = HIDDEN_CSRF.search(http.get("/billing/card").text).group(1)

    done = http.post("/billing/card", data={
        "csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
        "token": CARD,
    })  # fmt: skip

    assert done.status_code == 303
    assert done.headers["location"] == "/billing?done=card"
    assert platform.store(owner.tenant.id).plan == "starter"
    assert billing.status(platform, owner.tenant.id).card_hint == "VISA ending 4242"


def test_a_refused_card_is_explained_and_changes_nothing(
    http, owner, platform, billing_configured
):
    http.cookies.set(SESSION_COOKIE, owner.token)
    csrf = HIDDEN_CSRF.search(http.get("/billing/card").text).group(1)
    before = platform.store(owner.tenant.id).plan

    refused = http.post("/billing/card", data={
        "csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
        "token": "clv_invalid",
    })  # fmt: skip

    assert refused.status_code == 400
    assert "Invalid card token." in refused.text
    assert platform.store(owner.tenant.id).plan == before


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"csrf_token": "forged"}, 403, "expired"),
        ({"plan": "free"}, 400, "Choose one of the paid plans."),
        ({"store": "999999"}, 400, "Choose one of your stores."),
        ({"token": ""}, 400, "The card was not read"),
    ],
)
def test_bad_card_posts_are_refused(
    http, owner, other_owner, platform, billing_configured, fields, status, message
):
    http.cookies.set(SESSION_COOKIE, owner.token)
    csrf = HIDDEN_CSRF.search(http.get("/billing/card").text).group(1)
    sent = {"csrf_token": csrf, "store": owner.tenant.id, "plan": "starter",
            "token": CARD, **fields}  # fmt: skip
    if sent["store"] == "999999":
        sent["store"] = other_owner.tenant.id

    refused = http.post("/billing/card", data=sent)

    assert refused.status_code == status
    assert message in refused.text
    assert billing_configured.customers == {}
