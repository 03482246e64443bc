"""Sales history → SaleLine: Online Retail, Olist, Superstore, Shopware lines.

All parsers stream their rows into a :class:`SalesBuilder`, which keeps each
line's date as text until the whole file has been seen. Only then is the
date order settled: the UK and US copies of Online Retail first prove
their order 26,000 rows in (``13/12/2010`` vs ``12/13/10``), so no prefix
of the file can decide it. Each distinct date text is parsed once.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from itertools import islice

from etl.formats import Context, find_sibling, new_result
from etl.records import BrokenHeader, Findings, ImportRefused, ParseResult, SaleLine
from etl.sources import Table, open_table
from etl.values import (
    CellReader,
    ValueProblem,
    date_order_hint,
    detect_decimal_separator,
    needs_date_order,
    parse_datetime,
    parse_int,
    parse_money,
    read_identifier,
    read_text,
)

# Records looked at to settle a file's decimal separator before parsing.
SEPARATOR_SAMPLE = 2000
# NOTE: Superstore gives line totals; unit prices are derived to 4 places.
UNIT_PRICE_STEP = Decimal("0.0001")
ORDER_NAMES = {"dmy": "day-first", "mdy": "month-first", "ymd": "year-first"}


class SalesBuilder:
    """Collects sale lines with their dates still as text, then builds them."""

    def __init__(self, findings: Findings, date_order: str | None, date_column: str):
        self.findings = findings
        self.date_order = date_order
        self.date_column = date_column
        self.pending: list[tuple] = []
        self.first_row_of_date: dict[str, int] = {}
        self.lines_per_order: dict[str, int] = defaultdict(int)

    def next_line_no(self, order_ref: str) -> int:
        """Number the next line of ``order_ref`` (1, 2, … in file order)."""
        self.lines_per_order[order_ref] += 1
        return self.lines_per_order[order_ref]

    def add(
        self, row: int, order_ref: str, line_no: int, date_text: str, *rest
    ) -> None:
        """Queue a line; ``rest`` is sku, title, quantity, unit_price, currency,
        customer_ref, country and is_return, in SaleLine order."""
        date_text = date_text.strip()
        self.first_row_of_date.setdefault(date_text, row)
        self.pending.append((row, order_ref, line_no, date_text, *rest))

    def build(self) -> list[SaleLine]:
        """Settle the date order, parse each distinct date once, make the lines."""
        order = self._settle_date_order()
        moments, problems = self._parse_dates(order)

        # Lines are replaced in place so the queue and the result never both
        # hold every line at once.
        lines, kept = self.pending, 0
        for row, order_ref, line_no, date_text, *rest in lines:
            moment = moments[date_text]
            if moment is None:
                self.findings.reject(row, self.date_column, problems[date_text])
                continue
            lines[kept] = SaleLine(order_ref, line_no, moment, *rest, row)
            kept += 1

        del lines[kept:]
        self.pending = []
        return lines

    def _settle_date_order(self) -> str | None:
        if self.date_order is not None:
            return self.date_order
        proof: dict[str, tuple[str, int]] = {}
        ambiguous: tuple[str, int] | None = None
        for text, row in self.first_row_of_date.items():
            hint = date_order_hint(text)
            if hint is not None:
                proof.setdefault(hint, (text, row))
            elif ambiguous is None and needs_date_order(text):
                ambiguous = (text, row)

        column = self.date_column
        if len(proof) > 1:
            (a_text, a_row), (b_text, b_row) = proof["dmy"], proof["mdy"]
            raise ImportRefused(
                f"the {column} column mixes day-first dates ({a_text!r}, row "
                f"{a_row}) and month-first dates ({b_text!r}, row {b_row}); pass "
                "date_order='dmy' or 'mdy' and the other rows will be rejected"
            )
        if proof:
            order, (text, row) = next(iter(proof.items()))
            self.findings.warn(
                row,
                column,
                f"dates in {column} were read as {ORDER_NAMES[order]}: {text!r} "
                f"on row {row} can only be read that way",
            )
            return order
        if ambiguous is not None:
            text, row = ambiguous
            raise ImportRefused(
                f"dates in the {column} column such as {text!r} (row {row}) can be "
                "day-first or month-first and no date in the file settles it; pass "
                "date_order='dmy' or 'mdy'"
            )
        return None

    def _parse_dates(self, order: str | None) -> tuple[dict, dict]:
        moments, problems = {}, {}
        for text in self.first_row_of_date:
            try:
                moments[text] = parse_datetime(text, order)
            except ValueProblem as problem:
                moments[text], problems[text] = None, str(problem)
            else:
                problems[text] = f"{self.date_column} is empty"
        return moments, problems


def peek(records, count: int) -> tuple[list, object]:
    """The first ``count`` records as a list, and an iterator over all of them."""
    head = list(islice(records, count))
    return head, _chain(head, records)


def _chain(head: list, rest):
    yield from head
    yield from rest


def settle_separator(
    given: str | None, head: list, column: str | None, default: str = "."
) -> str:
    """The caller's separator, else the one the sample proves, else ``default``."""
    if given is not None or column is None:
        return given or default
    found = detect_decimal_separator(record[column] for _, record in head)
    return found or default


