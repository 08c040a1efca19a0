"""Paths, seeding, provenance and metrics of a notebook run.

Every notebook starts with::

    run = runs.start("01_building_paired_data", profile=PROFILE, seed=SEED,
                     data_dir=DATA_DIR, results_dir=RESULTS_DIR)

which resolves the folders (relative paths are taken from the repository root, so an
executed copy saved anywhere still finds them), seeds Python, NumPy and torch, makes
torch deterministic on the CPU, and prints the versions the run uses.  At the end,
``run.write_metrics({...})`` saves the headline numbers with their provenance under
``results/<profile>/metrics/`` and ``run.compare(...)`` sets them beside the paper's
numbers and the committed reference numbers of this profile.
"""
from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

from ..cache import write_json
from .profiles import Profile, get_profile


def repo_root() -> Path:
    """The repository root: ``$S2I_ROOT`` if set, else the folder holding the ``s2i_lib``
    package (this file is ``s2i_lib/course/runs.py``)."""
    env = os.environ.get("S2I_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def resolve(path) -> Path:
    """``path`` itself if absolute, else relative to the repository root."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else repo_root() / p


# cuBLAS needs a fixed workspace to give the same results twice (PyTorch's reproducibility
# notes); it reads this when it creates its first handle, so it must be set before CUDA runs
CUBLAS_WORKSPACE = ":4096:8"
# torch threads per profile when neither S2I_THREADS nor OMP_NUM_THREADS says otherwise:
# smoke and course are sized for 2 cores (their committed reference numbers were made with
# 2 threads, and float sums can differ with the thread count); paper uses every core
PROFILE_THREADS = {"smoke": 2, "course": 2, "paper": None}


def seed_everything(seed: int, device: str = "auto", strict: bool = False) -> None:
    """Seed Python, NumPy and torch and switch torch to deterministic algorithms.

    When ``device`` is (or ``"auto"`` picks) a CUDA device, also set
    ``CUBLAS_WORKSPACE_CONFIG`` (unless already set) so cuBLAS is deterministic, and turn
    off cuDNN's benchmark mode.  ``strict=True`` makes an operation without a
    deterministic implementation raise instead of warn."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # the data tools work without torch
        return
    if str(pick_device(device)).startswith("cuda"):
        if "CUBLAS_WORKSPACE_CONFIG" not in os.environ:
            if torch.cuda.is_initialized():
                warnings.warn("CUDA was initialised before runs.seed_everything set CUBLAS_WORKSPACE_CONFIG; "
                              "cuBLAS results may not be deterministic (set it before the first CUDA call)")
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = CUBLAS_WORKSPACE
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=not strict)


def configure_threads(profile: str) -> Optional[int]:
    """Set torch's CPU threads for ``profile``: ``$S2I_THREADS`` if set; else leave them to
    ``$OMP_NUM_THREADS`` if that is set; else :data:`PROFILE_THREADS` (at most the CPU
    count; ``None`` keeps torch's default of every core).  Returns the threads in use."""
    try:
        import torch
    except ImportError:
        return None
    wanted = os.environ.get("S2I_THREADS", "").strip()
    if wanted:
        try:
            n = int(wanted)
        except ValueError:
            raise ValueError(f"S2I_THREADS={wanted!r} is not a number of threads") from None
        if n < 1:
            raise ValueError(f"S2I_THREADS={wanted!r} must be at least 1")
    elif os.environ.get("OMP_NUM_THREADS", "").strip():
        n = None
    else:
        n = PROFILE_THREADS.get(profile)
        n = min(n, os.cpu_count() or n) if n else None
    if n and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return torch.get_num_threads()


