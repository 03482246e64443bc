"""Importing a catalogue file into a store: plan, dry run, apply, undo.

The parser (``etl.parsing``) turns the file into product records. Here they are
compared with the store's catalogue to make a plan: what to create, what to
update, what is unchanged and which rows must be left out (a SKU that belongs to
another product, a SKU or barcode repeated in the file). A dry run stops at the
plan. Applying writes the whole plan in one transaction, under one import batch
whose id can undo it: created rows go, updated rows get their old values back,
stock movements are reversed (see ``etl.batches``).
"""

import json
import logging
import time
from dataclasses import dataclass, field
from decimal import Decimal

from commerce.errors import InsufficientStock
from commerce.html import sanitise_html
from commerce.limits import check_room
from commerce.stock import default_location, move
from etl.parsing import parse_products
from etl.reports import file_digest, from_parse
from tenancy.registry import record_usage

log = logging.getLogger(__name__)

PRODUCT_COLUMNS = (
    "handle", "title", "description_html", "vendor", "product_type", "tags",
    "status", "seo_title", "seo_description",
)  # fmt: skip
VARIANT_COLUMNS = (
    "sku", "barcode", "option1_name", "option1", "option2_name", "option2",
    "option3_name", "option3", "price", "compare_at_price", "unit_cost",
    "weight_grams", "continue_selling", "image_url",
)  # fmt: skip


@dataclass
class _Plan:
    new_products: list = field(default_factory=list)  # values
    changed_products: list = field(default_factory=list)  # (id, values)
    new_variants: list = field(default_factory=list)  # (handle, values)
    changed_variants: list = field(default_factory=list)  # (id, values)
    stock: list = field(default_factory=list)  # (handle, sku, options, qty, row)
    images: list = field(default_factory=list)  # (handle, url, alt, position)
    unchanged_products: int = 0
    unchanged_variants: int = 0
    revived: int = 0  # archived products the file brings back


def import_products(tenant, path, *, format="auto", mapping=None, encoding=None,
                    dry_run=False, actor="cli", progress=None):  # fmt: skip
    """Import a catalogue file; return an ImportReport (see etl.reports)."""
    started = time.perf_counter()
    result = parse_products(
        path, format=format, mapping=mapping, encoding=encoding, progress=progress
    )
    report = from_parse("products", path, result, dry_run)

    with tenant.connection() as conn:
        plan = _plan(conn, result.records, report)
        check_room(conn, tenant, products=len(plan.new_products) + plan.revived)
    _count(report, plan)
    if dry_run or not _has_work(plan):
        _log(tenant, report, started)
        return report

    digest = file_digest(path)
    with tenant.transaction() as conn:
        report.batch = _apply(conn, plan, report, path.name, digest, actor)
    with tenant.platform.registry() as conn:
        record_usage(conn, "import", tenant.id, tenant.store.account_id,
                     report.created + report.updated, what="products")  # fmt: skip
    _log(tenant, report, started)
    return report


# -- planning -----------------------------------------------------------------


def _plan(conn, records, report):
    handles = [r.handle for r in records]
    existing = _existing_products(conn, handles)
    variants_by_product = _existing_variants(conn, [p["id"] for p in existing.values()])
    skus = [v.sku for r in records for v in r.variants if v.sku]
    barcodes = [v.barcode for r in records for v in r.variants if v.barcode]
    sku_owner = _owners(conn, "sku", skus)
    barcode_owner = _owners(conn, "barcode", barcodes)

    known_images = _existing_images(conn, [p["id"] for p in existing.values()])
    levels = _default_levels(conn, [p["id"] for p in existing.values()])

    plan = _Plan()
    seen_sku, seen_barcode = {}, {}
    for record in records:
        current = existing.get(record.handle)
        values = _product_values(record)
        if current is None:
            plan.new_products.append(values)
        else:
            changes = _changes(values, current)
            if changes:
                plan.changed_products.append((current["id"], changes))
                plan.revived += (
                    current.get("status") == "archived"
                    and changes.get("status", "archived") != "archived"
                )
            else:
                plan.unchanged_products += 1

        taken = variants_by_product.get(current["id"], []) if current else []
        for position, variant in enumerate(record.variants, start=1):
            problem = _clash(variant, record.handle, current, sku_owner, barcode_owner,
                             seen_sku, seen_barcode)  # fmt: skip
            if problem:
                report.reject(variant.row, *problem)
                continue
            _plan_variant(plan, record, variant, position, taken, levels)

        product_id = current["id"] if current else None
        for image in record.images:
            if (product_id, image.url) not in known_images:
                plan.images.append(
                    (record.handle, image.url, image.alt, image.position)
                )
    return plan


