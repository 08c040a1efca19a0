"""Estimate how long the ``paper`` profile of notebooks 02-06 takes, on this CPU and on GPUs.

Not part of the test suite, and nothing here is a measurement on a GPU: every GPU number is
an estimate from counted FLOPs and stated assumptions.  Run from the repository root:

    OMP_NUM_THREADS=2 PYTHONPATH=. python tests/benchmarks/estimate_paper_profile.py

It writes ``results/reference/paper_estimates.json`` (``--out`` to write elsewhere) and
prints one table.  It downloads nothing and never opens ``data/`` or the model store: every
network trains on random tensors of the right shapes, in memory, for a few iterations.

Method
------
1. **What the paper profile trains.**  The list of trainings below (:func:`notebook_plan`)
   was read off notebooks 02-06 and the library functions they call (``course.recipes``,
   ``course.probes``, ``course.ladder``, ``course.stacked``, ``course.sound2scene``): for
   each, the networks and their sizes, the training configuration, the steps or epochs, and
   how many seeds and variants (rungs, representations, losses) run.  Every number that
   comes from the profile is read from ``get_profile("paper")`` at run time; only the
   structure (which loops a notebook runs) is written here, with the cell it comes from.
   A training a notebook loads from an earlier notebook's store entry (notebook 02's
   classifiers and SoundNet in 03-06, notebook 05's stack in 06) is counted once, where it
   is first trained.

2. **Timing on this CPU.**  Each kind of training is built exactly as the library builds it
   (the same constructors, ``GANSize.gan_config``, ``StackedSize.pix2pix_config``,
   ``course.ladder_rung``, the recipes' channels-last conversion) and run through the
   library's own training function (``train_gan``, ``train_pix2pix``, ``fit_classifier``,
   ``fit_distillation``, ``fit_regression``, ``fit_multilabel``, ``train_autoencoder``,
   ``fit_multimodal``, ``fit_simclr``, ``fit_alignment``) with ``progress=False`` and no
   checkpoint or output folder.  A small clock wraps the ``step`` method of the library's
   task classes for the duration of one call and records when each step starts; the time of
   iteration *i* is the start of *i+1* minus the start of *i* (so it holds everything the
   engine does per iteration).  Iteration 0 is the FLOP count (below), iteration 1 a plain
   warm-up, and the median of the next few intervals is the CPU seconds per iteration
   (``OMP_NUM_THREADS`` threads, one training at a time; the notebooks run two trainings
   side by side on one core each, which on this machine gives about the same throughput).
   Each kind also records ``cpu_busy_threads``, the process's CPU seconds per wall second
   over its timed iterations, and the load average: near the thread count on an otherwise
   idle machine, lower when another process took the cores (then its times are too long).

3. **FLOPs.**  Iteration 0 of each training runs under
   ``torch.utils.flop_counter.FlopCounterMode``: the matrix products and convolutions of
   everything one iteration does, forward and backward (every D and G step of a GAN
   iteration, the gradient penalty's double backward, spectral norm's power iteration).
   Element-wise work (batch norm, activations, the optimiser's update, the EMA) is not
   counted; on a GPU it is memory-bound and is folded into the sustained rate below.

4. **Totals.**  Iterations = steps (or epochs x ceil(training pairs / batch)) x seeds x
   variants.  Pair counts for the epoch-based trainings are not measured (no data is read):
   they are the paper profile's clips x half-second segments per clip, times the share of
   segments the course profile's build kept (``results/reference/course.json``), times the
   builder's 80/20 split by video; the cleaned and re-split sets of notebooks 04 and 05 use
   the course profile's kept shares too (see ``assumptions.pairs`` in the JSON).  Frames used
   only when they "show their source" (image classifier, probes) are counted as all train
   frames: an upper bound by the share of bad frames.

5. **GPU estimate (one GPU).**  Per iteration: counted FLOPs / ``GPU_SUSTAINED_FLOPS`` plus
   ``GPU_OVERHEAD_S_PER_UPDATE`` for every optimiser update the iteration makes (a plain GAN
   iteration has two, a ladder iteration of 1 D and 5 G steps six).  ``GPU_SUSTAINED_FLOPS``
   is 8e12 FLOP/s: a data-centre GPU of the A100 class reaches roughly 19.5e12 FLOP/s peak
   in plain fp32 (more with TF32 tensor cores), and convolution nets this small (batches of
   32-256, 64 x 64 images, widths 32-64) keep only part of it busy; 8e12 on the counted
   FLOPs also pays for the uncounted element-wise kernels.  The overhead of 2 ms per update
   stands for kernel launches and Python dispatch of a few hundred small kernels per
   forward/backward/update, the floor that small networks hit on any GPU.

6. **N GPUs under DDP.**  Per iteration: the per-GPU compute divided by N, the same launch
   overhead (it does not shrink with N), plus the gradients' all-reduce: for every update,
   the updated network's parameter bytes x 2 x (N-1)/N over ``DDP_BUS_BYTES_PER_S`` (50 GB/s,
   NVLink class).  This is optimistic for large N: the global batch is split, so at 8 GPUs
   a GAN batch of 64 leaves 8 images per GPU, far below what keeps a GPU busy.  The JSON
   also gives the wall time of running the notebook's independent runs (seeds, variants)
   one per GPU, longest first, which for these small networks is the better use of N GPUs.

7. **Evaluation outside training** (rough, included): the per-epoch validation passes of the
   supervised trainings (forward passes through ``train.predict``) and the GAN evaluations
   of notebooks 03 and 04 (``train.generate`` plus the judge's forward pass per generated
   image), each timed and FLOP-counted on a batch of 256.  Left out: the scores computed
   from features (IS, FD, KID's subsets, the linear probes, t-SNE), feature extraction and
   representations of whole pair sets, the final reports, the GAN inversion of notebook 06
   (16 images x 150 steps), building the pairs and the SynthAV corpora.
"""
from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from s2i_lib import audio, models, train                                      # noqa: E402
from s2i_lib.cache import write_json                                          # noqa: E402
from s2i_lib.course.ladder import WGAN_GP_RECIPE, ladder_rung                 # noqa: E402
from s2i_lib.course.profiles import INSTRUMENTS, SCENE_CLASSES, get_profile   # noqa: E402
from s2i_lib.course.recipes import channels_last                              # noqa: E402
from s2i_lib.data.segments import segment_bounds                              # noqa: E402
from s2i_lib.train.contrastive import AlignTask, SimCLRTask                   # noqa: E402
from s2i_lib.train.gan import GANTask                                         # noqa: E402
from s2i_lib.train.multimodal import MultimodalTask                           # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gan import matmul_rate                                             # noqa: E402  (the CPU's reference rate)
from s2i_lib.train.pix2pix import Pix2PixTask                                 # noqa: E402
from s2i_lib.train.tasks import SupervisedTask                                # noqa: E402

