"""Security headers on every response, and the CSP hash of Streamlit's script."""

import base64
import hashlib
import re

import pytest

from admin_app import security

INDEX = """<!doctype html><html><head>
<script>window.prerenderReady = false</script>
<script type="module" src="./static/js/index.js"></script>
</head><body></body></html>"""


def test_the_hash_is_of_each_inline_script_only(tmp_path):
    page = tmp_path / "index.html"
    page.write_text(INDEX)
    expected = base64.b64encode(
        hashlib.sha256(b"window.prerenderReady = false").digest()
    ).decode()

    assert security.inline_script_hashes(page) == (f"'sha256-{expected}'",)


def test_the_installed_streamlit_has_its_inline_script_hashed():
    hashes = security.inline_script_hashes()

    assert len(hashes) == 1
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", hashes[0])


def test_the_policy_allows_only_our_origin_and_that_script():
    policy = security.content_security_policy(("'sha256-abc='",))
    directives = dict(part.split(" ", 1) for part in policy.split("; "))

    assert directives["script-src"] == "'self' 'sha256-abc='"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in policy


@pytest.mark.parametrize(
    "path", ["/", "/_stcore/health", "/auth/login", "/products", "/no/such/page"]
)
def test_every_response_carries_the_headers(http, path):
    response = http.get(path)

    csp = response.headers["content-security-policy"]
    assert security.inline_script_hashes()[0] in csp
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in response.headers


def test_hsts_is_sent_over_https(https):
    response = https.get("/auth/login")

    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_redirects_and_refusals_carry_them_too(http):
    response = http.post("/auth/login", data={"email": "x@example.com"})

    assert response.status_code == 403
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
