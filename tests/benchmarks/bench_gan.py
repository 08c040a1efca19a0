"""Benchmarks of one GAN training iteration of the course profile, and of its speed levers.

Not part of the test suite (speed is measured here, not asserted in unit tests).
Run with ``make bench``; writes ``results/bench/gan.json`` and ``results/bench/gan.md`` and
prints the tables.

For each GAN size of the course profile (notebook 03's S2I GAN at ``gan.width``, notebook
04's ladder at ``gan.ladder_width``, notebook 03's I2S at ``gan.i2s_width`` drawing a
one-channel ``i2s_mels`` x 44 log-mel spectrogram), on random data of the right shapes,
at the profile's batch size:

- **one real iteration**: one D step and one G step of :class:`s2i_lib.train.GANTask`
  through the engine's ``fit`` (BCE with GAN-CLS wrong pairs of another class, Adam, the
  EMA of G), timed per iteration (the median after warm-up); *images/s* is the batch size
  over that time (each iteration also draws two fake batches and scores a wrong-pair batch);
- **the floating-point rate** it reaches: the FLOPs of one iteration counted with
  ``torch.utils.flop_counter.FlopCounterMode`` (convolutions and matrix products, forward
  and backward) over its time, beside the rate of a 2048 x 2048 float32 matrix product
  measured in the same run (the machine's practical peak), and their ratio;
- **the levers**, each on and off in the same run with interleaved blocks of iterations,
  so the speed-up is a ratio of medians measured under the same load: channels-last memory
  format (``GANConfig(channels_last=True)``), bfloat16 autocast around every forward of G
  and D, ``torch.compile`` of G and D (its compile time reported apart from the steady
  iteration, with the steps it takes to pay back), 1 torch thread against 2, DCGAN's last
  layer (``CondGenerator(last="deconv")``, the default) against the 3x3 output convolution
  of version 1 (``last="conv"``), and two trainings side by side in forked processes of one
  thread each (:func:`s2i_lib.train.in_workers`) against the same two one after the other
  on two threads (a ratio of wall times for the same work).

Timings on a shared machine are noisy; the ratios measured in one run are what to read.
"""
from __future__ import annotations

import functools
import multiprocessing as mp
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from s2i_lib import models
from s2i_lib import train as training
from s2i_lib.cache import write_json, write_text
from s2i_lib.course.ladder import ladder_rung
from s2i_lib.course.profiles import get_profile
from s2i_lib.course.runs import package_versions, repo_root
from s2i_lib.train import callbacks as cb
from s2i_lib.train.engine import fit

PROFILE = "course"
N_ITEMS = 512                     # random training pairs per GAN
WARMUP, BLOCK, BLOCKS = 2, 4, 3   # iterations: untimed warm-up, then BLOCKS interleaved blocks of BLOCK
NOTEBOOK_STEPS = (1000, 3000)     # GAN iterations a course notebook runs (the compile pay-back question)
MATMUL_N, MATMUL_REPS = 2048, 7


# ----------------------------------------------------------------------------- the GANs
def gan_sizes(profile):
    """(name, make) for each GAN size of ``profile``; ``make()`` returns fresh G, D, the data
    and the note saying what it is."""
    gs, enc = profile.gan, profile.encoders
    size = enc.image_size
    with torch.no_grad():                  # the ladder's condition: SoundNet1D's pool5 at the profile's width
        snd_dim = models.SoundNet1D(9, width=enc.width)(torch.zeros(1, 11025), taps=("pool5",))["pool5"].shape[1]

    def data(cond_dim, shape, classes):
        g = torch.Generator().manual_seed(0)
        labels = torch.arange(N_ITEMS) % classes
        return training.GANData(torch.rand(N_ITEMS, *shape, generator=g) * 2 - 1,
                                torch.randn(N_ITEMS, cond_dim, generator=g), labels,
                                groups=np.arange(N_ITEMS))

    def s2i(last="deconv"):
        torch.manual_seed(0)
        G = models.CondGenerator(128, out_shape=(size, size), width=gs.width, last=last)
        D = models.CondDiscriminator(128, in_shape=(size, size), width=gs.width, cond="concat")
        return G, D, data(128, (3, size, size), 8), f"{size}x{size} RGB, width {gs.width}, 128-d condition"

    def ladder():
        torch.manual_seed(0)
        G, D, _ = ladder_rung("c", snd_dim, 9, image_size=size, width=gs.ladder_width)
        return G, D, data(snd_dim, (3, size, size), 9), (f"{size}x{size} RGB, width {gs.ladder_width}, rung (c) nets, "
                                                         f"{snd_dim}-d SoundNet condition")

    def i2s():
        torch.manual_seed(0)
        shape = (gs.i2s_mels, 44)
        G = models.CondGenerator(128, out_shape=shape, out_channels=1, width=gs.i2s_width)
        D = models.CondDiscriminator(128, in_shape=shape, in_channels=1, width=gs.i2s_width, cond="concat")
        return G, D, data(128, (1, *shape), 8), f"{shape[0]}x{shape[1]} one channel, width {gs.i2s_width}"

    return [("S2I", s2i), ("ladder", ladder), ("I2S", i2s)]