# ----------------------------------------------------------------------------- assumptions
GPU_CLASS = "one data-centre GPU of the A100 class, fp32 (assumed; nothing was run on a GPU)"
GPU_SUSTAINED_FLOPS = 8e12          # FLOP/s on the counted FLOPs (convolutions, matrix products)
GPU_OVERHEAD_S_PER_UPDATE = 2e-3    # kernel launches and dispatch per optimiser update (one D, G or model step)
GPU_EVAL_OVERHEAD_S_PER_BATCH = 2e-3   # the same floor for one forward batch of 256 items in evaluation
DDP_BUS_BYTES_PER_S = 50e9          # all-reduce bus bandwidth between GPUs (NVLink class)
GPU_COUNTS = (1, 4, 8)
TRAIN_FRACTION = 0.8                # the builder's split by video (recipes.course_pairs: test_fraction 0.2)
EVAL_BATCH = 256                    # items per timed evaluation forward
GAN_ITEMS = 256                     # random training pairs held by each GAN while it is timed
REPEATS = {"heavy": 3, "normal": 5, "tiny": 20}   # timed iterations after the FLOP-count and warm-up ones
BUSY_SHARE = 0.9                    # a kind is re-measured when it kept fewer than 90% of its threads busy ...
MAX_ATTEMPTS = 3                    # ... up to this many times, waiting for idle cores in between

PAPER = get_profile("paper")
COURSE = get_profile("course")
ENC, GS, SS, S2 = PAPER.encoders, PAPER.gan, PAPER.stacked, PAPER.sound2scene
SR = PAPER.performances.sample_rate
SAMPLES = int(round(PAPER.build.segment_seconds * SR))
SIZE = ENC.image_size
N_SCENES = len(PAPER.scenes.classes or SCENE_CLASSES)
N_INST = len(PAPER.performances.classes or INSTRUMENTS)
REPRESENTATIONS = ("mel", "logmel", "cqt", "mfcc", "stft")   # notebook 02, Table 1
DEPTHS = (3, 4)
KANG_ALPHA = 0.1                    # notebook 03's parameter (the mismatch term's weight)
LOG_EVERY = 10 ** 9                 # no log rows inside the timed iterations (the runs log every 1/10 or so)


