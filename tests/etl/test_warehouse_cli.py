"""``apmt etl run``, with the platform of the tests."""

import argparse

import pytest

from apmt import etl_commands


def parse(*argv):
    parser = argparse.ArgumentParser()
    etl_commands.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_run_builds_the_warehouse(platform, tenant, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(etl_commands, "open_platform", lambda: platform)
    args = parse("etl", "run", "--out", str(tmp_path), "--jobs", "2")

    assert args.handler(args) == 0
    assert "warehouse.duckdb" in capsys.readouterr().out
    assert (tmp_path / "warehouse.duckdb").exists()


def test_jobs_must_be_positive():
    from apmt.cli import UserError

    args = parse("etl", "run", "--jobs", "0")
    with pytest.raises(UserError):
        args.handler(args)
