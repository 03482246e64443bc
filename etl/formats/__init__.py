"""The file layouts we recognise, how we recognise them, and who parses them.

A layout is recognised from its header alone (:func:`detect_format`): each
entry lists the column names it must have, and the most specific match
wins. Some recognised layouts are refused on purpose (a PrestaShop
categories file is not a product file) with a reason saying what the file
is; some are *companions* read together with a primary file (Olist orders
with Olist order items, PrestaShop combinations with PrestaShop products).

Parsers live one module per platform and are looked up lazily, so those
modules can use the shared helpers below without an import cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from etl.records import (
    Findings,
    ImportRefused,
    ParseResult,
    ProductRecord,
    UnknownFormat,
    WrongKind,
)
from etl.sources import ProgressSink, Table, header_key, read_header
from etl.values import detect_decimal_separator, make_handle

PRODUCTS, STOCK, SALES, ITEM_IDS = "products", "stock", "sales", "inventory item ids"
KIND_NAMES = {
    PRODUCTS: "a product file",
    STOCK: "a stock file",
    SALES: "a sales file",
    ITEM_IDS: "an inventory item id file",
}
STATUSES = ("active", "draft", "archived")


@dataclass(frozen=True)
class Layout:
    """One recognisable file layout and the parsers that can read it."""

    name: str
    description: str
    required: frozenset[str]
    any_of: frozenset[str] = frozenset()
    # kind -> "module:function" under etl.formats
    parsers: dict[str, str] = field(default_factory=dict)
    # For companion files: the layout of the file that must be parsed instead.
    primary: str | None = None
    advice: str = ""

    def matches(self, names: frozenset[str]) -> bool:
        """True if a header with these normalised names fits this layout."""
        return self.required <= names and (not self.any_of or bool(self.any_of & names))

    def specificity(self) -> tuple[int, int]:
        """Rank among several matching layouts: more required columns wins."""
        return (len(self.required), len(self.any_of) > 0)


def _layout(name, description, required, any_of=(), **kwargs) -> Layout:
    return Layout(
        name,
        description,
        frozenset(header_key(c) for c in required),
        frozenset(header_key(c) for c in any_of),
        **kwargs,
    )


LAYOUTS: tuple[Layout, ...] = (
    # -- product catalogues
    _layout(
        "shopify",
        "a Shopify product export",
        ["Handle"],
        ["Title", "Variant SKU", "Body (HTML)", "Option1 Name", "Image Src"],
        parsers={PRODUCTS: "shopify:parse_products", STOCK: "shopify:parse_stock"},
    ),
    _layout(
        "woocommerce",
        "a WooCommerce product export",
        ["Type", "SKU", "Name"],
        ["Regular price", "Parent", "Published", "Attribute 1 name"],
        parsers={PRODUCTS: "woocommerce:parse_products"},
    ),
    _layout(
        "magento",
        "a Magento 2 catalog export",
        ["sku", "product_type"],
        ["attribute_set_code", "store_view_code", "product_websites"],
        parsers={PRODUCTS: "magento:parse_products"},
    ),
    _layout(
        "prestashop",
        "a PrestaShop products import file",
        ["Product ID", "Name"],
        ["Price tax excluded", "Price tax included", "Reference #"],
        parsers={PRODUCTS: "prestashop:parse_products"},
    ),
    _layout(
        "prestashop_combinations",
        "a PrestaShop combinations file",
        ["Product ID", "Attribute (Name:Type:Position)", "Value (Value:Position)"],
        primary="prestashop",
        advice="it is read together with the PrestaShop products file in its folder",
    ),
    _layout(
        "shopware",
        "a Shopware 5 article price export",
        ["ordernumber", "price", "pricegroup"],
        parsers={PRODUCTS: "shopware:parse_products"},
    ),
    _layout(
        "square",
        "a Square item library export",
        ["Token", "Item Name", "Variation Name"],
        parsers={PRODUCTS: "square:parse_products", STOCK: "square:parse_stock"},
    ),
    # -- stock
    _layout(
        "shopify_inventory",
        "a Shopify inventory export",
        ["Handle", "SKU"],
        ["Location", "On hand", "Available", "HS Code", "COO"],
        parsers={STOCK: "stock:parse_shopify_inventory"},
    ),
    _layout(
        "stock_by_location",
        "a stock sheet with one quantity column per location",
        ["SKU"],
        parsers={STOCK: "stock:parse_stock_by_location"},
    ),
    _layout(
        "shopware_instock",
        "a Shopware 5 stock export",
        ["ordernumber", "instock"],
        parsers={STOCK: "stock:parse_shopware_instock"},
    ),
    _layout(
        "shopify_inventory_item_ids",
        "a Shopify SKU to inventory item id mapping",
        ["Variant SKU", "Inventory Item ID"],
        parsers={ITEM_IDS: "stock:parse_inventory_item_ids"},
        advice="it holds no quantities; read it with parse_inventory_item_ids",
    ),
    # -- sales
    _layout(
        "uci_online_retail",
        "an Online Retail invoice-line export",
        ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice"],
        parsers={SALES: "sales:parse_online_retail"},
    ),
    _layout(
        "olist",
        "an Olist order items table",
        ["order_id", "order_item_id", "product_id", "price"],
        parsers={SALES: "sales:parse_olist"},
    ),
    _layout(
        "olist_orders",
        "an Olist orders table",
        ["order_id", "customer_id", "order_status", "order_purchase_timestamp"],
        primary="olist",
        advice="its lines are in olist_order_items_dataset.csv in the same folder",
    ),
    _layout(
        "olist_payments",
        "an Olist order payments table",
        ["order_id", "payment_sequential", "payment_value"],
        primary="olist",
        advice="its lines are in olist_order_items_dataset.csv in the same folder",
    ),
    _layout(
        "superstore",
        "a Superstore order-line export",
        ["Order ID", "Order Date", "Product ID", "Sales", "Quantity"],
        parsers={SALES: "sales:parse_superstore"},
    ),
    _layout(
        "shopware_order_lines",
        "a Shopware 5 order-line export",
        ["orderId", "orderTime", "articleNumber", "price", "quantity"],
        parsers={SALES: "sales:parse_shopware_orders"},
    ),
    # -- recognised, but nothing here to import
    _layout(
        "prestashop_categories",
        "a PrestaShop categories file",
        ["Category ID", "Name", "Parent category"],
        advice="categories are not imported from files",
    ),
    _layout(
        "prestashop_brands",
        "a PrestaShop brands (manufacturers) file",
        ["ID", "Name", "Short description"],
        advice="brand pages are not imported; vendors come from the products file",
    ),
    _layout(
        "prestashop_suppliers",
        "a PrestaShop suppliers file",
        ["Supplier ID", "Name"],
        advice="suppliers are not imported from files",
    ),
    _layout(
        "olist_reviews",
        "an Olist order reviews table",
        ["review_id", "order_id", "review_score"],
        advice="reviews are not imported",
    ),
    _layout(
        "olist_customers",
        "an Olist customers table",
        ["customer_id", "customer_unique_id", "customer_zip_code_prefix"],
        advice="customers are not imported from files",
    ),
    _layout(
        "olist_sellers",
        "an Olist sellers table",
        ["seller_id", "seller_zip_code_prefix"],
        advice="sellers are not imported",
    ),
    _layout(
        "olist_geolocation",
        "an Olist geolocation table",
        ["geolocation_zip_code_prefix", "geolocation_lat"],
        advice="it maps postal codes to coordinates and holds no sales or products",
    ),
    _layout(
        "olist_products",
        "an Olist products table",
        ["product_id", "product_category_name", "product_weight_g"],
        advice="it has no titles, SKUs or prices, so there is no catalogue to import",
    ),
    _layout(
        "olist_category_translation",
        "an Olist category name translation table",
        ["product_category_name", "product_category_name_english"],
        advice="it only translates category names",
    ),
    _layout(
        "shopware_orders_main",
        "a Shopware 5 order header export (orders_main)",
        ["orderId", "orderNumber", "invoiceAmount"],
        advice="it has order totals but no lines; import the order-line export instead",
    ),
    _layout(
        "shopware_translations",
        "a Shopware 5 article translations file",
        ["articlenumber", "languageId", "name"],
        advice="translations are not imported",
    ),
    _layout(
        "sku_list",
        "a bare SKU list",
        ["SKU"],
        advice="it has no quantities, locations, titles or prices",
    ),
    _layout(
        "superstore_returns",
        "a Superstore returns sheet",
        ["Returned", "Order ID"],
        advice="it flags returned orders but has no lines to import",
    ),
)

_BY_NAME = {layout.name: layout for layout in LAYOUTS}
# Headers that can never be a location column in a wide stock sheet.
_NOT_LOCATIONS = frozenset(
    header_key(name)
    for name in (
        "Title", "Name", "Product Name", "Description", "Price", "Qty", "Quantity",
        "Stock", "Barcode", "EAN", "Category", "Vendor", "Handle", "Location",
    )
)  # fmt: skip


def detect_format(header: Iterable[str]) -> str:
    """Name the layout a header belongs to, e.g. ``"shopify"`` or ``"olist"``.

    Raises :class:`~etl.records.UnknownFormat` naming the first columns when
    no layout fits, so the user knows to supply a column mapping.
    """
    return layout_for(tuple(header)).name


def layout_for(header: tuple[str, ...]) -> Layout:
    """The most specific :class:`Layout` matching ``header``."""
    keys = [header_key(name) for name in header]
    names = frozenset(keys)
    matches = [layout for layout in LAYOUTS if layout.matches(names)]
    matches = [m for m in matches if _plausible(m, keys)]
    if not matches:
        shown = ", ".join(header[:6]) + (", …" if len(header) > 6 else "")
        raise UnknownFormat(
            f"the columns ({shown}) match no format we know; pass a column "
            "mapping (--format generic --mapping FILE) to import it"
        )
    return max(matches, key=Layout.specificity)


def find_layout(name: str) -> Layout:
    """The layout called ``name``; refuses unknown names with the known ones."""
    layout = _BY_NAME.get(name)
    if layout is None:
        known = ", ".join(sorted(n for n, lay in _BY_NAME.items() if lay.parsers))
        raise UnknownFormat(f"unknown format {name!r}; known formats: {known}")
    return layout


def parser_for(layout: Layout, kind: str) -> Callable[[Table, Context], ParseResult]:
    """The parser that reads ``layout`` as ``kind``, or a WrongKind refusal."""
    target = layout.parsers.get(kind)
    if target is None:
        raise wrong_kind(layout, kind)
    module_name, function = target.split(":")
    module = importlib.import_module(f"etl.formats.{module_name}")
    return getattr(module, function)


def wrong_kind(layout: Layout, kind: str) -> WrongKind:
    """The refusal for reading ``layout`` as a ``kind`` it does not hold."""
    advice = f"; {layout.advice}" if layout.advice else ""
    return WrongKind(f"this is {layout.description}, not {KIND_NAMES[kind]}{advice}")


def _plausible(layout: Layout, keys: list[str]) -> bool:
    # The two catch-all layouts keyed on a lone "SKU" column need a closer look.
    if layout.name == "sku_list":
        return keys == ["sku"]
    if layout.name == "stock_by_location":
        others = keys[1:]
        return keys[:1] == ["sku"] and bool(others) and not set(others) & _NOT_LOCATIONS
    return True


# -- what a parser is given -------------------------------------------------


@dataclass
class Context:
    """Caller's choices for one parse; ``None`` means detect or default."""

    encoding: str | None = None
    delimiter: str | None = None
    decimal_separator: str | None = None
    date_order: str | None = None
    weight_unit: str | None = None
    location: str | None = None
    currency: str | None = None
    mapping: dict[str, str] | None = None
    progress: ProgressSink | None = None


