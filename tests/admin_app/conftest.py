"""Fixtures for the dashboard: signed-in owners and staff, and AppTests of it.

AppTest cannot send cookies (``st.context.cookies`` is a mock there), so the
tests install the dashboard's context themselves (``admin_app.runtime``) with a
token reader that returns the token of a real session, opened in the registry
as a login would. Everything after the cookie is the production path: the
session is checked in the registry on every run and before every call.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from admin_app import runtime
from admin_app.asgi import create_app
from admin_app.config import load_settings
from apmt.admin_wiring import build_services
from tenancy import sessions, support

ENTRY = str(Path(__file__).resolve().parents[2] / "admin_app" / "streamlit_app.py")
PASSWORD = "correct horse battery staple"


@dataclass
class Browser:
    """What the test's pretend browser would send: one session token or none."""

    token: str | None = None


@pytest.fixture
def browser():
    return Browser()


@pytest.fixture
def admin(platform, browser):
    """The dashboard's context over the test platform, reading ``browser``."""
    before = runtime._context
    context = runtime.install(
        runtime.AdminContext(
            platform=platform,
            settings=load_settings(platform.config, {}),
            services=build_services(),
            read_token=lambda: browser.token,
        )
    )
    yield context
    runtime._context = before


@pytest.fixture(scope="session")
def asgi_app(platform):
    """The real ASGI app, started once: Streamlit's runtime cannot restart.

    The first client runs the app's lifespan (which starts the runtime);
    ``http`` clients made after it share the running app.
    """
    before = runtime._context
    app = create_app(platform)
    # NOTE: the routes hold their own platform; the scripts' context stays
    # whatever the ``admin`` fixture installs.
    runtime._context = before
    with TestClient(app):
        yield app


@pytest.fixture
def http(asgi_app):
    """A client with its own cookie jar and its own client address."""
    address = f"10.6.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return TestClient(asgi_app, client=(address, 50000), follow_redirects=False)


@pytest.fixture
def https(asgi_app):
    address = f"10.7.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    return TestClient(
        asgi_app,
        base_url="https://testserver",
        client=(address, 50000),
        follow_redirects=False,
    )


@dataclass
class Owner:
    tenant: object
    account_id: int
    email: str
    token: str


def sign_in_owner(platform, tenant):
    """Give the store's account a password and open a session for it."""
    account_id = tenant.store.account_id
    with platform.registry() as conn:
        sessions.set_password(conn, account_id, PASSWORD)
        email = conn.execute(
            "SELECT email FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()[0]
        session = sessions.open_session(conn, account_id=account_id)
    return Owner(tenant, account_id, email, session.token)


@pytest.fixture
def owner(platform, make_store):
    return sign_in_owner(platform, make_store())


@pytest.fixture
def other_owner(platform, make_store):
    return sign_in_owner(platform, make_store())


@dataclass
class StaffMember:
    id: int
    email: str
    token: str


def sign_in_staff(platform, role="support"):
    email = f"staff-{secrets.token_hex(4)}@apmt.test"
    staff_id = support.create_staff(platform, email, "Sam Staff", PASSWORD, role=role)
    with platform.registry() as conn:
        session = sessions.open_session(conn, staff_id=staff_id)
    return StaffMember(staff_id, email, session.token)


@pytest.fixture
def staff(platform):
    return sign_in_staff(platform)


def app_for(browser, token):
    """An AppTest of the dashboard whose browser sends ``token``."""
    browser.token = token
    return AppTest.from_file(ENTRY, default_timeout=60)


def texts(at, kind):
    return [element.value for element in getattr(at, kind)]
