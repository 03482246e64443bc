"""Turn cell text into typed values, and say exactly what is wrong when it can't.

Conventions shared by every function here:

- an empty or whitespace-only cell is ``None``, never an error;
- a value that cannot be read raises :class:`ValueProblem` whose message
  quotes the value and says why; callers turn it into a row rejection;
- money and weights are :class:`~decimal.Decimal`, never float;
- identifiers (SKU, barcode, postal code) stay text from end to end, and
  spreadsheet damage to them (``3.65275E+11``, a lost leading zero) comes
  back as a warning next to the value rather than being silently stored.

Number formats are explicit: ``decimal_separator`` is ``"."``, ``","`` or
``None`` (not known: only values that read the same either way are
accepted). :func:`detect_decimal_separator` settles it from a file's values.
Dates likewise take ``order`` ``"dmy"``/``"mdy"``/``"ymd"`` or ``None``;
ISO dates are always accepted and :func:`date_order_hint` tells which
order a value proves.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from etl.records import Findings

DATE_ORDERS = ("dmy", "mdy", "ymd")

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on", "ja", "oui", "si", "sí"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off", "nein", "non"})
# Symbols and spacing that may surround or group a number; ' groups in Swiss.
_CURRENCY_MARKS = "$€£¥₹₽₺₩ \u00a0\u202f'"
_CURRENCY_CODE = re.compile(r"^[A-Z]{1,3}\$?\s*|\s*[A-Z]{3}$")
_GRAMS_PER_UNIT = {
    "g": Decimal(1),
    "gram": Decimal(1),
    "grams": Decimal(1),
    "kg": Decimal(1000),
    "kgs": Decimal(1000),
    "kilogram": Decimal(1000),
    "kilograms": Decimal(1000),
    "mg": Decimal("0.001"),
    # Exact by definition since 1959.
    "lb": Decimal("453.59237"),
    "lbs": Decimal("453.59237"),
    "pound": Decimal("453.59237"),
    "pounds": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
    "ounce": Decimal("28.349523125"),
    "ounces": Decimal("28.349523125"),
}
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_WEIGHT = re.compile(r"\s*([-+]?[\d.,]+)\s*([a-zA-Z]*)\s*")
_GTIN_LENGTHS = (8, 12, 13, 14)


class ValueProblem(ValueError):
    """A cell value that cannot be read; the message quotes it and says why."""


class ValueWarning(NamedTuple):
    """A value that was read but looks damaged; ``kind`` groups alike warnings."""

    kind: str
    message: str


# -- numbers ----------------------------------------------------------------


def parse_decimal(text: str, decimal_separator: str | None = ".") -> Decimal | None:
    """Read a number such as ``59,99``, ``3,600.22`` or ``(5.00)`` exactly.

    Currency symbols and spaces are ignored. Thousands separators are
    accepted only in groups of three, so ``12,50`` is never read as 1250.
    """
    s = text.strip()
    if not s:
        return None

    # Fast path: plain digits with at most one separator of the expected kind.
    body = s[1:] if s[0] in "+-" else s
    if body.isascii():
        if body.isdigit():
            return Decimal(s)
        if decimal_separator == "." and body.replace(".", "", 1).isdigit():
            return Decimal(s)
        if decimal_separator == "," and body.replace(",", "", 1).isdigit():
            return Decimal(s.replace(",", "."))
    return _parse_decimal_slow(text, s, decimal_separator)


def parse_money(text: str, decimal_separator: str | None = ".") -> Decimal | None:
    """Read an amount of money; same rules as :func:`parse_decimal`."""
    return parse_decimal(text, decimal_separator)


def parse_int(text: str, decimal_separator: str | None = ".") -> int | None:
    """Read a whole number; ``12.0`` (a spreadsheet float) is accepted as 12."""
    s = text.strip()
    if not s:
        return None
    if s.isdigit() and s.isascii():
        return int(s)
    if s[0] == "-" and s[1:].isdigit() and s.isascii():
        return int(s)

    number = parse_decimal(s, decimal_separator)
    if number is None or number != number.to_integral_value():
        raise ValueProblem(f"{text.strip()!r} is not a whole number")
    return int(number)


def parse_bool(text: str) -> bool | None:
    """Read yes/no style flags: TRUE/false, 1/0, yes/no, y/n, ja/nein."""
    s = text.strip().casefold()
    if not s:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueProblem(
        f"{text.strip()!r} is not a yes/no value (expected true or false)"
    )


def parse_weight_grams(
    text: str, unit: str = "g", decimal_separator: str | None = "."
) -> Decimal | None:
    """Read a weight in grams; a unit in the text (``1.5 kg``) beats ``unit``."""
    s = text.strip()
    if not s:
        return None
    match = _WEIGHT.fullmatch(s)
    if match is None:
        raise ValueProblem(f"{s!r} is not a weight (expected e.g. 250 g or 1.5 kg)")

    number = parse_decimal(match.group(1), decimal_separator)
    written = match.group(2).casefold() or unit.casefold()
    factor = _GRAMS_PER_UNIT.get(written)
    if factor is None:
        raise ValueProblem(f"{s!r} has an unknown weight unit {written!r}")
    if number is None:
        return None
    if number < 0:
        raise ValueProblem(f"{s!r} is a negative weight")
    return _tidy(number * factor)


def detect_decimal_separator(values) -> str | None:
    """Return ``"."`` or ``","`` if the values prove one, else ``None``.

    ``59,99`` proves a comma, ``14.95`` a point, ``3,600.22`` a point.
    ``1.234`` and plain integers prove nothing. If some values prove a
    comma and others a point the file is inconsistent and ``None`` is
    returned, so the caller has to choose.
    """
    seen: set[str] = set()
    for value in values:
        evidence = _separator_evidence(value)
        if evidence:
            seen.add(evidence)
            if len(seen) > 1:
                return None
    return seen.pop() if seen else None


def _separator_evidence(value: str) -> str | None:
    s = value.strip()
    has_comma, has_point = "," in s, "." in s
    if has_comma and has_point:
        return "." if s.rfind(".") > s.rfind(",") else ","
    if has_comma == has_point:
        return None

    mark = "," if has_comma else "."
    head, _, tail = s.rpartition(mark)
    if s.count(mark) > 1:
        # Repeated marks can only be thousands separators.
        return "." if mark == "," else ","
    if len(tail) == 3 and head.strip("+-").isdigit():
        return None
    return mark


def _parse_decimal_slow(text: str, s: str, separator: str | None) -> Decimal:
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    s = _CURRENCY_CODE.sub("", s)
    for mark in _CURRENCY_MARKS:
        s = s.replace(mark, "")
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    s = s.lstrip("+")

    if not s or _SCIENTIFIC.fullmatch(s):
        raise ValueProblem(
            f"{text.strip()!r} is not a plain number"
            + (" (scientific notation loses digits)" if s else "")
        )
    normal = _normalise_separators(text.strip(), s, separator)
    try:
        number = Decimal(normal)
    except InvalidOperation:
        raise ValueProblem(f"{text.strip()!r} is not a number") from None
    if not number.is_finite():
        raise ValueProblem(f"{text.strip()!r} is not a number")
    return -number if negative else number


def _normalise_separators(original: str, s: str, separator: str | None) -> str:
    """Rewrite ``s`` with ``.`` as decimal point and no thousands marks."""
    if not s.replace(",", "").replace(".", "").isdigit():
        raise ValueProblem(f"{original!r} is not a number")

    decimal = separator
    if decimal is None:
        decimal = _separator_evidence(s)
        if decimal is None and ("," in s or "." in s):
            raise ValueProblem(
                f"{original!r} is ambiguous: the file does not show whether "
                "',' or '.' is its decimal separator; choose one explicitly"
            )
    thousands = "," if decimal == "." else "."

    whole, _, fraction = (
        s.rpartition(decimal) if decimal and decimal in s else (s, "", "")
    )
    if thousands in fraction or decimal in whole:
        raise ValueProblem(f"{original!r} has its separators in the wrong places")
    if thousands in whole:
        groups = whole.split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            raise ValueProblem(
                f"{original!r} does not read as a number with {decimal!r} as "
                "decimal separator"
            )
        whole = "".join(groups)
    return f"{whole}.{fraction}" if fraction else whole


def _tidy(number: Decimal) -> Decimal:
    """Drop trailing zeros a unit conversion left, keeping integers integral."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


