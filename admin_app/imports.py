"""Helpers of the Import page: an upload on disk, and a report to keep.

The importers read a path, so an upload is written to a private temporary
folder for the length of one call, under its own base name with anything odd
replaced, and removed afterwards.
"""

import re
import tempfile
from contextlib import contextmanager
from pathlib import Path

UPLOAD_TYPES = ("csv", "tsv", "txt", "xlsx", "xls")
MAX_REJECTED_SHOWN = 2000


@contextmanager
def saved_upload(upload):
    """The uploaded file as a Path that lasts until the block ends."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.name).name).lstrip(".")
    with tempfile.TemporaryDirectory(prefix="apmt-upload-") as folder:
        path = Path(folder) / (name or "upload.csv")
        path.write_bytes(upload.getvalue())
        yield path


def summarise(report, *, kind):
    """What the page shows of an import report, small enough for session state."""
    rejected = list(report.rejected)
    return {
        "kind": kind,
        "file": report.file,
        "dry_run": report.dry_run,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "batch": report.batch,
        "warnings": [
            w.get("message", str(w)) if isinstance(w, dict) else str(w)
            for w in report.warnings
        ],
        "rejected": rejected[:MAX_REJECTED_SHOWN],
        "rejected_total": len(rejected),
    }
