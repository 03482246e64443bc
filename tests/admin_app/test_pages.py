"""Every page for every role, through AppTest with a real session."""

import pytest

from admin_app.streamlit_app import STAFF_PAGES, STORE_PAGES, SUPPORT_PAGES
from tenancy import support, suspend_store

from .conftest import app_for, texts

OWNER_PAGES = [spec for group in STORE_PAGES.values() for spec in group]
PLATFORM_PAGES = [spec for group in STAFF_PAGES.values() for spec in group]
NOT_FOR_SUPPORT = [spec for spec in OWNER_PAGES if spec[2] not in SUPPORT_PAGES]


def open_page(at, path):
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def refused(at, path):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(path)


@pytest.fixture
def granted(platform, staff, owner):
    support.grant_support(platform, staff.id, owner.tenant.id, "ticket 42", hours=1)
    return staff


def test_nobody_signed_in_gets_the_sign_in_page_only(admin, browser):
    at = app_for(browser, None).run()

    assert texts(at, "title") == ["APMTSales"]
    for path, _, _ in OWNER_PAGES + PLATFORM_PAGES:
        refused(at, path)


@pytest.mark.parametrize(("path", "title", "url"), OWNER_PAGES)
def test_an_owner_opens_every_store_page(admin, browser, owner, path, title, url):
    at = app_for(browser, owner.token).run()
    open_page(at, path)

    assert texts(at, "title") == [title]
    assert not texts(at, "error")


def test_an_owner_gets_no_staff_pages(admin, browser, owner):
    at = app_for(browser, owner.token).run()

    assert texts(at, "title") == ["Overview"]
    for path, _, _ in PLATFORM_PAGES:
        refused(at, path)


@pytest.mark.parametrize(("path", "title", "url"), PLATFORM_PAGES)
def test_staff_open_the_platform_pages(admin, browser, staff, path, title, url):
    at = app_for(browser, staff.token).run()
    open_page(at, path)

    assert texts(at, "title") == [title]
    assert not texts(at, "error")


def test_staff_without_a_grant_get_no_store_pages(admin, browser, staff):
    at = app_for(browser, staff.token).run()

    assert texts(at, "title") == ["Stores"]
    for path, _, _ in OWNER_PAGES:
        refused(at, path)


@pytest.mark.parametrize(
    ("path", "title", "url"),
    [spec for spec in OWNER_PAGES if spec[2] in SUPPORT_PAGES],
)
def test_a_grant_opens_the_support_pages(admin, browser, granted, path, title, url):
    at = app_for(browser, granted.token).run()
    open_page(at, path)

    assert texts(at, "title") == [title]
    assert not texts(at, "error")


def test_a_grant_never_opens_personal_data_or_settings(admin, browser, granted):
    at = app_for(browser, granted.token).run()

    for path, _, _ in NOT_FOR_SUPPORT:
        refused(at, path)


def test_a_suspended_store_can_be_read_and_exported_not_changed(
    admin, browser, platform, owner
):
    suspend_store(platform, owner.tenant.id, reason="test")
    at = app_for(browser, owner.token).run()

    assert texts(at, "title") == ["Overview"]
    assert any("suspended" in w for w in texts(at, "warning"))
    open_page(at, "views/exports.py")
    assert not texts(at, "error")
    open_page(at, "views/products.py")
    assert any("suspended" in e for e in texts(at, "error"))


def test_opening_a_page_counts_one_view_and_reruns_do_not(
    admin, browser, owner, platform
):
    def views():
        with platform.registry() as conn:
            return conn.execute(
                """SELECT detail->>'page' FROM usage_events
                   WHERE kind = 'admin_page_view' AND account_id = %s ORDER BY id""",
                (owner.account_id,),
            ).fetchall()

    at = app_for(browser, owner.token).run()
    at.run()
    open_page(at, "views/stock.py")
    at.run()

    assert [page for (page,) in views()] == ["overview", "stock"]
