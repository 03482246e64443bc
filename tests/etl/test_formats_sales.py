"""Sales history: Online Retail, Olist, Superstore, Shopware lines, mapped files.

Expected line and return counts are recomputed with the csv module from the
files' documented rules (and pinned literally), never with the parser.
"""

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from etl.parsing import parse_sales
from etl.records import ImportRefused, WrongKind

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OLIST_A = "olist_brazilian_ecommerce/subset_a_original_format"
OLIST_B = "olist_brazilian_ecommerce/subset_b_excel_resaved"
RETAIL_HEADER = ",".join(
    ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice"]
    + ["CustomerID", "Country\n"]
)


def data_file(relative: str) -> Path:
    """A shared sample file, or a skip when the shared data folder is absent."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    return path


def raw_rows(path: Path, encoding: str = "utf-8-sig", delimiter: str = ",") -> list:
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.reader(fh, delimiter=delimiter))


def counts(result) -> tuple[int, int, int]:
    """Lines, return lines, and distinct rejected rows of a parse."""
    returns = sum(1 for line in result.records if line.is_return)
    return len(result.records), returns, len({r.row for r in result.rejected})


# -- Online Retail ----------------------------------------------------------


def online_retail_reference(path: Path, encoding: str) -> tuple[int, int, int]:
    """Drop short (truncated) records, then exact repeats, then write-offs
    (negative quantity on an invoice without the C prefix)."""
    header, *rows = raw_rows(path, encoding)
    truncated = sum(1 for row in rows if len(row) != len(header))
    seen, lines, returns = set(), 0, 0

    for row in rows:
        if len(row) != len(header) or tuple(row) in seen:
            continue
        seen.add(tuple(row))
        is_return = row[0].startswith("C")
        if int(row[3]) < 0 and not is_return:
            continue
        lines += 1
        returns += is_return
    return lines, returns, truncated


@pytest.mark.parametrize(
    ("relative", "encoding", "expected"),
    [
        (
            "uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv",
            "cp1252",
            (38965, 671, 1),
        ),
        (
            "uci_online_retail/online_retail_2010-12_us_dates_crlf.csv",
            "utf-8",
            (28013, 409, 0),
        ),
        (
            "uci_online_retail/online_retail_sample_full_year_iso.csv",
            "utf-8",
            (4330, 58, 0),
        ),
    ],
)
def test_online_retail_counts(relative, encoding, expected):
    path = data_file(relative)
    assert online_retail_reference(path, encoding) == expected

    result = parse_sales(path)

    assert result.format == "uci_online_retail"
    assert counts(result) == expected
    assert all(line.quantity < 0 for line in result.records if line.is_return)
    assert {line.currency for line in result.records} == {"GBP"}


def test_uk_and_us_copies_agree_once_their_date_orders_are_detected():
    uk = parse_sales(
        data_file("uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv")
    )
    us = parse_sales(
        data_file("uci_online_retail/online_retail_2010-12_us_dates_crlf.csv")
    )

    def keyed(result):
        return {(ln.order_ref, ln.line_no): ln.ordered_at for ln in result.records}

    uk_lines, us_lines = keyed(uk), keyed(us)
    shared = uk_lines.keys() & us_lines.keys()
    assert len(shared) > 25000
    assert all(uk_lines[key] == us_lines[key] for key in shared)
    assert any("day-first" in w.message for w in uk.warnings)
    assert any("month-first" in w.message for w in us.warnings)
    assert uk.records[0].ordered_at == datetime(2010, 12, 1, 8, 26)


def test_online_retail_notes_duplicates_write_offs_and_encoding():
    result = parse_sales(
        data_file("uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv")
    )
    messages = " | ".join(w.message for w in result.warnings)

    assert result.encoding == "cp1252"
    assert "repeats row" in messages
    assert "write-off" in messages
    assert "not UTF-8" in messages
    assert "truncated" in result.rejected[0].reason


def test_float_customer_ids_are_repaired_and_zero_means_none():
    result = parse_sales(
        data_file("uci_online_retail/online_retail_sample_full_year_iso.csv")
    )

    assert result.records[0].customer_ref == "17850"
    assert any(line.customer_ref is None for line in result.records)
    assert not any(line.customer_ref in ("0", "0.0") for line in result.records)


def test_ambiguous_dates_are_refused_until_an_order_is_chosen(tmp_path):
    path = tmp_path / "early_december.csv"
    path.write_text(
        RETAIL_HEADER + "1,A,Thing,1,01/12/2010 08:26,1.00,7,United Kingdom\n"
        "2,A,Thing,2,02/12/2010 09:00,1.00,7,United Kingdom\n"
    )

    with pytest.raises(ImportRefused, match="date_order='dmy' or 'mdy'") as refused:
        parse_sales(path)
    assert "'01/12/2010 08:26' (row 2)" in str(refused.value)

    result = parse_sales(path, date_order="dmy")
    assert [line.ordered_at.month for line in result.records] == [12, 12]


def test_mixed_date_orders_in_one_column_are_refused(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        RETAIL_HEADER + "1,A,Thing,1,13/12/2010 08:26,1.00,7,UK\n"
        "2,A,Thing,1,12/14/2010 08:26,1.00,7,UK\n"
    )

    with pytest.raises(ImportRefused, match="mixes day-first") as refused:
        parse_sales(path)
    assert "row 2" in str(refused.value) and "row 3" in str(refused.value)

    chosen = parse_sales(path, date_order="dmy")
    assert counts(chosen) == (1, 0, 1)
    assert chosen.rejected[0].column == "InvoiceDate"


def test_bad_date_order_argument_is_refused():
    with pytest.raises(ImportRefused, match="date_order must be one of"):
        parse_sales(FIXTURES / "generic_sales.csv", date_order="european")


# -- Olist ------------------------------------------------------------------


def olist_reference(folder: Path) -> tuple[int, int, int]:
    """An item line is a sale if its order is in the orders table and was not
    cancelled or unavailable; items whose order is missing are rejected."""
    header, *orders = raw_rows(folder / "olist_orders_dataset.csv")
    status = {row[0]: row[2] for row in orders if any(row)}
    _, *items = raw_rows(folder / "olist_order_items_dataset.csv")
    items = [row for row in items if any(row)]
    known = [row for row in items if row[0] in status]
    lines = [row for row in known if status[row[0]] not in ("canceled", "unavailable")]
    return len(lines), 0, len(items) - len(known)


@pytest.mark.parametrize(
    ("folder", "expected"), [(OLIST_A, (197, 0, 4954)), (OLIST_B, (967, 0, 9024))]
)
def test_olist_counts_from_folder_items_or_orders_file(folder, expected):
    path = data_file(folder)
    assert olist_reference(path) == expected

    from_folder = parse_sales(path)
    from_items = parse_sales(path / "olist_order_items_dataset.csv")
    from_orders = parse_sales(path / "olist_orders_dataset.csv")

    assert from_folder.format == "olist"
    assert counts(from_folder) == counts(from_items) == counts(from_orders) == expected
    assert {line.currency for line in from_folder.records} == {"BRL"}


def test_olist_resaved_dates_read_month_first_match_the_original():
    original = {}
    for row in raw_rows(data_file(OLIST_A) / "olist_orders_dataset.csv")[1:]:
        original[row[0]] = datetime.fromisoformat(row[3]).replace(second=0)

    result = parse_sales(data_file(OLIST_B))

    compared = [line for line in result.records if line.order_ref in original]
    assert compared
    assert all(line.ordered_at == original[line.order_ref] for line in compared)
    assert any("month-first" in w.message for w in result.warnings)


def test_olist_notes_empty_rows_cancellations_and_payment_mismatches():
    result = parse_sales(data_file(OLIST_B))
    messages = " | ".join(w.message for w in result.warnings)

    assert "102,652 empty records" in messages
    assert "olist_orders_dataset.csv: 89,442 empty records" in messages
    assert "the order is canceled" in messages
    assert "records 50 paid" in messages
    assert "is not in olist_orders_dataset.csv" in result.rejected[0].reason


def test_olist_progress_reports_one_total_over_three_files():
    folder = data_file(OLIST_A)
    total = sum(
        (folder / name).stat().st_size
        for name in (
            "olist_order_items_dataset.csv",
            "olist_orders_dataset.csv",
            "olist_order_payments_dataset.csv",
        )
    )
    calls = []

    parse_sales(folder, progress=lambda done, whole: calls.append((done, whole)))

    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# -- Superstore and Shopware ------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "encoding", "expected", "first_date"),
    [
        (
            "superstore_sales/superstore_cp1252.csv",
            "cp1252",
            (9994, 0, 0),
            datetime(2016, 11, 8),
        ),
        (
            "superstore_sales/superstore_2019-2022_utf8_bom.csv",
            "utf-8-sig",
            (10194, 0, 0),
            datetime(2019, 1, 3),
        ),
    ],
)
def test_superstore_counts_and_dates(relative, encoding, expected, first_date):
    path = data_file(relative)
    header, first, *rest = raw_rows(path, encoding)
    assert (len(rest) + 1, 0, 0) == expected

    result = parse_sales(path)

    assert result.format == "superstore"
    assert result.encoding == encoding
    assert counts(result) == expected
    line = result.records[0]
    sales, quantity = (
        Decimal(first[header.index("Sales")]),
        int(first[header.index("Quantity")]),
    )
    assert line.ordered_at == first_date
    assert line.unit_price == (sales / quantity).quantize(Decimal("0.0001"))
    assert line.order_ref == first[header.index("Order ID")]


def test_superstore_legacy_workbook_reads_its_orders_sheet():
    import xlrd

    path = data_file("superstore_sales/superstore_2019-2022.xls")
    book = xlrd.open_workbook(str(path), on_demand=True)
    orders = book.sheet_by_name("Orders")
    expected = sum(1 for i in range(1, orders.nrows) if any(orders.row_values(i)))

    result = parse_sales(path)

    assert result.format == "superstore"
    assert counts(result) == (expected, 0, 0)
    assert result.records[0].ordered_at == datetime(2019, 1, 3)
    assert result.records[0].order_ref == orders.row_values(1)[1]


def test_shopware_order_lines_keep_articles_of_real_orders():
    path = data_file("shopware5_import_export/order_lines.csv")
    header, *rows = raw_rows(path, delimiter=";")
    mode = header.index("mode")
    expected = sum(1 for row in rows if row[1] != "0" and row[mode] == "0")
    assert expected == 5

    result = parse_sales(path)

    assert counts(result) == (expected, 0, 0)
    assert result.records[0].unit_price == Decimal("836.134")
    assert {line.currency for line in result.records} == {"EUR"}


def test_generic_mapped_sales():
    # Verified by hand: R-3 is a return (quantity -1); R-4's date 32.01.2024
    # does not exist; the other dates prove day-first (15.01.2024).
    result = parse_sales(
        FIXTURES / "generic_sales.csv", mapping=FIXTURES / "generic_sales_mapping.json"
    )

    assert counts(result) == (4, 1, 1)
    assert result.records[0].ordered_at == datetime(2024, 1, 3, 10, 15)
    assert result.records[1].unit_price == Decimal("12.90")
    assert [line.line_no for line in result.records[:2]] == [1, 2]


@pytest.mark.parametrize(
    ("relative", "error", "phrase"),
    [
        (f"{OLIST_A}/olist_order_reviews_dataset.csv", WrongKind, "reviews"),
        (f"{OLIST_B}/olist_sellers_dataset.csv", WrongKind, "sellers"),
        (f"{OLIST_B}/olist_geolocation_dataset.csv", WrongKind, "geolocation"),
        (f"{OLIST_B}/olist_customers_dataset.csv", WrongKind, "customers"),
        ("shopware5_import_export/orders_main.csv", WrongKind, "no lines"),
        (
            "shopify_templates_and_samples/product_template_2023.csv",
            WrongKind,
            "not a sales",
        ),
    ],
)
def test_non_sales_files_are_refused(relative, error, phrase):
    with pytest.raises(error, match=phrase):
        parse_sales(data_file(relative))
