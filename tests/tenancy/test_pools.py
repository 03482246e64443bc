import threading

import pytest

from tenancy.pools import PoolExhausted, StorePools


class FakeConn:
    """Stands in for a psycopg connection: the pool only needs these members."""

    opened = 0

    def __init__(self, dsn):
        FakeConn.opened += 1
        self.dsn = dsn
        self.closed = False
        self.broken = False

        class Info:
            transaction_status = 0  # psycopg.pq.TransactionStatus.IDLE

        self.info = Info()

    def close(self):
        self.closed = True


def make_pools(**kw):
    return StorePools(connect=FakeConn, timeout=0.2, **kw)


def test_connections_are_reused_per_store():
    pools = make_pools(per_store=2, max_stores=10, global_cap=10)
    with pools.connection(1, "db1") as first:
        pass
    with pools.connection(1, "db1") as again:
        pass
    assert again is first
    assert pools.open_connections == 1


def test_the_global_cap_closes_the_least_recently_used_idle_connection():
    pools = make_pools(per_store=2, max_stores=10, global_cap=2)
    with pools.connection(1, "db1") as one:
        pass
    with pools.connection(2, "db2"):
        pass
    with pools.connection(3, "db3"):
        assert pools.open_connections == 2
    assert one.closed


def test_bounded_number_of_stores_keep_idle_connections():
    pools = make_pools(per_store=1, max_stores=2, global_cap=50)
    handed = []
    for store in range(5):
        with pools.connection(store, f"db{store}") as conn:
            handed.append(conn)
    assert pools.open_connections == 2
    assert [c.closed for c in handed] == [True, True, True, False, False]


def test_a_busy_store_waits_then_gives_a_clear_error():
    pools = make_pools(per_store=1, max_stores=10, global_cap=10)
    with pools.connection(1, "db1"):
        with pytest.raises(PoolExhausted, match="store 1"):
            with pools.connection(1, "db1"):
                pass


def test_the_cap_holds_under_threads():
    pools = StorePools(per_store=3, max_stores=4, global_cap=5, connect=FakeConn)
    peak = []

    def work(store):
        for _ in range(50):
            with pools.connection(store, f"db{store}"):
                peak.append(pools.open_connections)

    threads = [threading.Thread(target=work, args=(s % 8,)) for s in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(peak) <= 5


def test_broken_connections_are_dropped():
    pools = make_pools(per_store=1, max_stores=10, global_cap=10)
    with pools.connection(1, "db1") as conn:
        conn.broken = True
    assert pools.open_connections == 0
    with pools.connection(1, "db1") as fresh:
        assert fresh is not conn


def test_real_connections_through_the_platform(platform, make_store):
    tenant = make_store()
    for _ in range(3):
        with tenant.transaction() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert platform.pools.open_connections >= 1
