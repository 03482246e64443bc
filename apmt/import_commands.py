"""``apmt import products|stock|sales|undo|images`` and ``apmt export``."""

import json
import sys
from pathlib import Path

from apmt.cli import UserError
from apmt.platform_commands import open_platform

PRODUCT_FORMATS = (
    "auto",
    "shopify",
    "woocommerce",
    "magento",
    "prestashop",
    "shopware",
    "square",
    "generic",
)
STOCK_FORMATS = ("auto", "shopify", "workbook", "generic")
SALES_FORMATS = ("auto", "uci", "olist", "superstore", "generic")


def register(commands):
    imports = commands.add_parser("import", help="bring a file into a store")
    kinds = imports.add_subparsers(dest="kind", required=True, metavar="KIND")

    for kind, formats, helptext in (
        ("products", PRODUCT_FORMATS, "a catalogue export from another platform"),
        ("stock", STOCK_FORMATS, "stock per SKU and location, as a stock count"),
        ("sales", SALES_FORMATS, "sales history: order lines with dates"),
    ):
        parser = kinds.add_parser(kind, help=helptext)
        parser.add_argument("slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", default="auto", choices=formats)
        parser.add_argument(
            "--mapping", type=Path, help="JSON file: our field -> the file's column"
        )
        parser.add_argument("--encoding", help="e.g. utf-8, cp1252 (else detected)")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would change; write nothing",
        )
        parser.add_argument("--json", action="store_true", help="print a JSON report")
        if kind == "sales":
            parser.add_argument(
                "--date-order",
                choices=("day-first", "month-first"),
                help="how to read dates like 01/02/2010",
            )
        parser.set_defaults(handler=run_import)

    undo = kinds.add_parser("undo", help="undo an applied import by its batch id")
    undo.add_argument("slug")
    undo.add_argument("batch", type=int)
    undo.set_defaults(handler=run_undo)

    images = kinds.add_parser("images", help="fetch images that imports named by URL")
    images.add_argument("slug")
    images.add_argument("--limit", type=int, default=200)
    images.set_defaults(handler=run_fetch_images)

    export = commands.add_parser("export", help="write a store's data to a file")
    export.add_argument("slug")
    export.add_argument(
        "--what", required=True, choices=("inventory", "products", "store")
    )
    export.add_argument("--format", default="csv", choices=("csv", "xlsx", "json"))
    export.add_argument(
        "--layout",
        default="apmt",
        choices=("apmt", "shopify"),
        help="column layout for --what products",
    )
    export.add_argument(
        "--bom", action="store_true", help="start CSV with a BOM so Excel reads UTF-8"
    )
    export.add_argument("--out", required=True, type=Path)
    export.set_defaults(handler=run_export)


def run_import(args):
    from etl.records import ImportRefused

    if not args.file.is_file():
        raise UserError(f"no such file: {args.file}")
    mapping = _read_mapping(args.mapping)
    tenant = open_platform().tenant(args.slug)
    options = dict(
        format=args.format,
        mapping=mapping,
        encoding=args.encoding,
        dry_run=args.dry_run,
    )
    if args.kind == "sales":
        options["date_order"] = args.date_order

    try:
        with _progress(args) as progress:
            report = _importer(args.kind)(
                tenant, args.file, progress=progress, **options
            )
    except ImportRefused as exc:
        if args.json:
            print(json.dumps({"refused": str(exc)}))
        raise UserError(f"{args.file.name} refused: {exc.reason}") from None

    if args.json:
        print(json.dumps(report.as_json(), default=str))
    else:
        _print_report(report)


def _importer(kind):
    if kind == "products":
        from etl.catalogue_import import import_products

        return import_products
    if kind == "stock":
        from etl.stock_import import import_stock

        return import_stock
    from etl.sales_import import import_sales

    return import_sales


def _read_mapping(path):
    if path is None:
        return None
    try:
        mapping = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"mapping file {path}: {exc}") from None
    if not isinstance(mapping, dict):
        raise UserError(f"mapping file {path}: expected a JSON object")
    return mapping


def _print_report(report):
    verb = "would be" if report.dry_run else "were"
    unit = {"products": "variants", "stock": "stock lines", "sales": "order lines"}
    print(f"{report.file}: {report.format} file ({report.encoding})")
    print(
        f"  {unit[report.kind]}: {report.created} {verb} created, "
        f"{report.updated} updated, {report.unchanged} unchanged"
    )
    if report.products:
        p = report.products
        print(
            f"  products: {p['created']} created, {p['updated']} updated, "
            f"{p['unchanged']} unchanged"
        )
    print(f"  rejected rows: {len(report.rejected)}")
    for item in report.rejected[:50]:
        column = f" [{item['column']}]" if item["column"] else ""
        print(f"    row {item['row']}{column}: {item['reason']}")
    if len(report.rejected) > 50:
        print(f"    ... and {len(report.rejected) - 50} more (use --json for all)")
    for warning in report.warnings:
        rows = warning["rows"]
        where = f"row {rows[0]}: " if rows else ""
        print(f"  warning: {where}{warning['message']}")
    if report.batch:
        print(
            f"  batch {report.batch} (undo with: apmt import undo SLUG {report.batch})"
        )
    elif not report.dry_run:
        print("  nothing to change")


def run_undo(args):
    from etl.batches import undo_import

    undo_import(open_platform().tenant(args.slug), args.batch)
    print(f"import {args.batch} undone")


def run_fetch_images(args):
    from commerce.images import fetch_pending_images

    stored, failed = fetch_pending_images(
        open_platform().tenant(args.slug), limit=args.limit
    )
    print(f"images stored: {stored}, failed: {failed}")


def run_export(args):
    from etl.exports import ExportError, export

    tenant = open_platform().tenant(args.slug)
    try:
        rows = export(
            tenant, args.what, args.format, args.out, layout=args.layout, bom=args.bom
        )
    except ExportError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"wrote {rows} rows to {args.out}")


class _progress:
    """A progress bar over the bytes read, on a terminal and without --json."""

    def __init__(self, args):
        self.enabled = sys.stderr.isatty() and not args.json
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task("reading", total=None)
        return lambda done, total: self.bar.update(task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
