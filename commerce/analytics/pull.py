"""Two ways to bring a ``Source`` from PostgreSQL into a DuckDB table.

- ``Scanner``: DuckDB's postgres extension (``postgres_query`` over binary
  COPY), attached with the store's own role. Needs DuckDB 1.5.5 and the
  extension wheel of the same version.
- ``Copier``: psycopg ``COPY ... TO STDOUT (FORMAT csv)`` through the store's
  pooled connection into a spool file, read back with ``read_csv`` and the
  source's declared column types, so types stay exact on any DuckDB.

Both fill a table created from the source's own column list, so the mirror
has the same types whichever engine filled it. The bench measures both; the
service uses the scanner and falls back to the copier when the scanner
cannot load.
"""

import logging
import os
import re
import tempfile

import duckdb
import psycopg
from psycopg.conninfo import make_conninfo

from commerce.analytics.engine import load_scanner
from commerce.analytics.errors import EngineUnavailable, PrecisionLost
from commerce.analytics.source import PRECISION_MARK

log = logging.getLogger(__name__)

ALIAS = "store_pg"
# Connections the analytics engine opens say so, and the watermark probe
# leaves them out of the transactions it waits for (see sync.probe).
APPLICATION_NAME = "apmt-analytics"
_PASSWORD = re.compile(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


class Scanner:
    """Pulls through DuckDB's postgres extension, as the store's own role."""

    name = "scanner"

    def __init__(self, con, dsn, store_id):
        self.con = con
        self.store_id = store_id
        if not load_scanner(con):
            raise EngineUnavailable(store_id, "the postgres scanner cannot load")

        attached = con.execute(
            "SELECT 1 FROM duckdb_databases() WHERE database_name = ?", [ALIAS]
        ).fetchone()
        if attached:
            return
        conninfo = make_conninfo(dsn, application_name=APPLICATION_NAME)
        literal = "'" + conninfo.replace("'", "''") + "'"
        try:
            # NOTE: ATTACH takes no bind parameter; the DSN goes in as a literal.
            con.execute(f"ATTACH {literal} AS {ALIAS} (TYPE postgres, READ_ONLY)")
        except duckdb.Error:
            # NOTE: DuckDB's message can quote the DSN, password included.
            raise EngineUnavailable(
                store_id, "the store database refused the scanner"
            ) from None

    def run(self, statement, source):
        """Execute ``statement``, whose ``{rows}`` stands for the source's rows;
        return the first row of its result (an INSERT's count)."""
        rows = f"postgres_query('{ALIAS}', $source_sql)"
        try:
            cursor = self.con.execute(
                statement.format(rows=rows), {"source_sql": source.sql}
            )
        except duckdb.Error as exc:
            raise _translate(self.store_id, source, exc) from None
        return cursor.fetchone()

    def fetch(self, table, source):
        """Replace temp table ``table`` with the rows of ``source``."""
        _create(self.con, table, source)
        return self.run(f"INSERT INTO {table} SELECT * FROM {{rows}}", source)


class Copier:
    """Pulls with psycopg COPY into a spool file that DuckDB reads with types."""

    name = "copy"

    def __init__(self, con, connection, store_id, spool_dir=None):
        self.con = con
        self.connection = connection
        self.store_id = store_id
        self.spool_dir = spool_dir

    def run(self, statement, source):
        fd, path = tempfile.mkstemp(suffix=".csv", dir=self.spool_dir)
        try:
            with os.fdopen(fd, "wb") as spool:
                self._copy(source, spool)
            rows = (
                f"read_csv($spool, columns = {_struct(source.columns)}, "
                "header = false, auto_detect = false, allow_quoted_nulls = false, "
                "quote = '\"', escape = '\"')"
            )
            cursor = self.con.execute(statement.format(rows=rows), {"spool": path})
            return cursor.fetchone()
        finally:
            os.unlink(path)

    def fetch(self, table, source):
        _create(self.con, table, source)
        return self.run(f"INSERT INTO {table} SELECT * FROM {{rows}}", source)

    def _copy(self, source, spool):
        statement = f"COPY ({source.sql}) TO STDOUT (FORMAT csv)"
        try:
            with self.connection() as conn, conn.cursor().copy(statement) as copy:
                for chunk in copy:
                    spool.write(chunk)
        except psycopg.Error as exc:
            raise _translate(self.store_id, source, exc) from None


def _create(con, table, source):
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(source.ddl(table, temp=True))


def _struct(columns):
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in columns) + "}"


def _translate(store_id, source, exc):
    text = str(exc)
    if PRECISION_MARK in text or "numeric field overflow" in text:
        return PrecisionLost(store_id, source.name)
    diag = getattr(exc, "diag", None)
    reason = getattr(diag, "message_primary", None) or text.splitlines()[0]
    # DuckDB's message can quote the DSN; its password never reaches the log.
    reason = _PASSWORD.sub("password=***", reason)
    log.warning("store=%s pull of %s failed: %s", store_id, source.name, reason)
    return EngineUnavailable(store_id, f"reading {source.name} failed")
