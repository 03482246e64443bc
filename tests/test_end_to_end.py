"""The whole product, end to end, as an owner and a shopper use it.

Real parts throughout: the storefront under gunicorn and the dashboard under
Streamlit, each in its own process on a free 127.0.0.1 port over this test
session's PostgreSQL platform; Debian's Chromium driven by Playwright; a
Stripe stand-in on 127.0.0.1 whose hosted checkout page the browser is served
in place of Stripe's; mail read from the store's outbox, where the mail worker
would pick it up.

The walk: the owner signs up and logs in, imports a real Shopify export,
publishes an offline-written description and sets a low-stock threshold; a
shopper finds the product, buys it with manual payment, then through Stripe
(its webhook signed as Stripe signs it), writes to the shop and subscribes to
its newsletter; the owner sees the orders, the message, the subscriber and the
figures; the shopper asks for their data to be deleted and the owner does it.

Screenshots go to docs/screenshots/ with APMT_SCREENSHOTS=1, else to tmp_path.
"""

import contextlib
import html
import re
import secrets

import pytest

from tenancy import StoreNotFound, delete_store
from tests.commerce.payments.deliveries import body, stripe_headers
from tests.conftest import SHARED
from tests.end_to_end_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Dashboard,
    Screenshots,
    dashboard,
    first_link,
    free_port,
    last_mail,
    new_page,
    post_webhook,
    serve_hosted_checkout,
    server_env,
    six_digit_code,
    storefront,
    stripe_stand_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

SHOPIFY_EXPORT = (
    SHARED / "data" / "shopify_real_exports" / "packt_dev_store_products_export.csv"
)
VARIANTS_IN_EXPORT = 21  # 20 products, one of them with two variants
PRODUCT = "Grey Wheelbarrow"  # 8 in stock at 10.00 in the export
BUSINESS = "Garden & Home"
PASSWORD = "correct horse battery staple"
SHOPPER = {
    "Full name": "Ada Shopper",
    "Email": "ada.shopper@example.com",
    "Address line 1": "1 High Street",
    "Town or city": "Leeds",
    "Postcode": "LS1 1AA",
    "Country": "United Kingdom",
}
STRIPE_KEYS = {
    "Secret key": "sk_test_e2e_0123456789abcdef",
    "Webhook secret": "whsec_e2e_0123456789abcdef",
}


@pytest.fixture
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    if not SHOPIFY_EXPORT.is_file():
        pytest.skip("../shared/data is missing")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def servers(base_config, keyring, platform, tmp_path):
    """The storefront's port and the dashboard's address, both ours alone.

    ``platform`` makes sure the registry and the store template exist before
    either server opens them.
    """
    shop_port, admin_port = free_port(), free_port()
    env = server_env(base_config, keyring, shop_port)
    with (
        storefront(env, shop_port, tmp_path / "storefront.log") as port,
        dashboard(env, admin_port, tmp_path / "admin.log") as admin,
    ):
        yield port, admin


@pytest.fixture
def stripe():
    with stripe_stand_in() as stand_in:
        yield stand_in


def test_an_owner_and_a_shopper_walk_through_the_whole_product(
    servers, chromium, stripe, platform, tmp_path
):
    shop_port, admin = servers
    stub, stripe_api = stripe
    slug = f"e2e{secrets.token_hex(3)}"
    store_url = f"http://{slug}.localhost:{shop_port}"
    shots = Screenshots(tmp_path)
    problems = []
    owner = Dashboard(new_page(chromium, problems), admin)
    shopper = new_page(chromium, problems)
    serve_hosted_checkout(shopper, stub.url)

    try:
        sign_up_and_log_in(owner, slug)
        owner.wait_for_metric("Orders, last 30 days", "0")
        tenant = platform.tenant(slug)

        import_shopify_export(owner, shots)
        intro = publish_offline_description(owner, shots)
        set_low_stock_threshold(owner, 7)

        product_url = find_product(shopper, store_url, intro, shots)
        orders = [buy_with_manual_payment(shopper, product_url)]

        connect_stripe(owner, stub.url)
        orders.append(buy_through_stripe_checkout(shopper, product_url))
        deliver_stripe_payment(shop_port, slug, stripe_api, shopper)
        heading = shopper.get_by_role("heading", level=1)
        expect(heading).to_have_text(f"Order {orders[-1]}")
        expect(shopper.get_by_role("status")).to_have_text(re.compile("^Paid"))

        write_to_the_shop(shopper, store_url)
        subscribe_to_the_newsletter(shopper, store_url, tenant)

        owner_sees_sales_message_and_subscriber(owner, orders, shots)

        before = rows_naming(tenant, SHOPPER["Email"])
        ask_for_deletion(shopper, store_url, tenant)
        fulfil_the_deletion(owner)
        after = rows_naming(tenant, SHOPPER["Email"])
        assert before == {"orders": 2, "contact_messages": 1,
                          "newsletter_subscribers": 1, "payment_events": 1}  # fmt: skip
        assert after == dict.fromkeys(before, 0)
        assert orders_kept_without_names(tenant) == 2
    except Exception:
        # What each of them saw when it went wrong, next to the servers' logs.
        owner.page.screenshot(path=tmp_path / "failed-owner.png", full_page=True)
        shopper.screenshot(path=tmp_path / "failed-shopper.png", full_page=True)
        raise
    finally:
        with contextlib.suppress(StoreNotFound):
            delete_store(platform, slug)

    assert not problems, problems


