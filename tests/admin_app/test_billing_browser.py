"""The card form in a real Chromium: Clover's fields, a token, a subscription.

Clover's SDK is replaced by a stand-in served from the Clover stub on
127.0.0.1 (``data/clover_sdk_stub.js``), so the page's own script, its CSP
and the post back to the dashboard run for real, and the browser reaches
nothing but our two local servers.
"""

from pathlib import Path

import pytest

from admin_app.runtime import SESSION_COOKIE
from tenancy import billing

from .conftest import sign_in_owner
from .test_browser import chromium, new_page, server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SDK = Path(__file__).with_name("data") / "clover_sdk_stub.js"


@pytest.fixture
def clover_sdk(billing_configured):
    """The stand-in SDK, served where the settings say Clover's is."""
    billing_configured.stub.route("GET", r"/sdk.js", lambda request: (
        200, SDK.read_bytes(), {"type": "text/javascript"}
    ))  # fmt: skip
    return billing_configured


def test_an_owner_adds_a_card_and_subscribes(
    server,  # noqa: F811
    chromium,  # noqa: F811
    platform,
    make_store,
    clover_sdk,
):
    owner = sign_in_owner(platform, make_store())
    problems = []
    cookie = {"name": SESSION_COOKIE, "value": owner.token, "url": server}
    context, page = new_page(chromium, server, problems, cookies=[cookie])

    page.goto(f"{server}/billing/card?plan=starter")
    page.get_by_label("CARD_NUMBER").fill("4111")
    page.get_by_role("button", name="Save card and subscribe").click()
    page.get_by_text("Card number is invalid").wait_for()

    page.get_by_label("CARD_NUMBER").fill("4111 1111 1111 4242")
    page.get_by_role("button", name="Save card and subscribe").click()
    page.wait_for_url(f"{server}/billing?done=card")
    page.get_by_text("Card saved and plan changed").wait_for()
    context.close()

    assert problems == []
    assert platform.store(owner.tenant.id).plan == "starter"
    (customer,) = clover_sdk.customers.values()
    assert customer["token"] == "clv_1TSTbrowser4242"
    assert billing.status(platform, owner.tenant.id).card_hint == "VISA ending 4242"
