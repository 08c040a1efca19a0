"""The notebook harness.

For every notebook in ``notebooks/``: papermill executes it in the smoke profile into
an executed copy (``results/test/smoke/notebooks/``); nbval, in lax mode with the
sanitize file, then re-executes that copy (its injected smoke parameters included) and
compares the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``.  So the suite checks
that a re-execution reproduces the same numbers.  A new notebook joins by being added to
the folder.
"""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from s2i_lib.course.execution import execute, list_notebooks

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "test"
NOTEBOOKS = list_notebooks(ROOT / "notebooks")


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_topic.ipynb"


@pytest.mark.notebooks
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_and_reexecutes_identically(nb):
    executed = RESULTS / "smoke" / "notebooks" / nb.name
    execute(nb, executed, {"PROFILE": "smoke", "SEED": 0, "RESULTS_DIR": str(RESULTS)})
    out = nbformat.read(str(executed), as_version=4)
    errors = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    figures = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})]
    plotting = [c for c in out.cells if c.cell_type == "code" and "plt.show()" in c.source]
    assert len(figures) >= len(plotting), f"{nb.name}: {len(plotting)} cells plot but {len(figures)} figures were saved"
    checked = [c for c in out.cells if c.cell_type == "code" and "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked, f"{nb.name}: no cell is marked # NBVAL_CHECK_OUTPUT"
    assert all(c.get("outputs") for c in checked), f"{nb.name}: a checked cell printed nothing"
    metrics = RESULTS / "smoke" / "metrics" / (nb.stem + ".json")
    assert metrics.exists(), f"{nb.name} wrote no metrics file"
    assert json.loads(metrics.read_text())["provenance"]["profile"] == "smoke"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                        "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
                        "--rootdir", str(executed.parent), str(executed)],
                       capture_output=True, text=True, cwd=str(executed.parent))
    assert r.returncode == 0, f"nbval re-execution of {executed} differs:\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
