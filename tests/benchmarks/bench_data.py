"""Benchmarks of the data path: SynthAV generation, decoding and building.

Not part of the test suite (speed is measured here, not asserted in unit tests).
Run with ``make bench``; writes ``results/bench/data.json`` and prints a table with
each profile's budget beside the extrapolated cost of notebook 01's data work.
"""
from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from s2i_lib.data import media as avio
from s2i_lib import synthav
from s2i_lib.data.building import BuildConfig, build
from s2i_lib.course.profiles import get_profile
from s2i_lib.course.runs import package_versions, repo_root


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    results = {"versions": package_versions(), "profiles": {}}
    tmp = Path(tempfile.mkdtemp(prefix="s2i-bench-"))
    try:
        for name in ("smoke", "course"):
            prof = get_profile(name)
            size = prof.scenes
            n_per_class = min(size.clips_per_class, 4)
            root, gen_s = timed(lambda: synthav.generate_corpus(
                "scenes", name, out=tmp / f"scenes-{name}", clips_per_class=n_per_class, workers=2, progress=False))
            n_clips = n_per_class * 9
            clips = sorted(root.glob("videos/*/*.mp4"))
            _, dec_s = timed(lambda: [avio.read_video(p, sample_rate=size.sample_rate) for p in clips])
            cfg = BuildConfig(image_size=prof.build.image_size)
            res1, b1 = timed(lambda: build(root, "synthav", tmp / f"b1-{name}", cfg, workers=1, progress=False))
            res2, b2 = timed(lambda: build(root, "synthav", tmp / f"b2-{name}", cfg, workers=2, progress=False))
            total_clips = size.clips_per_class * 9 + prof.performances.clips_per_class * len(
                prof.performances.classes or synthav.suite_classes("performances"))
            # generate once, decode twice (the scoring pass and the build), build with 2 workers
            per_clip = gen_s / n_clips + 2 * dec_s / len(clips) + b2 / len(clips)
            results["profiles"][name] = {
                "sample_clips": n_clips, "generate_s_per_clip": gen_s / n_clips,
                "decode_s_per_clip": dec_s / len(clips), "build_s_per_clip_1_worker": b1 / len(clips),
                "build_s_per_clip_2_workers": b2 / len(clips), "pairs": res2.num_pairs,
                "corpus_clips": total_clips,
                "estimated_notebook01_data_minutes": total_clips * per_clip / 60,
                "budget_minutes": prof.budget_minutes_per_notebook}
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = repo_root() / "results" / "bench" / "data.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"{'profile':8s} {'gen s/clip':>10s} {'decode s/clip':>13s} {'build s/clip (1w / 2w)':>24s} "
          f"{'est. data min':>13s} {'budget min':>10s}")
    for name, r in results["profiles"].items():
        print(f"{name:8s} {r['generate_s_per_clip']:10.3f} {r['decode_s_per_clip']:13.4f} "
              f"{r['build_s_per_clip_1_worker']:11.3f} / {r['build_s_per_clip_2_workers']:.3f}      "
              f"{r['estimated_notebook01_data_minutes']:13.1f} {r['budget_minutes']:10.0f}")
    print(f"peak memory {results['peak_rss_mb']:.0f} MB; written to {out}")
    over = [n for n, r in results["profiles"].items() if r["estimated_notebook01_data_minutes"] > r["budget_minutes"]]
    if over:
        print("OVER BUDGET:", ", ".join(over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
