"""What owners and staff do on the pages, through AppTest, against a real store."""

import pytest

from admin_app import state
from commerce import catalogue, stock
from tenancy import SessionInvalid, profile, sessions

from .conftest import PASSWORD, app_for, texts

CATALOGUE = """\
Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,\
Variant SKU,Variant Price,Variant Inventory Qty,Cost per item,Status
blue-mug,Blue mug,<p>A mug</p>,Acme,Mugs,,TRUE,Title,Default Title,MUG-BLUE,12.50,4,\
5.00,active
red-mug,Red mug,<p>A mug</p>,Acme,Mugs,,TRUE,Title,Default Title,MUG-RED,notaprice,4,\
5.00,active
"""


def page(browser, who, path):
    at = app_for(browser, who.token).run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def click(at, label):
    button = next(b for b in at.button if b.label == label)
    button.click().run()
    assert not at.exception, at.exception
    return at


def product_with_stock(tenant, title="Green mug", sku="MUG-G", quantity=10):
    product_id = catalogue.create_product(
        tenant,
        {"title": title, "status": "active"},
        [{"sku": sku, "price": "9.50", "unit_cost": "4.00"}],
    )
    variant_id = catalogue.get_product(tenant, product_id).variants[0].id
    if quantity:
        stock.adjust_stock(tenant, variant_id, quantity, reason="received")
    return variant_id


def on_hand(tenant, variant_id):
    return sum(level.on_hand for level in stock.stock_levels(tenant, variant_id))


# -- overview and products ----------------------------------------------------


def test_overview_counts_the_catalogue_and_its_value(admin, browser, owner):
    product_with_stock(owner.tenant, quantity=10)
    at = page(browser, owner, "views/overview.py")

    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Products"] == "1"
    assert metrics["Stock value at cost"] == "40.00 USD"
    assert metrics["Orders, last 30 days"] == "0"


def test_an_owner_adds_a_product_with_opening_stock(admin, browser, owner):
    at = page(browser, owner, "views/products.py")
    at.text_input(key="products_new_title").set_value("Blue mug")
    at.text_input(key="products_new_sku").set_value("MUG-1")
    at.number_input(key="products_new_price").set_value(12.5)
    at.number_input(key="products_new_quantity").set_value(3)
    click(at, "Add product")

    assert "Added Blue mug." in texts(at, "success")
    found = catalogue.list_products(owner.tenant).items
    assert [p.title for p in found] == ["Blue mug"]
    assert found[0].variants[0].on_hand == 3
    assert at.data_editor[0].value["sku"].tolist() == ["MUG-1"]


def test_adding_a_product_without_a_title_says_so(admin, browser, owner):
    at = page(browser, owner, "views/products.py")
    click(at, "Add product")

    assert "Title: is required. Correct it and try again." in texts(at, "error")


def test_saving_the_grid_without_edits_changes_nothing(admin, browser, owner):
    product_with_stock(owner.tenant)
    at = page(browser, owner, "views/products.py")
    click(at, "Save changes")

    assert "Nothing to save." in texts(at, "success")


# -- stock --------------------------------------------------------------------


def test_an_adjustment_needs_a_reason_and_then_moves_stock(admin, browser, owner):
    variant_id = product_with_stock(owner.tenant, quantity=5)
    at = page(browser, owner, "views/stock.py")
    at.number_input(key="stock_adjust_quantity").set_value(-2)
    click(at, "Adjust stock")
    assert any("say why" in e for e in texts(at, "error"))

    at.text_input(key="stock_adjust_reason").set_value("damaged")
    at.number_input(key="stock_adjust_quantity").set_value(-2)
    click(at, "Adjust stock")
    assert "Adjusted; 3 now on hand there." in texts(at, "success")
    assert on_hand(owner.tenant, variant_id) == 3


def test_a_transfer_moves_stock_between_locations(admin, browser, owner):
    variant_id = product_with_stock(owner.tenant, quantity=5)
    back = stock.create_location(owner.tenant, "Back room")
    at = page(browser, owner, "views/stock.py")
    at.selectbox(key="stock_move_to").set_value(back)
    at.number_input(key="stock_move_quantity").set_value(2)
    click(at, "Transfer")

    assert "Transferred." in texts(at, "success")
    levels = {lv.location: lv.on_hand for lv in stock.stock_levels(owner.tenant)}
    assert levels == {"Main": 3, "Back room": 2}
    assert on_hand(owner.tenant, variant_id) == 5


