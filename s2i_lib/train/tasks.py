"""The supervised trainings of notebook 02, as tasks of the one engine.

- :class:`SupervisedTask`  one network, a loss of its outputs and targets, Adam and a half
  cosine learning-rate schedule per epoch (``LambdaLR``);
- :func:`fit_classifier`   cross-entropy + Chen et al.'s l2 penalty on the FC weights
  (:func:`s2i_lib.losses.fc_l2`), optionally on augmented batches;
- :func:`fit_distillation` the KL divergence to a teacher's class distribution (SoundNet);
- :func:`fit_regression`   mean squared error to one number per item (the probes);
- :func:`fit_multilabel`   one binary cross-entropy per class, several classes per item (notebook 06),
  optionally on weighted draws (:class:`WeightedEpochBatches`) and with a ``pos_weight``;
- :func:`train_autoencoder` stack-by-stack MSE (Chen et al.'s S2I-A encoder);
- :func:`predict`, :func:`accuracy`  class probabilities, embeddings and taps in batches.

Each ``fit_*`` returns the engine's log (one row per epoch).
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..course.progress import tqdm
from ..losses import distillation_kl, fc_l2
from ..models import Standardize
from .engine import Batches, EpochBatches, Task, device_of, fit


def cosine_factor(epochs: int, floor: float = 0.05) -> Callable[[int], float]:
    """The learning-rate factor of epoch ``e``: a half cosine from 1 down to ``floor``."""
    return lambda e: floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * e / max(1, epochs)))


class SupervisedTask(Task):
    """Train ``model`` on ``X[idx]`` against ``loss(outputs, targets[idx])``."""

    def __init__(self, model: nn.Module, X: torch.Tensor, targets: torch.Tensor,
                 loss: Callable[[dict, torch.Tensor], torch.Tensor], *, epochs: int, lr: float = 1e-3,
                 betas=(0.9, 0.999), params=None, augment: Optional[Callable] = None,
                 validate: Optional[Callable[[], Dict[str, float]]] = None, forward: Optional[Callable] = None):
        self.model, self.X, self.targets, self.loss, self.augment = model, X, targets, loss, augment
        self.forward = forward if forward is not None else (lambda m, xb: m(xb))
        self.validate = validate
        opt = torch.optim.Adam(params if params is not None else model.parameters(), lr=lr, betas=tuple(betas))
        self.modules = {"model": model}
        self.optimizers = {"adam": opt}
        self.schedulers = {"cosine": torch.optim.lr_scheduler.LambdaLR(opt, cosine_factor(epochs))}

    def step(self, idx, engine):
        dev = device_of(self.model)
        xb = self.X[idx].to(dev).float()
        out = self.forward(self.model, self.augment(xb) if self.augment is not None else xb)
        loss = self.loss(out, self.targets[idx].to(dev))
        opt = self.optimizers["adam"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return {"loss": loss}

    def end_epoch(self, epoch, engine):
        return self.validate() if self.validate is not None else {}


def _fit_supervised(model, X, targets, loss, *, epochs, batch_size, lr, seed, checkpoint, desc, progress,
                    stop_after, augment=None, validate=None, params=None, description=None,
                    forward=None, batches=None) -> List[dict]:
    task = SupervisedTask(model, X, targets, loss, epochs=epochs, lr=lr, params=params, augment=augment,
                          validate=validate, forward=forward)
    batches = batches if batches is not None else EpochBatches(len(X), batch_size, seed)
    return fit(task, steps=epochs * batches.per_epoch, batches=batches, seed=seed, checkpoint=checkpoint,
               description=description, desc=desc, progress=progress,
               stop_after=None if stop_after is None else stop_after * batches.per_epoch)


def _fit_norm(model: nn.Module, X: torch.Tensor, checkpoint: Optional[Path]) -> None:
    """Fit the model's input standardisation on the training inputs (a resumed run gets it
    back from the checkpoint)."""
    if isinstance(getattr(model, "norm", None), Standardize) and (checkpoint is None or not Path(checkpoint).exists()):
        model.norm.fit(X)


def fit_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 64,
                   lr: float = 1e-3, l2_fc: float = 0.015, seed: int = 0, X_val=None, y_val=None,
                   checkpoint: Optional[Path] = None, desc: str = "classifier", progress: bool = True,
                   stop_after: Optional[int] = None, augment: Optional[Callable] = None) -> List[dict]:
    """Cross-entropy with an l2 penalty of weight ``l2_fc`` on the FC weights (Chen et al.
    2017, Sec. 3: 0.015), optionally on ``augment``-ed batches.  Logs the train loss and,
    if given, the validation accuracy after each epoch.  The model's input
    standardisation is fitted on ``X``.  ``stop_after`` counts epochs."""
    _fit_norm(model, X, checkpoint)

    def loss(out, target):
        return F.cross_entropy(out["logits"], target) + l2_fc * fc_l2(model)

    def validate():
        return {"val_accuracy": accuracy(model, X_val, y_val)} if X_val is not None else {}

    return _fit_supervised(model, X, y, loss, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                           checkpoint=checkpoint, desc=desc, progress=progress, stop_after=stop_after,
                           augment=augment, validate=validate,
                           description={"task": "classifier", "lr": lr, "l2_fc": l2_fc, "epochs": epochs,
                                        "batch_size": batch_size, "seed": seed})


def fit_distillation(student: nn.Module, X: torch.Tensor, teacher_probs: torch.Tensor, *, epochs: int,
                     batch_size: int = 64, lr: float = 1e-3, seed: int = 0, X_val=None, y_val=None,
                     checkpoint: Optional[Path] = None, desc: str = "distillation", progress: bool = True,
                     stop_after: Optional[int] = None) -> List[dict]:
    """Teach ``student`` to output the teacher's class distribution on paired inputs
    (:func:`s2i_lib.losses.distillation_kl`, as SoundNet was trained; no labels are used)."""
    _fit_norm(student, X, checkpoint)

    def validate():
        return {"val_accuracy": accuracy(student, X_val, y_val)} if X_val is not None else {}

    return _fit_supervised(student, X, teacher_probs, lambda out, t: distillation_kl(out["logits"], t),
                           epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, checkpoint=checkpoint,
                           desc=desc, progress=progress, stop_after=stop_after, validate=validate,
                           description={"task": "distillation", "lr": lr, "epochs": epochs,
                                        "batch_size": batch_size, "seed": seed})


def fit_regression(model: nn.Module, X: torch.Tensor, target: torch.Tensor, *, epochs: int, batch_size: int = 64,
                   lr: float = 1e-3, seed: int = 0, checkpoint: Optional[Path] = None, desc: str = "regression",
                   progress: bool = True, stop_after: Optional[int] = None) -> List[dict]:
    """Mean squared error between the model's first output and ``target`` (N,)."""
    return _fit_supervised(model, X, target, lambda out, t: F.mse_loss(out["logits"][:, 0], t),
                           epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, checkpoint=checkpoint,
                           desc=desc, progress=progress, stop_after=stop_after,
                           description={"task": "regression", "lr": lr, "epochs": epochs,
                                        "batch_size": batch_size, "seed": seed})


