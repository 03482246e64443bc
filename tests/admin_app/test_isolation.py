"""An owner of one store never reaches another: not by page, widget, URL or cookie."""

from dataclasses import replace

import pytest

from admin_app import auth, data, state
from commerce import catalogue, stock
from commerce.errors import NotFound
from tenancy import sessions, support

from .conftest import app_for, texts


def variant_of(tenant, title, sku, quantity):
    product_id = catalogue.create_product(
        tenant, {"title": title, "status": "active"}, [{"sku": sku, "price": "5"}]
    )
    variant_id = catalogue.get_product(tenant, product_id).variants[0].id
    stock.adjust_stock(tenant, variant_id, quantity, reason="received")
    return variant_id


def viewer_of(platform, who):
    return auth.choose_store(auth.identify(platform, who.token), None)[0]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token + "x",
        lambda token: "",
        lambda token: "' OR 1=1 --",
    ],
)
def test_a_tampered_cookie_gets_the_sign_in_page(admin, browser, owner, tamper):
    at = app_for(browser, tamper(owner.token)).run()

    assert texts(at, "title") == ["APMTSales"]
    with pytest.raises(ValueError):
        at.switch_page("views/products.py")


def test_a_logged_out_cookie_no_longer_works(admin, browser, platform, owner):
    at = app_for(browser, owner.token).run()
    assert texts(at, "title") == ["Overview"]

    with platform.registry() as conn:
        sessions.log_out(conn, owner.token)
    at.run()

    assert texts(at, "title") == ["APMTSales"]


def test_another_stores_id_in_the_store_picker_is_refused(
    admin, browser, owner, other_owner
):
    variant_of(other_owner.tenant, "Their mug", "THEIRS", 9)
    variant_of(owner.tenant, "My mug", "MINE", 1)
    at = app_for(browser, owner.token)
    at.session_state[state.STORE_ID] = other_owner.tenant.id
    at.run()

    assert "That store is not one of yours; showing your own." in texts(at, "error")
    assert at.session_state[state.STORE_ID] == owner.tenant.id
    at.switch_page("views/products.py").run()
    assert at.data_editor[0].value["sku"].tolist() == ["MINE"]


def test_a_forged_viewer_cannot_open_another_store(
    admin, browser, platform, owner, other_owner
):
    browser.token = owner.token
    mine = viewer_of(platform, owner)
    forged = replace(mine, store_id=other_owner.tenant.id)

    assert auth.require_store(mine).id == owner.tenant.id
    with pytest.raises(auth.AccessDenied, match="not one of yours"):
        auth.require_store(forged)


def test_a_viewer_whose_session_ended_is_refused_before_any_call(
    admin, browser, platform, owner
):
    viewer = viewer_of(platform, owner)
    browser.token = owner.token
    with platform.registry() as conn:
        sessions.log_out(conn, owner.token)

    with pytest.raises(auth.AccessDenied, match="session has ended"):
        auth.require_store(viewer)


def test_another_accounts_session_cannot_act_as_this_viewer(
    admin, browser, platform, owner, other_owner
):
    viewer = viewer_of(platform, owner)
    browser.token = other_owner.token

    with pytest.raises(auth.AccessDenied, match="session has ended"):
        auth.require_store(viewer)


def test_another_stores_ids_reach_only_this_stores_database(
    admin, browser, platform, owner, other_owner
):
    theirs = variant_of(other_owner.tenant, "Their mug", "THEIRS", 9)
    browser.token = owner.token
    tenant = auth.require_store(viewer_of(platform, owner))

    # NOTE: ids are per database, so "their" id names, at most, a row of ours.
    with pytest.raises(NotFound):
        stock.adjust_stock(tenant, theirs + 1000, -1, reason="probe")
    with pytest.raises(NotFound):
        catalogue.update_variant(tenant, theirs + 1000, {"price": "0"})
    assert [lv.on_hand for lv in stock.stock_levels(other_owner.tenant)] == [9]


def test_a_cached_read_refuses_a_mismatched_store(admin, owner, other_owner):
    with pytest.raises(ValueError, match="is not tenant"):
        data.overview(owner.tenant.id, 0, _tenant=other_owner.tenant)


def test_cached_reads_are_keyed_by_store(admin, owner, other_owner):
    variant_of(other_owner.tenant, "Their mug", "THEIRS", 9)
    mine = data.overview(owner.tenant.id, 0, _tenant=owner.tenant)
    theirs = data.overview(other_owner.tenant.id, 0, _tenant=other_owner.tenant)

    assert (mine["products"], theirs["products"]) == (0, 1)


def test_staff_lose_the_store_when_the_grant_ends(
    admin, browser, platform, staff, owner
):
    grant = support.grant_support(platform, staff.id, owner.tenant.id, "t", hours=1)
    browser.token = staff.token
    viewer = viewer_of(platform, staff)
    assert auth.require_store(viewer).id == owner.tenant.id

    support.revoke(platform, grant.id, staff_id=staff.id)

    with pytest.raises(auth.AccessDenied, match="support access"):
        auth.require_store(viewer)


def test_support_access_never_covers_personal_data(
    admin, browser, platform, staff, owner
):
    support.grant_support(platform, staff.id, owner.tenant.id, "t", hours=1)
    browser.token = staff.token
    viewer = viewer_of(platform, staff)

    with pytest.raises(auth.AccessDenied, match="personal data"):
        auth.require_store(viewer, owner_only=True)


def test_a_grant_for_one_store_does_not_open_another(
    admin, browser, platform, staff, owner, other_owner
):
    support.grant_support(platform, staff.id, owner.tenant.id, "t", hours=1)
    browser.token = staff.token
    forged = replace(viewer_of(platform, staff), store_id=other_owner.tenant.id)

    with pytest.raises(auth.AccessDenied):
        auth.require_store(forged)