def test_too_large_a_transfer_says_what_to_do(admin, browser, owner):
    product_with_stock(owner.tenant, quantity=1)
    back = stock.create_location(owner.tenant, "Back room")
    at = page(browser, owner, "views/stock.py")
    at.selectbox(key="stock_move_to").set_value(back)
    at.number_input(key="stock_move_quantity").set_value(5)
    click(at, "Transfer")

    assert any("Lower the quantity" in e for e in texts(at, "error"))


def test_a_low_stock_threshold_lists_the_variant(admin, browser, owner):
    product_with_stock(owner.tenant, quantity=2)
    at = page(browser, owner, "views/low_stock.py")
    at.number_input(key="low_threshold_value").set_value(3)
    click(at, "Save threshold")

    assert "Threshold saved." in texts(at, "success")
    assert at.dataframe[0].value["sku"].tolist() == ["MUG-G"]


def test_a_count_without_figures_asks_for_them(admin, browser, owner):
    product_with_stock(owner.tenant)
    at = page(browser, owner, "views/stock_count.py")
    click(at, "Check differences")

    assert any("Type a counted quantity" in i for i in texts(at, "info"))


def test_a_checked_count_shows_differences_then_applies(admin, browser, owner):
    variant_id = product_with_stock(owner.tenant, quantity=10)
    at = page(browser, owner, "views/stock_count.py")
    location = at.selectbox(key="count_location").value
    # NOTE: AppTest cannot type into st.data_editor; the page's check callback
    # leaves exactly this in session state (see test_edits for the mapping).
    at.session_state[state.COUNT_DIFFERENCES] = {
        "location_id": location,
        "lines": [(variant_id, 7)],
        "differences": [
            {
                "sku": "MUG-G",
                "location": "Main",
                "on hand": 10,
                "counted": 7,
                "change": -3,
            }
        ],
    }
    at.run()
    assert at.dataframe[0].value["change"].tolist() == [-3]

    click(at, "Apply count")
    assert "Count applied: 1 level(s) changed." in texts(at, "success")
    assert on_hand(owner.tenant, variant_id) == 7


# -- import and export ----------------------------------------------------------


def test_an_import_is_checked_applied_and_undone(admin, browser, owner):
    at = page(browser, owner, "views/imports.py")
    at.file_uploader(key="import_file").set_value(
        ("mugs.csv", CATALOGUE.encode(), "text/csv")
    )
    at.run()
    click(at, "Check (nothing is written)")

    assert {m.label: m.value for m in at.metric}["Created (would be)"] == "1"
    report = at.dataframe[0].value
    assert report["row"].tolist() == [3, 3]
    assert "'notaprice' is not a number" in report["reason"].tolist()
    assert catalogue.list_products(owner.tenant).total == 0

    click(at, "Import")
    assert catalogue.list_products(owner.tenant).total == 1
    assert any("batch" in s for s in texts(at, "success"))

    click(at, "Undo this import")
    assert any("undone" in s for s in texts(at, "success"))
    assert catalogue.list_products(owner.tenant).total == 0


def test_an_unreadable_file_is_refused_with_a_reason(admin, browser, owner):
    at = page(browser, owner, "views/imports.py")
    at.file_uploader(key="import_file").set_value(("empty.csv", b"", "text/csv"))
    at.run()
    click(at, "Check (nothing is written)")

    assert texts(at, "error")


@pytest.mark.parametrize(("what", "fmt"), [("inventory", "csv"), ("store", "zip")])
def test_an_export_offers_its_file(admin, browser, owner, what, fmt):
    product_with_stock(owner.tenant)
    at = page(browser, owner, "views/exports.py")
    at.selectbox(key="export_what").set_value(what).run()
    click(at, "Prepare the file")

    assert any("rows exported" in s for s in texts(at, "success"))
    assert at.get("download_button")


# -- orders, messages, newsletter ---------------------------------------------


