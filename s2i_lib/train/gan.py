"""The training loop of every conditional GAN in the course.

One iteration makes ``n_d`` discriminator steps, then ``n_g`` generator steps (Wan et al.
2019 update G five times per D update).  Around that core:

- optimisers: Adam (the DCGAN betas by default) or RMSProp (the original WGAN), with a
  constant or linearly decaying learning rate;
- the loss kind of :mod:`s2i_lib.gan` (BCE, hinge, WGAN with weight clipping right after
  each D step, WGAN-GP with its penalty), the GAN-CLS wrong pairs of a
  :class:`~s2i_lib.gan.WrongPairSampler`, and an optional auxiliary-classifier term;
- an exponential moving average of G's weights (``ema``), often the better sampler;
- every ``log_every`` steps a row of losses and scores in ``log.csv``; every
  ``sample_every`` steps a grid of samples for fixed noise and conditions; every
  ``eval_every`` steps the metrics a caller's ``evaluate(G, step)`` returns;
- a checkpoint every ``checkpoint_every`` steps holding both networks, the EMA copy, the
  optimisers, the log and the state of the random generator that draws batches, wrong
  pairs and noise, so a resumed run ends exactly where an uninterrupted one does.

Batches, wrong partners and noise all come from one seeded ``torch.Generator``; dropout-free
networks and CPU determinism make two runs with the same seed identical.
"""
from __future__ import annotations

import copy
import csv
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..models import gan
from ..course.progress import tqdm
from .engine import save_atomic


@dataclass
class GANConfig:
    """Everything that decides a GAN run (saved with it as ``config.json``)."""
    loss: str = "hinge"             # bce | hinge | wgan | wgan-gp
    steps: int = 800                # generator iterations
    n_d: int = 1                    # D steps per iteration
    n_g: int = 1                    # G steps per iteration
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    optimizer: str = "adam"         # adam | rmsprop
    betas: Tuple[float, float] = (0.5, 0.999)
    lr_schedule: str = "constant"   # constant | linear (to zero at the last step)
    wrong: str = "class"            # class | same_class | none (S2I-N)
    wrong_weight: float = 0.5       # weight of the mismatch term (Reed et al.: 1/2)
    fake_weight: Optional[float] = None  # weight of the fake term (None: 1 - wrong_weight; Kang & Kymn: 1)
    aux_weight: float = 0.0         # auxiliary-classifier loss weight (needs a D with aux_classes)
    clip: float = 0.01              # WGAN weight clipping
    gp_weight: float = 10.0         # WGAN-GP penalty weight
    ema: float = 0.0                # decay of the EMA of G (0: no EMA)
    log_every: int = 10
    sample_every: int = 100
    eval_every: int = 0             # 0: never
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self):
        if self.loss not in gan.LOSSES:
            raise ValueError(f"loss must be one of {gan.LOSSES}, got {self.loss!r}")
        if self.optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}")
        if self.lr_schedule not in ("constant", "linear"):
            raise ValueError(f"lr_schedule must be 'constant' or 'linear', got {self.lr_schedule!r}")
        if self.wrong not in gan.WrongPairSampler.MODES:
            raise ValueError(f"wrong must be one of {gan.WrongPairSampler.MODES}, got {self.wrong!r}")


@dataclass
class GANData:
    """Training pairs in memory: ``images`` (N, C, H, W) in [-1, 1], ``cond`` (N, D) sound
    encodings, ``labels`` (N,) class indices and ``groups`` (N,) clip ids (for same-class
    wrong pairs)."""
    images: torch.Tensor
    cond: torch.Tensor
    labels: torch.Tensor
    groups: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return len(self.images)


@dataclass
class GANRun:
    G: nn.Module
    D: nn.Module
    G_ema: Optional[nn.Module]
    log: List[dict] = field(default_factory=list)
    out_dir: Optional[Path] = None
    step: int = 0

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.G_ema if self.G_ema is not None else self.G


def _optimizer(params, lr: float, cfg: GANConfig):
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))
    return torch.optim.RMSprop(params, lr=lr)


