"""``apmt billing`` as platform staff run it, against the Clover stub."""

import json
from datetime import UTC, datetime, timedelta

from tenancy import billing
from tests.apmt.test_cli import one_error_line, run  # noqa: F401 - fixture
from tests.tenancy.clover_billing_stub import TOKEN, settings


def test_configure_plans_and_poll(
    run,  # noqa: F811
    platform,
    make_store,
    clover,
    clover_stub,
):
    try:
        stdin = json.dumps(settings(clover_stub.stub.url))
        configured = run("billing", "configure", stdin=stdin)
        assert configured.returncode == 0, configured.stderr
        assert TOKEN not in configured.stdout + configured.stderr

        plans = json.loads(run("billing", "plans", "--json").stdout)
        assert {"free", "starter", "growth"} <= {p["code"] for p in plans["plans"]}
        assert {p["code"] for p in plans["packs"]} >= {"small", "large"}

        synced = run("billing", "sync-plans")
        assert synced.returncode == 0, synced.stderr
        assert {p["amount"] for p in clover_stub.plans.values()} >= {2900, 9900}

        tenant = make_store()
        billing.subscribe(platform, tenant.id, "starter", clover=clover,
                          card_token="clv_1TSTcli4242")  # fmt: skip
        (sub,) = clover_stub.subscriptions
        clover_stub.bill(sub, paid=False, attempts=1)

        polled = run("billing", "poll", "--force", "--json")
        assert polled.returncode == 0, polled.stderr
        assert json.loads(polled.stdout)["past_due"] == [tenant.id]
        since = billing.status(platform, tenant.id).past_due_since
        assert since > datetime.now(UTC) - timedelta(minutes=5)
    finally:
        with platform.registry() as conn:
            conn.execute("DELETE FROM platform_secrets WHERE name = 'clover_billing'")


def test_bad_settings_are_one_clear_line(run):  # noqa: F811
    refused = run("billing", "configure", stdin='{"merchant_id": "M"}')

    assert "private_token, public_key required" in one_error_line(refused)
    assert "not JSON" in one_error_line(run("billing", "configure", stdin="{"))