class Autocast(nn.Module):
    """``net`` with every forward under bfloat16 autocast on the CPU, outputs back in float32
    (the losses and the optimiser stay in float32)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, *args):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = self.net(*args)
        if isinstance(out, dict):
            return {k: (v.float() if isinstance(v, torch.Tensor) else v) for k, v in out.items()}
        return out.float()

    def noise(self, *args, **kwargs):
        return self.net.noise(*args, **kwargs)


class _OneItem:
    """The engine's batch plan for GAN iterations (the task draws its own batches)."""
    per_epoch = None

    def __call__(self, step, generator):
        return torch.zeros(1, dtype=torch.long)


class StepTimes(cb.Callback):
    """Wall time of every engine step."""

    def __init__(self):
        self.times, self._t = [], None

    def on_start(self, engine):
        self._t = time.perf_counter()

    def on_step(self, engine):
        now = time.perf_counter()
        self.times.append(now - self._t)
        self._t = now


class Trainer:
    """One GAN's :class:`GANTask` with a lever set, run for a few iterations at a time."""

    def __init__(self, make, batch_size, ema, channels_last=False, bf16=False, compile=False):
        G, D, data, self.note = make()
        self.G, self.D = G, D
        self.cfg = training.GANConfig(loss="bce", wrong="class", steps=10 ** 6, batch_size=batch_size,
                                      lr_g=1e-3, lr_d=1e-3, betas=(0.0, 0.9), ema=ema, channels_last=channels_last)
        if channels_last:                      # the task converts G and D; convert before wrapping
            G.to(memory_format=torch.channels_last)
            D.to(memory_format=torch.channels_last)
        self.ema = cb.EMA(G, ema, auto=False) if ema > 0 else None
        g, d = G, D
        if bf16:
            g, d = Autocast(g), Autocast(d)
        if compile:
            g, d = torch.compile(g), torch.compile(d)
        self.task = training.GANTask(g, d, data, self.cfg, self.ema)
        self.timer = StepTimes()

    def run(self, steps: int):
        """``steps`` iterations; returns their wall times."""
        self.timer.times = []
        fit(self.task, steps=steps, batches=_OneItem(), seed=0, callbacks=[self.timer], progress=False)
        return list(self.timer.times)

    def flops(self) -> int:
        with FlopCounterMode(display=False) as counter:
            self.run(1)
        return int(counter.get_total_flops())


def interleaved(trainers: dict, warmup=WARMUP, block=BLOCK, blocks=BLOCKS) -> dict:
    """Median seconds per iteration of each trainer, timed in interleaved blocks (so a burst
    of load from elsewhere hits every variant alike)."""
    times = {k: [] for k in trainers}
    for t in trainers.values():
        t.run(warmup)
    for _ in range(blocks):
        for k, t in trainers.items():
            times[k] += t.run(block)
    return {k: statistics.median(v) for k, v in times.items()}


_SIDE = None      # (make, keywords, iterations) for the forked workers of side_by_side


def _side_worker(_):
    torch.set_num_threads(1)
    make, kw, iters = _SIDE
    t = Trainer(make, **kw)
    t.run(WARMUP)
    t0 = time.perf_counter()
    t.run(iters)
    return time.perf_counter() - t0


def side_by_side(make, kw, iters=2 * BLOCK) -> dict:
    """Wall seconds of two trainings of ``iters`` iterations each: one after the other on this
    process's threads, and side by side in two forked processes of one thread each."""
    global _SIDE
    t = Trainer(make, **kw)
    t.run(WARMUP)
    t0 = time.perf_counter()
    t.run(iters)
    t.run(iters)
    serial = time.perf_counter() - t0
    _SIDE = (make, kw, iters)
    try:
        with mp.get_context("fork").Pool(2) as pool:
            parallel = max(pool.map(_side_worker, [0, 1]))
    finally:
        _SIDE = None
    return {"off": serial / (2 * iters), "on": parallel / (2 * iters), "speedup": serial / parallel}


