"""``apmt demo`` as the README's first command runs it, without serving."""

import socket

from tests.apmt.test_cli import run  # noqa: F401 - fixture


def test_the_demo_fills_its_store_once_and_reuses_it(run):  # noqa: F811
    first = run("demo", "--no-serve")
    assert first.returncode == 0, first.stderr
    assert "demo store: created demo" in first.stdout
    assert "catalogue: 3750 created" in first.stdout
    assert "http://demo.localhost" in first.stdout
    assert "log in as   owner@demo.example / " in first.stdout
    assert "nothing is running" in first.stdout

    again = run("demo", "--no-serve")
    assert again.returncode == 0, again.stderr
    assert "demo store: reusing demo" in again.stdout
    assert "3750 unchanged" in again.stdout


def test_a_taken_port_is_named_before_anything_starts(run):  # noqa: F811
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        refused = run("demo", APMT_STOREFRONT_PORT=str(port))

    assert refused.returncode != 0
    line = refused.stderr.strip().splitlines()[-1]
    assert f"port {port} on 127.0.0.1 is in use" in line
    assert "APMT_STOREFRONT_PORT" in line
    assert refused.stdout == ""  # refused before setting anything up
