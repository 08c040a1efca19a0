"""The notebook harness.

For every notebook in ``notebooks/``: papermill executes its *instructor version* (every
cell of the source, and each exercise's solution unfolded into cells tagged ``solution``,
:mod:`s2i_lib.course.versions`) in the smoke profile into an executed copy
(``results/test/smoke/notebooks/``), so the solutions must run in the notebook's own
state; nbval, in lax mode with the sanitize file, then re-executes that copy without the
solution cells (the source notebook, its injected smoke parameters included) and compares
the outputs of the cells marked ``# NBVAL_CHECK_OUTPUT``.  So the suite checks that a
re-execution reproduces the same numbers.  It also fails when a cell of the
executed copy holds more than ``MAX_PROGRESS_LINES`` lines of progress output (no walls of
progress bars in a saved notebook).  A new notebook joins by being added to the folder.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from s2i_lib.course import versions
from s2i_lib.course.execution import KERNEL_ENV, execute, list_notebooks
from s2i_lib.course.progress import is_progress_line

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "results" / "test"
NOTEBOOKS = list_notebooks(ROOT / "notebooks")
MAX_PROGRESS_LINES = 5
WIDGET = "application/vnd.jupyter.widget-view+json"


def progress_lines(cell) -> int:
    """Lines of progress output in one executed cell: bar-like or finished-bar lines of its
    stdout and stderr streams (split at ``\\r`` as well as newlines, so each redraw of a text
    bar counts) and every widget output (a tqdm widget saved in the notebook)."""
    n = 0
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            n += sum(is_progress_line(line) for line in re.split(r"[\r\n]+", out.get("text", "")) if line.strip())
        elif WIDGET in out.get("data", {}):
            n += 1
    return n


def too_much_progress(nb) -> list:
    """``(cell index, lines)`` for each code cell with more than MAX_PROGRESS_LINES."""
    counts = [(i, progress_lines(c)) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return [(i, n) for i, n in counts if n > MAX_PROGRESS_LINES]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no NN_topic.ipynb"


def test_progress_counter_flags_walls_of_bars_and_passes_summary_lines():
    """The counter itself, on cells shaped like the executed notebooks before and after the
    headless progress lines (a text bar redrawn with ``\\r`` in separate stderr outputs)."""
    def stream(name, text):
        return nbformat.v4.new_output("stream", name=name, text=text)
    wall = nbformat.v4.new_code_cell("train()")
    for epoch in range(1, 4):
        wall.outputs += [stream("stderr", f"\rLMS 3-conv {epoch}/3:   0%|          | 0/5 [00:00<?, ?it/s]"),
                         stream("stderr", "\r                                                     "),
                         stream("stderr", "\r")]
    wall.outputs.append(stream("stderr", "\rSynthAV scenes:  64%|###   | 23/36 [00:05<00:02,  4.55clip/s]"
                                         "\rSynthAV scenes: 100%|#####| 36/36 [00:06<00:00,  5.60clip/s]\n"))
    tidy = nbformat.v4.new_code_cell("train()")
    tidy.outputs = [stream("stdout", "classifiers: 20/20 in 31 s\nSynthAV scenes: 36/36 clips in 6.4 s\n"),
                    stream("stdout", "chance: scenes 0.111; 96 training pairs per run\n")]
    widget = nbformat.v4.new_code_cell("train()")
    widget.outputs = [nbformat.v4.new_output("display_data", data={WIDGET: {"model_id": str(k)}, "text/plain": "x"})
                      for k in range(6)]
    nb = nbformat.v4.new_notebook(cells=[wall, tidy, widget])
    assert [progress_lines(c) for c in nb.cells] == [5, 2, 6]
    assert too_much_progress(nb) == [(2, 6)]
    wall.outputs += [stream("stderr", "\rMS 3-conv 1/2:   0%|          | 0/5 [00:00<?, ?it/s]")]
    assert too_much_progress(nb) == [(0, 6), (2, 6)]


@pytest.mark.notebooks
@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_and_reexecutes_identically(nb):
    executed = RESULTS / "smoke" / "notebooks" / nb.name
    source = RESULTS / "instructor" / nb.name
    source.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(versions.instructor_version(nbformat.read(str(nb), as_version=4), nb.name), str(source))
    execute(source, executed, {"PROFILE": "smoke", "SEED": 0, "RESULTS_DIR": str(RESULTS)})
    out = nbformat.read(str(executed), as_version=4)
    solutions = [c for c in out.cells if c.cell_type == "code" and versions.SOLUTION_TAG in c.metadata.get("tags", [])]
    assert solutions, f"{nb.name}: its instructor version has no solution code to run"
    errors = [o for c in out.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    walls = too_much_progress(out)
    assert not walls, (f"{nb.name}: cells with more than {MAX_PROGRESS_LINES} lines of progress output "
                       f"(cell index, lines): {walls}")
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
    # nbval re-executes the notebook itself: the executed copy without the solution cells
    recheck = RESULTS / "smoke" / "nbval" / nb.name
    recheck.parent.mkdir(parents=True, exist_ok=True)
    out.cells = [c for c in out.cells if versions.SOLUTION_TAG not in c.metadata.get("tags", [])]
    nbformat.write(out, str(recheck))
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                        "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
                        "--rootdir", str(recheck.parent), str(recheck)],
                       capture_output=True, text=True, cwd=str(recheck.parent), env={**os.environ, **KERNEL_ENV})
    assert r.returncode == 0, f"nbval re-execution of {recheck} differs:\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}"
