"""The plans' product and location limits, where products and locations are made."""

from pathlib import Path

import pytest

from commerce import catalogue, stock
from commerce.limits import PlanLimitReached
from etl.catalogue_import import import_products
from etl.stock_import import import_stock

SHOPIFY = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/shopify_real_exports/packt_dev_store_products_export.csv"
)


def products_in(tenant):
    with tenant.connection() as conn:
        return conn.execute("SELECT count(*) FROM products").fetchone()[0]


def fill(tenant, count):
    with tenant.transaction() as conn:
        conn.execute(
            """INSERT INTO products (handle, title)
               SELECT 'filler-' || n, 'Filler ' || n FROM generate_series(1, %s) n""",
            (count,),
        )


@pytest.fixture
def free_store(make_store):
    return make_store(plan="free")


def test_the_free_plan_stops_at_its_hundredth_product(free_store):
    fill(free_store, 99)
    catalogue.create_product(free_store, {"title": "The hundredth"})

    with pytest.raises(PlanLimitReached, match="Free plan allows 100 products"):
        catalogue.create_product(free_store, {"title": "One too many"})
    assert products_in(free_store) == 100


def test_archived_products_do_not_count(free_store):
    fill(free_store, 100)
    with free_store.transaction() as conn:
        conn.execute(
            "UPDATE products SET status = 'archived' WHERE handle = 'filler-1'"
        )

    catalogue.create_product(free_store, {"title": "In its place"})


needs_export = pytest.mark.skipif(
    not SHOPIFY.is_file(), reason="../shared/data is missing"
)


@needs_export
def test_an_import_past_the_limit_is_refused_whole_even_as_a_dry_run(free_store):
    fill(free_store, 90)

    for dry_run in (True, False):
        with pytest.raises(PlanLimitReached, match="would make 110"):
            import_products(free_store, SHOPIFY, dry_run=dry_run)
    assert products_in(free_store) == 90


@needs_export
def test_a_larger_plan_takes_the_same_import(make_store):
    tenant = make_store(plan="starter")
    fill(tenant, 90)

    report = import_products(tenant, SHOPIFY)

    assert report.products["created"] == 20


def test_the_free_plan_has_one_location(free_store):
    with pytest.raises(PlanLimitReached, match="allows 1 locations"):
        stock.create_location(free_store, "Back room")


def test_a_stock_file_naming_new_locations_is_refused_on_the_free_plan(
    free_store, tmp_path
):
    catalogue.create_product(free_store, {"title": "Mug"}, [{"sku": "MUG-1"}])
    path = tmp_path / "inventory_export.csv"
    header = ("Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,"
              "Option3 Name,Option3 Value,SKU,HS Code,COO,Location,Incoming,"
              "Unavailable,Committed,Available,On hand")  # fmt: skip
    path.write_text(f"{header}\nmug,Mug,,,,,,,MUG-1,,,Warehouse B,0,0,0,4,4\n")

    with pytest.raises(PlanLimitReached, match="locations"):
        import_stock(free_store, path)
    assert len(stock.list_locations(free_store)) == 1
