"""Figures: how benchmarks report them, the printed table and the JSON file."""

import json
from pathlib import Path

RESULTS_DIR = Path(__file__).parent / "results"


def figure(name, value, unit="", *, goal=None, met=None):
    """One row of the table: a measured value and, maybe, the goal it is held to."""
    return {"name": name, "value": value, "unit": unit, "goal": goal, "met": met}


def format_table(results):
    """The figures of every benchmark as aligned text, one row per figure."""
    rows = [("benchmark", "figure", "value", "goal")]
    for bench, outcome in results.items():
        if "error" in outcome:
            rows.append((bench, "FAILED", outcome["error"][:60], ""))
            continue
        for fig in outcome.get("figures", []):
            rows.append((bench, fig["name"], _value(fig), _goal(fig)))

    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def write_results(document, stamp):
    """Write the run's JSON to ``bench/results/<stamp>.json``; return the path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def _value(fig):
    value = fig["value"]
    # Benchmarks round their figures; :g drops the trailing zeros of a float.
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {fig['unit']}".rstrip()


def _goal(fig):
    if fig["goal"] is None:
        return ""
    verdict = {True: "met", False: "MISSED", None: ""}[fig["met"]]
    return f"{fig['goal']} {verdict}".rstrip()
