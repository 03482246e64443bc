"""Build the demo's bundled data from the UCI Online Retail data set (CC BY 4.0).

Daqing Chen, "Online Retail", UCI Machine Learning Repository, data set 352
(https://archive.ics.uci.edu/dataset/352), licensed CC BY 4.0. This script
reads two published subsets of it and writes, under ``apmt/demo_data/``:

- ``catalogue.csv.gz``: one product per stock code, in Shopify's product CSV
  layout (title from the most common description, price the median positive
  unit price, stock from a fixed formula), leaving out postage, fees, discounts,
  samples and gift vouchers;
- ``sales.csv.gz``: the year of invoice lines (December 2010 to December 2011)
  for those products, in the data set's own layout, less two keying errors.

Run it from the repository root: ``python scripts/build_demo_data.py ../shared/data``.
"""

import csv
import gzip
import io
import statistics
import sys
from collections import Counter, defaultdict
from pathlib import Path

NOT_PRODUCTS = {"POST", "DOT", "M", "D", "C2", "AMAZONFEE", "BANK CHARGES", "S",
                "CRUK", "PADS", "B"}  # fmt: skip
# Two well-known keying errors of the data set (80,995 and 74,215 units of one
# item), each cancelled the same day in the full data; the sample kept the
# orders but not their cancellations, so they are left out here.
ERROR_INVOICES = {"581483", "541431"}
OUT = Path(__file__).resolve().parents[1] / "apmt" / "demo_data"


def main(data):
    retail = Path(data) / "uci_online_retail"
    year = _rows(retail / "online_retail_sample_full_year_iso.csv", "utf-8")
    december = _rows(retail / "online_retail_2010-12_us_dates_crlf.csv", "utf-8")

    products = _products(year + december)
    _write_catalogue(products)
    _write_sales(year, products)
    print(f"{len(products)} products, sales from {len(year)} lines", file=sys.stderr)


def _rows(path, encoding):
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.DictReader(handle))


def _is_product(code):
    return (code and code.upper() not in NOT_PRODUCTS
            and not code.lower().startswith("gift") and code[:1].isdigit())  # fmt: skip


def _products(rows):
    names, prices = defaultdict(Counter), defaultdict(list)
    for row in rows:
        code = row["StockCode"].strip().upper()
        if not _is_product(code):
            continue
        description = " ".join(row["Description"].split())
        if description and description.isupper():
            names[code][description] += 1
        price = float(row["UnitPrice"] or 0)
        if price > 0 and int(float(row["Quantity"])) > 0:
            prices[code].append(price)
    return {
        code: (names[code].most_common(1)[0][0], statistics.median(prices[code]))
        for code in sorted(names)
        if prices[code]
    }


def _write_catalogue(products):
    columns = ["Handle", "Title", "Body (HTML)", "Vendor", "Type", "Tags",
               "Published", "Option1 Name", "Option1 Value", "Variant SKU",
               "Variant Inventory Qty", "Variant Inventory Policy", "Variant Price",
               "Cost per item", "Status"]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for index, (code, (name, price)) in enumerate(products.items()):
        title = name.title()
        handle = "-".join(f"{title} {code}".lower().replace("'", "").split())
        handle = "".join(c for c in handle if c.isalnum() or c == "-")
        kind = _kind(name)
        writer.writerow([
            handle, title, f"<p>{title}, from a UK gift-ware wholesaler's range.</p>",
            "Online Retail UK", kind, kind.lower(), "TRUE", "Title", "Default Title",
            code, (index * 37) % 60, "deny", f"{price:.2f}", f"{price * 0.55:.2f}",
            "active",
        ])  # fmt: skip
    _gzip(OUT / "catalogue.csv.gz", buffer.getvalue())


def _kind(name):
    kinds = (
        ("BAG", "Bags"), ("CANDLE", "Candles"), ("MUG", "Kitchen"), ("CARD", "Cards"),
        ("LIGHT", "Lighting"), ("HEART", "Decor"), ("BOX", "Storage"),
        ("SIGN", "Decor"), ("CHRISTMAS", "Seasonal"), ("CAKE", "Kitchen"),
        ("LUNCH", "Kitchen"), ("TOY", "Toys"),
    )  # fmt: skip
    for word, kind in kinds:
        if word in name:
            return kind
    return "Gifts"


def _write_sales(rows, products):
    buffer = io.StringIO()
    columns = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate",
               "UnitPrice", "CustomerID", "Country"]  # fmt: skip
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        if row["InvoiceNo"].strip() in ERROR_INVOICES:
            continue
        if row["StockCode"].strip().upper() in products:
            writer.writerow(row)
    _gzip(OUT / "sales.csv.gz", buffer.getvalue())


def _gzip(path, text):
    # mtime=0 keeps the bytes the same from run to run.
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
