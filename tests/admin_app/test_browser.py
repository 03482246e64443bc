"""The dashboard in a real Chromium, against a real server on 127.0.0.1.

The server is started the way ``apmt serve admin`` starts it
(``apmt.admin_wiring.serve_admin``), in a subprocess on a free port, over the
test session's registry. The browser may reach only that server.

TODO(#4): after adding the product, see it on the storefront.
"""

import contextlib
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from commerce import catalogue
from tenancy import StoreNotFound, delete_store
from tests.conftest import keys_env

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
sync_api = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base, process, log):
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the admin server exited:\n{log.read_text()}")
        try:
            health = f"{base}/_stcore/health"
            reply = urllib.request.urlopen(health, timeout=2)  # noqa: S310
            with reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"the admin server did not start:\n{log.read_text()}")


@pytest.fixture
def server(platform, base_config, keyring, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": platform.primary_dsn,
        "APMT_DB_PREFIX": base_config.db_prefix,
        "APMT_DATA_DIR": str(base_config.data_dir),
        "APMT_MASTER_KEYS": keys_env(keyring),
    }
    log = tmp_path / "admin.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "apmt.admin_wiring",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def new_page(browser, base, problems, cookies=()):
    context = browser.new_context()
    context.add_cookies(list(cookies))
    # Nothing but our own server: any other request fails the test.
    context.route(
        re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"),
        lambda route: (
            problems.append(f"outside request {route.request.url}"),
            route.abort(),
        ),
    )
    page = context.new_page()
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    page.set_default_timeout(WAIT_MS)
    return context, page


def heading(page, text):
    page.get_by_role("heading", name=text, level=1).wait_for()


def test_sign_up_log_in_add_a_product_log_out(server, chromium, platform):
    problems = []
    slug = f"br{secrets.token_hex(4)}"
    email = f"{slug}@example.com"
    context, page = new_page(chromium, server, problems)

    try:
        page.goto(f"{server}/")
        page.get_by_role("link", name="Sign up").click()
        page.fill("#owner_name", "Bea Browser")
        page.fill("#email", email)
        page.fill("#business_name", "Bea's Bowls")
        page.fill("#slug", slug)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Open my store").click()
        heading(page, "Overview")

        cookie = next(c for c in context.cookies() if c["name"] == "apmt_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find("apmt_session") == -1

        page.get_by_role("link", name="Log out").click()
        page.get_by_role("button", name="Log out").click()
        page.get_by_text("You are logged out.").wait_for()

        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Log in").click()
        heading(page, "Overview")

        page.get_by_role("link", name="Products").click()
        heading(page, "Products")
        page.locator("input[aria-label='Title']").fill("Blue bowl")
        page.locator("input[aria-label='SKU']").fill("BOWL-1")
        page.get_by_role("button", name="Add product").click()
        page.get_by_text("Added Blue bowl.").wait_for()
        tenant = platform.tenant(slug)
        assert [p.title for p in catalogue.list_products(tenant).items] == ["Blue bowl"]

        old = [c for c in context.cookies() if c["name"] == "apmt_session"]
        page.get_by_role("link", name="Log out").click()
        page.get_by_role("button", name="Log out").click()
        page.get_by_text("You are logged out.").wait_for()

        replay, again = new_page(chromium, server, problems, cookies=old)
        for path in ("/", "/products"):
            again.goto(f"{server}{path}")
            again.get_by_text("Log in to manage your store").wait_for()
        assert again.get_by_role("heading", name="Products").count() == 0
        replay.close()
    finally:
        context.close()
        with contextlib.suppress(StoreNotFound):
            delete_store(platform, slug)

    assert not problems, problems
