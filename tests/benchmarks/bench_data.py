"""Benchmarks of the data path: SynthAV generation, decoding and building, and the peak
memory of building one long 720p clip.

Not part of the test suite (speed is measured here, not asserted in unit tests).
Run with ``make bench``; writes ``results/bench/data.json`` and prints a table with
each profile's budget beside the extrapolated cost of notebook 01's data work, then the
peak resident memory of a child process that builds a 3-minute 1280x720 clip (written
here, at low bitrate) -- the builder decodes only the frames it pairs -- beside one that
decodes every frame as ``read_video`` does (the old builder's path; measured on the first
15 and 30 s, extrapolated to the whole clip, since the whole would not fit in memory).
"""
from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from s2i_lib.cache import write_json
from s2i_lib.data import media as avio
from s2i_lib import synthav
from s2i_lib.data.building import BuildConfig, build
from s2i_lib.course.profiles import get_profile
from s2i_lib.course.runs import package_versions, repo_root


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


LONG_SECONDS, LONG_SIZE, LONG_FPS = 180, (720, 1280), 25


def write_long_clip(path: Path, seconds: int = LONG_SECONDS, size=LONG_SIZE, fps: int = LONG_FPS) -> Path:
    """A long clip at low bitrate (H.264 + AAC): a grey field with a moving square and a
    tone that changes pitch every second."""
    import av
    h, w = size
    sr = 44100
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "35"})
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        a_s = out.add_stream("aac", rate=sr, layout="stereo")
        base = np.full((h, w, 3), 90, np.uint8)
        for i in range(seconds * fps):
            img = base.copy()
            x = (i * 8) % (w - 160)
            img[h // 2 - 80: h // 2 + 80, x: x + 160] = (200, 60, 40)
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, fps)
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        fs = a_s.codec_context.frame_size
        for k, s in enumerate(range(0, seconds * sr, fs)):
            t = (s + np.arange(fs)) / sr
            x = (0.3 * np.sin(2 * np.pi * (300 + 50 * (t.astype(int) % 8)) * t)).astype(np.float32)
            fr = av.AudioFrame.from_ndarray(np.stack([x, x]), format="fltp", layout="stereo")
            fr.sample_rate, fr.pts, fr.time_base = sr, s, Fraction(1, sr)
            for p in a_s.encode(fr):
                out.mux(p)
        for p in a_s.encode():
            out.mux(p)
    return path


_CHILD = """
import resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
mode, arg = sys.argv[1], sys.argv[2]
if mode == "build":
    from s2i_lib.data.building import BuildConfig, build
    res = build(Path(arg).parent, "folder", Path(arg).parent.parent / "out", BuildConfig(image_size=64),
                progress=False, overwrite=True)
    info = res.num_pairs
else:
    from s2i_lib.data import media
    clip = media.read_video(arg, sample_rate=22050, max_seconds=float(mode))
    info = clip.frames.shape[0]
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t0, info)
"""


def peak_memory(tmp: Path) -> dict:
    """Peak RSS (MB) of a child process building the long clip, and of one decoding all
    frames of its first 15 s and 30 s (extrapolated linearly to the whole clip)."""
    src = tmp / "long" / "src"
    src.mkdir(parents=True, exist_ok=True)
    write_s = 0.0
    if not (src / "long.mp4").exists():
        _, write_s = timed(lambda: write_long_clip(src / "long.mp4"))
    (src / "labels.csv").write_text("file,label\nlong.mp4,long\n")

    def child(mode: str):
        r = subprocess.run([sys.executable, "-c", _CHILD, mode, str(src / "long.mp4")], capture_output=True,
                           text=True)
        if r.returncode:
            raise RuntimeError(f"memory benchmark child ({mode}) failed:\n{r.stderr[-3000:]}")
        mb, secs, info = r.stdout.split()[-3:]
        return float(mb), float(secs), int(info)
    build_mb, build_s, pairs = child("build")
    (m15, _, _), (m30, s30, n30) = child("15"), child("30")
    slope = (m30 - m15) / 15.0
    return {"clip": f"{LONG_SECONDS} s {LONG_SIZE[1]}x{LONG_SIZE[0]} at {LONG_FPS} fps, H.264 + AAC stereo 44.1 kHz",
            "file_mb": (src / "long.mp4").stat().st_size / 2 ** 20, "write_s": write_s,
            "build_peak_rss_mb": build_mb, "build_s": build_s, "build_pairs": pairs,
            "full_decode_peak_rss_mb_15s": m15, "full_decode_peak_rss_mb_30s": m30,
            "full_decode_s_30s": s30, "full_decode_frames_30s": n30,
            "full_decode_peak_rss_mb_extrapolated": m30 + slope * (LONG_SECONDS - 30)}


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
        results["long_clip_memory"] = peak_memory(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = write_json(repo_root() / "results" / "bench" / "data.json", results)
    print(f"{'profile':8s} {'gen s/clip':>10s} {'decode s/clip':>13s} {'build s/clip (1w / 2w)':>24s} "
          f"{'est. data min':>13s} {'budget min':>10s}")
    for name, r in results["profiles"].items():
        print(f"{name:8s} {r['generate_s_per_clip']:10.3f} {r['decode_s_per_clip']:13.4f} "
              f"{r['build_s_per_clip_1_worker']:11.3f} / {r['build_s_per_clip_2_workers']:.3f}      "
              f"{r['estimated_notebook01_data_minutes']:13.1f} {r['budget_minutes']:10.0f}")
    m = results["long_clip_memory"]
    print(f"peak memory {results['peak_rss_mb']:.0f} MB")
    print(f"long clip ({m['clip']}, {m['file_mb']:.0f} MB file): building it peaks at {m['build_peak_rss_mb']:.0f} MB "
          f"({m['build_pairs']} pairs, {m['build_s']:.0f} s); decoding every frame peaks at "
          f"{m['full_decode_peak_rss_mb_15s']:.0f} MB for 15 s, {m['full_decode_peak_rss_mb_30s']:.0f} MB for 30 s, "
          f"~{m['full_decode_peak_rss_mb_extrapolated']:.0f} MB for the whole clip (extrapolated)")
    print(f"written to {out}")
    over = [n for n, r in results["profiles"].items() if r["estimated_notebook01_data_minutes"] > r["budget_minutes"]]
    if over:
        print("OVER BUDGET:", ", ".join(over))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
