"""Several trainings at once, one CPU core each (notebooks 03 and 04).

The course's networks are small: one GAN iteration at width 16 and batch 64 keeps two cores
busy only part of the time (each convolution is too small to split well between threads), so
two trainings side by side, one thread each, finish sooner than the same two one after the
other on two threads (``make bench`` measures the ratio).  :func:`in_workers` runs a list of
trainings that way:

    jobs = [lambda s=s: train_rung("g", s) for s in seeds]   # each trains through the model store
    models = train.in_workers(jobs)                          # trains them two at a time, then loads

Each job is a function of no arguments that trains *through the model store*
(:func:`s2i_lib.train.cached_gan` or :meth:`ModelStore.load_or_train`): a worker process
(forked, so the job may be a closure over the notebook's variables) calls it and the model it
trains lands in the store; then this process calls every job itself, which now only loads.
What a worker returns is never pickled.

**One thread per training, always**, in the workers and in the serial fallback alike: a
training's floating-point result depends on how many threads split its sums, so fixing the
count at one makes a stored model the same whether it was trained in a worker, alone, or on a
machine with another number of cores.

A job that fails in a worker does not stop the others (what they finish is stored); its error
is raised here, naming the job, after the rest have run.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import traceback
from typing import Any, Callable, List, Optional, Sequence

import torch

_JOBS: Sequence[Callable[[], Any]] = ()   # the forked workers find their jobs here


def default_workers() -> int:
    """How many trainings run at once: ``S2I_WORKERS`` if set, else the cores this process
    may use (at least 1)."""
    env = os.environ.get("S2I_WORKERS", "").strip()
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"S2I_WORKERS={env!r} is not a whole number") from None
        if n < 1:
            raise ValueError(f"S2I_WORKERS={env!r} must be at least 1")
        return n
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                       # not Linux
        return max(1, os.cpu_count() or 1)


class one_thread:
    """Context manager: torch runs on one intra-op thread inside, as many as before after."""

    def __enter__(self):
        self.before = torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)
        return False


def _work(i: int) -> Optional[str]:
    """Run job ``i`` in a worker: silent, one thread; return the traceback if it failed."""
    try:
        _JOBS[i]()
    except BaseException:                        # noqa: BLE001 - reported to the parent
        return traceback.format_exc()
    return None


def _worker_init() -> None:
    torch.set_num_threads(1)
    os.environ["S2I_HEADLESS"] = "1"
    os.environ["S2I_PROGRESS"] = "none"
    devnull = open(os.devnull, "w")
    sys.stdout = sys.stderr = devnull           # the notebook's output streams stay the parent's


def _serial_only() -> bool:
    """Forked workers are for CPU trainings on one process: a CUDA context does not survive a
    fork, and under ``torchrun`` every training already spans the processes (DDP)."""
    return torch.cuda.is_available() or int(os.environ.get("WORLD_SIZE", "1")) > 1


def in_workers(jobs: Sequence[Callable[[], Any]], workers: Optional[int] = None, desc: str = "trainings") -> List[Any]:
    """Train ``jobs`` (functions of no arguments that train through the model store) in
    ``workers`` forked processes of one thread each (default :func:`default_workers`), then
    return ``[job() for job in jobs]`` called here, which loads what the workers stored.

    With one worker, or one job, or where ``fork`` is not available, or on a GPU, or under
    ``torchrun``, the jobs run here one after the other (on one thread when on the CPU).
    Two jobs must not train the same store entry.
    """
    from ..course.progress import tqdm

    jobs = list(jobs)
    n = default_workers() if workers is None else int(workers)
    if n < 1:
        raise ValueError(f"workers must be at least 1, got {n}")
    failures = {}
    if n > 1 and len(jobs) > 1 and "fork" in mp.get_all_start_methods() and not _serial_only():
        global _JOBS
        _JOBS = jobs
        try:
            ctx = mp.get_context("fork")
            with ctx.Pool(min(n, len(jobs)), initializer=_worker_init) as pool, \
                    tqdm(total=len(jobs), desc=desc, unit="run") as bar:
                pending = [(i, pool.apply_async(_work, (i,))) for i in range(len(jobs))]
                for i, res in pending:
                    err = res.get()
                    if err is not None:
                        failures[i] = err
                    bar.update(1)
        finally:
            _JOBS = ()
    if failures:
        first = min(failures)
        raise RuntimeError(f"{len(failures)} of {len(jobs)} {desc} failed in a worker (the others are stored); "
                           f"job {first} raised:\n{failures[first]}")
    if torch.cuda.is_available():                # a GPU's trainings: the CPU side keeps its threads
        return [job() for job in jobs]
    with one_thread():
        return [job() for job in jobs]
