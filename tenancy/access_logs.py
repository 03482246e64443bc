"""Kept access logs: one JSON-lines file per day, client addresses dropped later.

The storefront appends one line per request to ``<data dir>/logs/access/
<YYYY-MM-DD>.jsonl`` (besides stderr). The policy lists "standard web server
logs (IP address, browser type, pages visited)"; the address is the part that
identifies a person, so ``scrub_client_addresses`` (run by ``apmt retention
run``) rewrites files older than ``APMT_ACCESS_LOG_IP_DAYS`` days without it.
"""

import json
import logging
import os
from datetime import UTC, date, datetime, timedelta

DEFAULT_IP_DAYS = 7
_SCRUBBED = ".scrubbed"


def access_log_dir(config):
    return config.data_dir / "logs" / "access"


class DailyFileHandler(logging.Handler):
    """Appends each record to the file of its UTC day; safe across processes.

    Lines are short and written with one ``write`` on a file opened with
    O_APPEND, so gunicorn workers writing the same file do not interleave.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = folder

    def emit(self, record):
        try:
            day = datetime.now(UTC).date().isoformat()
            self.folder.mkdir(parents=True, exist_ok=True)
            line = (self.format(record) + "\n").encode()
            fd = os.open(self.folder / f"{day}.jsonl",
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # fmt: skip
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except Exception:  # NOTE: logging must never break a request
            self.handleError(record)


def scrub_client_addresses(folder, *, days=DEFAULT_IP_DAYS, now=None):
    """Drop ``client_ip`` from day files older than ``days``; return files done."""
    today = (now or datetime.now(UTC)).date()
    done = 0
    for path in sorted(folder.glob("*.jsonl")):
        try:
            day = date.fromisoformat(path.stem)
        except ValueError:
            continue
        if today - day <= timedelta(days=days):
            continue
        if path.with_suffix(_SCRUBBED).exists():
            continue
        _rewrite_without_addresses(path)
        path.with_suffix(_SCRUBBED).touch()
        done += 1
    return done


def _rewrite_without_addresses(path):
    scratch = path.with_suffix(".tmp")
    with (
        path.open(encoding="utf-8") as source,
        scratch.open("w", encoding="utf-8") as target,
    ):
        for line in source:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn line is dropped rather than kept with an address
            entry.pop("client_ip", None)
            target.write(json.dumps(entry, separators=(",", ":")) + "\n")
    os.chmod(scratch, 0o600)
    scratch.replace(path)
