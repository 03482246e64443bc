"""Checkout: pricing a cart, placing an order that holds its stock, paying it.

A cart is a mapping of variant id to quantity; prices, titles and stock are
always read again from the database, never trusted from the cart.

Placing an order creates it as ``pending`` and reserves its stock in one
transaction. That transaction locks the stock rows of every variant it sells,
always in (variant, location) order so that two checkouts cannot deadlock,
and refuses any line the locations cannot cover: two shoppers after the last
unit cannot both get it. A reservation adds to ``stock_levels.reserved`` and
lasts ``HOLD``; ``expire_reservations`` gives abandoned ones back and is
called before every checkout and payment.

Paying turns the reservation into a sale: on-hand and reserved both go down by
the quantity, with a ``sold`` movement in the stock ledger.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from commerce import stock, usage
from commerce.errors import InsufficientStock, InvalidInput, NotFound
from commerce.messages import clean_email, clean_text, owner_address
from commerce.money import quantize
from tenancy.mail import Message, enqueue

HOLD = timedelta(minutes=30)
MAX_LINES = 50
MAX_QUANTITY = 99
MANUAL = "manual"
ACTOR = "storefront"

CUSTOMER_FIELDS = {
    # name: (required, longest)
    "name": (True, 200),
    "phone": (False, 40),
    "address_line1": (True, 200),
    "address_line2": (False, 200),
    "city": (True, 100),
    "region": (False, 100),
    "postal_code": (True, 20),
    "country": (True, 100),
    "note": (False, 1000),
}


@dataclass(frozen=True)
class CartLine:
    variant_id: int
    handle: str
    title: str
    variant_title: str
    sku: str | None
    unit_price: Decimal
    quantity: int
    available: int
    continue_selling: bool
    image_id: int | None

    @property
    def line_total(self):
        return self.unit_price * self.quantity

    @property
    def in_stock(self):
        return self.continue_selling or self.available >= self.quantity


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[CartLine, ...]
    currency: str
    dropped: tuple[int, ...] = ()
    """Variant ids in the cart that are no longer for sale."""

    @property
    def subtotal(self):
        return quantize(
            sum((line.line_total for line in self.lines), Decimal(0)), self.currency
        )

    @property
    def count(self):
        return sum(line.quantity for line in self.lines)

    @property
    def ready(self):
        """True when the cart has lines and every one of them can be sold."""
        return bool(self.lines) and all(line.in_stock for line in self.lines)


@dataclass(frozen=True)
class Customer:
    email: str
    name: str
    phone: str | None
    address_line1: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str
    note: str | None

    @property
    def address(self):
        return {
            "line1": self.address_line1,
            "line2": self.address_line2,
            "city": self.city,
            "region": self.region,
            "postal_code": self.postal_code,
            "country": self.country,
        }


@dataclass(frozen=True)
class OrderLine:
    title: str
    variant_title: str | None
    sku: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class Order:
    id: int
    number: str
    token: str
    status: str
    currency: str
    subtotal: Decimal
    total: Decimal
    placed_at: datetime
    paid_at: datetime | None
    expires_at: datetime | None
    payment_provider: str | None
    lines: tuple[OrderLine, ...] = ()

    @property
    def awaiting_payment(self):
        return self.status == "pending"


# -- the cart -----------------------------------------------------------------


def parse_quantity(raw, field="quantity", *, allow_zero=False):
    """A whole number of units from form text."""
    try:
        quantity = int(str(raw).strip())
    except ValueError:
        raise InvalidInput(field, "must be a whole number") from None
    lowest = 0 if allow_zero else 1
    if not lowest <= quantity <= MAX_QUANTITY:
        raise InvalidInput(field, f"must be from {lowest} to {MAX_QUANTITY}")
    return quantity


def add_to_cart(items, variant_id, quantity):
    """A new cart with ``quantity`` more of a variant (capped at MAX_QUANTITY)."""
    cart = dict(items)
    if variant_id not in cart and len(cart) >= MAX_LINES:
        raise InvalidInput("cart", f"can hold at most {MAX_LINES} different items")
    cart[variant_id] = min(cart.get(variant_id, 0) + quantity, MAX_QUANTITY)
    return cart


def set_quantity(items, variant_id, quantity):
    """A new cart with the quantity of one line replaced; zero removes it."""
    cart = dict(items)
    if quantity <= 0:
        cart.pop(variant_id, None)
    elif variant_id in cart:
        cart[variant_id] = min(quantity, MAX_QUANTITY)
    return cart


def price_cart(tenant, items):
    """The cart's lines at today's prices and stock, in the order they were added.

    Variants that were archived, or whose product is no longer published, are
    left out and listed in ``dropped``.
    """
    wanted = _clean_items(items)
    currency = tenant.store.currency
    if not wanted:
        return PricedCart((), currency)

    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_CART_SQL, (list(wanted),))
        rows = {row["id"]: row for row in cur.fetchall()}

    lines = [_cart_line(rows[vid], qty) for vid, qty in wanted.items() if vid in rows]
    dropped = tuple(vid for vid in wanted if vid not in rows)
    return PricedCart(tuple(lines), currency, dropped)


_CART_SQL = """
    SELECT v.id, p.handle, p.title, v.sku, v.price, v.continue_selling,
           v.option1, v.option2, v.option3,
           coalesce((SELECT sum(s.on_hand - s.reserved) FROM stock_levels s
                     WHERE s.variant_id = v.id), 0)::int AS available,
           (SELECT i.id FROM product_images i
            WHERE i.product_id = p.id AND i.fetch_status = 'stored'
            ORDER BY i.position, i.id LIMIT 1) AS image_id
    FROM variants v JOIN products p ON p.id = v.product_id
    WHERE v.id = ANY(%s) AND v.archived_at IS NULL AND p.status = 'active'