def matmul_rate(n=MATMUL_N, reps=MATMUL_REPS) -> float:
    """FLOP/s of an n x n float32 matrix product (median of ``reps``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t0)
    return 2 * n ** 3 / statistics.median(ts)


# ----------------------------------------------------------------------------- the report
def markdown(out: dict) -> str:
    peak = out["matmul_gflops"]
    lines = [f"# GAN training iteration, {out['profile']} profile (batch {out['batch_size']}, "
             f"{out['threads']} threads)", "",
             f"Practical peak: {MATMUL_N}x{MATMUL_N} float32 matmul at **{peak:.0f} GFLOP/s** "
             f"(median of {MATMUL_REPS}, same run).  One iteration = one D step + one G step (BCE, wrong pairs, "
             f"Adam, EMA of G); images/s = batch / iteration time.", "",
             "| GAN | shapes | G / D parameters | GFLOP per iteration | ms per iteration | images/s | GFLOP/s | of matmul peak |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in out["gans"].items():
        lines.append(f"| {name} | {r['shapes']} | {r['params_G'] / 1e6:.2f} M / {r['params_D'] / 1e6:.2f} M | "
                     f"{r['gflop_per_iter']:.2f} | {1000 * r['seconds_per_iter']:.0f} | {r['images_per_s']:.0f} | "
                     f"{r['gflops']:.1f} | {100 * r['fraction_of_matmul']:.0f}% |")
    lines += ["", "Levers (each against the plain fp32 eager 2-thread iteration, interleaved in the same run; "
              "speed-up = off / on, above 1 is faster):", "",
              "| GAN | lever | ms off | ms on | speed-up |", "|---|---|---|---|---|"]
    for name, r in out["gans"].items():
        for lever, v in r["levers"].items():
            lines.append(f"| {name} | {lever} | {1000 * v['off']:.0f} | {1000 * v['on']:.0f} | {v['speedup']:.2f}x |")
    c = out.get("compile")
    if c:
        lo, hi = NOTEBOOK_STEPS
        pays = c["payback_steps"]
        verdict = ("never pays back (not faster once compiled)" if pays is None else
                   f"pays back after {pays:.0f} iterations" + (f", within a notebook's {lo}-{hi}" if pays <= lo else
                                                                  f", {'inside' if pays <= hi else 'beyond'} a notebook's {lo}-{hi}"))
        lines += ["", f"torch.compile of G and D ({c['gan']}): {c['compile_seconds']:.0f} s of compiling (first "
                  f"{c['first_iters']} iterations minus their steady time), then {1000 * c['compiled']:.0f} ms per "
                  f"iteration against {1000 * c['eager']:.0f} ms eager -> {verdict}.  Saving over "
                  f"{lo} / {hi} iterations: {c['net_seconds'][0]:+.0f} s / {c['net_seconds'][1]:+.0f} s."]
    bf = [r["levers"]["bfloat16 autocast"]["speedup"] for r in out["gans"].values() if "bfloat16 autocast" in r["levers"]]
    if bf:
        lines += ["", f"bfloat16 autocast is {1 / max(bf):.1f}x to {1 / min(bf):.1f}x slower here: this CPU has AVX2 "
                  f"but no AVX-512 BF16 / AMX, so oneDNN emulates bfloat16 (convert, compute in fp32, convert back); "
                  f"it is off in every profile for CPU runs."]
    return "\n".join(lines) + "\n"


def main() -> int:
    torch.manual_seed(0)
    prof = get_profile(PROFILE)
    gs = prof.gan
    threads = torch.get_num_threads()
    t_start = time.time()
    out = {"versions": package_versions(), "profile": PROFILE, "batch_size": gs.batch_size, "threads": threads,
           "cpu": _cpu_flags(), "gans": {}}
    out["matmul_gflops"] = matmul_rate() / 1e9
    print(f"{MATMUL_N}x{MATMUL_N} float32 matmul: {out['matmul_gflops']:.0f} GFLOP/s ({threads} threads)")
    for name, make in gan_sizes(prof):
        t0 = time.time()
        kw = dict(batch_size=gs.batch_size, ema=gs.ema)
        base = Trainer(make, **kw)
        flops = base.flops()
        variants = {"base": base, "channels_last": Trainer(make, channels_last=True, **kw),
                    "bf16": Trainer(make, bf16=True, **kw)}
        if name == "S2I":
            variants["v1 last layer"] = Trainer(functools.partial(make, last="conv"), **kw)
        # the bfloat16 iteration is ~10x slower: one block of it is enough
        med = interleaved({k: v for k, v in variants.items() if k != "bf16"})
        side = side_by_side(make, kw)
        med["bf16"] = interleaved({"bf16": variants["bf16"]}, warmup=1, block=BLOCK, blocks=1)["bf16"]
        torch.set_num_threads(1)
        try:
            med["1 thread"] = interleaved({"1 thread": Trainer(make, **kw)}, warmup=1, blocks=1)["1 thread"]
        finally:
            torch.set_num_threads(threads)
        base_again = statistics.median(base.run(BLOCK))     # the 2-thread baseline right after the 1-thread block
        sec = med["base"]
        r = {"shapes": base.note, "params_G": models.count_parameters(base.G), "params_D": models.count_parameters(base.D),
             "gflop_per_iter": flops / 1e9, "seconds_per_iter": sec, "images_per_s": gs.batch_size / sec,
             "gflops": flops / sec / 1e9}
        r["fraction_of_matmul"] = r["gflops"] / out["matmul_gflops"]
        r["levers"] = {
            "channels_last": {"off": sec, "on": med["channels_last"], "speedup": sec / med["channels_last"]},
            "bfloat16 autocast": {"off": sec, "on": med["bf16"], "speedup": sec / med["bf16"]},
            "2 threads (vs 1)": {"off": med["1 thread"], "on": base_again, "speedup": med["1 thread"] / base_again},
            "two side by side, 1 thread each (per iteration)": side,
        }
        if "v1 last layer" in med:
            r["levers"]["DCGAN last layer (vs v1's 3x3 output conv)"] = {
                "off": med["v1 last layer"], "on": sec, "speedup": med["v1 last layer"] / sec}
        out["gans"][name] = r
        print(f"{name:>6}: {1000 * sec:6.1f} ms/iter, {r['images_per_s']:6.0f} images/s, {flops / 1e9:5.2f} GFLOP/iter, "
              f"{r['gflops']:5.1f} GFLOP/s = {100 * r['fraction_of_matmul']:.0f}% of matmul  ({time.time() - t0:.0f} s)")
    out["compile"] = compile_bench(gan_sizes(prof)[0], gs)
    out["wall_seconds"] = round(time.time() - t_start, 1)
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    folder = repo_root() / "results" / "bench"
    write_json(folder / "gan.json", out)
    table = markdown(out)
    write_text(folder / "gan.md", table)
    print("\n" + table)
    print(f"{out['wall_seconds']:.0f} s, peak memory {out['max_rss_mb']} MB; written to {folder / 'gan.json'} and gan.md")
    return 0


def compile_bench(gan, gs, first=3) -> dict:
    """torch.compile of G and D on one GAN: compile seconds (the first ``first`` iterations
    minus ``first`` steady ones), steady iteration against eager, the steps to pay back."""
    name, make = gan
    kw = dict(batch_size=gs.batch_size, ema=gs.ema)
    t0 = time.time()
    compiled = Trainer(make, compile=True, **kw)
    try:
        first_times = compiled.run(first)
    except Exception as e:      # no C++ compiler, an unsupported op: say so instead of failing the bench
        print(f"torch.compile failed on {name}: {type(e).__name__}: {str(e).splitlines()[0]}")
        return {"gan": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
    med = interleaved({"eager": Trainer(make, **kw), "compiled": compiled}, warmup=1)
    compile_s = sum(first_times) - first * med["compiled"]
    gain = med["eager"] - med["compiled"]
    payback = compile_s / gain if gain > 0 else None
    res = {"gan": name, "compile_seconds": compile_s, "first_iters": first, "first_iter_seconds": first_times,
           "eager": med["eager"], "compiled": med["compiled"], "speedup": med["eager"] / med["compiled"],
           "payback_steps": payback, "net_seconds": [n * gain - compile_s for n in NOTEBOOK_STEPS],
           "wall_seconds": time.time() - t0}
    print(f"torch.compile ({name}): {compile_s:.0f} s compiling, {1000 * med['compiled']:.1f} ms/iter vs "
          f"{1000 * med['eager']:.1f} ms eager" + (f", pays back after {payback:.0f} iterations" if payback else
                                                   ", never pays back"))
    return res


def _cpu_flags() -> dict:
    try:
        flags = set(next(l for l in open("/proc/cpuinfo") if l.startswith("flags")).split(":")[1].split())
    except (OSError, StopIteration):
        return {}
    return {f: f in flags for f in ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")}


if __name__ == "__main__":
    sys.exit(main())
