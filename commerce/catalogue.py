"""The catalogue: products and their variants.

Every function takes a ``tenancy.Tenant`` first and works only in that store's
database. Handles, SKUs and barcodes are text and are kept exactly as given;
description HTML is sanitised on the way in.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

import psycopg
from psycopg.rows import dict_row

from commerce.errors import Conflict, InvalidInput, NotFound
from commerce.html import sanitise_html
from commerce.limits import check_room
from commerce.money import parse_amount

STATUSES = ("draft", "active", "archived")
PRODUCT_FIELDS = (
    "handle", "title", "description_html", "vendor", "product_type", "tags",
    "status", "seo_title", "seo_description",
)  # fmt: skip
VARIANT_FIELDS = (
    "sku", "barcode", "option1_name", "option1", "option2_name", "option2",
    "option3_name", "option3", "price", "compare_at_price", "unit_cost",
    "weight_grams", "continue_selling", "low_stock_threshold", "position",
)  # fmt: skip
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class Variant:
    id: int
    product_id: int
    position: int
    sku: str | None
    barcode: str | None
    options: tuple[tuple[str, str], ...]
    price: Decimal
    compare_at_price: Decimal | None
    unit_cost: Decimal | None
    weight_grams: Decimal | None
    continue_selling: bool
    low_stock_threshold: int | None
    on_hand: int = 0
    available: int = 0

    @property
    def title(self):
        return " / ".join(value for _, value in self.options) or "Default"

    @property
    def in_stock(self):
        return self.available > 0 or self.continue_selling


@dataclass(frozen=True)
class Image:
    id: int
    position: int
    alt_text: str | None
    content_type: str | None
    width: int | None
    height: int | None
    sha256: str | None


@dataclass(frozen=True)
class Product:
    id: int
    handle: str
    title: str
    description_html: str
    vendor: str | None
    product_type: str | None
    tags: tuple[str, ...]
    status: str
    seo_title: str | None
    seo_description: str | None
    variants: tuple[Variant, ...] = ()
    images: tuple[Image, ...] = ()

    @property
    def price_range(self):
        prices = [v.price for v in self.variants]
        return (min(prices), max(prices)) if prices else (None, None)

    @property
    def in_stock(self):
        return any(v.in_stock for v in self.variants)


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


@dataclass
class ProductFilter:
    search: str | None = None
    status: str | None = None
    vendor: str | None = None
    product_type: str | None = None
    tag: str | None = None
    in_stock: bool | None = None
    page: int = 1
    per_page: int = 24
    extra: dict = field(default_factory=dict)


def slugify(text):
    """A URL handle from a title: lower case ASCII letters, digits, hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return handle[:200] or "product"


def create_product(tenant, fields, variants=(), *, actor="owner"):
    """Create a product with its variants (one default variant when none)."""
    values = clean_product_fields(fields, creating=True)
    variant_rows = [clean_variant_fields(v) for v in variants] or [
        {"price": Decimal(0)}
    ]

    with tenant.transaction() as conn:
        check_room(conn, tenant, products=1)
        try:
            product_id = _insert("products", values, conn)
            for position, row in enumerate(variant_rows, start=1):
                row.setdefault("position", position)
                _insert("variants", {**row, "product_id": product_id}, conn)
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc, values, variant_rows) from None
    return product_id


def update_product(tenant, product_id, changes, *, actor="owner"):
    values = clean_product_fields(changes, creating=False)
    if not values:
        return

    assignments = ", ".join(f"{name} = %({name})s" for name in values)
    with tenant.transaction() as conn:
        if values.get("status") not in (None, "archived"):
            # NOTE: bringing an archived product back counts like a new one.
            archived = conn.execute(
                "SELECT status = 'archived' FROM products WHERE id = %s FOR UPDATE",
                (product_id,),
            ).fetchone()
            if archived and archived[0]:
                check_room(conn, tenant, products=1)
        try:
            updated = conn.execute(
                f"UPDATE products SET {assignments}, updated_at = now() "
                "WHERE id = %(id)s",
                {**values, "id": product_id},
            ).rowcount
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc, values, []) from None
    if not updated:
        raise NotFound("product", product_id)


