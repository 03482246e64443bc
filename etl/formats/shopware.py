"""Shopware 5 article price export (SwagImportExport): semicolons, decimal comma.

One row per order number (variant) and price tier. Variants of an article
share the base number: ``SW10002.1``, ``SW10002.2`` belong to ``SW10002``;
``_additionaltext`` (``1,5 Liter``) tells them apart. Only the end-customer
group ``EK`` from quantity 1 sets the price; other groups and quantity tiers
are skipped with a warning. ``pseudoprice`` is the struck-through price and
``purchaseprice`` the cost; Shopware writes 0 for "not set" in both.
"""

from __future__ import annotations

from etl.formats import (
    Context,
    HandleBook,
    choose_separator,
    new_result,
    warn_duplicate_skus,
    zero_as_none,
)
from etl.records import Findings, ParseResult, ProductRecord, VariantRecord
from etl.sources import Table
from etl.values import CellReader

OPTION_NAME = "Variant"
BASE_PRICE_GROUP = "EK"


def parse_products(table: Table, context: Context) -> ParseResult:
    """Read a Shopware 5 price export into products grouped by base number."""
    find = table.column
    number, price, group = find("ordernumber"), find("price"), find("pricegroup")
    tier, compare, cost = find("from"), find("pseudoprice"), find("purchaseprice")
    name, variant_text, supplier = (
        find("_name"),
        find("_additionaltext"),
        find("_supplier"),
    )
    findings = Findings()
    rows = list(table.records())
    separator = choose_separator(
        context.decimal_separator, (r for _, r in rows), [price, compare, cost]
    )
    cells = CellReader(findings, separator or ",")

    articles: dict[str, list[tuple[int, dict[str, str], VariantRecord]]] = {}
    for row, record in rows:
        cells.bind(row, record)
        if _is_tier_price(cells, group, tier):
            continue
        sku = cells.sku(number)
        if sku is None:
            cells.reject(number, "the order number is empty")
            continue
        text = cells.text(variant_text)
        variant = VariantRecord(
            sku=sku,
            barcode=None,
            options=((OPTION_NAME, text),) if text else (),
            price=cells.money(price),
            compare_at_price=zero_as_none(cells.money(compare)),
            unit_cost=zero_as_none(cells.money(cost)),
            weight_grams=None,
            inventory_quantity=None,
            continue_selling=None,
            image_url=None,
            row=row,
        )
        if cells.ok:
            articles.setdefault(_base_number(sku), []).append((row, record, variant))

    handles, products = HandleBook(findings), []
    for base, entries in articles.items():
        row, record, _ = entries[0]
        cells.bind(row, record)
        title = cells.text(name) or base
        variants = _unique(entries, cells, number)
        products.append(
            ProductRecord(
                handle=handles.claim(None, title, row),
                title=title,
                description_html=None,
                vendor=cells.text(supplier),
                product_type=None,
                tags=(),
                status="active",
                seo_title=None,
                seo_description=None,
                images=(),
                variants=tuple(variants),
                rows=tuple(v.row for v in variants),
            )
        )
    warn_duplicate_skus(products, findings)
    return new_result("shopware", table, findings, products, separator or ",")


def _is_tier_price(cells: CellReader, group, tier) -> bool:
    price_group = (cells.text(group) or BASE_PRICE_GROUP).upper()
    start = cells.text(tier) or "1"
    if price_group == BASE_PRICE_GROUP and start == "1":
        return False

    cells.findings.warn(
        cells.row,
        group,
        f"price for customer group {price_group} from quantity {start} is a "
        "tier price; only group EK from 1 is imported",
        key="tier",
    )
    return True


def _base_number(sku: str) -> str:
    base, dot, suffix = sku.rpartition(".")
    return base if dot and suffix.isdigit() and base else sku


def _unique(entries, cells: CellReader, number) -> list[VariantRecord]:
    seen: dict[tuple, int] = {}
    kept = []
    for row, _, variant in entries:
        earlier = seen.setdefault(variant.options, row)
        if earlier != row:
            cells.findings.reject(
                row, number, f"variant text repeats row {earlier} of the same article"
            )
            continue
        kept.append(variant)
    return kept
