"""Executing the course notebooks headless: the one implementation behind
``make reproduce`` and the notebook tests.

A notebook is executed with papermill (its ``parameters`` cell gets ``PROFILE`` and
``RESULTS_DIR`` injected), saved as an executed copy, and rendered to HTML.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from .runs import repo_root

NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")


def list_notebooks(folder: Optional[Path] = None) -> List[Path]:
    """The course notebooks, in order (``notebooks/NN_topic.ipynb``)."""
    folder = Path(folder) if folder else repo_root() / "notebooks"
    return sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


def execute(notebook: Path, out: Path, parameters: Dict, timeout: Optional[int] = None) -> float:
    """Run ``notebook`` with papermill into ``out``; return the wall time in seconds.

    Raises papermill's ``PapermillExecutionError`` (naming the failing cell) if a cell
    fails; the partly executed copy is still written to ``out`` for inspection.
    """
    import papermill as pm
    os.environ.setdefault("S2I_HEADLESS", "1")
    # figures must reach the saved notebook: a non-interactive backend such as Agg inherited
    # from the environment would silently drop every plt.show()
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    pm.execute_notebook(str(notebook), str(out), parameters=parameters, cwd=str(notebook.parent),
                        kernel_name="python3", progress_bar=False, execution_timeout=timeout)
    return time.time() - t0


def to_html(executed: Path, html: Path) -> Path:
    """Render an executed notebook to a static HTML page."""
    import nbformat
    from nbconvert import HTMLExporter
    nb = nbformat.read(str(executed), as_version=4)
    body, _ = HTMLExporter().from_notebook_node(nb)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body)
    return html


def reproduce(profile: str = "course", seed: int = 0, results_dir: str = "results",
              only: Optional[Sequence[str]] = None) -> Path:
    """Execute every notebook in ``profile`` and write executed copies, HTML, figures and
    metrics under ``results/<profile>/``; return that folder."""
    from ..synthav import ensure_corpus
    root = repo_root()
    out = Path(results_dir) if Path(results_dir).is_absolute() else root / results_dir
    prof_dir = out / profile
    print(f"s2i reproduce: profile {profile}, seed {seed}, results in {prof_dir}")
    for suite in ("scenes", "performances"):
        t0 = time.time()
        path = ensure_corpus(root / "data", suite, profile, seed)
        print(f"  SynthAV {suite:13s} ready at {path} ({time.time() - t0:.0f} s)")
    rows = []
    failed = []
    for nb in list_notebooks():
        if only and not any(nb.name.startswith(o) for o in only):
            continue
        executed = prof_dir / "notebooks" / nb.name
        params = {"PROFILE": profile, "SEED": seed, "RESULTS_DIR": str(out)}
        try:
            secs = execute(nb, executed, params)
            status = "ok"
        except Exception as e:  # keep going: one failing notebook must not hide the others
            secs, status = float("nan"), f"FAILED: {type(e).__name__}"
            failed.append((nb.name, str(e).splitlines()[0] if str(e) else type(e).__name__))
        if executed.exists():
            to_html(executed, prof_dir / "html" / nb.with_suffix(".html").name)
        rows.append((nb.name, secs, status))
        print(f"  {nb.name:40s} {secs:7.1f} s  {status}")
    lines = [f"# s2i results, profile {profile}, seed {seed}", "",
             "| notebook | wall time (s) | status | metrics |", "|---|---|---|---|"]
    for name, secs, status in rows:
        mfile = prof_dir / "metrics" / name.replace(".ipynb", ".json")
        metrics = json.loads(mfile.read_text())["metrics"] if mfile.exists() else {}
        def fmt(v):
            if isinstance(v, float):
                return str(int(v)) if v.is_integer() else f"{v:.3g}"
            return str(v)
        shown = ", ".join(f"{k}={fmt(v)}" for k, v in list(metrics.items())[:6])
        lines.append(f"| {name} | {secs:.1f} | {status} | {shown} |")
    (prof_dir / "SUMMARY.md").write_text("\n".join(lines) + "\n")
    print(f"\nDone. Look at:\n  {prof_dir / 'SUMMARY.md'}   times and headline numbers\n"
          f"  {prof_dir / 'html'}/        the executed notebooks as web pages\n"
          f"  {prof_dir / 'notebooks'}/   the executed notebooks (open in JupyterLab)\n"
          f"  {prof_dir / 'figures'}/     every figure as PNG\n"
          f"  {prof_dir / 'metrics'}/     metrics with provenance (JSON)")
    if failed:
        for name, why in failed:
            print(f"FAILED: {name}: {why}")
        raise SystemExit(1)
    return prof_dir