"""


# -- placing an order -----------------------------------------------------------


def check_customer(fields):
    """The shopper's details from form fields; InvalidInput names the bad one."""
    values = {"email": clean_email(fields.get("email"))}
    for name, (required, limit) in CUSTOMER_FIELDS.items():
        values[name] = clean_text(
            fields.get(name), name, required=required, limit=limit
        )
    return Customer(**values)


def place_order(tenant, items, customer, *, now=None, hold=HOLD):
    """Create a pending order and reserve its stock, all or nothing.

    Raise InvalidInput for an empty cart or a line no longer for sale, and
    InsufficientStock when the locations together cannot cover a line.
    """
    now = now or datetime.now(UTC)
    wanted = _clean_items(items)
    if not wanted:
        raise InvalidInput("cart", "is empty")
    expire_reservations(tenant, now)

    with tenant.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
        variants = _variants_for_sale(cur, wanted)
        _ensure_default_levels(
            cur, [v for v in variants.values() if v["continue_selling"]]
        )
        levels = _lock_levels(cur, sorted(wanted))
        plan = [
            (vid, location, quantity)
            for vid in sorted(wanted)
            for location, quantity in _allocate(
                variants[vid], wanted[vid], levels.get(vid, [])
            )
        ]

        order_id, number, token = _insert_order(
            cur, tenant, wanted, variants, customer, now + hold, now
        )
        cur.executemany(
            """INSERT INTO reservations (order_id, variant_id, location_id, quantity,
                   expires_at)
               VALUES (%s, %s, %s, %s, %s)""",
            [(order_id, vid, loc, qty, now + hold) for vid, loc, qty in plan],
        )
        cur.executemany(
            """UPDATE stock_levels SET reserved = reserved + %s
               WHERE variant_id = %s AND location_id = %s""",
            [(qty, vid, loc) for vid, loc, qty in plan],
        )
    return get_order(tenant, token)