# ----------------------------------------------------------------------------- the clock
class _NoModuleTracker:
    """Stands in for FlopCounterMode's per-module tracker: its backward hooks make torch refuse
    ``autograd.grad`` (the WGAN-GP gradient penalty); only the total is needed here."""
    parents = {"Global"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def flop_counter() -> FlopCounterMode:
    """``torch.utils.flop_counter.FlopCounterMode`` counting every op under one ``Global``
    total (the same registry of convolutions and matrix products), without module tracking."""
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _NoModuleTracker()
    return counter


def idle_share(seconds: float = 3.0) -> float:
    """The share of the machine's CPU time that was idle over ``seconds`` (from /proc/stat)."""
    def read():
        with open("/proc/stat") as f:
            v = [float(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)           # idle + iowait, total
    try:
        i0, t0 = read()
        time.sleep(seconds)
        i1, t1 = read()
        return (i1 - i0) / max(1e-9, t1 - t0)
    except OSError:
        return 1.0


def wait_for_idle_cores(max_seconds: float = 900.0, share: float = 0.9) -> float:
    """Wait (at most ``max_seconds``) until the machine is at least ``share`` idle over 5 s;
    returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < max_seconds:
        if idle_share(5.0) >= share:
            break
        time.sleep(10.0)
    return time.perf_counter() - t0


class StepClock:
    """Within ``with StepClock(TaskClass, ...)``: the start time of every ``step`` call of
    those library task classes, per task object, and the FLOPs of each task's first step
    (counted with ``FlopCounterMode``).  The classes are restored on exit."""

    def __init__(self, *classes):
        self.classes = classes
        self.starts: Dict[int, List[float]] = {}
        self.cpu: Dict[int, List[float]] = {}      # process CPU time at the same moments (contention check)
        self.flops: Dict[int, int] = {}
        self._ids = itertools.count()
        self._saved = []

    def __enter__(self):
        for cls in self.classes:
            original = cls.__dict__["step"]

            @functools.wraps(original)
            def timed(task, idx, engine, _original=original):
                key = task.__dict__.setdefault("_estimate_clock_id", next(self._ids))
                first = key not in self.starts
                self.starts.setdefault(key, []).append(time.perf_counter())
                self.cpu.setdefault(key, []).append(time.process_time())
                if not first:
                    return _original(task, idx, engine)
                with flop_counter() as counter:
                    out = _original(task, idx, engine)
                self.flops[key] = int(counter.get_total_flops())
                return out

            cls.step = timed
            self._saved.append((cls, original))
        return self

    def __exit__(self, *exc):
        for cls, original in self._saved:
            cls.step = original
        return False

    def results(self) -> List[dict]:
        """Per task, in the order they started: the timed intervals (after the FLOP-count
        step and one warm-up step) and the FLOPs of one step."""
        out = []
        for key in sorted(self.starts):
            s = self.starts[key]
            intervals = list(np.diff(s))[2:]
            if not intervals:
                raise RuntimeError(f"task {key}: only {len(s)} steps, need at least 4 to time one")
            c = self.cpu[key]
            out.append({"cpu_s_samples": [round(float(v), 5) for v in intervals],
                        "cpu_s_per_iter": float(statistics.median(intervals)), "flops_per_iter": self.flops[key],
                        # process CPU seconds per wall second over the timed iterations: about the thread count
                        # on an idle machine, less when other processes took the cores
                        "cpu_busy_threads": round((c[-1] - c[2]) / max(1e-9, s[-1] - s[2]), 2),
                        "load_average_1min": round(os.getloadavg()[0], 2)})
        return out


def steps_for(weight: str) -> int:
    return REPEATS[weight] + 3          # FLOP-count step, warm-up step, timed intervals, one closing start


def trainable_bytes(*params_or_modules) -> int:
    total = 0
    for p in params_or_modules:
        ps = p.parameters() if isinstance(p, nn.Module) else p
        total += sum(q.numel() * q.element_size() for q in ps if q.requires_grad)
    return int(total)


def count_params(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def timed_forward(fn: Callable[[], object], items: int, reps: int = 3) -> dict:
    """Seconds and FLOPs per item of an evaluation forward ``fn`` over ``items`` items."""
    with flop_counter() as counter:
        fn()                                              # also the warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"eval_s_per_item": statistics.median(times) / items,
            "eval_flops_per_item": counter.get_total_flops() / items}


# ----------------------------------------------------------------------------- kinds of training
@dataclass
class Kind:
    """One kind of training iteration, measured once and used by every training of that kind."""
    key: str
    what: str
    measure: Callable[[], dict]
    result: Optional[dict] = None

    def get(self) -> dict:
        if self.result is None:
            attempts, waited = [], 0.0
            for attempt in range(MAX_ATTEMPTS):
                t0 = time.perf_counter()
                torch.manual_seed(0)
                r = self.measure()
                r["measure_seconds"] = round(time.perf_counter() - t0, 1)
                attempts.append(r)
                if r["cpu_busy_threads"] >= BUSY_SHARE * torch.get_num_threads():
                    break
                print(f"  {self.key}: {r['cpu_s_per_iter']:.3f} s/iter with only {r['cpu_busy_threads']:.2f} busy "
                      f"threads (other processes on the cores); waiting for idle cores to measure again", flush=True)
                if attempt < MAX_ATTEMPTS - 1:
                    waited += wait_for_idle_cores()
            best = max(attempts, key=lambda a: (a["cpu_busy_threads"] >= BUSY_SHARE * torch.get_num_threads(),
                                                -a["cpu_s_per_iter"]))
            self.result = dict(best)
            self.result["contended"] = best["cpu_busy_threads"] < BUSY_SHARE * torch.get_num_threads()
            if len(attempts) > 1:
                self.result["attempts"] = [{"cpu_s_per_iter": a["cpu_s_per_iter"], "cpu_busy_threads": a["cpu_busy_threads"]}
                                           for a in attempts]
                self.result["waited_seconds"] = round(waited, 1)
            r = self.result
            print(f"  {self.key:<34} {r['cpu_s_per_iter']:8.3f} s/iter  {r['flops_per_iter'] / 1e9:9.2f} GFLOP/iter"
                  f"  busy threads {r['cpu_busy_threads']:.2f}, load {r['load_average_1min']:.1f}"
                  f"  ({r['measure_seconds']:.0f} s to measure)", flush=True)
        return self.result


def soundnet_dim() -> int:
    with torch.no_grad():
        return int(models.SoundNet1D(N_SCENES, width=ENC.width)(torch.zeros(1, SAMPLES), taps=("pool5",))["pool5"].shape[1])


def rep_shape(kind: str, **kw):
    return tuple(audio.representation(kind, sample_rate=SR, **kw).output_shape(SAMPLES))


def table2_dim(kind: str) -> int:
    """Notebook 04's feature (mean and std over time) of a representation, or SoundNet's pool5."""
    return soundnet_dim() if kind == "soundnet" else 2 * rep_shape(kind)[0]


def gan_data(cond_dim: int, shape, classes: int, partners_k: int = 0) -> train.GANData:
    g = torch.Generator().manual_seed(0)
    n = GAN_ITEMS
    images = torch.rand(n, *shape, generator=g) * 2 - 1
    cond = torch.randn(n, cond_dim, generator=g)
    labels = torch.arange(n) % classes
    groups = np.arange(n) // 4                         # four segments per clip: same-class wrong pairs exist
    partners = None
    if partners_k:
        cond = F.normalize(cond, dim=1)
        partners = train.knn_partners(cond, min(partners_k, n))
        cond = cond * GS.cond_rms * math.sqrt(cond_dim)
    return train.GANData(images, cond, labels, groups=groups, partners=partners)


def judge_net(classes: int) -> nn.Module:
    """The course's judge: notebook 02's image classifier (recipes.image_classifier's net)."""
    return channels_last(models.ImageClassifier(classes, image_size=SIZE, width=ENC.width))


def measure_gan(make_nets: Callable[[], tuple], cond_dim: int, shape, classes: int, fields: dict,
                weight: str = "normal", partners_k: int = 0, judge_classes: int = 0) -> dict:
    G, D = make_nets()
    data = gan_data(cond_dim, shape, classes, partners_k)
    cfg = GS.gan_config(steps_for(weight), 0, **{**fields, "log_every": LOG_EVERY})
    with StepClock(GANTask) as clock:
        train.train_gan(G, D, data, cfg, progress=False)
    (res,) = clock.results()
    res.update(updates_per_iter=cfg.n_d + cfg.n_g,
               allreduce_bytes_per_iter=cfg.n_d * trainable_bytes(D) + cfg.n_g * trainable_bytes(G),
               params={"G": count_params(G), "D": count_params(D)},
               config={k: getattr(cfg, k) for k in ("loss", "n_d", "n_g", "batch_size", "optimizer", "wrong",
                                                    "ema", "channels_last", "lr_g", "lr_d")})
    if judge_classes:                                   # evaluation: generate one image per sound, then judge it
        judge = judge_net(judge_classes)
        cond = data.cond[:EVAL_BATCH].repeat(math.ceil(EVAL_BATCH / len(data)), 1)[:EVAL_BATCH]
        res.update(timed_forward(lambda: train.predict(judge, train.generate(G, cond, seed=0)), EVAL_BATCH))
    return res


def cond_nets(cond_dim, out_shape=(SIZE, SIZE), channels=3, width=GS.width, norm="bn"):
    """Notebook 03's make_nets."""
    G = models.CondGenerator(cond_dim, out_shape=out_shape, out_channels=channels, width=width)
    D = models.CondDiscriminator(cond_dim, in_shape=out_shape, in_channels=channels, width=width, cond="concat",
                                 norm=norm)
    return G, D


def rung_gan(rung: str, cond_dim: int, n_d: Optional[int], n_g: Optional[int], width: int, lr: float,
             weight: str, wrong: Optional[str] = None, partners_k: int = 0, judge: bool = True) -> dict:
    """A rung of notebook 04's ladder as train_rung (or direct_gan, ic_gan) configures it: the
    profile's config, then the run's D:G steps and rate, then the rung's own fields (which win)."""
    G, D, rung_cfg = ladder_rung(rung, cond_dim, N_SCENES, image_size=SIZE, width=width)
    fields = {"lr_g": lr, "lr_d": lr}
    if n_d is not None:
        fields.update(n_d=n_d, n_g=n_g)
    fields.update(rung_cfg)
    if wrong is not None:
        fields["wrong"] = wrong
    return measure_gan(lambda: (G, D), cond_dim, (3, SIZE, SIZE), N_SCENES, fields, weight, partners_k,
                       judge_classes=N_SCENES if judge else 0)


def measure_supervised(model: nn.Module, fit: Callable[[nn.Module, int], None], items_for_steps: int,
                       eval_X: Optional[torch.Tensor] = None, clock_cls=SupervisedTask) -> List[dict]:
    with StepClock(clock_cls) as clock:
        fit(model, items_for_steps)
    out = clock.results()
    if eval_X is not None:
        out[0].update(timed_forward(lambda: train.predict(model, eval_X), len(eval_X)))
    return out


def audio_classifier_kind(kind: str, depth: int) -> dict:
    shape = rep_shape(kind)
    batch = ENC.batch_size
    n = batch * steps_for("normal")
    X = torch.randn(n, *shape)
    y = torch.arange(n) % N_INST
    net = channels_last(models.AudioClassifier(shape, N_INST, depth=depth, width=ENC.width))

    def fit(model, _):
        train.fit_classifier(model, X, y, epochs=1, batch_size=batch, lr=1e-3, l2_fc=0.015, seed=0, progress=False)

    (res,) = measure_supervised(net, fit, n, eval_X=X[:EVAL_BATCH])
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(net), params={"net": count_params(net)},
               input_shape=list(shape))
    return res


def autoencoder_stacks() -> List[dict]:
    shape = rep_shape("logmel")
    batch = ENC.batch_size
    n = batch * steps_for("normal")
    X = torch.randn(n, *shape)
    ae = channels_last(models.AudioAutoencoder(shape, code=128, width=ENC.width))
    with StepClock(SupervisedTask) as clock:
        train.train_autoencoder(ae, X, epochs_per_stack=1, batch_size=batch, lr=1e-3, seed=0, progress=False)
    out = clock.results()
    for k, r in enumerate(out):
        r.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(ae.stack_parameters(k)),
                 params={"stack": int(sum(p.numel() for p in ae.stack_parameters(k)))})
    return out


_AE: List[dict] = []


def autoencoder_stack_kind(k: int) -> dict:
    if not _AE:
        _AE.extend(autoencoder_stacks())
    return dict(_AE[k])


def image_classifier_kind(classes: int, task: str = "classifier") -> dict:
    batch = ENC.batch_size
    n = batch * steps_for("normal")
    X = torch.rand(n, 3, SIZE, SIZE)
    if task == "classifier":                 # recipes.image_classifier: channels-last, random flips and shifts
        net = channels_last(models.ImageClassifier(classes, image_size=SIZE, width=ENC.width))

        def fit(model, _):
            train.fit_classifier(model, X, torch.arange(n) % classes, epochs=1, batch_size=batch, lr=1e-3,
                                 l2_fc=0.015, seed=0, augment=train.augment_images, progress=False)
    elif task == "regression":               # probes._regression_probe (pose, size): one output, MSE
        net = models.ImageClassifier(1, image_size=SIZE, width=ENC.width)

        def fit(model, _):
            train.fit_regression(model, X, torch.rand(n), epochs=1, batch_size=batch, lr=1e-3, seed=0,
                                 progress=False)
    else:                                    # probes.presence_probe: multi-label BCE, weighted draws, augmented
        net = models.ImageClassifier(classes, image_size=SIZE, width=ENC.width)
        Y = (torch.rand(n, classes) < 1.5 / classes).float()

        def fit(model, _):
            train.fit_multilabel(model, X, Y, epochs=1, batch_size=batch, lr=1e-3, seed=0, progress=False,
                                 augment=train.augment_images, sample_weights=torch.ones(n))
    (res,) = measure_supervised(net, fit, n, eval_X=X[:EVAL_BATCH])
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(net), params={"net": count_params(net)})
    return res


