"""Import batches: listing them and undoing one as a whole.

Every applied import (products, stock or sales) has a batch. Undoing it, in one
transaction: stock movements it made are reversed by new movements, rows it
created are removed, rows it updated get their old values back, and orders it
brought in are deleted.
"""

import logging

from commerce.errors import CommerceError, InsufficientStock
from commerce.stock import move
from etl.catalogue_import import PRODUCT_COLUMNS, VARIANT_COLUMNS

log = logging.getLogger(__name__)


class UndoRefused(CommerceError):
    def __init__(self, batch, reason):
        super().__init__(f"import {batch} cannot be undone: {reason}")


def list_batches(tenant, limit=50):
    """Recent import batches, newest first."""
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT id, kind, source_format, file_name, status, counts, actor,
                      created_at, undone_at
               FROM import_batches ORDER BY id DESC LIMIT %s""",
            (limit,),
        ).fetchall()


def undo_import(tenant, batch_id, *, actor="cli"):
    """Reverse an applied import batch as a whole, in one transaction."""
    with tenant.transaction() as conn:
        row = conn.execute(
            "SELECT status, kind FROM import_batches WHERE id = %s FOR UPDATE",
            (batch_id,),
        ).fetchone()
        if row is None:
            raise UndoRefused(batch_id, "no such import")
        if row[0] == "undone":
            raise UndoRefused(batch_id, "it was already undone")

        _reverse_stock(conn, batch_id, actor)
        _remove_created(conn, batch_id)
        _restore_updated(conn, batch_id)
        conn.execute("DELETE FROM orders WHERE import_batch_id = %s", (batch_id,))
        conn.execute(
            """UPDATE import_batches SET status = 'undone', undone_at = now()
               WHERE id = %s""",
            (batch_id,),
        )
    log.info("store=%s import %s undone", tenant.id, batch_id)


# -- undoing ------------------------------------------------------------------


def _reverse_stock(conn, batch, actor):
    rows = conn.execute(
        """SELECT m.variant_id, m.location_id, m.quantity FROM stock_movements m
           WHERE m.batch_id = %s ORDER BY m.id DESC""",
        (batch,),
    ).fetchall()
    for variant_id, location_id, quantity in rows:
        try:
            move(conn, variant_id, location_id, -quantity, "adjusted",
                 f"undo import {batch}", None, actor)  # fmt: skip
        except InsufficientStock as exc:
            raise UndoRefused(batch, str(exc)) from None


def _remove_created(conn, batch):
    for entity, table in (("image", "product_images"), ("variant", "variants"),
                          ("product", "products")):  # fmt: skip
        conn.execute(
            f"""DELETE FROM {table} WHERE id IN (
                    SELECT entity_id FROM import_changes
                    WHERE batch_id = %s AND entity = %s AND action = 'created')""",
            (batch, entity),
        )


def _restore_updated(conn, batch):
    for entity, table, columns in (
        ("product", "products", PRODUCT_COLUMNS),
        ("variant", "variants", VARIANT_COLUMNS + ("position",)),
    ):
        assignments = ", ".join(f"{c} = r.{c}" for c in columns)
        conn.execute(
            f"""UPDATE {table} t SET {assignments}, updated_at = now()
                FROM import_changes c,
                     jsonb_populate_record(NULL::{table}, c.before) r
                WHERE c.batch_id = %s AND c.entity = %s AND c.action = 'updated'
                  AND t.id = c.entity_id""",
            (batch, entity),
        )