def require_columns(table: Table, **wanted: tuple[str, ...]) -> dict[str, str]:
    """Find each wanted column (by any of its names) or refuse naming the gap."""
    found, missing = {}, []
    for field, names in wanted.items():
        key = table.column(*names)
        if key is None:
            missing.append(names[0])
        found[field] = key
    if missing:
        raise BrokenHeader(
            f"the header lacks the column(s) {', '.join(missing)}", path=table.path
        )
    return found


# -- Online Retail (UCI) ----------------------------------------------------


def parse_online_retail(table: Table, context: Context) -> ParseResult:
    """Invoice lines of the UCI Online Retail data set.

    ``C``-prefixed invoices are cancellations: returns with negative
    quantity. Negative lines *without* the ``C`` are stock write-offs
    (damaged, lost, "?") rather than sales and are left out with a warning,
    as are exact duplicate lines. Prices are in pounds sterling.
    """
    col = require_columns(
        table,
        invoice=("InvoiceNo", "Invoice"),
        code=("StockCode",),
        quantity=("Quantity",),
        date=("InvoiceDate",),
        price=("UnitPrice", "Price"),
    )
    description = table.column("Description")
    customer = table.column("CustomerID", "Customer ID")
    country = table.column("Country")
    findings = Findings()
    head, records = peek(table.records(), SEPARATOR_SAMPLE)
    separator = settle_separator(context.decimal_separator, head, col["price"])
    builder = SalesBuilder(findings, context.date_order, col["date"])
    currency = context.currency or "GBP"
    seen: dict[int, int] = {}
    invoice_key, code_key, date_key = col["invoice"], col["code"], col["date"]

    for row, record in records:
        invoice = read_identifier(record[invoice_key])
        if invoice is None:
            findings.reject(row, invoice_key, "the invoice number is empty")
            continue
        # NOTE: a hash per line keeps memory flat on big files; a collision
        # between two different lines is astronomically unlikely.
        fingerprint = hash(tuple(record.values()))
        earlier = seen.setdefault(fingerprint, row)
        if earlier != row:
            findings.warn(
                row,
                None,
                f"row {row} repeats row {earlier} exactly; the copy was skipped",
                key="duplicate",
            )
            continue

        quantity, price = _quantity_and_price(findings, row, record, col, separator)
        if quantity is None or price is None:
            continue
        is_return = invoice[0] in "Cc"
        if quantity < 0 and not is_return:
            findings.warn(
                row,
                col["quantity"],
                f"row {row} has quantity {quantity} on invoice {invoice}, which is not "
                "a cancellation (no 'C'): a stock write-off, not a sale; skipped",
                key="write-off",
            )
            continue

        builder.add(
            row,
            invoice,
            builder.next_line_no(invoice),
            record[date_key],
            read_identifier(record[code_key]),
            read_text(record[description]) if description else None,
            quantity,
            price,
            currency,
            _customer_ref(findings, row, record[customer]) if customer else None,
            read_text(record[country]) if country else None,
            is_return,
        )
    return new_result("uci_online_retail", table, findings, builder.build(), separator)


def _quantity_and_price(findings, row, record, col, separator):
    try:
        quantity = parse_int(record[col["quantity"]])
    except ValueProblem as problem:
        findings.reject(row, col["quantity"], str(problem))
        return None, None

    try:
        price = parse_money(record[col["price"]], separator)
    except ValueProblem as problem:
        findings.reject(row, col["price"], str(problem))
        return None, None

    if quantity is None:
        findings.reject(row, col["quantity"], "the quantity is empty")
    elif price is None:
        findings.reject(row, col["price"], "the unit price is empty")
    return quantity, price