# -- dates ------------------------------------------------------------------


def parse_datetime(text: str, order: str | None = None) -> datetime | None:
    """Read a date or timestamp; timezone-aware only if the text says so.

    ISO forms (``2010-12-01 08:26:00``, ``2017-10-02T10:56:33Z``) are read
    whatever ``order`` is. Other forms (``01/12/2010 08:26``, ``12/1/10
    8:26``, ``16.6.2016``) need ``order``, unless a day above 12 settles it.
    ``0000-00-00`` (a MySQL "no date") is ``None``.
    """
    s = text.strip()
    if not s or s.startswith("0000-00-00"):
        return None
    return _parse_datetime_cached(s, order)


def date_order_hint(text: str) -> str | None:
    """Which order (``"dmy"``/``"mdy"``) this value proves, if any.

    ``13/12/2010`` proves day-first, ``12/13/10`` month-first; ``01/12/2010``
    and ISO dates prove nothing.
    """
    parts = _date_parts(text.strip())
    if parts is None:
        return None
    first, second, _ = parts
    if len(first) == 4:
        return None

    a, b = int(first), int(second)
    if a > 12 >= b:
        return "dmy"
    if b > 12 >= a:
        return "mdy"
    return None


def needs_date_order(text: str) -> bool:
    """True if the value is a non-ISO date that reads differently by order."""
    parts = _date_parts(text.strip())
    return parts is not None and len(parts[0]) != 4 and parts[0] != parts[1]