def _variants_for_sale(cur, wanted):
    """The variants of the cart, held against archiving or a price change."""
    cur.execute(
        """SELECT v.id, v.sku, v.price, v.continue_selling, p.title,
                  concat_ws(' / ', v.option1, v.option2, v.option3) AS variant_title
           FROM variants v JOIN products p ON p.id = v.product_id
           WHERE v.id = ANY(%s) AND v.archived_at IS NULL AND p.status = 'active'
           ORDER BY v.id
           FOR SHARE OF v""",
        (list(wanted),),
    )
    variants = {row["id"]: row for row in cur.fetchall()}
    missing = [vid for vid in wanted if vid not in variants]
    if missing:
        raise InvalidInput("cart", "an item in it is no longer for sale")
    return variants


def _lock_levels(cur, variant_ids):
    """Lock the stock rows of ``variant_ids``; return them per variant.

    NOTE: PostgreSQL locks the rows as the sorted result is read, so every
    transaction that goes through here takes its locks in the same order.
    """
    cur.execute(
        """SELECT s.variant_id, s.location_id, s.on_hand, s.reserved, l.is_default
           FROM stock_levels s JOIN locations l ON l.id = s.location_id
           WHERE s.variant_id = ANY(%s) AND l.archived_at IS NULL
           ORDER BY s.variant_id, s.location_id
           FOR UPDATE OF s""",
        (variant_ids,),
    )
    levels = {}
    for row in cur.fetchall():
        levels.setdefault(row["variant_id"], []).append(row)
    return levels


def _ensure_default_levels(cur, variants):
    """Give variants that keep selling a stock row at the default location."""
    if variants:
        cur.execute(
            """INSERT INTO stock_levels (variant_id, location_id)
               SELECT v, l.id FROM unnest(%s::bigint[]) AS v
               CROSS JOIN locations l WHERE l.is_default
               ORDER BY v ON CONFLICT DO NOTHING""",
            (sorted(v["id"] for v in variants),),
        )


def _allocate(variant, quantity, levels):
    """Where the units of one line come from: [(location id, quantity)].

    The default location goes first, then the others by id. A variant that
    keeps selling when out of stock takes what is missing from the default
    location, whose on-hand may then go below zero when it is paid.
    """
    ordered = sorted(
        levels, key=lambda lvl: (not lvl["is_default"], lvl["location_id"])
    )
    plan, left = {}, quantity
    for level in ordered:
        take = min(left, max(level["on_hand"] - level["reserved"], 0))
        if take:
            plan[level["location_id"]] = take
            left -= take
    if not left:
        return list(plan.items())

    default = next((lvl for lvl in ordered if lvl["is_default"]), None)
    if not variant["continue_selling"] or default is None:
        raise InsufficientStock(variant["sku"], "this store", quantity - left, quantity)
    plan[default["location_id"]] = plan.get(default["location_id"], 0) + left
    return list(plan.items())


