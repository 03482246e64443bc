"""Shopify product CSV: one product spread over several rows sharing a Handle.

The first row of a handle carries the product fields; every row with variant
data is a variant; rows with only ``Image Src`` add images. Exports differ a
lot (2019 vs 2023 templates, 63-column exports with metafields and no
``Variant Inventory Qty``, partial 7-column exports), so every column is
optional except ``Handle``.
"""

from __future__ import annotations

from etl.formats import (
    STATUSES,
    Context,
    choose_separator,
    new_result,
    status_from_flag,
    warn_duplicate_skus,
    zero_as_none,
)
from etl.records import (
    Findings,
    ImageRef,
    ParseResult,
    ProductRecord,
    StockRecord,
    VariantRecord,
    WrongKind,
)
from etl.sources import Table
from etl.values import CellReader, ValueProblem, parse_bool, parse_int, split_list

DEFAULT_LOCATION = "default"
# A product whose only option is Title=Default Title has no real options.
NO_OPTIONS = ("Title", "Default Title")

_VARIANT_FIELDS = (
    "sku",
    "price",
    "compare",
    "barcode",
    "grams",
    "qty",
    "option1",
    "option2",
    "option3",
    "cost",
)


class _Columns:
    """Where each Shopify field sits in this file (None if absent)."""

    def __init__(self, table: Table) -> None:
        find = table.column
        self.handle = find("Handle")
        self.title = find("Title")
        self.body = find("Body (HTML)", "Body HTML")
        self.vendor = find("Vendor")
        self.type = find("Type")
        self.tags = find("Tags")
        self.published = find("Published")
        self.status = find("Status")

        self.option_names = [find(f"Option{i} Name") for i in (1, 2, 3)]
        self.option1, self.option2, self.option3 = (
            find(f"Option{i} Value") for i in (1, 2, 3)
        )

        self.sku = find("Variant SKU")
        self.grams = find("Variant Grams")
        self.qty = find("Variant Inventory Qty")
        self.policy = find("Variant Inventory Policy")
        self.price = find("Variant Price")
        self.compare = find("Variant Compare At Price")
        self.barcode = find("Variant Barcode")
        self.cost = find("Cost per item")
        self.variant_image = find("Variant Image")

        self.image_src = find("Image Src")
        self.image_position = find("Image Position")
        self.image_alt = find("Image Alt Text")
        self.seo_title = find("SEO Title")
        self.seo_description = find("SEO Description")

        self.variant_keys = [
            key for key in (getattr(self, name) for name in _VARIANT_FIELDS) if key
        ]

    def option_values(self) -> list[str | None]:
        """The three option value columns, in order."""
        return [self.option1, self.option2, self.option3]


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a Shopify product export into ProductRecords, one per Handle."""
    columns = _Columns(table)
    findings = Findings()
    groups = _group_by_handle(table, columns, findings)
    records = [rec for rows in groups.values() for _, rec in rows]
    separator = choose_separator(
        context.decimal_separator,
        records,
        [columns.price, columns.compare, columns.cost],
    )
    # NOTE: Shopify itself always writes a decimal point; "." is only a
    # default for files that hold no fractional prices at all.
    cells = CellReader(findings, separator or ".")
    if columns.title is None:
        findings.warn(
            None, None, "the file has no Title column; handles are used as titles"
        )

    products = []
    for handle, rows in groups.items():
        product = _build_product(handle, rows, columns, cells)
        if product is not None:
            products.append(product)
    warn_duplicate_skus(products, findings)
    return new_result("shopify", table, findings, products, separator or ".")


def parse_stock(table: Table, context: Context) -> ParseResult:
    """Read ``Variant Inventory Qty`` of a product export as single-location stock."""
    columns = _Columns(table)
    if columns.qty is None:
        raise WrongKind(
            "this Shopify product export has no 'Variant Inventory Qty' column, so "
            "it holds no stock quantities",
            path=table.path,
        )
    findings = Findings()
    cells = CellReader(findings)
    location = context.location or DEFAULT_LOCATION

    stock = []
    for row, record in table.records():
        cells.bind(row, record)
        quantity = cells.integer(columns.qty)
        sku = cells.sku(columns.sku)
        if quantity is None or not cells.ok:
            continue
        if sku is None:
            cells.reject(columns.sku, "a quantity is given but the variant has no SKU")
            continue
        stock.append(StockRecord(sku, location, quantity, row))
    return new_result("shopify", table, findings, stock, None)


def _group_by_handle(table: Table, columns: _Columns, findings: Findings) -> dict:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row, record in table.records():
        handle = record[columns.handle].strip()
        if not handle:
            findings.reject(row, columns.handle, "the Handle is empty")
            continue
        groups.setdefault(handle, []).append((row, record))
    return groups


def _build_product(
    handle: str, rows: list, columns: _Columns, cells: CellReader
) -> ProductRecord | None:
    first_row, first = rows[0]
    cells.bind(first_row, first)
    title = cells.text(columns.title) if columns.title else handle
    if title is None:
        for row, _ in rows:
            cells.findings.reject(
                row, columns.title, f"product {handle!r} has no Title on its first row"
            )
        return None

    names = [cells.text(name) for name in columns.option_names]
    variants = _read_variants(handle, rows, names, columns, cells)
    if not variants:
        _reject_empty_product(handle, rows, columns, cells)
        return None

    cells.bind(first_row, first)
    body = cells.raw(columns.body)
    return ProductRecord(
        handle=handle,
        title=title,
        description_html=body if body.strip() else None,
        vendor=cells.text(columns.vendor),
        product_type=cells.text(columns.type),
        tags=split_list(cells.raw(columns.tags)),
        status=_status(cells, columns),
        seo_title=cells.text(columns.seo_title),
        seo_description=cells.text(columns.seo_description),
        images=_read_images(rows, columns, cells),
        variants=tuple(variants),
        rows=tuple(row for row, _ in rows),
    )


def _read_variants(handle, rows, names, columns: _Columns, cells: CellReader) -> list:
    variants: list[VariantRecord] = []
    seen_options: dict[tuple, int] = {}
    for row, record in rows:
        if not any(record[key].strip() for key in columns.variant_keys):
            continue  # an image-only row
        cells.bind(row, record)
        options = _read_options(names, columns, cells)
        variant = VariantRecord(
            sku=cells.sku(columns.sku),
            barcode=cells.barcode(columns.barcode),
            options=options,
            price=cells.money(columns.price),
            compare_at_price=zero_as_none(cells.money(columns.compare)),
            unit_cost=cells.money(columns.cost),
            weight_grams=cells.decimal(columns.grams),
            inventory_quantity=cells.integer(columns.qty),
            continue_selling=_policy(cells, columns.policy),
            image_url=cells.text(columns.variant_image),
            row=row,
        )
        if not cells.ok:
            continue

        earlier = seen_options.setdefault(options, row)
        if earlier != row:
            shown = ", ".join(f"{n}={v}" for n, v in options) or "no options"
            cells.reject(
                columns.option1,
                f"product {handle!r} already has a variant with {shown} (row "
                f"{earlier}); Shopify needs each variant's options to differ",
            )
            continue
        variants.append(variant)
    return variants


def _read_options(names, columns: _Columns, cells: CellReader) -> tuple:
    options = []
    for name, column in zip(names, columns.option_values(), strict=True):
        value = cells.text(column)
        if name and value:
            options.append((name, value))
        elif value and not name:
            cells.reject(
                column, f"option value {value!r} has no option name on the first row"
            )
        elif name and not value and name != NO_OPTIONS[0]:
            cells.reject(column, f"the value for option {name!r} is empty")

    if tuple(options) in ((NO_OPTIONS,), ()):
        return ()
    return tuple(options)


def _policy(cells: CellReader, column: str | None) -> bool | None:
    value = (cells.text(column) or "").casefold()
    if not value:
        return None
    if value in ("continue", "deny"):
        return value == "continue"
    cells.reject(column, f"inventory policy {value!r} is neither 'deny' nor 'continue'")
    return None


def _status(cells: CellReader, columns: _Columns) -> str:
    status = (cells.text(columns.status) or "").casefold()
    if status in STATUSES:
        return status
    if status:
        cells.findings.warn(
            cells.row, columns.status, f"unknown status {status!r}; imported as draft"
        )
        return "draft"

    try:
        return status_from_flag(parse_bool(cells.raw(columns.published)))
    except ValueProblem as problem:
        cells.findings.warn(
            cells.row, columns.published, f"{problem}; imported as draft"
        )
        return "draft"


def _read_images(rows, columns: _Columns, cells: CellReader) -> tuple[ImageRef, ...]:
    if columns.image_src is None:
        return ()
    found: dict[str, tuple[int, str | None]] = {}
    for index, (row, record) in enumerate(rows):
        url = record[columns.image_src].strip()
        if not url or url in found:
            continue
        position = index + 1000  # rows without a position keep file order, last
        text = record.get(columns.image_position, "") if columns.image_position else ""
        try:
            position = parse_int(text) or position
        except ValueProblem as problem:
            cells.findings.warn(row, columns.image_position, str(problem))
        alt = record.get(columns.image_alt, "").strip() if columns.image_alt else ""
        found[url] = (position, alt or None)

    ordered = sorted(found.items(), key=lambda item: item[1][0])
    return tuple(
        ImageRef(url, alt, number) for number, (url, (_, alt)) in enumerate(ordered, 1)
    )


def _reject_empty_product(handle, rows, columns: _Columns, cells: CellReader) -> None:
    rejected = {rejection.row for rejection in cells.findings.rejected}
    if any(row in rejected for row, _ in rows):
        reason = (
            f"product {handle!r} was not imported: none of its variant rows "
            "could be read"
        )
    else:
        reason = f"product {handle!r} has no variant rows (only images)"
    cells.findings.reject(rows[0][0], columns.handle, reason)
