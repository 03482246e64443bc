"""Open a CSV or XLSX file as a stream of ``(row number, record)`` pairs.

Row numbers are what a person sees in a spreadsheet: the header is row 1 and
every CSV *record* counts once, even when a quoted field spans several lines.
Records are plain ``dict[str, str]`` keyed by header name (made unique), with
every value as text: typing the values is the job of :mod:`etl.values`.

What this module decides, and how a caller can override it:

- container: by magic bytes, not by file name (``.xls`` is refused clearly);
- encoding: a BOM wins; else the file is checked to be UTF-8 all the way
  through (streaming, 1 MiB at a time); else it is read as cp1252, or
  Latin-1 if it holds bytes cp1252 leaves undefined, with a warning saying
  where the first non-UTF-8 byte is. ``encoding=`` skips all of this;
- delimiter: comma, semicolon, tab or pipe, whichever makes the first
  records agree with the header. ``delimiter=`` skips this.

Shape problems become rejections naming the row (a record with too few
fields, a truncated last line). A header that fits none of the first records
is refused as a whole, because importing it would shift every column.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain
from pathlib import Path

from etl.records import BrokenHeader, Findings, UnreadableFile, Warning

Progress = Callable[[int, int], None]

SNIFF_BYTES = 64 * 1024
READ_CHUNK = 1 << 20
# Records compared with the header before any is handed out.
SHAPE_PROBE = 10
DELIMITERS = (",", ";", "\t", "|")
# Bytes cp1252 leaves undefined; a file holding them is read as Latin-1.
CP1252_HOLES = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# NOTE: the csv module's default cell limit (128 KiB) is below what real
# exports hold (PrestaShop brand pages, base64 images); raise it once.
csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))


@dataclass
class EncodingGuess:
    """The encoding chosen for a text file and, if it was a guess, why."""

    encoding: str
    errors: str = "strict"
    # Physical line holding the first byte that was not UTF-8, if any.
    bad_line: int = 0
    note: str | None = None


@dataclass
class Table:
    """An opened file: its header, how it was read, and its records."""

    path: Path
    container: str
    header: tuple[str, ...]
    keys: tuple[str, ...]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    findings: Findings = field(default_factory=Findings)
    rows: Iterator[tuple[int, dict[str, str]]] = field(default_factory=lambda: iter(()))

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(row number, record)`` for every non-empty data row, once."""
        return self.rows

    def column(self, *names: str) -> str | None:
        """Return the record key of the first of ``names`` this file has.

        Matching ignores case, repeated spaces and a trailing ``*`` (the
        "required" marker PrestaShop puts in its headers).
        """
        wanted = [header_key(name) for name in names]
        by_key = {header_key(key): key for key in self.keys}
        for name in wanted:
            if name in by_key:
                return by_key[name]
        return None


def header_key(name: str) -> str:
    """Normalise a header name for comparison: case, spacing, ``*`` markers."""
    return " ".join(name.replace("*", " ").casefold().split())


def sniff_container(path: Path) -> str:
    """Say whether ``path`` is ``"csv"`` (any text), ``"xlsx"`` or ``"xls"``.

    Anything else (PDF, ODS, a plain ZIP) is refused with what it is.
    """
    with open(path, "rb") as fh:
        head = fh.read(8)

    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(path)
    if head.startswith(_OLE_MAGIC):
        return "xls"
    if head.startswith(b"%PDF"):
        raise UnreadableFile("this is a PDF document, not a spreadsheet", path=path)
    return "csv"


