"""Training on several processes (several GPUs) with ``torchrun`` and PyTorch's
DistributedDataParallel, through the one engine.

Launch any script that trains through :func:`s2i_lib.train.fit` (every ``fit_*``,
``train_gan``, ``cached_gan`` ... of the library does) with ``torchrun --nproc_per_node=N
script.py``, or the whole course with ``torchrun --nproc_per_node=N -m s2i_lib.cli reproduce``
(:class:`s2i_lib.course.execution.Launch`); the engine then

- wraps each trainable network of the task in ``DistributedDataParallel`` (its gradients
  are averaged over the processes after every backward pass; the task's own references,
  ``self.model`` and the like, point at the wrapper while it trains, and back afterwards);
- splits every batch: each process draws the *same* global batch from the engine's
  generator and keeps its own slice (:class:`ShardedBatches`), so N processes of batch
  B/N take the step one process of batch B would;
- averages the logged numbers over the processes;
- broadcasts rank 0's buffers (batch-norm statistics) after every step;
- writes checkpoints, sample grids and log files from rank 0 only (the others wait for it),
  and on resume every process restores the same file.

Without ``torchrun`` (``WORLD_SIZE`` unset or 1) :func:`from_env` returns a single-process
:class:`Dist` and nothing changes; :func:`~s2i_lib.train.fit` calls it by default, so every
training of the library (and :meth:`~s2i_lib.train.ModelStore.load_or_train`, which stores
from rank 0) runs distributed under ``torchrun`` without being told.  CPU processes use the
gloo backend, CUDA ones NCCL (``tests/test_distributed.py`` runs two gloo processes).

GAN tasks (:class:`~s2i_lib.train.GANTask`, :class:`~s2i_lib.train.Pix2PixTask`) call D
several times before one backward pass (real, generated and wrong pairs, the gradient
penalty) and G's step goes through D.  That is fine for DDP as long as each backward pass
belongs to one wrapper: D's step runs through D's wrapper with G plain (it only draws), G's
step through G's wrapper with D plain and frozen.  A GAN task draws its own batch, noise,
wrong partners and penalty weights for the *global* batch from the engine's generator and
keeps its slice, so two processes of B/2 take one process's step of B exactly when the
networks have no batch norm.  With batch norm each process normalises by the statistics
of its own B/N images (DDP's default; ``SyncBatchNorm`` would pool them, but it runs only
on GPUs), and the engine broadcasts rank 0's running statistics after every step
(:func:`broadcast_buffers`), so evaluations, samples and checkpoints agree on every process.  DiffAugment
draws from torch's global generator, per process.

The contrastive tasks (SimCLR's NT-Xent, the audio encoder's InfoNCE) gather every process's
embeddings before their loss (:func:`gather_rows`), so the negatives of each row are the whole
batch's, not one process's slice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.distributed as torch_dist
import torch.nn as nn

from .engine import Batches

__all__ = ["Dist", "from_env", "ShardedBatches", "wrap_task", "unwrap_task", "broadcast_buffers", "all_reduce_sums", "gather_rows"]


@dataclass(frozen=True)
class Dist:
    """Where this process stands: ``rank`` of ``world`` processes, ``local_rank`` on its
    machine (its GPU), and the process group's ``backend`` (``None``: one process)."""
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: Optional[str] = None

    @property
    def active(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def shard(self, t: torch.Tensor) -> torch.Tensor:
        """This process's slice of a global batch ``t`` (``tensor_split``: sizes differ by at
        most one); all of ``t`` on one process."""
        return t.tensor_split(self.world)[self.rank] if self.active else t

    def barrier(self) -> None:
        if self.active:          # NCCL wants to know the GPU the barrier's tensor goes to
            torch_dist.barrier(device_ids=[self.local_rank] if self.backend == "nccl" else None)

    def device(self) -> torch.device:
        """This process's device: its GPU (``cuda:<local_rank>``) if there are GPUs, else the CPU."""
        return torch.device(f"cuda:{self.local_rank}") if torch.cuda.is_available() else torch.device("cpu")


def from_env(backend: Optional[str] = None) -> Dist:
    """The process group that ``torchrun`` describes in the environment (``RANK``,
    ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``), initialised once:
    NCCL when CUDA is available, else gloo (or ``backend``).  One process without them."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend or ("nccl" if torch.cuda.is_available() else "gloo"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
    return Dist(torch_dist.get_rank(), torch_dist.get_world_size(), local, torch_dist.get_backend())


class ShardedBatches(Batches):
    """A batch plan split over the processes: every process draws the same global batch
    from ``inner`` (the engine's generator is seeded alike everywhere) and keeps slice
    ``rank`` of ``world`` (``tensor_split``: sizes differ by at most one)."""

    def __init__(self, inner: Batches, dist: Dist):
        self.inner, self.dist = inner, dist
        self.per_epoch = inner.per_epoch

    def __call__(self, step: int, generator: torch.Generator) -> torch.Tensor:
        return self.dist.shard(self.inner(step, generator))


def _trainable(m: nn.Module) -> bool:
    return any(p.requires_grad for p in m.parameters())


def wrap_task(task, dist: Dist) -> List[Tuple[str, nn.Module, nn.Module]]:
    """Wrap each trainable network of ``task.modules`` in ``DistributedDataParallel`` and
    point the task's attributes that held it at the wrapper (``task.modules`` keeps the
    plain networks: checkpoints and callbacks see them unchanged).  Returns what
    :func:`unwrap_task` undoes.  ``task.ddp_options`` (by network name) passes keyword
    arguments to ``DistributedDataParallel``, such as ``find_unused_parameters=True`` for a
    network with a head that this training never uses.  A GAN task's batch must split evenly over the processes
    (otherwise the mean of the processes' losses is not the loss of the whole batch)."""
    from torch.nn.parallel import DistributedDataParallel as DDP
    cfg = getattr(task, "cfg", None)
    batch = getattr(cfg, "batch_size", None)
    if isinstance(batch, int) and batch % dist.world:
        raise ValueError(f"{type(task).__name__}: batch size {batch} does not split evenly over {dist.world} "
                         f"processes; use a multiple of {dist.world}")
    swapped = []
    ids = [dist.local_rank] if torch.cuda.is_available() else None
    for name, m in task.modules.items():
        if not _trainable(m):
            continue
        # buffers (batch-norm statistics) are broadcast by the engine after each step, not by
        # DDP before each forward: a GAN step runs D several times before one backward pass,
        # and an in-place broadcast in between would change a tensor its backward needs
        ddp = DDP(m, device_ids=ids, broadcast_buffers=False, **getattr(task, "ddp_options", {}).get(name, {}))
        for attr, value in list(vars(task).items()):
            if value is m:
                setattr(task, attr, ddp)
                swapped.append((attr, m, ddp))
    return swapped


def gather_rows(t: torch.Tensor, dist: Optional[Dist]) -> torch.Tensor:
    """The rows of ``t`` from every process, in rank order (the global batch, since each
    process holds its slice), with gradients flowing back to each process's own rows; ``t``
    itself on one process.  A contrastive loss (InfoNCE, NT-Xent) computed on the gathered rows
    takes its negatives from the whole batch, as on one process: every process then computes
    the same loss, the gather's backward sums the N copies of each row's gradient, and DDP's
    mean over the processes divides them again, so the update is one process's on batch B.
    Slices may differ in length by a row (padded for the exchange, then cut)."""
    if dist is None or not dist.active:
        return t
    from torch.distributed.nn.functional import all_gather
    n = torch.tensor([len(t)], device=t.device)
    sizes = [torch.zeros_like(n) for _ in range(dist.world)]
    torch_dist.all_gather(sizes, n)
    sizes = [int(k) for k in sizes]
    pad = max(sizes) - len(t)
    padded = torch.cat([t, t.new_zeros((pad,) + tuple(t.shape[1:]))]) if pad else t
    return torch.cat([part[:k] for part, k in zip(all_gather(padded), sizes)])


def broadcast_buffers(modules, dist: Dist) -> None:
    """Every buffer of ``modules`` (batch-norm running statistics, spectral norm's vectors)
    set to rank 0's values on every process; nothing on one process."""
    if not dist.active:
        return
    with torch.no_grad():
        for m in modules:
            for b in m.buffers():
                torch_dist.broadcast(b, src=0)


def unwrap_task(task, swapped) -> None:
    """Point the task's attributes back at the plain networks."""
    for attr, m, _ in swapped:
        setattr(task, attr, m)


def all_reduce_sums(sums: Dict[str, float], n: int, dist: Dist) -> Tuple[Dict[str, float], int]:
    """The logged sums and counts added over every process (the same keys everywhere)."""
    if not dist.active:
        return sums, n
    keys = sorted(sums)
    where = dist.device() if dist.backend == "nccl" else torch.device("cpu")   # NCCL reduces GPU tensors only
    t = torch.tensor([sums[k] for k in keys] + [float(n)], dtype=torch.float64, device=where)
    torch_dist.all_reduce(t)
    return dict(zip(keys, t[:-1].tolist())), int(t[-1].item())
