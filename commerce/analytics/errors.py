"""Errors of the analytics engine, a branch of the commerce hierarchy::

    CommerceError
    └── AnalyticsError          analytics could not answer for a store
        ├── EngineUnavailable   DuckDB or its postgres scanner cannot start
        └── PrecisionLost       a money value would not fit the exact mirror type

A bad period or breakdown name is ``commerce.errors.InvalidInput``, as
elsewhere in commerce. Messages carry the store id, never a DSN or a value.
"""

from commerce.errors import CommerceError


class AnalyticsError(CommerceError):
    """Base class of the errors the analytics engine raises on purpose."""

    def __init__(self, store_id, problem):
        self.store_id = store_id
        self.problem = problem
        super().__init__(f"analytics of store {store_id}: {problem}")


class EngineUnavailable(AnalyticsError):
    """DuckDB, its postgres extension or the store connection failed to start."""


class PrecisionLost(AnalyticsError):
    """A money column holds more decimals (or digits) than the mirror keeps."""

    def __init__(self, store_id, table):
        self.table = table
        super().__init__(
            store_id,
            f"{table} holds an amount with more than 6 decimals or 12 integer "
            "digits; refusing to round it",
        )