class WeightedEpochBatches(Batches):
    """As many steps per epoch as :class:`EpochBatches`, but each batch is drawn with
    replacement, item ``i`` with probability proportional to ``weights[i]``: how a rare kind
    of item is seen as often as a common one without making an epoch longer.  Step ``k``'s
    draw comes from a generator seeded by ``(seed, k)`` alone, so a resumed run draws the
    same batches."""

    def __init__(self, weights: torch.Tensor, batch_size: int, seed: int = 0):
        w = torch.as_tensor(weights, dtype=torch.float64).flatten()
        if len(w) == 0 or not bool(torch.isfinite(w).all()) or bool((w < 0).any()) or float(w.sum()) <= 0:
            raise ValueError("sample weights must be finite, non-negative and not all zero")
        self.weights, self.batch_size, self.seed = w, int(batch_size), int(seed)
        self.per_epoch = math.ceil(len(w) / self.batch_size)

    def __call__(self, step: int, generator: torch.Generator) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 100_003 + 7_919 * step + 1)
        return torch.multinomial(self.weights, self.batch_size, replacement=True, generator=g)


def fit_multilabel(model: nn.Module, X: torch.Tensor, targets: torch.Tensor, *, epochs: int, batch_size: int = 64,
                   lr: float = 1e-3, seed: int = 0, checkpoint: Optional[Path] = None, desc: str = "multi-label",
                   progress: bool = True, stop_after: Optional[int] = None,
                   augment: Optional[Callable] = None, sample_weights: Optional[torch.Tensor] = None,
                   pos_weight: Optional[torch.Tensor] = None) -> List[dict]:
    """Binary cross-entropy of every class on its own: ``targets`` (N, C) hold 1 for each
    class present in the item and 0 for the others (several may be present, or none), the
    model's ``logits`` one score per class; optionally on ``augment``-ed batches.

    Two optional ways to counter rare items or rare classes, both off by default (then the
    training is exactly the plain one): ``sample_weights`` (N,) draws each batch with
    replacement in proportion to them (:class:`WeightedEpochBatches`, same steps per
    epoch), and ``pos_weight`` (C,) scales the loss of each class's positives, as
    ``binary_cross_entropy_with_logits`` does."""
    description = {"task": "multilabel", "lr": lr, "epochs": epochs, "batch_size": batch_size, "seed": seed}
    batches = None
    if sample_weights is not None:
        batches = WeightedEpochBatches(sample_weights, batch_size, seed)
        description["sample_weights"] = _digest(batches.weights)
    if pos_weight is not None:
        pos_weight = torch.as_tensor(pos_weight, dtype=torch.float32)
        description["pos_weight"] = [float(v) for v in pos_weight]

    def loss(out, t):
        pw = pos_weight.to(t.device) if pos_weight is not None else None
        return F.binary_cross_entropy_with_logits(out["logits"], t, pos_weight=pw)

    return _fit_supervised(model, X, targets.float(), loss, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                           checkpoint=checkpoint, desc=desc, progress=progress, stop_after=stop_after,
                           augment=augment, description=description, batches=batches)


