"""Provider settings: sealed, masked, validated; and the command line."""

import argparse
import io
import json

import pytest

from apmt import payments_commands
from commerce.payments import (
    SettingsInvalid,
    configure_provider,
    disable_provider,
    provider_summary,
)
from tests.commerce.payments.conftest import SQUARE, STRIPE


def test_secrets_are_sealed_and_only_hinted(platform, tenant):
    hints = configure_provider(platform, tenant.id, "stripe", STRIPE)

    assert hints == {"secret_key": "…ghij", "webhook_secret": "…6789"}
    with platform.registry() as conn:
        (sealed,) = conn.execute(
            "SELECT sealed FROM store_secrets WHERE store_id = %s AND name = %s",
            (tenant.id, "payments_stripe"),
        ).fetchone()
    assert STRIPE["secret_key"] not in sealed and sealed.startswith("apmt1:")
    summary = provider_summary(platform, tenant.id)
    assert summary["providers"] == {"stripe": hints}
    assert summary["restock_on_refund"] is False


def test_square_shows_its_url_and_disable_forgets(platform, tenant):
    configure_provider(platform, tenant.id, "square", SQUARE)
    shown = provider_summary(platform, tenant.id)["providers"]["square"]
    assert shown["notification_url"] == SQUARE["notification_url"]
    assert SQUARE["access_token"] not in json.dumps(shown)

    assert disable_provider(platform, tenant.id, "square")
    assert provider_summary(platform, tenant.id)["providers"] == {"manual": {}}


@pytest.mark.parametrize(
    "settings, field",
    [
        ({"secret_key": "sk"}, "webhook_secret"),
        ({**STRIPE, "extra": "x"}, "extra"),
        ({**STRIPE, "api_base": "http://api.stripe.example.com"}, "api_base"),
        ({**STRIPE, "secret_key": " sk_padded "}, "secret_key"),
        ({**STRIPE, "secret_key": 42}, "secret_key"),
    ],
)
def test_refused_settings_name_the_field(platform, tenant, settings, field):
    with pytest.raises(SettingsInvalid) as caught:
        configure_provider(platform, tenant.id, "stripe", settings)
    assert caught.value.field == field


def test_a_replaced_signing_secret_is_kept_for_a_while(platform, tenant):
    from commerce.payments.settings import load_settings

    configure_provider(platform, tenant.id, "stripe", STRIPE, now=1000)
    configure_provider(
        platform, tenant.id, "stripe", {**STRIPE, "webhook_secret": "whsec_2"}, now=2000
    )
    stored = load_settings(platform, tenant.id)["stripe"]
    assert stored["previous"]["webhook_secret"] == STRIPE["webhook_secret"]
    assert stored["previous"]["until"] == 2000 + 24 * 3600


def test_the_command_reads_json_on_stdin_and_prints_hints(
    platform, tenant, monkeypatch, capsys, base_config, keyring
):
    from tests.conftest import keys_env

    monkeypatch.setenv("DATABASE_URL", base_config.database_url)
    monkeypatch.setenv("APMT_DB_PREFIX", base_config.db_prefix)
    monkeypatch.setenv("APMT_DATA_DIR", str(base_config.data_dir))
    monkeypatch.setenv("APMT_MASTER_KEYS", keys_env(keyring))
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(STRIPE)))

    args = argparse.Namespace(slug=tenant.store.slug, provider="stripe")
    payments_commands.run_configure(args)

    out = capsys.readouterr().out
    assert "stripe enabled" in out and "…ghij" in out
    assert STRIPE["secret_key"] not in out


def test_the_parser_registers_the_commands():
    parser = argparse.ArgumentParser()
    payments_commands.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["payments", "reconcile"])
    assert args.handler is payments_commands.run_reconcile and args.slug is None
