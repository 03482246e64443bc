"""``apmt describe`` as scripts use it, with the platform handed in."""

import argparse
import json

import pytest

from apmt import describe_commands
from apmt.cli import UserError
from commerce import catalogue
from commerce import descriptions as service
from tests.commerce.descriptions.conftest import make_product


def parse(*argv):
    parser = argparse.ArgumentParser(prog="apmt")
    describe_commands.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["describe", *argv])


def test_describe_all_with_the_offline_writer_and_approve(
    shop, platform, offline_settings, capsys
):
    ids = [make_product(shop, "Pine Stool"), make_product(shop, "Ash Bench")]
    args = parse(shop.store.slug, "--all", "--writer", "offline", "--approve",
                 "--json")  # fmt: skip

    describe_commands.run_describe(args, platform=platform, settings=offline_settings)

    lines = capsys.readouterr().out.splitlines()
    drafts = [json.loads(line) for line in lines[:-1]]
    assert sorted(d["product"] for d in drafts) == sorted(ids)
    assert {d["status"] for d in drafts} == {"approved"}
    assert {d["writer"] for d in drafts} == {"offline"}
    assert lines[-1].endswith("done, 2 written, 0 failed, 0 left, 0 credits")
    assert catalogue.get_product(shop, ids[0]).seo_title == "Pine Stool | Kiln & Co"


def test_describe_named_products_leaves_drafts_for_review(
    shop, platform, offline_settings, capsys
):
    make_product(shop, "Pine Stool")
    args = parse(shop.store.slug, "--product", "pine-stool")

    describe_commands.run_describe(args, platform=platform, settings=offline_settings)

    assert "Pine Stool: pending, by Offline writer" in capsys.readouterr().out
    assert len(service.list_review_queue(shop)) == 1


def test_a_stopped_job_is_an_error(broke_shop, platform, ai_settings):
    make_product(broke_shop, "Pine Stool")
    args = parse(broke_shop.store.slug, "--all", "--writer", "anthropic")

    with pytest.raises(UserError, match="not enough AI credits"):
        describe_commands.run_describe(args, platform=platform, settings=ai_settings)


def test_product_or_all_is_required():
    with pytest.raises(SystemExit):
        parse("shop")
