"""Stock files: multi-location sheets, Shopify and Shopware exports, mapped files.

Expected counts are recomputed here from the files with openpyxl or the csv
module, following each file's documented rules, and pinned literally too.
"""

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from etl.parsing import parse_inventory_item_ids, parse_stock
from etl.records import BrokenHeader, StockRecord, WrongKind

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def data_file(relative: str) -> Path:
    """A shared sample file, or a skip when the shared data folder is absent."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    return path


def dict_rows(path: Path, delimiter: str = ",") -> list:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def counts(result) -> tuple[int, int]:
    return len(result.records), len({r.row for r in result.rejected})


def wide_sheet_reference(path: Path) -> tuple[int, int]:
    """Every filled location cell is a record; a fractional one is rejected."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    rows = list(workbook.worksheets[0].iter_rows(min_row=2, values_only=True))
    workbook.close()

    cells = [value for row in rows if row[0] for value in row[1:] if value is not None]
    whole = [v for v in cells if isinstance(v, int) or float(v).is_integer()]
    fractional_rows = {
        number
        for number, row in enumerate(rows, start=2)
        for value in row[1:]
        if isinstance(value, float) and not value.is_integer()
    }
    return len(whole), len(fractional_rows)


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("multichannel_stock_xlsx/stock_distribution_by_channel.xlsx", (8469, 2)),
        ("multichannel_stock_xlsx/products.xlsx", (15, 0)),
    ],
)
def test_wide_location_sheets(relative, expected):
    path = data_file(relative)
    assert wide_sheet_reference(path) == expected

    result = parse_stock(path)

    assert result.format == "stock_by_location"
    assert counts(result) == expected


def test_wide_sheet_records_name_their_location_and_cell():
    result = parse_stock(
        data_file("multichannel_stock_xlsx/stock_distribution_by_channel.xlsx")
    )

    assert result.records[0] == StockRecord(
        "14 PATCH TORAN MULTI COLOUR-650", "Delhi Warehouse", 50, 2
    )
    assert len({record.location for record in result.records}) > 1
    assert {r.reason for r in result.rejected} == {
        "'0.8' is not a whole number",
        "'201.75' is not a whole number",
    }
    assert all(r.column != "SKU" for r in result.rejected)


def test_shopware_instock_repeats_count_once():
    path = data_file("shopware5_import_export/article_instock.csv")
    rows = dict_rows(path, ";")
    quantities: dict[str, set] = {}
    for row in rows:
        quantities.setdefault(row["ordernumber"], set()).add(row["instock"])
    conflicting = sum(len(values) - 1 for values in quantities.values())
    repeats = len(rows) - len(quantities)
    assert (len(quantities), conflicting, repeats) == (400, 0, 5)

    result = parse_stock(path, location="Lager")

    assert result.format == "shopware_instock"
    assert counts(result) == (400, 0)
    assert {record.location for record in result.records} == {"Lager"}
    assert sum(len(w.rows) for w in result.warnings) == repeats
    assert all("same quantity; counted once" in w.message for w in result.warnings)


def test_shopify_product_export_quantities_as_stock():
    path = data_file("shopify_real_exports/nl_store_partial_products_export.csv")
    rows = dict_rows(path)
    with_quantity = [row for row in rows if row["Variant Inventory Qty"].strip()]
    no_sku = sum(1 for row in with_quantity if not row["Variant SKU"].strip())
    expected = (len(with_quantity) - no_sku, no_sku)
    assert expected == (813, 1)

    result = parse_stock(path)

    assert counts(result) == expected
    assert {record.location for record in result.records} == {"default"}
    assert "no SKU" in result.rejected[0].reason


def test_shopify_product_export_without_quantities_is_refused():
    path = data_file("shopify_real_exports/velofant_se_products_export_1.csv")

    with pytest.raises(WrongKind, match="no 'Variant Inventory Qty' column"):
        parse_stock(path)


def test_shopify_inventory_export_long_layout():
    # Verified by hand: 3 stocked rows; "not stocked" is skipped; the beanie
    # rows have no SKU and a fractional quantity.
    result = parse_stock(FIXTURES / "shopify_inventory_export.csv")

    assert result.format == "shopify_inventory"
    assert counts(result) == (3, 2)
    assert result.records[2] == StockRecord("SHIRT-M", "Shop location", -2, 4)


def test_shopify_inventory_export_wide_layout():
    result = parse_stock(FIXTURES / "shopify_inventory_wide.csv")

    assert [(r.sku, r.location, r.quantity) for r in result.records] == [
        ("SHIRT-S", "Shop location", 10),
        ("SHIRT-S", "Warehouse", 20),
        ("SHIRT-M", "Shop location", -2),
    ]


def test_square_quantities_per_location():
    # Verified by hand: 10 filled whole-number cells across both locations;
    # "4.5" at Harbour Kiosk on row 6 is rejected.
    result = parse_stock(FIXTURES / "square_item_library.csv")

    assert counts(result) == (10, 1)
    assert Counter(r.location for r in result.records) == {
        "Main Street": 7,
        "Harbour Kiosk": 3,
    }


def test_generic_mapped_stock_rejects_repeated_skus():
    path = data_file("shopware5_import_export/article_instock.csv")
    rows = dict_rows(path, ";")
    distinct = len({row["ordernumber"] for row in rows})

    result = parse_stock(path, mapping={"sku": "ordernumber", "quantity": "instock"})

    assert result.format == "generic"
    assert counts(result) == (distinct, len(rows) - distinct)


def test_inventory_item_ids_are_read_as_text():
    path = data_file("shopify_real_exports/nl_store_sku_to_inventory_item_id.csv")
    rows = dict_rows(path)
    valid = [
        row
        for row in rows
        if row["Variant SKU"] and row["Inventory Item ID"].startswith("gid://shopify/")
    ]

    result = parse_inventory_item_ids(path)

    assert len(result.records) == len(valid) == 813
    assert (
        result.records[0].inventory_item_id
        == "gid://shopify/InventoryItem/53804747620678"
    )
    with pytest.raises(WrongKind, match="holds no quantities"):
        parse_stock(path)


def test_inventory_item_id_rounded_by_a_spreadsheet_is_rejected(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text(
        "Variant SKU,Inventory Item ID\nA,5.3804747620678E+13\nB,53804747751750\n"
    )

    result = parse_inventory_item_ids(path)

    assert [ref.sku for ref in result.records] == ["B"]
    assert "rounded" in result.rejected[0].reason


@pytest.mark.parametrize(
    ("relative", "error", "phrase"),
    [
        ("magento2_import_samples/configurable.csv", WrongKind, "not a stock file"),
        ("multichannel_stock_xlsx/sku_list.xlsx", WrongKind, "bare SKU list"),
        (
            "uci_online_retail/online_retail_sample_full_year_iso.csv",
            WrongKind,
            "stock",
        ),
        ("shopify_real_exports/broken_header_export.csv", BrokenHeader, "54 fields"),
        ("shopware5_import_export/orders_main.csv", WrongKind, "not a stock file"),
    ],
)
def test_non_stock_files_are_refused(relative, error, phrase):
    with pytest.raises(error, match=phrase):
        parse_stock(data_file(relative))
