"""Conditional-GAN training as a task of the one engine (notebooks 03 and 04).

One step of :class:`GANTask` is one iteration: ``n_d`` discriminator steps, then ``n_g``
generator steps (Wan et al. 2019 update G five times per D update).  Around that core:

- optimisers: Adam (the DCGAN betas by default) or RMSProp (the original WGAN), with a
  constant or linearly decaying learning rate (``torch.optim.lr_scheduler.LambdaLR``);
- the loss kind of :mod:`s2i_lib.losses` (BCE, hinge, WGAN with weight clipping right after
  each D step, WGAN-GP with its penalty), the GAN-CLS wrong pairs of a
  :class:`~s2i_lib.losses.WrongPairSampler`, and an optional auxiliary-classifier term;
- an exponential moving average of G's weights (``ema``), often the better sampler;
- the engine's log (a row every ``log_every`` steps with the mean losses and scores),
  evaluation every ``eval_every`` steps, sample grids every ``sample_every`` steps for fixed
  noise and conditions, and a checkpoint every ``checkpoint_every`` steps.

Batches, noise and the gradient penalty's mixing weights come from the engine's generator
and wrong partners from the sampler's, both saved in the checkpoint, so a resumed run ends
exactly where an uninterrupted one does.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from .. import losses
from . import augment
from . import callbacks as cb
from .engine import RandomBatches, Task, fit


@dataclass
class GANConfig:
    """Everything that decides a GAN run (part of its key in the model store)."""
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
    diff_augment: str = ""          # DiffAugment policy before D, e.g. "translation,cutout" ("": none)
    channels_last: bool = False     # channels-last memory format for G, D and the batches (speed only)
    keep_best: str = ""             # a number the evaluation logs (e.g. "acc_train"): sample from G at its highest
    log_every: int = 10
    sample_every: int = 100
    eval_every: int = 0             # 0: never
    eval_from: int = 0              # the first step evaluated (e.g. 0.6 * steps: only the run's tail)
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self):
        if self.loss not in losses.LOSSES:
            raise ValueError(f"loss must be one of {losses.LOSSES}, got {self.loss!r}")
        if self.optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}")
        if self.lr_schedule not in ("constant", "linear"):
            raise ValueError(f"lr_schedule must be 'constant' or 'linear', got {self.lr_schedule!r}")
        if self.wrong not in losses.WrongPairSampler.MODES:
            raise ValueError(f"wrong must be one of {losses.WrongPairSampler.MODES}, got {self.wrong!r}")
        self.betas = tuple(self.betas)
        if self.keep_best and not self.eval_every:
            raise ValueError(f"keep_best={self.keep_best!r} selects on the evaluation, which needs eval_every > 0")
        augment.diff_augment_kinds(self.diff_augment)      # a bad policy fails here, not at the first step


@dataclass
class GANData:
    """Training pairs in memory: ``images`` (N, C, H, W) in [-1, 1], ``cond`` (N, D) sound
    encodings, ``labels`` (N,) class indices and ``groups`` (N,) clip ids (for same-class
    wrong pairs).

    ``partners`` (N, k) makes an instance-conditioned GAN (IC-GAN, Casanova et al. 2021): the
    real image shown to D with condition ``cond[i]`` is then ``images[partners[i, r]]`` for an
    ``r`` drawn uniformly from the engine's generator, one of the k neighbours of item i
    (:func:`knn_partners`), instead of ``images[i]``."""
    images: torch.Tensor
    cond: torch.Tensor
    labels: torch.Tensor
    groups: Optional[np.ndarray] = None
    partners: Optional[torch.Tensor] = None

    def __post_init__(self):
        if self.partners is not None:
            p = torch.as_tensor(self.partners, dtype=torch.long)
            if p.ndim != 2 or len(p) != len(self.images) or p.shape[1] < 1:
                raise ValueError(f"partners must be (N, k) with N = {len(self.images)} items, got {tuple(p.shape)}")
            if int(p.min()) < 0 or int(p.max()) >= len(self.images):
                raise ValueError(f"partners index items 0..{len(self.images) - 1}, got {int(p.min())}..{int(p.max())}")
            self.partners = p

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
    best_step: Optional[int] = None     # with ``keep_best``: the step whose sampler this is

    @property
    def sampler(self) -> nn.Module:
        """The generator to sample from: the EMA copy when there is one."""
        return self.G_ema if self.G_ema is not None else self.G


@contextmanager
def frozen(module: nn.Module):
    """``module``'s weights excluded from autograd inside the block (their gradients are not
    computed, which saves a third of D's backward pass in G's step; the next D step discards
    them anyway, so the run is the same), and restored after."""
    flags = [p.requires_grad for p in module.parameters()]
    for p in module.parameters():
        p.requires_grad_(False)
    try:
        yield module
    finally:
        for p, flag in zip(module.parameters(), flags):
            p.requires_grad_(flag)


def _optimizer(params, lr: float, cfg: GANConfig):
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(cfg.betas))
    return torch.optim.RMSprop(params, lr=lr)


class GANTask(Task):
    """One iteration of conditional-GAN training (``n_d`` D steps, ``n_g`` G steps)."""
    schedule_every = "step"

    def __init__(self, G: nn.Module, D: nn.Module, data: GANData, cfg: GANConfig, ema: Optional[cb.EMA] = None):
        if cfg.aux_weight > 0 and getattr(D, "aux", None) is None:
            raise ValueError("aux_weight > 0 needs a discriminator built with aux_classes > 0")
        self.G, self.D, self.data, self.cfg, self.ema = G, D, data, cfg, ema
        if cfg.channels_last:
            G.to(memory_format=torch.channels_last)
            D.to(memory_format=torch.channels_last)
        self.device = next(G.parameters()).device
        groups = data.groups if data.groups is not None else np.arange(len(data))
        self.wrong = losses.WrongPairSampler(data.labels.cpu().numpy(), groups, cfg.wrong, seed=cfg.seed)
        self.batches = RandomBatches(len(data), cfg.batch_size)
        opt_g, opt_d = _optimizer(G.parameters(), cfg.lr_g, cfg), _optimizer(D.parameters(), cfg.lr_d, cfg)
        self.modules = {"G": G, "D": D}
        self.optimizers = {"G": opt_g, "D": opt_d}
        if getattr(D, "aux", None) is not None and cfg.aux_weight == 0:      # a class head this run leaves alone
            self.ddp_options = {"D": {"find_unused_parameters": True}}
        factor = (lambda s: 1.0) if cfg.lr_schedule == "constant" else (lambda s: max(0.0, 1 - s / cfg.steps))
        self.schedulers = {k: torch.optim.lr_scheduler.LambdaLR(o, factor) for k, o in self.optimizers.items()}

    def _judge(self, D, x: torch.Tensor, c: torch.Tensor):
        """D's output for images ``x`` under conditions ``c``; with DiffAugment, for an
        augmented copy of them (D never sees an image unaugmented)."""
        if self.cfg.diff_augment:
            x = augment.diff_augment(x, self.cfg.diff_augment)
        return D(x, c)

    @staticmethod
    def _mine(t, engine):
        """This process's slice of a global batch (all of it on one process)."""
        return t if engine.dist is None else engine.dist.shard(t)

    def _batch(self, engine):
        """The iteration's global batch (drawn alike on every process) and this process's
        share of it: ``(global idx, x, c, y)``."""
        idx = self.batches(engine.step, engine.generator)
        d = self.data
        src = idx
        if d.partners is not None:           # IC-GAN: a real image from the instance's neighbourhood
            r = torch.randint(d.partners.shape[1], (len(idx),), generator=engine.generator)
            src = d.partners[idx, r]
        mine = self._mine(idx, engine)
        x = d.images[self._mine(src, engine)].to(self.device)
        if self.cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return idx, x, d.cond[mine].to(self.device), d.labels[mine].to(self.device)

    def _noise(self, n: int, engine) -> torch.Tensor:
        return self._mine(self.modules["G"].noise(n, generator=engine.generator), engine).to(self.device)

    def _optimise(self, name: str, loss: torch.Tensor) -> None:
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def d_step(self, engine) -> Dict[str, torch.Tensor]:
        # ``self.D`` is D itself or, under DistributedDataParallel, its wrapper (whose backward
        # averages D's gradients over the processes); G only draws here, so it runs plain
        cfg, G, D = self.cfg, self.modules["G"], self.D
        idx, x, c, y = self._batch(engine)
        z = self._noise(len(idx), engine)
        with torch.no_grad():
            fake = G(z, c)
        o_r, o_f = self._judge(D, x, c), self._judge(D, fake, c)
        w_idx = self.wrong.sample(idx.numpy())
        s_w = None
        if w_idx is not None:
            s_w = self._judge(D, x, self.data.cond[self._mine(torch.from_numpy(w_idx), engine)].to(self.device))["adv"]
        loss = losses.gan_cls_d_loss(cfg.loss, o_r["adv"], o_f["adv"], s_w, cfg.wrong_weight, cfg.fake_weight)
        out = {"score_real": o_r["adv"].mean(), "score_fake": o_f["adv"].mean()}
        if cfg.loss == "wgan-gp":
            eps = self._mine(torch.rand(len(idx), 1, 1, 1, generator=engine.generator), engine)
            gp = losses.gradient_penalty(lambda xx, cc: self._judge(D, xx, cc), x, fake, c, eps=eps)
            loss = loss + cfg.gp_weight * gp
            out["gradient_penalty"] = gp
        if cfg.aux_weight > 0:
            loss = loss + cfg.aux_weight * losses.aux_classifier_loss(o_r["cls"], y)
        self._optimise("D", loss)
        if cfg.loss == "wgan":
            losses.clip_weights(self.modules["D"], cfg.clip)
        out["loss_d"] = loss
        if s_w is not None:
            out["score_wrong"] = s_w.mean()
        return out

    def g_step(self, engine) -> torch.Tensor:
        # G runs through ``self.G`` (its wrapper under DDP); D plain and frozen: G's step needs
        # gradients through D, not of D's weights (and none for DDP to average)
        cfg, G, D = self.cfg, self.G, self.modules["D"]
        idx, _x, c, y = self._batch(engine)
        z = self._noise(len(idx), engine)
        with frozen(D):
            o_g = self._judge(D, G(z, c), c)
            loss = losses.g_loss(cfg.loss, o_g["adv"])
            if cfg.aux_weight > 0:
                loss = loss + cfg.aux_weight * losses.aux_classifier_loss(o_g["cls"], y)
            self._optimise("G", loss)
        if self.ema is not None:
            if engine.dist is not None and engine.dist.active:   # the average takes rank 0's statistics
                from .distributed import broadcast_buffers
                broadcast_buffers([self.modules["G"]], engine.dist)
            self.ema.update()
        return loss

    def step(self, idx, engine):
        for _ in range(self.cfg.n_d):
            out = self.d_step(engine)
        for _ in range(self.cfg.n_g):
            out["loss_g"] = self.g_step(engine)
        return {k: v.detach() for k, v in out.items()}

    def state_dict(self) -> dict:
        return {"wrong_rng": self.wrong.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.wrong.rng.bit_generator.state = state["wrong_rng"]


def knn_partners(features: torch.Tensor, k: int, rows=None) -> torch.Tensor:
    """For each item of ``features`` (N, D), the indices of its ``k`` nearest items by cosine
    similarity among ``rows`` (default: all), the item itself first when it is one of them:
    IC-GAN's neighbourhoods (Casanova et al. 2021), returned as an (N, k) long tensor of
    indices into ``features``."""
    rows = torch.arange(len(features)) if rows is None else torch.as_tensor(np.asarray(rows), dtype=torch.long)
    if not 1 <= int(k) <= len(rows):
        raise ValueError(f"k must be between 1 and the {len(rows)} candidate items, got {k}")
    f = torch.nn.functional.normalize(features.detach().cpu().double(), dim=1)
    # the paper profile's ~46,000 rows would need a 17 GB matrix at once: beyond 2**26
    # similarities (512 MB) the rows go in blocks (the course's sizes take one block)
    block = len(f) if len(f) * len(rows) <= 2 ** 26 else max(1, 2 ** 26 // len(rows))
    out = []
    for i in range(0, len(f), block):
        sim = f[i:i + block] @ f[rows].T                     # (block, len(rows))
        own = (torch.arange(i, min(i + block, len(f)))[:, None] == rows[None, :])
        sim = sim.masked_fill(own, float("inf"))             # an item is its own nearest neighbour
        out.append(rows[sim.topk(int(k), dim=1).indices])
    return torch.cat(out)


def at_noise_scale(cond: torch.Tensor, rms: float = 1.0) -> torch.Tensor:
    """Conditions scaled to the noise's size: each row to unit length times ``rms * sqrt(dim)``,
    so that its entries have a root-mean-square of ``rms`` (1: as those of ``z ~ N(0, I)``).

    A unit-length 128-d code has entries of about 0.09 beside noise entries of about 1: at
    initialisation G's first layer hears the noise and barely the sound, and learns to
    listen only slowly.  The sweeps in ``results/reference/gan_recipe.jsonl``
    (``tests/benchmarks/sweep_gan_recipe.py``) compare the two scales for S2I-C and for rung
    (g) of Wan's ladder; notebook 03 shows them.  The course profile uses ``rms=0.5``
    (``GANSize.cond_rms``).  Taught in notebook 03."""
    if rms <= 0:
        raise ValueError(f"rms must be positive, got {rms}")
    return cond / (cond.norm(dim=1, keepdim=True) + 1e-8) * (rms * cond.shape[1] ** 0.5)


class _OneItem:
    """The engine's batch plan for GAN iterations: the task draws its own batches (and,
    under DDP, splits them itself: :meth:`GANTask._mine`)."""
    per_epoch = None
    drawn_by_task = True

    def __call__(self, step, generator):
        return torch.zeros(1, dtype=torch.long)


def _sample_maker(G_for_samples: Callable[[], nn.Module], fixed_z, fixed_c):
    def make(engine):
        G = G_for_samples()
        was = G.training
        G.eval()
        out = G(fixed_z, fixed_c)
        G.train(was)
        return out
    return make


def train_gan(G: nn.Module, D: nn.Module, data: GANData, cfg: GANConfig, out_dir=None,
              evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
              sample_cond: Optional[torch.Tensor] = None, progress: bool = True,
              stop_after: Optional[int] = None, desc: str = "GAN") -> GANRun:
    """Train ``G`` and ``D`` on ``data`` for ``cfg.steps`` iterations through the engine.

    With ``out_dir``, the run resumes from ``out_dir/checkpoint.pt`` if it exists and
    writes ``log.csv``/``log.json``, ``samples/step_XXXXXX.png`` and checkpoints there.
    ``evaluate(G, step)`` (G the EMA copy when there is one) adds numbers to the log every
    ``cfg.eval_every`` steps from step ``cfg.eval_from`` on (:func:`mean_over_evaluations`
    averages them).  ``sample_cond`` (K, D) fixes the conditions of the sample
    grids (default: the first 8 training conditions), each drawn with 4 fixed noise vectors.
    ``stop_after`` ends this call after that many iterations (to test resuming).
    With ``cfg.keep_best`` (a number ``evaluate`` returns), the sampler of the returned run is
    the one from the evaluation where that number was highest (model selection: pick a number
    of the training sounds, never of the test sounds); ``run.best_step`` says which.
    """
    device = next(G.parameters()).device
    out = Path(out_dir) if out_dir is not None else None
    ema = cb.EMA(G, cfg.ema, auto=False) if cfg.ema > 0 else None
    task = GANTask(G, D, data, cfg, ema)
    sampler = (lambda: ema.shadow) if ema is not None else (lambda: G)
    callbacks: list = [ema] if ema is not None else []
    if evaluate is not None and cfg.eval_every:
        def run_eval(engine):
            S = sampler()
            S.eval()
            result = evaluate(S, engine.step)
            G.train()
            return result
        callbacks.append(cb.Evaluate(run_eval, cfg.eval_every, cfg.eval_from))
    keep = None
    if cfg.keep_best:
        if evaluate is None:
            raise ValueError(f"keep_best={cfg.keep_best!r} needs an evaluate function that returns it")
        keep = cb.KeepBest(sampler, cfg.keep_best)
        callbacks.append(keep)
    if out is not None:
        k = sample_cond.shape[0] if sample_cond is not None else min(8, len(data))
        fixed_c = (sample_cond if sample_cond is not None else data.cond[:k]).to(device).repeat_interleave(4, dim=0)
        fixed_z = G.noise(4 * k, generator=torch.Generator().manual_seed(cfg.seed + 1)).to(device)
        if cfg.sample_every:
            callbacks.append(cb.SampleGrid(_sample_maker(sampler, fixed_z, fixed_c), out / "samples", cfg.sample_every))
        callbacks.append(cb.LogFiles(out))
    log = fit(task, steps=cfg.steps, batches=_OneItem(), seed=cfg.seed,
              checkpoint=out / "checkpoint.pt" if out is not None else None,
              checkpoint_every=cfg.checkpoint_every, log_every=cfg.log_every, callbacks=callbacks,
              description={"gan_config": asdict(cfg), "G": G.config, "D": D.config}, desc=desc,
              progress=progress, stop_after=stop_after)
    step = log[-1]["step"] if log else 0
    if keep is not None and step == cfg.steps:
        keep.restore()
    G.eval()
    return GANRun(G, D, ema.shadow if ema is not None else None, log, out, step,
                  keep.best_step if keep is not None else None)


def mean_over_evaluations(log: List[dict], keys: Sequence[str], since: int = 0) -> Dict[str, float]:
    """The mean of each of ``keys`` over the rows of a training log that hold it, from step
    ``since`` on, and ``"evaluations"``: how many rows the mean of the first key is over.

    A GAN's samples change from one evaluation to the next even late in training, so one
    evaluation of one run is a noisy measurement of that run; the mean over the evaluations of
    the run's tail (``GANConfig(eval_every=..., eval_from=...)``) is a steadier one.  No choice
    is made from these numbers, so they may be computed on test sounds.
    """
    if not keys:
        raise ValueError("mean_over_evaluations needs at least one key")
    out: Dict[str, float] = {}
    for k in keys:
        v = [float(r[k]) for r in log if k in r and int(r.get("step", 0)) >= since]
        if not v:
            have = sorted({key for r in log for key in r if key != "step"})
            raise KeyError(f"no log row from step {since} holds {k!r} (the log has {have})")
        out[k] = float(np.mean(v))
        if "evaluations" not in out:
            out["evaluations"] = len(v)
    return out


def cached_gan(store, name: str, payload: dict, G: nn.Module, D: nn.Module, data: GANData, cfg: GANConfig,
               evaluate: Optional[Callable[[nn.Module, int], Dict[str, float]]] = None,
               sample_cond: Optional[torch.Tensor] = None, progress: bool = True, desc: str = "GAN",
               retrain: bool = False):
    """:func:`train_gan` through a :class:`~s2i_lib.train.store.ModelStore`: the trained
    sampler (the EMA copy when there is one) is stored under ``name`` with a key made of
    ``payload`` (which must identify the data and the conditions), ``cfg`` and both
    networks' configurations, and reloaded on the next call instead of retrained.

    Returns a :class:`~s2i_lib.train.store.Trained` whose ``model`` is the generator,
    ``history`` the training log, ``metrics`` its last row plus ``train_seconds``, and whose
    folder holds ``samples/step_XXXXXX.png``.  An interrupted training resumes from its
    checkpoint.
    """
    import shutil
    from .distributed import from_env
    full = {**payload, "gan_config": asdict(cfg), "G": G.config, "D": D.config}

    def train(work: Path):
        t0 = time.time()
        run = train_gan(G, D, data, cfg, out_dir=work, evaluate=evaluate, sample_cond=sample_cond,
                        progress=progress, desc=desc)
        dest = work.parent / "samples"
        if from_env().is_main:           # under torchrun, rank 0 wrote the samples and keeps them
            if dest.exists():
                shutil.rmtree(dest)
            if (work / "samples").exists():
                shutil.copytree(work / "samples", dest)
        metrics = {**(run.log[-1] if run.log else {}), "train_seconds": time.time() - t0}
        if run.best_step is not None:
            metrics["best_step"] = run.best_step
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
