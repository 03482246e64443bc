"""What the end-to-end walk needs around its browser.

Its own storefront (gunicorn) and dashboard (Streamlit) in subprocesses on
free 127.0.0.1 ports, a Stripe stand-in that also serves a hosted checkout
page, the store's mail as the outbox holds it, the dashboard's widgets as a
person finds them, and where the screenshots go.
"""

import contextlib
import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.commerce.payments.fakes import StripeApi
from tests.commerce.payments.stubs import Stub
from tests.conftest import keys_env

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
START_SECONDS = 90
# Our own servers only: the dashboard and stub on 127.0.0.1, stores on
# <slug>.localhost, which Chromium resolves to 127.0.0.1 by itself.
OURS = re.compile(r"^http://(127\.0\.0\.1|[a-z0-9-]+\.localhost):\d+/")
URL = re.compile(r"https?://\S+")
STRIPE_CHECKOUT = "https://checkout.stripe.com"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(base_config, keyring, storefront_port):
    """The environment both servers run with, over the test session's platform.

    The storefront port is the platform's public one, so that links in mail
    (newsletter confirmation, Stripe's return address) lead to this storefront.
    """
    return {
        **os.environ,
        "DATABASE_URL": base_config.database_url,
        "APMT_DB_PREFIX": base_config.db_prefix,
        "APMT_DATA_DIR": str(base_config.data_dir),
        "APMT_MASTER_KEYS": keys_env(keyring),
        "APMT_STOREFRONT_PORT": str(storefront_port),
        "STOREFRONT_WORKERS": "2",
        "STOREFRONT_THREADS": "4",
        # Changes by the owner (a new payment provider) show at once.
        "STOREFRONT_STORE_CACHE_SECONDS": "0",
    }


@contextlib.contextmanager
def storefront(env, port, log_path):
    """The storefront as ``apmt serve storefront`` runs it; yields its port."""
    code = (
        "import argparse; from apmt.serve_commands import run_storefront; "
        f"run_storefront(argparse.Namespace(host='127.0.0.1', port={port}))"
    )
    command = [sys.executable, "-c", code]
    with _running(command, env, log_path, f"http://127.0.0.1:{port}/healthz"):
        yield port


@contextlib.contextmanager
def dashboard(env, port, log_path):
    """The dashboard as ``apmt serve admin`` runs it; yields its base URL."""
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "apmt.admin_wiring",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with _running(command, env, log_path, f"{base}/_stcore/health"):
        yield base


@contextlib.contextmanager
def _running(command, env, log_path, health_url):
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_healthy(health_url, process, log_path)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(url, process, log_path):
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer in time:\n{log_path.read_text()[-3000:]}")


# -- Stripe ---------------------------------------------------------------------


class HostedStripe(StripeApi):
    """Stripe's API as the payment tests fake it, plus its hosted checkout page.

    Sessions keep Stripe's own checkout address, the one origin the
    storefront's form-action policy lets a payment form's redirect reach; the
    browser is answered for it from this stub (``serve_hosted_checkout``).
    """

    def __init__(self, stub):
        super().__init__(stub)
        self._return_to = {}
        stub.route("GET", r"/c/pay/([^/]+)", self.hosted_page)

    def create(self, request):
        status, session = super().create(request)
        form = request.form()
        session["customer_email"] = form.get("customer_email")
        self._return_to[session["id"]] = form["success_url"]
        return status, session

    def hosted_page(self, request):
        session = self.sessions[request.match.group(1)]
        amount = session["amount_total"] / 100
        page = (
            "<!doctype html><title>Test checkout</title>"
            "<h1>Stripe test checkout</h1>"
            f"<p>Pay {amount:.2f} {session['currency'].upper()}</p>"
            f'<a href="{html.escape(self._return_to[session["id"]])}">'
            "Back to the shop</a>"
        )
        return 200, page.encode(), {"type": "text/html; charset=utf-8"}


def serve_hosted_checkout(page, stub_url):
    """Answer Stripe's hosted checkout pages inside the browser, from the stub.

    Playwright fulfils the request itself, so nothing leaves the machine.
    """

    def from_stub(route):
        path = urlsplit(route.request.url).path
        with urllib.request.urlopen(stub_url + path, timeout=10) as reply:  # noqa: S310
            route.fulfill(
                status=reply.status,
                content_type=reply.headers["Content-Type"],
                body=reply.read(),
            )

    page.route(f"{STRIPE_CHECKOUT}/c/pay/*", from_stub)


