"""Typed reading of cell text: numbers, dates, flags, weights and identifiers."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from etl.records import Findings
from etl.values import (
    CellReader,
    ValueProblem,
    date_order_hint,
    detect_decimal_separator,
    gtin_check_digit_ok,
    make_handle,
    needs_date_order,
    parse_bool,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_weight_grams,
    read_barcode,
    read_identifier,
    read_postal_code,
    read_sku,
    split_list,
)


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("19.99", ".", "19.99"),
        ("59,99", ",", "59.99"),
        ("59,99", None, "59.99"),
        ("199", ",", "199"),
        ("3,600.22", ".", "3600.22"),
        ("3,600.22", None, "3600.22"),
        ("1.234,56", ",", "1234.56"),
        ("1,234", ".", "1234"),
        ("-2", ".", "-2"),
        ("(5.00)", ".", "-5.00"),
        ("$12.00", ".", "12.00"),
        ("€ 12,50", ",", "12.50"),
        ("12.50 EUR", ".", "12.50"),
        ("1'234.50", ".", "1234.50"),
        ("836.134", ".", "836.134"),
        (".5", ".", "0.5"),
    ],
)
def test_parse_decimal_reads_exact_amounts(text, separator, expected):
    value = parse_decimal(text, separator)

    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "separator", "phrase"),
    [
        ("12,50", ".", "decimal separator"),
        ("1.234", None, "ambiguous"),
        ("3.65275E+11", ".", "scientific notation"),
        ("NaN", ".", "not a number"),
        ("abc", ".", "not a number"),
        ("1.2.3", ".", "wrong places"),
    ],
)
def test_parse_decimal_refuses_what_it_cannot_read_exactly(text, separator, phrase):
    with pytest.raises(ValueProblem, match=phrase) as problem:
        parse_decimal(text, separator)

    assert repr(text) in str(problem.value)


def test_empty_cells_are_none_not_errors():
    assert parse_decimal("  ") is None
    assert parse_int("") is None
    assert parse_bool(" ") is None
    assert parse_datetime("") is None
    assert parse_weight_grams("") is None


def test_detect_decimal_separator_needs_proof():
    assert detect_decimal_separator(["59,99", "199", "19,99"]) == ","
    assert detect_decimal_separator(["14.95", "7.99", "10"]) == "."
    assert detect_decimal_separator(["3,600.22"]) == "."
    assert detect_decimal_separator(["1.234.567"]) == ","
    # Integers and thousands-looking values prove nothing.
    assert detect_decimal_separator(["1", "1.234", "1,234"]) is None
    # A file using both conventions must be settled by the caller.
    assert detect_decimal_separator(["1,5", "2.5"]) is None


def test_parse_int_accepts_spreadsheet_floats_but_not_fractions():
    assert parse_int("-3") == -3
    assert parse_int("17850.0") == 17850
    assert parse_int("100.0000") == 100
    with pytest.raises(ValueProblem, match="not a whole number"):
        parse_int("0.8")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TRUE", True), ("false", False), ("1", True), ("0", False), ("yes", True)],
)
def test_parse_bool(text, expected):
    assert parse_bool(text) is expected


def test_parse_bool_names_the_bad_value():
    with pytest.raises(ValueProblem, match="'maybe' is not a yes/no value"):
        parse_bool("maybe")


def test_weights_convert_exactly_to_grams():
    assert parse_weight_grams("1.5 kg") == Decimal("1500")
    assert parse_weight_grams("3", "lb") == Decimal("1360.77711")
    assert parse_weight_grams("4 oz") == Decimal("113.3980925")
    assert parse_weight_grams("0,8 kg", decimal_separator=",") == Decimal("800")
    with pytest.raises(ValueProblem, match="unknown weight unit 'stone'"):
        parse_weight_grams("2 stone")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("01/12/2010 08:26", "dmy", datetime(2010, 12, 1, 8, 26)),
        ("12/1/10 8:26", "mdy", datetime(2010, 12, 1, 8, 26)),
        ("2010-12-01 08:26:00", None, datetime(2010, 12, 1, 8, 26)),
        ("13/12/2010 09:02", None, datetime(2010, 12, 13, 9, 2)),
        ("10/2/2017 10:56", "mdy", datetime(2017, 10, 2, 10, 56)),
        ("16/6/2016", None, datetime(2016, 6, 16)),
        ("03/01/19", "dmy", datetime(2019, 1, 3)),
        ("03.01.2024 10:15", "dmy", datetime(2024, 1, 3, 10, 15)),
        ("1/5/2020 3:04 PM", "mdy", datetime(2020, 1, 5, 15, 4)),
    ],
)
def test_parse_datetime_orders(text, order, expected):
    assert parse_datetime(text, order) == expected


def test_parse_datetime_is_aware_only_when_the_text_says_so():
    aware = parse_datetime("2017-10-02T10:56:33Z")
    naive = parse_datetime("2017-10-02 10:56:33")

    assert aware == datetime(2017, 10, 2, 10, 56, 33, tzinfo=UTC)
    assert naive.tzinfo is None


def test_parse_datetime_refuses_to_guess_the_order():
    with pytest.raises(ValueProblem, match="day-first or month-first"):
        parse_datetime("01/12/2010 08:26")
    with pytest.raises(ValueProblem, match="not a valid date"):
        parse_datetime("2/30/2017", "mdy")
    assert parse_datetime("0000-00-00") is None


def test_date_order_hints():
    assert date_order_hint("13/12/2010 09:02") == "dmy"
    assert date_order_hint("12/13/10 9:02") == "mdy"
    assert date_order_hint("01/12/2010") is None
    assert date_order_hint("2010-12-13") is None
    assert needs_date_order("01/12/2010")
    assert not needs_date_order("01/01/2010")
    assert not needs_date_order("2010-12-01")


def test_barcode_in_scientific_notation_is_dropped_with_a_warning():
    value, warning = read_barcode("3.65275E+11")

    assert value is None
    assert warning.kind == "scientific"
    assert "3.65275E+11" in warning.message


def test_barcode_that_lost_a_leading_zero_is_kept_and_flagged():
    value, warning = read_barcode("36000291452")

    assert value == "36000291452"
    assert warning.kind == "leading-zero"
    assert "'036000291452'" in warning.message


def test_barcodes_stay_text():
    assert read_barcode("0000080446392") == ("0000080446392", None)
    assert read_barcode("'0850064060010") == ("0850064060010", None)
    value, warning = read_barcode("123456789012.0")
    assert value == "123456789012"
    assert warning.kind == "float"


def test_gtin_check_digit():
    assert gtin_check_digit_ok("036000291452")
    assert gtin_check_digit_ok("4006381333931")
    assert not gtin_check_digit_ok("4006381333932")
    assert not gtin_check_digit_ok("123")


def test_postal_codes_that_lost_leading_zeros_are_flagged_not_padded():
    us_zip, warning = read_postal_code("2138", "United States")
    assert us_zip == "2138"
    assert "'02138'" in warning.message

    brazil, warning = read_postal_code("9790.0", "BR")
    assert brazil == "9790"
    assert warning.kind == "leading-zero"

    assert read_postal_code("M7A", "Canada") == ("M7A", None)
    assert read_postal_code("09790", "BR") == ("09790", None)


def test_identifiers_keep_their_text():
    assert read_identifier("  SW10002.1 ") == "SW10002.1"
    assert read_identifier("'0850064060010") == "0850064060010"
    assert read_sku("1.23E+05")[1].kind == "scientific"
    assert read_sku("A-1") == ("A-1", None)


def test_make_handle_and_split_list():
    assert make_handle("Münsterländer Lagerkorn 32%") == "muensterlaender-lagerkorn-32"
    assert make_handle("PIZZA FRONT RACK  🍕") == "pizza-front-rack"
    assert make_handle("🍕") == ""
    assert split_list("Made to Order, Shirt Tag,,") == ("Made to Order", "Shirt Tag")


def test_cell_reader_rejects_the_row_and_names_the_column():
    findings = Findings()
    cells = CellReader(findings, ",").bind(7, {"Preis": "zwölf", "EAN": "3.6E+11"})

    assert cells.money("Preis") is None
    assert cells.barcode("EAN") is None
    assert not cells.ok
    (rejection,) = findings.rejected
    assert (rejection.row, rejection.column) == (7, "Preis")
    (warning,) = findings.warnings()
    assert warning.rows == (7,)
    assert warning.column == "EAN"
