"""Public entry points of the import parsing layer: file in, ParseResult out.

Each function reads one file (or, for multi-table exports such as Olist, a
folder or any one of its tables), recognises the layout from its header
unless ``format`` names it, and returns records plus rejections and
warnings. Nothing here touches a database.

Every function raises :class:`~etl.records.ImportRefused` (or a subclass)
with a message naming the file and what is wrong when a file cannot be
imported at all; problems in single rows never raise.
"""

from __future__ import annotations

from pathlib import Path

from etl.formats import (
    ITEM_IDS,
    PRODUCTS,
    SALES,
    STOCK,
    Context,
    find_layout,
    find_sibling,
    generic,
    layout_for,
    parser_for,
    wrong_kind,
)
from etl.records import BadMapping, ImportRefused, ParseResult, WrongKind
from etl.sources import Progress, as_sink, open_table, read_header
from etl.values import DATE_ORDERS

Mapping = dict[str, str] | str | Path | None


def parse_products(
    path: str | Path,
    *,
    format: str = "auto",
    mapping: Mapping = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal_separator: str | None = None,
    weight_unit: str | None = None,
    progress: Progress | None = None,
) -> ParseResult:
    """Parse a product catalogue into :class:`~etl.records.ProductRecord` s.

    ``format`` is ``"auto"`` (recognise from the header) or a layout name
    such as ``"shopify"``; ``mapping`` (a dict or a JSON file path) selects
    the generic mapped reader. ``decimal_separator`` (``"."``/``","``) and
    ``weight_unit`` (``"kg"``, ``"lb"``…, for formats whose weights carry
    no unit) override detection and defaults. ``progress(bytes_read,
    total_bytes)`` is called while the file is read.
    """
    context = Context(
        encoding=encoding,
        delimiter=delimiter,
        decimal_separator=_check_separator(decimal_separator),
        weight_unit=weight_unit,
        progress=as_sink(progress),
    )
    return _parse(PRODUCTS, Path(path), format, mapping, context)


def parse_stock(
    path: str | Path,
    *,
    format: str = "auto",
    mapping: Mapping = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    location: str | None = None,
    progress: Progress | None = None,
) -> ParseResult:
    """Parse stock levels into :class:`~etl.records.StockRecord` s.

    ``location`` names the location for files that hold a single one
    (default ``"default"``); multi-location files name their own.
    """
    context = Context(
        encoding=encoding,
        delimiter=delimiter,
        location=location,
        progress=as_sink(progress),
    )
    return _parse(STOCK, Path(path), format, mapping, context)


def parse_sales(
    path: str | Path,
    *,
    format: str = "auto",
    date_order: str | None = None,
    mapping: Mapping = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal_separator: str | None = None,
    currency: str | None = None,
    progress: Progress | None = None,
) -> ParseResult:
    """Parse sales history into :class:`~etl.records.SaleLine` s.

    ``date_order`` is ``"dmy"`` (UK ``01/12/2010``), ``"mdy"`` (US
    ``12/1/10``) or ``"ymd"``; left as None it is detected from the file's
    values, and a file whose dates never settle it is refused with a
    request to choose. ISO dates need no choice. ``currency`` fills in
    files that do not state one. For Olist, ``path`` may be the folder or
    any of its orders, order items or payments tables.
    """
    if date_order is not None and date_order not in DATE_ORDERS:
        raise ImportRefused(
            f"date_order must be one of {', '.join(DATE_ORDERS)}, not {date_order!r}"
        )

    context = Context(
        encoding=encoding,
        delimiter=delimiter,
        decimal_separator=_check_separator(decimal_separator),
        date_order=date_order,
        currency=currency,
        progress=as_sink(progress),
    )
    return _parse(SALES, Path(path), format, mapping, context)


def parse_inventory_item_ids(
    path: str | Path,
    *,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ParseResult:
    """Parse a Shopify SKU → inventory item id file into InventoryItemRefs."""
    context = Context(encoding=encoding, progress=as_sink(progress))
    return _parse(ITEM_IDS, Path(path), "auto", None, context)


def _parse(kind: str, path: Path, format: str, mapping: Mapping, context: Context):
    try:
        if path.is_dir():
            path = _pick_primary(path, kind)
        if mapping is not None or format == "generic":
            return _parse_mapped(kind, path, mapping, context)
        return _parse_known(kind, path, format, context)
    except ImportRefused as refused:
        if refused.path is None:
            raise type(refused)(refused.reason, path=path) from None
        raise


def _parse_known(kind: str, path: Path, format: str, context: Context) -> ParseResult:
    # The layout comes from the header alone, before the file is opened for
    # real, so a companion file is redirected without counting its bytes.
    if format == "auto":
        layout = layout_for(read_header(path, encoding=context.encoding))
    else:
        layout = find_layout(format)
    if layout.primary is not None:
        return _parse_through_primary(kind, path, layout, context)

    parse = parser_for(layout, kind)
    with open_table(
        path,
        encoding=context.encoding,
        delimiter=context.delimiter,
        progress=context.progress,
    ) as table:
        return parse(table, context)


def _parse_through_primary(kind: str, path: Path, layout, context: Context):
    """Read a companion table (Olist orders, PrestaShop combinations) through
    the primary file beside it, which finds its companions itself."""
    if kind not in find_layout(layout.primary).parsers:
        raise wrong_kind(layout, kind)
    primary = find_sibling(path.parent, layout.primary, exclude=path)
    if primary is None:
        raise WrongKind(
            f"this is {layout.description}; {layout.advice}, but no such file "
            f"was found in {path.parent}",
            path=path,
        )
    return _parse_known(kind, primary, layout.primary, context)


def _parse_mapped(kind: str, path: Path, mapping: Mapping, context: Context):
    if mapping is None:
        raise BadMapping("--format generic needs a column mapping (--mapping FILE)")
    if not isinstance(mapping, dict):
        mapping = generic.load_mapping(mapping)
    context.mapping = mapping

    with open_table(
        path,
        encoding=context.encoding,
        delimiter=context.delimiter,
        progress=context.progress,
    ) as table:
        return generic.parse(kind, table, context)


def _pick_primary(directory: Path, kind: str) -> Path:
    """The one file in ``directory`` that a ``kind`` parse should start from."""
    candidates, seen = [], []
    for candidate in sorted(directory.iterdir()):
        if not candidate.is_file() or candidate.name.startswith("."):
            continue
        try:
            layout = layout_for(read_header(candidate))
        except ImportRefused:
            continue
        seen.append(f"{candidate.name} ({layout.description})")
        if kind in layout.parsers and layout.primary is None:
            candidates.append(candidate)

    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        found = "; ".join(seen) or "no readable CSV or XLSX files"
        raise WrongKind(
            f"the folder holds no {kind} file; it has {found}", path=directory
        )
    names = ", ".join(path.name for path in candidates)
    raise ImportRefused(
        f"the folder holds several {kind} files ({names}); pass one of them",
        path=directory,
    )


def _check_separator(separator: str | None) -> str | None:
    if separator not in (None, ".", ","):
        raise ImportRefused(f"decimal_separator must be '.' or ',', not {separator!r}")
    return separator
