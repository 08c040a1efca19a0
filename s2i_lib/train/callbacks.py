"""Callbacks of the training engine: what happens around the steps.

A callback may keep state (returned by ``state_dict``, saved in every checkpoint) and is
called at the start of a run, after every step, when a log row is written (it may add
numbers to the row) and at the end.

- :class:`EMA`         an exponential moving average of a network's weights (notebook 03:
  the averaged generator is often the better sampler);
- :class:`Evaluate`    numbers from a function of the run, every ``every`` steps;
- :class:`SampleGrid`  a PNG grid of samples for fixed inputs, every ``every`` steps;
- :class:`LogFiles`    the log as ``log.csv`` and ``log.json`` in a folder;
- :class:`KeepBest`    the weights of a network at its best evaluation so far (model
  selection on a number the evaluation logs, e.g. accuracy on the training sounds).
"""
from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Callable, Dict, Optional

import torch
import torch.nn as nn

from .. import cache


class Callback:
    def on_start(self, engine) -> None:
        pass

    def on_step(self, engine) -> None:
        pass

    def on_log(self, engine, row: dict) -> Optional[Dict[str, float]]:
        return None

    def on_end(self, engine) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class EMA(Callback):
    """Keeps ``shadow``, a copy of ``module`` whose weights follow
    ``shadow <- decay * shadow + (1 - decay) * weights`` after every ``every``-th step of the
    task (buffers such as batch-norm statistics are copied).  With ``auto=False`` the task
    calls :meth:`update` itself (a GAN iteration with several generator steps updates the
    average after each of them)."""

    def __init__(self, module: nn.Module, decay: float, auto: bool = True):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.module, self.decay, self.auto = module, float(decay), auto
        self.shadow = copy.deepcopy(module).eval()
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self) -> None:
        for pe, p in zip(self.shadow.parameters(), self.module.parameters()):
            pe.lerp_(p, 1 - self.decay)
        for be, b in zip(self.shadow.buffers(), self.module.buffers()):
            be.copy_(b)

    def on_step(self, engine) -> None:
        if self.auto:
            self.update()

    def state_dict(self) -> dict:
        return {"shadow": self.shadow.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.shadow.load_state_dict(state["shadow"])


def _writes(engine) -> bool:
    """Whether this process writes files: the only one, or rank 0 of several (DDP)."""
    d = getattr(engine, "dist", None)
    return d is None or d.is_main


def _due(step: int, every: int, total: int) -> bool:
    return bool(every) and (step % every == 0 or step == total)


class Evaluate(Callback):
    """Adds ``fn(engine)`` (a dict of numbers) to the log row at every ``every``-th step and
    after the last one, from step ``start`` on (0: from the first)."""

    def __init__(self, fn: Callable, every: int, start: int = 0):
        self.fn, self.every, self.start = fn, int(every), int(start)

    def on_log(self, engine, row: dict):
        due = engine.step >= self.start and _due(engine.step, self.every, engine.steps)
        return self.fn(engine) if due else None


class KeepBest(Callback):
    """Keeps a copy of ``module()``'s weights from the log row where ``metric`` was highest
    (``mode="max"``) or lowest (``"min"``) so far; rows without ``metric`` are skipped.  It
    must come after the callback that adds ``metric`` to the row (an :class:`Evaluate`).
    ``best`` is that value, ``best_step`` its step and ``weights`` the copy; :meth:`restore`
    loads the copy into the module at the end.  All three are in every checkpoint, so a
    resumed run selects what an uninterrupted one does."""

    def __init__(self, module: Callable[[], nn.Module], metric: str, mode: str = "max"):
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.module, self.metric, self.mode = module, metric, mode
        self.best, self.best_step, self.weights = None, None, None

    def on_log(self, engine, row: dict):
        if self.metric not in row:
            return None
        v = float(row[self.metric])
        if self.best is None or (v > self.best if self.mode == "max" else v < self.best):
            self.best, self.best_step = v, engine.step
            self.weights = {k: t.detach().clone() for k, t in self.module().state_dict().items()}
        return None

    def restore(self) -> None:
        if self.weights is None:
            raise RuntimeError(f"KeepBest: no log row had {self.metric!r}, so there is nothing to restore "
                               "(is the evaluation that adds it placed before this callback, and due?)")
        self.module().load_state_dict(self.weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step, "weights": self.weights}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_step, self.weights = state["best"], state["best_step"], state["weights"]


class SampleGrid(Callback):
    """Saves ``make(engine)`` (images in [-1, 1]) as ``<folder>/step_XXXXXX.png`` every
    ``every`` steps and after the last one."""

    def __init__(self, make: Callable, folder: Path, every: int, nrow: int = 8):
        self.make, self.folder, self.every, self.nrow = make, Path(folder), int(every), nrow

    def on_step(self, engine) -> None:
        if _due(engine.step, self.every, engine.steps) and _writes(engine):
            with torch.no_grad():
                save_grid(self.make(engine), self.folder / f"step_{engine.step:06d}.png", nrow=self.nrow)


class LogFiles(Callback):
    """Writes the log to ``<folder>/log.csv`` and ``log.json`` whenever a row is added."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def on_log(self, engine, row: dict):
        if _writes(engine):
            write_log(self.folder, engine.log + [row])
        return None


def write_log(folder: Path, rows) -> None:
    """``rows`` as ``log.csv`` (columns: step first, then sorted) and ``log.json``."""
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "step", k))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    cache.write_text(Path(folder) / "log.csv", buf.getvalue())
    cache.write_text(Path(folder) / "log.json", json.dumps(list(rows), indent=1))


def save_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> None:
    """Save images in [-1, 1] as one PNG grid."""
    from torchvision.utils import save_image
    images = (images.detach().cpu() + 1) / 2
    cache.atomic_write(path, lambda tmp: save_image(images, tmp, nrow=nrow, padding=1, format="png"))
