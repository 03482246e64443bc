"""Magento 2 catalog CSV: one row per SKU and store view, variants packed in cells.

- Rows for other store views (``de_de``…) repeat a SKU with translated
  names; they are folded into the SKU's global row (translations are not
  imported).
- A ``configurable`` product lists its children in ``configurable_variations``
  (``sku=MH01-XS-Black,size=XS|sku=…``). Children become its variants,
  priced and stocked from their own rows when the file has them. Where the
  packed cell names too few attributes to tell children apart (Luma lists
  only ``size``), the attributes that differ in the children's
  ``additional_attributes`` (``color=Black,…``) are added.
- A ``grouped`` product becomes a product whose variants are its
  ``associated_skus``, one option "Item" per child.
- ``bundle`` and ``giftcard`` products are rejected: they are not stock.

Weights carry no unit in the file (it is a store setting; Magento defaults
to pounds), so they are read as pounds unless ``weight_unit`` says otherwise.
"""

from __future__ import annotations

import re

from etl.formats import (
    Context,
    HandleBook,
    choose_separator,
    new_result,
    warn_duplicate_skus,
)
from etl.records import Findings, ImageRef, ParseResult, ProductRecord, VariantRecord
from etl.sources import Table
from etl.values import CellReader, split_list

GLOBAL_VIEWS = ("", "admin")
DEFAULT_WEIGHT_UNIT = "lb"
_SIMPLE_TYPES = {"simple", "virtual", "downloadable"}
_UNSUPPORTED = {"bundle", "giftcard"}
# Key for the option made from the rest of a child SKU; never a Magento code.
_REST = " sku rest"
_PAIR = re.compile(r'([^=,]+)=("(?:[^"]|"")*"|[^,]*)')