def soundnet_kind() -> dict:
    batch = ENC.batch_size
    n = batch * steps_for("normal")
    W = 0.1 * torch.randn(n, SAMPLES)
    T = torch.softmax(torch.randn(n, N_SCENES), dim=1)
    net = models.SoundNet1D(N_SCENES, width=ENC.width)

    def fit(model, _):
        train.fit_distillation(model, W, T, epochs=1, batch_size=batch, lr=1e-3, seed=0, progress=False)

    (res,) = measure_supervised(net, fit, n, eval_X=W[:EVAL_BATCH])
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(net), params={"net": count_params(net)})
    return res


def pix2pix_kind(which: int, skips: bool = True) -> dict:
    n = GAN_ITEMS
    image_dim = 256                                     # the image classifier's fc1 (notebook 05's image feature)
    if which == 2:                                      # stacked.gan2: image feature map -> image
        G = models.UNetGenerator(1, 3, size=SIZE, width=SS.gan2_width, skips=skips)
        D = models.PatchDiscriminator(1, 3, width=SS.gan2_width)
        cond = models.vector_to_map(torch.randn(n, image_dim), SIZE)
        target = torch.rand(n, 3, SIZE, SIZE) * 2 - 1
        cfg = SS.pix2pix_config(2, 0, steps=steps_for("normal"), log_every=LOG_EVERY)
    else:                                               # stacked.gan1: multimodal feature map -> image feature map
        G = models.UNetGenerator(1, 1, size=SS.gan1_size, width=SS.gan1_width, skips=skips, out="linear")
        D = models.PatchDiscriminator(1, 1, width=SS.gan1_width, layers=2)
        cond = models.vector_to_map(torch.randn(n, SS.mm_hidden), SS.gan1_size)
        target = models.vector_to_map(torch.randn(n, image_dim), SS.gan1_size)
        cfg = SS.pix2pix_config(1, 0, d_scale=SS.d_scale, steps=steps_for("normal"), log_every=LOG_EVERY)
    with StepClock(Pix2PixTask) as clock:
        train.train_pix2pix(G, D, cond, target, cfg, progress=False)
    (res,) = clock.results()
    res.update(updates_per_iter=2, allreduce_bytes_per_iter=trainable_bytes(G) + trainable_bytes(D),
               params={"G": count_params(G), "D": count_params(D)}, batch_size=cfg.batch_size)
    return res


def multimodal_kind() -> dict:
    batch = SS.mm_batch_size
    n = batch * steps_for("tiny")
    mm = models.MultimodalLayers(256, soundnet_dim(), N_SCENES, hidden=SS.mm_hidden)
    xi, xs, y = torch.randn(n, 256), torch.randn(n, soundnet_dim()), torch.arange(n) % N_SCENES
    with StepClock(MultimodalTask) as clock:
        train.fit_multimodal(mm, xi, xs, y, terms=("l1", "hidden_ce", "output_ce"), epochs=1, batch_size=batch,
                             lr=SS.mm_lr, seed=0, progress=False)
    (res,) = clock.results()
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(mm), params={"net": count_params(mm)})
    return res


def simclr_kind() -> dict:
    batch = S2.simclr_batch_size
    n = batch * steps_for("heavy")
    X = torch.rand(n, 3, SIZE, SIZE)
    enc = models.SimCLREncoder(SIZE, S2.simclr_width, S2.simclr_feature_dim, S2.simclr_proj_dim)
    with StepClock(SimCLRTask) as clock:
        train.fit_simclr(enc, X, epochs=1, batch_size=batch, lr=S2.simclr_lr, temperature=S2.simclr_temperature,
                         seed=0, progress=False)
    (res,) = clock.results()
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(enc), params={"net": count_params(enc)})
    return res


def audio_encoder_kind() -> dict:
    batch = S2.audio_batch_size
    n = batch * steps_for("normal")
    shape = rep_shape("logmel", n_mels=S2.audio_mels)
    X = torch.randn(n, *shape)
    V = F.normalize(torch.randn(n, S2.simclr_feature_dim), dim=1)
    enc = models.AudioResNet18(S2.simclr_feature_dim, width=S2.audio_width)

    def fit(model, _):
        train.fit_alignment(model, X, V, epochs=1, batch_size=batch, lr=S2.audio_lr, loss="info_nce",
                            similarity="l2", temperature=S2.align_temperature, seed=0, progress=False)

    (res,) = measure_supervised(enc, fit, n, eval_X=X[:EVAL_BATCH], clock_cls=AlignTask)
    res.update(updates_per_iter=1, allreduce_bytes_per_iter=trainable_bytes(enc), params={"net": count_params(enc)},
               input_shape=list(shape))
    return res


