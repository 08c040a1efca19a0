"""The one training engine of the course.

Every model of the course (classifiers, the autoencoder, SoundNet, the probes, every GAN,
and the contrastive and multimodal trainings of later notebooks) trains through
:func:`fit`.  What differs between them is a :class:`Task`: the networks, their optimisers
and schedulers, and what one step does.  What they share lives here, once:

- **batches** from a :class:`Batches` plan: :class:`EpochBatches` (shuffled passes, the
  permutation of epoch ``e`` drawn from ``(seed, e)`` alone) or :class:`RandomBatches`
  (draws with replacement from the engine's generator, as GAN training does);
- **schedulers** (``torch.optim.lr_scheduler``) stepped per epoch or per step;
- **callbacks** (:mod:`s2i_lib.train.callbacks`): an EMA of a network, evaluation, sample
  grids, log files; each keeps its own state in the checkpoint;
- **a log**: one row per epoch (or every ``log_every`` steps) with the mean of what the
  steps returned, plus whatever callbacks add;
- **checkpoints** (:mod:`s2i_lib.train.checkpoint`) holding every network, optimiser,
  scheduler, callback and every random generator (torch CPU and CUDA, NumPy, Python, the
  engine's own), so that an interrupted run resumes and ends bit-identical to one that was
  never interrupted;
- **progress**: one live bar in JupyterLab, one short line when it ends headless.

Notebook 03 writes one GAN-CLS training step by hand before handing over to this engine.
"""
from __future__ import annotations

import math
import os
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn

from ..course.progress import tqdm
from . import checkpoint as ckpt

ENGINE_VERSION = "2"
"""Part of every model-store key: bumped when a change here changes what training produces."""

PRECISIONS = ("fp32", "bf16")
"""How the steps compute: ``fp32`` (the default, every result of the course) or ``bf16``
(mixed precision: each step runs under ``torch.autocast`` with bfloat16, so convolutions and
matrix products take bfloat16 inputs while weights, optimiser state and the sums autocast
keeps in float32 stay float32).  bfloat16 has float32's range, so no loss scaling is needed;
it is fast on GPUs of the Ampere generation and later (and runs, slowly, on a CPU)."""


def precision(value: Optional[str] = None) -> str:
    """The precision a training runs in: ``value``, else the environment's ``S2I_PRECISION``
    (``s2i reproduce --precision``, ``make reproduce PRECISION=...``), else ``fp32``.  A
    precision other than fp32 is part of every model-store key and checkpoint description,
    so a bf16 model is never reloaded for an fp32 run (fp32 keys are the same as before)."""
    p = (value if value is not None else os.environ.get("S2I_PRECISION", "")).strip().lower() or "fp32"
    if p not in PRECISIONS:
        raise ValueError(f"precision {p!r} (S2I_PRECISION or precision=) must be one of {PRECISIONS}")
    return p


_resolve_precision = precision      # fit's argument of the same name hides the function


def _autocast(task: "Task", prec: str):
    if prec == "fp32":
        return nullcontext()
    params = [p for m in task.modules.values() for p in m.parameters()]
    device_type = params[0].device.type if params else "cpu"
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16)


