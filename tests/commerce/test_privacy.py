"""Shoppers' privacy requests: codes, deadlines, access, correction, deletion."""

import importlib.util
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from commerce import messages, newsletter, privacy
from commerce.errors import InvalidInput, NotFound
from tenancy import schema
from tenancy.mailer import FileTransport, deliver

EMAIL = "Ada.Lovelace@example.com"
NAME = "Ada Lovelace"
OWNER = "account:1"
CODE = re.compile(r"^\s+(\d{6})$", re.M)


def outbox(tenant, kind=None):
    with tenant.connection() as conn:
        return conn.execute(
            """SELECT kind, recipient, body_text FROM outbox
               WHERE %(kind)s::text IS NULL OR kind = %(kind)s ORDER BY id""",
            {"kind": kind},
        ).fetchall()


def last_code(tenant):
    return CODE.search(outbox(tenant, "privacy_code")[-1][2]).group(1)


def request_id_of(tenant, token):
    with tenant.connection() as conn:
        return conn.execute(
            "SELECT id FROM privacy_requests WHERE token_hash = %s",
            (privacy._digest(token),),
        ).fetchone()[0]


def verified_request(tenant, kind, email=EMAIL, details=None, client="10.0.0.1"):
    token = privacy.open_request(tenant, kind, email, details, client)
    privacy.verify_request(tenant, token, last_code(tenant))
    return request_id_of(tenant, token)


def add_order(tenant, email, name, number):
    with tenant.transaction() as conn:
        order_id = conn.execute(
            """INSERT INTO orders (number, token, source, status, currency,
                   subtotal, total, email, customer_name, phone, shipping_address,
                   country, customer_ref, note)
               VALUES (%s, %s, 'storefront', 'paid', 'GBP', 9, 9, %s, %s,
                   '+44 113 496 0000', %s, 'GB', %s, %s) RETURNING id""",
            (number, f"tok-{number}", email, name,
             Jsonb({"name": name, "line1": "1 High Street", "city": "Leeds"}),
             f"cust-{email}", f"Leave with {name}'s neighbour"),
        ).fetchone()[0]  # fmt: skip
        conn.execute(
            """INSERT INTO order_lines (order_id, line_no, sku, title, quantity,
                   unit_price, line_total)
               VALUES (%s, 1, 'TEA-G', 'Green Tea', 2, 4.50, 9)""",
            (order_id,),
        )
        conn.execute(
            """INSERT INTO payment_events (provider, event_id, type, body, order_id)
               VALUES ('stripe', %s, 'charge', %s, %s)""",
            (f"ev-{number}", json.dumps({"email": email}).encode(), order_id),
        )
    return order_id


def seed_shopper(tenant, email=EMAIL, name=NAME, number="1001"):
    add_order(tenant, email, name, number)
    messages.send_contact_message(
        tenant, {"name": name, "email": email, "message": f"Hello, {name} here"}
    )
    newsletter.subscribe(tenant, email, confirm_url=lambda t: f"http://x/{t}")


# -- proving the address ------------------------------------------------------


def test_a_request_mails_a_code_and_reveals_nothing(tenant):
    add_order(tenant, EMAIL, NAME, "1001")

    known = privacy.open_request(tenant, "access", EMAIL, None, "10.0.0.1")
    unknown = privacy.open_request(tenant, "access", "nobody@example.com", "", "ip")

    assert isinstance(known, str) and isinstance(unknown, str)
    mails = outbox(tenant, "privacy_code")
    assert [m[1] for m in mails] == [EMAIL, "nobody@example.com"]
    assert privacy.list_requests(tenant) == []


def test_the_right_code_verifies_and_sets_a_one_month_deadline(tenant):
    now = datetime(2030, 1, 31, 12, tzinfo=UTC)
    token = privacy.open_request(
        tenant, "deletion", EMAIL, None, "ip", now=now, new_code=lambda: "123456"
    )

    verified = privacy.verify_request(tenant, token, "123456", now=now)

    assert verified.kind == "deletion"
    assert verified.due == datetime(2030, 2, 28, 12, tzinfo=UTC)
    [listed] = privacy.list_requests(tenant, now=now)
    assert listed.status == "verified" and listed.due == verified.due


