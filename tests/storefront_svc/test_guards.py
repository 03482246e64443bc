"""Body-size limit, CSRF on every form post, rate limits on the busy forms."""

import falcon
import falcon.testing
import pytest

from storefront_svc.bodylimit import BodyLimit
from tests.storefront_svc.conftest import Shopper, host_of

FORM = "application/x-www-form-urlencoded"
MESSAGE = {"name": "Ada", "email": "ada@example.com", "message": "Hello"}


def count(tenant, table):
    with tenant.connection() as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_a_body_over_the_limit_is_refused_before_it_is_read(make_client, shop):
    client = make_client(max_body_bytes=1024)
    result = client.simulate_post(
        "/contact", host=host_of(shop), body="a=" + "x" * 2000, content_type=FORM
    )
    assert result.status_code == 413
    assert "Too much data" in result.text


def test_a_chunked_body_needs_a_length():
    req = falcon.testing.create_req(
        method="POST", path="/contact", headers={"Transfer-Encoding": "chunked"}
    )
    with pytest.raises(falcon.HTTPLengthRequired):
        BodyLimit(1024).process_request(req, None)


def test_a_form_without_its_token_is_refused(client, shop):
    shopper = Shopper(client, host_of(shop))
    shopper.get("/contact")

    assert shopper.post("/contact", MESSAGE, token=False).status_code == 403
    assert shopper.post(
        "/contact", {**MESSAGE, "csrf_token": "forged"}
    ).status_code == (403)
    assert count(shop, "contact_messages") == 0
    assert shopper.post("/contact", MESSAGE).status_code == 303
    assert count(shop, "contact_messages") == 1


def test_a_token_is_only_good_with_its_own_cookie_and_store(client, shop, make_store):
    other = make_store()
    mine = Shopper(client, host_of(shop))
    mine.get("/contact")
    theirs = Shopper(client, host_of(other))
    theirs.get("/contact")

    # Someone else's token with my cookie, and my token on another store.
    swapped = Shopper(client, host_of(shop))
    swapped.cookies, swapped.token = dict(mine.cookies), theirs.token
    assert swapped.post("/contact", MESSAGE).status_code == 403
    elsewhere = Shopper(client, host_of(other))
    elsewhere.cookies, elsewhere.token = dict(mine.cookies), mine.token
    assert elsewhere.post("/contact", MESSAGE).status_code == 403


def test_the_token_cookie_is_set_only_with_a_form(client, read_only_shop):
    host = host_of(read_only_shop)
    assert "csrf" not in client.simulate_get("/products", host=host).cookies
    cookie = client.simulate_get("/contact", host=host).cookies["csrf"]
    assert cookie.http_only and cookie.same_site == "Lax" and cookie.path == "/"


def test_anything_but_a_form_is_refused_by_form_resources(client, shop):
    shopper = Shopper(client, host_of(shop))
    shopper.get("/contact")
    result = shopper._send("POST", "/contact", json={"csrf_token": shopper.token})
    assert result.status_code == 415


def test_webhooks_need_no_form_token(client, read_only_shop):
    result = client.simulate_post(
        "/webhooks/stripe",
        host=host_of(read_only_shop),
        body="{}",
        content_type="application/json",
    )
    # Refused because the store takes no Stripe payments, not for a missing
    # form token (which would be a 403).
    assert result.status_code in (400, 404)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/contact", MESSAGE),
        ("/newsletter", {"email": "ada@example.com"}),
        ("/privacy/requests", {"email": "ada@example.com", "kind": "access"}),
        ("/checkout", {}),
    ],
)
def test_busy_forms_are_rate_limited_per_address(make_client, shop, path, fields):
    client = make_client(form_rate_limit="2/minute")
    shopper = Shopper(client, host_of(shop), ip="198.51.100.1")
    shopper.get("/contact")

    answers = [shopper.post(path, fields).status_code for _ in range(3)]
    assert answers[:2] != [429, 429] and answers[2] == 429
    refused = shopper.post(path, fields)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1

    neighbour = Shopper(client, host_of(shop), ip="198.51.100.2")
    neighbour.get("/contact")
    assert neighbour.post(path, fields).status_code != 429
