"""Drift checks between the code and the README."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["tenancy", "commerce", "etl", "storefront_svc", "admin_app", "apmt"]
VARIABLE = re.compile(
    r"""(?:env|environ|getenv)[\w.]*(?:\.get)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|environ\[\s*["']([A-Z][A-Z0-9_]+)["']\s*\]"""
)


def variables_read():
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for match in VARIABLE.finditer(path.read_text()):
                name = match.group(1) or match.group(2)
                found.setdefault(name, path.relative_to(REPO))
    return found


def test_every_variable_read_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", readme, re.MULTILINE))

    missing = {name: str(where) for name, where in variables_read().items()
               if name not in documented}  # fmt: skip
    assert not missing, f"read but not in the README's table: {missing}"


def test_the_scan_finds_the_settings():
    assert {"DATABASE_URL", "APMT_BASE_DOMAIN", "APMT_DATA_DIR"} <= set(
        variables_read()
    )


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^\s*make test\b", ci, re.MULTILINE)
