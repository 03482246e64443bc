"""The /auth routes over HTTP, through the real ASGI app."""

import re
import secrets

import pytest

from admin_app.routes import CSRF_COOKIE, RESET_COOKIE
from admin_app.runtime import SESSION_COOKIE
from tenancy import SessionInvalid, delete_store, sessions

from .conftest import PASSWORD

HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path):
    page = client.get(path)
    assert page.status_code == 200
    return HIDDEN_CSRF.search(page.text).group(1)


def post(client, path, data, *, token=None, **kwargs):
    token = token if token is not None else csrf(client, path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def set_cookie_header(response, name):
    return next(
        (
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith(f"{name}=")
        ),
        "",
    )


def signup_form(**changes):
    slug = f"su{secrets.token_hex(4)}"
    return {
        "owner_name": "Ada Owner",
        "email": f"{slug}@example.com",
        "business_name": "Ada's Mugs",
        "slug": slug,
        "password": PASSWORD,
        **changes,
    }


@pytest.fixture
def signed_up(platform):
    """Delete the stores the test signs up."""
    slugs = []
    yield slugs
    for slug in slugs:
        delete_store(platform, slug)


def check(platform, token):
    with platform.registry() as conn:
        return sessions.check_session(conn, token)


# -- forms and CSRF -----------------------------------------------------------


def test_a_form_sets_a_strict_httponly_csrf_cookie(http):
    page = http.get("/auth/login")

    cookie = set_cookie_header(page, CSRF_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert HIDDEN_CSRF.search(page.text).group(1) == http.cookies[CSRF_COOKIE]
    assert page.headers["cache-control"] == "no-store"


def test_over_https_the_csrf_cookie_is_host_prefixed_and_secure(https):
    page = https.get("/auth/login")

    cookie = set_cookie_header(page, f"__Host-{CSRF_COOKIE}")
    assert "Secure" in cookie and "Path=/" in cookie


@pytest.mark.parametrize("token", ["", "forged-token-forged-token-forged-token-xx"])
def test_a_post_without_the_forms_token_is_refused(http, owner, token):
    http.get("/auth/login")
    response = post(
        http, "/auth/login", {"email": owner.email, "password": PASSWORD}, token=token
    )

    assert response.status_code == 403
    assert SESSION_COOKIE not in http.cookies


def test_a_post_from_another_origin_is_refused(http, owner):
    token = csrf(http, "/auth/login")
    response = http.post(
        "/auth/login",
        data={"email": owner.email, "password": PASSWORD, "csrf_token": token},
        headers={"origin": "https://evil.example"},
    )

    assert response.status_code == 403
    assert "another site" in response.text


# -- log in and out -----------------------------------------------------------


def test_login_sets_an_httponly_lax_session_cookie(http, platform, owner):
    response = post(http, "/auth/login", {"email": owner.email, "password": PASSWORD})

    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = set_cookie_header(response, SESSION_COOKIE)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie
    assert check(platform, http.cookies[SESSION_COOKIE]).account_id == owner.account_id


def test_over_https_the_session_cookie_is_secure(https, owner):
    response = post(https, "/auth/login", {"email": owner.email, "password": PASSWORD})

    assert "Secure" in set_cookie_header(response, SESSION_COOKIE)


def test_a_wrong_password_says_no_more_than_that(http, owner):
    wrong = post(http, "/auth/login", {"email": owner.email, "password": "nope" * 3})
    unknown = post(
        http, "/auth/login", {"email": "nobody@example.com", "password": "nope" * 3}
    )

    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong email or password." in wrong.text
    assert SESSION_COOKIE not in http.cookies


def test_failed_logins_are_rate_limited(http, owner):
    for _ in range(sessions.MAX_FAILURES):
        post(http, "/auth/login", {"email": owner.email, "password": "wrong" * 3})
    response = post(http, "/auth/login", {"email": owner.email, "password": PASSWORD})

    assert response.status_code == 401
    assert "Too many failed logins" in response.text


def test_logout_needs_the_sessions_token_and_revokes_it(http, platform, owner):
    http.cookies.set(SESSION_COOKIE, owner.token)
    page = http.get("/auth/logout")
    token = HIDDEN_CSRF.search(page.text).group(1)

    refused = http.post("/auth/logout", data={"csrf_token": "x" * 43})
    assert refused.status_code == 403
    assert check(platform, owner.token)

    done = http.post("/auth/logout", data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].startswith(
        "/auth/login"
    )
    assert f'{SESSION_COOKIE}=""' in set_cookie_header(done, SESSION_COOKIE)
    with pytest.raises(SessionInvalid):
        check(platform, owner.token)


def test_a_tampered_cookie_is_just_logged_out(http, owner):
    http.cookies.set(SESSION_COOKIE, owner.token[:-2] + "xx")

    response = http.get("/auth/logout")

    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login")


def test_staff_log_in_on_their_own_form(http, platform, staff):
    response = post(
        http, "/auth/staff/login", {"email": staff.email, "password": PASSWORD}
    )

    assert response.status_code == 303
    assert check(platform, http.cookies[SESSION_COOKIE]).staff_id == staff.id


def test_an_owners_password_does_not_open_the_staff_form(http, owner):
    response = post(
        http, "/auth/staff/login", {"email": owner.email, "password": PASSWORD}
    )

    assert response.status_code == 401


# -- sign up ------------------------------------------------------------------


def test_signup_creates_the_account_and_store_and_logs_in(http, platform, signed_up):
    form = signup_form()
    response = post(http, "/auth/signup", form)
    signed_up.append(form["slug"])

    assert response.status_code == 303, response.text
    session = check(platform, http.cookies[SESSION_COOKIE])
    store = platform.store(form["slug"])
    assert store.status == "active" and store.account_id == session.account_id
    assert store.display_name == "Ada's Mugs"
    with platform.registry() as conn:
        audit = conn.execute(
            "SELECT actor FROM audit_log WHERE store_id = %s AND action = %s",
            (store.id, "account.signed_up"),
        ).fetchone()
    assert audit == (f"account:{session.account_id}",)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "Not A Slug!"}, "Invalid store slug"),
        ({"slug": "admin"}, "reserved"),
        ({"password": "short"}, "at least 10 characters"),
        ({"email": "not-an-address"}, "is not an email address"),
        ({"owner_name": "  "}, "Your name is required"),
    ],
)
def test_signup_says_what_to_fix(http, changes, message):
    response = post(http, "/auth/signup", signup_form(**changes))

    assert response.status_code == 400
    assert message in response.text
    assert SESSION_COOKIE not in http.cookies


