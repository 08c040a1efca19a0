"""Training loops and the model cache.

One small loop (:func:`train_loop`) serves every model of the course: it shuffles with a
generator seeded by ``(seed, epoch)``, shows a progress bar, and — given a checkpoint
path — saves model, optimiser, history and the torch RNG state after every epoch, so an
interrupted run resumes where it stopped and ends with the same weights as one that was
never interrupted.  On top of it:

- :func:`fit_classifier`     cross-entropy + Chen et al.'s l2 penalty on the FC weights
- :func:`fit_distillation`   KL divergence to a teacher's class distribution (SoundNet)
- :func:`train_autoencoder`  stack-by-stack MSE (Chen et al.'s S2I-A encoder)
- :func:`predict`            class probabilities and embeddings in batches

Trained models go to a :class:`ModelStore` (``data/models/<name>/<key>/``) with their
configuration and metrics.  The key is a hash of everything that determines the weights
(architecture, training settings, the data's manifest, the input representation, the
library's model version), so a changed configuration never loads a stale model.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Mapping, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models import networks as M
from ..course.progress import tqdm


# ----------------------------------------------------------------------------- loop
@dataclass
class History:
    """Per-epoch records of a run (``loss`` and whatever else the step reports)."""
    epochs: list = field(default_factory=list)

    def append(self, record: dict) -> None:
        self.epochs.append(record)

    def series(self, key: str) -> list:
        return [r[key] for r in self.epochs if key in r]

    @property
    def last(self) -> dict:
        return self.epochs[-1] if self.epochs else {}


def device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s weights live (the device its batches are moved to)."""
    return next(model.parameters()).device