def archive_product(tenant, product_id, *, actor="owner"):
    update_product(tenant, product_id, {"status": "archived"}, actor=actor)


def add_variant(tenant, product_id, fields):
    row = clean_variant_fields(fields)
    with tenant.transaction() as conn:
        if not conn.execute(
            "SELECT 1 FROM products WHERE id = %s", (product_id,)
        ).fetchone():
            raise NotFound("product", product_id)
        row.setdefault(
            "position",
            conn.execute(
                """SELECT coalesce(max(position), 0) + 1 FROM variants
                   WHERE product_id = %s""",
                (product_id,),
            ).fetchone()[0],
        )
        try:
            return _insert("variants", {**row, "product_id": product_id}, conn)
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc, {}, [row]) from None


def update_variant(tenant, variant_id, changes):
    values = clean_variant_fields(changes, partial=True)
    if not values:
        return

    assignments = ", ".join(f"{name} = %({name})s" for name in values)
    with tenant.transaction() as conn:
        try:
            updated = conn.execute(
                f"UPDATE variants SET {assignments}, updated_at = now() "
                "WHERE id = %(id)s",
                {**values, "id": variant_id},
            ).rowcount
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc, {}, [values]) from None
    if not updated:
        raise NotFound("variant", variant_id)


def archive_variant(tenant, variant_id):
    with tenant.transaction() as conn:
        updated = conn.execute(
            """UPDATE variants SET archived_at = now()
               WHERE id = %s AND archived_at IS NULL""",
            (variant_id,),
        ).rowcount
    if not updated:
        raise NotFound("variant", variant_id)


def get_product(tenant, key, *, published_only=False):
    """A product with its variants, stock and image list, by handle or id."""
    column = "id" if isinstance(key, int) else "handle"
    status = "AND status = 'active'" if published_only else ""

    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT * FROM products WHERE {column} = %s {status}", (key,))
        row = cur.fetchone()
        if row is None:
            raise NotFound("product", key)
        variants = _variants(cur, [row["id"]])
        images = _images(cur, [row["id"]])
    return _product(row, variants.get(row["id"], ()), images.get(row["id"], ()))


def list_products(tenant, query=None):
    """One page of products matching ``query`` (a ProductFilter), newest first."""
    query = query or ProductFilter()
    per_page = max(1, min(int(query.per_page), MAX_PER_PAGE))
    page = max(1, int(query.page))
    where, params = _filter_sql(query)

    with tenant.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        cur.execute(f"SELECT count(*) AS n FROM products p WHERE {where}", params)
        total = cur.fetchone()["n"]
        cur.execute(
            f"""SELECT * FROM products p WHERE {where}
                ORDER BY p.updated_at DESC, p.id DESC
                LIMIT %(limit)s OFFSET %(offset)s""",
            {**params, "limit": per_page, "offset": (page - 1) * per_page},
        )
        rows = cur.fetchall()
        ids = [r["id"] for r in rows]
        variants = _variants(cur, ids)
        images = _images(cur, ids)

    items = [
        _product(r, variants.get(r["id"], ()), images.get(r["id"], ())) for r in rows
    ]
    return Page(items, total, page, per_page)


def facet_values(tenant):
    """Vendors, types and tags of active products, for catalogue filters."""
    with tenant.connection() as conn:
        vendors = conn.execute(
            """SELECT DISTINCT vendor FROM products
               WHERE status = 'active' AND vendor IS NOT NULL ORDER BY 1"""
        ).fetchall()
        types = conn.execute(
            """SELECT DISTINCT product_type FROM products
               WHERE status = 'active' AND product_type IS NOT NULL ORDER BY 1"""
        ).fetchall()
        tags = conn.execute(
            """SELECT DISTINCT unnest(tags) FROM products
               WHERE status = 'active' ORDER BY 1"""
        ).fetchall()
    return {
        "vendors": [r[0] for r in vendors],
        "types": [r[0] for r in types],
        "tags": [r[0] for r in tags],
    }


