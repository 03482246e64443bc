"""Stock and sales imports into real store databases, and every real file."""

import pytest

from commerce import catalogue, stock
from etl.batches import undo_import
from etl.catalogue_import import import_products
from etl.records import ImportRefused
from etl.sales_import import import_sales
from etl.stock_import import import_stock
from tests.conftest import SHARED

DATA = SHARED / "data"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is missing")

UCI_ISO = DATA / "uci_online_retail" / "online_retail_sample_full_year_iso.csv"
NL_PRODUCTS = DATA / "shopify_real_exports" / "nl_store_partial_products_export.csv"
WORKBOOK = DATA / "multichannel_stock_xlsx" / "products.xlsx"

CATALOGUE_FILES = sorted(
    p for folder in ("shopify_templates_and_samples", "shopify_real_exports",
                     "woocommerce_sample_products", "magento2_import_samples",
                     "prestashop_csv_import", "shopware5_import_export")
    for p in (DATA / folder).glob("*.csv")
)  # fmt: skip


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_every_catalogue_file_imports_or_is_refused_with_a_reason(tenant, path):
    try:
        report = import_products(tenant, path, dry_run=True)
    except ImportRefused as exc:
        assert path.name in str(exc) and len(str(exc)) > len(path.name) + 20
        return
    assert report.created + report.updated + report.unchanged > 0
    for rejection in report.rejected:
        assert rejection["row"] >= 1 and rejection["reason"]


def test_the_broken_header_export_is_refused_not_shifted(tenant):
    broken = DATA / "shopify_real_exports" / "broken_header_export.csv"
    with pytest.raises(ImportRefused, match="shifted"):
        import_products(tenant, broken)
    assert catalogue.list_products(tenant).total == 0


def test_sales_history_imports_once_and_undoes(tenant):
    report = import_sales(tenant, UCI_ISO)
    assert report.created == 4330
    assert report.details["returns"] > 0

    with tenant.connection() as conn:
        orders, returns, lines = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE kind = 'return'),
                      (SELECT count(*) FROM order_lines) FROM orders"""
        ).fetchone()
    assert lines == 4330
    assert orders == report.details["orders"] and returns == report.details["returns"]

    again = import_sales(tenant, UCI_ISO)
    assert (again.created, again.unchanged, again.batch) == (0, 4330, None)

    undo_import(tenant, report.batch)
    with tenant.connection() as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 0


def test_sales_lines_link_to_known_skus(tenant):
    catalogue.create_product(tenant, {"title": "Heart holder"}, [{"sku": "85123A"}])
    import_sales(tenant, UCI_ISO)
    with tenant.connection() as conn:
        linked = conn.execute(
            "SELECT count(*) FROM order_lines WHERE variant_id IS NOT NULL"
        ).fetchone()[0]
        by_sku = conn.execute(
            "SELECT count(*) FROM order_lines WHERE sku = '85123A'"
        ).fetchone()[0]
    assert linked == by_sku > 0


def test_stock_import_is_a_count_with_a_dry_run(tenant):
    import_products(tenant, NL_PRODUCTS)
    with tenant.transaction() as conn:
        # Start from an empty shelf, as a store that imported no stock would.
        conn.execute("DELETE FROM stock_levels")
    preview = import_stock(tenant, NL_PRODUCTS, dry_run=True)
    assert preview.created > 0 and preview.batch is None
    assert stock.stock_levels(tenant) == []

    applied = import_stock(tenant, NL_PRODUCTS)
    assert applied.batch is not None
    with tenant.connection() as conn:
        movements = conn.execute(
            "SELECT count(*) FROM stock_movements WHERE batch_id = %s", (applied.batch,)
        ).fetchone()[0]
    assert movements == applied.created + applied.updated

    again = import_stock(tenant, NL_PRODUCTS)
    assert again.created == again.updated == 0

    undo_import(tenant, applied.batch)
    assert all(lvl.on_hand == 0 for lvl in stock.stock_levels(tenant))


def test_unknown_skus_in_a_stock_file_are_rejected_by_row(tenant):
    report = import_stock(tenant, WORKBOOK, dry_run=True)
    assert report.rejected
    assert all(r["column"] == "sku" and "not in this store" in r["reason"]
               for r in report.rejected[:5])  # fmt: skip