@contextlib.contextmanager
def stripe_stand_in():
    """A stub server on 127.0.0.1 answering as Stripe; yields it and its state."""
    stub = Stub()
    try:
        yield stub, HostedStripe(stub)
    finally:
        stub.close()


def post_webhook(port, host, provider, raw, headers):
    """Deliver a provider's webhook to the storefront; (status, JSON answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(
            "POST",
            f"/webhooks/{provider}",
            body=raw,
            headers={"Host": host, "Content-Type": "application/json", **headers},
        )
        reply = conn.getresponse()
        return reply.status, json.loads(reply.read() or b"null")
    finally:
        conn.close()


# -- mail -----------------------------------------------------------------------


def last_mail(tenant, kind):
    """The body of the newest mail of ``kind`` in the store's outbox.

    The outbox is where the store puts mail for the mail worker to send; the
    tests read it there, as the storefront tests do.
    """
    with tenant.connection() as conn:
        row = conn.execute(
            "SELECT body_text FROM outbox WHERE kind = %s ORDER BY id DESC LIMIT 1",
            (kind,),
        ).fetchone()
    assert row is not None, f"no {kind} mail in the outbox"
    return row[0]


def first_link(text):
    return URL.search(text).group(0)


def six_digit_code(text):
    return re.search(r"^\s+(\d{6})$", text, re.M).group(1)


# -- the browser ----------------------------------------------------------------


def new_page(browser, problems):
    """A page in a fresh context (its own cookies) that may reach only us."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        lambda url: not OURS.match(url),
        lambda route: (
            problems.append(f"outside request {route.request.url}"),
            route.abort(),
        ),
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "response",
        lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"),
    )
    return page


class Dashboard:
    """The owner's dashboard as a person finds its parts: by their labels."""

    def __init__(self, page, base):
        self.page = page
        self.base = base

    def open(self, link, title=None):
        """Follow a sidebar link and wait for the page's title."""
        target = self.page.get_by_role("link", name=link, exact=True)
        if not target.is_visible():
            # The sidebar folds long page lists under "View N more".
            self.page.get_by_text(re.compile(r"^View \d+ more$")).click()
        target.click()
        self.wait_for_title(title or link)

    def wait_for_title(self, title):
        self.page.get_by_role("heading", name=title, level=1).wait_for()

    def see(self, text):
        self.page.get_by_text(text).first.wait_for()

    def scroll_to(self, heading):
        """Bring a section to the top: Streamlit scrolls its own main area, so
        a full-page screenshot shows only what is in view."""
        self.page.get_by_role("heading", name=heading, exact=True).evaluate(
            "element => element.scrollIntoView({block: 'start'})"
        )

    def see_in_table(self, text):
        """Wait for a cell of a data frame holding ``text``.

        Data frames are drawn on a canvas; their cells are mirrored in a grid
        kept for screen readers, hidden from sight, which is what we can read.
        """
        cell = self.page.get_by_role(
            "gridcell", name=text, exact=True, include_hidden=True
        )
        cell.first.wait_for(state="attached")

    def widget(self, testid, label):
        return self.page.get_by_test_id(testid).filter(
            has=self.page.get_by_text(label, exact=True)
        )

    def choose(self, label, option, *, testid="stSelectbox"):
        """Pick ``option`` in a select box (or multiselect) by typing it."""
        self.widget(testid, label).locator("input").click()
        self.page.keyboard.type(option)
        self.page.get_by_role("option", name=option).first.click()
        if testid == "stMultiSelect":
            self.page.keyboard.press("Escape")

    def fill(self, label, value):
        """Type into a text or number input (not its help button, same label)."""
        field = self.page.locator("input").and_(
            self.page.get_by_label(label, exact=True)
        )
        field.fill(value)

    def wait_for_metric(self, label, value):
        metric = self.widget("stMetric", label).get_by_test_id("stMetricValue")
        metric.filter(has_text=re.compile(rf"^{re.escape(value)}$")).wait_for()

    def button(self, name):
        self.page.get_by_role("button", name=name, exact=True).click()


class Screenshots:
    """Into docs/screenshots/ with APMT_SCREENSHOTS=1, else a temporary folder,
    so that an ordinary test run leaves the work tree as it was."""

    def __init__(self, tmp_path):
        wanted = os.environ.get("APMT_SCREENSHOTS") == "1"
        self.folder = SCREENSHOTS if wanted else tmp_path

    def take(self, page, name):
        # A dashboard page still running shows "Running…" and a Stop button:
        # wait for it to finish (other pages have no such widget).
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden")
        page.screenshot(path=self.folder / name, full_page=True)
