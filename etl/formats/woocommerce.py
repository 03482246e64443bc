"""WooCommerce product CSV: products and their variations as separate rows.

A ``variation`` row points at its ``variable`` parent through ``Parent``
(``id:44`` or the parent's SKU). ``simple`` and ``external`` products are
their own single variant. ``grouped`` products only list other products
that exist on their own, so the group itself is skipped with a warning.
Exports repeated into one file (the same ID and SKU again) are read once.
"""

from __future__ import annotations

from etl.formats import (
    Context,
    HandleBook,
    choose_separator,
    new_result,
    warn_duplicate_skus,
)
from etl.records import Findings, ImageRef, ParseResult, ProductRecord, VariantRecord
from etl.sources import Table, header_key
from etl.values import CellReader, ValueProblem, parse_weight_grams, split_list

_WEIGHT_UNITS = {"kg": "kg", "g": "g", "lbs": "lb", "lb": "lb", "oz": "oz"}
_STANDALONE = {"simple", "external"}
_KNOWN_TYPES = {"simple", "external", "variable", "variation", "grouped"}
# Type words that only add flags to a product type.
_FLAGS = {"downloadable", "virtual"}


class _Columns:
    def __init__(self, table: Table) -> None:
        find = table.column
        self.id = find("ID")
        self.type = find("Type")
        self.sku = find("SKU")
        self.name = find("Name")
        self.published = find("Published")
        self.description = find("Description")

        self.stock = find("Stock")
        self.backorders = find("Backorders allowed?")
        self.sale = find("Sale price")
        self.regular = find("Regular price")
        self.weight, self.weight_unit = _weight_column(table)

        self.categories = find("Categories")
        self.tags = find("Tags")
        self.images = find("Images")
        self.parent = find("Parent")
        self.attributes = [
            (find(f"Attribute {n} name"), find(f"Attribute {n} value(s)"))
            for n in range(1, 10)
            if find(f"Attribute {n} name")
        ]


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a WooCommerce export into ProductRecords with their variations."""
    columns = _Columns(table)
    findings = Findings()
    rows = _drop_repeats(list(table.records()), columns, findings)
    separator = choose_separator(
        context.decimal_separator,
        (record for _, record in rows),
        [columns.regular, columns.sale],
    )
    cells = CellReader(findings, separator or ".")
    builder = _Builder(columns, cells, HandleBook(findings))

    for row, record in rows:
        builder.take(row, record)
    products = builder.finish()
    warn_duplicate_skus(products, findings)
    return new_result("woocommerce", table, findings, products, separator or ".")


def _weight_column(table: Table) -> tuple[str | None, str]:
    for key in table.keys:
        name = header_key(key)
        if name.startswith("weight (") and name.endswith(")"):
            unit = _WEIGHT_UNITS.get(name[len("weight (") : -1])
            if unit is not None:
                return key, unit
    return None, "kg"


def _drop_repeats(rows: list, columns: _Columns, findings: Findings) -> list:
    if columns.id is None:
        return rows

    kept, first = [], {}
    for row, record in rows:
        key = (record[columns.id].strip(), record.get(columns.sku, "").strip())
        earlier = first.get(key)
        if earlier is None:
            first[key] = (row, record)
            kept.append((row, record))
        elif earlier[1] == record:
            findings.warn(
                row,
                None,
                f"row {row} repeats product ID {key[0]} (SKU {key[1] or 'none'}) from "
                f"row {earlier[0]} exactly; read once",
                key="repeat",
            )
        else:
            findings.reject(
                row,
                columns.id,
                f"ID {key[0]} with SKU {key[1] or 'none'} is already on row "
                f"{earlier[0]} with different values",
            )
    return kept


class _Builder:
    """Collects products and variations, linking them once all rows are read."""

    def __init__(self, columns: _Columns, cells: CellReader, handles: HandleBook):
        self.columns, self.cells, self.handles = columns, cells, handles
        self.products: list[dict] = []
        self.by_ref: dict[str, dict] = {}
        self.variations: list[tuple[int, dict[str, str]]] = []

    def take(self, row: int, record: dict[str, str]) -> None:
        """Sort one row: a product, a variation to link later, or a group."""
        cells, columns = self.cells.bind(row, record), self.columns
        kinds = set(split_list(record[columns.type].casefold())) - _FLAGS
        unknown = kinds - _KNOWN_TYPES
        if unknown or len(kinds) != 1:
            shown = record[columns.type].strip() or "empty"
            cells.reject(columns.type, f"product type {shown!r} is not supported")
            return

        kind = kinds.pop()
        if kind == "variation":
            self.variations.append((row, record))
            return
        if kind == "grouped":
            cells.findings.warn(
                row,
                columns.type,
                f"grouped product {cells.text(columns.name)!r} only groups products "
                "listed on their own rows; the group itself was not imported",
                key="grouped",
            )
            return

        self._start_product(row, record, kind)

    def _start_product(self, row: int, record: dict[str, str], kind: str) -> None:
        cells, columns = self.cells, self.columns
        title = cells.text(columns.name)
        if title is None:
            cells.reject(columns.name, "the product has no Name")
            return

        product = {
            "row": row,
            "record": record,
            "title": title,
            "variants": [],
            "options_seen": {},
        }
        if kind in _STANDALONE:
            variant = self._variant(row, record, options=(), parent=None)
            if variant is None:
                return
            product["variants"].append(variant)

        self.products.append(product)
        if columns.id and record[columns.id].strip():
            self.by_ref[f"id:{record[columns.id].strip()}"] = product
        if columns.sku and record[columns.sku].strip():
            self.by_ref[record[columns.sku].strip()] = product

    def finish(self) -> list[ProductRecord]:
        """Link the variations to their parents and build the products."""
        for row, record in self.variations:
            self._attach_variation(row, record)
        return [p for p in map(self._product_record, self.products) if p is not None]

    def _attach_variation(self, row: int, record: dict[str, str]) -> None:
        cells, columns = self.cells.bind(row, record), self.columns
        reference = cells.text(columns.parent)
        parent = self.by_ref.get(reference or "")
        if parent is None:
            shown = reference or "empty"
            cells.reject(
                columns.parent, f"the parent product {shown!r} is not in the file"
            )
            return

        options = tuple(
            (name, value)
            for name, value in (
                (cells.text(n), cells.text(v)) for n, v in columns.attributes
            )
            if name and value
        )
        earlier = parent["options_seen"].setdefault(options, row)
        if earlier != row:
            cells.reject(
                columns.parent,
                f"variation repeats the options of row {earlier} of the same product",
            )
            return

        variant = self._variant(row, record, options, parent["record"])
        if variant is not None:
            parent["variants"].append(variant)

    def _variant(self, row, record, options, parent) -> VariantRecord | None:
        cells, columns = self.cells.bind(row, record), self.columns
        sale, regular = cells.money(columns.sale), cells.money(columns.regular)
        weight = cells.grams(columns.weight, columns.weight_unit)
        if weight is None and parent is not None:
            weight = _inherited_weight(parent, columns, cells.decimal_separator)
        images = split_list(cells.raw(columns.images))

        variant = VariantRecord(
            sku=cells.sku(columns.sku),
            barcode=None,
            options=options,
            price=sale if sale is not None else regular,
            compare_at_price=regular if sale is not None else None,
            unit_cost=None,
            weight_grams=weight,
            inventory_quantity=cells.integer(columns.stock),
            continue_selling=_backorders(cells, columns.backorders),
            image_url=images[0] if images and parent is not None else None,
            row=row,
        )
        return variant if cells.ok else None

    def _product_record(self, product: dict) -> ProductRecord | None:
        row, record = product["row"], product["record"]
        cells, columns = self.cells.bind(row, record), self.columns
        if not product["variants"]:
            cells.reject(
                columns.type,
                f"variable product {product['title']!r} has no variation rows that "
                "could be read",
            )
            return None

        # Published is 1, 0 (draft) or -1 (private); only 1 is on sale.
        published = cells.text(columns.published) if columns.published else "1"
        images = split_list(cells.raw(columns.images))
        return ProductRecord(
            handle=self.handles.claim(None, product["title"], row),
            title=product["title"],
            description_html=cells.raw(columns.description).strip() or None,
            vendor=None,
            product_type=_main_category(cells.raw(columns.categories)),
            tags=split_list(cells.raw(columns.tags)),
            status="active" if published == "1" else "draft",
            seo_title=None,
            seo_description=None,
            images=tuple(ImageRef(url, None, n) for n, url in enumerate(images, 1)),
            variants=tuple(product["variants"]),
            rows=tuple(sorted({row, *(v.row for v in product["variants"])})),
        )


def _inherited_weight(parent: dict[str, str], columns: _Columns, separator):
    """A variation without a weight weighs what its parent does."""
    try:
        text = parent.get(columns.weight, "") if columns.weight else ""
        return parse_weight_grams(text, columns.weight_unit, separator)
    except ValueProblem:
        return None  # the parent's own row reports the problem


def _backorders(cells: CellReader, column: str | None) -> bool | None:
    value = (cells.text(column) or "").casefold()
    if value == "notify":
        return True
    return cells.boolean(column) if value else None


def _main_category(text: str) -> str | None:
    """The most specific of a comma-separated list of ``A > B`` category paths."""
    paths = split_list(text)
    if not paths:
        return None
    return max(paths, key=lambda path: path.count(">"))
