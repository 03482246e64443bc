"""The staff warehouse, built from real throwaway stores."""

import logging
import secrets

import duckdb
import pytest

from etl import warehouse
from etl.warehouse import (
    build_warehouse,
    hash_shopper,
    hmac_pads,
    shopper_key,
    warehouse_file,
)
from etl.warehouse_tables import TABLES
from tenancy.registry import record_usage

# Personal data seeded into the stores; none of it may reach the warehouse.
SECRET_WORDS = (
    "Quarterfield",
    "Zebulon",
    "Wisteria Lane",
    "please gift wrap",
    "Hortensia",
    "+44 7700",
    "invoice-for-zebulon",
)


def seed_store(tenant, orders=3, *, start=0, shopper="Zebulon.Q@Example.com"):
    """Give a store a product, stock, ``orders`` paid orders and their traces."""
    with tenant.transaction() as conn:
        batch = conn.execute(
            """INSERT INTO import_batches (kind, source_format, file_name,
                   file_sha256, actor, counts)
               VALUES ('sales', 'generic', 'invoice-for-zebulon.csv', 'x',
                       'owner-zebulon@example.com', '{"lines": 1}')
               RETURNING id"""
        ).fetchone()[0]
        variant = conn.execute(
            """WITH p AS (INSERT INTO products (handle, title, vendor)
                   VALUES (%s, 'Bike', 'Hortensia') RETURNING id)
               INSERT INTO variants (product_id, sku, price, low_stock_threshold)
               SELECT id, %s, 10, 5 FROM p RETURNING id""",
            (f"bike-{secrets.token_hex(3)}", f"SKU-{secrets.token_hex(3)}"),
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO stock_levels (variant_id, location_id, on_hand) "
            "VALUES (%s, 1, 2)",
            (variant,),
        )
        conn.execute(
            """INSERT INTO stock_movements (variant_id, location_id, kind,
                   quantity, on_hand_after, reason, actor, batch_id)
               VALUES (%s, 1, 'imported', 2, 2, 'Zebulon asked',
                       'owner-zebulon@example.com', %s)""",
            (variant, batch),
        )
        for number in range(start, start + orders):
            add_order(conn, number, variant, shopper)
        conn.execute(
            """INSERT INTO contact_messages (name, email, body)
               VALUES ('Zebulon Quarterfield', 'zq@example.com', 'please gift wrap')"""
        )
    return variant


def add_order(conn, number, variant, shopper="Zebulon.Q@Example.com"):
    order = conn.execute(
        """INSERT INTO orders (number, token, source, status, currency, subtotal,
               total, email, customer_name, phone, shipping_address, country,
               customer_ref, note, payment_ref, paid_at)
           VALUES (%s, %s, 'storefront', 'paid', 'USD', 12.34, 12.34, %s,
                   'Zebulon Quarterfield', '+44 7700 900123',
                   '{"line1": "12 Wisteria Lane"}', 'GB', 'zq@example.com',
                   'please gift wrap', 'pay_zebulon', now())
           RETURNING id""",
        (f"#{number}", secrets.token_hex(8), shopper),
    ).fetchone()[0]
    conn.execute(
        """INSERT INTO order_lines (order_id, line_no, variant_id, sku, title,
               quantity, unit_price, line_total)
           VALUES (%s, 1, %s, 'SKU', 'Bike for Zebulon', 1, 12.34, 12.34)""",
        (order, variant),
    )
    conn.execute(
        """INSERT INTO payment_events (provider, event_id, type, body, order_id,
               status, note)
           VALUES ('stripe', %s, 'charge.failed', 'Zebulon Quarterfield',
                   %s, 'flagged', 'Zebulon Quarterfield')""",
        (secrets.token_hex(6), order),
    )
    return order


@pytest.fixture
def seeded(platform, make_store):
    stores = []
    for _ in range(2):
        tenant = make_store(
            display_name="Zebulon Quarterfield Bikes",
            owner_email=f"zebulon-{secrets.token_hex(3)}@example.com",
        )
        seed_store(tenant)
        with platform.registry() as conn:
            record_usage(conn, "import", tenant.id, tenant.store.account_id, 3,
                         what="sales")  # fmt: skip
        stores.append(tenant)
    return stores


def scalar(path, query, *params):
    with duckdb.connect(str(path), read_only=True) as db:
        return db.execute(query, params).fetchone()[0]


def test_builds_duckdb_and_parquet(platform, seeded, tmp_path):
    result = build_warehouse(platform, tmp_path, jobs=2)

    assert not result.failed
    path = warehouse_file(tmp_path)
    ids = [t.id for t in seeded]
    assert scalar(path, "SELECT count(*) FROM orders WHERE store_id IN (?, ?)",
                  *ids) == 6  # fmt: skip
    total = "SELECT sum(total) FROM orders WHERE store_id = ?"
    assert str(scalar(path, total, ids[0])) == "37.0200"
    assert scalar(path, "SELECT count(*) FROM stores WHERE id = ?", ids[0]) == 1
    store_dir = tmp_path / "parquet" / "orders" / f"store_id={ids[0]}"
    assert list(store_dir.glob("month=*/*.parquet"))
    assert (tmp_path / "parquet" / "usage_events").is_dir()