@lru_cache(maxsize=65536)
def _parse_datetime_cached(s: str, order: str | None) -> datetime:
    # NOTE: sales files repeat the same timestamp on every line of an order,
    # so caching by text makes date parsing nearly free on large files.
    if len(s) >= 10 and s[4] == "-" and s[:4].isdigit():
        try:
            return datetime.fromisoformat(s)
        except ValueError:
            raise ValueProblem(f"{s!r} is not a valid ISO date") from None

    parts = _date_parts(s)
    if parts is None:
        raise ValueProblem(f"{s!r} is not a date")
    first, second, third = parts
    if len(first) == 4:
        year, month, day = first, second, third
    else:
        hint = date_order_hint(s)
        chosen = order if order in ("dmy", "mdy") else hint
        if chosen is None:
            raise ValueProblem(
                f"{s!r} could be day-first or month-first; choose the date order"
            )
        day, month = (first, second) if chosen == "dmy" else (second, first)
        year = third

    try:
        moment = datetime(_full_year(year), int(month), int(day))
        return _add_time(moment, s)
    except ValueError as exc:
        raise ValueProblem(f"{s!r} is not a valid date ({exc})") from None


def _date_parts(s: str) -> tuple[str, str, str] | None:
    date_part = s.split(" ", 1)[0].split("T", 1)[0]
    for mark in ("/", ".", "-"):
        if mark in date_part:
            parts = date_part.split(mark)
            if len(parts) == 3 and all(p.isdigit() for p in parts):
                return parts[0], parts[1], parts[2]
            return None
    return None


def _full_year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        # Same pivot as POSIX strptime %y: 69-99 are the 1900s.
        return 1900 + year if year >= 69 else 2000 + year
    if len(text) != 4:
        raise ValueError(f"year {text!r} is neither 2 nor 4 digits")
    return year


def _add_time(moment: datetime, s: str) -> datetime:
    _, _, rest = s.replace("T", " ", 1).partition(" ")
    rest = rest.strip()
    if not rest:
        return moment

    meridiem = rest[-2:].upper() if rest[-2:].upper() in ("AM", "PM") else ""
    clock = rest[:-2].strip() if meridiem else rest
    pieces = clock.split(":")
    if not 2 <= len(pieces) <= 3:
        raise ValueError(f"time {rest!r} is not hh:mm or hh:mm:ss")
    hour, minute = int(pieces[0]), int(pieces[1])
    seconds = Decimal(pieces[2]) if len(pieces) == 3 else Decimal(0)
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    micro = int((seconds % 1) * 1_000_000)
    return moment.replace(
        hour=hour, minute=minute, second=int(seconds), microsecond=micro
    )