def _plan_variant(plan, record, variant, position, taken, levels):
    values = _variant_values(variant)
    values["position"] = position
    match = _match_variant(variant, values, taken)
    quantity = variant.inventory_quantity
    if match is None:
        plan.new_variants.append((record.handle, values))
    else:
        if quantity is not None and levels.get(match["id"], 0) == quantity:
            quantity = None
        taken.remove(match)
        changes = _changes(values, match)
        if changes:
            plan.changed_variants.append((match["id"], changes))
        else:
            plan.unchanged_variants += 1
    if quantity is not None and (match is not None or quantity != 0):
        plan.stock.append((record.handle, values, quantity, variant.row))


def _clash(variant, handle, current, sku_owner, barcode_owner, seen_sku, seen_barcode):
    """(column, reason) when this variant's SKU or barcode cannot be used."""
    product_id = current["id"] if current else None
    for column, value, owners, seen in (
        ("sku", variant.sku, sku_owner, seen_sku),
        ("barcode", variant.barcode, barcode_owner, seen_barcode),
    ):
        if not value:
            continue
        if value in seen:
            first = seen[value]
            return column, f"{column.upper()} {value!r} repeats row {first}"
        owner = owners.get(value)
        if owner is not None and owner[0] != product_id:
            return column, (
                f"{column.upper()} {value!r} already belongs to product {owner[1]!r}"
            )
        seen[value] = variant.row
    return None


def _match_variant(variant, values, taken):
    if variant.sku:
        for row in taken:
            if row["sku"] == variant.sku:
                return row
    options = tuple(values.get(f"option{i}") for i in (1, 2, 3))
    for row in taken:
        if not row["sku"] and tuple(row[f"option{i}"] for i in (1, 2, 3)) == options:
            return row
    return None


def _product_values(record):
    return {
        "handle": record.handle,
        "title": record.title,
        "description_html": sanitise_html(record.description_html or ""),
        "vendor": record.vendor,
        "product_type": record.product_type,
        "tags": sorted(set(record.tags)),
        "status": record.status,
        "seo_title": record.seo_title,
        "seo_description": record.seo_description,
    }


def _variant_values(variant):
    values = {"sku": variant.sku, "barcode": variant.barcode}
    for index, (name, value) in enumerate(variant.options[:3], start=1):
        values[f"option{index}_name"] = name
        values[f"option{index}"] = value
    values.update(
        price=variant.price,
        compare_at_price=variant.compare_at_price,
        unit_cost=variant.unit_cost,
        weight_grams=variant.weight_grams,
        continue_selling=variant.continue_selling,
        image_url=variant.image_url,
    )
    return values


def _changes(values, current):
    """The fields of ``values`` that differ; None means "not in the file"."""
    changes = {}
    for name, value in values.items():
        if name in ("handle", "position") or value is None:
            continue
        old = current.get(name)
        if isinstance(old, list):
            old = sorted(old)
        if isinstance(value, Decimal) and old is not None:
            same = Decimal(old) == value
        else:
            same = old == value
        if not same:
            changes[name] = value
    return changes


def _existing_products(conn, handles):
    if not handles:
        return {}
    cur = conn.execute(
        f"SELECT id, {', '.join(PRODUCT_COLUMNS)} FROM products WHERE handle = ANY(%s)",
        (handles,),
    )
    names = [d.name for d in cur.description]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cur}


def _existing_variants(conn, product_ids):
    if not product_ids:
        return {}
    cur = conn.execute(
        f"""SELECT id, product_id, position, {", ".join(VARIANT_COLUMNS)}
            FROM variants WHERE product_id = ANY(%s) ORDER BY product_id, position""",
        (product_ids,),
    )
    names = [d.name for d in cur.description]
    grouped = {}
    for row in cur:
        item = dict(zip(names, row, strict=True))
        grouped.setdefault(item["product_id"], []).append(item)
    return grouped


