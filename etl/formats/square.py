"""Square item library export: one row per item variation.

Rows of one item share its ``Item Name``. Variations are told apart by
``Option Name n``/``Option Value n`` where present, else by ``Variation
Name`` (a single variation called ``Regular`` means the item has none).
Stock sits in ``Current Quantity <location>`` columns, one per location;
a product record carries it only when there is a single location, and
:func:`parse_stock` reads every location.

TODO(#3): written from Square's documented column set; no real export was
available, so the fixture in tests/etl/fixtures is our own.
"""

from __future__ import annotations

from etl.formats import (
    Context,
    HandleBook,
    choose_separator,
    new_result,
    warn_duplicate_skus,
)
from etl.records import (
    Findings,
    ParseResult,
    ProductRecord,
    StockRecord,
    VariantRecord,
)
from etl.sources import Table, header_key
from etl.values import CellReader

QUANTITY_PREFIX = "current quantity "
DEFAULT_VARIATION = "regular"
_WEIGHT_UNITS = {"lb": "lb", "lbs": "lb", "kg": "kg", "g": "g", "oz": "oz"}


class _Columns:
    def __init__(self, table: Table) -> None:
        find = table.column
        self.item = find("Item Name")
        self.variation = find("Variation Name")
        self.description = find("Description")
        self.category = find("Category", "Categories", "Reporting Category")
        self.vendor = find("Default Vendor Name")
        self.archived = find("Archived")
        self.permalink = find("Permalink")
        self.seo_title = find("SEO Title")
        self.seo_description = find("SEO Description")

        self.sku = find("SKU")
        self.gtin = find("GTIN")
        self.price = find("Price")
        self.cost = find("Default Unit Cost")
        self.options = [
            (find(f"Option Name {n}"), find(f"Option Value {n}")) for n in (1, 2, 3)
        ]

        # Weight and stock columns carry a unit or a location in their name.
        self.weight, self.weight_unit = None, "lb"
        self.quantities: dict[str, str] = {}
        for key in table.keys:
            name = header_key(key)
            if name.startswith(QUANTITY_PREFIX):
                self.quantities[key[len(QUANTITY_PREFIX) :].strip()] = key
            elif name.startswith("weight (") and name[8:-1] in _WEIGHT_UNITS:
                self.weight, self.weight_unit = key, _WEIGHT_UNITS[name[8:-1]]


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a Square item library export into ProductRecords, one per item."""
    columns = _Columns(table)
    findings = Findings()
    items: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row, record in table.records():
        name = record[columns.item].strip()
        if not name:
            findings.reject(row, columns.item, "the Item Name is empty")
            continue
        items.setdefault(name, []).append((row, record))
    all_records = (record for rows in items.values() for _, record in rows)
    separator = choose_separator(
        context.decimal_separator, all_records, [columns.price, columns.cost]
    )
    cells = CellReader(findings, separator or ".")
    if len(columns.quantities) > 1:
        findings.warn(
            None,
            None,
            f"quantities are given for {len(columns.quantities)} locations; products "
            "carry no quantity, read them with parse_stock",
        )

    handles, products = HandleBook(findings), []
    for name, rows in items.items():
        variants = _variants(rows, columns, cells)
        if not variants:
            continue
        row, record = rows[0]
        cells.bind(row, record)
        archived = (cells.text(columns.archived) or "").casefold() in (
            "y",
            "yes",
            "true",
        )
        products.append(
            ProductRecord(
                handle=handles.claim(cells.text(columns.permalink), name, row),
                title=name,
                description_html=cells.raw(columns.description).strip() or None,
                vendor=cells.text(columns.vendor),
                product_type=cells.text(columns.category),
                tags=(),
                status="archived" if archived else "active",
                seo_title=cells.text(columns.seo_title),
                seo_description=cells.text(columns.seo_description),
                images=(),
                variants=tuple(variants),
                rows=tuple(variant.row for variant in variants),
            )
        )
    warn_duplicate_skus(products, findings)
    return new_result("square", table, findings, products, separator or ".")


def parse_stock(table: Table, context: Context) -> ParseResult:
    """Every ``Current Quantity <location>`` cell as a StockRecord."""
    columns = _Columns(table)
    findings = Findings()
    cells = CellReader(findings)
    stock = []

    for row, record in table.records():
        cells.bind(row, record)
        for location, column in columns.quantities.items():
            quantity = cells.integer(column)
            if quantity is None:
                continue
            sku = cells.sku(columns.sku)
            if sku is None:
                cells.reject(
                    columns.sku, "a quantity is given but the variation has no SKU"
                )
                break
            stock.append(StockRecord(sku, location, quantity, row))
    return new_result("square", table, findings, stock, None)


def _variants(rows, columns: _Columns, cells: CellReader) -> list[VariantRecord]:
    quantities = list(columns.quantities.values())
    single_location = quantities[0] if len(quantities) == 1 else None
    variants, seen = [], {}

    for row, record in rows:
        cells.bind(row, record)
        options = _options(cells, columns, many=len(rows) > 1)
        variable = cells.raw(columns.price).strip().casefold() == "variable"
        if variable:
            cells.findings.warn(
                row,
                columns.price,
                "the price is 'Variable' (set at sale); left empty",
                key="variable-price",
            )

        variant = VariantRecord(
            sku=cells.sku(columns.sku),
            barcode=cells.barcode(columns.gtin),
            options=options,
            price=None if variable else cells.money(columns.price),
            compare_at_price=None,
            unit_cost=cells.money(columns.cost),
            weight_grams=cells.grams(columns.weight, columns.weight_unit),
            inventory_quantity=cells.integer(single_location),
            continue_selling=None,
            image_url=None,
            row=row,
        )
        earlier = seen.setdefault(options, row)
        if earlier != row:
            cells.reject(columns.variation, f"the same variation as row {earlier}")
        if cells.ok:
            variants.append(variant)
    return variants


def _options(cells: CellReader, columns: _Columns, *, many: bool) -> tuple:
    options = tuple(
        (name, value)
        for name, value in ((cells.text(n), cells.text(v)) for n, v in columns.options)
        if name and value
    )
    if options:
        return options
    variation = cells.text(columns.variation)
    if variation and (many or variation.casefold() != DEFAULT_VARIATION):
        return (("Variation", variation),)
    return ()
