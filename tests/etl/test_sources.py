"""Opening files: encodings, delimiters, row numbers, damaged shapes, workbooks."""

import codecs
import csv
from pathlib import Path

import pytest

from etl.records import BrokenHeader, UnreadableFile
from etl.sources import (
    ProgressSink,
    detect_delimiter,
    detect_encoding,
    open_table,
    read_header,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def data_file(relative: str) -> Path:
    """A shared sample file, or a skip when the shared data folder is absent."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    return path


def read_all(path, **kwargs):
    with open_table(path, **kwargs) as table:
        records = list(table.records())
        return table, records


def csv_records(path: Path, encoding: str = "utf-8", delimiter: str = ","):
    """Records as the csv module sees them: the independent reference."""
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.reader(fh, delimiter=delimiter))


# -- encodings --------------------------------------------------------------


def test_utf8_bom_is_stripped_from_the_first_header():
    table, records = read_all(
        data_file("woocommerce_sample_products/enhanced_sample_products_bom.csv")
    )

    assert table.encoding == "utf-8-sig"
    assert table.header[0] == "ID"
    assert len(records) == 400
    assert table.findings.warnings() == []


def test_cp1252_file_is_detected_and_the_guess_is_reported():
    path = data_file("superstore_sales/superstore_cp1252.csv")
    raw = path.read_bytes()
    first_bad = raw.index(b"\xa0")
    line = raw.count(b"\n", 0, first_bad) + 1

    table, records = read_all(path)

    assert table.encoding == "cp1252"
    (warning,) = table.findings.warnings()
    assert "not UTF-8" in warning.message
    assert "0xA0" in warning.message
    # No quoted field in the first rows spans lines, so line and row agree.
    assert warning.rows == (line,)
    names = [record["Product Name"] for _, record in records]
    assert any("Konftel 250 Conference\xa0phone" in name for name in names)


def test_a_stray_latin1_byte_near_the_end_is_still_found():
    path = data_file("uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv")
    raw = path.read_bytes()
    offset = raw.index(b"\xa3")

    guess = detect_encoding(path)

    assert offset > 0.9 * len(raw)
    assert guess.encoding == "cp1252"
    assert f"offset {offset:,}" in guess.note


def test_the_row_of_an_early_bad_byte_is_exact(tmp_path):
    path = tmp_path / "early.csv"
    path.write_bytes(b'name,note\nok,"two\nlines"\nna\xefve,x\nz,y\n')

    table, records = read_all(path)

    assert [row for row, _ in records] == [2, 3, 4]
    (warning,) = table.findings.warnings()
    assert warning.rows == (3,)
    assert "line 4" in warning.message  # the quoted newline makes line 4 row 3


def test_bytes_cp1252_leaves_undefined_mean_latin1(tmp_path):
    path = tmp_path / "holes.csv"
    path.write_bytes(b"name,price\ncaf\xe9 \x81,1.00\n")

    table, records = read_all(path)

    assert table.encoding == "latin-1"
    assert records[0][1]["name"] == "café \x81"


def test_mostly_utf8_with_a_stray_byte_keeps_utf8(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("name,price\nMünster,1\n".encode() + b"bad \xff,2\n")

    table, records = read_all(path)

    assert table.encoding == "utf-8"
    assert records[1][1]["name"] == "bad \ufffd"
    assert "mostly UTF-8" in table.findings.warnings()[0].message


def test_explicit_encoding_wins_and_unknown_ones_are_refused(tmp_path):
    path = tmp_path / "explicit.csv"
    path.write_bytes(b"name\nna\xefve\n")

    table, records = read_all(path, encoding="latin-1")
    assert records[0][1]["name"] == "naïve"
    assert table.findings.warnings() == []

    with pytest.raises(UnreadableFile, match="unknown encoding 'klingon'"):
        read_all(path, encoding="klingon")


def test_a_wrong_explicit_encoding_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_bytes(b"name\nok\nna\xefve\n")

    with pytest.raises(UnreadableFile, match="cannot be decoded as utf-8"):
        read_all(path, encoding="utf-8")


def test_utf16_with_bom_and_tabs(tmp_path):
    path = tmp_path / "excel_unicode.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + "SKU\tQty\nA-1\t3\n".encode("utf-16-le"))

    table, records = read_all(path)

    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert records == [(2, {"SKU": "A-1", "Qty": "3"})]


# -- delimiters and header names --------------------------------------------


@pytest.mark.parametrize(
    ("relative", "delimiter"),
    [
        ("shopware5_import_export/article_prices_decimal_comma.csv", ";"),
        ("prestashop_csv_import/products_import.csv", ";"),
        ("shopify_real_exports/hair_store_products_export_1.csv", ","),
        ("uci_online_retail/online_retail_2010-12_us_dates_crlf.csv", ","),
    ],
)
def test_delimiter_is_detected(relative, delimiter):
    table, _ = read_all(data_file(relative))

    assert table.delimiter == delimiter


def test_detect_delimiter_on_text():
    assert detect_delimiter("a\tb\tc\n1\t2,5\t3\n", complete=True) == "\t"
    assert detect_delimiter("a;b\n1,5;2\n", complete=True) == ";"
    assert detect_delimiter("sku\nA\nB\n", complete=True) == ","


def test_repeated_header_names_get_numbered_keys():
    table, records = read_all(data_file("shopware5_import_export/order_lines.csv"))

    assert table.header.count("number") == 2
    assert "number (2)" in table.keys
    assert records[0][1]["number"] == "20001"


def test_column_lookup_ignores_case_and_required_markers():
    table, _ = read_all(data_file("prestashop_csv_import/combinations_import.csv"))

    assert table.column("product id") == "Product ID*"
    assert table.column("Nope", "EAN13") == "EAN13"
    assert table.column("Nope") is None


# -- row numbers and shapes -------------------------------------------------


def test_row_numbers_count_records_not_lines():
    path = data_file("magento2_import_samples/luma_catalog_products.csv")
    reference = csv_records(path)
    physical_lines = path.read_bytes().count(b"\n")

    table, records = read_all(path)

    assert physical_lines > len(reference)  # HTML cells span several lines
    assert len(records) == len(reference) - 1
    assert [row for row, _ in records] == list(range(2, len(reference) + 1))
    assert records[-1][1]["sku"] == reference[-1][0]


def test_mixed_line_endings_and_no_final_newline():
    path = data_file("shopify_templates_and_samples/shopifypartners_jewelery.csv")
    reference = csv_records(path)

    _, records = read_all(path)

    assert len(records) == len(reference) - 1 == 41
    assert records[-1][1]["Handle"] == reference[-1][0]


def test_trailing_empty_records_are_skipped_and_counted():
    path = data_file(
        "olist_brazilian_ecommerce/subset_b_excel_resaved/olist_order_items_dataset.csv"
    )
    reference = csv_records(path)
    empty = [n for n, rec in enumerate(reference[1:], start=2) if not any(rec)]

    table, records = read_all(path)

    assert len(records) == len(reference) - 1 - len(empty)
    (warning,) = table.findings.warnings()
    assert f"{len(empty):,} empty records" in warning.message
    assert warning.rows[0] == empty[0]


def test_truncated_last_line_is_a_rejection_naming_its_row():
    path = data_file("uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv")
    reference = csv_records(path, encoding="cp1252")
    assert len(reference[-1]) == 3  # the last line stops after 3 of 8 fields

    table, records = read_all(path)

    assert len(records) == len(reference) - 2
    (rejection,) = table.findings.rejected
    assert rejection.row == len(reference)
    assert "truncated" in rejection.reason


def test_blank_lines_before_the_header_keep_row_numbers_true(tmp_path):
    path = tmp_path / "blank_top.csv"
    path.write_text("\n\nsku,qty\nA,1\n")

    table, records = read_all(path)

    assert table.header == ("sku", "qty")
    assert records == [(4, {"sku": "A", "qty": "1"})]


def test_short_and_long_records_in_the_middle_are_rejected(tmp_path):
    path = tmp_path / "shapes.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,\n13,14,15\n")

    table, records = read_all(path)

    assert [row for row, _ in records] == [2, 5, 6]
    reasons = {r.row: r.reason for r in table.findings.rejected}
    assert reasons[3] == "the record has 2 fields but the header has 3"
    assert reasons[4].startswith("the record has 4 fields but the header has 3")


def test_a_trailing_empty_field_is_not_a_shape_error():
    path = data_file("prestashop_csv_import/combinations_import.csv")
    widths = {len(rec) for rec in csv_records(path, delimiter=";")[1:]}
    assert widths == {23, 24}

    table, records = read_all(path)

    assert len(records) == 27
    assert table.findings.rejected == []


def test_broken_header_is_refused_not_shifted():
    path = data_file("shopify_real_exports/broken_header_export.csv")

    with pytest.raises(BrokenHeader) as refused:
        read_all(path)

    message = str(refused.value)
    assert "broken_header_export.csv" in message
    assert "15 column names" in message
    assert "54 fields" in message


# -- refused files ----------------------------------------------------------


def test_legacy_xls_reads_like_a_workbook():
    path = data_file("superstore_sales/superstore_2019-2022.xls")

    table, records = read_all(path)
    assert table.container == "xls" and table.sheet == "Orders"
    assert len(records) == 10194


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"", "empty"),
        (b"\n\n\n", "no header row"),
        (b"%PDF-1.4 ...", "PDF"),
        (b"a,b\n1,\x00\x01\x02\n", "binary"),
        (b"PK\x03\x04garbage", "ZIP"),
    ],
)
def test_unreadable_files_are_refused(tmp_path, content, phrase):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)

    with pytest.raises(UnreadableFile, match=phrase):
        read_all(path)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="no such file"):
        read_all(tmp_path / "nope.csv")


# -- workbooks --------------------------------------------------------------


def test_xlsx_records_are_text_with_sheet_row_numbers():
    path = data_file("multichannel_stock_xlsx/stock_distribution_by_channel.xlsx")

    table, records = read_all(path)

    assert table.container == "xlsx"
    assert table.sheet == "stock distribution"
    assert table.header[:3] == ("SKU", "Delhi Warehouse", "Harsharan")
    assert len(records) == 1779
    row, first = records[0]
    assert row == 2
    assert first["SKU"] == "14 PATCH TORAN MULTI COLOUR-650"
    assert first["Delhi Warehouse"] == "50"
    assert first["Harsharan"] == ""


def test_xlsx_formatted_empty_rows_are_skipped():
    table, records = read_all(data_file("multichannel_stock_xlsx/products.xlsx"))

    assert len(records) == 3
    assert "1,776 empty records" in table.findings.warnings()[0].message


def test_unknown_sheet_is_refused_listing_the_sheets():
    path = data_file("multichannel_stock_xlsx/sku_list.xlsx")

    with pytest.raises(UnreadableFile, match="the workbook has Sheet1"):
        read_all(path, sheet="Stock")


# -- streaming and progress -------------------------------------------------


def test_records_stream_and_progress_reaches_the_total():
    path = data_file("superstore_sales/superstore_2019-2022_utf8_bom.csv")
    size = path.stat().st_size
    calls = []
    sink = ProgressSink(lambda done, total: calls.append((done, total)))

    with open_table(path, progress=sink) as table:
        rows = table.records()
        next(rows)
        read_before_first_record = sink.done
        remaining = sum(1 for _ in rows)

    assert 0 < read_before_first_record < size / 10
    assert remaining == 10193
    assert calls[-1] == (size, size)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_one_sink_adds_up_several_files():
    first = data_file(
        "olist_brazilian_ecommerce/subset_a_original_format/olist_orders_dataset.csv"
    )
    second = data_file(
        "olist_brazilian_ecommerce/subset_a_original_format/olist_customers_dataset.csv"
    )
    calls = []
    sink = ProgressSink(lambda done, total: calls.append((done, total)))

    for path in (first, second):
        with open_table(path, progress=sink) as table:
            for _ in table.records():
                pass

    total = first.stat().st_size + second.stat().st_size
    assert calls[-1] == (total, total)


def test_read_header_agrees_with_open_table():
    for relative in (
        "woocommerce_sample_products/enhanced_sample_products_bom.csv",
        "shopware5_import_export/article_instock.csv",
        "uci_online_retail/online_retail_2010-12_uk_dates_latin1.csv",
        "multichannel_stock_xlsx/sku_list.xlsx",
    ):
        path = data_file(relative)
        table, _ = read_all(path)
        assert read_header(path) == table.header
