"""The command line as a user runs it: one process per command."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import keys_env


@pytest.fixture
def run(base_config, keyring, platform):
    env = {
        **os.environ,
        "DATABASE_URL": base_config.database_url,
        "APMT_DB_PREFIX": base_config.db_prefix,
        "APMT_DATA_DIR": str(base_config.data_dir),
        "APMT_MASTER_KEYS": keys_env(keyring),
    }

    def run(*args, stdin=None, **overrides):
        return subprocess.run(
            [sys.executable, "-m", "apmt", *args],
            env={**env, **overrides},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("apmt: error: ")
    return lines[0]


def test_create_list_and_lifecycle(run, platform):
    created = run("store", "create", "Cli-Shop", "--name", "CLI Shop",
                  "--owner-email", "cli@example.com", "--json")  # fmt: skip
    assert created.returncode == 0, created.stderr
    store = json.loads(created.stdout)
    assert store["slug"] == "cli-shop" and store["status"] == "active"
    assert store["url"].startswith("http://cli-shop.localhost")

    listed = run("store", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    mine = next(r for r in rows if r["id"] == store["id"])
    assert {"id", "slug", "status", "database"} <= set(mine)

    assert "suspended" in run("store", "suspend", "cli-shop").stdout
    assert "active" in run("store", "resume", "cli-shop").stdout
    cancelled = run("store", "cancel", "cli-shop")
    assert "destroyed after" in cancelled.stdout

    refused = run("store", "delete", "cli-shop")
    assert "--yes" in one_error_line(refused)
    assert "deleted" in run("store", "delete", "cli-shop", "--yes").stdout


def test_bad_slug_is_one_clear_line(run):
    result = run("store", "create", "www", "--name", "X", "--owner-email", "a@b.co")
    assert "reserved" in one_error_line(result)


def test_duplicate_store_is_one_clear_line(run):
    args = ("--name", "Dup", "--owner-email", "dup@example.com")
    assert run("store", "create", "dup-shop", *args).returncode == 0
    result = run("store", "create", "DUP-shop", *args)
    assert "already exists" in one_error_line(result)
    run("store", "delete", "dup-shop", "--yes")


def test_unreachable_server_is_one_clear_line(run):
    result = run(
        "store", "list",
        DATABASE_URL="postgresql://postgres:hunter2@127.0.0.1:1/postgres",
    )  # fmt: skip
    line = one_error_line(result)
    assert "127.0.0.1:1" in line and "unavailable" in line
    assert "hunter2" not in result.stderr + result.stdout


def test_missing_master_key_is_one_clear_line_and_makes_nothing(run, tmp_path):
    result = run(
        "store", "create", "nokey", "--name", "N", "--owner-email", "n@example.com",
        APMT_MASTER_KEYS="", APMT_DATA_DIR=str(tmp_path),
    )  # fmt: skip
    assert "apmt init" in one_error_line(result)
    assert "nokey" not in run("store", "list").stdout


def test_wrong_master_key_is_refused_before_anything_is_written(run):
    import base64

    wrong = "kwrong1:" + base64.b64encode(os.urandom(32)).decode()
    result = run(
        "store", "create", "wrongkey", "--name", "W", "--owner-email", "w@example.com",
        APMT_MASTER_KEYS=wrong,
    )  # fmt: skip
    assert "master keys" in one_error_line(result)
    assert "wrongkey" not in run("store", "list").stdout


def test_migrate_reports_and_exits_zero(run):
    result = run("migrate", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["failed"] == 0


def test_bad_setting_is_one_clear_line(run):
    result = run("store", "list", APMT_POOL_PER_STORE="many")
    assert "APMT_POOL_PER_STORE" in one_error_line(result)
