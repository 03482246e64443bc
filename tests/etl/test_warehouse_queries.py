"""The notebook helpers, against a warehouse built from seeded stores."""

import pytest

from etl import warehouse_queries as q
from etl.warehouse import build_warehouse
from tests.etl.test_warehouse import seeded  # noqa: F401 - a fixture


@pytest.fixture
def db(platform, seeded, tmp_path):  # noqa: F811
    with platform.registry() as conn:
        conn.execute(
            """INSERT INTO credit_ledger (store_id, kind, ref, included, provider,
                   tokens_in, tokens_out, actor)
               VALUES (%s, 'debit', 'gen-1', -3, 'fake', 100, 50, 'test')""",
            (seeded[0].id,),
        )
    build_warehouse(platform, tmp_path)
    with q.connect(tmp_path) as db:
        yield db


def test_warehouse_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(q.WAREHOUSE_ENV, str(tmp_path))
    assert q.warehouse_path() == tmp_path / "warehouse.duckdb"
    monkeypatch.delenv(q.WAREHOUSE_ENV)
    with pytest.raises(LookupError):
        q.warehouse_path()


def test_platform_usage(db, seeded):  # noqa: F811
    ids = {t.id for t in seeded}

    assert q.signups_and_churn(db)["signups"].sum() >= 2
    assert q.active_stores(db)["active_stores"].sum() >= 2
    assert q.plan_mix(db)["stores"].sum() >= 2
    daily = q.sales_by_day(db)
    assert daily[daily.store_id.isin(ids)]["orders"].sum() == 6
    assert float(q.sales_by_day(db, seeded[0].id)["sales"].sum()) == 37.02
    assert q.sales_volume(db)["orders"].sum() >= 6
    spend = q.ai_credit_spend(db)
    assert spend.loc[spend.provider == "fake", "credits"].sum() >= 3
    assert "import" in set(q.usage_by_kind(db)["kind"])


def test_store_health(db, seeded):  # noqa: F811
    store_id = seeded[0].id

    assert len(q.store_imports(db, store_id)) == 1
    assert q.webhook_failures(db, store_id)["events"].sum() == 3
    assert q.job_errors(db, store_id).empty
    alerts = q.stock_alerts(db, store_id)
    assert list(alerts["on_hand"]) == [2]
    health = q.store_health(db).set_index("store_id").loc[store_id]
    assert (health.imports, health.flagged_webhooks, health.stock_alerts) == (1, 3, 1)
