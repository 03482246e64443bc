"""Any CSV or XLSX file read through a column mapping ``{our_field: their_column}``.

The mapping names, for each of our fields, the header of the column that
holds it; it can come from a JSON file holding that object. Unknown fields
and columns the file does not have are refused before any row is read.

Products: every row is one variant; rows sharing a ``handle`` (or, with no
handle mapped, a ``title``) form one product whose product fields come from
its first row. An option's name is taken from ``optionN_name`` if mapped,
else from the header of the ``optionN_value`` column (a column "Size"
gives option "Size"). Weights use the unit in their field name
(``weight_kg``…) unless a cell states its own (``250 g``).

Stock: ``sku``, ``quantity`` and optionally ``location``.
Sales: ``order_ref``, ``ordered_at``, ``quantity`` and ``unit_price`` (or
``line_total``, divided by the quantity); a negative quantity or a true
``is_return`` marks a return.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from etl.formats import (
    PRODUCTS,
    SALES,
    STATUSES,
    STOCK,
    Context,
    HandleBook,
    choose_separator,
    new_result,
    status_from_flag,
    warn_duplicate_skus,
    zero_as_none,
)
from etl.formats.sales import UNIT_PRICE_STEP, SalesBuilder, peek, settle_separator
from etl.records import (
    BadMapping,
    Findings,
    ImageRef,
    ParseResult,
    ProductRecord,
    StockRecord,
    VariantRecord,
)
from etl.sources import Table
from etl.values import CellReader, split_list

PRODUCT_FIELDS = frozenset(
    {
        "handle", "title", "description_html", "vendor", "product_type", "tags",
        "status", "published", "seo_title", "seo_description", "image_urls",
        "sku", "barcode", "price", "compare_at_price", "unit_cost",
        "weight_grams", "weight_kg", "weight_lb", "weight_oz",
        "inventory_quantity", "continue_selling", "variant_image_url",
        "option1_name", "option1_value", "option2_name", "option2_value",
        "option3_name", "option3_value",
    }
)  # fmt: skip
STOCK_FIELDS = frozenset({"sku", "quantity", "location"})
SALES_FIELDS = frozenset(
    {
        "order_ref", "line_no", "ordered_at", "sku", "title", "quantity",
        "unit_price", "line_total", "currency", "customer_ref", "country",
        "is_return",
    }
)  # fmt: skip
_FIELDS = {PRODUCTS: PRODUCT_FIELDS, STOCK: STOCK_FIELDS, SALES: SALES_FIELDS}
_REQUIRED = {
    PRODUCTS: [("title", "handle")],
    STOCK: [("sku",), ("quantity",)],
    SALES: [
        ("order_ref",),
        ("ordered_at",),
        ("quantity",),
        ("unit_price", "line_total"),
    ],
}
_WEIGHT_FIELDS = {
    "weight_grams": "g",
    "weight_kg": "kg",
    "weight_lb": "lb",
    "weight_oz": "oz",
}
DEFAULT_LOCATION = "default"


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read a JSON object ``{our_field: their_column}`` from ``path``."""
    path = Path(path)
    try:
        mapping = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise BadMapping(
            f"the mapping file cannot be read: {exc.strerror}", path=path
        ) from None
    except json.JSONDecodeError as exc:
        raise BadMapping(
            f"the mapping file is not valid JSON (line {exc.lineno}: {exc.msg})",
            path=path,
        ) from None

    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise BadMapping(
            'the mapping must be one JSON object of names, like {"sku": "Item code"}',
            path=path,
        )
    return mapping


def parse(kind: str, table: Table, context: Context) -> ParseResult:
    """Read ``table`` as ``kind`` (products, stock or sales) through the mapping."""
    columns = check_mapping(kind, context.mapping or {}, table)
    if kind == PRODUCTS:
        return _parse_products(table, context, columns)
    if kind == STOCK:
        return _parse_stock(table, context, columns)
    if kind == SALES:
        return _parse_sales(table, context, columns)
    raise BadMapping(f"a column mapping cannot be used to read {kind}", path=table.path)


