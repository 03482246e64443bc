"""Importing sales history: order lines from another platform's export.

Lines are grouped into orders by the file's order reference. An order already
imported (same reference) is left as it is, so importing a file twice adds
nothing. Returns (a UCI ``C`` invoice, negative quantities) become orders of
kind ``return``. Everything goes in with COPY, in one transaction, under one
import batch that ``undo_import`` removes as a whole.
"""

import logging
import secrets
import time
from collections import OrderedDict
from datetime import UTC
from zoneinfo import ZoneInfo

from etl.parsing import parse_sales
from etl.reports import file_digest, from_parse
from tenancy.registry import record_usage

log = logging.getLogger(__name__)

ORDER_COLUMNS = (
    "number", "token", "source", "kind", "status", "currency", "subtotal", "total",
    "refunded_total", "customer_ref", "country", "placed_at", "paid_at",
    "import_batch_id", "external_ref",
)  # fmt: skip
LINE_COLUMNS = (
    "order_id", "line_no", "variant_id", "sku", "title", "quantity", "unit_price",
    "line_total",
)  # fmt: skip


def import_sales(
    tenant, path, *, format="auto", mapping=None, encoding=None, date_order=None,
    dry_run=False, actor="cli", progress=None,
):  # fmt: skip
    """Import a sales history file; return an ImportReport (counts are lines)."""
    started = time.perf_counter()
    result = parse_sales(
        path, format=format, mapping=mapping, encoding=encoding,
        date_order=date_order, progress=progress,
    )  # fmt: skip
    report = from_parse("sales", path, result, dry_run)
    orders = _group(result.records)

    with tenant.connection() as conn:
        known = _known(conn, list(orders))
    fresh = OrderedDict(
        (ref, lines) for ref, lines in orders.items() if ref not in known
    )
    report.created = sum(len(lines) for lines in fresh.values())
    report.unchanged = sum(len(lines) for ref, lines in orders.items() if ref in known)
    report.details = {
        "orders": len(fresh),
        "returns": sum(1 for lines in fresh.values() if _is_return(lines)),
        "orders_already_imported": len(orders) - len(fresh),
    }
    if dry_run or not fresh:
        _log(tenant, report, started)
        return report

    store = tenant.store
    zone = ZoneInfo(store.timezone)
    digest = file_digest(path)
    with tenant.transaction() as conn:
        batch = conn.execute(
            """INSERT INTO import_batches (kind, source_format, file_name,
                   file_sha256, actor) VALUES ('sales', %s, %s, %s, %s) RETURNING id""",
            (report.format, path.name, digest, actor),
        ).fetchone()[0]
        _copy_orders(conn, fresh, batch, store.currency, zone)
        ids = dict(
            conn.execute(
                "SELECT external_ref, id FROM orders WHERE import_batch_id = %s",
                (batch,),
            ).fetchall()
        )
        variants = _variant_ids(conn, fresh)
        _copy_lines(conn, fresh, ids, variants)
        conn.execute(
            "UPDATE import_batches SET counts = %s::jsonb WHERE id = %s",
            (f'{{"lines": {report.created}, "orders": {len(fresh)}}}', batch),
        )
    report.batch = batch
    with tenant.platform.registry() as conn:
        record_usage(conn, "import", tenant.id, tenant.store.account_id,
                     report.created, what="sales")  # fmt: skip
    _log(tenant, report, started)
    return report


def _group(lines):
    orders = OrderedDict()
    for line in lines:
        orders.setdefault(line.order_ref, []).append(line)
    return orders


def _is_return(lines):
    return all(line.is_return or line.quantity < 0 for line in lines)


def _known(conn, refs):
    if not refs:
        return set()
    rows = conn.execute(
        """SELECT external_ref FROM orders
           WHERE source = 'import' AND external_ref = ANY(%s)""",
        (refs,),
    ).fetchall()
    return {row[0] for row in rows}


def _copy_orders(conn, orders, batch, store_currency, zone):
    with conn.cursor().copy(
        f"COPY orders ({', '.join(ORDER_COLUMNS)}) FROM STDIN"
    ) as copy:
        for ref, lines in orders.items():
            total = sum(line.quantity * line.unit_price for line in lines)
            first = lines[0]
            placed = first.ordered_at
            if placed.tzinfo is None:
                # A file without a zone speaks in the store's own time.
                placed = placed.replace(tzinfo=zone)
            returned = _is_return(lines)
            copy.write_row((
                f"imp-{ref}", secrets.token_urlsafe(16), "import",
                "return" if returned else "sale",
                "refunded" if returned else "paid",
                (first.currency or store_currency).upper(), total, total,
                -total if returned else 0, first.customer_ref, first.country,
                placed.astimezone(UTC), placed.astimezone(UTC), batch, ref,
            ))  # fmt: skip


def _variant_ids(conn, orders):
    skus = list({line.sku for lines in orders.values() for line in lines if line.sku})
    if not skus:
        return {}
    rows = conn.execute(
        "SELECT sku, id FROM variants WHERE sku = ANY(%s)", (skus,)
    ).fetchall()
    return dict(rows)


def _copy_lines(conn, orders, ids, variants):
    with conn.cursor().copy(
        f"COPY order_lines ({', '.join(LINE_COLUMNS)}) FROM STDIN"
    ) as copy:
        for ref, lines in orders.items():
            order_id = ids[ref]
            for number, line in enumerate(lines, start=1):
                copy.write_row((
                    order_id, number, variants.get(line.sku), line.sku,
                    line.title or "", line.quantity, line.unit_price,
                    line.quantity * line.unit_price,
                ))  # fmt: skip


def _log(tenant, report, started):
    log.info(
        "store=%s step=import_sales file=%s dry_run=%s lines=%s already=%s "
        "rejected=%s seconds=%.2f",
        tenant.id, report.file, report.dry_run, report.created, report.unchanged,
        len(report.rejected), time.perf_counter() - started,
    )  # fmt: skip
