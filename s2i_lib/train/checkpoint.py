"""The one checkpoint format of the course.

A checkpoint is one file written atomically (:func:`s2i_lib.cache.torch_save`) holding:

- ``format``: :data:`FORMAT`; ``description``: what the run was started with (a resumed run
  must be the same run);
- ``step``, the ``log`` so far and the running means of the steps since its last row;
- ``modules``, ``optimizers``, ``schedulers`` (state dicts by name), the task's own
  ``task`` state and each callback's state (``callbacks``, by position);
- ``rng``: every random generator a step may draw from: torch's CPU generator, every CUDA
  device's, NumPy's and Python's global generators, and the engine's own generator.

Restoring all of them is what makes a resumed run bit-identical to one that was never
interrupted (tested in ``tests/test_training.py``).
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Mapping, Optional

import numpy as np
import torch

from .. import cache

FORMAT = "s2i-checkpoint/2"


def rng_state(generator: torch.Generator) -> dict:
    """Every generator's state, to restore with :func:`set_rng_state`."""
    return {"torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "numpy": np.random.get_state(), "python": random.getstate(), "engine": generator.get_state()}


def set_rng_state(state: dict, generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"].cpu())
    # generator states are CPU byte tensors, wherever the checkpoint was loaded to
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    generator.set_state(state["engine"].cpu())


def save(path: Path, engine, description: Optional[Mapping] = None) -> None:
    """Write the state of ``engine`` (an :class:`s2i_lib.train.engine.Engine`) to ``path``."""
    task = engine.task
    cache.torch_save({
        "format": FORMAT, "description": cache.canonical(description or {}), "step": engine.step,
        "log": engine.log, "pending": {"sums": engine.means.sums, "n": engine.means.n},
        "modules": {k: m.state_dict() for k, m in task.modules.items()},
        "optimizers": {k: o.state_dict() for k, o in task.optimizers.items()},
        "schedulers": {k: s.state_dict() for k, s in task.schedulers.items()},
        "task": task.state_dict(),
        "callbacks": [cb.state_dict() for cb in engine.callbacks],
        "rng": rng_state(engine.generator),
    }, path)


def restore(path: Path, engine, description: Optional[Mapping] = None) -> None:
    """Load ``path`` into ``engine``; refuses a checkpoint of another format or run."""
    task = engine.task
    device = next(iter(task.modules.values())).parameters().__next__().device
    try:
        st = torch.load(path, weights_only=False, map_location=device)
    except Exception as e:  # a truncated or foreign file: say which, and how to recover
        raise ValueError(f"{path}: not a readable checkpoint ({type(e).__name__}: {e}); delete it to start over") from e
    if not isinstance(st, dict) or st.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} checkpoint; delete it to start over")
    if st["description"] != cache.canonical(description or {}):
        raise ValueError(f"{path}: saved by a run with another configuration; use a new folder or delete it")
    for k, m in task.modules.items():
        m.load_state_dict(st["modules"][k])
    for k, o in task.optimizers.items():
        o.load_state_dict(st["optimizers"][k])
    for k, s in task.schedulers.items():
        s.load_state_dict(st["schedulers"][k])
    task.load_state_dict(st["task"])
    if len(st["callbacks"]) != len(engine.callbacks):
        raise ValueError(f"{path}: saved with {len(st['callbacks'])} callbacks, this run has {len(engine.callbacks)}")
    for cb, s in zip(engine.callbacks, st["callbacks"]):
        cb.load_state_dict(s)
    set_rng_state(st["rng"], engine.generator)
    engine.step, engine.log = st["step"], list(st["log"])
    engine.means.sums, engine.means.n = dict(st["pending"]["sums"]), st["pending"]["n"]
