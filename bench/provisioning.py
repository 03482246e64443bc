"""Creating a store, against cloning the template by hand.

The goal: ``apmt store create`` costs at most 1.5 times a bare ``CREATE DATABASE
... TEMPLATE`` issued through ``psql``. Both are processes a user starts, so both
pay a process start. The same pair in process (``provision_store`` against the
bare statement on an open connection) leaves out interpreter start and imports,
and the breakdown (interpreter start, imports, the per-step times that
``tenancy.provisioning`` logs) says where the rest of the time goes.
"""

import logging
import re
import statistics
import sys
from collections import defaultdict
from contextlib import contextmanager
from itertools import count

from psycopg import sql

from bench.report import figure
from bench.timing import alternate, ratio, run_command, summarise, time_call
from tenancy import StoreRequest, provision_store

GOAL_RATIO = 1.5

# What a process running ``apmt store create`` imports before it does anything.
_CLI_IMPORTS = "import apmt.cli, apmt.store_commands, tenancy"

_STEP = re.compile(r"step=(\w+) ms=([\d.]+)")


def run(ctx):
    sandbox = ctx.sandbox("prov")
    rounds = 3 if ctx.options.quick else ctx.options.repeat
    bare_names = (f"{sandbox.prefix}_bare{n}" for n in count())

    processes = _compare_processes(ctx, sandbox, rounds, bare_names)
    in_process, steps = _compare_in_process(ctx, sandbox, rounds, bare_names)
    breakdown, cli_steps = _break_down_cli(sandbox, rounds)

    process_ratio = ratio(processes["apmt"], processes["psql"])
    in_process_ratio = ratio(in_process["provision_store"], in_process["bare"])
    cli_steps_s = sum(cli_steps.values()) / 1000
    figures = [
        figure("apmt store create", _median(processes["apmt"]), "s"),
        figure("psql CREATE DATABASE TEMPLATE", _median(processes["psql"]), "s"),
        _ratio_figure("ratio, as processes", process_ratio),
        figure(
            "provision_store, in process", _median(in_process["provision_store"]), "s"
        ),
        figure("CREATE DATABASE, open connection", _median(in_process["bare"]), "s"),
        _ratio_figure("ratio, in process", in_process_ratio),
        figure("python start + CLI imports", _median(breakdown["imports"]), "s"),
        figure("steps logged by apmt -v", round(cli_steps_s, 3), "s"),
    ]
    return {
        "figures": figures,
        "rounds": rounds,
        "processes": {name: summarise(s) for name, s in processes.items()},
        "in_process": {name: summarise(s) for name, s in in_process.items()},
        "ratio_processes": round(process_ratio, 3),
        "ratio_in_process": round(in_process_ratio, 3),
        "breakdown": {name: summarise(s) for name, s in breakdown.items()},
        "steps_ms_in_process": steps,
        "steps_ms_cli": cli_steps,
    }


def _compare_processes(ctx, sandbox, rounds, bare_names):
    template = sql.Identifier(sandbox.config.template_db).as_string()

    def apmt(index):
        argv = sandbox.apmt("store", "create", f"cli-{index}", "--name", "Bench",
                            "--owner-email", f"cli-{index}@bench.test")  # fmt: skip
        return run_command(argv, sandbox.env).seconds

    def psql(index):
        name = sql.Identifier(next(bare_names)).as_string()
        statement = f"CREATE DATABASE {name} TEMPLATE {template}"
        return run_command(ctx.psql(statement), sandbox.env).seconds

    return alternate(rounds, {"apmt": apmt, "psql": psql})


def _compare_in_process(ctx, sandbox, rounds, bare_names):
    platform = sandbox.platform
    template = sql.Identifier(sandbox.config.template_db)
    per_call = {}

    with ctx.admin_connection() as admin, _captured_steps() as steps:

        def provision(index):
            steps.clear()
            request = StoreRequest(
                slug=f"lib-{index}",
                display_name="Bench",
                owner_email=f"lib-{index}@bench.test",
            )
            seconds = time_call(provision_store, platform, request)
            per_call[index] = dict(steps)
            return seconds

        def bare(index):
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(next(bare_names)), template
            )
            return time_call(admin.execute, statement)

        samples = alternate(rounds, {"provision_store": provision, "bare": bare})

    # The first call was the warm-up, whose samples alternate() dropped too.
    kept = [per_call[index] for index in sorted(per_call)[1:]]
    return samples, _median_steps(kept)


def _break_down_cli(sandbox, rounds):
    """Interpreter start, imports, and the step times of a verbose create."""
    python = sys.executable
    per_call = []

    def start(index):
        return run_command([python, "-c", "pass"], sandbox.env).seconds

    def imports(index):
        return run_command([python, "-c", _CLI_IMPORTS], sandbox.env).seconds

    def verbose(index):
        argv = sandbox.apmt("-v", "store", "create", f"prof-{index}", "--name",
                            "Bench", "--owner-email", "prof@bench.test")  # fmt: skip
        done = run_command(argv, sandbox.env)
        per_call.append({m[1]: float(m[2]) for m in _STEP.finditer(done.stderr)})
        return done.seconds

    samples = alternate(
        rounds, {"python_start": start, "imports": imports, "apmt_verbose": verbose}
    )
    return samples, _median_steps(per_call[1:])


@contextmanager
def _captured_steps():
    """Collect ``step -> ms`` from the provisioning log instead of printing it."""
    logger = logging.getLogger("tenancy.provisioning")
    handler = _StepHandler()
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler.steps
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


class _StepHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.steps = {}

    def emit(self, record):
        match = _STEP.search(record.getMessage())
        if match:
            self.steps[match[1]] = float(match[2])


def _median_steps(per_call):
    by_step = defaultdict(list)
    for steps in per_call:
        for name, ms in steps.items():
            by_step[name].append(ms)
    return {name: round(statistics.median(ms), 1) for name, ms in by_step.items()}


def _ratio_figure(name, value):
    return figure(
        name, round(value, 2), "x", goal=f"<= {GOAL_RATIO}", met=value <= GOAL_RATIO
    )


def _median(samples):
    return round(statistics.median(samples), 3)