def test_wrong_codes_run_out_and_old_codes_expire(tenant):
    now = datetime(2030, 1, 1, tzinfo=UTC)
    token = privacy.open_request(
        tenant, "access", EMAIL, None, "ip", now=now, new_code=lambda: "111111"
    )
    for _ in range(privacy.MAX_ATTEMPTS):
        with pytest.raises(InvalidInput):
            privacy.verify_request(tenant, token, "999999", now=now)
    with pytest.raises(InvalidInput):
        privacy.verify_request(tenant, token, "111111", now=now)

    late = privacy.open_request(
        tenant, "access", EMAIL, None, "ip", now=now, new_code=lambda: "222222"
    )
    with pytest.raises(InvalidInput):
        privacy.verify_request(
            tenant, late, "222222", now=now + privacy.CODE_VALID + timedelta(1)
        )
    with pytest.raises(InvalidInput):
        privacy.verify_request(tenant, "no-such-token", "222222", now=now)


def test_requests_are_limited_per_address_and_per_client(tenant):
    for i in range(privacy.MAX_PER_ADDRESS + 1):
        privacy.open_request(tenant, "access", EMAIL, None, f"10.0.0.{i}")
    for i in range(privacy.MAX_PER_CLIENT + 1):
        privacy.open_request(tenant, "access", f"p{i}@example.com", None, "10.9.9.9")

    recipients = [m[1] for m in outbox(tenant, "privacy_code")]
    assert recipients.count("Ada.Lovelace@example.com") == privacy.MAX_PER_ADDRESS
    assert len(recipients) == privacy.MAX_PER_ADDRESS + privacy.MAX_PER_CLIENT


# -- the owner's side ---------------------------------------------------------


def test_a_deadline_is_extended_once_and_the_requester_told(tenant):
    request_id = verified_request(tenant, "access")
    [before] = privacy.list_requests(tenant)

    until = privacy.extend_deadline(tenant, request_id, "Busy season", actor=OWNER)

    [after] = privacy.list_requests(tenant)
    assert after.due == until > before.due and after.extension_reason == "Busy season"
    assert "Busy season" in outbox(tenant, "privacy_extended")[0][2]
    with pytest.raises(InvalidInput):
        privacy.extend_deadline(tenant, request_id, "Again", actor=OWNER)


def test_access_builds_a_zip_behind_an_expiring_link(tenant):
    seed_shopper(tenant)
    seed_shopper(tenant, "bob@example.com", "Bob Other", "1002")
    request_id = verified_request(tenant, "access")
    now = datetime.now(UTC)

    privacy.fulfil_access(tenant, request_id, actor=OWNER, now=now)

    [(_, recipient, body)] = outbox(tenant, "privacy_access")
    assert recipient == EMAIL
    token = re.search(r"/privacy/requests/([^/\s]+)/download", body).group(1)
    package = privacy.download_package(tenant, token, now=now)
    archive = zipfile.ZipFile(io.BytesIO(package.data))
    assert set(archive.namelist()) == {
        "data.json", "orders.csv", "order_lines.csv", "messages.csv",
        "newsletter.csv", "privacy_requests.csv",
    }  # fmt: skip
    data = json.loads(archive.read("data.json"))
    assert [o["customer_name"] for o in data["orders"]] == [NAME]
    assert data["order_lines"][0]["title"] == "Green Tea"
    assert data["messages"][0]["name"] == NAME
    assert data["newsletter"][0]["status"] == "pending"
    assert len(data["privacy_requests"]) == 1
    assert "Bob" not in json.dumps(data) and NAME in archive.read("orders.csv").decode()

    with pytest.raises(NotFound):
        privacy.download_package(tenant, token, now=now + privacy.DOWNLOAD_VALID)
    with pytest.raises(InvalidInput):
        privacy.fulfil_access(tenant, request_id, actor=OWNER)


def test_correction_changes_every_record_and_tells_the_requester(tenant):
    seed_shopper(tenant)
    request_id = verified_request(tenant, "correction", details="Name is wrong")

    changed = privacy.fulfil_correction(
        tenant, request_id, {"name": "Ada King", "phone": "+44 1"}, actor=OWNER
    )

    assert changed == 2
    with tenant.connection() as conn:
        assert conn.execute("SELECT customer_name, phone FROM orders").fetchall() == [
            ("Ada King", "+44 1")
        ]
        assert conn.execute("SELECT name FROM contact_messages").fetchall() == [
            ("Ada King",)
        ]
    assert outbox(tenant, "privacy_corrected")[0][1] == EMAIL
    with pytest.raises(InvalidInput):
        privacy.fulfil_correction(tenant, request_id, {"name": "X"}, actor=OWNER)


