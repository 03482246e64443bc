"""The staff notebooks run top to bottom against a warehouse of seeded stores.

They are committed without outputs; a test here checks that as well.
"""

import json
import os
from pathlib import Path

import pytest

from etl.warehouse import build_warehouse
from tests.etl.test_warehouse import seeded  # noqa: F401 - a fixture

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    names = {path.name for path in NOTEBOOKS}
    assert {"platform_usage.ipynb", "store_health.ipynb"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    for cell in cells:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_against_a_seeded_warehouse(
    path,
    platform,
    seeded,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    build_warehouse(platform, tmp_path / "warehouse")
    monkeypatch.setenv("APMT_WAREHOUSE", str(tmp_path / "warehouse"))
    notebook = nbformat.read(path, as_version=4)

    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=dict(os.environ))

    texts = [
        output.get("data", {}).get("text/plain", "") + output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    ]
    assert texts and not any("Traceback" in text for text in texts)