def _digest(t: torch.Tensor) -> str:
    """A short fingerprint of a tensor's values, for a checkpoint's description."""
    return hashlib.sha1(t.numpy().tobytes()).hexdigest()[:16]


def train_autoencoder(ae: nn.Module, X: torch.Tensor, *, epochs_per_stack: int, batch_size: int = 64,
                      lr: float = 1e-3, seed: int = 0, X_val=None, checkpoint_dir: Optional[Path] = None,
                      progress: bool = True, stop_after: Optional[int] = None) -> List[dict]:
    """Greedy stack-by-stack training: stack k learns to reconstruct its own input (the
    code of stack k-1) with MSE while the stacks before it are frozen (Chen et al. 2017,
    S2I-A).  Logs each stack's training MSE and, if given, the validation MSE of the whole
    autoencoder in its normalised units.  ``stop_after`` counts epochs of the current stack."""
    if checkpoint_dir is None or not (Path(checkpoint_dir) / "stack0.pt").exists():
        ae.norm.fit(X)
    log: List[dict] = []
    stacks = getattr(ae, "num_stacks", 4)
    for stack in tqdm(range(stacks), desc="autoencoder", unit="stack", disable=not progress):
        def validate(stack=stack):
            if X_val is None:
                return {"stack": stack + 1}
            with torch.no_grad():
                xs = X_val[:512].to(device_of(ae)).float()
                rec = ae(xs)["reconstruction"]
                return {"stack": stack + 1, "val_mse": float(F.mse_loss(rec, ae.norm(xs.unsqueeze(1))))}

        ck = Path(checkpoint_dir) / f"stack{stack}.pt" if checkpoint_dir is not None else None
        rows = _fit_supervised(ae, X, X, lambda out, t: out, epochs=epochs_per_stack,
                               forward=lambda m, xb, stack=stack: m.stack_loss(xb, stack),
                               batch_size=batch_size, lr=lr, seed=seed + stack, checkpoint=ck,
                               desc=f"autoencoder stack {stack + 1}/{stacks}", progress=progress,
                               stop_after=stop_after, validate=validate, params=ae.stack_parameters(stack),
                               description={"task": "autoencoder", "stack": stack, "lr": lr,
                                            "epochs": epochs_per_stack, "batch_size": batch_size, "seed": seed})
        log.extend(rows)
        if stop_after is not None and len(rows) < epochs_per_stack:
            break
    return log


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 256,
            taps: Sequence[str] = ()) -> Dict[str, torch.Tensor]:
    """Run ``model`` over ``X`` in eval mode; returns ``probs`` (softmax of the logits),
    ``embedding`` and any requested taps, each concatenated over batches, on the CPU."""
    model.eval()
    outs: Dict[str, list] = {}
    for i in range(0, len(X), batch_size):
        xb = X[i:i + batch_size].to(device_of(model)).float()
        o = model(xb, taps=taps) if taps else model(xb)
        if "logits" in o:
            o["probs"] = F.softmax(o["logits"], dim=1)
        for k, v in o.items():
            outs.setdefault(k, []).append(v.cpu())
    return {k: torch.cat(v) for k, v in outs.items()}


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """Share of ``X`` that ``model`` labels as ``y`` (NaN for no items)."""
    if len(X) == 0:
        return float("nan")
    p = predict(model, X)["probs"]
    return float((p.argmax(1) == y.cpu()).float().mean())
