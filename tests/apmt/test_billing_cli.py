"""``apmt billing`` as platform staff run it, against the Clover stub."""

import json
from datetime import UTC, datetime, timedelta

from tenancy import billing
from tests.apmt.test_cli import one_error_line, run  # noqa: F401 - fixture
from tests.commerce.payments.stubs import Stub
from tests.tenancy.clover_billing_stub import MERCHANT, TOKEN, CloverBillingApi


def settings(url):
    return json.dumps({
        "merchant_id": MERCHANT, "private_token": TOKEN, "public_key": "pk",
        "api_base": url, "ecommerce_base": url,
    })  # fmt: skip


def test_configure_plans_and_poll(run, platform, make_store):  # noqa: F811
    stub = Stub()
    clover = CloverBillingApi(stub)
    with platform.registry() as conn:
        conn.execute("UPDATE plans SET clover_plan_id = NULL")
    try:
        configured = run("billing", "configure", stdin=settings(stub.url))
        assert configured.returncode == 0, configured.stderr
        assert TOKEN not in configured.stdout + configured.stderr

        plans = json.loads(run("billing", "plans", "--json").stdout)
        assert {"free", "starter", "growth"} <= {p["code"] for p in plans["plans"]}
        assert {p["code"] for p in plans["packs"]} >= {"small", "large"}

        synced = run("billing", "sync-plans")
        assert synced.returncode == 0, synced.stderr
        assert {p["amount"] for p in clover.plans.values()} >= {2900, 9900}

        tenant = make_store()
        client = billing.client(platform)
        billing.subscribe(platform, tenant.id, "starter", clover=client,
                          card_token="clv_1TSTcli4242")  # fmt: skip
        client.close()
        (sub,) = clover.subscriptions
        clover.bill(sub, paid=False, attempts=1)

        polled = run("billing", "poll", "--force", "--json")
        assert polled.returncode == 0, polled.stderr
        assert json.loads(polled.stdout)["past_due"] == [tenant.id]
        since = billing.status(platform, tenant.id).past_due_since
        assert since > datetime.now(UTC) - timedelta(minutes=5)
    finally:
        with platform.registry() as conn:
            conn.execute("DELETE FROM platform_secrets WHERE name = 'clover_billing'")
        stub.close()


def test_bad_settings_are_one_clear_line(run):  # noqa: F811
    refused = run("billing", "configure", stdin='{"merchant_id": "M"}')

    assert "private_token, public_key required" in one_error_line(refused)
    assert "not JSON" in one_error_line(run("billing", "configure", stdin="{"))
