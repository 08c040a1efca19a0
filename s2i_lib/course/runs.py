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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Mapping, Optional

import numpy as np

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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; use deterministic torch algorithms."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
    except ImportError:  # the data tools work without torch
        pass


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
    if name != "auto":
        return name
    try:
        import torch
        return "cuda" if torch.cuda.is_available() else "cpu"
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
                "platform": platform.platform(), "cpu_count": os.cpu_count(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.started)),
                "wall_seconds": round(time.time() - self.started, 1)}

    def write_metrics(self, metrics: Mapping[str, float]) -> Path:
        """Write ``metrics`` with provenance to ``results/<profile>/metrics/<notebook>.json``."""
        p = self.out_dir / "metrics" / f"{self.notebook}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        clean = {k: (float(v) if isinstance(v, (int, float, np.floating, np.integer)) else v)
                 for k, v in metrics.items()}
        tmp = p.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"metrics": clean, "provenance": self.provenance()}, indent=2, sort_keys=True))
        os.replace(tmp, p)
        return p

    def reference(self) -> dict:
        p = repo_root() / "results" / "reference" / f"{self.profile.name}.json"
        if not p.exists():
            return {}
        return json.loads(p.read_text()).get(self.notebook, {})

    def compare(self, metrics: Mapping[str, float], paper: Optional[Mapping[str, str]] = None):
        """A table: each metric's value in this run, the committed reference value for
        this profile and seed with its tolerance, whether it reproduced, and the paper's
        number where one exists (a string naming its table)."""
        import pandas as pd
        ref = self.reference() if self.seed == 0 else {}
        rows = []
        for k, v in metrics.items():
            r = ref.get(k)
            if r is None:
                status, rv, tol = "no reference", None, None
            else:
                rv, tol = r["value"], r.get("tol", 0.0)
                status = "reproduced" if abs(float(v) - float(rv)) <= tol + 1e-12 else "DIFFERS"
            rows.append({"metric": k, "this run": v, "reference": rv, "tolerance": tol, "status": status,
                         "paper": (paper or {}).get(k, "")})
        return pd.DataFrame(rows).set_index("metric")


def start(notebook: str, profile: str = "course", seed: int = 0, data_dir="data", results_dir="results",
          device: str = "auto", quiet: bool = False) -> Run:
    """Begin a notebook run: resolve folders, seed everything, print the environment."""
    prof = get_profile(profile)
    seed_everything(seed)
    run = Run(notebook, prof, int(seed), resolve(data_dir), resolve(results_dir), pick_device(device))
    run.data_dir.mkdir(parents=True, exist_ok=True)
    run.out_dir.mkdir(parents=True, exist_ok=True)
    if not quiet:
        v = package_versions()
        print(f"{notebook} | profile {prof.name} ({prof.description}) | seed {seed} | device {run.device}")
        print("versions: " + ", ".join(f"{k} {v[k]}" for k in ("python", "torch", "torchaudio", "numpy", "librosa", "av")))
    return run
