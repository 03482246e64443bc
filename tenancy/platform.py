"""The platform: registry, master keys and store connections in one handle.

A process builds one ``Platform`` at its edge (CLI command, web app factory,
worker) and passes it, or the ``Tenant`` handles it gives out, down to services.
There is no ambient current store: a store id travels explicitly.
"""

import logging
from contextlib import contextmanager
from functools import cached_property

from psycopg import sql

from tenancy import db, registry, schema, servers
from tenancy.config import load_config
from tenancy.errors import SecretUnavailable
from tenancy.pools import StorePools
from tenancy.secrets import Keyring

log = logging.getLogger(__name__)

# Advisory lock taken on the registry around use of a template database:
# shared while cloning it, exclusive while migrating it.
TEMPLATE_LOCK = 0x41504D54


class Tenant:
    """One store and the way to its database, through the store's own role."""

    def __init__(self, platform, store):
        self.platform = platform
        self.store = store

    @property
    def id(self):
        return self.store.id

    @contextmanager
    def connection(self):
        """A pooled connection to this store's database (no transaction)."""
        dsn = self.platform.store_dsn(self.store)
        with self.platform.pools.connection(self.store.id, dsn) as conn:
            yield conn

    @contextmanager
    def transaction(self):
        """A connection inside one transaction, committed when the block ends."""
        with self.connection() as conn, conn.transaction():
            yield conn

    def __repr__(self):
        return f"<Tenant {self.store.id} {self.store.slug}>"


class Platform:
    """Everything a process needs to reach the registry and the stores."""

    def __init__(self, config, *, primary_dsn=None, keyring=None):
        self.config = config
        self._primary_dsn = primary_dsn
        self._keyring = keyring
        self._store_dsns = {}
        self._keys_checked = False

    @classmethod
    def open(cls, config=None):
        return cls(config or load_config())

    # -- servers and the registry ------------------------------------------------

    @property
    def primary_dsn(self):
        """Superuser DSN of the primary server; starts the embedded one if needed."""
        if self._primary_dsn is None:
            if self.config.database_url:
                self._primary_dsn = self.config.database_url
            else:
                from tenancy.embedded import ensure_embedded_server

                self._primary_dsn = ensure_embedded_server(self.config.data_dir)
        return self._primary_dsn

    def admin_connection(self, dbname="postgres", server_dsn=None):
        """A superuser autocommit connection, for provisioning and migrations."""
        dsn = db.with_database(server_dsn or self.primary_dsn, dbname)
        return db.connect(dsn, autocommit=True)

    @contextmanager
    def registry(self):
        """A registry connection inside one transaction."""
        with self.registry_connection() as conn, conn.transaction():
            yield conn

    @contextmanager
    def registry_connection(self):
        """A registry connection without a transaction (autocommit off)."""
        conn = self.open_registry()
        try:
            yield conn
        finally:
            conn.close()

    def open_registry(self):
        """A new registry connection; the caller closes it."""
        return db.connect(db.with_database(self.primary_dsn, self.config.registry_db))

    @cached_property
    def keyring(self):
        if self._keyring is None:
            self._keyring = Keyring.from_config(self.config)
        return self._keyring

    @cached_property
    def pools(self):
        return StorePools(
            self.config.pool_per_store,
            self.config.pool_stores,
            self.config.pool_global_cap,
        )

    def close(self):
        if "pools" in self.__dict__:
            self.pools.close()

    # -- set-up ------------------------------------------------------------------

    def ensure_registry(self):
        """Create the registry database if needed and upgrade it to head."""
        with self.admin_connection() as admin:
            if not db.database_exists(admin, self.config.registry_db):
                admin.execute(
                    sql.SQL("CREATE DATABASE {}").format(
                        sql.Identifier(self.config.registry_db)
                    )
                )
                admin.execute(
                    sql.SQL("REVOKE CONNECT ON DATABASE {} FROM PUBLIC").format(
                        sql.Identifier(self.config.registry_db)
                    )
                )
        dsn = db.with_database(self.primary_dsn, self.config.registry_db)
        before, after = schema.upgrade(dsn, schema.registry_scripts())
        with self.registry() as conn:
            servers.ensure_primary(conn)
        return before, after

    def check_keys(self):
        """Refuse a keyring that does not match the one the registry was set up with.

        Each key leaves a canary in the registry; a missing or wrong key is found
        here, before anything is written with it. Checked once per process.
        """
        if self._keys_checked:
            return
        keyring = self.keyring
        with self.registry() as conn:
            rows = dict(conn.execute("SELECT kid, sealed FROM key_canaries").fetchall())
            if not rows:
                self._plant_canary(conn, keyring)
                self._keys_checked = True
                return
            for kid, sealed in rows.items():
                if kid in keyring.key_ids:
                    keyring.open(sealed, f"canary:{kid}")
            if keyring.current not in rows:
                if not set(rows) & set(keyring.key_ids):
                    raise SecretUnavailable(
                        "master keys",
                        "none of the loaded keys is one this registry knows "
                        f"(it knows {', '.join(sorted(rows))})",
                    )
                self._plant_canary(conn, keyring)
        self._keys_checked = True

    def _plant_canary(self, conn, keyring):
        conn.execute(
            """INSERT INTO key_canaries (kid, sealed) VALUES (%s, %s)
               ON CONFLICT (kid) DO NOTHING""",
            (keyring.current, keyring.seal("ok", f"canary:{keyring.current}")),
        )

    # -- stores ------------------------------------------------------------------

    def store(self, key):
        """The registry record of a store, by id or slug."""
        with self.registry() as conn:
            return registry.get_store(conn, key)

    def tenant(self, key):
        return Tenant(self, self.store(key))

    def store_dsn(self, store):
        """The DSN that reaches ``store``'s database as the store's own role."""
        cached = self._store_dsns.get(store.id)
        if cached is not None:
            return cached

        with self.registry() as conn:
            sealed = conn.execute(
                "SELECT role_password FROM stores WHERE id = %s", (store.id,)
            ).fetchone()[0]
            server = servers.server_dsn(
                conn, self.keyring, store.server_id, self.primary_dsn
            )
        password = self.keyring.open(sealed, f"store:{store.id}:db_password")
        dsn = db.with_database(
            server, store.db_name, user=store.role_name, password=password
        )
        self._store_dsns[store.id] = dsn
        return dsn

    def server_dsn_for(self, server_id):
        with self.registry() as conn:
            return servers.server_dsn(conn, self.keyring, server_id, self.primary_dsn)

    def forget_store(self, store_id):
        """Drop cached connections and DSN of a store (suspension, deletion)."""
        self._store_dsns.pop(store_id, None)
        if "pools" in self.__dict__:
            self.pools.close_store(store_id)
