"""The Privacy requests page: list with deadlines, extend, fulfil."""

import re

from commerce import privacy

from .conftest import app_for, texts

CODE = re.compile(r"^\s+(\d{6})$", re.M)
PAGE = "views/privacy.py"


def verified(tenant, kind, email="ada@example.com"):
    token = privacy.open_request(tenant, kind, email, "Please", "10.0.0.1")
    with tenant.connection() as conn:
        body = conn.execute(
            "SELECT body_text FROM outbox WHERE kind = 'privacy_code' "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()[0]
    privacy.verify_request(tenant, token, CODE.search(body).group(1))


def open_page(browser, owner):
    at = app_for(browser, owner.token).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_no_requests_says_so(admin, browser, owner):
    at = open_page(browser, owner)

    assert texts(at, "title") == ["Privacy requests"]
    assert "No privacy requests waiting." in texts(at, "info")


def test_an_owner_extends_then_answers_an_access_request(admin, browser, owner):
    verified(owner.tenant, "access")
    at = open_page(browser, owner)
    assert "Request #" in texts(at, "subheader")[0]

    at.text_input(key="privacy_extend_reason").set_value("Busy season")
    at.button(key="privacy_extend_button").click().run()
    assert any("Deadline moved" in s for s in texts(at, "success")), texts(at, "error")
    [request] = privacy.list_requests(owner.tenant)
    assert request.extension_reason == "Busy season"

    at.button(key="privacy_access_button").click().run()
    assert any("copy is ready" in s for s in texts(at, "success"))
    assert privacy.list_requests(owner.tenant)[0].status == "completed"


def test_deletion_needs_the_box_ticked(admin, browser, owner):
    verified(owner.tenant, "deletion")
    at = open_page(browser, owner)

    at.button(key="privacy_delete_button").click().run()
    assert any("Tick the box" in e for e in texts(at, "error"))

    at.checkbox(key="privacy_delete_confirm").check().run()
    at.button(key="privacy_delete_button").click().run()
    assert any("erased" in s for s in texts(at, "success"))
    [request] = privacy.list_requests(owner.tenant)
    assert request.status == "completed" and request.email is None


def test_an_owner_applies_a_correction(admin, browser, owner):
    verified(owner.tenant, "correction")
    at = open_page(browser, owner)

    at.text_input(key="privacy_fix_phone").set_value("+44 1")
    at.button(key="privacy_fix_button").click().run()

    assert any("corrected" in s for s in texts(at, "success")), texts(at, "error")
    assert privacy.list_requests(owner.tenant)[0].status == "completed"