# -- the owner ------------------------------------------------------------------


def sign_up_and_log_in(owner, slug):
    page = owner.page
    email = f"owner@{slug}.example.com"
    page.goto(f"{owner.base}/")
    page.get_by_role("link", name="Sign up").click()
    page.fill("#owner_name", "Olive Owner")
    page.fill("#email", email)
    page.fill("#business_name", BUSINESS)
    page.fill("#slug", slug)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Open my store").click()
    owner.wait_for_title("Overview")

    # Signing up logs in; log out and in again as an owner does on a new day.
    page.get_by_role("link", name="Log out").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    owner.wait_for_title("Overview")


def import_shopify_export(owner, shots):
    owner.open("Import")
    owner.page.locator("input[type=file]").set_input_files(SHOPIFY_EXPORT)

    # The buttons stay disabled until the upload has arrived; clicks wait.
    owner.button("Check (nothing is written)")
    owner.see(f"Check of {SHOPIFY_EXPORT.name}")
    owner.see("Nothing was written. Import the file to apply these changes.")
    owner.wait_for_metric("Created (would be)", str(VARIANTS_IN_EXPORT))

    owner.button("Import")
    owner.see(f"Import of {SHOPIFY_EXPORT.name}")
    owner.see("you can undo it below")
    owner.wait_for_metric("Created (were)", str(VARIANTS_IN_EXPORT))
    owner.see_in_table("applied")
    owner.page.get_by_role("button", name="Undo this import").wait_for()
    shots.take(owner.page, "dashboard-import.png")


def publish_offline_description(owner, shots):
    """Write, review and publish; return the description's first sentence."""
    owner.open("AI descriptions")
    owner.choose("Products", PRODUCT, testid="stMultiSelect")
    owner.choose("Writer", "Offline writer only (no AI, free)")
    owner.button("Write drafts")
    owner.see(f"Draft written for {PRODUCT}")
    owner.see("no AI was used")

    proposed = owner.page.get_by_label("Description (HTML)").last.input_value()
    intro = html.unescape(re.search(r"<p>(.*?)</p>", proposed).group(1))
    assert PRODUCT in intro
    owner.scroll_to("Review")
    shots.take(owner.page, "dashboard-descriptions.png")

    owner.button("Approve and publish")
    owner.see("published on the product")
    return intro


def set_low_stock_threshold(owner, threshold):
    owner.open("Low stock")
    owner.see("Nothing is at or below its low-stock threshold.")
    owner.choose("Variant", PRODUCT)
    owner.fill("Warn at or below (-1 for never)", str(threshold))
    owner.button("Save threshold")
    owner.see("Threshold saved.")


def connect_stripe(owner, api_base):
    owner.open("Settings")
    for label, value in STRIPE_KEYS.items():
        owner.fill(label, value)
    owner.fill("Api base (optional)", api_base)
    owner.button("Connect Stripe")
    owner.see("Stripe is connected.")


def owner_sees_sales_message_and_subscriber(owner, order_numbers, shots):
    owner.open("Overview")
    owner.wait_for_metric("Orders, last 30 days", "2")
    owner.wait_for_metric("Low stock", "1")
    owner.see("Sales in the last 30 days: 20.00 USD.")

    owner.open("Orders")
    owner.see("2 order(s)")
    for number in order_numbers:
        owner.see_in_table(number)
    owner.see(SHOPPER["Email"])
    shots.take(owner.page, "dashboard-orders.png")

    owner.open("Messages")
    owner.see_in_table("Delivery to Leeds?")

    owner.open("Newsletter")
    owner.wait_for_metric("Confirmed subscribers", "1")


def fulfil_the_deletion(owner):
    owner.open("Privacy requests")
    owner.see("Request #1: deletion")
    owner.page.get_by_text("I understand; delete their data").click()
    owner.button("Delete their data")
    owner.see("The requester's personal data is erased")
    owner.see("Every request is answered.")