# -- identifiers ------------------------------------------------------------


def read_identifier(text: str) -> str | None:
    """Return an identifier (SKU, order number) as trimmed text, or None.

    A leading apostrophe is dropped: spreadsheets and Shopify exports use it
    to force a cell to stay text.
    """
    s = text.strip()
    if s[:1] == "'":
        s = s[1:].strip()
    return s or None


def read_sku(text: str) -> tuple[str | None, ValueWarning | None]:
    """Return ``(sku, warning)``; a SKU in scientific notation is flagged."""
    sku = read_identifier(text)
    if sku is not None and ("E" in sku or "e" in sku) and _SCIENTIFIC.fullmatch(sku):
        return sku, ValueWarning(
            "scientific",
            f"SKU {sku!r} looks like a number a spreadsheet rewrote in scientific "
            "notation; check the original",
        )
    return sku, None


def read_barcode(text: str) -> tuple[str | None, ValueWarning | None]:
    """Return ``(barcode, warning)`` for a GTIN/EAN/UPC cell.

    ``3.65275E+11`` is spreadsheet damage: the digits are gone, so the
    barcode is dropped with a warning. A ``.0`` suffix is removed with a
    warning. An 11- or 7-digit code whose zero-padded form has a valid
    check digit probably lost its leading zero: it is kept as written,
    with a warning suggesting the padded form.
    """
    code = read_identifier(text)
    if code is None:
        return None, None
    if ("E" in code or "e" in code) and _SCIENTIFIC.fullmatch(code):
        return None, ValueWarning(
            "scientific",
            f"barcode {code!r} is in scientific notation, so its digits are lost "
            "(a spreadsheet reformatted it); it was left empty. Re-export with the "
            "column formatted as text",
        )

    warning = None
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]
        warning = ValueWarning(
            "float", f"barcode {code}.0 carried a spreadsheet '.0'; read as {code}"
        )

    padded = _pad_to_gtin(code) if code.isdigit() else None
    if padded is not None:
        warning = ValueWarning(
            "leading-zero",
            f"barcode {code!r} has {len(code)} digits; it is probably the "
            f"{len(padded)}-digit code {padded!r} with its leading zeros lost to "
            "a spreadsheet. Kept as written; please check",
        )
    return code, warning


def read_postal_code(
    text: str, country: str | None
) -> tuple[str | None, ValueWarning | None]:
    """Return ``(postal code, warning)``; flags codes that lost leading zeros.

    US ZIP codes have five digits and Brazilian CEP prefixes five too: a
    four-digit value is almost always ``0xxxx`` after a spreadsheet read it
    as a number. The value is returned as written, never padded silently.
    """
    code = read_identifier(text)
    if code is None:
        return None, None

    warning = None
    if code.endswith(".0") and code[:-2].isdigit():
        code = code[:-2]
        warning = ValueWarning(
            "float", f"postal code {code}.0 carried a spreadsheet '.0'; read as {code}"
        )

    key = (country or "").strip().casefold()
    five_digit = key in {"us", "usa", "united states", "br", "brazil", "brasil"}
    if five_digit and code.isdigit() and len(code) < 5:
        warning = ValueWarning(
            "leading-zero",
            f"postal code {code!r} has {len(code)} digits where {country} uses 5; "
            f"probably {code.zfill(5)!r} with its leading zero lost. Kept as written",
        )
    return code, warning


def _pad_to_gtin(code: str) -> str | None:
    # Only lengths one or a few zeros short of a GTIN: shorter codes are far
    # more likely to be a shop's own numbering than a damaged barcode.
    targets = {7: (8,), 9: (12,), 10: (12,), 11: (12, 13)}.get(len(code), ())
    for length in targets:
        padded = code.zfill(length)
        if gtin_check_digit_ok(padded):
            return padded
    return None


