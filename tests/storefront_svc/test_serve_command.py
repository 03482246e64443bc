"""``apmt serve storefront``: the gunicorn command line it runs."""

import argparse

from apmt import serve_commands


def parse(*argv):
    parser = argparse.ArgumentParser()
    serve_commands.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_serve_is_a_group_with_storefront_as_an_action():
    args = parse("serve", "storefront", "--host", "127.0.0.2", "--port", "9001")
    assert args.app == "storefront" and args.handler is serve_commands.run_storefront
    assert (args.host, args.port) == ("127.0.0.2", 9001)


def test_the_gunicorn_command_uses_our_settings_file(monkeypatch):
    monkeypatch.setenv("APMT_STOREFRONT_PORT", "8123")
    argv = serve_commands.storefront_argv()
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("-c") + 1].endswith("storefront_svc/gunicorn.conf.py")
    assert argv[-2:] == ["--bind", "127.0.0.1:8123"]
    assert serve_commands.storefront_argv("::1", 9000)[-1] == "[::1]:9000"
