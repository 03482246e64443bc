"""Exports: the inventory, the catalogue (ours or Shopify's layout), the store.

Every export is written to a file. CSV can start with a BOM so that Excel
opens UTF-8 as UTF-8. A whole-store export is a zip with one CSV per table and
a ``manifest.json`` listing each table's columns, row count and checksum.
SKUs, barcodes and handles are written exactly as stored, as text.
"""

import csv
import hashlib
import io
import json
import logging
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

log = logging.getLogger(__name__)

WHATS = ("inventory", "products", "store")
FORMATS = ("csv", "xlsx", "json")
LAYOUTS = ("apmt", "shopify")

INVENTORY_COLUMNS = (
    "handle", "title", "sku", "barcode", "variant", "location", "on_hand",
    "reserved", "available", "unit_cost", "price",
)  # fmt: skip
PRODUCT_COLUMNS = (
    "handle", "title", "description_html", "vendor", "product_type", "tags",
    "status", "seo_title", "seo_description", "position", "sku", "barcode",
    "option1_name", "option1", "option2_name", "option2", "option3_name",
    "option3", "price", "compare_at_price", "unit_cost", "weight_grams",
    "continue_selling", "low_stock_threshold", "on_hand",
)  # fmt: skip
SHOPIFY_COLUMNS = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "Variant SKU", "Variant Grams",
    "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
    "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src",
    "Image Position", "Image Alt Text", "SEO Title", "SEO Description",
    "Cost per item", "Status",
)  # fmt: skip
# Tables in a whole-store export, in an order that loads back cleanly.
STORE_TABLES = (
    "store_settings", "locations", "products", "variants", "stock_levels",
    "stock_movements", "import_batches", "orders", "order_lines",
)  # fmt: skip


class ExportError(ValueError):
    """An export that cannot be made as asked."""


def export(tenant, what, fmt, out, *, layout="apmt", bom=False):
    """Write one export to ``out`` (a Path); return the number of rows written."""
    if what not in WHATS:
        raise ExportError(f"--what must be one of {', '.join(WHATS)}")
    if what == "store":
        return export_store(tenant, out)
    if fmt not in FORMATS:
        raise ExportError(f"--format must be one of {', '.join(FORMATS)}")
    if layout not in LAYOUTS:
        raise ExportError(f"--layout must be one of {', '.join(LAYOUTS)}")
    if layout == "shopify" and what != "products":
        raise ExportError("the Shopify layout is for --what products")

    if what == "inventory":
        columns, rows = INVENTORY_COLUMNS, inventory_rows(tenant)
    elif layout == "shopify":
        columns, rows = SHOPIFY_COLUMNS, shopify_rows(tenant)
    else:
        columns, rows = PRODUCT_COLUMNS, product_rows(tenant)
    return _write(out, fmt, columns, rows, bom)


def inventory_rows(tenant):
    with tenant.connection() as conn:
        cursor = conn.execute(
            """SELECT p.handle, p.title, v.sku, v.barcode,
                      concat_ws(' / ', v.option1, v.option2, v.option3),
                      l.name, coalesce(s.on_hand, 0), coalesce(s.reserved, 0),
                      coalesce(s.on_hand - s.reserved, 0), v.unit_cost, v.price
               FROM variants v JOIN products p ON p.id = v.product_id
               CROSS JOIN locations l
               LEFT JOIN stock_levels s
                      ON s.variant_id = v.id AND s.location_id = l.id
               WHERE v.archived_at IS NULL AND l.archived_at IS NULL
                 AND (s.variant_id IS NOT NULL OR l.is_default)
               ORDER BY p.handle, v.position, v.id, l.id"""
        )
        yield from cursor


def product_rows(tenant):
    with tenant.connection() as conn:
        cursor = conn.execute(
            """SELECT p.handle, p.title, p.description_html, p.vendor, p.product_type,
                      array_to_string(p.tags, ', '), p.status, p.seo_title,
                      p.seo_description, v.position, v.sku, v.barcode,
                      v.option1_name, v.option1, v.option2_name, v.option2,
                      v.option3_name, v.option3, v.price, v.compare_at_price,
                      v.unit_cost, v.weight_grams, v.continue_selling,
                      v.low_stock_threshold,
                      (SELECT coalesce(sum(on_hand), 0) FROM stock_levels s
                       WHERE s.variant_id = v.id)
               FROM products p JOIN variants v ON v.product_id = p.id
               WHERE v.archived_at IS NULL
               ORDER BY p.handle, v.position, v.id"""
        )
        yield from cursor