def check_mapping(kind: str, mapping: dict[str, str], table: Table) -> dict[str, str]:
    """Resolve the mapping against the header: field → record key.

    Refuses unknown fields, columns the file lacks and missing required
    fields, naming each, before any row is read.
    """
    known = _FIELDS[kind]
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise BadMapping(
            f"unknown field(s) {', '.join(unknown)} in the {kind} mapping; "
            f"known fields: {', '.join(sorted(known))}",
            path=table.path,
        )

    resolved, absent = {}, []
    for field, column in mapping.items():
        key = table.column(column)
        if key is None:
            absent.append(f"{column!r} (for {field})")
        resolved[field] = key
    if absent:
        header = ", ".join(table.header[:12]) + (
            ", …" if len(table.header) > 12 else ""
        )
        raise BadMapping(
            f"the file has no column {', '.join(absent)}; its columns are {header}",
            path=table.path,
        )

    for choices in _REQUIRED[kind]:
        if not any(choice in resolved for choice in choices):
            raise BadMapping(
                f"the {kind} mapping needs a column for {' or '.join(choices)}",
                path=table.path,
            )
    return resolved


# -- products ---------------------------------------------------------------


def _parse_products(table: Table, context: Context, col: dict[str, str]) -> ParseResult:
    findings = Findings()
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    group_by = col.get("handle") or col["title"]
    for row, record in table.records():
        key = record[group_by].strip()
        if not key:
            findings.reject(row, group_by, "the product key (handle or title) is empty")
            continue
        groups.setdefault(key, []).append((row, record))
    separator = choose_separator(
        context.decimal_separator,
        (record for rows in groups.values() for _, record in rows),
        [col.get("price"), col.get("compare_at_price"), col.get("unit_cost")],
    )
    cells = CellReader(findings, separator)
    handles, products = HandleBook(findings), []

    for key, rows in groups.items():
        variants = _variants(rows, col, cells)
        if not variants:
            continue
        row, record = rows[0]
        cells.bind(row, record)
        title = cells.text(col.get("title")) or key
        products.append(
            ProductRecord(
                handle=handles.claim(cells.text(col.get("handle")), title, row),
                title=title,
                description_html=cells.raw(col.get("description_html")).strip() or None,
                vendor=cells.text(col.get("vendor")),
                product_type=cells.text(col.get("product_type")),
                tags=split_list(cells.raw(col.get("tags"))),
                status=_status(cells, col),
                seo_title=cells.text(col.get("seo_title")),
                seo_description=cells.text(col.get("seo_description")),
                images=_images(rows, col),
                variants=tuple(variants),
                rows=tuple(variant.row for variant in variants),
            )
        )
    warn_duplicate_skus(products, findings)
    return new_result("generic", table, findings, products, separator)


def _variants(rows, col: dict[str, str], cells: CellReader) -> list[VariantRecord]:
    weight_field = next((f for f in _WEIGHT_FIELDS if f in col), None)
    weight_unit = _WEIGHT_FIELDS.get(weight_field or "", "g")
    variants, seen = [], {}

    for row, record in rows:
        cells.bind(row, record)
        options = _options(cells, col)
        variant = VariantRecord(
            sku=cells.sku(col.get("sku")),
            barcode=cells.barcode(col.get("barcode")),
            options=options,
            price=cells.money(col.get("price")),
            compare_at_price=zero_as_none(cells.money(col.get("compare_at_price"))),
            unit_cost=cells.money(col.get("unit_cost")),
            weight_grams=cells.grams(col.get(weight_field or ""), weight_unit),
            inventory_quantity=cells.integer(col.get("inventory_quantity")),
            continue_selling=cells.boolean(col.get("continue_selling")),
            image_url=cells.text(col.get("variant_image_url")),
            row=row,
        )

        earlier = seen.setdefault(options, row)
        if earlier != row:
            cells.reject(None, f"the same options as row {earlier} of this product")
        if cells.ok:
            variants.append(variant)
    return variants