def _existing_images(conn, product_ids):
    if not product_ids:
        return set()
    rows = conn.execute(
        """SELECT product_id, source_url FROM product_images
           WHERE product_id = ANY(%s) AND source_url IS NOT NULL""",
        (product_ids,),
    ).fetchall()
    return set(rows)


def _default_levels(conn, product_ids):
    """On-hand at the default location of each variant of these products."""
    if not product_ids:
        return {}
    rows = conn.execute(
        """SELECT v.id, s.on_hand FROM variants v
           JOIN stock_levels s ON s.variant_id = v.id
           JOIN locations l ON l.id = s.location_id AND l.is_default
           WHERE v.product_id = ANY(%s)""",
        (product_ids,),
    ).fetchall()
    return dict(rows)


def _owners(conn, column, values):
    if not values:
        return {}
    rows = conn.execute(
        f"""SELECT v.{column}, v.product_id, p.handle FROM variants v
            JOIN products p ON p.id = v.product_id WHERE v.{column} = ANY(%s)""",
        (values,),
    ).fetchall()
    return {value: (product_id, handle) for value, product_id, handle in rows}


def _count(report, plan):
    report.created = len(plan.new_variants)
    report.updated = len(plan.changed_variants)
    report.unchanged = plan.unchanged_variants
    report.products = {
        "created": len(plan.new_products),
        "updated": len(plan.changed_products),
        "unchanged": plan.unchanged_products,
    }


def _has_work(plan):
    return bool(
        plan.new_products or plan.changed_products or plan.new_variants
        or plan.changed_variants or plan.stock or plan.images
    )  # fmt: skip


# -- applying -----------------------------------------------------------------


def _apply(conn, plan, report, file_name, digest, actor):
    batch = conn.execute(
        """INSERT INTO import_batches (kind, source_format, file_name, file_sha256,
               actor) VALUES ('products', %s, %s, %s, %s) RETURNING id""",
        (report.format, file_name, digest, actor),
    ).fetchone()[0]

    ids = _insert_products(conn, plan.new_products, batch)
    ids.update(_existing_ids(conn, plan, ids))
    _update_rows(conn, "products", "product", plan.changed_products, batch)
    _insert_variants(conn, plan.new_variants, ids, batch)
    _update_rows(conn, "variants", "variant", plan.changed_variants, batch)
    moved = _apply_stock(conn, plan.stock, ids, batch, actor, report)
    images = _insert_images(conn, plan.images, ids, batch)

    report.details = {"stock_movements": moved, "images_queued": images}
    conn.execute(
        "UPDATE import_batches SET counts = %s WHERE id = %s",
        (json.dumps(_batch_counts(report)), batch),
    )
    return batch


def _batch_counts(report):
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "rejected": len(report.rejected),
        **report.details,
    }


def _insert_products(conn, rows, batch):
    if not rows:
        return {}
    with conn.cursor().copy(
        f"COPY products ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN"
    ) as copy:
        for values in rows:
            copy.write_row([values[c] for c in PRODUCT_COLUMNS])

    handles = [values["handle"] for values in rows]
    found = dict(
        conn.execute(
            "SELECT handle, id FROM products WHERE handle = ANY(%s)", (handles,)
        ).fetchall()
    )
    _record_created(conn, batch, "product", list(found.values()))
    return found


def _existing_ids(conn, plan, known):
    handles = {handle for handle, _ in plan.new_variants}
    handles |= {item[0] for item in plan.stock} | {item[0] for item in plan.images}
    missing = [h for h in handles if h not in known]
    if not missing:
        return {}
    return dict(
        conn.execute(
            "SELECT handle, id FROM products WHERE handle = ANY(%s)", (missing,)
        ).fetchall()
    )


def _insert_variants(conn, rows, ids, batch):
    if not rows:
        return
    columns = ("product_id", "position", *VARIANT_COLUMNS)
    with conn.cursor().copy(f"COPY variants ({', '.join(columns)}) FROM STDIN") as copy:
        for handle, values in rows:
            copy.write_row(
                [ids[handle], values["position"]]
                + [_default(c, values.get(c)) for c in VARIANT_COLUMNS]
            )

    # NOTE: now() is the transaction's start time, so it picks out exactly the
    # variants this import made among those of the products it touched.
    product_ids = list({ids[handle] for handle, _ in rows})
    conn.execute(
        """INSERT INTO import_changes (batch_id, entity, entity_id, action)
           SELECT %s, 'variant', v.id, 'created' FROM variants v
           WHERE v.product_id = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM import_changes c
                             WHERE c.entity = 'variant' AND c.entity_id = v.id)
             AND v.created_at = now()""",
        (batch, product_ids),
    )


