"""Benchmarks of the platform, run together by ``make bench``.

Each benchmark is one module here with ``run(ctx) -> dict``: it takes a
``bench.common.Context``, asks it for a sandbox (a platform of its own under a
fresh database prefix), measures, and returns its figures built with
``bench.report.figure`` plus whatever raw samples it wants kept in the JSON.

The machines are shared and noisy, so every figure that matters is a ratio
against a baseline measured in the same run, and every measurement is repeated
and summarised by its median. To add a benchmark, write its module and add its
name to ``BENCHMARKS``.
"""

BENCHMARKS = (
    "provisioning",
    "migrations",
    "imports",
    "storefront",
    "webhooks",
    "warehouse",
    "analytics",
)
