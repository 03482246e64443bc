"""Product catalogues from every platform we read, counted against the files.

Each count test states the expected numbers literally and also recomputes
them with a few lines of the csv module that follow the file's documented
rules, never calling the parser: both must agree with what the parser says.
"""

import csv
import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from etl.formats import detect_format
from etl.parsing import parse_products
from etl.records import (
    BadMapping,
    BrokenHeader,
    UnknownFormat,
    WrongKind,
)

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
OLIST_A = "olist_brazilian_ecommerce/subset_a_original_format"
OLIST_B = "olist_brazilian_ecommerce/subset_b_excel_resaved"


def data_file(relative: str) -> Path:
    """A shared sample file, or a skip when the shared data folder is absent."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}")
    return path


def dict_rows(path: Path, delimiter: str = ",", encoding: str = "utf-8-sig") -> list:
    with open(path, newline="", encoding=encoding) as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


def counts(result) -> tuple[int, int, int]:
    """Products, variants, and distinct rejected rows of a parse."""
    variants = sum(len(product.variants) for product in result.records)
    return len(result.records), variants, len({r.row for r in result.rejected})


# -- independent reference counts -------------------------------------------

SHOPIFY_VARIANT_COLUMNS = (
    "Variant SKU", "Variant Price", "Variant Compare At Price", "Variant Barcode",
    "Variant Grams", "Variant Inventory Qty", "Cost per item",
    "Option1 Value", "Option2 Value", "Option3 Value",
)  # fmt: skip


def shopify_reference(path: Path) -> tuple[int, int, int]:
    """Handles are products; rows with any variant field are variants (rows
    with only Handle and image columns are image rows)."""
    rows = dict_rows(path)
    handles = {row["Handle"] for row in rows}
    variants = {
        (row["Handle"], *(row.get(f"Option{n} Value", "") for n in (1, 2, 3)))
        for row in rows
        if any(row.get(column, "").strip() for column in SHOPIFY_VARIANT_COLUMNS)
    }
    return len(handles), len(variants), 0


def woocommerce_reference(path: Path) -> tuple[int, int, int]:
    """Repeated ID+SKU rows count once; variable/simple/external are products,
    simple/external/variation rows are variants; grouped rows are neither."""
    unique, seen = [], set()
    for row in dict_rows(path):
        key = (row.get("ID"), row["SKU"])
        if row.get("ID") and key in seen:
            continue
        seen.add(key)
        unique.append({part.strip() for part in row["Type"].split(",")})
    products = sum(1 for kinds in unique if kinds & {"simple", "external", "variable"})
    variants = sum(1 for kinds in unique if kinds & {"simple", "external", "variation"})
    return products, variants, 0


def magento_reference(path: Path) -> tuple[int, int, int]:
    """One row per SKU (the global store view); configurable and grouped rows
    own the SKUs they list; bundles and gift cards are rejected."""
    main: dict[str, dict] = {}
    for row in dict_rows(path):
        if row["sku"] not in main or row["store_view_code"] == "":
            main.setdefault(row["sku"], row)
    children = {}
    for sku, row in main.items():
        if row["product_type"] == "configurable":
            parts = [p for p in row["configurable_variations"].split("|") if p]
            children[sku] = [
                dict(kv.split("=", 1) for kv in p.split(","))["sku"] for p in parts
            ]
        elif row["product_type"] == "grouped":
            listed = [
                i.split("=")[0].strip() for i in row["associated_skus"].split(",")
            ]
            children[sku] = [child for child in listed if child in main]
    owned = {child for kids in children.values() for child in kids}

    products = variants = rejected = 0
    for sku, row in main.items():
        kind = row["product_type"]
        if kind in ("bundle", "giftcard") or (kind == "grouped" and not children[sku]):
            rejected += 1
        elif kind in ("configurable", "grouped"):
            products, variants = products + 1, variants + len(children[sku])
        elif sku not in owned:
            products, variants = products + 1, variants + 1
    return products, variants, rejected


def prestashop_reference(folder: Path) -> tuple[int, int, int]:
    """Products with combinations have one variant per distinct value set;
    others have one; a repeated value set of one product is rejected."""
    products = dict_rows(folder / "products_import.csv", ";")
    combos: dict[str, set] = defaultdict(set)
    repeated = 0
    for row in dict_rows(folder / "combinations_import.csv", ";"):
        values = row["Value (Value:Position)*"]
        repeated += values in combos[row["Product ID*"]]
        combos[row["Product ID*"]].add(values)
    variants = sum(len(combos.get(p["Product ID"], ())) or 1 for p in products)
    return len(products), variants, repeated


def shopware_reference(path: Path) -> tuple[int, int, int]:
    """Variants SW10002.1, .2 … belong to article SW10002; EK prices from 1."""
    rows = [
        row
        for row in dict_rows(path, ";")
        if row["pricegroup"] == "EK" and row["from"] == "1"
    ]
    articles = {re.sub(r"\.\d+$", "", row["ordernumber"]) for row in rows}
    return len(articles), len(rows), 0


# -- counts for every catalogue file ----------------------------------------


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("shopify_templates_and_samples/product_template_2023.csv", (3, 16, 0)),
        (
            "shopify_templates_and_samples/product_template_2023_excel_resaved.csv",
            (3, 16, 0),
        ),
        ("shopify_templates_and_samples/product_template_2019.csv", (1, 3, 0)),
        ("shopify_templates_and_samples/shopifypartners_apparel.csv", (20, 22, 0)),
        (
            "shopify_templates_and_samples/shopifypartners_home-and-garden.csv",
            (20, 21, 0),
        ),
        ("shopify_templates_and_samples/shopifypartners_jewelery.csv", (20, 23, 0)),
        ("shopify_real_exports/velofant_se_products_export_1.csv", (14, 19, 0)),
        ("shopify_real_exports/hair_store_products_export_1.csv", (84, 445, 0)),
        ("shopify_real_exports/packt_dev_store_products_export.csv", (20, 21, 0)),
        ("shopify_real_exports/beard_care_products_export_1.csv", (8, 14, 0)),
        ("shopify_real_exports/nl_store_partial_products_export.csv", (814, 814, 0)),
    ],
)
def test_shopify_counts(relative, expected):
    path = data_file(relative)
    assert shopify_reference(path) == expected

    result = parse_products(path)

    assert result.format == "shopify"
    assert counts(result) == expected


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("woocommerce_sample_products/sample_products.csv", (14, 21, 0)),
        ("woocommerce_sample_products/importer_unit_test_sample.csv", (4, 5, 0)),
        ("woocommerce_sample_products/enhanced_sample_products_bom.csv", (17, 22, 0)),
    ],
)
def test_woocommerce_counts(relative, expected):
    path = data_file(relative)
    assert woocommerce_reference(path) == expected

    result = parse_products(path)

    assert result.format == "woocommerce"
    assert counts(result) == expected


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("magento2_import_samples/luma_catalog_products.csv", (189, 1891, 0)),
        ("magento2_import_samples/variants.csv", (147, 1847, 3)),
        ("magento2_import_samples/configurable.csv", (1, 4, 0)),
        ("magento2_import_samples/multi_storeview.csv", (9, 9, 0)),
        ("magento2_import_samples/tier_prices.csv", (1, 4, 0)),
        ("magento2_import_samples/delta_update.csv", (3, 17, 2)),
        ("magento2_import_samples/grouped.csv", (1, 3, 0)),
    ],
)
def test_magento_counts(relative, expected):
    path = data_file(relative)
    assert magento_reference(path) == expected

    result = parse_products(path)

    assert result.format == "magento"
    assert counts(result) == expected


def test_prestashop_counts_with_combinations():
    folder = data_file("prestashop_csv_import")
    expected = (7, 29, 1)
    assert prestashop_reference(folder) == expected

    result = parse_products(folder / "products_import.csv")

    assert (result.format, result.delimiter) == ("prestashop", ";")
    assert counts(result) == expected


def test_shopware_counts():
    path = data_file("shopware5_import_export/article_prices_decimal_comma.csv")
    expected = (90, 98, 0)
    assert shopware_reference(path) == expected

    result = parse_products(path)

    assert (result.format, result.decimal_separator) == ("shopware", ",")
    assert counts(result) == expected


def test_square_fixture_counts():
    # Verified by hand against the fixture: 4 items (Cold Brew, Ceramic Mug,
    # Gift Card, Tote Bag) with 1+2+1+2 variations; row 8 has no item name
    # and row 9 repeats the Tote Bag's "Natural" variation.
    result = parse_products(FIXTURES / "square_item_library.csv")

    assert result.format == "square"
    assert counts(result) == (4, 6, 2)


# -- files that are not catalogues ------------------------------------------


@pytest.mark.parametrize(
    ("relative", "error", "phrase"),
    [
        (
            "shopify_real_exports/broken_header_export.csv",
            BrokenHeader,
            "15 column names",
        ),
        (
            "prestashop_csv_import/categories_import.csv",
            WrongKind,
            "this is a PrestaShop categories file, not a product file",
        ),
        ("prestashop_csv_import/brands_import.csv", WrongKind, "PrestaShop brands"),
        (
            "prestashop_csv_import/suppliers_import.csv",
            WrongKind,
            "PrestaShop suppliers",
        ),
        (
            f"{OLIST_A}/olist_order_reviews_dataset.csv",
            WrongKind,
            "Olist order reviews table, not a product file",
        ),
        (
            f"{OLIST_A}/olist_products_dataset.csv",
            WrongKind,
            "no titles, SKUs or prices",
        ),
        (
            f"{OLIST_B}/olist_sellers_dataset.csv",
            WrongKind,
            "Olist sellers table",
        ),
        (
            f"{OLIST_B}/olist_geolocation_dataset.csv",
            WrongKind,
            "Olist geolocation table",
        ),
        (
            f"{OLIST_A}/product_category_name_translation.csv",
            WrongKind,
            "category name translation",
        ),
        ("shopware5_import_export/orders_main.csv", WrongKind, "no lines"),
        ("shopware5_import_export/article_translations.csv", WrongKind, "translations"),
        (
            "shopware5_import_export/article_instock.csv",
            WrongKind,
            "Shopware 5 stock export",
        ),
        (
            "shopify_real_exports/nl_store_sku_to_inventory_item_id.csv",
            WrongKind,
            "parse_inventory_item_ids",
        ),
        ("multichannel_stock_xlsx/sku_list.xlsx", WrongKind, "bare SKU list"),
        (
            "multichannel_stock_xlsx/stock_distribution_by_channel.xlsx",
            WrongKind,
            "one quantity column per location, not a product file",
        ),
        (
            "uci_online_retail/online_retail_sample_full_year_iso.csv",
            WrongKind,
            "Online Retail invoice-line export, not a product file",
        ),
        ("superstore_sales/superstore_2019-2022.xls", WrongKind, "not a product"),
    ],
)
def test_non_catalogue_files_are_refused_with_the_reason(relative, error, phrase):
    path = data_file(relative)

    with pytest.raises(error) as refused:
        parse_products(path)

    assert phrase in str(refused.value)
    assert path.name in str(refused.value)


def test_unknown_layout_asks_for_a_mapping(tmp_path):
    path = tmp_path / "own.csv"
    path.write_text("Artikel,Preis\nA,1\n")

    with pytest.raises(UnknownFormat, match="column mapping"):
        parse_products(path)


def test_detect_format_from_headers():
    assert detect_format(["Handle", "Title", "Variant SKU"]) == "shopify"

    assert detect_format(["Handle", "Title", "SKU", "Location", "On hand"]) == (
        "shopify_inventory"
    )
    assert (
        detect_format(["ID", "Type", "SKU", "Name", "Regular price"]) == "woocommerce"
    )
    combinations = [
        "Product ID*",
        "Attribute (Name:Type:Position)*",
        "Value (Value:Position)*",
    ]
    assert detect_format(combinations) == "prestashop_combinations"

    assert detect_format(["SKU"]) == "sku_list"
    assert detect_format(["SKU", "Shop", "Warehouse"]) == "stock_by_location"
    with pytest.raises(UnknownFormat):
        detect_format(["foo", "bar"])


def test_format_can_be_named_explicitly():
    path = data_file("shopify_templates_and_samples/product_template_2019.csv")

    assert parse_products(path, format="shopify").format == "shopify"
    with pytest.raises(UnknownFormat, match="known formats: .*shopify"):
        parse_products(path, format="bigcartel")


# -- Shopify details --------------------------------------------------------


def test_shopify_template_2023_reads_products_variants_and_images():
    result = parse_products(
        data_file("shopify_templates_and_samples/product_template_2023.csv")
    )
    shirt, pants, beanie = result.records

    assert shirt.handle == "example-shirt"
    assert shirt.tags == ("Made to Order", "Shirt Tag")
    assert shirt.variants[0].options == (("Color", "Green"), ("Size", "S"))
    assert shirt.variants[0].barcode == "365275101829"
    assert shirt.variants[0].price == Decimal("25")
    assert shirt.variants[0].continue_selling is False
    assert [image.position for image in shirt.images] == list(
        range(1, len(shirt.images) + 1)
    )
    # "Title" / "Default Title" means the beanie has no real options.
    assert beanie.variants[0].options == ()
    assert {shirt.status, pants.status, beanie.status} == {
        "active",
        "draft",
        "archived",
    }
    assert shirt.description_html.startswith("<p>This t-shirt")


def test_excel_damaged_barcodes_are_dropped_and_reported_once():
    path = data_file(
        "shopify_templates_and_samples/product_template_2023_excel_resaved.csv"
    )
    damaged = [
        row_number
        for row_number, row in enumerate(dict_rows(path), start=2)
        if "E+" in row["Variant Barcode"]
    ]

    result = parse_products(path)

    assert all(v.barcode is None for p in result.records for v in p.variants)
    (warning,) = result.warnings
    assert warning.column == "Variant Barcode"
    assert list(warning.rows) == damaged
    assert len(damaged) == 16
    assert "scientific notation" in warning.message


def test_shopify_image_only_rows_become_images():
    path = data_file("shopify_templates_and_samples/shopifypartners_jewelery.csv")
    images_per_handle = defaultdict(set)
    for row in dict_rows(path):
        if row["Image Src"]:
            images_per_handle[row["Handle"]].add(row["Image Src"])

    result = parse_products(path)

    assert {p.handle: len(p.images) for p in result.records} == {
        handle: len(urls) for handle, urls in images_per_handle.items()
    }


def test_shopify_2019_template_keeps_a_real_title_option():
    (product,) = parse_products(
        data_file("shopify_templates_and_samples/product_template_2019.csv")
    ).records

    assert [v.options for v in product.variants] == [
        (("Title", 'Lithograph - Height: 9" x Width: 12"'),),
        (("Title", "Small"),),
        (("Title", "Medium"),),
    ]
    assert product.status == "active"
    assert product.variants[1].compare_at_price == Decimal("24.99")


def test_shopify_partial_export_and_quoted_barcodes():
    result = parse_products(
        data_file("shopify_real_exports/nl_store_partial_products_export.csv")
    )
    first = result.records[0]

    assert first.title == "Transportwagen - 500kg Draagvermogen - Grijs"
    assert first.variants[0].barcode == "8720602828605"
    assert first.variants[0].inventory_quantity == 0
    assert first.variants[0].price is None


def test_shopify_negative_stock_and_duplicate_skus():
    result = parse_products(
        data_file("shopify_real_exports/beard_care_products_export_1.csv")
    )
    quantities = [v.inventory_quantity for p in result.records for v in p.variants]

    assert -2 in quantities
    assert any("also used on row" in w.message for w in result.warnings)


def test_shopify_emoji_titles_and_html_stay_as_given():
    result = parse_products(
        data_file("shopify_real_exports/velofant_se_products_export_1.csv")
    )
    titles = {p.title for p in result.records}

    assert any("🍕" in title for title in titles)
    assert any("\n" in (p.description_html or "") for p in result.records)


# -- WooCommerce, Magento, PrestaShop, Shopware details ---------------------


def test_woocommerce_repeats_are_read_once_with_one_warning():
    result = parse_products(
        data_file("woocommerce_sample_products/enhanced_sample_products_bom.csv")
    )
    repeat = next(w for w in result.warnings if "repeats product ID" in w.message)

    assert len(repeat.rows) == 375
    vneck = result.records[0]
    assert vneck.title == "V-Neck T-Shirt"
    assert [v.options for v in vneck.variants] == [
        (("Color", "Red"),),
        (("Color", "Green"),),
        (("Color", "Blue"),),
    ]
    # Weight (lbs) 0.5 on the parent is inherited by its variations.
    assert vneck.variants[0].weight_grams == Decimal("226.796185")


def test_woocommerce_variations_link_by_parent_sku_without_ids():
    result = parse_products(
        data_file("woocommerce_sample_products/importer_unit_test_sample.csv")
    )
    by_title = {p.title: p for p in result.records}
    idea = by_title["Ship Your Idea"]

    assert [v.options for v in idea.variants] == [
        (("Color", "Black"), ("Size", "M")),
        (("Color", "Green"), ("Size", "L")),
    ]
    assert idea.variants[1].price == Decimal("17.99")
    assert idea.variants[1].compare_at_price == Decimal("20")
    assert by_title["Woo Logo"].variants[0].continue_selling is True  # "notify"
    assert any("grouped product" in w.message for w in result.warnings)


def test_magento_store_views_fold_into_one_product():
    result = parse_products(data_file("magento2_import_samples/multi_storeview.csv"))
    folded = next(w for w in result.warnings if "store view" in w.message)

    assert len(folded.rows) == 18
    assert result.records[0].title == "Joust Duffle Bag"


def test_magento_children_get_options_from_their_own_rows():
    result = parse_products(
        data_file("magento2_import_samples/luma_catalog_products.csv")
    )
    tee = next(p for p in result.records if p.title == "Diva Gym Tee")

    assert tee.variants[0].sku == "WS11-XS-Green"
    assert tee.variants[0].options == (("Size", "XS"), ("Color", "Green"))
    assert len({v.options for v in tee.variants}) == len(tee.variants) == 15


def test_magento_packed_children_without_rows_use_the_sku_rest():
    result = parse_products(data_file("magento2_import_samples/variants.csv"))
    tee = result.records[0]

    assert tee.variants[0].options == (("Size", "XS"), ("Variant", "Green"))
    assert tee.variants[0].price == Decimal("32")
    assert tee.variants[0].inventory_quantity is None
    reasons = {r.reason for r in result.rejected}
    assert reasons == {
        "product type 'bundle' is not supported; not stock",
        "product type 'giftcard' is not supported; not stock",
    }


def test_magento_grouped_product_and_thousands_separators():
    (group,) = parse_products(data_file("magento2_import_samples/grouped.csv")).records
    assert [v.options[0][1] for v in group.variants] == [
        "Sprite Yoga Strap 6 foot",
        "Sprite Yoga Strap 8 foot",
        "Sprite Yoga Strap 10 foot",
    ]

    delta = parse_products(data_file("magento2_import_samples/delta_update.csv"))
    bag = delta.records[0].variants[0]
    assert (bag.price, bag.compare_at_price) == (Decimal("3300.23"), Decimal("3600.22"))


def test_prestashop_keeps_ean_text_and_adds_price_impacts():
    folder = data_file("prestashop_csv_import")

    from_file = parse_products(folder / "products_import.csv")
    from_folder = parse_products(folder)
    from_combinations = parse_products(folder / "combinations_import.csv")

    nano = from_file.records[0]
    assert nano.variants[0].barcode == "0000080446392"
    assert nano.variants[0].options == (("Color", "Blue"), ("Disk space", "16GB"))
    assert nano.variants[0].price == Decimal("140")  # 100 + impact 40
    assert nano.variants[0].weight_grams == Decimal("68.357")
    macbook = next(p for p in from_file.records if p.title == "MacBook")
    assert macbook.variants[0].sku == "RP-demo_4"
    assert counts(from_folder) == counts(from_combinations) == counts(from_file)


def test_shopware_decimal_comma_and_articles():
    result = parse_products(
        data_file("shopware5_import_export/article_prices_decimal_comma.csv")
    )
    korn = result.records[0]

    assert korn.title == "Münsterländer Lagerkorn 32%"
    assert [(v.sku, v.price) for v in korn.variants] == [
        ("SW10002.1", Decimal("59.99")),
        ("SW10002.2", Decimal("199")),
        ("SW10002.3", Decimal("19.99")),
    ]
    assert korn.variants[0].options == (("Variant", "1,5 Liter"),)
    assert "strandbag-2" in {p.handle for p in result.records}


def test_explicit_decimal_separator_overrides_detection():
    path = data_file("shopware5_import_export/article_prices_decimal_comma.csv")

    result = parse_products(path, decimal_separator=".")

    assert result.decimal_separator == "."
    assert any("'59,99'" in r.reason for r in result.rejected)


# -- generic mapped files ---------------------------------------------------


def test_generic_mapping_from_json_file():
    # Verified by hand: "Becher Classic" has two colours; "Teller" row 5
    # repeats row 4's (empty) options; "Schale" has the price "zwölf".
    result = parse_products(
        FIXTURES / "generic_products.csv",
        mapping=FIXTURES / "generic_products_mapping.json",
    )

    assert (result.format, result.delimiter, result.decimal_separator) == (
        "generic",
        ";",
        ",",
    )
    assert counts(result) == (2, 3, 2)
    becher = result.records[0]
    assert becher.variants[0].options == (("Colour", "Rot"),)
    assert becher.variants[0].price == Decimal("4.50")
    assert result.records[1].variants[0].weight_grams == Decimal("800")


def test_generic_mapping_problems_are_refused_before_reading(tmp_path):
    path = FIXTURES / "generic_products.csv"

    with pytest.raises(BadMapping, match="unknown field.*colour"):
        parse_products(path, mapping={"title": "Product", "colour": "Colour"})
    with pytest.raises(BadMapping, match="no column 'Preis'"):
        parse_products(path, mapping={"title": "Product", "price": "Preis"})
    with pytest.raises(BadMapping, match="needs a column for title or handle"):
        parse_products(path, mapping={"sku": "Item code"})

    broken = tmp_path / "mapping.json"
    broken.write_text(json.dumps(["title", "Product"]))
    with pytest.raises(BadMapping, match="one JSON object"):
        parse_products(path, mapping=broken)
