"""Training the multimodal layers of notebook 05 (anonymous 2019, Sec. 5.3) through the one
engine: every step feeds a batch of pairs three times, image features only (I), sound
features only (S) and both (B), and minimises :func:`s2i_lib.losses.multimodal_loss` with the
terms asked for.

Each epoch's log row holds the terms and, to show a collapse as it happens, the mean
Euclidean norm of the hidden vectors (after the activation) for I and for S over the
training pairs (``norm_I``, ``norm_S``) and the share of hidden units that are zero for every
training pair of S (``dead_S``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn

from ..losses.multimodal import TERMS, multimodal_loss
from .engine import EpochBatches, Task, device_of, fit


class MultimodalTask(Task):
    """One Adam step of the multimodal layers on pairs ``idx``."""

    def __init__(self, model: nn.Module, image: torch.Tensor, sound: torch.Tensor, labels: torch.Tensor,
                 terms: Sequence[str], lr: float, weights=None, hidden_ce=None):
        if not (len(image) == len(sound) == len(labels)):
            raise ValueError(f"{len(image)} image features, {len(sound)} sound features and {len(labels)} labels")
        self.model, self.image, self.sound, self.labels = model, image, sound, labels
        self.terms, self.weights, self.hidden_ce = tuple(terms), dict(weights or {}), hidden_ce
        self.modules = {"model": model}
        self.optimizers = {"adam": torch.optim.Adam(model.parameters(), lr=lr)}
        self.schedulers = {}

    def outputs(self, idx) -> Dict[str, Dict[str, torch.Tensor]]:
        dev = device_of(self.model)
        xi, xs = self.image[idx].to(dev).float(), self.sound[idx].to(dev).float()
        return {"I": self.model(image=xi), "S": self.model(sound=xs), "B": self.model(image=xi, sound=xs)}

    def step(self, idx, engine):
        parts = multimodal_loss(self.outputs(idx), self.labels[idx].to(device_of(self.model)), self.terms, self.weights,
                                hidden_ce=self.hidden_ce)
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        parts["total"].backward()
        opt.step()
        return {("loss" if k == "total" else k): v for k, v in parts.items()}

    @torch.no_grad()
    def end_epoch(self, epoch, engine):
        out = self.outputs(torch.arange(len(self.labels)))
        return {"norm_I": float(out["I"]["post"].norm(dim=1).mean()),
                "norm_S": float(out["S"]["post"].norm(dim=1).mean()),
                "dead_S": float((out["S"]["post"].abs().amax(dim=0) == 0).float().mean())}


def fit_multimodal(model: nn.Module, image: torch.Tensor, sound: torch.Tensor, labels: torch.Tensor, *,
                   terms: Sequence[str] = TERMS, epochs: int = 30, batch_size: int = 128, lr: float = 1e-3,
                   weights=None, hidden_ce=None, seed: int = 0, checkpoint: Optional[Path] = None, progress: bool = True,
                   desc: str = "multimodal layers", stop_after: Optional[int] = None) -> List[dict]:
    """Train :class:`s2i_lib.models.MultimodalLayers` ``model`` on paired ``image`` and
    ``sound`` feature rows with class ``labels`` for ``epochs`` shuffled passes; returns the
    log, one row per epoch (see the module docstring).  ``hidden_ce`` replaces the hidden
    cross-entropy (:func:`s2i_lib.losses.multimodal_loss`); ``stop_after`` counts epochs."""
    task = MultimodalTask(model, image, sound, labels, terms, lr, weights, hidden_ce)
    batches = EpochBatches(len(labels), batch_size, seed)
    return fit(task, steps=epochs * batches.per_epoch, batches=batches, seed=seed, checkpoint=checkpoint,
               description={"task": "multimodal", "terms": list(terms), "weights": dict(weights or {}), "lr": lr,
                            "epochs": epochs, "batch_size": batch_size, "seed": seed,
                            "hidden_ce": getattr(hidden_ce, "__name__", None)},
               desc=desc, progress=progress,
               stop_after=None if stop_after is None else stop_after * batches.per_epoch)