def _insert_order(cur, tenant, wanted, variants, customer, expires_at, now):
    currency = tenant.store.currency
    lines = []
    for line_no, (vid, quantity) in enumerate(wanted.items(), start=1):
        variant = variants[vid]
        total = quantize(variant["price"] * quantity, currency)
        lines.append(
            (
                line_no,
                vid,
                variant["sku"],
                variant["title"],
                variant["variant_title"] or None,
                quantity,
                variant["price"],
                total,
            )
        )
    subtotal = sum((line[-1] for line in lines), Decimal(0))
    token = secrets.token_urlsafe(24)

    # NOTE: shipping and tax are not charged yet: totals are the item prices,
    # as the checkout page says.
    cur.execute(
        """INSERT INTO orders (number, token, source, status, currency, subtotal,
               total, email, customer_name, phone, shipping_address, country, note,
               payment_provider, placed_at, expires_at)
           VALUES (nextval('order_number')::text, %s, 'storefront', 'pending', %s,
                   %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
           RETURNING id, number""",
        (
            token,
            currency,
            subtotal,
            subtotal,
            customer.email,
            customer.name,
            customer.phone,
            Jsonb(customer.address),
            customer.country,
            customer.note,
            MANUAL,
            now,
            expires_at,
        ),
    )
    order = cur.fetchone()
    cur.executemany(
        """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
               variant_title, quantity, unit_price, line_total)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        [(order["id"], *line) for line in lines],
    )
    return order["id"], order["number"], token


# -- reading and paying ---------------------------------------------------------


def get_order(tenant, token):
    """An order by its secret token, with its lines; NotFound otherwise."""
    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT id, number, token, status, currency, subtotal, total,
                      placed_at, paid_at, expires_at, payment_provider
               FROM orders WHERE token = %s AND source = 'storefront'""",
            (token,),
        )
        row = cur.fetchone()
        if row is None:
            # The token is a secret: it is never put into a message.
            raise NotFound("order", "at that address")
        cur.execute(
            """SELECT title, variant_title, sku, quantity, unit_price, line_total
               FROM order_lines WHERE order_id = %s ORDER BY line_no""",
            (row["id"],),
        )
        lines = tuple(OrderLine(**line) for line in cur.fetchall())
    return Order(**row, lines=lines)