def find_sibling(directory: Path, layout_name: str, *, exclude: Path | None = None):
    """The file in ``directory`` whose header is of ``layout_name``, or None."""
    for candidate in sorted(directory.iterdir()):
        if candidate == exclude or not candidate.is_file():
            continue
        if candidate.suffix.casefold() not in (".csv", ".txt", ".tsv", ".xlsx"):
            continue
        try:
            if layout_for(read_header(candidate)).name == layout_name:
                return candidate
        except ImportRefused:
            continue
    return None


def new_result(
    layout: str, table: Table, findings: Findings, records: list, separator: str | None
) -> ParseResult:
    """A ParseResult for ``table`` holding ``records`` and every finding."""
    result = ParseResult(layout, table.encoding, table.delimiter, separator, records)
    table.findings.extend(findings)
    return table.findings.fill(result)


# -- helpers product parsers share ------------------------------------------


def choose_separator(
    given: str | None, records: Iterable[dict[str, str]], columns: Iterable[str | None]
) -> str | None:
    """The caller's decimal separator, else the one the money columns prove."""
    if given is not None:
        return given
    keys = [column for column in columns if column]
    return detect_decimal_separator(
        record[key] for record in records for key in keys if record.get(key)
    )


class HandleBook:
    """Hands out product handles, making a repeated one unique with a warning."""

    def __init__(self, findings: Findings) -> None:
        self.findings = findings
        self.taken: set[str] = set()

    def claim(self, wanted: str | None, fallback: str, row: int) -> str:
        """Reserve ``wanted`` (or a handle made from ``fallback``) and return it."""
        base = make_handle(wanted or "") or make_handle(fallback) or f"row-{row}"
        handle, number = base, 1
        while handle in self.taken:
            number += 1
            handle = f"{base}-{number}"

        if handle != base:
            self.findings.warn(
                row,
                None,
                f"handle {base!r} is already used by an earlier product; "
                f"this one became {handle!r}",
                key=("handle-taken", row),
            )
        self.taken.add(handle)
        return handle


def status_from_flag(published: bool | None, default: str = "active") -> str:
    """Map a published/active flag to a status: True active, False draft."""
    if published is None:
        return default
    return "active" if published else "draft"


def warn_duplicate_skus(products: list[ProductRecord], findings: Findings) -> None:
    """One warning per SKU used by more than one variant in the file."""
    first_row: dict[str, int] = {}

    for product in products:
        for variant in product.variants:
            if variant.sku is None:
                continue
            seen = first_row.setdefault(variant.sku, variant.row)
            if seen != variant.row:
                findings.warn(
                    variant.row,
                    None,
                    f"SKU {variant.sku!r} is also used on row {seen}; stock and "
                    "sales for it will be ambiguous",
                    key=("duplicate-sku", variant.sku),
                )


def zero_as_none(amount: Decimal | None) -> Decimal | None:
    """Platforms write 0 for "no compare-at price" or "no cost": read as None."""
    return None if amount is not None and amount == 0 else amount
