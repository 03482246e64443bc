"""``apmt analytics SLUG --json``, parsed and run as the CLI would."""

import argparse
import json
from datetime import UTC, datetime, timedelta

import pytest

from apmt import analytics_commands
from tests.commerce.analytics.conftest import add_order
from tests.conftest import keys_env


@pytest.fixture
def run(base_config, keyring, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", base_config.database_url)
    monkeypatch.setenv("APMT_DB_PREFIX", base_config.db_prefix)
    monkeypatch.setenv("APMT_DATA_DIR", str(base_config.data_dir))
    monkeypatch.setenv("APMT_MASTER_KEYS", keys_env(keyring))

    def run(*argv):
        parser = argparse.ArgumentParser(prog="apmt")
        analytics_commands.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(argv)
        args.handler(args)
        return capsys.readouterr().out

    return run


def test_json_figures_for_a_period(make_store, run):
    shop = make_store(currency="GBP", timezone="Europe/London")
    # 23:30 UTC on 31 March is 00:30 on 1 April in London (summer time).
    add_order(shop, datetime(2024, 3, 31, 23, 30, tzinfo=UTC), [("A", 3, "2.345")],
              status="partially_refunded", refunded="1.00")  # fmt: skip
    add_order(shop, datetime(2024, 3, 31, 12, tzinfo=UTC), [("A", 1, "9.99")])

    figures = json.loads(
        run("analytics", shop.store.slug, "--from", "2024-04-01", "--to",
            "2024-04-30", "--json")
    )  # fmt: skip

    assert figures["gross_sales"] == "7.04"  # 7.035, rounded once, half up
    assert figures["refunds"] == "1.00"
    assert figures["net_sales"] == "6.04"
    assert (figures["orders"], figures["units_sold"]) == (1, 3)
    assert (figures["from"], figures["to"], figures["currency"]) == (
        "2024-04-01",
        "2024-04-30",
        "GBP",
    )


def test_defaults_to_the_last_30_store_days(make_store, run):
    shop = make_store()
    add_order(shop, datetime.now(UTC) - timedelta(hours=1), [("A", 1, "5")])

    figures = json.loads(run("analytics", shop.store.slug, "--json"))

    assert figures["orders"] == 1 and figures["gross_sales"] == "5.00"


def test_a_bad_date_is_a_usage_error(run):
    with pytest.raises(SystemExit):
        run("analytics", "shop", "--from", "1 April")