def _options(cells: CellReader, col: dict[str, str]) -> tuple:
    options = []
    for n in (1, 2, 3):
        value_column = col.get(f"option{n}_value")
        value = cells.text(value_column)
        if value_column is None or value is None:
            continue
        name = cells.text(col.get(f"option{n}_name")) or value_column
        options.append((name, value))
    return tuple(options)


def _status(cells: CellReader, col: dict[str, str]) -> str:
    status = (cells.text(col.get("status")) or "").casefold()
    if status in STATUSES:
        return status
    if status:
        cells.findings.warn(
            cells.row, col["status"], f"unknown status {status!r}; draft"
        )
        return "draft"
    return status_from_flag(cells.boolean(col.get("published")))


def _images(rows, col: dict[str, str]) -> tuple[ImageRef, ...]:
    column = col.get("image_urls")
    if column is None:
        return ()
    urls: dict[str, None] = {}
    for _, record in rows:
        for url in split_list(record[column]):
            urls.setdefault(url)
    return tuple(ImageRef(url, None, n) for n, url in enumerate(urls, 1))


# -- stock ------------------------------------------------------------------


def _parse_stock(table: Table, context: Context, col: dict[str, str]) -> ParseResult:
    findings = Findings()
    cells = CellReader(findings)
    default_location = context.location or DEFAULT_LOCATION
    stock, seen = [], {}

    for row, record in table.records():
        cells.bind(row, record)
        sku, quantity = cells.sku(col["sku"]), cells.integer(col["quantity"])
        location = cells.text(col.get("location")) or default_location
        if not cells.ok:
            continue
        if sku is None or quantity is None:
            cells.reject(
                col["sku"] if sku is None else col["quantity"],
                "SKU or quantity is empty",
            )
            continue

        earlier = seen.setdefault((sku, location), row)
        if earlier != row:
            cells.reject(
                col["sku"], f"SKU {sku!r} at {location!r} is already on row {earlier}"
            )
            continue
        stock.append(StockRecord(sku, location, quantity, row))
    return new_result("generic", table, findings, stock, None)


# -- sales ------------------------------------------------------------------


def _parse_sales(table: Table, context: Context, col: dict[str, str]) -> ParseResult:
    findings = Findings()
    head, records = peek(table.records(), 2000)
    money = col.get("unit_price") or col.get("line_total")
    separator = settle_separator(context.decimal_separator, head, money)
    cells = CellReader(findings, separator)
    builder = SalesBuilder(findings, context.date_order, col["ordered_at"])

    for row, record in records:
        cells.bind(row, record)
        order_ref = cells.sku(col["order_ref"])
        quantity = cells.integer(col["quantity"])
        price = _unit_price(cells, col, quantity)
        flagged = cells.boolean(col.get("is_return"))
        line_no = cells.integer(col.get("line_no"))
        if not cells.ok or order_ref is None or quantity is None or price is None:
            if cells.ok:
                cells.reject(None, "order reference, quantity or price is empty")
            continue
        builder.add(
            row,
            order_ref,
            line_no if line_no is not None else builder.next_line_no(order_ref),
            record[col["ordered_at"]],
            cells.sku(col.get("sku")),
            cells.text(col.get("title")),
            quantity,
            price,
            cells.text(col.get("currency")) or context.currency,
            cells.sku(col.get("customer_ref")),
            cells.text(col.get("country")),
            bool(flagged) or quantity < 0,
        )
    return new_result("generic", table, findings, builder.build(), separator)


def _unit_price(
    cells: CellReader, col: dict[str, str], quantity: int | None
) -> Decimal | None:
    if "unit_price" in col:
        return cells.money(col["unit_price"])
    total = cells.money(col["line_total"])
    if total is None or not quantity:
        if total is not None:
            cells.reject(col["quantity"], "quantity 0: no unit price can be derived")
        return None
    return (total / quantity).quantize(UNIT_PRICE_STEP)
