"""PrestaShop import CSVs: a products file plus an optional combinations file.

Both are semicolon-separated. Combinations (variants) sit in their own file
keyed by ``Product ID``, with the attribute names packed in one cell
(``Color:color:0, Disk space:select:1``) and the values in another
(``Blue:0, 16GB:1``). Their price and weight are *impacts* added to the
product's. The combinations file is found beside the products file; the
row numbers of its variants and rejections are rows of that file, and
their reasons say so.

Prices are imported as the file gives them: the sample's column is
``Price tax excluded``. EAN13 codes such as ``0000080446392`` stay text.
"""

from __future__ import annotations

from decimal import Decimal

from etl.formats import (
    Context,
    HandleBook,
    choose_separator,
    find_sibling,
    new_result,
    warn_duplicate_skus,
)
from etl.records import Findings, ImageRef, ParseResult, ProductRecord, VariantRecord
from etl.sources import Table, open_table
from etl.values import CellReader, split_list

DEFAULT_WEIGHT_UNIT = "kg"


class _ProductColumns:
    def __init__(self, table: Table) -> None:
        find = table.column
        self.id = find("Product ID")
        self.active = find("Active (0/1)")
        self.name = find("Name")
        self.categories = find("Categories (x,y,z...)")
        self.manufacturer = find("Manufacturer")
        self.description = find("Description")
        self.tags = find("Tags (x,y,z...)")
        self.meta_title = find("Meta title")
        self.meta_description = find("Meta description")
        self.url = find("URL rewritten")

        self.price = find("Price tax excluded", "Price tax included")
        self.cost = find("Wholesale price")
        self.reference = find("Reference #")
        self.ean = find("EAN13")
        self.upc = find("UPC")
        self.weight = find("Weight")
        self.quantity = find("Quantity")
        self.out_of_stock = find("Out of stock action")

        self.images = find("Image URLs (x,y,z...)")
        self.alts = find("Image alt texts (x,y,z...)")