def catalogue_version(tenant):
    """A number that changes whenever the catalogue or its stock changes."""
    with tenant.connection() as conn:
        return conn.execute("SELECT last_value FROM catalogue_version").fetchone()[0]


def find_variant(tenant, sku):
    with tenant.connection() as conn:
        row = conn.execute("SELECT id FROM variants WHERE sku = %s", (sku,)).fetchone()
    if row is None:
        raise NotFound("SKU", sku)
    return row[0]


# -- validation ---------------------------------------------------------------


def clean_product_fields(fields, *, creating):
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise InvalidInput(", ".join(sorted(unknown)), "not a product field")
    values = {k: v for k, v in fields.items()}

    if creating or "title" in values:
        title = (values.get("title") or "").strip()
        if not title:
            raise InvalidInput("title", "is required")
        values["title"] = title[:500]
    if creating and not (values.get("handle") or "").strip():
        values["handle"] = slugify(values["title"])
    if "handle" in values:
        handle = (values["handle"] or "").strip()
        if (
            not handle
            or "/" in handle
            or len(handle) > 255
            or handle != " ".join(handle.split())
        ):
            raise InvalidInput(
                "handle", f"{values['handle']!r} cannot be used in a URL"
            )
        values["handle"] = handle
    if "status" in values and values["status"] not in STATUSES:
        raise InvalidInput("status", f"must be one of {', '.join(STATUSES)}")
    if "description_html" in values:
        values["description_html"] = sanitise_html(values["description_html"] or "")
    if "tags" in values:
        tags = values["tags"]
        if isinstance(tags, str):
            tags = tags.split(",")
        values["tags"] = sorted({t.strip() for t in tags if t and t.strip()})
    for name in ("vendor", "product_type", "seo_title", "seo_description"):
        if name in values:
            values[name] = (values[name] or "").strip() or None
    return values


def clean_variant_fields(fields, *, partial=False):
    unknown = set(fields) - set(VARIANT_FIELDS)
    if unknown:
        raise InvalidInput(", ".join(sorted(unknown)), "not a variant field")
    values = dict(fields)

    for name in ("sku", "barcode"):
        if name in values:
            raw = values[name]
            if raw is not None and not isinstance(raw, str):
                raise InvalidInput(name, "must be text, not a number")
            values[name] = (raw or "").strip() or None
    for name in ("price", "compare_at_price", "unit_cost", "weight_grams"):
        if name in values and values[name] not in (None, ""):
            values[name] = parse_amount(values[name], name)
        elif name in values:
            values[name] = None if name != "price" else Decimal(0)
    if not partial:
        values.setdefault("price", Decimal(0))
    if "low_stock_threshold" in values and values["low_stock_threshold"] not in (
        None,
        "",
    ):
        threshold = int(values["low_stock_threshold"])
        if threshold < 0:
            raise InvalidInput("low_stock_threshold", "must be zero or more")
        values["low_stock_threshold"] = threshold
    if "continue_selling" in values:
        values["continue_selling"] = bool(values["continue_selling"])
    return values


# -- helpers ------------------------------------------------------------------


def _insert(table, values, conn):
    columns = ", ".join(values)
    placeholders = ", ".join(f"%({name})s" for name in values)
    return conn.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING id", values
    ).fetchone()[0]


def _conflict(exc, product, variants):
    constraint = exc.diag.constraint_name or ""
    if "handle" in constraint:
        return Conflict("handle", product.get("handle"))
    if "sku" in constraint:
        return Conflict("SKU", _taken(exc, variants, "sku"))
    if "barcode" in constraint:
        return Conflict("barcode", _taken(exc, variants, "barcode"))
    return Conflict(constraint or "value", "")