def test_the_wrong_kind_and_unverified_requests_cannot_be_fulfilled(tenant):
    request_id = verified_request(tenant, "access")
    with pytest.raises(InvalidInput):
        privacy.fulfil_deletion(tenant, request_id, actor=OWNER)

    token = privacy.open_request(tenant, "deletion", EMAIL, None, "ip")
    with pytest.raises(NotFound):
        privacy.fulfil_deletion(tenant, request_id_of(tenant, token), actor=OWNER)


# -- deletion -----------------------------------------------------------------


def traces(tenant, needles):
    """(table, column) pairs whose text, JSON or bytes still hold a needle."""
    found = []
    with tenant.connection() as conn:
        columns = conn.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'public' AND data_type IN (
                   'text', 'character varying', 'character', 'json', 'jsonb',
                   'bytea', 'ARRAY', 'USER-DEFINED')"""
        ).fetchall()
        assert len(columns) > 40
        for table, column, kind in columns:
            ident = sql.Identifier(column)
            if kind == "bytea":
                test = sql.SQL("position(lower(%s) IN lower(encode({}, 'escape'))) > 0")
            else:
                test = sql.SQL("lower({}::text) LIKE '%%' || lower(%s) || '%%'")
            for needle in needles:
                query = sql.SQL("SELECT count(*) FROM {} WHERE ").format(
                    sql.Identifier(table)
                ) + test.format(ident)
                if conn.execute(query, (needle,)).fetchone()[0]:
                    found.append((table, column, needle))
    return found


def test_deletion_leaves_no_trace_of_the_email_or_name_anywhere(tenant, tmp_path):
    seed_shopper(tenant)
    seed_shopper(tenant, "bob@example.com", "Bob Other", "1002")
    earlier = verified_request(tenant, "access", details=f"I am {NAME}")
    privacy.fulfil_access(tenant, earlier, actor=OWNER)
    request_id = verified_request(tenant, "deletion", email=EMAIL.lower())
    needles = [EMAIL, NAME]
    assert {t for t, _, _ in traces(tenant, needles)} >= {
        "orders", "contact_messages", "newsletter_subscribers", "outbox",
        "privacy_requests", "payment_events",
    }  # fmt: skip

    privacy.fulfil_deletion(tenant, request_id, actor=OWNER)

    # Only the notice telling the requester holds the address, until sent.
    assert traces(tenant, needles) == [("outbox", "recipient", EMAIL)]
    with tenant.connection() as conn:
        deliver(conn, FileTransport(tmp_path), scope="t", sender="shop@example.com")
    assert any(EMAIL.lower() in p.read_text().lower() for p in tmp_path.iterdir())
    privacy.list_requests(tenant)
    assert traces(tenant, needles) == []

    with tenant.connection() as conn:
        kept = conn.execute(
            """SELECT o.number, o.total, o.country, l.title FROM orders o
               JOIN order_lines l ON l.order_id = o.id ORDER BY o.number"""
        ).fetchall()
    assert [(n, str(t), c, title) for n, t, c, title in kept] == [
        ("1001", "9", "GB", "Green Tea"), ("1002", "9", "GB", "Green Tea"),
    ]  # fmt: skip
    assert traces(tenant, ["bob@example.com", "Bob Other"]) != []


def test_every_step_is_audited_without_personal_data(tenant):
    seed_shopper(tenant)
    request_id = verified_request(tenant, "deletion", details=f"I am {NAME}")
    privacy.extend_deadline(tenant, request_id, "Checking the accounts", actor=OWNER)
    privacy.fulfil_deletion(tenant, request_id, actor=OWNER)

    trail = privacy.audit_trail(tenant, request_id)

    assert [(step, actor) for step, actor, _ in trail] == [
        ("opened", "requester"), ("code_sent", "system"),
        ("verified", "requester"), ("extended", OWNER), ("erased", OWNER),
    ]  # fmt: skip
    with tenant.connection() as conn:
        audit = conn.execute("SELECT * FROM privacy_audit").fetchall()
    assert "lovelace" not in repr(audit).lower()


def test_the_migration_goes_down_and_up_again(tenant):
    path = Path(schema.__file__).parent / "migrations/store/versions/s0008_privacy.py"
    spec = importlib.util.spec_from_file_location("s0008_privacy", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    statements = []
    migration.op = SimpleNamespace(execute=statements.append)
    migration.downgrade()
    migration.upgrade()

    with tenant.connection() as conn, conn.transaction(force_rollback=True):
        for statement in statements:
            conn.execute(statement)
        count = conn.execute("SELECT count(*) FROM privacy_audit").fetchone()[0]
    assert count == 0