# -- the shopper ----------------------------------------------------------------


def find_product(page, store_url, intro, shots):
    """Search the catalogue, open the product; return its address."""
    page.goto(f"{store_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome to {BUSINESS}")
    page.get_by_role("link", name="See all products").click()
    page.get_by_label("Search").fill("wheelbarrow")
    page.get_by_role("button", name="Show products").click()
    expect(page.get_by_role("status")).to_have_text("1 product")
    page.get_by_role("link", name=PRODUCT).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(PRODUCT)
    expect(page.locator(".description")).to_contain_text(intro)
    shots.take(page, "storefront-product.png")
    return page.url


def check_out(page, product_url):
    """Put one of the product in the cart and place the order; its number."""
    page.goto(product_url)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("tfoot")).to_contain_text("10.00")
    page.get_by_role("link", name="Go to checkout").click()
    for label, value in SHOPPER.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("status")).to_have_text("Waiting for payment")
    heading = page.get_by_role("heading", level=1).inner_text()
    return heading.removeprefix("Order ")


def buy_with_manual_payment(page, product_url):
    number = check_out(page, product_url)
    page.get_by_role("button", name="Complete order with manual payment").click()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Paid"))
    return number


def buy_through_stripe_checkout(page, product_url):
    """Check out and go to Stripe's hosted checkout; the order's number."""
    number = check_out(page, product_url)
    page.get_by_label(re.compile("^Pay with Stripe")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("heading", name="Stripe test checkout").wait_for()
    expect(page.get_by_text("Pay 10.00 USD")).to_be_visible()
    return number


def deliver_stripe_payment(shop_port, slug, stripe_api, page):
    """Stripe takes the payment and tells the shop, signing as Stripe does;
    then the shopper follows the hosted page's link back to the shop."""
    session = stripe_api.pay(page.url.rsplit("/", 1)[-1])
    event = {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": session},
    }
    raw = body(event)
    headers = stripe_headers(raw, STRIPE_KEYS["Webhook secret"])
    answer = post_webhook(shop_port, f"{slug}.localhost", "stripe", raw, headers)
    assert answer == (200, {"received": "applied"})
    page.get_by_role("link", name="Back to the shop").click()


def write_to_the_shop(page, store_url):
    page.goto(f"{store_url}/contact")
    page.get_by_label("Your name").fill(SHOPPER["Full name"])
    page.get_by_label("Your email").fill(SHOPPER["Email"])
    page.get_by_label("Subject").fill("Delivery to Leeds?")
    page.get_by_label("Message").fill("Does the wheelbarrow come assembled?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("your message was sent")


def subscribe_to_the_newsletter(page, store_url, tenant):
    page.goto(f"{store_url}/")
    page.get_by_role("contentinfo").get_by_role("link", name="Newsletter").click()
    page.get_by_label("Email").fill(SHOPPER["Email"])
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("Check your inbox")

    page.goto(first_link(last_mail(tenant, "newsletter_confirm")))
    page.get_by_role("button", name="Yes, send me the newsletter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are subscribed")


def ask_for_deletion(page, store_url, tenant):
    page.goto(f"{store_url}/")
    page.get_by_role("contentinfo").get_by_role("link", name="Privacy").click()
    page.get_by_role("link", name="make a privacy request").click()
    page.get_by_label("Your email").fill(SHOPPER["Email"])
    page.get_by_label("Delete my data").check()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")

    code = six_digit_code(last_mail(tenant, "privacy_code"))
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request confirmed")


# -- what is left ---------------------------------------------------------------


def rows_naming(tenant, email):
    """How many rows of the tables that hold a shopper's data name ``email``.

    Whole rows are searched as text, so an address kept in a JSON column (the
    shipping address) counts too, and so do the bodies of Stripe's webhooks.
    """
    pattern = f"%{email}%"
    tables = ("orders", "contact_messages", "newsletter_subscribers")
    with tenant.connection() as conn:
        found = {
            table: conn.execute(
                f"SELECT count(*) FROM {table} t WHERE t::text ILIKE %s",  # noqa: S608
                (pattern,),
            ).fetchone()[0]
            for table in tables
        }
        # Webhook bodies are kept as bytes, as the provider sent them.
        found["payment_events"] = conn.execute(
            """SELECT count(*) FROM payment_events
               WHERE convert_from(body, 'UTF8') ILIKE %s""",
            (pattern,),
        ).fetchone()[0]
    return found


def orders_kept_without_names(tenant):
    """Orders stay for the accounts; how many of them name nobody."""
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT count(*) FROM orders
               WHERE customer_name IS NULL AND email IS NULL
                 AND shipping_address IS NULL"""
        ).fetchone()[0]