def pay_manually(tenant, token, *, order_url=None, now=None):
    """Complete a pending order with the manual payment method.

    The reserved units become sold. Paying an order twice is harmless; an
    expired or cancelled order is refused. ``order_url`` is put in the
    shopper's confirmation mail.
    """
    now = now or datetime.now(UTC)
    expire_reservations(tenant, now)
    # Read before the transaction: one request holds one pooled connection.
    owner = owner_address(tenant)

    with tenant.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT id, number, status, email, total, currency FROM orders
               WHERE token = %s AND source = 'storefront' FOR UPDATE""",
            (token,),
        )
        order = cur.fetchone()
        if order is None:
            raise NotFound("order", "at that address")
        if order["status"] not in ("pending", "paid"):
            raise InvalidInput(
                "order", f"is {order['status']} and can no longer be paid"
            )

        sold = order["status"] == "pending"
        if sold:
            sell_reserved(cur, order, now)
            cur.execute(
                """UPDATE orders SET status = 'paid', paid_at = %s,
                          payment_provider = %s, payment_ref = %s, updated_at = %s
                   WHERE id = %s""",
                (now, MANUAL, f"manual-{order['number']}", now, order["id"]),
            )
            _queue_paid_mail(conn, tenant, order, order_url, owner)
    if sold:
        usage.record_paid_orders(tenant, [order["id"]])
    return get_order(tenant, token)


def sell_reserved(cur, order, now):
    """Turn an order's held reservations into sales, inside the caller's
    transaction (manual payment here, provider payments in commerce.payments)."""
    cur.execute(
        """SELECT r.variant_id, r.location_id, sum(r.quantity)::int AS quantity
           FROM reservations r
           WHERE r.order_id = %s AND r.status = 'held'
           GROUP BY r.variant_id, r.location_id
           ORDER BY r.variant_id, r.location_id""",
        (order["id"],),
    )
    held = cur.fetchall()
    _lock_pairs(cur, held)

    reason = f"order {order['number']}"
    for row in held:
        cur.execute(
            """UPDATE stock_levels SET reserved = reserved - %s
               WHERE variant_id = %s AND location_id = %s""",
            (row["quantity"], row["variant_id"], row["location_id"]),
        )
        stock.move(
            cur.connection,
            row["variant_id"],
            row["location_id"],
            -row["quantity"],
            "sold",
            reason,
            order["number"],
            ACTOR,
        )
    cur.execute(
        """UPDATE reservations SET status = 'sold', closed_at = %s
           WHERE order_id = %s AND status = 'held'""",
        (now, order["id"]),
    )


def _queue_paid_mail(conn, tenant, order, order_url, owner):
    store = tenant.store.display_name
    number = order["number"]
    amount = f"{quantize(order['total'], order['currency'])} {order['currency']}"
    if order["email"]:
        link = f"\n\nSee your order at any time: {order_url}" if order_url else ""
        enqueue(
            conn,
            Message(
                kind="order_paid",
                recipient=order["email"],
                subject=f"{store}: order {number} confirmed"[:200],
                body_text=f"Thank you. Order {number} ({amount}) is paid.{link}\n",
                dedupe_key=f"order-paid:{number}",
            ),
        )

    if owner:
        enqueue(
            conn,
            Message(
                kind="order_owner",
                recipient=owner,
                subject=f"New order {number}",
                body_text=f"Order {number} ({amount}) was paid by manual payment.\n",
                dedupe_key=f"order-owner:{number}",
            ),
        )


# -- expiry ---------------------------------------------------------------------


def expire_reservations(tenant, now=None):
    """Give back the stock of pending orders past their hold; return how many.

    Orders another transaction holds (being paid, or expired by another worker)
    are skipped; the next call gets them.
    """
    now = now or datetime.now(UTC)
    with tenant.transaction() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """SELECT id FROM orders
               WHERE status = 'pending' AND source = 'storefront'
                 AND expires_at <= %s
               ORDER BY id FOR UPDATE SKIP LOCKED""",
            (now,),
        )
        order_ids = [row["id"] for row in cur.fetchall()]
        if not order_ids:
            return 0

        cur.execute(
            """SELECT variant_id, location_id, sum(quantity)::int AS quantity
               FROM reservations WHERE order_id = ANY(%s) AND status = 'held'
               GROUP BY variant_id, location_id
               ORDER BY variant_id, location_id""",
            (order_ids,),
        )
        held = cur.fetchall()
        _lock_pairs(cur, held)
        cur.executemany(
            """UPDATE stock_levels SET reserved = reserved - %s
               WHERE variant_id = %s AND location_id = %s""",
            [(r["quantity"], r["variant_id"], r["location_id"]) for r in held],
        )
        cur.execute(
            """UPDATE reservations SET status = 'released', closed_at = %s
               WHERE order_id = ANY(%s) AND status = 'held'""",
            (now, order_ids),
        )
        cur.execute(
            """UPDATE orders SET status = 'expired', cancelled_at = %s, updated_at = %s
               WHERE id = ANY(%s)""",
            (now, now, order_ids),
        )
    return len(order_ids)


# -- helpers ----------------------------------------------------------------------


def _lock_pairs(cur, rows):
    """Lock the stock rows of (variant, location) pairs in the common order."""
    if not rows:
        return
    cur.execute(
        """SELECT 1 FROM stock_levels s
           JOIN unnest(%s::bigint[], %s::int[]) AS p(variant_id, location_id)
             ON s.variant_id = p.variant_id AND s.location_id = p.location_id
           ORDER BY s.variant_id, s.location_id
           FOR UPDATE OF s""",
        ([r["variant_id"] for r in rows], [r["location_id"] for r in rows]),
    )


def _clean_items(items):
    """Positive whole quantities keyed by int variant id, in their given order."""
    cleaned = {}
    for raw_id, raw_quantity in dict(items).items():
        try:
            variant_id, quantity = int(raw_id), int(raw_quantity)
        except (TypeError, ValueError):
            continue
        if variant_id > 0 and quantity > 0:
            cleaned[variant_id] = min(quantity, MAX_QUANTITY)
        if len(cleaned) >= MAX_LINES:
            break
    return cleaned


def _cart_line(row, quantity):
    options = [row[name] for name in ("option1", "option2", "option3") if row[name]]
    return CartLine(
        variant_id=row["id"],
        handle=row["handle"],
        title=row["title"],
        variant_title=" / ".join(options),
        sku=row["sku"],
        unit_price=row["price"],
        quantity=quantity,
        available=max(row["available"], 0),
        continue_selling=row["continue_selling"],
        image_id=row["image_id"],
    )
