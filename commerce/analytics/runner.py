"""Running the analytics SQL on DuckDB, or the very same text on PostgreSQL.

The figures are written once, in SQL both engines accept, with psycopg's
``%(name)s`` placeholders. ``DuckRunner`` turns them into DuckDB's ``$name``;
``PostgresRunner`` exists so the bench can time the same queries on the
store's own database, over views shaped like the mirror.
"""

import re

import pandas as pd

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_TEMP_TABLE = re.compile(r"\s*CREATE TEMP TABLE (\w+)")
_DROP = re.compile(r"DROP TABLE IF EXISTS (\w+)")


class DuckRunner:
    """Runs analytics SQL on a DuckDB connection."""

    engine = "duckdb"

    def __init__(self, con):
        self.con = con

    def execute(self, sql, params=None):
        self.con.execute(_PLACEHOLDER.sub(r"$\1", sql), params or {})

    def frame(self, sql, params=None):
        """The result as a DataFrame; DECIMAL columns hold exact ``Decimal``s."""
        cursor = self.con.execute(_PLACEHOLDER.sub(r"$\1", sql), params or {})
        columns = [item[0] for item in cursor.description]
        return _frame(cursor.fetchall(), columns)


class PostgresRunner:
    """Runs the same SQL on a psycopg connection (the bench's baseline)."""

    engine = "postgres"

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql, params=None):
        # A temp table's name must never reach a real table of the store.
        sql = _DROP.sub(r"DROP TABLE IF EXISTS pg_temp.\1", sql)
        self.conn.execute(sql, params or {})
        created = _TEMP_TABLE.match(sql)
        if created:
            # PostgreSQL plans joins on a new temp table blind until analysed;
            # DuckDB needs no such step.
            self.conn.execute(f"ANALYZE {created[1]}")

    def frame(self, sql, params=None):
        cursor = self.conn.execute(sql, params or {})
        columns = [item.name for item in cursor.description]
        return _frame(cursor.fetchall(), columns)


def _frame(rows, columns):
    # NOTE: built from Python values rather than DuckDB's .df(), which turns
    # DECIMAL into float64; object columns of Decimal stay exact.
    return pd.DataFrame.from_records(rows, columns=columns)
