"""pix2pix training for the stacked GANs of notebook 05: a map-to-map conditional GAN
(Isola et al. 2017) through the course's one engine.

D sees (condition, output) pairs and scores each patch; G pays the adversarial term plus
``l1_weight`` (pix2pix: 100) times the L1 distance to the target.  ``d_scale`` multiplies D's
loss: the multimodal-features paper puts a penalty of 0.001 on the discriminator loss so that D
does not converge too fast (Sec. 5.4), which the course reads as this scale
(a reading: the paper gives no formula).  Under Adam that scale does almost nothing: Adam
divides each gradient by its own running magnitude, so a loss times 0.001 gives nearly the same
updates (only its epsilon sees the difference; tested).  Slowing D takes a smaller ``lr_d``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import callbacks as cb
from .engine import RandomBatches, Task, fit
from .gan import frozen


@dataclass
class Pix2PixConfig:
    """Everything that decides a pix2pix run."""
    steps: int = 500
    batch_size: int = 32
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: Tuple[float, float] = (0.5, 0.999)
    l1_weight: float = 100.0
    d_scale: float = 1.0
    log_every: int = 50
    eval_every: int = 0
    eval_from: int = 0
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self):
        self.betas = tuple(self.betas)
        if self.d_scale <= 0:
            raise ValueError(f"d_scale must be positive, got {self.d_scale}")
        if self.l1_weight < 0:
            raise ValueError(f"l1_weight must be >= 0, got {self.l1_weight}")


class Pix2PixTask(Task):
    """One pix2pix iteration: a D step on real and generated (condition, output) pairs, then a
    G step through the frozen D."""
    schedule_every = "step"

    def __init__(self, G: nn.Module, D: nn.Module, cond: torch.Tensor, target: torch.Tensor, cfg: Pix2PixConfig):
        if len(cond) != len(target):
            raise ValueError(f"{len(cond)} conditions but {len(target)} targets")
        self.G, self.D, self.cond, self.target, self.cfg = G, D, cond, target, cfg
        self.device = next(G.parameters()).device
        self.modules = {"G": G, "D": D}
        self.optimizers = {"G": torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas),
                           "D": torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)}
        self.schedulers = {}

    def _optimise(self, name: str, loss: torch.Tensor) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def step(self, idx, engine) -> Dict[str, torch.Tensor]:
        cfg = self.cfg
        c, y = self.cond[idx].to(self.device), self.target[idx].to(self.device)
        fake = self.G(c)
        s_real, s_fake = self.D(c, y)["adv"], self.D(c, fake.detach())["adv"]
        loss_d = cfg.d_scale * 0.5 * (F.softplus(-s_real).mean() + F.softplus(s_fake).mean())
        self._optimise("D", loss_d)
        D0 = self.modules["D"]               # D itself (self.D is its DDP wrapper under torchrun)
        with frozen(D0):
            adv = F.softplus(-D0(c, fake)["adv"]).mean()
            l1 = (fake - y).abs().mean()
            self._optimise("G", adv + cfg.l1_weight * l1)
        return {"loss_d": loss_d.detach(), "loss_g_adv": adv.detach(), "l1": l1.detach(),
                "score_real": s_real.mean().detach(), "score_fake": s_fake.mean().detach()}


def train_pix2pix(G: nn.Module, D: nn.Module, cond: torch.Tensor, target: torch.Tensor, cfg: Pix2PixConfig,
                  out_dir=None, evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
                  progress: bool = True, stop_after: Optional[int] = None, desc: str = "pix2pix") -> List[dict]:
    """Train ``G`` (condition maps -> output maps) against ``D`` on ``cond[i] -> target[i]``
    for ``cfg.steps`` iterations; returns the log.  With ``out_dir`` the run checkpoints there
    and resumes; ``evaluate(G, step)`` (G in eval mode) adds numbers to the log every
    ``cfg.eval_every`` steps from ``cfg.eval_from`` on."""
    task = Pix2PixTask(G, D, cond, target, cfg)
    callbacks = []
    if evaluate is not None and cfg.eval_every:
        def run_eval(engine):
            G.eval()
            try:
                return evaluate(G, engine.step)
            finally:
                G.train()
        callbacks.append(cb.Evaluate(run_eval, cfg.eval_every, cfg.eval_from))
    out = Path(out_dir) if out_dir is not None else None
    log = fit(task, steps=cfg.steps, batches=RandomBatches(len(cond), cfg.batch_size), seed=cfg.seed,
              checkpoint=out / "checkpoint.pt" if out is not None else None, checkpoint_every=cfg.checkpoint_every,
              log_every=cfg.log_every, callbacks=callbacks,
              description={"pix2pix_config": asdict(cfg), "G": G.config, "D": D.config}, desc=desc,
              progress=progress, stop_after=stop_after)
    G.eval()
    return log


def tensor_digest(x: torch.Tensor) -> str:
    """The SHA-256 of a tensor's values, dtype and shape: part of a stored run's key, so that
    a run trained on other inputs is never reloaded for these."""
    import hashlib
    t = x.detach().cpu().contiguous()
    h = hashlib.sha256(f"{t.dtype}:{tuple(t.shape)}:".encode())
    h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def cached_pix2pix(store, name: str, payload: dict, G: nn.Module, D: nn.Module, cond: torch.Tensor,
                   target: torch.Tensor, cfg: Pix2PixConfig,
                   evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
                   progress: bool = True, desc: str = "pix2pix", retrain: bool = False):
    """:func:`train_pix2pix` through a :class:`~s2i_lib.train.store.ModelStore`: the trained
    generator is stored under ``name`` with a key made of ``payload``, ``cfg``, both networks'
    configurations and digests of ``cond`` and ``target`` themselves (:func:`tensor_digest`),
    and reloaded on the next call instead of retrained; an interrupted run resumes from its
    checkpoint.  Returns a :class:`~s2i_lib.train.store.Trained` (``model`` the generator in
    eval mode, ``history`` the log, ``metrics`` its last row plus ``train_seconds``)."""
    import time
    full = {**payload, "pix2pix_config": asdict(cfg), "G": G.config, "D": D.config,
            "cond": tensor_digest(cond), "target": tensor_digest(target)}

    def fit_model(work: Path):
        t0 = time.time()
        log = train_pix2pix(G, D, cond, target, cfg, out_dir=work, evaluate=evaluate, progress=progress, desc=desc)
        return G.eval(), {**(log[-1] if log else {}), "train_seconds": time.time() - t0}, log

    return store.load_or_train(name, full, fit_model, retrain=retrain)