def package_versions() -> Dict[str, str]:
    from importlib import metadata
    out = {"python": platform.python_version()}
    for name in ("s2i_lib", "torch", "torchaudio", "torchvision", "numpy", "scipy", "librosa", "av",
                 "soundfile", "matplotlib", "pandas", "papermill", "nbval"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str:
    try:
        root = repo_root()
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (sha or "unknown") + ("+dirty" if dirty else "")
    except Exception:
        return "unknown"


def pick_device(name: str = "auto") -> str:
    """``name``, or for ``"auto"`` the GPU torch sees (under ``torchrun``, this process's own:
    ``cuda:<LOCAL_RANK>``, the one DDP wraps the networks on), else the CPU."""
    if name != "auto":
        return name
    try:
        import torch
        if not torch.cuda.is_available():
            return "cpu"
        return f"cuda:{os.environ['LOCAL_RANK']}" if int(os.environ.get("WORLD_SIZE", "1")) > 1 else "cuda"
    except ImportError:
        return "cpu"


@dataclass
class Run:
    notebook: str
    profile: Profile
    seed: int
    data_dir: Path
    results_dir: Path
    device: str
    started: float = field(default_factory=time.time)

    @property
    def out_dir(self) -> Path:
        return self.results_dir / self.profile.name

    def figure_path(self, name: str) -> Path:
        p = self.out_dir / "figures" / self.notebook / f"{name}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def savefig(self, fig, name: str, dpi: int = 110) -> Path:
        """Save ``fig`` as a PNG under ``results/<profile>/figures/<notebook>/``."""
        p = self.figure_path(name)
        fig.savefig(p, dpi=dpi, bbox_inches="tight")
        return p

    def provenance(self) -> dict:
        return {"notebook": self.notebook, "profile": self.profile.name, "seed": self.seed,
                "commit": git_commit(), "device": self.device, "versions": package_versions(),
                "platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": _torch_threads(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.started)),
                "wall_seconds": round(time.time() - self.started, 1)}

    def write_metrics(self, metrics: Mapping[str, Any]) -> Path:
        """Write ``metrics`` with provenance to ``results/<profile>/metrics/<notebook>.json``
        (numbers as floats, booleans and strings as they are)."""
        p = self.out_dir / "metrics" / f"{self.notebook}.json"
        clean = {k: (float(v) if _is_number(v) else v) for k, v in metrics.items()}
        return write_json(p, {"metrics": clean, "provenance": self.provenance()})

    def write_claims(self, claims) -> Path:
        """Write a notebook's "paper vs. here" rows (a list of dicts, one per claim) with
        provenance to ``results/<profile>/metrics/<notebook>.claims.json``: what the
        reproduction report (:mod:`s2i_lib.course.report`) gathers."""
        p = self.out_dir / "metrics" / f"{self.notebook}.claims.json"
        def plain(v):
            return int(v) if isinstance(v, np.integer) else float(v) if _is_number(v) else v
        rows = [{k: plain(v) for k, v in row.items()} for row in claims]
        return write_json(p, {"claims": rows, "provenance": self.provenance()})

    def reference(self) -> dict:
        p = repo_root() / "results" / "reference" / f"{self.profile.name}.json"
        if not p.exists():
            return {}
        return json.loads(p.read_text()).get(self.notebook, {})

    def compare(self, metrics: Mapping[str, Any], paper: Optional[Mapping[str, str]] = None):
        """A table: each metric's value in this run, the committed reference value for
        this profile and seed with its tolerance, whether it reproduced, and the paper's
        number where one exists (a string naming its table).

        Numbers reproduce when within the tolerance; anything else (a name, a verdict, a
        flag) when it equals the reference.  A metric of a kind the reference does not have
        (a number against a name) is reported as differing, never an error."""
        import pandas as pd
        ref = self.reference() if self.seed == 0 else {}
        rows = []
        for k, v in metrics.items():
            r = ref.get(k)
            if r is None:
                status, rv, tol = "no reference", None, None
            else:
                rv, tol = (r.get("value"), r.get("tol", 0.0)) if isinstance(r, Mapping) else (r, 0.0)
                status = "reproduced" if same_value(v, rv, tol)[0] else "DIFFERS"
            rows.append({"metric": k, "this run": v, "reference": rv, "tolerance": tol, "status": status,
                         "paper": (paper or {}).get(k, "")})
        return pd.DataFrame(rows, columns=["metric", "this run", "reference", "tolerance", "status", "paper"]
                            ).set_index("metric")


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _torch_threads() -> Optional[int]:
    try:
        import torch
        return torch.get_num_threads()
    except ImportError:
        return None


def same_value(value, reference, tol=0.0) -> Tuple[bool, str]:
    """Whether ``value`` reproduces ``reference``, and how it was compared.

    Two numbers: within ``tol`` (NaN matches only NaN).  Anything else: equal.  A number
    against a numeric string compares as numbers; a number against a name differs."""
    def number(x):
        if _is_number(x):
            return float(x)
        if isinstance(x, str):
            try:
                return float(x)
            except ValueError:
                return None
        return None
    a, b = number(value), number(reference)
    if _is_number(value) or _is_number(reference):
        if a is None or b is None:
            return False, "a number against a non-number"
        if np.isnan(a) or np.isnan(b):
            return bool(np.isnan(a) and np.isnan(b)), "numbers (NaN)"
        t = number(tol)
        return abs(a - b) <= (t if t is not None else 0.0) + 1e-12, "numbers within tolerance"
    return bool(value == reference), "equality"


def start(notebook: str, profile: str = "course", seed: int = 0, data_dir="data", results_dir="results",
          device: str = "auto", quiet: bool = False) -> Run:
    """Begin a notebook run: resolve folders, pick the device, set torch's threads for the
    profile, seed everything (deterministic mode, CUDA's included), print the environment.
    ``profile`` may name a dry run (``paper-dry``, :mod:`s2i_lib.course.dryrun`)."""
    prof = get_profile(profile)
    dev = pick_device(device)
    threads = configure_threads(prof.name)
    seed_everything(seed, device=dev)
    run = Run(notebook, prof, int(seed), resolve(data_dir), resolve(results_dir), dev)
    run.data_dir.mkdir(parents=True, exist_ok=True)
    run.out_dir.mkdir(parents=True, exist_ok=True)
    if not quiet:
        v = package_versions()
        print(f"{notebook} | profile {prof.name} ({prof.description}) | seed {seed} | device {run.device}"
              + (f" | {threads} threads" if threads else ""))
        print("versions: " + ", ".join(f"{k} {v[k]}" for k in ("python", "torch", "torchaudio", "numpy", "librosa", "av")))
    return run