def detect_encoding(path: Path) -> EncodingGuess:
    """Choose how to decode a text file, reading it once in 1 MiB chunks.

    A BOM decides at once. Otherwise the whole file is checked as UTF-8,
    because one stray byte can sit 97 % of the way in. A file that is not
    UTF-8 is read as cp1252 (Latin-1 if it uses bytes cp1252 leaves
    undefined); one that is mostly UTF-8 with a few bad bytes keeps UTF-8
    with those bytes replaced. Both cases carry a note for the user.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return EncodingGuess(name)
        fh.seek(0)
        return _scan_utf8(path, fh)


def detect_delimiter(sample: str, *, complete: bool) -> str:
    """Pick the delimiter under which the first records agree with the header.

    ``sample`` is the start of the file; unless ``complete`` its last line
    may be cut short and is ignored. A file with one column gets ``","``.
    """
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        if not complete:
            records = records[:-1]
        records = [rec for rec in records if any(rec)][:51]
        if not records or len(records[0]) < 2:
            continue

        width = len(records[0])
        body = records[1:]
        fitting = sum(1 for rec in body if _fits(rec, width))
        score = (fitting / len(body) if body else 1.0, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def list_sheets(path: Path) -> list[str]:
    """Names of the worksheets in an XLSX workbook, in workbook order."""
    workbook = _load_workbook(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


@contextmanager
def open_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    progress: Progress | ProgressSink | None = None,
) -> Iterator[Table]:
    """Open a CSV or XLSX file and yield a :class:`Table` over its records.

    ``encoding`` and ``delimiter`` override detection for CSV files;
    ``sheet`` picks a worksheet by name (default: the first with a header).
    ``progress(bytes_read, total_bytes)`` is called as the file is read; pass
    one :class:`ProgressSink` to several calls to report them as one total.
    Raises :class:`~etl.records.ImportRefused` subclasses for files that
    cannot be read at all.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile("no such file", path=path)
    size = path.stat().st_size
    if size == 0:
        raise UnreadableFile("the file is empty", path=path)
    sink = as_sink(progress)
    if sink is not None:
        sink.expect(size)

    if sniff_container(path) in ("xlsx", "xls"):
        with _open_xlsx(path, sheet, sink) as table:
            yield table
    else:
        with _open_csv(path, encoding, delimiter, sink) as table:
            yield table


