"""The one interface every description writer implements, and the order of them.

A writer turns a ``WriteRequest`` into a ``Reply``: the raw answer text and
the token usage the provider reported. It raises ``WriterFailed`` (or
``WriterRateLimited``) when the call fails and ``OutputRejected`` when the
answer is cut off; reading the answer is left to ``output.parse_texts``, the
same for every writer. Provider SDKs are imported only when their writer is
used.
"""

import importlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .errors import WriterNotConfigured
from .keys import load_store_ai_keys
from .settings import PROVIDERS

OFFLINE = "offline"
WRITER_NAMES = (*PROVIDERS, OFFLINE)
_PROVIDER_NAMES = {"anthropic": "Anthropic", "openai": "OpenAI", "google": "Google"}
_MODULES = {
    "anthropic": ("commerce.descriptions.anthropic_writer", "AnthropicWriter"),
    "openai": ("commerce.descriptions.openai_writer", "OpenAIWriter"),
    "google": ("commerce.descriptions.google_writer", "GoogleWriter"),
}


@dataclass(frozen=True)
class Reply:
    """A writer's raw answer and the usage its provider reported (None: unknown)."""

    text: str
    model: str
    tokens_in: int | None = None
    tokens_out: int | None = None


class Writer:
    """Base of the writers; subclasses set ``name`` and implement ``write``."""

    name = ""
    model = ""
    own_key = False

    @property
    def paid(self):
        """Whether a generation is paid for in platform credits.

        NOTE: a store's own key bills the store at the provider directly, so
        charging platform credits as well would make it pay twice.
        """
        return self.name != OFFLINE and not self.own_key

    @property
    def label(self):
        """How the admin names this writer next to a text it produced."""
        own = " (the store's own key)" if self.own_key else ""
        return f"{_PROVIDER_NAMES[self.name]} {self.model}{own}"

    def write(self, request):
        raise NotImplementedError


class ProviderWriter(Writer):
    """A writer that calls an AI provider's API through its SDK."""

    def __init__(self, provider, key, *, timeout, max_output_tokens, own_key=False):
        self.model = provider.model
        self.base_url = provider.base_url
        self._key = key
        self.timeout = timeout
        self.max_output_tokens = max_output_tokens
        self.own_key = own_key

    def __repr__(self):
        return f"<{type(self).__name__} {self.model} at {self.base_url}>"


def build_writers(platform, store_id, settings, *, only=None):
    """The writers to try for a store, in order, the offline writer last.

    A provider is used when the store has its own key for it or a
    platform-wide key is set; the store's key wins. ``only`` restricts the
    list to one writer, with no fallback; WriterNotConfigured when it has no
    key.
    """
    if only is not None and only not in WRITER_NAMES:
        raise WriterNotConfigured(only)
    if only == OFFLINE:
        return [_offline()]

    own_keys = load_store_ai_keys(platform, store_id)
    writers = []
    for name in settings.order:
        if only is not None and name != only:
            continue
        provider = settings.provider(name)
        key = own_keys.get(name) or provider.key
        if key:
            writers.append(
                _provider_class(name)(
                    provider, key, timeout=settings.timeout,
                    max_output_tokens=settings.max_output_tokens,
                    own_key=name in own_keys,
                )
            )  # fmt: skip

    if only is not None:
        if not writers:
            raise WriterNotConfigured(only)
        return writers
    return [*writers, _offline()]


def parse_retry_after(headers, now=None):
    """Seconds to wait from ``retry-after-ms`` or ``retry-after``; None if absent."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass

    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _provider_class(name):
    module, attribute = _MODULES[name]
    return getattr(importlib.import_module(module), attribute)


def _offline():
    from .offline import OfflineWriter

    return OfflineWriter()