class _Columns:
    def __init__(self, table: Table) -> None:
        find = table.column
        self.sku = find("sku")
        self.view = find("store_view_code")
        self.type = find("product_type")
        self.name = find("name")
        self.description = find("description")
        self.online = find("product_online")
        self.url_key = find("url_key")
        self.categories = find("categories")
        self.meta_title = find("meta_title")
        self.meta_description = find("meta_description")

        self.price = find("price")
        self.special = find("special_price")
        self.cost = find("cost")
        self.weight = find("weight")
        self.qty = find("qty")
        self.backorders = find("allow_backorders")

        self.base_image = find("base_image")
        self.base_label = find("base_image_label")
        self.images = find("additional_images")
        self.labels = find("additional_image_labels")

        self.attributes = find("additional_attributes")
        self.variations = find("configurable_variations")
        self.variation_labels = find("configurable_variation_labels")
        self.associated = find("associated_skus")


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a Magento 2 export into ProductRecords (configurables with children)."""
    columns = _Columns(table)
    findings = Findings()
    rows = _fold_store_views(table, columns, findings)
    separator = choose_separator(
        context.decimal_separator,
        (record for _, record in rows.values()),
        [columns.price, columns.special, columns.cost],
    )

    unit = context.weight_unit or DEFAULT_WEIGHT_UNIT
    if context.weight_unit is None and any(
        record.get(columns.weight or "", "").strip() for _, record in rows.values()
    ):
        findings.warn(
            None,
            columns.weight,
            "Magento files do not say which unit weights are in; they were read as "
            "pounds (Magento's default). Pass weight_unit='kg' if the store uses kg",
        )

    cells = CellReader(findings, separator or ".")
    builder = _Builder(columns, cells, HandleBook(findings), rows, unit)
    products = builder.build()
    warn_duplicate_skus(products, findings)
    return new_result("magento", table, findings, products, separator or ".")


def unpack_pairs(text: str) -> dict[str, str]:
    """Read ``key=value,key="value, with comma"`` into a dict (quotes removed)."""
    pairs = {}
    for key, value in _PAIR.findall(text):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('""', '"')
        pairs[key.strip()] = value.strip()
    return pairs


def unpack_variations(text: str) -> list[dict[str, str]]:
    """Read ``sku=A,size=S|sku=B,size=M`` into one dict per child."""
    return [unpack_pairs(part) for part in text.split("|") if part.strip()]


def _fold_store_views(table: Table, columns: _Columns, findings: Findings) -> dict:
    rows: dict[str, tuple[int, dict[str, str]]] = {}
    for row, record in table.records():
        sku = record[columns.sku].strip()
        if not sku:
            findings.reject(row, columns.sku, "the sku is empty")
            continue

        view = record.get(columns.view, "").strip() if columns.view else ""
        if sku not in rows or (view in GLOBAL_VIEWS and _view(rows[sku], columns)):
            if sku in rows:
                _note_folded(findings, rows[sku][0], sku)
            rows[sku] = (row, record)
        else:
            _note_folded(findings, row, sku)
    return rows


def _view(entry, columns: _Columns) -> str:
    return entry[1].get(columns.view, "").strip() if columns.view else ""


def _note_folded(findings: Findings, row: int, sku: str) -> None:
    findings.warn(
        row,
        None,
        f"row {row} is another store view of SKU {sku!r}; it was folded into the "
        "SKU's main row (per-store-view names and descriptions are not imported)",
        key="store-view",
    )


class _Builder:
    def __init__(self, columns, cells: CellReader, handles: HandleBook, rows, unit):
        self.columns, self.cells, self.handles = columns, cells, handles
        self.rows: dict[str, tuple[int, dict[str, str]]] = rows
        self.unit = unit
        self.claimed: set[str] = set()

    def build(self) -> list[ProductRecord]:
        """Products in file order; children are claimed before anything is built."""
        columns = self.columns
        for row, record in self.rows.values():
            kind = record[columns.type].strip().casefold()
            if kind in _UNSUPPORTED:
                self.cells.bind(row, record).reject(
                    columns.type, f"product type {kind!r} is not supported; not stock"
                )
            elif kind in ("configurable", "grouped"):
                self._claim_children(record, kind)
            elif kind not in _SIMPLE_TYPES:
                self.cells.bind(row, record).reject(
                    columns.type, f"unknown product type {kind or 'empty'!r}"
                )

        products = []
        for sku, (row, record) in self.rows.items():
            kind = record[columns.type].strip().casefold()
            if kind in _SIMPLE_TYPES and sku not in self.claimed:
                variant = self._variant(row, record, ())
                if variant is not None:
                    products.append(self._product(row, record, [variant]))
            elif kind in ("configurable", "grouped"):
                variants = self._children(row, record, kind)
                if variants:
                    products.append(self._product(row, record, variants))
        return products

    def _claim_children(self, record, kind) -> None:
        for child in self._child_skus(record, kind):
            self.claimed.add(child)

    def _child_skus(self, record, kind) -> list[str]:
        columns = self.columns
        if kind == "configurable":
            packed = record.get(columns.variations, "") if columns.variations else ""
            return [child.get("sku", "") for child in unpack_variations(packed)]
        packed = record.get(columns.associated, "") if columns.associated else ""
        return [item.split("=", 1)[0].strip() for item in split_list(packed)]

    def _children(self, row, record, kind) -> list[VariantRecord]:
        cells, columns = self.cells.bind(row, record), self.columns
        if kind == "grouped":
            return self._grouped_children(row, record)
        children = unpack_variations(cells.raw(columns.variations))
        if not children:
            cells.reject(columns.variations, "configurable product lists no children")
            return []

        parent_sku = cells.raw(columns.sku).strip()
        options, used_rest = _child_options(
            parent_sku,
            children,
            self.rows,
            columns,
            cells.raw(columns.variation_labels),
        )
        variants, missing = [], []
        for child, child_options in zip(children, options, strict=True):
            sku = child.get("sku", "")
            if sku in self.rows:
                child_row, child_record = self.rows[sku]
                variant = self._variant(child_row, child_record, child_options)
            else:
                missing.append(sku)
                variant = self._variant(row, record, child_options, sku=sku)
            if variant is not None:
                variants.append(variant)
        if missing:
            cells.findings.warn(
                row,
                columns.variations,
                f"children of {parent_sku!r} have no row of their own; their SKUs "
                "and options come from configurable_variations and their price from "
                "the parent row (no stock)",
                key="missing-children",
            )
        if used_rest:
            cells.findings.warn(
                row,
                columns.variations,
                f"the attributes listed for the children of {parent_sku!r} do not tell "
                "them apart; the rest of each child SKU became option 'Variant'",
                key="sku-rest",
            )
        return _unique_options(variants, cells, columns)

    def _grouped_children(self, row, record) -> list[VariantRecord]:
        cells, columns = self.cells, self.columns
        variants = []

        for sku in self._child_skus(record, "grouped"):
            if sku not in self.rows:
                continue
            child_row, child_record = self.rows[sku]
            name = child_record[columns.name].strip() or sku
            variant = self._variant(child_row, child_record, (("Item", name),))
            if variant is not None:
                variants.append(variant)

        if not variants:
            cells.bind(row, record).reject(
                columns.associated,
                "grouped product: none of its associated products are in the file",
            )
        return variants

    def _variant(self, row, record, options, *, sku=None) -> VariantRecord | None:
        cells, columns = self.cells.bind(row, record), self.columns
        price, special = cells.money(columns.price), cells.money(columns.special)
        backorders = cells.integer(columns.backorders)

        variant = VariantRecord(
            sku=sku if sku is not None else cells.sku(columns.sku),
            barcode=None,
            options=options,
            price=special if special is not None else price,
            compare_at_price=price if special is not None else None,
            unit_cost=cells.money(columns.cost),
            weight_grams=cells.grams(columns.weight, self.unit),
            inventory_quantity=None if sku is not None else cells.integer(columns.qty),
            continue_selling=None if backorders is None else backorders != 0,
            image_url=cells.text(columns.base_image) if sku is None else None,
            row=row,
        )
        return variant if cells.ok else None

    def _product(self, row, record, variants) -> ProductRecord:
        cells, columns = self.cells.bind(row, record), self.columns
        title = cells.text(columns.name) or cells.raw(columns.sku).strip()
        attributes = unpack_pairs(cells.raw(columns.attributes))

        return ProductRecord(
            handle=self.handles.claim(cells.text(columns.url_key), title, row),
            title=title,
            description_html=cells.raw(columns.description).strip() or None,
            vendor=attributes.get("manufacturer") or attributes.get("brand") or None,
            product_type=_main_category(cells.raw(columns.categories)),
            tags=(),
            status="active" if cells.text(columns.online) in (None, "1") else "draft",
            seo_title=cells.text(columns.meta_title),
            seo_description=cells.text(columns.meta_description),
            images=_images(cells, columns),
            variants=tuple(variants),
            rows=tuple(sorted({row, *(variant.row for variant in variants)})),
        )


def _child_options(parent_sku, children, rows, columns, labels_text) -> tuple:
    """Options per child, and whether the SKU remainder had to be used.

    The packed attributes come first; if they do not tell the children apart,
    attributes that differ in the children's own rows are added, and failing
    that the part of each child SKU left after the parent SKU and the known
    values ("WS11-XS-Green" → "Green") becomes an option "Variant".
    """
    labels = unpack_pairs(labels_text)
    codes = [key for key in children[0] if key != "sku"]
    values = [
        {**_own_attributes(child.get("sku", ""), rows, columns), **child}
        for child in children
    ]
    for key in [k for k in values[0] if k not in codes and k != "sku"]:
        if _distinct(values, codes) or len(codes) >= 3:
            break
        if None not in (seen := {v.get(key) for v in values}) and len(seen) > 1:
            codes.append(key)
    names = {code: labels.get(code) or code.replace("_", " ").title() for code in codes}

    used_rest = False
    if not _distinct(values, codes) and len(codes) < 3:
        for value in values:
            known = [value.get(code, "") for code in codes]
            value[_REST] = _sku_rest(parent_sku, value.get("sku", ""), known)
        if _distinct(values, [*codes, _REST]):
            codes.append(_REST)
            names[_REST], used_rest = "Variant", True
    options = [tuple((names[c], v[c]) for c in codes if v.get(c)) for v in values]
    return options, used_rest


def _distinct(values: list[dict], codes: list[str]) -> bool:
    return len({tuple(v.get(code) for code in codes) for v in values}) == len(values)


def _sku_rest(parent_sku: str, sku: str, known: list[str]) -> str:
    rest = sku[len(parent_sku) + 1 :] if sku.startswith(parent_sku + "-") else sku
    tokens = rest.split("-")
    for value in known:
        for index, token in enumerate(tokens):
            if token.casefold() == value.casefold():
                del tokens[index]
                break
    return "-".join(tokens) or sku


def _own_attributes(sku: str, rows, columns: _Columns) -> dict[str, str]:
    if sku not in rows or columns.attributes is None:
        return {}
    return unpack_pairs(rows[sku][1].get(columns.attributes, ""))


def _unique_options(variants, cells: CellReader, columns: _Columns) -> list:
    seen: dict[tuple, VariantRecord] = {}
    kept = []

    for variant in variants:
        earlier = seen.setdefault(variant.options, variant)
        if earlier is not variant:
            cells.findings.reject(
                variant.row,
                columns.variations,
                f"child {variant.sku!r} has the same options as child {earlier.sku!r}",
            )
            continue
        kept.append(variant)
    return kept


def _images(cells: CellReader, columns: _Columns) -> tuple[ImageRef, ...]:
    urls = [
        cells.text(columns.base_image) or "",
        *split_list(cells.raw(columns.images)),
    ]
    labels = [cells.text(columns.base_label), *split_list(cells.raw(columns.labels))]
    found: dict[str, str | None] = {}
    for index, url in enumerate(urls):
        if url and url not in found:
            found[url] = labels[index] if index < len(labels) else None
    return tuple(ImageRef(url, alt, n) for n, (url, alt) in enumerate(found.items(), 1))


def _main_category(text: str) -> str | None:
    """The deepest category path, without Magento's ``Default Category/`` root."""
    paths = split_list(text)
    if not paths:
        return None
    deepest = max(paths, key=lambda path: path.count("/"))
    return deepest.split("/", 1)[1] if "/" in deepest else deepest
