"""Importing stock levels from a file, as a stock count.

Each line sets what is on hand for one SKU at one location. The dry run shows
the differences; applying writes one ledger movement per line that changes,
under one import batch that ``etl.batches.undo_import`` can reverse. Locations
named in the file that the store lacks are created when the import is applied.
"""

import logging
import time

from commerce.limits import check_room
from commerce.stock import CountLine, location_by_name, record_count
from etl.parsing import parse_stock
from etl.reports import file_digest, from_parse
from tenancy.registry import record_usage

log = logging.getLogger(__name__)


def import_stock(tenant, path, *, format="auto", mapping=None, encoding=None,
                 dry_run=False, actor="cli", progress=None):  # fmt: skip
    """Import a stock file; return an ImportReport."""
    started = time.perf_counter()
    result = parse_stock(
        path, format=format, mapping=mapping, encoding=encoding, progress=progress
    )
    report = from_parse("stock", path, result, dry_run)

    with tenant.connection() as conn:
        variants = _variants(conn, {r.sku for r in result.records})
        locations = {}
        for record in result.records:
            key = record.location.strip().lower()
            if key not in locations:
                locations[key] = location_by_name(conn, record.location)
        levels = _levels(conn, list(variants.values()))

    lines, new_locations, seen = [], set(), {}
    for record in result.records:
        found = variants.get(record.sku)
        if found is None:
            report.reject(record.row, "sku", f"SKU {record.sku!r} is not in this store")
            continue
        variant_id, continue_selling = found
        if record.quantity < 0 and not continue_selling:
            report.reject(record.row, "quantity",
                          f"{record.quantity} is below zero and {record.sku!r} does "
                          "not keep selling when out of stock")  # fmt: skip
            continue
        key = (record.sku, record.location.strip().lower())
        if key in seen:
            report.reject(record.row, "location",
                          f"{record.sku!r} at {record.location!r} repeats row "
                          f"{seen[key]}")  # fmt: skip
            continue
        seen[key] = record.row

        location_id = locations[key[1]]
        if location_id is None:
            new_locations.add(record.location.strip())
        current = levels.get((variant_id, location_id))
        if current is None:
            report.created += record.quantity != 0
            report.unchanged += record.quantity == 0
        elif current == record.quantity:
            report.unchanged += 1
        else:
            report.updated += 1
        lines.append((variant_id, key[1], record))

    report.details = {"locations_to_create": sorted(new_locations)}
    if new_locations:
        with tenant.connection() as conn:
            check_room(conn, tenant, locations=len(new_locations))
    changes = report.created + report.updated
    if dry_run or not changes:
        _log(tenant, report, started)
        return report

    digest = file_digest(path)
    with tenant.transaction() as conn:
        ids = dict(locations)
        for name in sorted(new_locations):
            ids[name.lower()] = conn.execute(
                "INSERT INTO locations (name) VALUES (%s) RETURNING id", (name,)
            ).fetchone()[0]
        report.batch = conn.execute(
            """INSERT INTO import_batches (kind, source_format, file_name,
                   file_sha256, actor) VALUES ('stock', %s, %s, %s, %s) RETURNING id""",
            (report.format, path.name, digest, actor),
        ).fetchone()[0]
        count = [
            CountLine(v, ids[loc], r.quantity, r.sku, r.row) for v, loc, r in lines
        ]
        record_count(conn, count, reason=f"stock import {report.batch}", actor=actor,
                     batch_id=report.batch)  # fmt: skip
    with tenant.platform.registry() as conn:
        record_usage(conn, "import", tenant.id, tenant.store.account_id,
                     report.created + report.updated, what="stock")  # fmt: skip
    _log(tenant, report, started)
    return report


def _variants(conn, skus):
    if not skus:
        return {}
    rows = conn.execute(
        "SELECT sku, id, continue_selling FROM variants WHERE sku = ANY(%s)",
        (list(skus),),
    ).fetchall()
    return {sku: (variant_id, keeps) for sku, variant_id, keeps in rows}


def _levels(conn, variants):
    ids = [variant_id for variant_id, _ in variants]
    if not ids:
        return {}
    rows = conn.execute(
        """SELECT variant_id, location_id, on_hand FROM stock_levels
           WHERE variant_id = ANY(%s)""",
        (ids,),
    ).fetchall()
    return {(v, loc): on_hand for v, loc, on_hand in rows}


def _log(tenant, report, started):
    log.info(
        "store=%s step=import_stock file=%s dry_run=%s created=%s updated=%s "
        "unchanged=%s rejected=%s seconds=%.2f",
        tenant.id, report.file, report.dry_run, report.created, report.updated,
        report.unchanged, len(report.rejected), time.perf_counter() - started,
    )  # fmt: skip