def test_signup_keeps_what_was_typed_except_the_password(http):
    form = signup_form(slug="Bad Slug")
    response = post(http, "/auth/signup", form)

    assert f'value="{form["email"]}"' in response.text
    assert PASSWORD not in response.text


def test_signup_refuses_a_taken_slug(http, tenant):
    response = post(http, "/auth/signup", signup_form(slug=tenant.store.slug))

    assert response.status_code == 400
    assert "That store address is taken" in response.text


def test_signup_cannot_claim_an_account_made_by_the_cli(http, platform, tenant):
    email = f"owner-{tenant.store.slug}@example.com"
    response = post(http, "/auth/signup", signup_form(email=email.upper()))

    assert response.status_code == 400
    assert "already exists" in response.text
    with platform.registry() as conn:
        stored = conn.execute(
            "SELECT password_hash FROM accounts WHERE id = %s",
            (tenant.store.account_id,),
        ).fetchone()[0]
    assert stored is None


def test_signups_from_one_address_are_limited(http, owner):
    for _ in range(sessions.MAX_FAILURES):
        taken = post(http, "/auth/signup", signup_form(email=owner.email))
        assert "already exists" in taken.text
    response = post(http, "/auth/signup", signup_form())

    assert response.status_code == 400
    assert "Too many sign-ups" in response.text


# -- password reset -----------------------------------------------------------


def reset_mail(platform, email):
    with platform.registry() as conn:
        row = conn.execute(
            """SELECT body_text FROM outbox WHERE recipient = %s
               AND kind = 'password_reset' ORDER BY id DESC LIMIT 1""",
            (email,),
        ).fetchone()
    return row[0] if row else None


def test_reset_answers_the_same_for_unknown_addresses(http, platform, owner):
    known = post(http, "/auth/reset", {"email": owner.email})
    unknown = post(http, "/auth/reset", {"email": "nobody-here@example.com"})

    assert known.status_code == unknown.status_code == 200
    assert "If an account uses that address" in known.text
    assert known.text == unknown.text
    assert reset_mail(platform, "nobody-here@example.com") is None
    assert "/auth/reset/confirm?token=" in reset_mail(platform, owner.email)


def test_a_reset_link_sets_a_new_password_once_and_ends_sessions(http, platform, owner):
    post(http, "/auth/reset", {"email": owner.email})
    link = re.search(r"http\S+", reset_mail(platform, owner.email)).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    confirm = http.get("/" + path)
    assert confirm.status_code == 303
    assert confirm.headers["location"] == "/auth/reset/new"
    assert "HttpOnly" in set_cookie_header(confirm, RESET_COOKIE)

    new_password = "a brand new password"
    form = {"password": new_password, "repeat": new_password}
    done = post(http, "/auth/reset/new", form)
    assert done.status_code == 303
    assert done.headers["location"] == "/auth/login?done=reset"
    with pytest.raises(SessionInvalid):
        check(platform, owner.token)

    logged_in = post(
        http, "/auth/login", {"email": owner.email, "password": new_password}
    )
    assert logged_in.status_code == 303

    http.get("/" + path)
    again = post(http, "/auth/reset/new", form)
    assert again.status_code == 400
    assert "expired or was already used" in again.text


def test_the_reset_form_without_a_link_goes_back_to_the_request(http):
    response = http.get("/auth/reset/new")

    assert response.status_code == 303
    assert response.headers["location"] == "/auth/reset"
