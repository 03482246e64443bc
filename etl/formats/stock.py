"""Stock files → StockRecord (and Shopify's SKU → inventory item id map).

Layouts read here:

- Shopify inventory export: one row per variant and location (``Location``
  plus ``On hand``/``Available``), or, without a ``Location`` column, one
  quantity column per location after the identifying columns;
- a wide sheet: ``SKU`` then one quantity column per location, as small
  shops keep in Excel (empty cell = not stocked there);
- Shopware 5 ``ordernumber;instock`` exports (a single location).

A SKU listed twice for one location with the same quantity is a harmless
repeat (warned, kept once); with different quantities the later row is
rejected, since there is no way to tell which is right.
"""

from __future__ import annotations

from etl.formats import Context, new_result
from etl.records import Findings, InventoryItemRef, ParseResult, StockRecord
from etl.sources import Table, header_key
from etl.values import CellReader, read_identifier

DEFAULT_LOCATION = "default"
# Columns of a Shopify inventory export that identify a variant, not a place.
_SHOPIFY_ID_COLUMNS = frozenset(
    header_key(name)
    for name in (
        "Handle", "Title", "Option1 Name", "Option1 Value", "Option2 Name",
        "Option2 Value", "Option3 Name", "Option3 Value", "SKU", "HS Code", "COO",
    )
)  # fmt: skip
_NOT_STOCKED = "not stocked"
_GID_PREFIX = "gid://shopify/InventoryItem/"


class _StockBook:
    """Collects stock records, catching repeated SKU + location pairs."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.records: list[StockRecord] = []
        self.seen: dict[tuple[str, str], StockRecord] = {}

    def add(
        self, sku: str, location: str, quantity: int, row: int, column: str
    ) -> None:
        """Add a quantity, unless this SKU and location already have one."""
        earlier = self.seen.get((sku, location))
        if earlier is None:
            record = StockRecord(sku, location, quantity, row)
            self.seen[(sku, location)] = record
            self.records.append(record)
            return

        if earlier.quantity == quantity:
            self.findings.warn(
                row,
                column,
                f"SKU {sku!r} at {location!r} is listed again (first on row "
                f"{earlier.row}) with the same quantity; counted once",
                key=("repeat", sku, location),
            )
        else:
            self.findings.reject(
                row,
                column,
                f"SKU {sku!r} at {location!r} already has quantity {earlier.quantity} "
                f"on row {earlier.row}; this row says {quantity}",
            )


def parse_shopify_inventory(table: Table, context: Context) -> ParseResult:
    """A Shopify inventory export, long (Location column) or wide layout."""
    findings = Findings()
    book = _StockBook(findings)
    cells = CellReader(findings)
    sku_column = table.column("SKU")
    location_column = table.column("Location")
    quantity_column = table.column("On hand", "Available")

    if location_column is not None and quantity_column is not None:
        for row, record in table.records():
            cells.bind(row, record)
            location = cells.text(location_column)
            if location is None:
                cells.reject(location_column, "the location is empty")
                continue
            _add_cell(cells, book, sku_column, quantity_column, location)
    else:
        # TODO(#3): the wide layout comes from Shopify's help pages only; no
        # real export of it was available to test against.
        locations = [
            key for key in table.keys if header_key(key) not in _SHOPIFY_ID_COLUMNS
        ]
        for row, record in table.records():
            cells.bind(row, record)
            for location in locations:
                _add_cell(cells, book, sku_column, location, location)
    return new_result("shopify_inventory", table, findings, book.records, None)


def parse_stock_by_location(table: Table, context: Context) -> ParseResult:
    """A sheet with ``SKU`` then one quantity column per location."""
    findings = Findings()
    book = _StockBook(findings)
    cells = CellReader(findings)
    sku_column, locations = table.keys[0], table.keys[1:]

    for row, record in table.records():
        cells.bind(row, record)
        for location in locations:
            _add_cell(cells, book, sku_column, location, location)
    return new_result("stock_by_location", table, findings, book.records, None)


def parse_shopware_instock(table: Table, context: Context) -> ParseResult:
    """Shopware 5 ``ordernumber;instock`` rows, all at one location."""
    findings = Findings()
    book = _StockBook(findings)
    cells = CellReader(findings)
    sku_column, quantity_column = table.column("ordernumber"), table.column("instock")
    location = context.location or DEFAULT_LOCATION

    for row, record in table.records():
        cells.bind(row, record)
        _add_cell(cells, book, sku_column, quantity_column, location)
    return new_result("shopware_instock", table, findings, book.records, None)


def parse_inventory_item_ids(table: Table, context: Context) -> ParseResult:
    """Shopify ``Variant SKU`` → ``Inventory Item ID`` (a GraphQL gid)."""
    findings = Findings()
    cells = CellReader(findings)
    sku_column = table.column("Variant SKU")
    id_column = table.column("Inventory Item ID")
    refs, first_row = [], {}

    for row, record in table.records():
        cells.bind(row, record)
        sku = cells.sku(sku_column)
        item_id = read_identifier(record[id_column])
        if sku is None:
            cells.reject(sku_column, "the SKU is empty")
            continue
        problem = _check_item_id(item_id)
        if problem is not None:
            cells.reject(id_column, problem)
            continue
        earlier = first_row.setdefault(sku, row)
        if earlier != row:
            cells.reject(sku_column, f"SKU {sku!r} is already mapped on row {earlier}")
            continue
        refs.append(InventoryItemRef(sku, item_id, row))
    return new_result("shopify_inventory_item_ids", table, findings, refs, None)


def _add_cell(
    cells: CellReader, book: _StockBook, sku_column, column, location
) -> None:
    text = cells.raw(column).strip()
    if not text or text.casefold() == _NOT_STOCKED:
        return
    quantity = cells.integer(column)
    if quantity is None:
        return
    sku = cells.sku(sku_column)
    if sku is None:
        cells.reject(sku_column, "a quantity is given but the SKU is empty")
        return
    book.add(sku, location, quantity, cells.row, column)


def _check_item_id(item_id: str | None) -> str | None:
    if item_id is None:
        return "the inventory item id is empty"
    number = item_id.removeprefix(_GID_PREFIX)
    if not number.isdigit():
        return (
            f"{item_id!r} is not a Shopify inventory item id (expected "
            f"{_GID_PREFIX}<digits>); a spreadsheet may have rounded it"
        )
    return None
