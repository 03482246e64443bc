"""The PostgreSQL servers that hold store databases.

The primary server is the one named by ``DATABASE_URL`` (or the embedded one);
it also holds the registry. More servers can be registered with their superuser
DSN, which is stored sealed. A new store goes to the least-loaded server.
"""

from tenancy.errors import ConfigError, TenancyError

PRIMARY = "primary"


def ensure_primary(conn):
    """Make sure the registry knows the primary server; return its id."""
    conn.execute(
        """INSERT INTO db_servers (name, is_primary) VALUES (%s, true)
           ON CONFLICT (name) DO NOTHING""",
        (PRIMARY,),
    )
    return conn.execute("SELECT id FROM db_servers WHERE is_primary").fetchone()[0]


def add_server(conn, keyring, name, dsn, max_stores=None):
    """Register another server; its DSN is sealed to its row."""
    if not name or not name.replace("-", "").isalnum() or name == PRIMARY:
        raise ConfigError("server name", f"{name!r} must be letters, digits and -")

    row = conn.execute(
        """INSERT INTO db_servers (name, max_stores) VALUES (%s, %s)
           ON CONFLICT (name) DO NOTHING RETURNING id""",
        (name, max_stores),
    ).fetchone()
    if row is None:
        raise TenancyError(f"a database server named {name!r} is already registered")

    conn.execute(
        "UPDATE db_servers SET dsn_sealed = %s WHERE id = %s",
        (keyring.seal(dsn, _context(row[0])), row[0]),
    )
    return row[0]


def list_servers(conn):
    """Each server with the number of stores it holds."""
    return conn.execute(
        """SELECT s.id, s.name, s.is_primary, s.max_stores,
                  count(st.id) FILTER (WHERE st.status <> 'deleted') AS stores
           FROM db_servers s LEFT JOIN stores st ON st.server_id = s.id
           GROUP BY s.id ORDER BY s.id"""
    ).fetchall()


def pick_server(conn):
    """The least-loaded server that still has room; ties go to the oldest."""
    for server_id, _, _, max_stores, stores in sorted(
        list_servers(conn), key=lambda row: (row[4], row[0])
    ):
        if max_stores is None or stores < max_stores:
            return server_id
    raise TenancyError("every database server is full; register another one")


def server_dsn(conn, keyring, server_id, primary_dsn):
    """The superuser DSN of a server."""
    row = conn.execute(
        "SELECT is_primary, dsn_sealed FROM db_servers WHERE id = %s", (server_id,)
    ).fetchone()
    if row is None:
        raise ConfigError("database server", f"no server with id {server_id}")
    if row[0]:
        return primary_dsn
    return keyring.open(row[1], _context(server_id))


def _context(server_id):
    return f"server:{server_id}:dsn"