def test_shoppers_only_by_keyed_hash(platform, seeded, tmp_path):
    build_warehouse(platform, tmp_path)

    key = shopper_key(platform.keyring)
    expected = hash_shopper(key, "zebulon.q@example.com")
    found = scalar(
        warehouse_file(tmp_path),
        "SELECT list(DISTINCT shopper) FROM orders WHERE store_id = ?",
        seeded[0].id,
    )
    assert found == [expected]


def test_hmac_pads_match_python_hmac():
    key = secrets.token_bytes(32)
    ipad, opad = hmac_pads(key)
    import hashlib

    inner = hashlib.sha256(ipad + b"a@b.c").digest()
    assert hashlib.sha256(opad + inner).hexdigest() == hash_shopper(key, "A@b.c ")


def test_holds_no_personal_data(platform, seeded, tmp_path):
    build_warehouse(platform, tmp_path)

    with duckdb.connect(str(warehouse_file(tmp_path)), read_only=True) as db:
        columns = db.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE data_type IN ('VARCHAR', 'JSON')"""
        ).fetchall()
        assert len(columns) > 20
        for table, column in columns:
            values = [
                row[0]
                for row in db.execute(
                    f'SELECT DISTINCT "{column}"::VARCHAR FROM "{table}" '
                    f'WHERE "{column}" IS NOT NULL'
                ).fetchall()
            ]
            for value in values:
                assert "@" not in value, (table, column)
                for word in SECRET_WORDS:
                    assert word.lower() not in value.lower(), (table, column)


def test_incremental_reads_only_new_rows(platform, seeded, tmp_path, caplog):
    build_warehouse(platform, tmp_path)
    tenant = seeded[0]
    with tenant.transaction() as conn:
        variant = conn.execute("SELECT min(id) FROM variants").fetchone()[0]
        add_order(conn, 99, variant)
        conn.execute(
            "UPDATE orders SET status = 'fulfilled', updated_at = now() "
            "WHERE number = '#0'"
        )

    caplog.set_level(logging.INFO, logger="etl.warehouse")
    result = build_warehouse(platform, tmp_path)

    assert result.rows["order_lines"] == 1
    path = warehouse_file(tmp_path)
    assert scalar(path, "SELECT count(*) FROM orders WHERE store_id = ?",
                  tenant.id) == 4  # fmt: skip
    statuses = "SELECT count(*) FROM orders WHERE store_id = ? AND status = ?"
    assert scalar(path, statuses, tenant.id, "fulfilled") == 1
    assert f"etl store={tenant.id} step=copy_orders" in caplog.text

    again = build_warehouse(platform, tmp_path)
    assert again.rows["order_lines"] == 0
    assert scalar(path, "SELECT count(*) FROM order_lines WHERE store_id = ?",
                  tenant.id) == 4  # fmt: skip


def test_full_rebuild_gives_the_same_counts(platform, seeded, tmp_path):
    build_warehouse(platform, tmp_path)
    first = scalar(warehouse_file(tmp_path), "SELECT count(*) FROM order_lines")
    build_warehouse(platform, tmp_path)
    build_warehouse(platform, tmp_path, full=True)

    assert scalar(warehouse_file(tmp_path), "SELECT count(*) FROM order_lines") == first


def test_a_failing_store_is_reported_and_the_rest_go_on(
    platform, seeded, tmp_path, monkeypatch
):
    broken = seeded[0].store
    real = platform.store_dsn

    def store_dsn(store):
        if store.id == broken.id:
            return "postgresql://nobody@127.0.0.1:1/none"
        return real(store)

    monkeypatch.setattr(platform, "store_dsn", store_dsn)
    result = build_warehouse(platform, tmp_path)

    assert broken.id in result.failed
    path = warehouse_file(tmp_path)
    assert scalar(path, "SELECT count(*) FROM orders WHERE store_id = ?",
                  seeded[1].id) == 3  # fmt: skip
    assert scalar(path, "SELECT count(*) FROM orders WHERE store_id = ?",
                  broken.id) == 0  # fmt: skip


def test_every_table_is_created():
    names = {table.name for table in TABLES}
    assert {"orders", "order_lines", "usage_events", "credit_ledger"} <= names


def test_a_store_whose_rows_do_not_load_costs_only_itself(
    platform, seeded, tmp_path, monkeypatch
):
    bad = seeded[0].store
    real = warehouse.extract_table

    def extract_table(conn, table, path, mark, **pads):
        real(conn, table, path, mark, **pads)
        if table.name == "orders" and path.stem == str(bad.id):
            path.write_text("not,a,row,of,orders\n")

    monkeypatch.setattr(warehouse, "extract_table", extract_table)
    result = build_warehouse(platform, tmp_path)

    assert bad.id in result.failed
    path = warehouse_file(tmp_path)
    assert scalar(path, "SELECT count(*) FROM orders WHERE store_id = ?",
                  seeded[1].id) == 3  # fmt: skip
    assert scalar(path, "SELECT count(*) FROM order_lines WHERE store_id = ?",
                  bad.id) == 0  # fmt: skip
