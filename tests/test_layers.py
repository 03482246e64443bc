"""The direction of imports in DESIGN.md, checked by import-linter."""

import subprocess
import sys
from pathlib import Path

import tenancy

REPO = Path(__file__).resolve().parents[1]


def test_lower_layers_never_import_higher_ones():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_tenancy_exports_a_deliberate_surface():
    exported = set(tenancy.__all__)
    assert {"Platform", "Tenant", "provision_store", "TenancyError"} <= exported
    assert all(not name.startswith("_") for name in exported)