def read_header(path: str | Path, *, encoding: str | None = None) -> tuple[str, ...]:
    """Return just the header of a CSV or XLSX file, reading only its start."""
    path = Path(path)
    if sniff_container(path) in ("xlsx", "xls"):
        workbook = _load_workbook(path)
        try:
            return _pick_sheet(path, workbook, None)[2]
        finally:
            workbook.close()

    with open(path, "rb") as fh:
        prefix = fh.read(SNIFF_BYTES)
    if not prefix.strip():
        raise UnreadableFile("the file is empty", path=path)
    name = encoding or _prefix_encoding(prefix)
    text = prefix.decode(name, errors="replace").lstrip("\ufeff")
    delimiter = detect_delimiter(text, complete=len(prefix) < SNIFF_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _read_csv_header(path, reader, EncodingGuess(name))[0]


def _prefix_encoding(prefix: bytes) -> str:
    for bom, name in _BOMS:
        if prefix.startswith(bom):
            return name
    try:
        codecs.utf_8_decode(prefix, "strict", False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


class ProgressSink:
    """Adds up reading progress over one or more files for one callback.

    Each file opened with the sink adds its size to the total, so a parse
    that discovers companion files (Olist orders next to order items)
    reports one growing total instead of restarting at zero per file.
    """

    def __init__(self, callback: Progress) -> None:
        self.callback = callback
        self.done = 0
        self.total = 0
        self._told = -1

    def expect(self, size: int) -> None:
        """Announce ``size`` more bytes to be read."""
        self.total += size

    def advance(self, count: int) -> None:
        """Record ``count`` bytes read; tell the callback every 1 % or at the end."""
        self.done = min(self.total, self.done + count)
        step = max(1, self.total // 100)
        if self.done == self.total or self.done - self._told >= step:
            self._told = self.done
            self.callback(self.done, self.total)


def as_sink(progress: Progress | ProgressSink | None) -> ProgressSink | None:
    """Wrap a plain callback in a :class:`ProgressSink` (None stays None)."""
    if progress is None or isinstance(progress, ProgressSink):
        return progress
    return ProgressSink(progress)


# -- CSV --------------------------------------------------------------------


@contextmanager
def _open_csv(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    progress: ProgressSink | None,
) -> Iterator[Table]:
    guess = _choose_encoding(path, encoding)
    size = path.stat().st_size
    with open(path, "rb") as raw:
        prefix = raw.read(SNIFF_BYTES)
        raw.seek(-1, os.SEEK_END)
        ends_with_newline = raw.read(1) in (b"\n", b"\r")
    if b"\x00" in prefix and not guess.encoding.startswith("utf-16"):
        raise UnreadableFile("this is a binary file, not CSV text", path=path)
    if delimiter is None:
        sample = prefix.decode(guess.encoding, errors="replace")
        delimiter = detect_delimiter(sample, complete=len(prefix) == size)

    with _open_text(path, guess, progress) as text:
        reader = csv.reader(text, delimiter=delimiter)
        header, header_row = _read_csv_header(path, reader, guess)
        keys = unique_keys(header)
        table = Table(path, "csv", header, keys, guess.encoding, delimiter)

        state = _CsvState(path, reader, len(keys), ends_with_newline, header_row)
        state.bad_line, state.note = guess.bad_line, guess.note
        if state.bad_line and reader.line_num >= state.bad_line:
            _note_encoding(table.findings, state, header_row)

        numbered = _numbered(state)
        probe = _probe_shape(path, numbered, header)
        table.rows = _csv_records(state, keys, table.findings, chain(probe, numbered))
        yield table


def _choose_encoding(path: Path, encoding: str | None) -> EncodingGuess:
    if encoding is None:
        return detect_encoding(path)
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise UnreadableFile(f"unknown encoding {encoding!r}", path=path) from None
    # A caller who says "utf-8" for a file with a BOM still wants it stripped.
    return EncodingGuess("utf-8-sig" if name == "utf-8" else encoding)


def _scan_utf8(path: Path, fh: io.BufferedReader) -> EncodingGuess:
    carry, offset, newlines, saw_non_ascii = b"", 0, 0, False
    while True:
        chunk = fh.read(READ_CHUNK)
        data = carry + chunk
        try:
            _, used = codecs.utf_8_decode(data, "strict", not chunk)
        except UnicodeDecodeError as exc:
            line = newlines + data.count(b"\n", 0, exc.start) + 1
            where = (
                f"byte 0x{data[exc.start]:02X} at offset {offset + exc.start:,}, "
                f"line {line:,}"
            )
            mixed = saw_non_ascii or not data[: exc.start].isascii()
            return _fallback_guess(path, where, line, mixed)

        saw_non_ascii = saw_non_ascii or not data[:used].isascii()
        newlines += data.count(b"\n", 0, used)
        offset += used
        carry = data[used:]
        if not chunk:
            return EncodingGuess("utf-8")


def _fallback_guess(path: Path, where: str, line: int, mixed: bool) -> EncodingGuess:
    if mixed:
        note = (
            f"the file is mostly UTF-8 but not entirely ({where}); it was read as "
            "UTF-8 with undecodable bytes shown as '\ufffd'. Pass encoding= if "
            "that is wrong."
        )
        return EncodingGuess("utf-8", "replace", line, note)

    holes = False
    with open(path, "rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            if any(hole in chunk for hole in CP1252_HOLES):
                holes = True
                break
    name, label = ("latin-1", "Latin-1") if holes else ("cp1252", "Windows-1252")
    note = (
        f"the file is not UTF-8 ({where}); it was read as {label} ({name}). "
        "If accented letters or symbols look wrong, pass encoding= explicitly."
    )
    return EncodingGuess(name, "strict", line, note)


class _CountingReader(io.RawIOBase):
    """A raw file that reports every read to a progress sink."""

    def __init__(self, raw: io.BufferedReader, sink: ProgressSink) -> None:
        self._raw, self._sink = raw, sink

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self._sink.advance(count)
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def _open_text(
    path: Path, guess: EncodingGuess, progress: ProgressSink | None
) -> Iterator[io.TextIOBase]:
    if progress is None:
        with open(
            path, encoding=guess.encoding, errors=guess.errors, newline=""
        ) as text:
            yield text
        return

    counting = _CountingReader(open(path, "rb"), progress)
    buffered = io.BufferedReader(counting, READ_CHUNK)
    with io.TextIOWrapper(
        buffered, encoding=guess.encoding, errors=guess.errors, newline=""
    ) as text:
        yield text


def _read_csv_header(
    path: Path, reader, guess: EncodingGuess
) -> tuple[tuple[str, ...], int]:
    """The header names and the record number they were found on."""
    try:
        for number, fields in enumerate(reader, start=1):
            if any(field.strip() for field in fields):
                names = [name.strip() for name in fields]
                names[0] = names[0].lstrip("\ufeff")
                while names and not names[-1]:
                    names.pop()
                return tuple(names), number
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the header cannot be decoded as {guess.encoding}: {exc.reason}",
            path=path,
        ) from None
    except csv.Error as exc:
        raise UnreadableFile(f"row 1: {exc}", path=path) from None

    raise UnreadableFile("the file holds no header row, only blank lines", path=path)


def unique_keys(header: tuple[str, ...]) -> tuple[str, ...]:
    """Record keys for a header: blanks named by position, repeats numbered."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header, start=1):
        key = name or f"column {index}"
        count = seen.get(key, 0) + 1
        seen[key] = count
        keys.append(key if count == 1 else f"{key} ({count})")
    return tuple(keys)


@dataclass
class _CsvState:
    path: Path
    reader: object
    width: int
    ends_with_newline: bool
    row: int = 1
    # The encoding note waits until we know which record holds the bad byte.
    bad_line: int = 0
    bad_row: int | None = None
    note: str | None = None


def _fits(fields: list[str], width: int) -> bool:
    # Some exporters end every row with a delimiter: an empty extra field.
    return len(fields) == width or (len(fields) > width and not any(fields[width:]))


def _probe_shape(path: Path, numbered: Iterator, header: tuple[str, ...]) -> list:
    """Read the first records; refuse the file if none of them fits the header.

    Returns every record read, empty ones included, to be handed out first.
    """
    read: list[tuple[int, list[str]]] = []
    filled: list[tuple[int, list[str]]] = []
    for row, fields in numbered:
        read.append((row, fields))
        if any(fields):
            filled.append((row, fields))
        if len(filled) == SHAPE_PROBE:
            break

    width = len(header)
    misfits = [len(fields) for _, fields in filled if not _fits(fields, width)]
    wider = any(count > width for count in misfits)
    if not misfits or len(misfits) < len(filled) or (len(filled) == 1 and not wider):
        return read

    counts = sorted(set(misfits))
    shown = str(counts[0]) if len(counts) == 1 else f"{counts[0]} to {counts[-1]}"
    first, last = filled[0][0], filled[-1][0]
    rows = f"rows {first}–{last}" if len(filled) > 1 else f"row {first}"
    names = ", ".join(header[:4]) + (", …" if len(header) > 4 else "")
    raise BrokenHeader(
        f"the header has {width} column names ({names}) but {rows} have "
        f"{shown} fields each: the header does not match the data, so every "
        "column would be shifted. Re-export the file with its full header.",
        path=path,
    )


def _csv_records(
    state: _CsvState, keys: tuple[str, ...], findings: Findings, records: Iterator
) -> Iterator[tuple[int, dict[str, str]]]:
    width, empty = state.width, _EmptyRows()
    short: tuple[int, int] | None = None

    for row, fields in records:
        if len(fields) != width:
            if not any(fields):
                empty.add(row)
                continue
            if _fits(fields, width):
                fields = fields[:width]
            else:
                if short is not None:
                    _reject_short(findings, short, width, last=False)
                    short = None
                if len(fields) < width:
                    short = (row, len(fields))
                else:
                    findings.reject(
                        row,
                        None,
                        f"the record has {len(fields)} fields but the header has "
                        f"{width}; a delimiter inside an unquoted value?",
                    )
                continue
        elif not any(fields):
            empty.add(row)
            continue
        if short is not None:
            _reject_short(findings, short, width, last=False)
            short = None
        yield row, dict(zip(keys, fields, strict=False))

    if short is not None:
        last = short[0] == state.row and not state.ends_with_newline
        _reject_short(findings, short, width, last=last)
    if state.note is not None:
        _note_encoding(findings, state, state.bad_row)
    empty.report(findings)


def _numbered(state: _CsvState) -> Iterator[tuple[int, list[str]]]:
    """Raw records after the probe, numbered; read errors refuse the file."""
    row, reader, bad_line = state.row, state.reader, state.bad_line

    try:
        for fields in reader:
            row += 1
            if bad_line and reader.line_num >= bad_line:
                state.bad_row, bad_line = row, 0
            yield row, fields
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"the file cannot be decoded as {exc.encoding} near row {row + 1:,} "
            f"({exc.reason}); pass a different encoding=",
            path=state.path,
        ) from None
    except csv.Error as exc:
        raise UnreadableFile(f"row {row + 1:,}: {exc}", path=state.path) from None
    finally:
        state.row = row


def _reject_short(
    findings: Findings, short: tuple[int, int], width: int, *, last: bool
) -> None:
    row, count = short
    if last:
        reason = (
            f"the file ends in the middle of this record ({count} of {width} "
            "fields, no line end): it was truncated, so the row was not imported"
        )
    else:
        reason = f"the record has {count} fields but the header has {width}"
    findings.reject(row, None, reason)


def _note_encoding(findings: Findings, state: _CsvState, row: int | None) -> None:
    if state.note is not None:
        rows = (row,) if row is not None else ()
        where = f" The first such byte is in row {row:,}." if row is not None else ""
        findings.add(Warning(rows, None, state.note + where))
    state.bad_line, state.note = 0, None


class _EmptyRows:
    """Counts skipped empty records and reports them once, as a range."""

    def __init__(self) -> None:
        self.count, self.first, self.last = 0, 0, 0
        self.rows: list[int] = []

    def add(self, row: int) -> None:
        """Count ``row`` as skipped."""
        self.count += 1
        self.first = self.first or row
        self.last = row
        if len(self.rows) < 1000:
            self.rows.append(row)

    def report(self, findings: Findings) -> None:
        """Add one warning for all skipped rows, if there were any."""
        if not self.count:
            return

        span = (
            f"row {self.first:,}"
            if self.count == 1
            else (f"rows {self.first:,}–{self.last:,}")
        )
        findings.add(
            Warning(
                tuple(self.rows),
                None,
                f"{self.count:,} empty records were skipped ({span}); "
                "spreadsheets often leave these after the data",
            )
        )


# -- XLSX -------------------------------------------------------------------


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        raise UnreadableFile(
            "a damaged ZIP archive, not a spreadsheet", path=path
        ) from None

    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        raise UnreadableFile(
            "an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV", path=path
        )
    raise UnreadableFile("a ZIP archive, not an XLSX workbook", path=path)


def _load_workbook(path: Path):
    import openpyxl  # imported here: only workbooks need it, and it is slow to load

    try:
        if sniff_container(path) == "xls":
            from etl.xls import XlsWorkbook

            return XlsWorkbook(path)
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise UnreadableFile(
            f"the workbook cannot be opened: {exc}", path=path
        ) from None


@contextmanager
def _open_xlsx(
    path: Path, sheet: str | None, progress: ProgressSink | None
) -> Iterator[Table]:
    workbook = _load_workbook(path)
    try:
        worksheet, header_row, header = _pick_sheet(path, workbook, sheet)
        keys = unique_keys(header)
        kind = "xls" if path.suffix.lower() == ".xls" else "xlsx"
        table = Table(path, kind, header, keys, sheet=worksheet.title)

        size = path.stat().st_size
        table.rows = _xlsx_records(
            worksheet, header_row, keys, table.findings, progress, size
        )
        yield table
    finally:
        workbook.close()


def _pick_sheet(path: Path, workbook, sheet: str | None):
    if sheet is not None and sheet not in workbook.sheetnames:
        names = ", ".join(workbook.sheetnames)
        raise UnreadableFile(
            f"no sheet named {sheet!r}; the workbook has {names}", path=path
        )
    candidates = [workbook[sheet]] if sheet is not None else workbook.worksheets

    for worksheet in candidates:
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            names = [cell_text(value).strip() for value in values]
            if any(names):
                while names and not names[-1]:
                    names.pop()
                return worksheet, number, tuple(names)
    raise UnreadableFile("the workbook has no sheet with a header row", path=path)


def _xlsx_records(
    worksheet,
    header_row: int,
    keys: tuple[str, ...],
    findings: Findings,
    progress: ProgressSink | None,
    size: int,
) -> Iterator[tuple[int, dict[str, str]]]:
    width, empty = len(keys), _EmptyRows()
    last_row = worksheet.max_row or 0
    rows = worksheet.iter_rows(min_row=header_row + 1, values_only=True)
    # Workbooks are read through a zip, so progress is estimated from rows.
    reported = 0

    for row, values in enumerate(rows, start=header_row + 1):
        if progress is not None and row % 1000 == 0 and last_row:
            estimate = min(size, size * row // last_row)
            progress.advance(estimate - reported)
            reported = estimate

        texts = [cell_text(value) for value in values]
        if not any(texts):
            empty.add(row)
            continue
        if len(texts) > width and any(texts[width:]):
            findings.reject(
                row, None, "the row has values to the right of the last header"
            )
            continue
        texts += [""] * (width - len(texts))
        yield row, dict(zip(keys, texts, strict=False))

    if progress is not None:
        progress.advance(size - reported)
    empty.report(findings)


def cell_text(value: object) -> str:
    """Render a workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)

    if isinstance(value, float):
        # Whole floats print without ".0" so a quantity 5.0 reads as "5".
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)

    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
