"""Turning what was typed into the dashboard's grids into service calls.

``st.data_editor`` reports its edits as ``{"edited_rows": {row: {column:
value}}}`` against the frame it was given. These functions map those edits
back to ids and make the calls, so pages stay thin and the mapping is tested
without a browser.
"""

import math

from commerce import catalogue, stock

EDITABLE_VARIANT_COLUMNS = ("sku", "price", "unit_cost", "low_stock_threshold")


def variant_changes(rows, edited_rows):
    """({variant id: changes}, {product id: changes}) from grid edits.

    ``rows`` are the grid's records in order; only editable columns count.
    """
    variants, products = {}, {}
    for index, changes in (edited_rows or {}).items():
        row = rows[int(index)]
        for column, value in changes.items():
            value = _blank_to_none(value)
            if column == "status":
                products.setdefault(row["product_id"], {})["status"] = value
            elif column in EDITABLE_VARIANT_COLUMNS:
                if column == "sku" and value is not None:
                    value = str(value)
                variants.setdefault(row["variant_id"], {})[column] = value
    return variants, products


def apply_variant_changes(tenant, rows, edited_rows, *, actor):
    """Save grid edits; return how many products and variants changed."""
    variants, products = variant_changes(rows, edited_rows)
    for product_id, changes in products.items():
        catalogue.update_product(tenant, product_id, changes, actor=actor)
    for variant_id, changes in variants.items():
        catalogue.update_variant(tenant, variant_id, changes)
    return len(variants) + len(products)


def count_lines(rows, edited_rows, location_id):
    """CountLines for the rows whose counted quantity was typed in."""
    lines = []
    for index, changes in (edited_rows or {}).items():
        counted = _blank_to_none(changes.get("counted"))
        if counted is None:
            continue
        row = rows[int(index)]
        lines.append(
            stock.CountLine(
                variant_id=int(row["variant_id"]),
                location_id=int(location_id),
                counted=int(counted),
                sku=row.get("sku"),
                row=int(index) + 1,
            )
        )
    return lines


def _blank_to_none(value):
    if value is None or value == "":
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
