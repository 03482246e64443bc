"""A shopper in Chromium: browse, add to the cart, pay manually, see the order.

Debian's chromium at /usr/bin/chromium, driven by Playwright; *.localhost
resolves to the loopback address, so the store's real host name is used.
"""

import secrets

import pytest

from tenancy import StoreRequest, delete_store, provision_store
from tests.storefront_svc.conftest import add_product, stock_shop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser_shop(platform):
    slug = f"web{secrets.token_hex(3)}"
    store = provision_store(
        platform,
        StoreRequest(slug=slug, display_name="Leaf & Pot",
                     owner_email=f"owner@{slug}.example"),
    )  # fmt: skip
    tenant = stock_shop(platform.tenant(store.id))
    add_product(tenant, "Oolong", "12.00", 4, sku="OOL-1", vendor="Leafy")
    yield tenant
    delete_store(platform, store.id)


def test_a_shopper_buys_with_manual_payment(server, browser, browser_shop, tmp_path):
    port, _ = server
    page = browser.new_page(viewport={"width": 390, "height": 844})
    problems = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and problems.append(r.url))

    page.goto(f"http://{browser_shop.store.slug}.localhost:{port}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome to Leaf & Pot"
    page.get_by_role("link", name="See all products").click()
    page.get_by_label("Search").fill("oolong")
    page.get_by_role("button", name="Show products").click()
    page.get_by_role("link", name="Oolong").click()
    assert page.get_by_role("cell", name="Only 4 left").is_visible()

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    assert "24.00 USD" in page.locator("tfoot").inner_text()
    page.get_by_role("link", name="Go to checkout").click()

    for label, value in [
        ("Full name", "Ada Shopper"), ("Email", "ada@example.com"),
        ("Address line 1", "1 High Street"), ("Town or city", "Leeds"),
        ("Postcode", "LS1 1AA"), ("Country", "United Kingdom"),
    ]:  # fmt: skip
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Place order").click()
    assert page.get_by_role("status").inner_text() == "Waiting for payment"

    page.get_by_role("button", name="Complete order with manual payment").click()
    assert page.get_by_role("status").inner_text().startswith("Paid")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Order ")

    shot = tmp_path / "order-paid.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 1000
    assert problems == []
    page.close()
