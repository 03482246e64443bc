"""The embedded server path, exercised once: start, reuse, stop."""

import psycopg
import pytest

from tenancy.embedded import (
    embedded_status,
    ensure_embedded_server,
    stop_embedded_server,
)


@pytest.mark.slow
def test_embedded_server_starts_is_reused_and_stops(tmp_path):
    data_dir = tmp_path / "data"
    try:
        url = ensure_embedded_server(data_dir)
        assert url.startswith("postgresql://postgres@127.0.0.1:")
        with psycopg.connect(url) as conn:
            conn.execute("CREATE TABLE kept (id int)")

        assert ensure_embedded_server(data_dir) == url
        assert embedded_status(data_dir).startswith("running")
    finally:
        stopped = stop_embedded_server(data_dir)
    assert stopped
    assert embedded_status(data_dir) == "stopped"

    # Started again, the same data is there.
    try:
        url = ensure_embedded_server(data_dir)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT to_regclass('kept')").fetchone()[0] == "kept"
    finally:
        stop_embedded_server(data_dir)
