"""Errors raised while writing product descriptions.

They extend the store services' ``CommerceError`` tree (``commerce.errors``),
name the writer or draft involved, and never carry a key, a prompt or the
model's answer::

    CommerceError
    └── DescriptionError          base of everything below
        ├── WriterFailed          one provider call failed (HTTP status,
        │   │                     timeout, connection)
        │   └── WriterRateLimited the provider answered 429
        ├── OutputRejected        the answer was malformed, too long or empty
        ├── NoWriterSucceeded     every writer in the order failed
        ├── WriterNotConfigured   the writer asked for has no key
        └── DraftAlreadyDecided   the draft was approved, rejected or replaced

Running out of credits is the platform's ``tenancy.credits.InsufficientCredits``,
raised before any provider is called.
"""

from commerce.errors import CommerceError


class DescriptionError(CommerceError):
    """Base class of the description writers' errors."""


class WriterFailed(DescriptionError):
    """One provider call failed; the next writer in the order may be tried."""

    def __init__(self, writer, reason, *, status=None):
        self.writer = writer
        self.reason = reason
        self.status = status
        super().__init__(f"{writer}: {reason}")


class WriterRateLimited(WriterFailed):
    """The provider answered 429; ``retry_after`` is in seconds, or None."""

    def __init__(self, writer, retry_after):
        self.retry_after = retry_after
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        super().__init__(writer, f"rate limited (HTTP 429){wait}", status=429)


class OutputRejected(DescriptionError):
    """The model's answer cannot be used: malformed, too long or empty."""

    def __init__(self, writer, reason):
        self.writer = writer
        self.reason = reason
        super().__init__(f"{writer}: answer refused: {reason}")


class NoWriterSucceeded(DescriptionError):
    """Every writer in the order failed; ``failures`` says why, in order."""

    def __init__(self, failures):
        self.failures = list(failures)
        reasons = "; ".join(str(f) for f in self.failures) or "no writer configured"
        super().__init__(f"no description writer succeeded ({reasons})")


class WriterNotConfigured(DescriptionError):
    """The writer asked for is unknown or has no API key."""

    def __init__(self, writer):
        self.writer = writer
        super().__init__(
            f"writer {writer!r} is not available: unknown, or no API key is set "
            "for it (platform-wide or the store's own)"
        )


class DraftAlreadyDecided(DescriptionError):
    """Approve or reject of a draft that is no longer pending."""

    def __init__(self, draft_id, status):
        self.draft_id = draft_id
        self.status = status
        super().__init__(f"draft {draft_id} is already {status}")
