"""Stock: levels per variant and location, changed only through movements.

Every change appends one row to the ``stock_movements`` ledger in the same
transaction as the level it changes. The database refuses an on-hand below
zero unless the variant keeps selling when out of stock (see the store
migration ``s0002``); here that refusal becomes ``InsufficientStock``.
"""

from dataclasses import dataclass

import psycopg

from commerce.errors import InsufficientStock, InvalidInput, NotFound
from commerce.limits import check_room

MOVEMENT_KINDS = (
    "received", "sold", "returned", "adjusted", "counted", "transferred", "imported",
)  # fmt: skip


@dataclass(frozen=True)
class Level:
    variant_id: int
    sku: str | None
    location_id: int
    location: str
    on_hand: int
    reserved: int

    @property
    def available(self):
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class CountLine:
    """One line of a stock count: what is on the shelf at a location."""

    variant_id: int
    location_id: int
    counted: int
    sku: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Difference:
    variant_id: int
    sku: str | None
    location_id: int
    location: str
    on_hand: int
    counted: int

    @property
    def change(self):
        return self.counted - self.on_hand


# -- locations ----------------------------------------------------------------


def list_locations(tenant, *, include_archived=False):
    where = "" if include_archived else "WHERE archived_at IS NULL"
    with tenant.connection() as conn:
        return conn.execute(
            f"SELECT id, name, is_default FROM locations {where} ORDER BY id"
        ).fetchall()


def create_location(tenant, name):
    name = (name or "").strip()
    if not name:
        raise InvalidInput("location name", "is required")
    with tenant.transaction() as conn:
        check_room(conn, tenant, locations=1)
        try:
            return conn.execute(
                "INSERT INTO locations (name) VALUES (%s) RETURNING id", (name,)
            ).fetchone()[0]
        except psycopg.errors.UniqueViolation:
            raise InvalidInput("location name", f"{name!r} already exists") from None


def default_location(conn):
    return conn.execute("SELECT id FROM locations WHERE is_default").fetchone()[0]


def location_by_name(conn, name):
    row = conn.execute(
        "SELECT id FROM locations WHERE lower(name) = lower(%s)", (name.strip(),)
    ).fetchone()
    return row[0] if row else None


# -- reading ------------------------------------------------------------------


def stock_levels(tenant, variant_id=None):
    """Levels per variant and location (all variants when none is given)."""
    where = "WHERE s.variant_id = %(v)s" if variant_id else ""
    with tenant.connection() as conn:
        rows = conn.execute(
            f"""SELECT s.variant_id, v.sku, s.location_id, l.name, s.on_hand, s.reserved
                FROM stock_levels s
                JOIN variants v ON v.id = s.variant_id
                JOIN locations l ON l.id = s.location_id
                {where} ORDER BY s.variant_id, s.location_id""",
            {"v": variant_id},
        ).fetchall()
    return [Level(*row) for row in rows]


def low_stock(tenant, location_id=None):
    """Variants at or under their low-stock threshold (summed over locations)."""
    params = {"loc": location_id}
    where_loc = "AND s.location_id = %(loc)s" if location_id else ""
    with tenant.connection() as conn:
        return conn.execute(
            f"""SELECT v.id, v.sku, p.title, v.low_stock_threshold,
                       coalesce(sum(s.on_hand - s.reserved), 0)::int AS available
                FROM variants v
                JOIN products p ON p.id = v.product_id
                LEFT JOIN stock_levels s ON s.variant_id = v.id {where_loc}
                WHERE v.low_stock_threshold IS NOT NULL AND v.archived_at IS NULL
                  AND p.status <> 'archived'
                GROUP BY v.id, p.title
                HAVING coalesce(sum(s.on_hand - s.reserved), 0)
                       <= v.low_stock_threshold
                ORDER BY available, v.sku""",
            params,
        ).fetchall()