def _write_log(out_dir: Path, rows: List[dict]) -> None:
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k != "step", k))
    tmp = out_dir / "log.csv.tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, out_dir / "log.csv")
    (out_dir / "log.json").write_text(json.dumps(rows, indent=1))


def save_grid(images: torch.Tensor, path: Path, nrow: int = 8) -> None:
    """Save images in [-1, 1] as one PNG grid."""
    from torchvision.utils import save_image
    path.parent.mkdir(parents=True, exist_ok=True)
    save_image((images.detach().cpu() + 1) / 2, path, nrow=nrow, padding=1)


def train_gan(G: nn.Module, D: nn.Module, data: GANData, cfg: GANConfig, out_dir=None,
              evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
              sample_cond: Optional[torch.Tensor] = None, progress: bool = True,
              stop_after: Optional[int] = None, desc: str = "GAN") -> GANRun:
    """Train ``G`` and ``D`` on ``data`` for ``cfg.steps`` iterations.

    With ``out_dir``, the run resumes from ``out_dir/checkpoint.pt`` if it exists and
    writes ``config.json``, ``log.csv``/``log.json``, ``samples/step_XXXXXX.png`` and
    checkpoints there.  ``sample_cond`` (K, D) fixes the conditions of the sample grids
    (default: the first 8 training conditions), each drawn with 4 fixed noise vectors.
    ``stop_after`` ends this call after that many iterations (to test resuming).
    """
    device = next(G.parameters()).device
    out = Path(out_dir) if out_dir is not None else None
    g_ema = copy.deepcopy(G).eval() if cfg.ema > 0 else None
    if g_ema is not None:
        for p in g_ema.parameters():
            p.requires_grad_(False)
    opt_g, opt_d = _optimizer(G.parameters(), cfg.lr_g, cfg), _optimizer(D.parameters(), cfg.lr_d, cfg)
    rng = torch.Generator().manual_seed(cfg.seed)
    groups = data.groups if data.groups is not None else np.arange(len(data))
    wrong = gan.WrongPairSampler(data.labels.cpu().numpy(), groups, cfg.wrong, seed=cfg.seed)
    if cfg.aux_weight > 0 and getattr(D, "aux", None) is None:
        raise ValueError("aux_weight > 0 needs a discriminator built with aux_classes > 0")
    log: List[dict] = []
    start = 0
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        ck = out / "checkpoint.pt"
        if ck.exists():
            st = torch.load(ck, weights_only=False, map_location=device)
            if st["config"] != asdict(cfg):
                raise ValueError(f"{ck}: saved with another configuration; use a new out_dir or delete it")
            G.load_state_dict(st["G"]); D.load_state_dict(st["D"])
            opt_g.load_state_dict(st["opt_g"]); opt_d.load_state_dict(st["opt_d"])
            if g_ema is not None:
                g_ema.load_state_dict(st["G_ema"])
            rng.set_state(st["rng"])
            wrong.rng.bit_generator.state = st["wrong_rng"]
            log, start = st["log"], st["step"]
        (out / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    k = sample_cond.shape[0] if sample_cond is not None else min(8, len(data))
    fixed_c = (sample_cond if sample_cond is not None else data.cond[:k]).to(device)
    fixed_z = G.noise(4 * k, generator=torch.Generator().manual_seed(cfg.seed + 1)).to(device)
    fixed_c = fixed_c.repeat_interleave(4, dim=0)

    def batch():
        idx = torch.randint(len(data), (cfg.batch_size,), generator=rng)
        return idx, data.images[idx].to(device), data.cond[idx].to(device), data.labels[idx].to(device)

    def set_lr(step):
        f = 1.0 if cfg.lr_schedule == "constant" else max(0.0, 1 - step / cfg.steps)
        for o, lr in ((opt_g, cfg.lr_g), (opt_d, cfg.lr_d)):
            for grp in o.param_groups:
                grp["lr"] = lr * f

    G.train(); D.train()
    done = 0
    bar = tqdm(range(start, cfg.steps), desc=desc, initial=start, total=cfg.steps, disable=not progress)
    for step in bar:
        if stop_after is not None and done >= stop_after:
            break
        set_lr(step)
        for _ in range(cfg.n_d):
            idx, x, c, y = batch()
            z = G.noise(len(idx), generator=rng).to(device)
            with torch.no_grad():
                fake = G(z, c)
            o_r, o_f = D(x, c), D(fake, c)
            w_idx = wrong.sample(idx.numpy())
            s_w = D(x, data.cond[torch.from_numpy(w_idx)].to(device))["adv"] if w_idx is not None else None
            loss_d = gan.gan_cls_d_loss(cfg.loss, o_r["adv"], o_f["adv"], s_w, cfg.wrong_weight, cfg.fake_weight)
            if cfg.loss == "wgan-gp":
                loss_d = loss_d + cfg.gp_weight * gan.gradient_penalty(D, x, fake, c, generator=rng)
            if cfg.aux_weight > 0:
                loss_d = loss_d + cfg.aux_weight * F.cross_entropy(o_r["cls"], y)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            if cfg.loss == "wgan":
                gan.clip_weights(D, cfg.clip)
        for _ in range(cfg.n_g):
            idx, _x, c, y = batch()
            z = G.noise(len(idx), generator=rng).to(device)
            o_g = D(G(z, c), c)
            loss_g = gan.g_loss(cfg.loss, o_g["adv"])
            if cfg.aux_weight > 0:
                loss_g = loss_g + cfg.aux_weight * F.cross_entropy(o_g["cls"], y)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            if g_ema is not None:
                with torch.no_grad():
                    for pe, p in zip(g_ema.parameters(), G.parameters()):
                        pe.lerp_(p, 1 - cfg.ema)
                    for be, b in zip(g_ema.buffers(), G.buffers()):
                        be.copy_(b)
        n = step + 1
        done += 1
        if n % cfg.log_every == 0 or n == cfg.steps:
            row = {"step": n, "loss_d": float(loss_d.detach()), "loss_g": float(loss_g.detach()),
                   "score_real": float(o_r["adv"].detach().mean()), "score_fake": float(o_f["adv"].detach().mean())}
            if s_w is not None:
                row["score_wrong"] = float(s_w.detach().mean())
            if evaluate is not None and cfg.eval_every and (n % cfg.eval_every == 0 or n == cfg.steps):
                sampler = g_ema if g_ema is not None else G
                sampler.eval()
                row.update(evaluate(sampler, n))
                G.train()
            log.append(row)
            bar.set_postfix(loss_d=f"{row['loss_d']:.3f}", loss_g=f"{row['loss_g']:.3f}")
        if out is not None:
            if cfg.sample_every and (n % cfg.sample_every == 0 or n == cfg.steps):
                sampler = g_ema if g_ema is not None else G
                was = sampler.training
                sampler.eval()
                with torch.no_grad():
                    save_grid(sampler(fixed_z, fixed_c), out / "samples" / f"step_{n:06d}.png", nrow=8)
                sampler.train(was)
            if n % cfg.checkpoint_every == 0 or n == cfg.steps or (stop_after is not None and done >= stop_after):
                save_atomic({"G": G.state_dict(), "D": D.state_dict(), "opt_g": opt_g.state_dict(),
                              "opt_d": opt_d.state_dict(), "G_ema": g_ema.state_dict() if g_ema is not None else None,
                              "rng": rng.get_state(), "wrong_rng": wrong.rng.bit_generator.state, "log": log,
                              "step": n, "config": asdict(cfg)}, out / "checkpoint.pt")
                _write_log(out, log)
    G.eval()
    return GANRun(G, D, g_ema, log, out, start + done)


def cached_gan(store, name: str, payload: dict, G: nn.Module, D: nn.Module, data: GANData, cfg: GANConfig,
               evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
               sample_cond: Optional[torch.Tensor] = None, progress: bool = True, desc: str = "GAN",
               retrain: bool = False):
    """:func:`train_gan` through a :class:`s2i_lib.training.ModelStore`: the trained
    sampler (the EMA copy when there is one) is stored under ``name`` with a key made of
    ``payload`` (which must identify the data and the conditions), ``cfg`` and both
    networks' configurations, and reloaded on the next call instead of retrained.

    Returns a :class:`~s2i_lib.training.Trained` whose ``model`` is the generator,
    ``history`` the training log (one row per ``log_every`` steps, with the metrics of
    ``evaluate``), ``metrics`` its last row plus ``train_seconds``, and whose folder holds
    ``samples/step_XXXXXX.png``.  An interrupted training resumes from its checkpoint.
    """
    import shutil
    import time as _time
    full = {**payload, "gan_config": asdict(cfg), "G": G.config, "D": D.config}

    def train(work: Path):
        t0 = _time.time()
        run = train_gan(G, D, data, cfg, out_dir=work, evaluate=evaluate, sample_cond=sample_cond,
                        progress=progress, desc=desc)
        dest = work.parent / "samples"
        if dest.exists():
            shutil.rmtree(dest)
        if (work / "samples").exists():
            shutil.copytree(work / "samples", dest)
        metrics = {**(run.log[-1] if run.log else {}), "train_seconds": _time.time() - t0}
        return run.sampler.eval(), metrics, run.log

    return store.load_or_train(name, full, train, retrain=retrain)


@torch.no_grad()
def generate(G: nn.Module, cond: torch.Tensor, per_condition: int = 1, seed: int = 0,
             batch_size: int = 512) -> torch.Tensor:
    """Samples of ``G`` (in eval mode) for every row of ``cond``: ``per_condition`` noise
    vectors each (drawn from ``seed``, so the same call gives the same images), returned
    on the CPU in [0, 1], ordered condition-major: ``(len(cond) * per_condition, C, H, W)``."""
    was = G.training
    G.eval()
    device = next(G.parameters()).device
    c = cond.repeat_interleave(per_condition, dim=0)
    z = G.noise(len(c), generator=torch.Generator().manual_seed(seed))
    out = [G(z[i:i + batch_size].to(device), c[i:i + batch_size].to(device)).cpu()
           for i in range(0, len(c), batch_size)]
    G.train(was)
    return (torch.cat(out) + 1) / 2 if out else torch.empty(0)


# ----------------------------------------------------------------------------- Wan et al.'s ladder
LADDER = {
    "b": "improved WGAN (gradient penalty), GAN-CLS architecture",
    "c": "conditional GAN",
    "d": "+ spectral norm",
    "e": "+ hinge loss",
    "f": "+ projection discriminator",
    "g": "+ auxiliary classifier",
}
"""The rungs of Wan et al. (2019) Table 4 that train a model; rung (a) is real images."""


def ladder_rung(rung: str, cond_dim: int, n_classes: int, image_size: int = 32, width: int = 32,
                z_dim: int = 100) -> Tuple[nn.Module, nn.Module, dict]:
    """Generator, discriminator and the :class:`GANConfig` fields of one rung of Wan et
    al.'s ladder; each rung changes one thing from the one before:

    - (b) WGAN-GP with Reed et al.'s GAN-CLS discriminator (condition joined at 4x4, wrong
      pairs of another class), no batch norm in the critic (the penalty is per sample);
    - (c) a conditional GAN: BCE, the same joined condition, batch norm, no wrong pairs;
    - (d) spectral norm on every layer of D (and no batch norm);
    - (e) the hinge loss;
    - (f) the projection discriminator in place of the joined condition;
    - (g) an auxiliary classifier head on D, its cross-entropy added to both losses.
    """
    if rung not in LADDER:
        raise ValueError(f"unknown rung {rung!r}; choose one of {', '.join(LADDER)} ((a) is real images)")
    order = list(LADDER)
    at = order.index(rung)
    sn = at >= order.index("d")
    cond = "projection" if at >= order.index("f") else "concat"
    aux = n_classes if rung == "g" else 0
    norm = "bn" if rung == "c" else "none"
    G = gan.CondGenerator(cond_dim, z_dim=z_dim, out_shape=(image_size, image_size), width=width)
    D = gan.CondDiscriminator(cond_dim, in_shape=(image_size, image_size), width=width, cond=cond,
                              aux_classes=aux, sn=sn, norm=norm)
    if rung == "b":
        cfg = {"loss": "wgan-gp", "wrong": "class"}
    else:
        cfg = {"loss": "hinge" if at >= order.index("e") else "bce", "wrong": "none",
               "aux_weight": 1.0 if rung == "g" else 0.0}
    return G, D, cfg
