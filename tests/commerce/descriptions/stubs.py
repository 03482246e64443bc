"""A stub of the three AI providers' HTTP APIs, on 127.0.0.1 at a random port.

It answers the requests the real SDKs make, in each provider's wire format:
Anthropic ``POST /v1/messages``, OpenAI ``POST /v1/chat/completions`` and
Gemini ``POST /v1beta/models/<model>:generateContent``. Each provider answers
from a queue of planned behaviours, then from its default (a good answer),
and every request is recorded for the tests to inspect.
"""

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD_TEXTS = {
    "description_html": "<p>A sturdy stoneware mug that keeps coffee warm.</p>",
    "seo_title": "Stoneware Mug",
    "meta_description": "A sturdy stoneware mug that keeps coffee warm.",
    "alt_text": "Blue stoneware mug on a table",
}
_GEMINI_PATH = re.compile(r"/v1beta/models/([^/:]+):generateContent")


@dataclass
class Behaviour:
    status: int = 200
    texts: dict | None = None
    raw: str | None = None
    tokens_in: int = 400
    tokens_out: int = 250
    retry_after: str | None = None
    delay: float = 0.0
    truncated: bool = False


def answer(texts=None, *, raw=None, tokens_in=400, tokens_out=250, truncated=False):
    """A successful answer carrying ``texts`` (or exactly ``raw``)."""
    return Behaviour(texts=texts, raw=raw, tokens_in=tokens_in,
                     tokens_out=tokens_out, truncated=truncated)  # fmt: skip


def fail(status, *, retry_after=None):
    """An error answer in the provider's format."""
    return Behaviour(status=status, retry_after=retry_after)


def hang(seconds):
    """Answer well, but only after ``seconds`` (longer than the client waits)."""
    return Behaviour(delay=seconds)


@dataclass
class Captured:
    provider: str
    path: str
    headers: dict
    body: bytes
    json: dict = field(default_factory=dict)


class ProviderStub:
    def __init__(self):
        self.requests = []
        self.on_request = None
        """Called as ``on_request(provider, count)`` before each answer."""

        self._plans = {p: deque() for p in ("anthropic", "openai", "google")}
        self._defaults = {p: answer() for p in self._plans}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self):
        host, port = self._server.server_address
        return f"http://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def plan(self, provider, *behaviours):
        """Answer the next calls to ``provider`` with these, in order."""
        with self._lock:
            self._plans[provider].extend(behaviours)

    def set_default(self, provider, behaviour):
        with self._lock:
            self._defaults[provider] = behaviour

    def count(self, provider=None):
        return len(self.captured(provider))

    def captured(self, provider=None):
        with self._lock:
            return [r for r in self.requests if provider in (None, r.provider)]

    def _next(self, provider):
        with self._lock:
            planned = self._plans[provider]
            return planned.popleft() if planned else self._defaults[provider]

    def _record(self, captured):
        with self._lock:
            self.requests.append(captured)
            return sum(1 for r in self.requests if r.provider == captured.provider)


def _handler_for(stub):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            provider, model = _route(self.path)
            if provider is None:
                return self._send(404, {"error": {"message": "no such path"}})

            captured = Captured(provider, self.path, dict(self.headers), body)
            try:
                captured.json = json.loads(body or b"{}")
            except ValueError:
                pass
            count = stub._record(captured)
            if stub.on_request is not None:
                stub.on_request(provider, count)

            behaviour = stub._next(provider)
            if behaviour.delay and stub._stopping.wait(behaviour.delay):
                return
            if behaviour.status != 200:
                headers = {}
                if behaviour.retry_after is not None:
                    headers["retry-after"] = behaviour.retry_after
                return self._send(
                    behaviour.status, _error(provider, behaviour.status), headers
                )
            self._send(200, _success(provider, model, behaviour))

        def _send(self, status, payload, headers=None):
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting: the timeout cases

    return Handler


def _route(path):
    if path.endswith("/v1/messages"):
        return "anthropic", None
    if path.endswith("/v1/chat/completions"):
        return "openai", None
    match = _GEMINI_PATH.search(path)
    if match:
        return "google", match.group(1)
    return None, None


def _success(provider, model, behaviour):
    text = behaviour.raw
    if text is None:
        text = json.dumps(behaviour.texts or GOOD_TEXTS)
    tin, tout = behaviour.tokens_in, behaviour.tokens_out

    if provider == "anthropic":
        return {
            "id": "msg_stub", "type": "message", "role": "assistant",
            "model": "stub-claude",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if behaviour.truncated else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": tin, "output_tokens": tout},
        }  # fmt: skip
    if provider == "openai":
        return {
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 1,
            "model": "stub-gpt",
            "choices": [{
                "index": 0,
                "finish_reason": "length" if behaviour.truncated else "stop",
                "message": {"role": "assistant", "content": text},
            }],
            "usage": {"prompt_tokens": tin, "completion_tokens": tout,
                      "total_tokens": tin + tout},
        }  # fmt: skip
    return {
        "candidates": [{
            "content": {"role": "model", "parts": [{"text": text}]},
            "finishReason": "MAX_TOKENS" if behaviour.truncated else "STOP",
            "index": 0,
        }],
        "usageMetadata": {"promptTokenCount": tin, "candidatesTokenCount": tout,
                          "totalTokenCount": tin + tout},
        "modelVersion": model,
    }  # fmt: skip


def _error(provider, status):
    if provider == "anthropic":
        kind = "rate_limit_error" if status == 429 else "api_error"
        return {"type": "error", "error": {"type": kind, "message": "stub error"}}
    if provider == "openai":
        return {"error": {"message": "stub error", "type": "server_error",
                          "code": None}}  # fmt: skip
    names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": "stub error",
                      "status": names.get(status, "UNKNOWN")}}  # fmt: skip
