"""Importing a 10,000-product Shopify file and a 500,000-line sales history.

Both files are built from real rows (the Velofant Shopify export, 63 columns;
the UCI Online Retail sample) repeated with new handles, SKUs and invoice
numbers. The baseline for each file is the least any importer must do: read it
with ``pandas.read_csv`` and ``COPY`` its bytes into one table of text columns.
Goals: a dry run at most 5 times the baseline, an applied import at most 8.
"""

import csv
import statistics
from pathlib import Path

from psycopg import sql

from bench.report import figure
from bench.timing import summarise, time_call
from etl.catalogue_import import import_products
from etl.sales_import import import_sales
from tenancy import StoreRequest, provision_store

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHOPIFY = DATA / "shopify_real_exports" / "velofant_se_products_export_1.csv"
RETAIL = DATA / "uci_online_retail" / "online_retail_sample_full_year_iso.csv"
GOALS = {"dry run": 5, "applied": 8}


def run(ctx):
    sandbox = ctx.sandbox("imp")
    rounds = 1 if ctx.options.quick else 3
    products = 500 if ctx.options.quick else 10_000
    lines = 20_000 if ctx.options.quick else 500_000

    work = ctx.data_dir / "imports"
    work.mkdir(exist_ok=True)
    catalogue_file = build_catalogue(work / "catalogue.csv", products)
    sales_file = build_sales(work / "sales.csv", lines)

    figures, raw = [], {}
    for label, path, importer in (
        (f"{products:,}-product Shopify file", catalogue_file, import_products),
        (f"{lines:,}-line sales history", sales_file, import_sales),
    ):
        baseline = [_baseline(ctx, path) for _ in range(rounds)]
        dry = [_import(sandbox, importer, path, True) for _ in range(rounds)]
        applied = [_import(sandbox, importer, path, False) for _ in range(rounds)]
        base = statistics.median(baseline)
        figures.append(figure(f"{label}: baseline read+COPY", round(base, 3), "s"))
        for name, samples in (("dry run", dry), ("applied", applied)):
            value = statistics.median(samples)
            ratio = value / base
            figures.append(figure(f"{label}: {name}", round(value, 3), "s"))
            figures.append(figure(
                f"{label}: {name} ratio", round(ratio, 2), "x",
                goal=f"<= {GOALS[name]}", met=ratio <= GOALS[name],
            ))  # fmt: skip
        raw[label] = {
            "baseline": summarise(baseline),
            "dry_run": summarise(dry),
            "applied": summarise(applied),
            "bytes": path.stat().st_size,
        }
    return {"figures": figures, "rounds": rounds, "samples": raw}


def build_catalogue(out, products):
    """Repeat the real export's products with new handles and SKUs."""
    with SHOPIFY.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.reader(source))
    header, body = rows[0], rows[1:]
    handle, sku = header.index("Handle"), header.index("Variant SKU")
    barcode = header.index("Variant Barcode")
    groups = {}
    for row in body:
        groups.setdefault(row[handle], []).append(row)

    with out.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(header)
        made = copy = 0
        while made < products:
            for rows_of_product in groups.values():
                for row in rows_of_product:
                    row = list(row)
                    row[handle] = f"{row[handle]}-{copy}"
                    if row[sku]:
                        row[sku] = f"{row[sku]}-{copy}"
                    row[barcode] = ""
                    writer.writerow(row)
                made += 1
                if made == products:
                    break
            copy += 1
    return out


def build_sales(out, lines):
    """Repeat the real sales rows with new invoice numbers (C stays a return)."""
    with RETAIL.open(encoding="utf-8", newline="") as source:
        rows = list(csv.reader(source))
    header, body = rows[0], rows[1:]

    with out.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(header)
        written = copy = 0
        while written < lines:
            for row in body:
                invoice = row[0]
                writer.writerow([f"{invoice}{copy:04d}", *row[1:]])
                written += 1
                if written == lines:
                    break
            copy += 1
    return out


def _baseline(ctx, path):
    """pandas.read_csv of the file plus COPY of its bytes into text columns."""
    import pandas

    with path.open(encoding="utf-8", newline="") as handle:
        width = len(next(csv.reader(handle)))
    data = path.read_bytes()
    columns = sql.SQL(", ").join(sql.SQL(f"c{i} text") for i in range(width))

    def work():
        pandas.read_csv(path, dtype=str, keep_default_na=False)
        with ctx.admin_connection() as conn:
            conn.execute(sql.SQL("CREATE TEMP TABLE raw ({})").format(columns))
            with conn.cursor().copy(
                "COPY raw FROM STDIN (FORMAT csv, HEADER true)"
            ) as copy:
                copy.write(data)

    return time_call(work)


def _import(sandbox, importer, path, dry_run):
    """One import into a fresh, empty store."""
    platform = sandbox.platform
    store = provision_store(
        platform, StoreRequest(_slug(), "Bench", "bench@example.com", plan="growth")
    )
    tenant = platform.tenant(store.id)
    seconds = time_call(importer, tenant, path, dry_run=dry_run)
    platform.forget_store(store.id)
    return seconds


_count = iter(range(1_000_000))


def _slug():
    return f"imp{next(_count)}"