# ----------------------------------------------------------------------------- batches
class Batches:
    """Which items step ``k`` trains on.  ``per_epoch`` is the number of steps in one pass
    over the data (``None`` when batches are not organised in epochs)."""
    per_epoch: Optional[int] = None
    drawn_by_task = False         # True: the task draws its own batches (and splits them under DDP)

    def __call__(self, step: int, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError


class EpochBatches(Batches):
    """Shuffled passes over ``n`` items in batches of ``batch_size`` (the last one smaller).
    The permutation of epoch ``e`` comes from a generator seeded by ``(seed, e)``, so any
    step can be recomputed from its number alone."""

    def __init__(self, n: int, batch_size: int, seed: int = 0):
        if n <= 0:
            raise ValueError("EpochBatches needs at least one item")
        self.n, self.batch_size, self.seed = int(n), int(batch_size), int(seed)
        self.per_epoch = math.ceil(self.n / self.batch_size)
        self._epoch, self._order = -1, None

    def __call__(self, step: int, generator: torch.Generator) -> torch.Tensor:
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._epoch, self._order = epoch, torch.randperm(self.n, generator=g)
        return self._order[k * self.batch_size:(k + 1) * self.batch_size]


class RandomBatches(Batches):
    """``batch_size`` items drawn with replacement from the engine's generator each step."""

    def __init__(self, n: int, batch_size: int):
        if n <= 0:
            raise ValueError("RandomBatches needs at least one item")
        self.n, self.batch_size = int(n), int(batch_size)

    def __call__(self, step: int, generator: torch.Generator) -> torch.Tensor:
        return torch.randint(self.n, (self.batch_size,), generator=generator)


# ----------------------------------------------------------------------------- task
class Task:
    """One model's training.  A subclass fills :attr:`modules`, :attr:`optimizers` and
    :attr:`schedulers` (dicts by name) and writes :meth:`step`.

    ``schedule_every`` is ``"epoch"`` or ``"step"``: when the engine steps the schedulers.
    """
    modules: Dict[str, nn.Module]
    optimizers: Dict[str, torch.optim.Optimizer]
    schedulers: Dict[str, object]
    schedule_every: str = "epoch"

    def step(self, idx: torch.Tensor, engine: "Engine") -> Dict[str, torch.Tensor]:
        """Train on items ``idx``; return the numbers to log (tensors or floats)."""
        raise NotImplementedError

    def end_epoch(self, epoch: int, engine: "Engine") -> Dict[str, float]:
        """Numbers to add to the log at the end of an epoch (e.g. validation accuracy)."""
        return {}

    def state_dict(self) -> dict:
        """Extra state a checkpoint must hold (e.g. a NumPy generator of the task)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def train(self, mode: bool = True) -> None:
        for m in self.modules.values():
            m.train(mode)


@dataclass
class Engine:
    """What callbacks and tasks can see of the run in progress."""
    task: Task
    steps: int
    generator: torch.Generator
    step: int = 0                 # steps done
    log: List[dict] = None
    callbacks: Sequence = ()
    means: "_Means" = None        # what the steps since the last log row returned
    dist: object = None           # a :class:`s2i_lib.train.distributed.Dist` (None: one process)


def device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s weights live (the device its batches are moved to); the CPU for a
    module without weights."""
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


def _number(v) -> float:
    return float(v.detach()) if isinstance(v, torch.Tensor) else float(v)


class _Means:
    """Running means of the numbers the steps return, weighted by batch size."""

    def __init__(self):
        self.sums: Dict[str, float] = {}
        self.n = 0

    def add(self, values: Mapping, weight: int) -> None:
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + _number(v) * weight
        self.n += weight

    def row(self) -> Dict[str, float]:
        out = {k: s / max(self.n, 1) for k, s in self.sums.items()}
        self.sums, self.n = {}, 0
        return out


def fit(task: Task, *, steps: int, batches: Batches, seed: int = 0, checkpoint: Optional[Path] = None,
        checkpoint_every: Optional[int] = None, log_every: Optional[int] = None, callbacks: Sequence = (),
        description: Optional[Mapping] = None, desc: str = "training", progress: bool = True,
        stop_after: Optional[int] = None, distributed=None, precision: Optional[str] = None) -> List[dict]:
    """Train ``task`` for ``steps`` steps and return the log (a list of rows).

    - A row is written at the end of every epoch (with ``batches.per_epoch``) or every
      ``log_every`` steps, and after the last step: ``step``, ``epoch`` (with epochs), the
      batch-weighted means of what the steps returned since the last row, what
      ``task.end_epoch`` and the callbacks' ``on_log`` add.
    - With ``checkpoint`` (a file path), the state is saved there every
      ``checkpoint_every`` steps (default: every epoch, or every row), after the last step
      and when ``stop_after`` ends the call; a later call with the same ``description``
      resumes from it (another description is refused with the file named).
    - ``stop_after`` ends this call after that many steps (how the tests interrupt a run).
    - ``distributed``: a :class:`s2i_lib.train.distributed.Dist`; by default the one
      ``torchrun`` describes in the environment (:func:`~s2i_lib.train.distributed.from_env`;
      one process without it).  With several processes the task's networks train in
      DistributedDataParallel, each process on its slice of every batch, the log averaged
      over the processes, checkpoints and log files written by rank 0
      (:mod:`s2i_lib.train.distributed`).
    - ``precision``: ``fp32`` or ``bf16`` (mixed precision, :data:`PRECISIONS`); by default
      the environment's ``S2I_PRECISION``, else fp32 (:func:`precision`).
    """
    from . import distributed as dist_mod
    d = distributed if distributed is not None else dist_mod.from_env()
    prec = _resolve_precision(precision)
    if prec != "fp32":                                   # a bf16 checkpoint never resumes an fp32 run
        description = {**(description or {}), "precision": prec}
    swapped = []
    if d.active:
        if not getattr(batches, "drawn_by_task", False):
            batches = dist_mod.ShardedBatches(batches, d)
        swapped = dist_mod.wrap_task(task, d)
    try:
        return _fit(task, steps, batches, seed, checkpoint, checkpoint_every, log_every, callbacks, description,
                    desc, progress and d.is_main, stop_after, d, prec)
    finally:
        dist_mod.unwrap_task(task, swapped)


def _fit(task, steps, batches, seed, checkpoint, checkpoint_every, log_every, callbacks, description, desc,
         progress, stop_after, d, prec) -> List[dict]:
    from .distributed import broadcast_buffers
    per_epoch = batches.per_epoch
    log_every = log_every or per_epoch or max(1, steps)
    checkpoint_every = checkpoint_every or per_epoch or log_every
    generator = torch.Generator().manual_seed(int(seed))
    eng = Engine(task=task, steps=int(steps), generator=generator, log=[], callbacks=tuple(callbacks),
                 means=_Means(), dist=d)
    if checkpoint is not None and Path(checkpoint).exists():
        ckpt.restore(Path(checkpoint), eng, description)
    for cb in eng.callbacks:
        cb.on_start(eng)
    done_now = 0
    task.train(True)
    bar = tqdm(total=steps, initial=eng.step, desc=desc, unit="step", disable=not progress)
    while eng.step < steps:
        if stop_after is not None and done_now >= stop_after:
            break
        idx = batches(eng.step, generator)
        with _autocast(task, prec):
            values = task.step(idx, eng)
        if d.active:                                     # rank 0's batch-norm statistics everywhere
            broadcast_buffers(task.modules.values(), d)
        eng.means.add(values, len(idx))
        eng.step += 1
        done_now += 1
        for cb in eng.callbacks:
            cb.on_step(eng)
        if task.schedule_every == "step":
            for s in task.schedulers.values():
                s.step()
        end_of_epoch = per_epoch is not None and eng.step % per_epoch == 0
        if end_of_epoch and task.schedule_every == "epoch":
            for s in task.schedulers.values():
                s.step()
        if (end_of_epoch if per_epoch else eng.step % log_every == 0) or eng.step == steps:
            _write_row(eng, per_epoch)
            bar.set_postfix({k: f"{v:.3g}" for k, v in eng.log[-1].items() if k not in ("step", "epoch")}
                            , refresh=False)
        bar.update(1)
        last = eng.step == steps or (stop_after is not None and done_now >= stop_after)
        if checkpoint is not None and (eng.step % checkpoint_every == 0 or last):
            if d.is_main:                                # one writer; the others wait for the file
                ckpt.save(Path(checkpoint), eng, description)
            d.barrier()
    bar.close()
    task.train(False)
    if eng.step == steps:
        for cb in eng.callbacks:
            cb.on_end(eng)
    return eng.log


def _write_row(eng: Engine, per_epoch: Optional[int]) -> None:
    row = {"step": eng.step}
    if per_epoch:
        row["epoch"] = math.ceil(eng.step / per_epoch)
    if eng.dist is not None and eng.dist.active:         # the means over every process's slices
        from .distributed import all_reduce_sums
        eng.means.sums, eng.means.n = all_reduce_sums(eng.means.sums, eng.means.n, eng.dist)
    row.update(eng.means.row())
    eng.task.train(False)
    if per_epoch:
        row.update(eng.task.end_epoch(row["epoch"] - 1, eng))
    for cb in eng.callbacks:
        row.update(cb.on_log(eng, row) or {})
    eng.task.train(True)
    eng.log.append(row)