def movements(tenant, variant_id, limit=100):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT m.at, l.name, m.kind, m.quantity, m.on_hand_after, m.reason,
                      m.reference, m.actor
               FROM stock_movements m JOIN locations l ON l.id = m.location_id
               WHERE m.variant_id = %s ORDER BY m.id DESC LIMIT %s""",
            (variant_id, limit),
        ).fetchall()


# -- changing -----------------------------------------------------------------


def set_low_stock_threshold(tenant, variant_id, threshold):
    if threshold is not None and int(threshold) < 0:
        raise InvalidInput("low-stock threshold", "must be zero or more")
    with tenant.transaction() as conn:
        updated = conn.execute(
            "UPDATE variants SET low_stock_threshold = %s WHERE id = %s",
            (threshold, variant_id),
        ).rowcount
    if not updated:
        raise NotFound("variant", variant_id)


def adjust_stock(
    tenant, variant_id, quantity, *, reason, location_id=None, kind="adjusted",
    reference=None, actor="owner",
):  # fmt: skip
    """Add ``quantity`` (negative to remove) at a location; return the new on-hand."""
    if kind not in MOVEMENT_KINDS:
        raise InvalidInput(
            "movement kind", f"must be one of {', '.join(MOVEMENT_KINDS)}"
        )
    if not reason or not reason.strip():
        raise InvalidInput("reason", "say why the stock changes")
    if int(quantity) == 0:
        raise InvalidInput("quantity", "must not be zero")

    with tenant.transaction() as conn:
        location_id = location_id or default_location(conn)
        return move(
            conn, variant_id, location_id, int(quantity), kind, reason.strip(),
            reference, actor,
        )  # fmt: skip


def transfer_stock(
    tenant, variant_id, from_location, to_location, quantity, *, reason="transfer",
    actor="owner",
):  # fmt: skip
    """Move available units from one location to another, as two movements."""
    quantity = int(quantity)
    if quantity <= 0:
        raise InvalidInput("quantity", "must be more than zero")
    if from_location == to_location:
        raise InvalidInput("to location", "must differ from the from location")

    with tenant.transaction() as conn:
        row = conn.execute(
            """SELECT s.on_hand - s.reserved, v.sku, l.name
               FROM variants v JOIN locations l ON l.id = %s
               LEFT JOIN stock_levels s ON s.variant_id = v.id AND s.location_id = l.id
               WHERE v.id = %s FOR UPDATE OF v""",
            (from_location, variant_id),
        ).fetchone()
        if row is None:
            raise NotFound("variant", variant_id)
        available, sku, location = row
        if (available or 0) < quantity:
            raise InsufficientStock(sku, location, available or 0, quantity)

        reference = f"transfer {from_location}->{to_location}"
        move(conn, variant_id, from_location, -quantity, "transferred", reason,
             reference, actor)  # fmt: skip
        move(conn, variant_id, to_location, quantity, "transferred", reason,
             reference, actor)  # fmt: skip


def preview_count(tenant, lines):
    """The differences a count would make, before anything is written."""
    with tenant.connection() as conn:
        return _differences(conn, lines)


def apply_count(tenant, lines, *, reason="stock count", actor="owner", batch_id=None,
                kind="counted"):  # fmt: skip
    """Set counted quantities: one movement per line that differs."""
    with tenant.transaction() as conn:
        return record_count(conn, lines, reason=reason, actor=actor,
                            batch_id=batch_id, kind=kind)  # fmt: skip


def record_count(conn, lines, *, reason, actor, batch_id=None, kind="counted"):
    """``apply_count`` inside the caller's transaction."""
    differences = _differences(conn, lines, lock=True)
    for diff in differences:
        move(conn, diff.variant_id, diff.location_id, diff.change, kind, reason,
             None, actor, batch_id)  # fmt: skip
    return differences


def move(conn, variant_id, location_id, quantity, kind, reason, reference, actor,
         batch_id=None):  # fmt: skip
    """Change one level and append its movement, inside the caller's transaction."""
    try:
        with conn.transaction():
            on_hand = _change_level(conn, variant_id, location_id, quantity)
    except psycopg.errors.CheckViolation:
        raise _insufficient(conn, variant_id, location_id, -quantity) from None
    except psycopg.errors.ForeignKeyViolation:
        raise NotFound("variant or location", f"{variant_id}@{location_id}") from None

    conn.execute(
        """INSERT INTO stock_movements (variant_id, location_id, kind, quantity,
               on_hand_after, reason, reference, actor, batch_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (variant_id, location_id, kind, quantity, on_hand, reason, reference, actor,
         batch_id),
    )  # fmt: skip
    return on_hand


def _change_level(conn, variant_id, location_id, quantity):
    # NOTE: not INSERT ... ON CONFLICT: its BEFORE INSERT trigger would judge the
    # bare delta as if it were the new on-hand.
    for _ in range(2):
        row = conn.execute(
            """UPDATE stock_levels SET on_hand = on_hand + %s
               WHERE variant_id = %s AND location_id = %s RETURNING on_hand""",
            (quantity, variant_id, location_id),
        ).fetchone()
        if row is None:
            row = conn.execute(
                """INSERT INTO stock_levels (variant_id, location_id, on_hand)
                   VALUES (%s, %s, %s) ON CONFLICT DO NOTHING RETURNING on_hand""",
                (variant_id, location_id, quantity),
            ).fetchone()
        if row is not None:
            return row[0]
    raise RuntimeError("stock level kept changing under us")  # pragma: no cover


def _differences(conn, lines, lock=False):
    if not lines:
        return []
    pairs = [(line.variant_id, line.location_id) for line in lines]
    suffix = "FOR UPDATE OF v" if lock else ""
    rows = conn.execute(
        f"""SELECT v.id, v.sku, l.id, l.name, coalesce(s.on_hand, 0)
            FROM unnest(%s::bigint[], %s::int[]) AS want(variant_id, location_id)
            JOIN variants v ON v.id = want.variant_id
            JOIN locations l ON l.id = want.location_id
            LEFT JOIN stock_levels s
                   ON s.variant_id = v.id AND s.location_id = l.id
            {suffix}""",
        ([p[0] for p in pairs], [p[1] for p in pairs]),
    ).fetchall()
    current = {(r[0], r[2]): r for r in rows}

    differences = []
    for line in lines:
        found = current.get((line.variant_id, line.location_id))
        if found is None:
            raise NotFound(
                "variant or location", f"{line.variant_id}@{line.location_id}"
            )
        if line.counted < 0:
            raise InvalidInput("counted", f"{line.counted} is below zero")
        if found[4] != line.counted:
            differences.append(Difference(found[0], found[1], found[2], found[3],
                                          found[4], line.counted))  # fmt: skip
    return differences


def _insufficient(conn, variant_id, location_id, wanted):
    row = conn.execute(
        """SELECT v.sku, l.name, coalesce(s.on_hand - s.reserved, 0)
           FROM variants v JOIN locations l ON l.id = %s
           LEFT JOIN stock_levels s ON s.variant_id = v.id AND s.location_id = l.id
           WHERE v.id = %s""",
        (location_id, variant_id),
    ).fetchone()
    sku, location, available = row or (None, str(location_id), 0)
    return InsufficientStock(sku, location, available, wanted)