def build_kinds() -> Dict[str, Kind]:
    K: Dict[str, Kind] = {}

    def add(key, what, fn):
        K[key] = Kind(key, what, fn)

    snd = soundnet_dim()
    # notebook 02
    for rep in REPRESENTATIONS:
        for depth in DEPTHS:
            add(f"audio_clf_{rep}_{depth}", f"sound classifier, {rep}, {depth} conv, width {ENC.width}",
                functools.partial(audio_classifier_kind, rep, depth))
    for k in range(4):
        add(f"autoencoder_stack{k + 1}", f"S2I-A autoencoder, stack {k + 1} of 4, width {ENC.width}",
            functools.partial(autoencoder_stack_kind, k))
    add("image_clf", f"image classifier {SIZE}x{SIZE}, width {ENC.width}, augmented",
        functools.partial(image_classifier_kind, N_INST, "classifier"))
    add("soundnet", f"SoundNet1D width {ENC.width} on {SAMPLES}-sample waveforms, distillation", soundnet_kind)
    add("regression_probe", f"image regression probe {SIZE}x{SIZE}, width {ENC.width}",
        functools.partial(image_classifier_kind, 1, "regression"))
    add("presence_probe", f"multi-label presence probe {SIZE}x{SIZE}, width {ENC.width}",
        functools.partial(image_classifier_kind, N_SCENES, "multilabel"))
    # notebook 03
    add("s2i_class", f"GAN-CLS {SIZE}x{SIZE} width {GS.width}, BCE, wrong pairs of another class",
        lambda: measure_gan(lambda: cond_nets(128), 128, (3, SIZE, SIZE), N_INST, {"loss": "bce", "wrong": "class"},
                            judge_classes=N_INST))
    add("s2i_none", f"GAN-CLS {SIZE}x{SIZE} width {GS.width}, BCE, no wrong pairs (S2I-N)",
        lambda: measure_gan(lambda: cond_nets(128), 128, (3, SIZE, SIZE), N_INST, {"loss": "bce", "wrong": "none"},
                            judge_classes=N_INST))
    add("s2i_same_class", f"GAN-CLS {SIZE}x{SIZE} width {GS.width}, BCE, wrong pairs of the same class (pose)",
        lambda: measure_gan(lambda: cond_nets(128), 128, (3, SIZE, SIZE), 1, {"loss": "bce", "wrong": "same_class"}))
    add("kang_wgan", f"WGAN critic (no BN), RMSProp, clipping, {GS.kang_n_d} critic steps per G step",
        lambda: measure_gan(lambda: cond_nets(snd, norm="none"), snd, (3, SIZE, SIZE), N_INST,
                            {"loss": "wgan", "optimizer": "rmsprop", "lr_g": GS.lr / 5, "lr_d": GS.lr / 5,
                             "n_d": GS.kang_n_d, "clip": 0.01, "wrong": "class", "wrong_weight": KANG_ALPHA,
                             "fake_weight": 1.0}, weight="heavy", judge_classes=N_INST))
    add("i2s", f"I2S GAN-CLS, {GS.i2s_mels}x44 one channel, width {GS.i2s_width}",
        lambda: measure_gan(lambda: cond_nets(128, out_shape=(GS.i2s_mels, 44), channels=1, width=GS.i2s_width), 128,
                            (1, GS.i2s_mels, 44), N_INST, {"loss": "bce", "wrong": "class"}))
    # notebook 04 (and the direct GANs of 05, 06)
    for rung in "cdefg":
        add(f"ladder_{rung}", f"ladder rung ({rung}), width {GS.ladder_width}, {GS.ladder_n_d}:{GS.ladder_n_g} D:G steps",
            functools.partial(rung_gan, rung, snd, GS.ladder_n_d, GS.ladder_n_g, GS.ladder_width, GS.ladder_lr, "heavy"))
    add("ladder_b", f"ladder rung (b) WGAN-GP, width {GS.ladder_width}, {WGAN_GP_RECIPE['n_d']}:{WGAN_GP_RECIPE['n_g']}",
        functools.partial(rung_gan, "b", snd, GS.ladder_n_d, GS.ladder_n_g, GS.ladder_width, GS.ladder_lr, "heavy"))
    for feat in ("stft", "fbank", "mfcc"):
        add(f"ladder_g_{feat}", f"rung (g) on the {feat} feature ({table2_dim(feat)}-d), "
                                f"{GS.ladder_n_d}:{GS.ladder_n_g}",
            functools.partial(rung_gan, "g", table2_dim(feat), GS.ladder_n_d, GS.ladder_n_g, GS.ladder_width,
                              GS.ladder_lr, "heavy"))
    for rung in "cdg":
        add(f"rung_{rung}_1to1", f"rung ({rung}), width {GS.ladder_width}, 1:1 D:G steps",
            functools.partial(rung_gan, rung, snd, 1, 1, GS.ladder_width, GS.ladder_lr, "normal"))
    add("icgan", f"IC-GAN: rung (f) on {S2.simclr_feature_dim}-d unit features, width {S2.icgan_width}, k={S2.icgan_k}",
        functools.partial(rung_gan, "f", S2.simclr_feature_dim, 1, 1, S2.icgan_width, S2.icgan_lr, "normal",
                          wrong="none", partners_k=S2.icgan_k, judge=False))
    # notebook 05
    add("multimodal", f"multimodal layers, hidden {SS.mm_hidden}, batch {SS.mm_batch_size}", multimodal_kind)
    add("gan2", f"GAN 2 pix2pix U-Net {SIZE}x{SIZE} width {SS.gan2_width}", functools.partial(pix2pix_kind, 2))
    add("gan1", f"GAN 1 pix2pix U-Net {SS.gan1_size}x{SS.gan1_size} width {SS.gan1_width}",
        functools.partial(pix2pix_kind, 1))
    add("gan1_plain", f"GAN 1, plain encoder-decoder (no skips), width {SS.gan1_width}",
        functools.partial(pix2pix_kind, 1, False))
    # notebook 06
    add("simclr", f"SimCLR width {S2.simclr_width}, {S2.simclr_feature_dim}-d, batch {S2.simclr_batch_size}",
        simclr_kind)
    add("audio_encoder", f"AudioResNet18 width {S2.audio_width} on {S2.audio_mels}x44 log-mel, InfoNCE",
        audio_encoder_kind)
    return K


# ----------------------------------------------------------------------------- what each notebook trains
def pair_counts() -> dict:
    """Estimated pair counts of the paper profile (see the module docstring, step 4)."""
    ref = json.loads((ROOT / "results" / "reference" / "course.json").read_text())
    out, notes = {}, {}
    for suite, default in (("scenes", SCENE_CLASSES), ("performances", INSTRUMENTS)):
        def candidates(prof):
            size = getattr(prof, suite)
            segs = len(segment_bounds(size.clip_seconds, prof.build.segment_seconds))
            return size.clips_per_class * len(size.classes or default) * segs
        kept = ref["01_building_paired_data"][f"pairs_{suite}"]["value"] / candidates(COURSE)
        n = int(round(candidates(PAPER) * kept))
        out[suite] = {"pairs": n, "train": int(round(TRAIN_FRACTION * n)), "test": n - int(round(TRAIN_FRACTION * n))}
        notes[suite] = (f"{candidates(PAPER)} half-second segments x {kept:.4f} kept (course profile: "
                        f"{ref['01_building_paired_data'][f'pairs_{suite}']['value']:.0f} of {candidates(COURSE)})")
    top1 = ref["02_audio_representations"]["scenes_top1_discarded"]["value"]
    n = out["scenes"]["pairs"] * (1 - top1)
    out["scenes_top1"] = {"pairs": int(round(n)), "train": int(round(TRAIN_FRACTION * n)),
                          "test": int(round((1 - TRAIN_FRACTION) * n))}
    notes["scenes_top1"] = f"scenes x (1 - {top1}) (the course's top-1 discard rate), 80/20"
    r05 = ref["05_multimodal_stacked_gans"]
    share_tr = (r05["pairs_used"]["value"] - r05["test_pairs"]["value"]) / ref["01_building_paired_data"]["pairs_scenes"]["value"]
    share_te = r05["test_pairs"]["value"] / ref["01_building_paired_data"]["pairs_scenes"]["value"]
    out["scenes_05"] = {"train": int(round(out["scenes"]["pairs"] * share_tr)),
                        "test": int(round(out["scenes"]["pairs"] * share_te))}
    notes["scenes_05"] = (f"notebook 05's top-3 cleaned, balanced 90/10 re-split: the course's shares of all scenes "
                          f"pairs ({share_tr:.4f} train, {share_te:.4f} test)")
    clips = PAPER.scenes.clips_per_class * N_SCENES
    out["scenes_topk"] = {"train": int(round(TRAIN_FRACTION * clips * S2.frame_topk))}
    notes["scenes_topk"] = f"{clips} scenes clips x {S2.frame_topk} moment(s) each x {TRAIN_FRACTION} train videos"
    out["ssl_frames"] = {"train": out["scenes"]["train"] + out["performances"]["train"]}
    notes["ssl_frames"] = "train frames of both suites (notebook 06's SimCLR)"
    return {"counts": out, "how": notes}


