"""Trying the writers in order until one produces texts that pass inspection.

A writer that fails (HTTP 5xx or 4xx, timeout, connection error) or whose
answer is refused by ``output.parse_texts`` is skipped for the next one. A
429 whose Retry-After is at most ``retry_cap`` seconds is waited out once
and the same writer asked again; a longer or missing Retry-After moves on at
once, so that the owner is never left waiting on one provider.
"""

import logging
import time
from dataclasses import dataclass

from .errors import NoWriterSucceeded, OutputRejected, WriterFailed, WriterRateLimited
from .output import parse_texts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    writer: object
    reply: object
    texts: object
    failures: tuple
    """What went wrong with the writers tried before ``writer``."""


def write_with_fallback(writers, request, *, retry_cap, sleep=time.sleep,
                        store_id=None):  # fmt: skip
    """The first writer's Outcome that succeeds; NoWriterSucceeded otherwise."""
    failures = []
    for writer in writers:
        try:
            reply = _ask(writer, request, retry_cap, sleep, store_id)
            texts = parse_texts(reply.text, writer.name)
        except (WriterFailed, OutputRejected) as exc:
            log.warning("store=%s writer %s failed: %s", store_id, writer.name, exc)
            failures.append(exc)
            continue
        return Outcome(writer, reply, texts, tuple(failures))

    raise NoWriterSucceeded(failures)


def _ask(writer, request, retry_cap, sleep, store_id):
    try:
        return writer.write(request)
    except WriterRateLimited as exc:
        if exc.retry_after is None or exc.retry_after > retry_cap:
            raise
        log.info("store=%s writer %s rate limited; waiting %.1fs",
                 store_id, writer.name, exc.retry_after)  # fmt: skip
        sleep(exc.retry_after)
    return writer.write(request)
