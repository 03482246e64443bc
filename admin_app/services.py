"""The bulk-data services the dashboard uses but may not import.

Imports and exports live in ``etl``, which sits beside ``admin_app`` in the
layer contract (pyproject's import-linter), so the dashboard cannot import it.

NOTE: the top layer, ``apmt``, may import everything: ``apmt.admin_wiring``
builds a ``Services`` from ``etl`` and hands it to ``admin_app.asgi.create_app``
when it starts the server. The pages call these callables and know only their
duck-typed results (an import report's counts and rejected rows, a list of
batches, a row count). Tests pass fakes the same way. A process started without
the wiring gets ``unwired()``, whose every call says how to start properly.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


class ServiceRefused(Exception):
    """An import, undo or export refused as asked; the message says why."""


def _not_wired(*_args, **_kwargs):
    raise ServiceRefused(
        "imports and exports are not available in this process; start the "
        "dashboard with `apmt serve admin`"
    )


@dataclass(frozen=True)
class Services:
    """Callables with the signatures of their ``etl`` counterparts.

    ``import_*(tenant, path, *, format, dry_run, actor, progress)`` returns a
    report with ``created``, ``updated``, ``unchanged``, ``rejected`` (dicts of
    row, column, reason), ``warnings`` and ``batch``. ``export(tenant, what,
    fmt, out, *, layout, bom)`` writes ``out`` and returns the row count. Every
    refusal is raised as ``ServiceRefused``.
    """

    import_products: Callable = _not_wired
    import_stock: Callable = _not_wired
    import_sales: Callable = _not_wired
    list_batches: Callable = _not_wired
    undo_import: Callable = _not_wired
    export: Callable = _not_wired
    import_formats: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "products": ("auto",),
            "stock": ("auto",),
            "sales": ("auto",),
        }
    )
    export_whats: tuple[str, ...] = ("inventory", "products", "store")
    export_formats: tuple[str, ...] = ("csv", "xlsx", "json")
    export_layouts: tuple[str, ...] = ("apmt", "shopify")

    def importer(self, kind):
        return {
            "products": self.import_products,
            "stock": self.import_stock,
            "sales": self.import_sales,
        }[kind]


def unwired():
    return Services()