def test_orders_are_listed_and_opened(admin, browser, owner):
    with owner.tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO orders (number, token, source, status, currency, subtotal,
                   total, email, customer_name, paid_at)
               VALUES ('1001', 'tok1001', 'admin', 'paid', 'USD', 20, 20,
                       'shopper@example.com', 'Sam Shopper', now())"""
        )
        conn.execute(
            """INSERT INTO order_lines (order_id, line_no, sku, title, quantity,
                   unit_price, line_total)
               SELECT id, 1, 'MUG-1', 'Blue mug', 2, 10, 20 FROM orders"""
        )
    at = page(browser, owner, "views/orders.py")

    assert at.dataframe[0].value["number"].tolist() == ["1001"]
    assert at.subheader[0].value == "Order 1001"
    assert at.dataframe[1].value["sku"].tolist() == ["MUG-1"]
    assert "token" not in at.dataframe[0].value.columns


def test_messages_and_subscribers_are_shown_without_secrets(admin, browser, owner):
    with owner.tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO contact_messages (name, email, subject, body)
               VALUES ('Sam', 'sam@example.com', 'Mugs?', 'Do you ship?')"""
        )
        conn.execute(
            """INSERT INTO newsletter_subscribers (email, status, token_hash,
                   confirmed_at)
               VALUES ('a@example.com', 'confirmed', '\\x01', now()),
                      ('b@example.com', 'pending', '\\x02', NULL)"""
        )
    at = page(browser, owner, "views/messages.py")
    assert at.dataframe[0].value["body"].tolist() == ["Do you ship?"]

    at.switch_page("views/newsletter.py").run()
    assert {m.label: m.value for m in at.metric}["Confirmed subscribers"] == "1"
    assert "token_hash" not in at.dataframe[0].value.columns


# -- settings and account -----------------------------------------------------


def test_the_store_profile_is_saved_and_audited(admin, browser, platform, owner):
    at = page(browser, owner, "views/settings.py")
    at.text_input(key="settings_name").set_value("Ada's Mugs")
    at.text_input(key="settings_currency").set_value("eur")
    at.selectbox(key="settings_timezone").set_value("Europe/Paris")
    click(at, "Save profile")

    assert "Store profile saved." in texts(at, "success")
    store = platform.store(owner.tenant.id)
    assert (store.display_name, store.currency, store.timezone) == (
        "Ada's Mugs",
        "EUR",
        "Europe/Paris",
    )


def test_a_wrong_currency_is_refused(admin, browser, owner):
    at = page(browser, owner, "views/settings.py")
    at.text_input(key="settings_currency").set_value("E1")
    click(at, "Save profile")

    assert any("ISO 4217" in e for e in texts(at, "error"))


def test_the_analytics_id_is_checked_and_kept_in_the_store(admin, browser, owner):
    at = page(browser, owner, "views/settings.py")
    at.text_input(key="settings_analytics").set_value("UA-1234")
    click(at, "Save analytics")
    assert any("not a measurement id" in e for e in texts(at, "error"))

    at.text_input(key="settings_analytics").set_value("g-abc123xyz")
    click(at, "Save analytics")
    assert profile.store_setting(owner.tenant, profile.ANALYTICS_ID) == "G-ABC123XYZ"


def test_changing_the_password_ends_the_other_sessions(admin, browser, platform, owner):
    with platform.registry() as conn:
        other = sessions.open_session(conn, account_id=owner.account_id)
    at = page(browser, owner, "views/account.py")
    at.text_input(key="account_current_password").set_value("not it at all")
    at.text_input(key="account_new_password").set_value("a whole new password")
    at.text_input(key="account_repeat_password").set_value("a whole new password")
    click(at, "Change password")
    assert any("current password is not right" in e for e in texts(at, "error"))

    at.text_input(key="account_current_password").set_value(PASSWORD)
    at.text_input(key="account_new_password").set_value("a whole new password")
    at.text_input(key="account_repeat_password").set_value("a whole new password")
    click(at, "Change password")

    assert any("other sessions" in s for s in texts(at, "success"))
    with platform.registry() as conn:
        assert sessions.check_session(conn, owner.token)
        with pytest.raises(SessionInvalid):
            sessions.check_session(conn, other.token)


