"""Benchmarks of notebook 06's training steps (Sound2Scene), to size its course profile.

Not part of the test suite (speed is measured here, not asserted in unit tests).  Run with
``make bench`` or alone; writes ``results/bench/sound2scene.json`` and prints a table.

On random data of the right shapes, one torch thread (how :func:`s2i_lib.train.in_workers`
runs each training), the median time of one optimiser step after warm-up of:

- the audio encoder (:class:`s2i_lib.models.AudioResNet18`) under the InfoNCE loss, batch
  64, for torchvision's ResNet-18 (``width=64``) and the same topology at widths 32 and 16,
  on log-mel spectrograms of 128, 64 and 32 bands by 44 frames (half a second);
- SimCLR (:func:`s2i_lib.train.fit_simclr`'s step: two views, NT-Xent) of
  :class:`s2i_lib.models.SimCLREncoder` at width 16 on 32 x 32 images, batch 256;

and, from them, the seconds of one epoch over ``--pairs`` training pairs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from s2i_lib import losses, models, train

ROOT = Path(__file__).resolve().parents[2]


def median_step(step, warmup: int = 1, repeats: int = 5) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def audio_step(width: int, mels: int, batch: int = 64):
    net = models.AudioResNet18(128, width=width)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x, v = torch.randn(batch, 1, mels, 44), torch.randn(batch, 128)

    def step():
        loss = losses.info_nce(net(x)["embedding"], v)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def simclr_step(batch: int = 256):
    enc = models.SimCLREncoder(32, 16)
    opt = torch.optim.Adam(enc.parameters(), 1e-3)
    x = torch.rand(batch, 3, 32, 32)

    def step():
        loss = losses.nt_xent(enc(train.simclr_views(x))["projection"], enc(train.simclr_views(x))["projection"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=5535, help="training pairs per epoch (course scenes: 5535)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for width in (64, 32, 16):
        for mels in (128, 64, 32):
            s = median_step(audio_step(width, mels))
            rows.append({"what": f"audio ResNet-18, width {width}, {mels} x 44", "ms_per_step": 1000 * s,
                         "s_per_epoch": s * -(-args.pairs // 64)})
    s = median_step(simclr_step(), repeats=3)
    rows.append({"what": "SimCLR encoder, width 16, 32 x 32, batch 256", "ms_per_step": 1000 * s,
                 "s_per_epoch": s * -(-args.pairs // 256)})
    out = ROOT / "results" / "bench" / "sound2scene.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"pairs": args.pairs, "threads": 1, "rows": rows}, indent=1))
    print(f"| step (1 thread) | ms per step | s per epoch of {args.pairs} pairs |\n|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['ms_per_step']:.0f} | {r['s_per_epoch']:.1f} |")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