@dataclass
class Training:
    what: str
    kind: str
    runs: int                     # seeds x variants (x suites, folds)
    steps_per_run: int            # iterations of one run
    eval_items_per_run: int = 0   # forward items outside training (validation, GAN evaluations)
    source: str = ""              # the notebook cell / library function it comes from


def epoch_steps(epochs: int, items: int, batch: int) -> int:
    return int(epochs) * math.ceil(items / batch)


def gan_evaluations(steps: int, every: int, start: int = 0) -> int:
    """How many times train_gan's Evaluate callback fires (callbacks._due)."""
    if not every:
        return 0
    return sum(1 for k in range(1, steps + 1) if k >= start and (k % every == 0 or k == steps))


def notebook_plan(P: dict) -> Dict[str, List[Training]]:
    c = P["counts"]
    sc, pf, s1, s5 = c["scenes"], c["performances"], c["scenes_top1"], c["scenes_05"]
    b = ENC.batch_size
    suites = (sc, pf)
    plan: Dict[str, List[Training]] = {}

    # ---- notebook 02: Table 1, the autoencoder, the image classifier, SoundNet, the out-of-fold classifiers
    t = []
    for rep in REPRESENTATIONS:
        for depth in DEPTHS:
            extra = 2 if (rep in ("mel", "logmel") and depth == max(DEPTHS)) else 0   # cell 32: seeds 1, 2 (performances)
            for name, s, runs in (("scenes", sc, 1), ("performances", pf, 1 + extra)):
                t.append(Training(f"sound classifier {rep} {depth} conv, {name}", f"audio_clf_{rep}_{depth}", runs,
                                  epoch_steps(ENC.audio_epochs, s["train"], b), ENC.audio_epochs * s["test"] + s["train"],
                                  "cells 26, 32: course.audio_classifier (max_train None: every train pair)"))
    for name, s in (("scenes", sc), ("performances", pf)):
        for k in range(4):
            t.append(Training(f"S2I-A autoencoder stack {k + 1}, {name}", f"autoencoder_stack{k + 1}", 1,
                              epoch_steps(ENC.autoencoder_epochs, s["train"], b), 0,
                              "cell 42: course.audio_autoencoder (epochs per stack, stacks in turn)"))
    for name, s in (("scenes", sc), ("performances", pf)):
        t.append(Training(f"image classifier, {name}", "image_clf", 1, epoch_steps(ENC.image_epochs, s["train"], b),
                          ENC.image_epochs * s["test"] + s["train"], "cell 47: course.image_classifier (all train frames: upper bound)"))
        t.append(Training(f"SoundNet distilled from the image classifier, {name}", "soundnet", 1,
                          epoch_steps(ENC.soundnet_epochs, s["train"], b), ENC.soundnet_epochs * s["test"] + s["test"],
                          "cell 54: course.soundnet"))
        t.append(Training(f"out-of-fold image classifiers (2 folds), {name}", "image_clf", 2,
                          epoch_steps(ENC.image_epochs, s["pairs"] // 2, b), s["pairs"] // 2,
                          "cell 69: course.out_of_fold_probs('image')"))
        t.append(Training(f"out-of-fold LMS sound classifiers (2 folds), {name}", "audio_clf_logmel_4", 2,
                          epoch_steps(ENC.audio_epochs, s["pairs"] // 2, b), s["pairs"] // 2,
                          "cell 69: course.out_of_fold_probs('audio')"))
    plan["02"] = t

    # ---- notebook 03: performances
    ev_tr, ev_te = min(GS.eval_sounds, pf["train"]), min(GS.eval_sounds, pf["test"])
    per_eval = ev_tr + ev_te + 8 * 16                   # judge_probe: train and test sounds, 8 x 16 for diversity
    t = [Training("image classifier on player crops", "image_clf", 1, epoch_steps(ENC.image_epochs, pf["train"], b),
                  ENC.image_epochs * pf["test"] + pf["train"], "cell 11: course.image_classifier(framing='player')"),
         Training("GAN-CLS by hand and through the library (cell 23)", "s2i_class", 2, 20, 0, "cell 23: BY_HAND = 20"),
         Training(f"S2I-C and S2I-A, {GS.s2i_seeds} seeds each", "s2i_class", 2 * GS.s2i_seeds, GS.s2i_steps,
                  gan_evaluations(GS.s2i_steps, GS.eval_every) * per_eval, "cell 29: s2i_job"),
         Training(f"S2I-N, {GS.s2i_seeds} seeds", "s2i_none", GS.s2i_seeds, GS.s2i_steps,
                  gan_evaluations(GS.s2i_steps, GS.eval_every) * per_eval, "cell 29: s2i_job (wrong='none')"),
         Training("pose probe", "regression_probe", 1, epoch_steps(ENC.image_epochs, pf["train"], b), 0,
                  "cell 48: course.pose_probe (all train frames: upper bound)"),
         Training(f"pose-oriented GANs, {len(GS.pose_instruments)} instruments", "s2i_same_class",
                  len(GS.pose_instruments), GS.pose_steps, 0, "cell 52: train_gan_cls(wrong='same_class')"),
         Training("Kang & Kymn: WGAN with clipping", "kang_wgan", 1, GS.kang_steps,
                  gan_evaluations(GS.kang_steps, GS.eval_every) * per_eval, "cell 57"),
         Training("Kang & Kymn: BCE GAN-CLS baseline", "s2i_class", 1, GS.kang_steps,
                  gan_evaluations(GS.kang_steps, GS.eval_every) * per_eval, "cell 57 (SoundNet pool5 is 128-d, as S2I's code)"),
         Training("I2S: spectrograms from frames", "i2s", 1, GS.i2s_steps, 0, "cell 66")]
    plan["03"] = t

    # ---- notebook 04: scenes, top-1 cleaned
    every = max(1, GS.ladder_steps // 10)
    start = round((1 - GS.ladder_tail) * GS.ladder_steps)
    per_eval = min(GS.eval_sounds, s1["test"]) + 8 * 16     # ladder_eval: report on EVAL_TE with diversity
    n_ev = gan_evaluations(GS.ladder_steps, every, start) * per_eval
    n_ab = min(GS.ablation_seeds, GS.ladder_seeds)
    t = [Training(f"spectral norms demo: rung ({r}), 100 iterations", f"rung_{r}_1to1", 1, 100, 0, "cell 17")
         for r in "cd"]
    t.append(Training(f"ladder rung (b), {GS.ladder_wgan_seeds} seeds", "ladder_b", GS.ladder_wgan_seeds,
                      GS.ladder_steps, n_ev, "cell 31: train_all(ladder)"))
    for r in "cdefg":
        t.append(Training(f"ladder rung ({r}), {GS.ladder_seeds} seeds", f"ladder_{r}", GS.ladder_seeds,
                          GS.ladder_steps, n_ev, "cell 31: train_all(ladder)"))
    for feat in ("stft", "fbank", "mfcc"):
        t.append(Training(f"Table 2: rung (g) on {feat}, {n_ab} seeds", f"ladder_g_{feat}", n_ab, GS.ladder_steps,
                          n_ev, "cell 51 (SoundNet's row reuses rung (g))"))
    t.append(Training(f"update ratio 1:1, rung (g), {n_ab} seeds", "rung_g_1to1", n_ab, GS.ladder_steps, n_ev,
                      "cell 56 (1:5 is the ladder's own rung (g))"))
    t.append(Training("size probe", "regression_probe", 1, epoch_steps(ENC.image_epochs, s1["train"], b), 0,
                      "cell 58: course.size_probe on the top-1 cleaned pairs (all train frames: upper bound)"))
    plan["04"] = t

    # ---- notebook 05: top-3 cleaned, balanced, re-split scenes
    mm_runs = 2 * SS.mm_seeds + max(SS.nn_seeds, SS.seeds)
    t = [Training(f"multimodal layers: 3 loss rows ({SS.mm_seeds}, {SS.mm_seeds}, {max(SS.nn_seeds, SS.seeds)} seeds)",
                  "multimodal", mm_runs, epoch_steps(SS.mm_epochs, s5["train"], SS.mm_batch_size), 0, "cell 20"),
         Training(f"direct rung (g), {SS.seeds} seeds", "rung_g_1to1", SS.seeds, SS.direct_steps, 0,
                  "cell 36: course.ladder.direct_gan (1:1 D:G steps)"),
         Training(f"GAN 2, {SS.seeds} seeds", "gan2", SS.seeds, SS.gan2_steps, 0, "cell 38: stacked.gan2"),
         Training(f"GAN 1 with skips: the stack, without multimodal layers, no 0.001 scale; {SS.seeds} seeds each",
                  "gan1", 3 * SS.seeds, SS.gan1_steps, 0, "cell 38: stacked.gan1 variants"),
         Training(f"GAN 1 plain encoder-decoder, {SS.seeds} seeds", "gan1_plain", SS.seeds, SS.gan1_steps, 0,
                  "cell 38: stacked.gan1(skips=False)")]
    plan["05"] = t

    # ---- notebook 06: scenes (+ performances frames for SimCLR)
    rows = 2 + len(S2.temperatures)                      # L2, InfoNCE at each temperature, cosine logits
    t = [Training("SimCLR image encoder", "simclr", 1,
                  epoch_steps(S2.simclr_epochs, c["ssl_frames"]["train"], S2.simclr_batch_size), 0, "cell 10"),
         Training(f"direct rung (g) from pool5, {S2.seeds} seeds", "rung_g_1to1", S2.seeds, S2.direct_steps, 0,
                  "cell 24: course.ladder.direct_gan"),
         Training(f"IC-GAN, {S2.seeds} seeds", "icgan", S2.seeds, S2.icgan_steps, 0, "cell 24: sound2scene.ic_gan"),
         Training(f"audio encoders: {rows} loss rows x {S2.seeds} seeds", "audio_encoder", rows * S2.seeds,
                  epoch_steps(S2.audio_epochs, sc["train"], S2.audio_batch_size), S2.audio_epochs * sc["test"],
                  "cell 24: sound2scene.audio_encoder (val_rows: validation every epoch)"),
         Training(f"audio encoders on chosen frames: 2 scores x {S2.frame_seeds} seeds", "audio_encoder",
                  2 * S2.frame_seeds, epoch_steps(S2.audio_epochs, c["scenes_topk"]["train"], S2.audio_batch_size), 0,
                  "cell 38"),
         Training("presence probe", "presence_probe", 1, epoch_steps(max(1, ENC.image_epochs * 3 // 5), sc["train"], b),
                  0, "course.presence_probe, PRESENCE_EPOCHS (all train frames: upper bound)")]
    plan["06"] = t
    return plan


# ----------------------------------------------------------------------------- estimates
def gpu_seconds_per_iter(k: dict, n_gpus: int) -> float:
    compute = k["flops_per_iter"] / GPU_SUSTAINED_FLOPS / n_gpus
    overhead = GPU_OVERHEAD_S_PER_UPDATE * k["updates_per_iter"]
    comm = 0.0 if n_gpus == 1 else k["allreduce_bytes_per_iter"] * 2 * (n_gpus - 1) / n_gpus / DDP_BUS_BYTES_PER_S
    return compute + overhead + comm


def eval_seconds(k: dict, items: int, gpu: bool) -> float:
    if not items:
        return 0.0
    if "eval_s_per_item" not in k:
        raise KeyError("evaluation items for a kind whose evaluation was not measured")
    if not gpu:
        return items * k["eval_s_per_item"]
    return items * k["eval_flops_per_item"] / GPU_SUSTAINED_FLOPS + math.ceil(items / EVAL_BATCH) * GPU_EVAL_OVERHEAD_S_PER_BATCH


def makespan(durations: Sequence[float], n: int) -> float:
    """Wall time of independent jobs on n devices, longest first onto the least loaded."""
    loads = [0.0] * n
    for d in sorted(durations, reverse=True):
        loads[loads.index(min(loads))] += d
    return max(loads)


def estimate(plan: Dict[str, List[Training]], kinds: Dict[str, Kind]) -> dict:
    out = {}
    for nb, trainings in plan.items():
        rows, run_gpu1 = [], []
        tot = {"cpu_s": 0.0, "eval_cpu_s": 0.0, "flops": 0.0, "eval_flops": 0.0, "iterations": 0,
               **{f"gpu_s_{n}": 0.0 for n in GPU_COUNTS}}
        for tr in trainings:
            k = kinds[tr.kind].get()
            iters = tr.runs * tr.steps_per_run
            ev_items = tr.runs * tr.eval_items_per_run
            cpu_s = iters * k["cpu_s_per_iter"]
            ev_cpu = eval_seconds(k, ev_items, gpu=False)
            ev_gpu = eval_seconds(k, ev_items, gpu=True)
            gpu = {n: iters * gpu_seconds_per_iter(k, n) + ev_gpu for n in GPU_COUNTS}
            run_gpu1 += [gpu[1] / tr.runs] * tr.runs
            row = {"what": tr.what, "kind": tr.kind, "source": tr.source, "runs": tr.runs,
                   "steps_per_run": tr.steps_per_run, "iterations": iters,
                   "cpu_s_per_iter": round(k["cpu_s_per_iter"], 5), "flops_per_iter": int(k["flops_per_iter"]),
                   "updates_per_iter": k["updates_per_iter"],
                   "allreduce_bytes_per_iter": int(k["allreduce_bytes_per_iter"]),
                   "gpu_s_per_iter_1": round(gpu_seconds_per_iter(k, 1), 6),
                   "train_flops": float(iters * k["flops_per_iter"]),
                   "cpu_hours": round(cpu_s / 3600, 3), "gpu_hours_1": round(gpu[1] / 3600, 4),
                   "eval_items": ev_items, "eval_cpu_hours": round(ev_cpu / 3600, 3),
                   "eval_gpu_hours": round(ev_gpu / 3600, 4)}
            rows.append(row)
            tot["cpu_s"] += cpu_s
            tot["eval_cpu_s"] += ev_cpu
            tot["flops"] += iters * k["flops_per_iter"]
            tot["eval_flops"] += ev_items * k.get("eval_flops_per_item", 0.0)
            tot["iterations"] += iters
            for n in GPU_COUNTS:
                tot[f"gpu_s_{n}"] += gpu[n]
        res = {"trainings": rows, "iterations": tot["iterations"],
               "cpu_hours": round((tot["cpu_s"] + tot["eval_cpu_s"]) / 3600, 2),
               "cpu_hours_training_only": round(tot["cpu_s"] / 3600, 2),
               "cpu_hours_evaluation": round(tot["eval_cpu_s"] / 3600, 2),
               "train_flops": float(tot["flops"]), "eval_flops": float(tot["eval_flops"])}
        for n in GPU_COUNTS:
            res[f"gpu_hours_{n}"] = round(tot[f"gpu_s_{n}"] / 3600, 3)
        for n in GPU_COUNTS[1:]:
            res[f"gpu_hours_{n}_independent_runs"] = round(makespan(run_gpu1, n) / 3600, 3)
        out[nb] = res
    return out


def cpu_model() -> str:
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in text.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "reference" / "paper_estimates.json"))
    ap.add_argument("--quick", action="store_true", help="one timed iteration per kind (a check of the script)")
    args = ap.parse_args(argv)
    if args.quick:
        for k in REPEATS:
            REPEATS[k] = 1
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU: {cpu_model()}", flush=True)
    counts = pair_counts()
    plan = notebook_plan(counts)
    kinds = build_kinds()
    used = sorted({t.kind for ts in plan.values() for t in ts}, key=list(kinds).index)
    print(f"{sum(len(v) for v in plan.values())} trainings of {len(used)} kinds; measuring each kind:", flush=True)
    for key in used:
        kinds[key].get()
    rate = matmul_rate(2048, 5)
    notebooks = estimate(plan, kinds)
    total = {key: round(sum(nb[key] for nb in notebooks.values()), 3)
             for key in ("cpu_hours", "cpu_hours_training_only", "cpu_hours_evaluation",
                         *[f"gpu_hours_{n}" for n in GPU_COUNTS])}
    total["train_flops"] = float(sum(nb["train_flops"] for nb in notebooks.values()))
    elapsed = time.perf_counter() - t_start
    rel = os.path.relpath(__file__, Path.cwd()) if Path(__file__).is_relative_to(Path.cwd()) else __file__
    env = " ".join(f"{v}={os.environ[v]}" for v in ("OMP_NUM_THREADS", "PYTHONPATH") if v in os.environ)
    try:
        from s2i_lib.course.runs import git_commit
        commit = git_commit()
    except Exception:
        commit = "unknown"
    result = {
        "estimate": True,
        "measured_on_gpu": False,
        "what": "estimated training time of the paper profile (get_profile('paper')) of notebooks 02-06, "
                "from CPU step times measured here and FLOPs counted here; every GPU number is an estimate",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": f"{env} python {rel} {' '.join(sys.argv[1:] if argv is None else argv)}".strip(),
        "git_commit": commit,
        "machine": {"cpu_model": cpu_model(), "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "torch": torch.__version__, "python": platform.python_version(),
                    "cpu_matmul_2048_flops_per_s": rate, "load_average_at_start": list(load_start),
                    "load_average_at_end": list(os.getloadavg())},
        "script_seconds": round(elapsed, 1),
        "quick": bool(args.quick),
        "assumptions": {
            "gpu": GPU_CLASS,
            "gpu_sustained_flops_per_s": GPU_SUSTAINED_FLOPS,
            "gpu_sustained_why": "an A100-class GPU peaks near 19.5e12 FLOP/s in plain fp32 (more with TF32); these "
                                 "small convolution nets (batches 32-256, 64x64 images, widths 32-64) keep only part "
                                 "of it busy, and the rate is applied to the counted FLOPs (convolutions, matrix "
                                 "products) so it also pays for the uncounted element-wise kernels (batch norm, "
                                 "activations, Adam, EMA)",
            "gpu_overhead_s_per_update": GPU_OVERHEAD_S_PER_UPDATE,
            "gpu_overhead_why": "kernel launches and Python dispatch of one forward, backward and optimiser update of "
                                "a small network; charged once per optimiser update (a GAN iteration of n_d D and "
                                "n_g G steps pays n_d + n_g), not reduced by more GPUs",
            "gpu_eval_overhead_s_per_batch_of_256": GPU_EVAL_OVERHEAD_S_PER_BATCH,
            "ddp": "N GPUs: compute / N + the same overhead + for every update the updated network's parameter bytes "
                   "x 2 x (N-1)/N over the bus bandwidth; evaluation is not split. Optimistic for large N: the global "
                   "batch is split, e.g. a GAN batch of 64 leaves 8 images per GPU at N = 8. Whether the library's "
                   "DDP path runs each of these tasks is not checked here. gpu_hours_N_independent_runs: the "
                   "notebook's runs (seeds, variants) one per GPU instead, longest first",
            "ddp_bus_bytes_per_s": DDP_BUS_BYTES_PER_S,
            "flops": "torch.utils.flop_counter.FlopCounterMode over one training iteration (every D and G step of "
                     "it, forward and backward): convolutions and matrix products only",
            "cpu": "median start-to-start time of a few iterations after one FLOP-count and one warm-up iteration, "
                   "one training at a time on torch_threads threads, through the library's own training functions "
                   "on random tensors; the notebooks run two trainings at once on one core each. Each kind's "
                   "cpu_busy_threads (process CPU s per wall s over its timed iterations) shows whether it had the "
                   "cores: about torch_threads when it did",
            "pairs": counts,
            "evaluation": "included (rough): per-epoch validation forwards of the supervised trainings and the GAN "
                          "evaluations of notebooks 03 and 04 (generate + judge per image), timed and FLOP-counted "
                          "on 256 items. Left out: IS/FD/KID and probe computations on features, feature "
                          "extraction and representations of whole pair sets, final reports, notebook 06's GAN "
                          "inversion (16 images x 150 steps), building pairs and SynthAV corpora",
            "counted_once": "models a notebook loads from an earlier notebook's store entry are counted where first "
                            "trained (02's classifiers, autoencoder and SoundNet in 03-06; 04's size probe in 06; "
                            "05's stack in 06); a notebook run alone would train them too",
            "upper_bounds": "trainings on frames that 'show their source' (image classifiers, probes) are counted "
                            "on all train frames; the last, smaller batch of an epoch counts as a full iteration",
        },
        "kinds": {k: {"what": kinds[k].what, **kinds[k].result} for k in used},
        "notebooks": notebooks,
        "total": total,
    }
    write_json(args.out, result)
    print(f"\n{'nb':<4}{'iterations':>12}{'CPU h':>10}{'1 GPU h':>10}{'4 GPU h':>10}{'8 GPU h':>10}"
          f"{'4 GPU runs h':>14}{'8 GPU runs h':>14}{'PFLOP':>9}")
    for nb, r in notebooks.items():
        print(f"{nb:<4}{r['iterations']:>12,}{r['cpu_hours']:>10.1f}{r['gpu_hours_1']:>10.2f}{r['gpu_hours_4']:>10.2f}"
              f"{r['gpu_hours_8']:>10.2f}{r['gpu_hours_4_independent_runs']:>14.2f}{r['gpu_hours_8_independent_runs']:>14.2f}"
              f"{r['train_flops'] / 1e15:>9.1f}")
    print(f"all {'':>11}{total['cpu_hours']:>10.1f}{total['gpu_hours_1']:>10.2f}{total['gpu_hours_4']:>10.2f}"
          f"{total['gpu_hours_8']:>10.2f}")
    print(f"wrote {args.out} in {elapsed:.0f} s (estimates, not GPU measurements)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
