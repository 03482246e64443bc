import json
from datetime import timedelta

from tenancy import sessions
from tenancy.account_rights import delete_account, export_account
from tenancy.retention import run_retention


def test_export_holds_the_account_and_no_secrets(platform, make_store):
    tenant = make_store(owner_name="Grace Hopper")
    account_id = tenant.store.account_id
    with platform.registry() as conn:
        sessions.set_password(conn, account_id, "a long enough password")
        session = sessions.open_session(conn, account_id=account_id)

    package = export_account(platform, account_id)
    text = json.dumps(package)
    assert package["account"]["owner_name"] == "Grace Hopper"
    assert [s["slug"] for s in package["stores"]] == [tenant.store.slug]
    assert len(package["sessions"]) == 1
    assert session.token not in text and "argon2" not in text
    assert "security@apmtsales.com" in text


def test_deleting_now_destroys_the_store_and_then_the_account(platform, make_store):
    tenant = make_store(owner_name="Ada Lovelace")
    account_id = tenant.store.account_id
    with platform.registry() as conn:
        live = sessions.open_session(conn, account_id=account_id)

    assert delete_account(platform, account_id, immediately=True) == 1
    with platform.registry() as conn:
        revoked = conn.execute(
            "SELECT revoked_at FROM sessions WHERE account_id = %s", (account_id,)
        ).fetchone()[0]
    assert revoked is not None and live.token

    run_retention(platform)
    assert platform.store(tenant.id).status == "deleted"
    with platform.registry() as conn:
        name, email = conn.execute(
            "SELECT owner_name, email FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()
    assert name == "" and email.endswith("@invalid")


def test_deleting_later_keeps_30_days(platform, make_store):
    tenant = make_store()
    account_id = tenant.store.account_id
    delete_account(platform, account_id, immediately=False)
    store = platform.store(tenant.id)
    assert store.status == "cancelled"

    run_retention(platform, now=store.purge_after - timedelta(minutes=1))
    with platform.registry() as conn:
        email = conn.execute(
            "SELECT email FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()[0]
    assert not email.endswith("@invalid")

    run_retention(platform, now=store.purge_after)
    with platform.registry() as conn:
        email = conn.execute(
            "SELECT email FROM accounts WHERE id = %s", (account_id,)
        ).fetchone()[0]
    assert email.endswith("@invalid")
