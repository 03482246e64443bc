"""Normalised import records, the findings a parse collects, and its errors.

Every parser turns a file into a :class:`ParseResult`: the records it could
read, one :class:`Rejection` per row it could not, and :class:`Warning` notes
for things it read but a person should look at (a barcode Excel turned into
``3.65275E+11``, a file that is not UTF-8).

Errors raised by this package::

    EtlError                 base class; never raised itself
    └── ImportRefused        the file as a whole cannot be imported
        ├── UnreadableFile   not text we can decode, not CSV/XLSX, or empty
        ├── BrokenHeader     the header does not fit the data or lacks columns
        ├── UnknownFormat    the header matches no layout we know
        ├── WrongKind        a layout we know, but not the kind asked for
        └── BadMapping       a column mapping names unknown fields or columns

A problem confined to some rows is never an exception: it becomes a
Rejection naming the row and column, and the rest of the file still imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

# A warning lists its rows; past this many the message says how many more.
MAX_WARNING_ROWS = 1000


class EtlError(Exception):
    """Base class for errors raised by the import layer."""


class ImportRefused(EtlError):
    """The file cannot be imported at all; ``reason`` says what and where."""

    def __init__(self, reason: str, *, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = Path(path) if path is not None else None
        prefix = f"{self.path.name}: " if self.path is not None else ""
        super().__init__(prefix + reason)


class UnreadableFile(ImportRefused):
    """Binary, undecodable, empty, or a container we cannot open."""


class BrokenHeader(ImportRefused):
    """The header row does not match the data rows, or lacks needed columns."""


class UnknownFormat(ImportRefused):
    """The header matches no known layout and no column mapping was given."""


class WrongKind(ImportRefused):
    """A recognised file of another kind, e.g. categories given as products."""


class BadMapping(ImportRefused):
    """A column mapping names a field we do not have or a column not in the file."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    """One product image, in display order."""

    url: str
    alt: str | None
    position: int


@dataclass(frozen=True, slots=True)
class VariantRecord:
    """One sellable variant; ``row`` is the spreadsheet row it came from."""

    sku: str | None
    barcode: str | None
    options: tuple[tuple[str, str], ...]
    price: Decimal | None
    compare_at_price: Decimal | None
    unit_cost: Decimal | None
    weight_grams: Decimal | None
    inventory_quantity: int | None
    continue_selling: bool | None
    image_url: str | None
    row: int


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """One product with its variants and images; ``rows`` lists its source rows."""

    handle: str
    title: str
    description_html: str | None
    vendor: str | None
    product_type: str | None
    tags: tuple[str, ...]
    status: str
    seo_title: str | None
    seo_description: str | None
    images: tuple[ImageRef, ...]
    variants: tuple[VariantRecord, ...]
    rows: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StockRecord:
    """Quantity on hand of one SKU at one location."""

    sku: str
    location: str
    quantity: int
    row: int


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One order line; a negative quantity is a return."""

    order_ref: str
    line_no: int
    ordered_at: datetime
    sku: str | None
    title: str | None
    quantity: int
    unit_price: Decimal
    currency: str | None
    customer_ref: str | None
    country: str | None
    is_return: bool
    row: int


@dataclass(frozen=True, slots=True)
class InventoryItemRef:
    """A SKU and the id another system (Shopify) gives its inventory item."""

    sku: str
    inventory_item_id: str
    row: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row (or one cell of it) that was not imported, and why."""

    row: int
    column: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Warning:  # shadows the builtin on purpose: the name is the published API
    """Something imported but worth a look; ``rows`` may be empty for file notes."""

    rows: tuple[int, ...]
    column: str | None
    message: str


# Alias for modules that also use the builtin ``Warning``.
ParseWarning = Warning


@dataclass
class ParseResult:
    """What one parse produced: records plus everything it refused or doubted."""

    format: str
    encoding: str | None
    delimiter: str | None
    decimal_separator: str | None
    records: list = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)


class Findings:
    """Collects rejections and warnings while a file is parsed.

    Warnings about the same thing (``key``) are merged into one, listing every
    row, so a file with 16 damaged barcodes gives one note rather than 16.
    """

    def __init__(self) -> None:
        self.rejected: list[Rejection] = []
        self._notes: dict[object, _Note] = {}
        self._ready: list[Warning] = []

    def reject(self, row: int, column: str | None, reason: str) -> None:
        """Record that ``row`` was not imported because of ``reason``."""
        self.rejected.append(Rejection(row, column, reason))

    def warn(
        self,
        row: int | None,
        column: str | None,
        message: str,
        *,
        key: object = None,
    ) -> None:
        """Record a warning; calls sharing a ``key`` merge into one warning."""
        note_key = key if key is not None else (column, message)
        note = self._notes.get(note_key)
        if note is None:
            note = self._notes[note_key] = _Note(column, message)
        if row is not None:
            note.rows.append(row)

    def add(self, warning: Warning) -> None:
        """Record a warning that was built whole (it is never merged)."""
        self._ready.append(warning)

    def extend(self, other: Findings) -> None:
        """Take over everything ``other`` collected."""
        self.rejected.extend(other.rejected)
        self._ready.extend(other._ready)
        for key, note in other._notes.items():
            mine = self._notes.get(key)
            if mine is None:
                self._notes[key] = note
            else:
                mine.rows.extend(note.rows)

    def warnings(self) -> list[Warning]:
        """The merged warnings, in the order they were first seen."""
        return self._ready + [note.freeze() for note in self._notes.values()]

    def fill(self, result: ParseResult) -> ParseResult:
        """Copy the collected rejections (by row) and warnings into ``result``."""
        result.rejected.extend(sorted(self.rejected, key=lambda r: r.row))
        result.warnings.extend(self.warnings())
        return result


@dataclass
class _Note:
    column: str | None
    message: str
    rows: list[int] = field(default_factory=list)

    def freeze(self) -> Warning:
        """The merged warning: first message, every row, and how many alike."""
        rows = sorted(set(self.rows))
        message = self.message
        if len(rows) > 1:
            message = f"{message} (and {len(rows) - 1} more rows like it)"
        if len(rows) > MAX_WARNING_ROWS:
            message += f"; only the first {MAX_WARNING_ROWS} rows are listed"
            rows = rows[:MAX_WARNING_ROWS]
        return Warning(tuple(rows), self.column, message)