def gtin_check_digit_ok(code: str) -> bool:
    """True if ``code`` (8, 12, 13 or 14 digits) has a valid GS1 check digit."""
    if not code.isdigit() or len(code) not in _GTIN_LENGTHS:
        return False
    digits = [int(ch) for ch in code]
    body, check = digits[:-1], digits[-1]
    # Weights 3,1,3,1... counted from the digit next to the check digit.
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


# -- text -------------------------------------------------------------------


def read_text(text: str) -> str | None:
    """Trimmed text, or None for an empty cell. Inner whitespace is kept."""
    s = text.strip()
    return s or None


def split_list(text: str, separator: str = ",") -> tuple[str, ...]:
    """Split a packed cell (``"a, b ,c"``) into trimmed, non-empty parts."""
    return tuple(part.strip() for part in text.split(separator) if part.strip())


def make_handle(text: str) -> str:
    """A URL handle from a title: ``"Münsterländer Korn 32%"`` → ``muensterlaender…``.

    German umlauts become two letters, other accents are dropped, and any
    run of other characters becomes one hyphen. May return ``""``.
    """
    s = text.casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        s = s.replace(umlaut, spelled)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


# -- reading a record -------------------------------------------------------


class CellReader:
    """Reads typed cells from one record at a time, noting problems as findings.

    A cell that cannot be read rejects the row (``ok`` turns False) with the
    column named; damaged identifiers add a warning and keep the row.
    """

    def __init__(self, findings: Findings, decimal_separator: str | None = ".") -> None:
        self.findings = findings
        self.decimal_separator = decimal_separator
        self.row = 0
        self.record: dict[str, str] = {}
        self.ok = True

    def bind(self, row: int, record: dict[str, str]) -> CellReader:
        """Point the reader at a new record and reset ``ok``."""
        self.row, self.record, self.ok = row, record, True
        return self

    def raw(self, column: str | None) -> str:
        """The cell as written ("" if the column is absent)."""
        return self.record.get(column, "") if column else ""

    def text(self, column: str | None) -> str | None:
        """The trimmed cell, or None if empty or absent."""
        return read_text(self.raw(column))

    def money(self, column: str | None) -> Decimal | None:
        """The cell as an exact amount."""
        return self._typed(column, parse_money, self.decimal_separator)

    def decimal(self, column: str | None) -> Decimal | None:
        """The cell as an exact number."""
        return self._typed(column, parse_decimal, self.decimal_separator)

    def integer(self, column: str | None) -> int | None:
        """The cell as a whole number."""
        return self._typed(column, parse_int, self.decimal_separator)

    def boolean(self, column: str | None) -> bool | None:
        """The cell as a yes/no flag."""
        return self._typed(column, parse_bool)

    def grams(self, column: str | None, unit: str) -> Decimal | None:
        """The cell as a weight in grams; ``unit`` applies to bare numbers."""
        return self._typed(column, parse_weight_grams, unit, self.decimal_separator)

    def sku(self, column: str | None) -> str | None:
        """The cell as a SKU, kept as text."""
        value, warning = read_sku(self.raw(column))
        self._warn(column, warning)
        return value

    def barcode(self, column: str | None) -> str | None:
        """The cell as a barcode, kept as text; damaged codes are flagged."""
        value, warning = read_barcode(self.raw(column))
        self._warn(column, warning)
        return value

    def reject(self, column: str | None, reason: str) -> None:
        """Reject the current row for ``reason``."""
        self.findings.reject(self.row, column, reason)
        self.ok = False

    def _typed(self, column, parse, *args):
        text = self.raw(column)
        if not text:
            return None
        try:
            return parse(text, *args)
        except ValueProblem as problem:
            self.reject(column, str(problem))
            return None

    def _warn(self, column: str | None, warning: ValueWarning | None) -> None:
        if warning is not None:
            self.findings.warn(
                self.row, column, warning.message, key=(column, warning.kind)
            )