def test_an_owner_ends_one_of_their_sessions(admin, browser, platform, owner):
    with platform.registry() as conn:
        other = sessions.open_session(conn, account_id=owner.account_id, user_agent="x")
    at = page(browser, owner, "views/account.py")
    ends = [b for b in at.button if b.label == "Log out"]
    assert len(ends) == 2
    handle = sessions._digest(other.token).hex()
    next(b for b in ends if b.key == f"account_end_{handle[:16]}").click().run()

    assert "Session logged out." in texts(at, "success")
    with platform.registry() as conn, pytest.raises(SessionInvalid):
        sessions.check_session(conn, other.token)


def test_a_new_email_needs_the_password(admin, browser, platform, owner):
    at = page(browser, owner, "views/account.py")
    at.text_input(key="account_name").set_value("Ada Owner")
    at.text_input(key="account_business").set_value("Ada's Mugs")
    at.text_input(key="account_email").set_value("new-address@example.com")
    click(at, "Save details")
    assert any("current password" in e for e in texts(at, "error"))

    at.text_input(key="account_name").set_value("Ada Owner")
    at.text_input(key="account_business").set_value("Ada's Mugs")
    at.text_input(key="account_email").set_value("new-address@example.com")
    at.text_input(key="account_details_password").set_value(PASSWORD)
    click(at, "Save details")
    assert profile.get_account(platform, owner.account_id).email == (
        "new-address@example.com"
    )


# -- staff --------------------------------------------------------------------


def test_staff_ask_for_support_access_and_get_the_stores_pages(
    admin, browser, platform, staff, owner
):
    at = page(browser, staff, "views/staff_support.py")
    at.selectbox(key="support_store").set_value(owner.tenant.store.slug)
    click(at, "Ask for access")
    assert "Say why you need access to this store." in texts(at, "error")

    at.text_input(key="support_reason").set_value("ticket 42: import stuck")
    click(at, "Ask for access")
    assert any("granted" in s for s in texts(at, "success"))
    with platform.registry() as conn:
        audit = conn.execute(
            """SELECT actor, detail FROM audit_log
               WHERE store_id = %s AND action = 'support.granted'""",
            (owner.tenant.id,),
        ).fetchone()
    assert audit[0] == f"staff:{staff.id}" and "reason" not in audit[1]

    at.switch_page("views/products.py").run()
    assert texts(at, "title") == ["Products"]

    at.switch_page("views/staff_support.py").run()
    click(at, "End")
    assert "Access ended." in texts(at, "success")
    with pytest.raises(ValueError):
        at.switch_page("views/products.py")


def test_the_store_list_shows_status_and_plan(admin, browser, staff, owner):
    at = page(browser, staff, "views/staff_stores.py")

    stores = at.dataframe[0].value
    row = stores[stores["id"] == owner.tenant.id].iloc[0]
    assert (row["status"], row["plan"]) == ("active", owner.tenant.store.plan)
    assert "email" not in stores.columns


def test_staff_changes_in_support_are_attributed(
    admin, browser, platform, owner, staff
):
    from tenancy import support

    variant_id = product_with_stock(owner.tenant, quantity=5)
    support.grant_support(platform, staff.id, owner.tenant.id, "ticket 7", hours=1)
    at = page(browser, staff, "views/stock.py")
    at.text_input(key="stock_adjust_reason").set_value("ticket 7 correction")
    at.number_input(key="stock_adjust_quantity").set_value(1)
    click(at, "Adjust stock")

    moves = stock.movements(owner.tenant, variant_id)
    assert moves[0][-1] == f"staff:{staff.id}"


def test_support_cannot_import_sales_files(admin, browser, platform, staff, owner):
    from tenancy import support

    support.grant_support(platform, staff.id, owner.tenant.id, "ticket 8", hours=1)
    at = page(browser, staff, "views/imports.py")

    assert at.selectbox(key="import_kind").options == [
        "Products (a catalogue)",
        "Stock levels",
    ]


def test_an_owner_deletes_the_account_from_the_account_page(
    admin, browser, platform, owner
):
    at = page(browser, owner, "views/account.py")
    assert at.get("download_button"), "the account download is offered"
    click(at, "Delete my account")
    assert any("tick the box" in e.lower() for e in texts(at, "error"))

    at.checkbox(key="account_delete_confirm").check()
    click(at, "Delete my account")
    assert platform.store(owner.tenant.id).status == "cancelled"