def shopify_rows(tenant):
    """Shopify's product CSV: the product's fields on its first row only."""
    with tenant.connection() as conn:
        images = _image_urls(conn)
        cursor = conn.execute(
            """SELECT p.id, p.handle, p.title, p.description_html, p.vendor,
                      p.product_type, array_to_string(p.tags, ', '), p.status,
                      p.seo_title, p.seo_description, v.sku, v.barcode,
                      v.option1_name, v.option1, v.option2_name, v.option2,
                      v.option3_name, v.option3, v.price, v.compare_at_price,
                      v.unit_cost, v.weight_grams, v.continue_selling, v.image_url,
                      (SELECT sum(on_hand) FROM stock_levels s
                       WHERE s.variant_id = v.id)
               FROM products p JOIN variants v ON v.product_id = p.id
               WHERE v.archived_at IS NULL
               ORDER BY p.handle, v.position, v.id"""
        )
        last = last_handle = None
        for row in cursor:
            first = row[0] != last
            if first and last is not None:
                yield from _image_only_rows(last_handle, images.get(last, [])[1:])
            last, last_handle = row[0], row[1]
            yield _shopify_line(row, first, images.get(row[0], []))
        if last is not None:
            yield from _image_only_rows(last_handle, images.get(last, [])[1:])


def _shopify_line(row, first, images):
    (_, handle, title, body, vendor, ptype, tags, status, seo_title, seo_desc, sku,
     barcode, o1n, o1, o2n, o2, o3n, o3, price, compare, cost, grams, keeps,
     variant_image, on_hand) = row  # fmt: skip
    if not (o1 or o2 or o3):
        o1n, o1 = "Title", "Default Title"
    image = images[0] if first and images else (None, None, None)
    product = first
    return (
        handle, title if product else "", body if product else "",
        vendor if product else "", ptype if product else "", tags if product else "",
        ("TRUE" if status == "active" else "FALSE") if product else "",
        o1n if product else "", o1, o2n if product and o2 else "", o2,
        o3n if product and o3 else "", o3, sku, grams, "shopify" if on_hand else "",
        on_hand, "continue" if keeps else "deny", "manual", price, compare, "TRUE",
        "TRUE", barcode, image[0], image[1], image[2],
        seo_title if product else "", seo_desc if product else "", cost,
        status if product else "",
    )  # fmt: skip


def _image_only_rows(handle, images):
    blank = [""] * len(SHOPIFY_COLUMNS)
    for url, position, alt in images:
        row = list(blank)
        row[0] = handle
        row[24:27] = [url, position, alt]
        yield tuple(row)


def _image_urls(conn):
    rows = conn.execute(
        """SELECT product_id, source_url, position, alt_text FROM product_images
           WHERE source_url IS NOT NULL ORDER BY product_id, position, id"""
    ).fetchall()
    grouped = {}
    for product_id, url, position, alt in rows:
        grouped.setdefault(product_id, []).append((url, position, alt))
    return grouped


def export_store(tenant, out):
    """Every table of the store as CSV in one zip, with a manifest."""
    manifest = {
        "store": {"id": tenant.store.id, "slug": tenant.store.slug,
                  "currency": tenant.store.currency,
                  "timezone": tenant.store.timezone},
        "exported_at": datetime.now(UTC).isoformat(),
        "tables": [],
    }  # fmt: skip
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, \
            tenant.connection() as conn:  # fmt: skip
        for table in STORE_TABLES:
            buffer = io.BytesIO()
            with conn.cursor().copy(
                f"COPY (SELECT * FROM {table} ORDER BY 1) TO STDOUT "
                "WITH (FORMAT csv, HEADER true)"
            ) as copy:
                for chunk in copy:
                    buffer.write(chunk)
            data = buffer.getvalue()
            rows = max(data.count(b"\n") - 1, 0) if data else 0
            archive.writestr(f"{table}.csv", data)
            header = data.split(b"\n", 1)[0].decode()
            manifest["tables"].append({
                "table": table, "file": f"{table}.csv", "rows": rows,
                "columns": next(csv.reader([header])) if header else [],
                "sha256": hashlib.sha256(data).hexdigest(),
            })  # fmt: skip
            total += rows
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return total


def _write(out, fmt, columns, rows, bom):
    if fmt == "csv":
        with open(out, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            count = 0
            for row in rows:
                writer.writerow([_text(v) for v in row])
                count += 1
        return count
    if fmt == "json":
        items = [
            dict(zip(columns, (_json(v) for v in row), strict=True)) for row in rows
        ]
        out.write_text(json.dumps(items, ensure_ascii=False, indent=1))
        return len(items)
    return _write_xlsx(out, columns, rows)


def _write_xlsx(out, columns, rows):
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(list(columns))
    count = 0
    for row in rows:
        # Identifiers stay text so Excel keeps leading zeros and long barcodes.
        sheet.append([_xlsx(name, v) for name, v in zip(columns, row, strict=True)])
        count += 1
    book.save(out)
    return count


def _text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _xlsx(column, value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value) if column not in ("sku", "barcode") else str(value)
    return value