def _taken(exc, variants, name):
    match = re.search(r"=\((.*)\)", exc.diag.message_detail or "")
    if match:
        return match.group(1)
    return next((v.get(name) for v in variants if v.get(name)), "")


def _filter_sql(query):
    clauses, params = [], {}
    if query.status:
        clauses.append("p.status = %(status)s")
        params["status"] = query.status
    if query.search:
        clauses.append(
            """(to_tsvector('simple', p.title || ' ' || coalesce(p.vendor, '') || ' '
                 || coalesce(p.product_type, '')) @@ plainto_tsquery('simple', %(q)s)
                OR p.title ILIKE %(like)s
                OR EXISTS (SELECT 1 FROM variants v WHERE v.product_id = p.id
                           AND (v.sku = %(q)s OR v.barcode = %(q)s)))"""
        )
        params["q"] = query.search.strip()
        params["like"] = "%" + _escape_like(query.search.strip()) + "%"
    if query.vendor:
        clauses.append("p.vendor = %(vendor)s")
        params["vendor"] = query.vendor
    if query.product_type:
        clauses.append("p.product_type = %(ptype)s")
        params["ptype"] = query.product_type
    if query.tag:
        clauses.append("%(tag)s = ANY (p.tags)")
        params["tag"] = query.tag
    if query.in_stock:
        clauses.append(
            """EXISTS (SELECT 1 FROM variants v
                       LEFT JOIN stock_levels s ON s.variant_id = v.id
                       WHERE v.product_id = p.id AND v.archived_at IS NULL
                       GROUP BY v.id, v.continue_selling
                       HAVING v.continue_selling
                           OR coalesce(sum(s.on_hand - s.reserved), 0) > 0)"""
        )
    return " AND ".join(clauses) or "true", params


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _variants(cur, product_ids):
    if not product_ids:
        return {}
    cur.execute(
        """SELECT v.*, coalesce(sum(s.on_hand), 0)::int AS on_hand,
                  coalesce(sum(s.on_hand - s.reserved), 0)::int AS available
           FROM variants v LEFT JOIN stock_levels s ON s.variant_id = v.id
           WHERE v.product_id = ANY(%s) AND v.archived_at IS NULL
           GROUP BY v.id ORDER BY v.product_id, v.position, v.id""",
        (product_ids,),
    )
    grouped = {}
    for r in cur.fetchall():
        options = tuple(
            (r[f"option{i}_name"] or f"Option {i}", r[f"option{i}"])
            for i in (1, 2, 3)
            if r[f"option{i}"]
        )
        grouped.setdefault(r["product_id"], []).append(
            Variant(
                r["id"],
                r["product_id"],
                r["position"],
                r["sku"],
                r["barcode"],
                options,
                r["price"],
                r["compare_at_price"],
                r["unit_cost"],
                r["weight_grams"],
                r["continue_selling"],
                r["low_stock_threshold"],
                r["on_hand"],
                r["available"],
            )  # fmt: skip
        )
    return grouped


def _images(cur, product_ids):
    if not product_ids:
        return {}
    cur.execute(
        """SELECT id, product_id, position, alt_text, content_type, width, height,
                  sha256
           FROM product_images
           WHERE product_id = ANY(%s) AND fetch_status = 'stored'
           ORDER BY product_id, position, id""",
        (product_ids,),
    )
    grouped = {}
    for r in cur.fetchall():
        grouped.setdefault(r.pop("product_id"), []).append(Image(**r))
    return grouped


def _product(row, variants, images):
    return Product(
        row["id"], row["handle"], row["title"], row["description_html"], row["vendor"],
        row["product_type"], tuple(row["tags"]), row["status"], row["seo_title"],
        row["seo_description"], tuple(variants), tuple(images),
    )  # fmt: skip
