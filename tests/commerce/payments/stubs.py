"""Stub provider APIs of ours on 127.0.0.1: one threaded HTTP server per test.

Routes are ``(method, path regex) -> handler(request) -> (status, body)``;
a dict or list body is sent as JSON, bytes as they are. Every request is
kept, so tests can see what the SDKs sent (headers, idempotency keys, form
or JSON bodies).
"""

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict
    headers: dict
    body: bytes
    match: re.Match = field(repr=False, default=None)

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self):
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}


class Stub:
    def __init__(self):
        self.routes = []
        self.requests = []
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload, headers = stub.answer(
                    self.command, self.path, dict(self.headers.items()), body
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload)
                data = data.encode() if isinstance(data, str) else data
                self.send_response(status)
                self.send_header(
                    "Content-Type", headers.get("type", "application/json")
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def route(self, method, pattern, handler):
        """Add (or, for the same method and pattern, replace) a route."""
        self.routes = [r for r in self.routes if r[:2] != (method, pattern)]
        self.routes.insert(0, (method, pattern, handler))

    def answer(self, method, raw_path, headers, body):
        parts = urlsplit(raw_path)
        request = Request(
            method,
            parts.path,
            {k: v[-1] for k, v in parse_qs(parts.query).items()},
            {k.lower(): v for k, v in headers.items()},
            body,
        )
        with self._lock:
            self.requests.append(request)
        for verb, pattern, handler in self.routes:
            found = re.fullmatch(pattern, parts.path)
            if verb == method and found:
                request.match = found
                result = handler(request)
                return result if len(result) == 3 else (*result, {})
        return 404, {"error": f"no stub for {method} {parts.path}"}, {}

    def seen(self, method, pattern):
        return [
            r
            for r in self.requests
            if r.method == method and re.fullmatch(pattern, r.path)
        ]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
