"""Executing the course notebooks headless: the one implementation behind
``make reproduce`` (``s2i reproduce``) and the notebook tests.

A notebook is executed with papermill (its ``parameters`` cell gets ``PROFILE``, ``SEED``,
``DATA_DIR`` and ``RESULTS_DIR`` injected) and saved as an executed copy; at the end of a
run the executed copies become the course site (:mod:`s2i_lib.course.site`).  The
functions here raise exceptions and return results; only the command line
(:func:`s2i_lib.cli.main`) turns them into exit codes.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

from ..cache import write_text
from .runs import repo_root, resolve

NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
# figures must reach the saved notebook: a non-interactive backend such as Agg inherited
# from the environment would silently drop every plt.show()
KERNEL_ENV = {"S2I_HEADLESS": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}


def list_notebooks(folder: Optional[Path] = None) -> List[Path]:
    """The course notebooks, in order (``notebooks/NN_topic.ipynb``)."""
    folder = Path(folder) if folder else repo_root() / "notebooks"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no notebook folder")
    return sorted(p for p in folder.glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))


@contextlib.contextmanager
def _environment(values: Dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set (the kernel inherits it), restored afterwards.
    ``S2I_HEADLESS`` is only set when absent, so a caller's choice is kept."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if k == "S2I_HEADLESS" and os.environ.get(k):
                continue
            os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass(frozen=True)
class Launch:
    """Where this ``reproduce`` stands under ``torchrun`` (``RANK`` of ``WORLD_SIZE``; one
    process without it).

    Several processes (one per GPU) each execute every notebook, the same cells in the same
    order, so each training of a notebook runs in DistributedDataParallel over all of them
    (the engine reads the process group from the environment the kernel inherits; see
    :mod:`s2i_lib.train.distributed`).  Rank 0's notebooks, figures, metrics, report and site
    are the run's; rank k writes its copies under ``<results>/.ranks/rank<k>/`` (kept for
    inspection, never read).  The data folder and its model store are shared: rank 0 stores
    each trained model and the others reuse it.  Each notebook's kernels meet at their own
    port (``MASTER_PORT`` + 1 + the notebook's place), with a store of their own rather
    than torchrun's agent store, since each notebook is a new set of processes."""
    rank: int = 0
    world: int = 1
    port: Optional[int] = None

    @classmethod
    def from_env(cls) -> "Launch":
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        return cls(int(os.environ.get("RANK", "0")), world, int(os.environ.get("MASTER_PORT", "29500")))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def results(self, out: Path) -> Path:
        return out if self.is_main else out / ".ranks" / f"rank{self.rank}"

    def kernel_env(self, place: int) -> Dict[str, str]:
        if self.world <= 1:
            return {}
        return {"MASTER_PORT": str(self.port + 1 + place), "TORCHELASTIC_USE_AGENT_STORE": "False"}


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An OS file lock on ``path`` (processes of one ``torchrun`` take turns)."""
    import fcntl
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def execute(notebook: Path, out: Path, parameters: Dict, timeout: Optional[int] = None,
            env: Optional[Dict[str, str]] = None) -> float:
    """Run ``notebook`` with papermill into ``out``; return the wall time in seconds.

    Raises papermill's ``PapermillExecutionError`` (naming the failing cell) if a cell
    fails; the partly executed copy is still written to ``out`` for inspection.
    """
    import papermill as pm
    notebook, out = Path(notebook), Path(out)
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook}: no such notebook")
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    with _environment({**KERNEL_ENV, **(env or {})}):
        pm.execute_notebook(str(notebook), str(out), parameters=parameters, cwd=str(notebook.parent),
                            kernel_name="python3", progress_bar=False, execution_timeout=timeout)
    return time.time() - t0


@dataclass
class NotebookResult:
    """How one notebook went: its executed copy, its page of the course site, wall time and
    error (if any)."""
    name: str
    executed: Path
    html: Optional[Path]
    seconds: float
    error: Optional[str] = None
    started: float = 0.0          # time.time() when it began: older metrics files are not its own

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        return "ok" if self.ok else "FAILED"


@dataclass
class ReproduceResult:
    """What :func:`reproduce` did: the folder it wrote, its summary, each notebook's result."""
    profile: str
    seed: int
    out_dir: Path
    data_dir: Path
    summary: Path
    notebooks: List[NotebookResult] = field(default_factory=list)

    @property
    def failed(self) -> List[NotebookResult]:
        return [n for n in self.notebooks if not n.ok]

    @property
    def ok(self) -> bool:
        return not self.failed


class ReproduceError(RuntimeError):
    """One or more notebooks failed; ``.result`` holds the whole :class:`ReproduceResult`
    (the summary is written before this is raised)."""

    def __init__(self, result: ReproduceResult):
        self.result = result
        names = "; ".join(f"{n.name}: {n.error}" for n in result.failed)
        super().__init__(f"{len(result.failed)} of {len(result.notebooks)} notebooks failed ({names}); "
                         f"see {result.summary}")


def select_notebooks(notebooks: Sequence[Path], only: Optional[Sequence[str]] = None) -> List[Path]:
    """The notebooks whose names start with one of the prefixes in ``only`` (all if empty).
    Raises ValueError naming a prefix that matches no notebook."""
    if not only:
        return list(notebooks)
    unknown = [o for o in only if not any(nb.name.startswith(o) for nb in notebooks)]
    if unknown:
        raise ValueError(f"no notebook starts with {', '.join(map(repr, unknown))}; "
                         f"notebooks are {', '.join(nb.name for nb in notebooks)}")
    return [nb for nb in notebooks if any(nb.name.startswith(o) for o in only)]


def reproduce(profile: str = "course", seed: int = 0, results_dir="results", only: Optional[Sequence[str]] = None,
              data_dir="data", notebooks_dir=None, prepare_data: bool = True,
              timeout: Optional[int] = None) -> ReproduceResult:
    """Execute every notebook in ``profile`` and write executed copies, figures, metrics,
    ``SUMMARY.md``, the reproduction report ``REPORT.md``
    (:func:`s2i_lib.course.report.write_report`) and the course site ``site/``
    (:func:`s2i_lib.course.site.build_site`) under ``<results_dir>/<profile>/``.  ``profile`` may be a
    dry run such as ``paper-dry`` (:mod:`s2i_lib.course.dryrun`: the paper's networks, 1%
    of its steps and epochs, a small corpus), which writes under ``<results_dir>/paper-dry/``.

    ``data_dir`` (relative paths are taken from the repository root) is where the SynthAV
    corpora are made first (``prepare_data``) and is passed to every notebook as its
    ``DATA_DIR``.  A failing notebook does not stop the others; when any failed, the
    summary is still written and :class:`ReproduceError` is raised.  Returns a
    :class:`ReproduceResult`.

    Under ``torchrun --nproc_per_node=N`` (N GPUs) every process runs this and every
    training spans the N processes (:class:`Launch`)."""
    from .profiles import get_profile
    get_profile(profile)                                   # an unknown profile fails here, not in every notebook
    launch = Launch.from_env()
    out, data = launch.results(resolve(results_dir)), resolve(data_dir)
    chosen = select_notebooks(list_notebooks(Path(notebooks_dir) if notebooks_dir else None), only)
    prof_dir = out / profile
    where = f" (process {launch.rank} of {launch.world})" if launch.world > 1 else ""
    print(f"s2i reproduce: profile {profile}, seed {seed}, data in {data}, results in {prof_dir}{where}")
    if prepare_data:
        from ..synthav import ensure_corpus
        for suite in ("scenes", "performances"):
            t0 = time.time()
            with _lock(data / ".reproduce.lock"):          # one process makes a corpus, the others find it
                path = ensure_corpus(data, suite, profile, seed)
            print(f"  SynthAV {suite:13s} ready at {path} ({time.time() - t0:.0f} s)")
    result = ReproduceResult(profile, int(seed), prof_dir, data, prof_dir / "SUMMARY.md")
    for place, nb in enumerate(chosen):
        executed = prof_dir / "notebooks" / nb.name
        params = {"PROFILE": profile, "SEED": int(seed), "DATA_DIR": str(data), "RESULTS_DIR": str(out)}
        executed.unlink(missing_ok=True)                   # never render an older run's copy
        started = time.time()
        try:
            secs, error = execute(nb, executed, params, timeout=timeout, env=launch.kernel_env(place)), None
        except Exception as e:  # keep going: one failing notebook must not hide the others
            secs, error = math.nan, _first_line(e)
        result.notebooks.append(NotebookResult(nb.name, executed, None, secs, error, started))
        print(f"  {nb.name:40s} {secs:7.1f} s  {'ok' if error is None else 'FAILED: ' + error}")
    write_summary(result)
    if not launch.is_main:                                 # the report and the site are rank 0's
        if not result.ok:
            raise ReproduceError(result)
        return result
    from .report import write_report
    from .site import build_site, page_name
    try:
        report = write_report(out, profile)
    except FileNotFoundError as e:                    # no notebook wrote metrics: nothing to report
        report = f"(no report: {e})"
    site = build_site(out, profile) if any(n.executed.exists() for n in result.notebooks) else None
    for n in result.notebooks:
        n.html = site.parent / page_name(n.executed) if site is not None and n.executed.exists() else None
    print(f"\nDone. Look at:\n  {result.summary}   times and headline numbers\n"
          f"  {report}    every claim with its verdict, and the rerun check\n"
          f"  {site}   the course site: every executed notebook as a web page\n"
          f"  {prof_dir / 'notebooks'}/   the executed notebooks (open in JupyterLab)\n"
          f"  {prof_dir / 'figures'}/     every figure as PNG\n"
          f"  {prof_dir / 'metrics'}/     metrics with provenance (JSON)")
    if not result.ok:
        raise ReproduceError(result)
    return result


def _first_line(e: BaseException) -> str:
    """A one-line reason.  For a failing cell, papermill's error names the cell and the
    exception raised in it; otherwise the exception's type and the first line of its
    message (skipping papermill's rules of dashes)."""
    if getattr(e, "ename", None):
        where = f"cell {e.exec_count}" if getattr(e, "exec_count", None) else f"cell index {getattr(e, 'cell_index', '?')}"
        evalue = str(getattr(e, "evalue", "")).strip().splitlines()
        return f"{e.ename}: {evalue[0] if evalue else ''} (in {where})"
    lines = [l.strip() for l in str(e).splitlines() if l.strip() and set(l.strip()) != {"-"}]
    return f"{type(e).__name__}: {lines[0]}" if lines else type(e).__name__


def _fmt(v) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.3g}"
    return str(v)


def write_summary(result: ReproduceResult, shown: int = 6) -> Path:
    """``SUMMARY.md``: per notebook its wall time, status and first ``shown`` metrics."""
    lines = [f"# s2i results, profile {result.profile}, seed {result.seed}", "",
             f"Data: `{result.data_dir}`", "",
             "| notebook | wall time (s) | status | metrics |", "|---|---|---|---|"]
    for nb in result.notebooks:
        mfile = result.out_dir / "metrics" / nb.name.replace(".ipynb", ".json")
        fresh = mfile.exists() and mfile.stat().st_mtime >= nb.started - 1.0
        metrics = json.loads(mfile.read_text()).get("metrics", {}) if fresh else {}
        metrics_text = (", ".join(f"{k}={_fmt(v)}" for k, v in list(metrics.items())[:shown])
                        or "(no metrics written by this run)")
        status = nb.status if nb.ok else f"FAILED: {nb.error}".replace("|", "/")
        lines.append(f"| {nb.name} | {nb.seconds:.1f} | {status} | {metrics_text} |")
    return write_text(result.summary, "\n".join(lines) + "\n")