def _customer_ref(findings: Findings, row: int, text: str) -> str | None:
    ref = read_identifier(text)
    if ref is None or ref[-1] != "0":
        return ref

    if ref.endswith(".0") and ref[:-2].isdigit():
        # pandas wrote integer ids as floats ("17850.0") and missing ones as 0.
        ref = ref[:-2]
        findings.warn(
            row,
            None,
            "customer ids were written as decimals ('17850.0'); read as whole ids",
            key="float-customer",
        )

    if ref == "0":
        findings.warn(
            row,
            None,
            "customer id 0 means no customer; read as empty",
            key="customer-0",
        )
        return None
    return ref


# -- Superstore -------------------------------------------------------------


def parse_superstore(table: Table, context: Context) -> ParseResult:
    """Tableau Superstore order lines (cp1252 or UTF-8 with BOM).

    ``Sales`` is the line total after discount, so the unit price is
    ``Sales / Quantity``. Only ``Order Date`` is read; ``Ship Date`` (day-first
    where Order Date is ISO, in the older copy) is not part of a sale line.
    """
    col = require_columns(
        table,
        order=("Order ID",),
        date=("Order Date",),
        product=("Product ID",),
        sales=("Sales",),
        quantity=("Quantity",),
    )
    name = table.column("Product Name")
    customer = table.column("Customer ID")
    country = table.column("Country", "Country/Region")
    findings = Findings()
    head, records = peek(table.records(), SEPARATOR_SAMPLE)
    separator = settle_separator(context.decimal_separator, head, col["sales"])
    builder = SalesBuilder(findings, context.date_order, col["date"])

    for row, record in records:
        order_ref = read_identifier(record[col["order"]])
        if order_ref is None:
            findings.reject(row, col["order"], "the order id is empty")
            continue
        quantity, total = _quantity_and_price(
            findings, row, record, {**col, "price": col["sales"]}, separator
        )
        if quantity is None or total is None:
            continue
        if quantity == 0:
            findings.reject(
                row, col["quantity"], "quantity 0: no unit price can be derived"
            )
            continue

        builder.add(
            row,
            order_ref,
            builder.next_line_no(order_ref),
            record[col["date"]],
            read_identifier(record[col["product"]]),
            read_text(record[name]) if name else None,
            quantity,
            (total / quantity).quantize(UNIT_PRICE_STEP),
            context.currency,
            read_identifier(record[customer]) if customer else None,
            read_text(record[country]) if country else None,
            quantity < 0,
        )
    return new_result("superstore", table, findings, builder.build(), separator)


# -- Shopware 5 order lines -------------------------------------------------


def parse_shopware_orders(table: Table, context: Context) -> ParseResult:
    """Shopware 5 order positions (one row per line, order fields repeated).

    Only article lines (``mode`` 0) are sales; discounts, vouchers and
    payment surcharges (modes 2–4, often with negative prices) are skipped.
    Orders numbered ``0`` are checkouts Shopware recorded as aborted.
    """
    col = require_columns(
        table,
        order=("number",),
        date=("orderTime",),
        sku=("articleNumber",),
        price=("price",),
        quantity=("quantity",),
    )
    mode, name = table.column("mode"), table.column("articleName")
    customer, currency = table.column("customerId"), table.column("currency")
    findings = Findings()
    separator = context.decimal_separator or "."
    builder = SalesBuilder(findings, context.date_order, col["date"])

    for row, record in table.records():
        order_ref = read_identifier(record[col["order"]])
        if order_ref in (None, "0"):
            findings.warn(
                row,
                col["order"],
                "order number 0 is an aborted checkout; skipped",
                key="aborted",
            )
            continue
        if mode and record[mode].strip() not in ("", "0"):
            findings.warn(
                row,
                mode,
                "a discount, voucher or surcharge line (mode not 0); not a sale",
                key="not-article",
            )
            continue
        quantity, price = _quantity_and_price(findings, row, record, col, separator)
        if quantity is None or price is None:
            continue

        builder.add(
            row,
            order_ref,
            builder.next_line_no(order_ref),
            record[col["date"]],
            read_identifier(record[col["sku"]]),
            read_text(record[name]) if name else None,
            quantity,
            price,
            (read_text(record[currency]) if currency else None) or context.currency,
            read_identifier(record[customer]) if customer else None,
            None,
            quantity < 0,
        )
    return new_result(
        "shopware_order_lines", table, findings, builder.build(), separator
    )


