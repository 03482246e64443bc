"""Security headers on every response, and the CSP that lets Streamlit run.

Streamlit's ``index.html`` carries one inline ``<script>``. Rather than allow
``'unsafe-inline'``, the policy names that script by its SHA-256, computed at
start-up from the installed Streamlit, so an upgrade that changes the script
changes the hash with it.
"""

import base64
import hashlib
import re
from pathlib import Path

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

HSTS = b"max-age=63072000; includeSubDomains"


def streamlit_index():
    import streamlit

    return Path(streamlit.__file__).parent / "static" / "index.html"


def inline_script_hashes(index_html=None):
    """CSP source expressions for each inline script of Streamlit's index page."""
    text = Path(index_html or streamlit_index()).read_text(encoding="utf-8")
    return tuple(
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(text)
    )


def content_security_policy(script_hashes):
    """The policy: same-origin everything, Streamlit's inline script by hash.

    ``style-src`` needs ``'unsafe-inline'`` because Streamlit styles its
    widgets from JavaScript; ``connect-src 'self'`` covers its websocket.
    """
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(("'self'", *script_hashes)),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "media-src": "'self' blob:",
        "worker-src": "'self' blob:",
        "frame-src": "'self'",
        "frame-ancestors": "'self'",
        "form-action": "'self'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeaders:
    """Pure ASGI middleware: adds the headers to every HTTP response.

    Pure ASGI rather than Starlette's ``BaseHTTPMiddleware`` so that it never
    buffers a response or gets in the way of the websocket. A header a route
    set itself is left alone. HSTS is sent only over HTTPS, where browsers
    heed it.
    """

    def __init__(self, app, *, csp):
        self.app = app
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = list(self.headers)
        if scope.get("scheme") == "https":
            extra.append((b"strict-transport-security", HSTS))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
