"""Catalogue imports into a real store database: plan, apply, repeat, undo."""

import csv

import pytest

from commerce import catalogue, stock
from etl.batches import UndoRefused, undo_import
from etl.catalogue_import import import_products
from etl.exports import export
from tests.conftest import SHARED

DATA = SHARED / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is missing")

SHOPIFY_2023 = DATA / "shopify_templates_and_samples" / "product_template_2023.csv"
HAIR = DATA / "shopify_real_exports" / "hair_store_products_export_1.csv"


def counts(tenant):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM variants),
                      (SELECT count(*) FROM stock_movements),
                      (SELECT count(*) FROM product_images)"""
        ).fetchone()


def test_dry_run_reports_everything_and_writes_nothing(tenant):
    report = import_products(tenant, HAIR, dry_run=True)

    assert report.dry_run and report.batch is None
    assert report.created > 0 and report.updated == report.unchanged == 0
    assert all({"row", "column", "reason"} <= set(r) for r in report.rejected)
    assert counts(tenant) == (0, 0, 0, 0)


def test_apply_then_the_same_file_again_changes_nothing(tenant):
    first = import_products(tenant, SHOPIFY_2023)
    assert first.batch is not None
    assert first.products["created"] == 3 and first.created == 16
    after_first = counts(tenant)

    second = import_products(tenant, SHOPIFY_2023)
    assert second.batch is None
    assert (second.created, second.updated, second.unchanged) == (0, 0, 16)
    assert counts(tenant) == after_first


def test_stock_and_images_come_in_with_the_catalogue(tenant):
    import_products(tenant, SHOPIFY_2023)
    product = catalogue.get_product(tenant, "example-pants")
    levels = {lvl.sku: lvl.on_hand for lvl in stock.stock_levels(tenant)}

    assert levels["PNT_DEN_285"] == 20
    assert product.variants[0].barcode == "779201956374"
    with tenant.connection() as conn:
        pending = conn.execute(
            "SELECT count(*) FROM product_images WHERE fetch_status = 'pending'"
        ).fetchone()[0]
    assert pending > 0


def test_an_edited_file_updates_only_what_changed(tenant, tmp_path):
    import_products(tenant, SHOPIFY_2023)
    edited = tmp_path / "edited.csv"
    rows = list(csv.reader(SHOPIFY_2023.open(encoding="utf-8")))
    header = rows[0]
    price, sku = header.index("Variant Price"), header.index("Variant SKU")
    for row in rows[1:]:
        if row[sku] == "PNT_DEN_285":
            row[price] = "99.50"
    with edited.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows)

    report = import_products(tenant, edited)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 15)
    variant = catalogue.get_product(tenant, "example-pants").variants[0]
    assert str(variant.price) == "99.50"

    undo_import(tenant, report.batch)
    variant = catalogue.get_product(tenant, "example-pants").variants[0]
    assert variant.price == 95


def test_undo_removes_an_import_as_a_whole(tenant):
    before = counts(tenant)
    report = import_products(tenant, SHOPIFY_2023)
    undo_import(tenant, report.batch)

    assert counts(tenant)[:2] == before[:2]
    with pytest.raises(UndoRefused, match="already undone"):
        undo_import(tenant, report.batch)
    with pytest.raises(UndoRefused, match="no such import"):
        undo_import(tenant, 999999)


def test_a_sku_owned_by_another_product_is_rejected_with_its_row(tenant):
    catalogue.create_product(tenant, {"title": "Squatter"}, [{"sku": "PNT_DEN_285"}])

    report = import_products(tenant, SHOPIFY_2023)
    rejected = [r for r in report.rejected if r["column"] == "sku"]
    assert len(rejected) == 1
    assert "PNT_DEN_285" in rejected[0]["reason"]
    assert "squatter" in rejected[0]["reason"]
    assert rejected[0]["row"] > 1
    assert report.created == 15


def test_export_then_import_into_an_empty_store_round_trips(
    tenant, make_store, tmp_path
):
    import_products(tenant, HAIR)
    out = tmp_path / "shopify.csv"
    export(tenant, "products", "csv", out, layout="shopify")

    empty = make_store()
    report = import_products(empty, out)
    assert report.rejected == []

    def identity(t):
        with t.connection() as conn:
            return conn.execute(
                """SELECT p.handle, v.sku, v.barcode, v.price::text FROM variants v
                   JOIN products p ON p.id = v.product_id
                   ORDER BY p.handle, v.sku NULLS FIRST, v.position"""
            ).fetchall()

    assert identity(empty) == identity(tenant)


def test_a_database_failure_mid_apply_leaves_nothing(tenant, monkeypatch):
    import etl.catalogue_import as module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_insert_images", explode)
    with pytest.raises(RuntimeError):
        import_products(tenant, SHOPIFY_2023)
    assert counts(tenant) == (0, 0, 0, 0)
    with tenant.connection() as conn:
        assert conn.execute("SELECT count(*) FROM import_batches").fetchone()[0] == 0


def test_exports_in_every_format(tenant, tmp_path):
    import_products(tenant, SHOPIFY_2023)
    for what, fmt in [("inventory", "csv"), ("inventory", "xlsx"), ("products", "json"),
                      ("products", "csv")]:  # fmt: skip
        out = tmp_path / f"{what}.{fmt}"
        assert export(tenant, what, fmt, out) > 0

    bom = tmp_path / "bom.csv"
    export(tenant, "inventory", "csv", bom, bom=True)
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")

    from openpyxl import load_workbook

    sheet = load_workbook(tmp_path / "inventory.xlsx").active
    header = [c.value for c in sheet[1]]
    barcodes = [row[header.index("barcode")] for row in sheet.iter_rows(min_row=2,
                values_only=True)]  # fmt: skip
    assert "779201956374" in barcodes


def test_whole_store_export_has_a_manifest(tenant, tmp_path):
    import json
    import zipfile

    import_products(tenant, SHOPIFY_2023)
    out = tmp_path / "store.zip"
    export(tenant, "store", None, out)

    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        tables = {t["table"]: t for t in manifest["tables"]}
        assert tables["variants"]["rows"] == 16
        assert "sku" in tables["variants"]["columns"]
        assert set(archive.namelist()) >= {"products.csv", "variants.csv"}