class _CombinationColumns:
    def __init__(self, table: Table) -> None:
        find = table.column
        self.product = find("Product ID")
        self.attributes = find("Attribute (Name:Type:Position)")
        self.values = find("Value (Value:Position)")

        self.reference = find("Reference")
        self.ean = find("EAN13")
        self.upc = find("UPC")
        self.cost = find("Wholesale price")
        self.price = find("Impact on price")
        self.quantity = find("Quantity")
        self.weight = find("Impact on weight")
        self.images = find("Image URLs (x,y,z...)")


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a PrestaShop products file and the combinations file beside it."""
    columns = _ProductColumns(table)
    findings = Findings()
    rows = list(table.records())
    separator = choose_separator(
        context.decimal_separator, (r for _, r in rows), [columns.price, columns.cost]
    )
    cells = CellReader(findings, separator or ".")
    unit = context.weight_unit or DEFAULT_WEIGHT_UNIT
    combinations = _read_combinations(table, context, findings, separator or ".", unit)
    if columns.price and "excluded" in columns.price.casefold():
        findings.warn(None, columns.price, "prices are tax-excluded and kept as such")

    handles, products = HandleBook(findings), []
    for row, record in rows:
        product = _product(
            cells.bind(row, record), columns, combinations, handles, unit
        )
        if product is not None:
            products.append(product)
    for product_id, pending in combinations.items():
        for combo_row, _, _ in pending:
            findings.reject(
                combo_row,
                "Product ID",
                f"in the combinations file: product {product_id} is not in the "
                "products file",
            )
    warn_duplicate_skus(products, findings)
    return new_result("prestashop", table, findings, products, separator or ".")


def _product(cells: CellReader, columns, combinations, handles, unit):
    row = cells.row
    product_id, title = cells.text(columns.id), cells.text(columns.name)
    if title is None:
        cells.reject(columns.name, "the product has no name")
        return None
    base_price = cells.money(columns.price)
    base_weight = cells.grams(columns.weight, unit)
    own = _own_variant(cells, columns, base_price, base_weight)
    if not cells.ok:
        return None

    pending = combinations.pop(product_id or "", [])
    variants = (
        [combo(base_price, base_weight) for _, _, combo in pending]
        if pending
        else [own]
    )
    images = split_list(cells.raw(columns.images))
    alts = split_list(cells.raw(columns.alts))
    categories = split_list(cells.raw(columns.categories))
    return ProductRecord(
        handle=handles.claim(cells.text(columns.url), title, row),
        title=title,
        description_html=cells.raw(columns.description).strip() or None,
        vendor=cells.text(columns.manufacturer),
        product_type=categories[0] if categories else None,
        tags=split_list(cells.raw(columns.tags)),
        status="draft" if cells.text(columns.active) == "0" else "active",
        seo_title=cells.text(columns.meta_title),
        seo_description=cells.text(columns.meta_description),
        images=tuple(
            ImageRef(url, alts[n] if n < len(alts) else None, n + 1)
            for n, url in enumerate(images)
        ),
        variants=tuple(variants),
        rows=(row,),
    )


def _own_variant(cells: CellReader, columns, price, weight) -> VariantRecord:
    action = cells.text(columns.out_of_stock)

    return VariantRecord(
        sku=cells.sku(columns.reference),
        barcode=cells.barcode(columns.ean) or cells.barcode(columns.upc),
        options=(),
        price=price,
        compare_at_price=None,
        unit_cost=cells.money(columns.cost),
        weight_grams=weight,
        inventory_quantity=cells.integer(columns.quantity),
        # 0 = refuse orders, 1 = accept them, 2 = the shop's default.
        continue_selling={"0": False, "1": True}.get(action or ""),
        image_url=None,
        row=cells.row,
    )


def _read_combinations(
    table: Table, context: Context, findings, separator, unit
) -> dict:
    """Combinations by product id: (row, options, make_variant(price, weight))."""
    path = find_sibling(
        table.path.parent, "prestashop_combinations", exclude=table.path
    )
    if path is None:
        return {}
    local = Findings()
    combos: dict[str, list] = {}
    with open_table(
        path, encoding=context.encoding, progress=context.progress
    ) as sheet:
        columns = _CombinationColumns(sheet)
        cells = CellReader(local, separator)
        for row, record in sheet.records():
            entry = _combination(cells.bind(row, record), columns, unit)
            if entry is not None:
                combos.setdefault(cells.text(columns.product) or "", []).append(entry)
        local.extend(sheet.findings)

    for rejection in local.rejected:
        findings.reject(
            rejection.row, rejection.column, f"in {path.name}: {rejection.reason}"
        )
    for warning in local.warnings():
        findings.warn(None, warning.column, f"{path.name}: {warning.message}")
    return _drop_repeated_options(combos, findings, path.name)


def _combination(cells: CellReader, columns: _CombinationColumns, unit):
    names = [
        part.split(":")[0].strip() for part in split_list(cells.raw(columns.attributes))
    ]
    values = [_strip_position(part) for part in split_list(cells.raw(columns.values))]
    if len(names) != len(values) or not names:
        cells.reject(columns.values, "attribute names and values do not pair up")
        return None
    if len(names) > 3:
        cells.reject(
            columns.attributes, f"{len(names)} attributes; at most 3 are supported"
        )
        return None

    options = tuple(zip(names, values, strict=True))
    impact, weight_impact = (
        cells.money(columns.price),
        cells.grams(columns.weight, unit),
    )
    sku, barcode = cells.sku(columns.reference), cells.barcode(columns.ean)
    barcode = barcode or cells.barcode(columns.upc)
    cost, quantity = cells.money(columns.cost), cells.integer(columns.quantity)
    images = split_list(cells.raw(columns.images))
    row = cells.row
    if not cells.ok:
        return None

    def make(price: Decimal | None, weight: Decimal | None) -> VariantRecord:
        """The variant, once the product's base price and weight are known."""
        return VariantRecord(
            sku=sku,
            barcode=barcode,
            options=options,
            price=_add(price, impact),
            compare_at_price=None,
            unit_cost=cost,
            weight_grams=_add(weight, weight_impact),
            inventory_quantity=quantity,
            continue_selling=None,
            image_url=images[0] if images else None,
            row=row,
        )

    return row, options, make


def _drop_repeated_options(combos: dict, findings: Findings, name: str) -> dict:
    for product_id, entries in combos.items():
        seen: dict[tuple, int] = {}
        kept = []

        for row, options, make in entries:
            earlier = seen.setdefault(options, row)
            if earlier != row:
                findings.reject(
                    row,
                    "Value (Value:Position)",
                    f"in {name}: product {product_id} already has these values on "
                    f"row {earlier}",
                )
                continue
            kept.append((row, options, make))
        combos[product_id] = kept
    return combos


def _strip_position(part: str) -> str:
    value, _, position = part.rpartition(":")
    return value.strip() if value and position.strip().isdigit() else part.strip()


def _add(base: Decimal | None, impact: Decimal | None) -> Decimal | None:
    if base is None:
        return impact
    return base + (impact or 0)
