"""The report an import gives back, the same for the CLI and the admin."""

import hashlib
from dataclasses import asdict, dataclass, field


@dataclass
class ImportReport:
    """What an import did, or would do in a dry run.

    ``created``, ``updated`` and ``unchanged`` count variants (stock lines for a
    stock import, order lines for a sales import); ``products`` breaks the same
    down by product. ``rejected`` lists every row that was left out, with the
    column and the reason; ``batch`` is the id to undo the import with.
    """

    kind: str
    file: str
    format: str
    encoding: str | None
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    products: dict = field(default_factory=dict)
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    batch: int | None = None
    details: dict = field(default_factory=dict)

    def reject(self, row, column, reason):
        self.rejected.append({"row": row, "column": column, "reason": reason})

    def as_json(self):
        return asdict(self)


def from_parse(kind, path, result, dry_run):
    """A report holding what the parser already found."""
    report = ImportReport(
        kind=kind,
        file=path.name,
        format=result.format,
        encoding=result.encoding,
        dry_run=dry_run,
    )
    for rejection in result.rejected:
        report.reject(rejection.row, rejection.column, rejection.reason)
    report.warnings = [
        {"rows": list(w.rows), "column": w.column, "message": w.message}
        for w in result.warnings
    ]
    return report


def file_digest(path):
    """SHA-256 of a file, or of every file of a folder (a multi-file export)."""
    digest = hashlib.sha256()
    files = (
        sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    )
    for item in files:
        with open(item, "rb") as handle:
            for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()
