"""The contrastive trainings of notebook 06 through the one engine.

- :func:`fit_simclr`      an image encoder without labels: two views of each batch image
  (:func:`s2i_lib.train.augment.simclr_views`), NT-Xent on their projections
  (:func:`s2i_lib.losses.nt_xent`); Adam with the half-cosine schedule per epoch.
- :func:`fit_alignment`   an audio encoder against fixed visual features of the paired
  frames: Sound2Scene's InfoNCE (``loss="info_nce"``, with ``similarity`` and
  ``temperature``) or the L2 baseline (``loss="l2"``); the encoder's input standardisation is
  fitted on the training spectrograms.

Both log one row per epoch; with ``X_val`` / ``target_val`` the alignment also logs the
validation loss and the share of validation sounds whose nearest visual feature (among the
validation frames) is their own frame's (``val_r1``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..losses.contrastive import SIMILARITIES, info_nce, l2_alignment, nt_xent, pair_logits
from .augment import simclr_views
from .distributed import gather_rows
from .engine import EpochBatches, Task, device_of, fit
from .tasks import _fit_norm, cosine_factor

ALIGN_LOSSES = ("info_nce", "l2")


class SimCLRTask(Task):
    def __init__(self, encoder: nn.Module, images: torch.Tensor, *, epochs: int, lr: float, temperature: float,
                 views: Callable[[torch.Tensor], torch.Tensor] = simclr_views):
        self.encoder, self.images, self.temperature, self.views = encoder, images, float(temperature), views
        opt = torch.optim.Adam(encoder.parameters(), lr=lr)
        self.modules = {"encoder": encoder}
        self.optimizers = {"adam": opt}
        self.schedulers = {"cosine": torch.optim.lr_scheduler.LambdaLR(opt, cosine_factor(epochs))}

    def step(self, idx, engine):
        x = self.images[idx].to(device_of(self.encoder)).float()
        z1, z2 = self.encoder(self.views(x))["projection"], self.encoder(self.views(x))["projection"]
        # under DDP the negatives are the whole batch's (every process's slice), not this slice's
        loss = nt_xent(gather_rows(z1, engine.dist), gather_rows(z2, engine.dist), self.temperature)
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss}


def fit_simclr(encoder: nn.Module, images: torch.Tensor, *, epochs: int, batch_size: int = 128, lr: float = 1e-3,
               temperature: float = 0.5, seed: int = 0, checkpoint: Optional[Path] = None, progress: bool = True,
               desc: str = "SimCLR", stop_after: Optional[int] = None) -> List[dict]:
    """Train ``encoder`` (a :class:`s2i_lib.models.SimCLREncoder`) on ``images`` (N, 3, H, W)
    in [0, 1] with NT-Xent at ``temperature``; returns the log.  ``stop_after`` counts epochs."""
    if batch_size < 2:
        raise ValueError("SimCLR needs batches of at least two images")
    task = SimCLRTask(encoder, images, epochs=epochs, lr=lr, temperature=temperature)
    batches = EpochBatches(len(images), batch_size, seed)
    return fit(task, steps=epochs * batches.per_epoch, batches=batches, seed=seed, checkpoint=checkpoint,
               description={"task": "simclr", "epochs": epochs, "batch_size": batch_size, "lr": lr,
                            "temperature": temperature, "seed": seed},
               desc=desc, progress=progress, stop_after=None if stop_after is None else stop_after * batches.per_epoch)


def alignment_loss(audio: torch.Tensor, visual: torch.Tensor, loss: str = "info_nce", similarity: str = "l2",
                   temperature: float = 1.0) -> torch.Tensor:
    """The loss of :func:`fit_alignment` on one batch."""
    if loss == "info_nce":
        return info_nce(audio, visual, temperature, similarity)
    if loss == "l2":
        return l2_alignment(audio, visual)
    raise ValueError(f"loss must be one of {ALIGN_LOSSES}, got {loss!r}")


class AlignTask(Task):
    def __init__(self, encoder: nn.Module, X: torch.Tensor, target: torch.Tensor, *, epochs: int, lr: float,
                 loss: str, similarity: str, temperature: float, X_val=None, target_val=None):
        if len(X) != len(target):
            raise ValueError(f"{len(X)} sounds but {len(target)} visual features")
        if loss not in ALIGN_LOSSES or similarity not in SIMILARITIES:
            raise ValueError(f"loss must be one of {ALIGN_LOSSES} and similarity one of {SIMILARITIES}, "
                             f"got {loss!r} and {similarity!r}")
        self.encoder, self.X, self.target = encoder, X, target
        self.kw = {"loss": loss, "similarity": similarity, "temperature": float(temperature)}
        self.X_val, self.target_val = X_val, target_val
        opt = torch.optim.Adam(encoder.parameters(), lr=lr)
        self.modules = {"encoder": encoder}
        self.optimizers = {"adam": opt}
        self.schedulers = {"cosine": torch.optim.lr_scheduler.LambdaLR(opt, cosine_factor(epochs))}

    def step(self, idx, engine):
        dev = device_of(self.encoder)
        a = self.encoder(self.X[idx].to(dev).float())["embedding"]
        v = self.target[idx].to(dev).float()
        loss = alignment_loss(gather_rows(a, engine.dist), gather_rows(v, engine.dist), **self.kw)
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss}

    @torch.no_grad()
    def end_epoch(self, epoch, engine):
        if self.X_val is None:
            return {}
        dev = device_of(self.encoder)
        a = torch.cat([self.encoder(self.X_val[i:i + 256].to(dev).float())["embedding"]
                       for i in range(0, len(self.X_val), 256)])
        v = self.target_val.to(dev).float()
        r1 = (pair_logits(a, v, 1.0, "l2").argmax(1) == torch.arange(len(a), device=dev)).float().mean()
        return {"val_loss": float(alignment_loss(a, v, **self.kw)), "val_r1": float(r1)}


def fit_alignment(encoder: nn.Module, X: torch.Tensor, target: torch.Tensor, *, epochs: int, batch_size: int = 64,
                  lr: float = 1e-3, loss: str = "info_nce", similarity: str = "l2", temperature: float = 1.0,
                  seed: int = 0, X_val=None, target_val=None, checkpoint: Optional[Path] = None,
                  progress: bool = True, desc: str = "audio alignment", stop_after: Optional[int] = None) -> List[dict]:
    """Train ``encoder`` (e.g. :class:`s2i_lib.models.AudioResNet18`) so that its output for
    sound ``X[i]`` lands on the visual feature ``target[i]`` of the paired frame (see the
    module docstring); returns the log.  ``stop_after`` counts epochs."""
    _fit_norm(encoder, X, checkpoint)
    task = AlignTask(encoder, X, target, epochs=epochs, lr=lr, loss=loss, similarity=similarity,
                     temperature=temperature, X_val=X_val, target_val=target_val)
    batches = EpochBatches(len(X), batch_size, seed)
    return fit(task, steps=epochs * batches.per_epoch, batches=batches, seed=seed, checkpoint=checkpoint,
               description={"task": "alignment", "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
                            **task.kw},
               desc=desc, progress=progress, stop_after=None if stop_after is None else stop_after * batches.per_epoch)