# -- Olist ------------------------------------------------------------------


def parse_olist(table: Table, context: Context) -> ParseResult:
    """Olist order items, joined to the orders (and payments) tables beside them.

    Each item row is one unit sold (Olist has no quantity column). Dates and
    customers come from the orders table; items whose order is missing are
    rejected, and lines of cancelled or unavailable orders are skipped.
    Payments, when present, are compared with item prices plus freight.
    """
    col = require_columns(
        table,
        order=("order_id",),
        item=("order_item_id",),
        product=("product_id",),
        price=("price",),
    )
    freight = table.column("freight_value")
    orders_path = find_sibling(table.path.parent, "olist_orders")
    if orders_path is None:
        raise ImportRefused(
            "Olist order items need the orders table (olist_orders_dataset.csv) "
            "in the same folder for their dates and customers; it was not found",
            path=table.path,
        )
    findings = Findings()
    cells = CellReader(findings)
    orders = _read_olist_orders(orders_path, context, findings)
    builder = SalesBuilder(findings, context.date_order, "order_purchase_timestamp")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    item_rows: dict[str, list[int]] = defaultdict(list)

    for row, record in table.records():
        order_id = read_identifier(record[col["order"]])
        order = orders.get(order_id or "")
        if order is None:
            findings.reject(
                row, col["order"], f"order {order_id} is not in {orders_path.name}"
            )
            continue
        status = order[2]
        if status in ("canceled", "unavailable"):
            findings.warn(
                row,
                col["order"],
                f"the order is {status}; its line is not a sale",
                key=("status", status),
            )
            continue
        cells.bind(row, record)
        line_no, price = cells.integer(col["item"]), cells.money(col["price"])
        shipping = cells.money(freight)
        if line_no is None or price is None:
            if cells.ok:
                empty = col["item"] if line_no is None else col["price"]
                cells.reject(empty, f"{empty} is empty")
            continue

        totals[order_id] += price + (shipping or 0)
        item_rows[order_id].append(row)
        builder.add(
            row, order_id, line_no, order[0], read_identifier(record[col["product"]]),
            None, 1, price, context.currency or "BRL", order[1], "BR", False,
        )  # fmt: skip

    _check_payments(table, context, findings, totals, item_rows)
    lines = builder.build()
    return new_result("olist", table, findings, lines, ".")


def _read_olist_orders(path, context: Context, findings: Findings) -> dict:
    orders = {}
    with open_table(
        path, encoding=context.encoding, progress=context.progress
    ) as table:
        col = require_columns(
            table,
            order=("order_id",),
            customer=("customer_id",),
            status=("order_status",),
            date=("order_purchase_timestamp",),
        )

        for _, record in table.records():
            order_id = read_identifier(record[col["order"]])
            if order_id is not None:
                orders[order_id] = (
                    record[col["date"]],
                    read_identifier(record[col["customer"]]),
                    record[col["status"]].strip().casefold(),
                )
        findings.extend(_only_warnings(table.findings, path.name))
    return orders


def _check_payments(table, context, findings, totals, item_rows) -> None:
    path = find_sibling(table.path.parent, "olist_payments")
    if path is None:
        findings.warn(
            None, None, "no Olist payments table beside the items; not checked"
        )
        return
    paid: dict[str, Decimal] = defaultdict(Decimal)
    with open_table(
        path, encoding=context.encoding, progress=context.progress
    ) as payments:
        col = require_columns(payments, order=("order_id",), value=("payment_value",))
        for _, record in payments.records():
            try:
                value = parse_money(record[col["value"]])
            except ValueProblem:
                continue
            paid[read_identifier(record[col["order"]]) or ""] += value or 0

    for order_id, total in totals.items():
        if order_id in paid and abs(paid[order_id] - total) > Decimal("0.01"):
            findings.warn(
                item_rows[order_id][0],
                None,
                f"order {order_id}: items and freight add up to {total} but "
                f"{path.name} records {paid[order_id]} paid",
                key=("payment", order_id),
            )


def _only_warnings(source: Findings, name: str) -> Findings:
    # Problems in a companion table become warnings carrying its name: their
    # row numbers are not rows of the items file the result is about.
    notes = Findings()
    for warning in source.warnings():
        notes.warn(None, None, f"{name}: {warning.message}")
    for rejection in source.rejected:
        notes.warn(None, None, f"{name} row {rejection.row}: {rejection.reason}")
    return notes
