"""Benchmarks of notebook 02's work: audio representations and one epoch of each model.

Not part of the test suite (speed is measured here, not asserted in unit tests).
Run with ``make bench``; writes ``results/bench/audio.json`` and prints, per profile, the
time of every representation on a course-size batch and the extrapolated training time
of notebook 02 beside the profile's budget.  Inputs are random (the cost of a step does
not depend on what the numbers mean), so nothing needs to be built first.
"""
from __future__ import annotations

import resource
import sys

import torch
import torch.nn.functional as F

from s2i_lib import audio, models
from s2i_lib import train as training
from s2i_lib.cache import write_json
from s2i_lib.course.profiles import get_profile
from s2i_lib.course.runs import package_versions, repo_root

from bench_data import timed   # the sibling script (run from this folder's path)

SR, SAMPLES = 22050, 11025          # a half-second pair at SynthAV's rate
N_REPS = 2000                       # clips per representation timing


def epoch_seconds(model, X, y, batch_size, n_items):
    """Seconds for one epoch of ``n_items`` items, measured on 4 batches."""
    n = min(len(X), 4 * batch_size)
    F.cross_entropy(model(X[:batch_size])["logits"], y[:batch_size]).backward()   # warm-up: allocations
    task = training.SupervisedTask(model, X[:n], y[:n], lambda out, t: F.cross_entropy(out["logits"], t), epochs=1)
    batches = training.EpochBatches(n, batch_size, 0)
    _, t = timed(lambda: training.fit(task, steps=batches.per_epoch, batches=batches, progress=False))
    return t / n * n_items


def main() -> int:
    torch.manual_seed(0)
    waves = torch.randn(N_REPS, SAMPLES) * 0.1
    out = {"versions": package_versions(), "threads": torch.get_num_threads(), "representations": {}, "profiles": {}}
    print(f"representations of {N_REPS} half-second clips (torch backend, {torch.get_num_threads()} threads)")
    for kind in ("stft", "mel", "logmel", "cqt", "mfcc", "fbank"):
        rep = audio.representation(kind)
        _, t = timed(lambda: rep(waves))
        out["representations"][kind] = round(t, 3)
        print(f"  {rep.label:>6} {tuple(rep.output_shape(SAMPLES))!s:>11}  {t:6.2f} s")
    lms_shape = audio.representation("logmel").output_shape(SAMPLES)
    stft_shape = audio.representation("stft").output_shape(SAMPLES)
    yw = torch.randint(0, 9, (128,))           # warm the thread pool and kernels once, untimed
    epoch_seconds(models.AudioClassifier(lms_shape, 9), torch.randn(128, *lms_shape), yw, 32, 128)
    for name in ("smoke", "course"):
        p = get_profile(name)
        e = p.encoders
        n_train = e.max_train or 5500
        cost = {}
        y = torch.randint(0, 9, (4 * e.batch_size,))
        for label, shape in (("LMS 4-conv", lms_shape), ("STFT 4-conv", stft_shape)):
            m = models.AudioClassifier(shape, 9, depth=4, width=e.width)
            cost[label] = epoch_seconds(m, torch.randn(len(y), *shape), y, e.batch_size, n_train) * e.audio_epochs
        img = models.ImageClassifier(9, image_size=e.image_size, width=e.width)
        n_images = 5000 if e.max_train is None or e.max_train >= 1000 else e.max_train   # ~ scenes' clean frames
        cost["image classifier"] = epoch_seconds(img, torch.rand(len(y), 3, e.image_size, e.image_size), y,
                                                 e.batch_size, n_images) * e.image_epochs
        sn = models.SoundNet1D(9, width=e.width)
        cost["SoundNet (as a classifier)"] = epoch_seconds(sn, torch.randn(len(y), SAMPLES), y, e.batch_size,
                                                           n_train) * e.soundnet_epochs
        out["profiles"][name] = {k: round(v, 1) for k, v in cost.items()}
        print(f"\n{name}: estimated training time of one model (budget per notebook {p.budget_minutes_per_notebook:g} min)")
        for k, v in cost.items():
            print(f"  {k:<28} {v:7.1f} s")
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    dest = write_json(repo_root() / "results" / "bench" / "audio.json", out)
    print(f"\npeak memory {out['max_rss_mb']} MB; written to {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