def save_atomic(obj, path: Path) -> None:
    """``torch.save`` to a temporary file, then rename: a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train_loop(model: nn.Module, params, num_items: int, step: Callable[[torch.Tensor], torch.Tensor], *,
               epochs: int, batch_size: int, lr: float = 1e-3, seed: int = 0, checkpoint: Optional[Path] = None,
               end_of_epoch: Optional[Callable[[int], dict]] = None, desc: str = "training",
               progress: bool = True, stop_after: Optional[int] = None, betas=(0.9, 0.999),
               cosine: bool = True) -> History:
    """Run ``epochs`` epochs of Adam on ``params``.

    With ``cosine`` the learning rate follows a half cosine from ``lr`` down to ``lr/20``
    over the epochs (set per epoch, so a resumed run gets the same schedule).
    ``step(idx)`` gets a LongTensor of item indices and returns the loss of that batch.
    ``end_of_epoch(epoch)`` may return extra numbers to record (e.g. validation accuracy).
    With ``checkpoint`` set, the state after each epoch is saved there and a later call
    resumes from it.  ``stop_after`` ends the call after that many epochs of *this call*
    (used by the tests to simulate an interruption).
    """
    opt = torch.optim.Adam(params, lr=lr, betas=tuple(betas))
    history, start = History(), 0
    if checkpoint is not None and Path(checkpoint).exists():
        state = torch.load(checkpoint, weights_only=False, map_location=device_of(model))
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history.epochs = state["history"]
        torch.set_rng_state(state["rng"].cpu())
        if state.get("cuda_rng") and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        start = state["epoch"]
    done_now = 0
    for epoch in range(start, epochs):
        if stop_after is not None and done_now >= stop_after:
            break
        if cosine:
            for group in opt.param_groups:
                group["lr"] = lr * (0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * epoch / max(1, epochs))))
        model.train()
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(num_items, generator=g)
        batches = [order[i:i + batch_size] for i in range(0, num_items, batch_size)]
        total, seen = 0.0, 0
        for idx in tqdm(batches, desc=f"{desc} {epoch + 1}/{epochs}", leave=False, disable=not progress):
            loss = step(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        record = {"epoch": epoch + 1, "loss": total / max(seen, 1)}
        if end_of_epoch is not None:
            model.eval()
            record.update(end_of_epoch(epoch))
        history.append(record)
        done_now += 1
        if checkpoint is not None:
            Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
            save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "history": history.epochs,
                          "rng": torch.get_rng_state(), "epoch": epoch + 1,
                          "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
                         Path(checkpoint))
    model.eval()
    return history


# ----------------------------------------------------------------------------- objectives
def fc_l2(model: nn.Module) -> torch.Tensor:
    """Half the sum of squared FC weights of a classifier head (TensorFlow's ``l2_loss``;
    Chen et al. weight it by 0.015)."""
    return sum(0.5 * (w ** 2).sum() for w in model.head.fc_weights())


@torch.no_grad()
def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 256,
            taps: Sequence[str] = ()) -> Dict[str, torch.Tensor]:
    """Run ``model`` over ``X`` in eval mode; returns ``probs`` (softmax of the logits),
    ``embedding`` and any requested taps, each concatenated over batches."""
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
    if len(X) == 0:
        return float("nan")
    p = predict(model, X)["probs"]
    return float((p.argmax(1) == y.cpu()).float().mean())


def augment_images(x: torch.Tensor) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 1/8 of the side (edge pixels repeated),
    drawn from torch's global generator so that a resumed run draws the same ones."""
    n, _, h, w = x.shape
    flip = torch.rand(n) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    p = max(1, h // 8)
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    i, j = (int(v) for v in torch.randint(0, 2 * p + 1, (2,)))
    return padded[..., i:i + h, j:j + w]


def fit_classifier(model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 64,
                   lr: float = 1e-3, l2_fc: float = 0.015, seed: int = 0, X_val=None, y_val=None,
                   checkpoint: Optional[Path] = None, desc: str = "classifier", progress: bool = True,
                   stop_after: Optional[int] = None, augment: Optional[Callable] = None) -> History:
    """Cross-entropy training with an l2 penalty of weight ``l2_fc`` on the FC weights
    (Chen et al. 2017, Sec. 3: 0.015), optionally on ``augment``-ed batches.  Records train loss and, if given, validation
    accuracy after each epoch.  The model's input standardisation is fitted on ``X``."""
    if isinstance(getattr(model, "norm", None), M.Standardize) and (checkpoint is None or not Path(checkpoint).exists()):
        model.norm.fit(X)

    def step(idx):
        xb = X[idx].to(device_of(model)).float()
        out = model(augment(xb) if augment is not None else xb)
        return F.cross_entropy(out["logits"], y[idx].to(xb.device)) + l2_fc * fc_l2(model)

    def end(epoch):
        return {"val_accuracy": accuracy(model, X_val, y_val)} if X_val is not None else {}

    return train_loop(model, model.parameters(), len(X), step, epochs=epochs, batch_size=batch_size, lr=lr,
                      seed=seed, checkpoint=checkpoint, end_of_epoch=end, desc=desc, progress=progress,
                      stop_after=stop_after)


def fit_distillation(student: nn.Module, X: torch.Tensor, teacher_probs: torch.Tensor, *, epochs: int,
                     batch_size: int = 64, lr: float = 1e-3, seed: int = 0, X_val=None, y_val=None,
                     checkpoint: Optional[Path] = None, desc: str = "distillation", progress: bool = True,
                     stop_after: Optional[int] = None) -> History:
    """Teach ``student`` to output the teacher's class distribution on paired inputs
    (the KL divergence SoundNet was trained with; no labels are used)."""
    if checkpoint is None or not Path(checkpoint).exists():
        student.norm.fit(X)

    def step(idx):
        dev = device_of(student)
        logp = F.log_softmax(student(X[idx].to(dev).float())["logits"], dim=1)
        return F.kl_div(logp, teacher_probs[idx].to(dev), reduction="batchmean")

    def end(epoch):
        return {"val_accuracy": accuracy(student, X_val, y_val)} if X_val is not None else {}

    return train_loop(student, student.parameters(), len(X), step, epochs=epochs, batch_size=batch_size, lr=lr,
                      seed=seed, checkpoint=checkpoint, end_of_epoch=end, desc=desc, progress=progress,
                      stop_after=stop_after)


def train_autoencoder(ae: M.AudioAutoencoder, X: torch.Tensor, *, epochs_per_stack: int, batch_size: int = 64,
                      lr: float = 1e-3, seed: int = 0, X_val=None, checkpoint_dir: Optional[Path] = None,
                      progress: bool = True) -> History:
    """Greedy stack-by-stack training: stack k learns to reconstruct its own input (the
    code of stack k-1) with MSE while stacks before it are frozen (Chen et al. 2017, S2I-A).
    Records each stack's training MSE and, if given, the validation MSE of the whole
    autoencoder in its normalised units."""
    if checkpoint_dir is None or not (Path(checkpoint_dir) / "stack0.pt").exists():
        ae.norm.fit(X)
    history = History()
    for stack in range(4):
        def step(idx, stack=stack):
            return ae.stack_loss(X[idx].to(device_of(ae)).float(), stack)

        def end(epoch, stack=stack):
            if X_val is None:
                return {"stack": stack + 1}
            with torch.no_grad():
                xs = X_val[:512].to(device_of(ae)).float()
                rec = ae(xs)["reconstruction"]
                return {"stack": stack + 1, "val_mse": float(F.mse_loss(rec, ae.norm(xs.unsqueeze(1))))}

        ck = Path(checkpoint_dir) / f"stack{stack}.pt" if checkpoint_dir is not None else None
        h = train_loop(ae, ae.stack_parameters(stack), len(X), step, epochs=epochs_per_stack,
                       batch_size=batch_size, lr=lr, seed=seed + stack, checkpoint=ck, end_of_epoch=end,
                       desc=f"autoencoder stack {stack + 1}/4", progress=progress)
        history.epochs.extend(h.epochs)
    return history


# ----------------------------------------------------------------------------- model store
def canonical(obj) -> str:
    """A JSON text that is the same for equal configurations (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def config_key(payload: Mapping) -> str:
    return hashlib.sha256(canonical(payload).encode()).hexdigest()[:16]


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Trained:
    """A model with what made it: ``payload`` (the full configuration that keyed it),
    ``metrics``, where it is stored and whether this call loaded it from the store."""
    model: nn.Module
    payload: dict
    metrics: dict
    path: Path
    loaded: bool
    history: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.path.name


class ModelStore:
    """Trained models on disk: ``<root>/<name>/<key>/{model.pt, config.json, metrics.json}``.

    ``config.json`` holds the payload the key was made from; :meth:`load` compares it
    with the requested payload, so even a hash collision or a hand-edited folder cannot
    hand back a model trained under another configuration.
    """

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name: str, payload: Mapping) -> Path:
        return self.root / name / config_key({"name": name, **payload, "model_version": M.MODEL_VERSION})

    def load(self, name: str, payload: Mapping) -> Optional[Trained]:
        p = self.path(name, payload)
        if not (p / "model.pt").exists() or not (p / "config.json").exists():
            return None
        stored = json.loads((p / "config.json").read_text())
        if canonical(stored.get("payload")) != canonical(payload):
            return None
        model = M.from_config(stored["model"])
        model.load_state_dict(torch.load(p / "model.pt", weights_only=True, map_location="cpu"))
        model.eval()
        metrics = json.loads((p / "metrics.json").read_text()) if (p / "metrics.json").exists() else {}
        hist = json.loads((p / "history.json").read_text()) if (p / "history.json").exists() else []
        return Trained(model, dict(payload), metrics, p, True, hist)

    def save(self, name: str, payload: Mapping, model: nn.Module, metrics: Mapping, history=()) -> Trained:
        p = self.path(name, payload)
        p.mkdir(parents=True, exist_ok=True)
        save_atomic(model.state_dict(), p / "model.pt")
        (p / "metrics.json").write_text(json.dumps(dict(metrics), indent=2, sort_keys=True))
        (p / "history.json").write_text(json.dumps(list(history), indent=1))
        # config.json last: its presence marks a complete entry
        tmp = p / "config.json.tmp"
        tmp.write_text(json.dumps({"name": name, "payload": dict(payload), "model": model.config,
                                   "saved": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())},
                                  indent=2, sort_keys=True, default=str))
        os.replace(tmp, p / "config.json")
        return Trained(model, dict(payload), dict(metrics), p, False, list(history))

    def load_or_train(self, name: str, payload: Mapping,
                      train: Callable[[Path], tuple], retrain: bool = False) -> Trained:
        """The stored model for ``payload``, or ``train(workdir)`` -> ``(model, metrics,
        history)`` whose result is stored.  ``workdir`` holds the run's checkpoints, so
        an interrupted training resumes on the next call; it is removed once saved."""
        if not retrain:
            hit = self.load(name, payload)
            if hit is not None:
                return hit
        p = self.path(name, payload)
        work = p / "checkpoints"
        work.mkdir(parents=True, exist_ok=True)
        model, metrics, history = train(work)
        out = self.save(name, payload, model, metrics, history)
        shutil.rmtree(work, ignore_errors=True)
        return out

    def entries(self, name: Optional[str] = None) -> list:
        """Every stored (name, key, payload) — what the cache holds."""
        rows = []
        for cfg in sorted(self.root.glob(f"{name or '*'}/*/config.json")):
            d = json.loads(cfg.read_text())
            rows.append({"name": d["name"], "key": cfg.parent.name, "payload": d["payload"]})
        return rows