def _default(column, value):
    if value is None and column == "price":
        return Decimal(0)
    if value is None and column == "continue_selling":
        return False
    return value


def _update_rows(conn, table, entity, changes, batch):
    if not changes:
        return
    ids = [row_id for row_id, _ in changes]
    conn.execute(
        f"""INSERT INTO import_changes (batch_id, entity, entity_id, action, before)
            SELECT %s, %s, id, 'updated', to_jsonb(t) FROM {table} t
            WHERE id = ANY(%s)""",
        (batch, entity, ids),
    )
    cur = conn.cursor()
    for row_id, values in changes:
        assignments = ", ".join(f"{name} = %({name})s" for name in values)
        cur.execute(
            f"UPDATE {table} SET {assignments}, updated_at = now() WHERE id = %(id)s",
            {**values, "id": row_id},
        )


def _apply_stock(conn, stock, ids, batch, actor, report):
    if not stock:
        return 0
    location = default_location(conn)
    variant_ids = _variant_ids(conn, [ids[item[0]] for item in stock])

    moved = 0
    for handle, values, quantity, row in stock:
        product_id = ids[handle]
        variant_id = variant_ids.get((product_id, "sku", values.get("sku"))) or (
            variant_ids.get((product_id, "position", values["position"]))
        )
        if variant_id is None:
            continue
        current = conn.execute(
            """SELECT on_hand FROM stock_levels WHERE variant_id = %s
               AND location_id = %s""",
            (variant_id, location),
        ).fetchone()
        change = quantity - (current[0] if current else 0)
        if change == 0:
            continue
        try:
            move(conn, variant_id, location, change, "imported",
                 f"import {batch}", None, actor, batch)  # fmt: skip
        except InsufficientStock:
            report.reject(row, "inventory quantity",
                          f"stock of {quantity} is below zero and this variant does "
                          "not keep selling when out of stock")  # fmt: skip
            continue
        moved += 1
    return moved


def _variant_ids(conn, product_ids):
    rows = conn.execute(
        "SELECT product_id, sku, position, id FROM variants WHERE product_id = ANY(%s)",
        (list(set(product_ids)),),
    ).fetchall()
    found = {}
    for product_id, sku, position, variant_id in rows:
        if sku:
            found[(product_id, "sku", sku)] = variant_id
        else:
            found[(product_id, "position", position)] = variant_id
    return found


def _insert_images(conn, images, ids, batch):
    """Queue the images named by URL; the plan already left out known ones."""
    unique = {}
    for handle, url, alt, position in images:
        unique.setdefault((ids[handle], url), (alt, position))
    if not unique:
        return 0

    columns = "product_id, source_url, alt_text, position, fetch_status"
    with conn.cursor().copy(f"COPY product_images ({columns}) FROM STDIN") as copy:
        for (product_id, url), (alt, position) in unique.items():
            copy.write_row((product_id, url, alt, position, "pending"))
    # NOTE: now() is the transaction's start, as for variants above.
    conn.execute(
        """INSERT INTO import_changes (batch_id, entity, entity_id, action)
           SELECT %s, 'image', id, 'created' FROM product_images
           WHERE product_id = ANY(%s) AND created_at = now()""",
        (batch, list({product_id for product_id, _ in unique})),
    )
    return len(unique)


def _record_created(conn, batch, entity, entity_ids):
    if entity_ids:
        conn.execute(
            """INSERT INTO import_changes (batch_id, entity, entity_id, action)
               SELECT %s, %s, unnest(%s::bigint[]), 'created'""",
            (batch, entity, entity_ids),
        )


def _log(tenant, report, started):
    log.info(
        "store=%s step=import_products file=%s dry_run=%s created=%s updated=%s "
        "unchanged=%s rejected=%s seconds=%.2f",
        tenant.id, report.file, report.dry_run, report.created, report.updated,
        report.unchanged, len(report.rejected), time.perf_counter() - started,
    )  # fmt: skip
