"""The paired-data builder: videos in, (audio segment, image) pairs out.

This is the path every corpus takes, SynthAV and real ones alike (notebook 01 teaches
it).  For each input video it

1. decodes frames and audio (:mod:`s2i_lib.avio`), resampling the audio;
2. cuts the clip into segments of ``segment`` seconds (or keeps the whole clip);
3. pairs each segment with one frame by a named strategy -- ``first`` frame of the
   segment (Chen et al. 2017, Sub-URMP), ``middle`` frame (Kang & Kymn 2017), or
   ``topk``: the k moments of the clip with the highest audio-visual score, a function
   that can be swapped for a learned one (Sound2Scene, notebook 06);
4. drops segments whose loudness is at or below ``min_dbfs`` with Chen et al.'s dBFS
   formula (see :func:`dbfs`);
5. writes each kept pair's image (PNG) and audio (WAV) and, when the video is done,
   a small part file; a rerun skips videos whose part file exists, so a killed build
   resumes without redoing finished work;
6. merges the parts into ``manifest.csv`` with a train/test split by source video
   (no video on both sides), optionally class-balanced, plus ``skipped.csv`` (every
   input it could not use and why), ``segments.csv`` (every candidate segment with its
   loudness and fate) and ``summary.json``.

The on-disk format is documented in ``data/README.md``.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from . import media as avio
from .layouts import LAYOUTS, SourceItem, read_layout

FRAME_STRATEGIES = ("first", "middle", "topk")
MANIFEST_COLUMNS = ["pair_id", "source", "video_id", "label", "split", "start", "end",
                    "frame_time", "dbfs", "image", "audio"]
SEGMENT_COLUMNS = ["source", "video_id", "label", "start", "end", "frame_time", "dbfs", "kept", "reason", "pair_id"]
BUILDER_VERSION = 1


# ----------------------------------------------------------------------------- loudness
def dbfs(audio: np.ndarray, full_scale: float = 1.0) -> float:
    """Loudness in dBFS as Chen et al. (2017, Sec. 4) define it for Sub-URMP:
    ``20 * log10(mean|x| / full_scale)``, where ``full_scale`` is the largest value the
    sample format can hold (1.0 for float audio, 32767 for 16-bit integers).

    Silence gives ``-inf``.  Chen et al. delete chunks with a value <= -45 dBFS.
    """
    x = np.abs(np.asarray(audio, dtype=np.float64))
    level = float(x.mean()) if x.size else 0.0
    if level <= 0.0:
        return float("-inf")
    return 20.0 * float(np.log10(level / full_scale))


# ----------------------------------------------------------------------------- config
@dataclass
class BuildConfig:
    """Settings of one build.  Two builds with equal settings produce equal outputs."""
    segment: Optional[float] = 0.5      # seconds; None or 0 = the whole clip is one segment
    frame: str = "first"                 # first | middle | topk
    topk: int = 3                        # moments per clip for frame="topk"
    min_dbfs: Optional[float] = -45.0    # None disables the loudness filter
    image_size: int = 64
    sample_rate: int = 22050
    test_fraction: float = 0.2
    balance: bool = False
    seed: int = 0
    labels: Optional[Tuple[str, ...]] = None  # keep only these classes (None = all)

    def __post_init__(self):
        if self.frame not in FRAME_STRATEGIES:
            raise ValueError(f"unknown frame strategy {self.frame!r}; choose one of {', '.join(FRAME_STRATEGIES)}")
        if self.segment is not None and self.segment < 0:
            raise ValueError(f"segment must be positive seconds or 0/None for whole clips, got {self.segment}")
        if self.labels is not None:
            self.labels = tuple(self.labels)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["labels"] = list(self.labels) if self.labels is not None else None
        return d


# ----------------------------------------------------------------------------- segments
def segment_bounds(duration: float, segment: Optional[float]) -> List[Tuple[float, float]]:
    """Consecutive ``segment``-second windows that fit in ``duration`` (no partial tail)."""
    if not segment:
        return [(0.0, float(duration))]
    n = int(np.floor(duration / segment + 1e-6))
    return [(round(i * segment, 6), round((i + 1) * segment, 6)) for i in range(n)]


def frame_index_at(frame_times: np.ndarray, t: float) -> int:
    """Index of the frame shown at time ``t`` (the last frame that started at or before t)."""
    i = int(np.searchsorted(frame_times, t + 1e-6, side="right")) - 1
    return int(np.clip(i, 0, len(frame_times) - 1))


def first_frame(frame_times: np.ndarray, start: float, end: float) -> int:
    """The first frame whose timestamp falls in [start, end) -- Chen et al.'s choice;
    when no frame starts inside (a very low frame rate), the frame on screen at ``start``."""
    i = int(np.searchsorted(frame_times, start - 1e-6, side="left"))
    if i < len(frame_times) and frame_times[i] < end:
        return i
    return frame_index_at(frame_times, start)


def middle_frame(frame_times: np.ndarray, start: float, end: float) -> int:
    """The frame on screen at the segment's midpoint -- Kang & Kymn's choice."""
    return frame_index_at(frame_times, 0.5 * (start + end))


def energy_typicality_score(clip: avio.Clip, window: float = 0.5, min_dbfs: float = -45.0) -> np.ndarray:
    """A simple audio-visual score per frame, used by ``frame="topk"`` until notebook 06
    plugs in a learned one.

    * audio: the loudness (dBFS) of the quietest quarter of a ``window``-second stretch
      centred on the frame; a frame whose stretch falls silent anywhere (<= ``min_dbfs``)
      is pushed to the bottom of the ranking;
    * picture: typicality, minus the distance of a small grey thumbnail of the frame to
      the clip's median thumbnail -- moments where the camera shows something else than
      it usually does score low.

    score = z(typicality) + 0.5 z(loudness) - 100 [silent somewhere].
    """
    t = clip.frame_times
    audio = clip.mono()
    sr = clip.sample_rate
    half = int(window * sr / 2)
    loud = np.empty(len(t))
    for i, ti in enumerate(t):
        c = int(round(ti * sr))
        seg = audio[max(0, c - half): c + half]
        quarters = np.array_split(seg, 4) if seg.size >= 4 else [seg]
        loud[i] = min(max(dbfs(q), -80.0) if q.size else -80.0 for q in quarters)
    small = clip.frames[:, ::4, ::4, :].astype(np.float32).mean(axis=-1)
    med = np.median(small, axis=0)
    typ = -np.sqrt(((small - med) ** 2).mean(axis=(1, 2)))

    def z(v):
        s = v.std()
        return (v - v.mean()) / s if s > 1e-9 else np.zeros_like(v)
    return z(typ) + 0.5 * z(loud) - 100.0 * (loud <= min_dbfs)


ScoreFn = Callable[[avio.Clip], np.ndarray]


def topk_moments(frame_times: np.ndarray, scores: np.ndarray, k: int, min_gap: float) -> List[int]:
    """Indices of the ``k`` highest-scoring frames at least ``min_gap`` seconds apart,
    in time order."""
    order = np.argsort(-scores, kind="stable")
    chosen: List[int] = []
    for i in order:
        if all(abs(frame_times[i] - frame_times[j]) >= min_gap - 1e-9 for j in chosen):
            chosen.append(int(i))
        if len(chosen) == k:
            break
    return sorted(chosen)


@dataclass
class Candidate:
    """One candidate pair of a clip, before or after the loudness filter."""
    start: float
    end: float
    frame_index: int
    frame_time: float
    dbfs: float
    kept: bool
    reason: str = ""


def candidates_for_clip(clip: avio.Clip, cfg: BuildConfig, score_fn: Optional[ScoreFn] = None) -> List[Candidate]:
    """Every segment of ``clip`` with its chosen frame and loudness, and whether it is kept."""
    audio = clip.mono()
    sr = clip.sample_rate
    usable = min(clip.duration, audio.shape[0] / sr)
    if len(clip.frame_times):
        usable = min(usable, float(clip.frame_times[-1]) + (1.0 / clip.fps if clip.fps else 0.0))
    times = clip.frame_times
    if cfg.frame == "topk":
        fn = score_fn or energy_typicality_score
        scores = np.asarray(fn(clip), dtype=np.float64)
        if scores.shape != times.shape:
            raise ValueError(f"score function returned shape {scores.shape}, expected one score per frame {times.shape}")
        seg = cfg.segment or usable
        picks = topk_moments(times, scores, cfg.topk, min_gap=seg if cfg.segment else 0.0)
        spans = []
        for i in picks:
            s = float(np.clip(times[i] - seg / 2, 0.0, max(0.0, usable - seg)))
            spans.append((round(s, 6), round(min(s + seg, usable), 6), i))
    else:
        pick = first_frame if cfg.frame == "first" else middle_frame
        spans = [(s, e, pick(times, s, e)) for s, e in segment_bounds(usable, cfg.segment)]
    out = []
    for s, e, i in spans:
        chunk = audio[int(round(s * sr)): int(round(e * sr))]
        level = dbfs(chunk)
        kept = cfg.min_dbfs is None or level > cfg.min_dbfs
        out.append(Candidate(s, e, int(i), float(times[i]), level, kept,
                             "" if kept else f"too quiet ({level:.1f} dBFS <= {cfg.min_dbfs:g})"))
    return out


# ----------------------------------------------------------------------------- one input
def _safe(name: str) -> str:
    return "".join(ch if (ch.isalnum() or ch in "-_.") else "_" for ch in name)


def _pair_paths(item: SourceItem, k: int) -> Tuple[str, str, str]:
    pid = f"{_safe(Path(item.source).with_suffix('').as_posix())}__{k:04d}"
    lab = _safe(item.label)
    return pid, f"images/{lab}/{pid}.png", f"audio/{lab}/{pid}.wav"


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=None, sort_keys=True))
    os.replace(tmp, path)


def process_item(root: str, item: SourceItem, cfg: BuildConfig, out: str,
                 score_fn: Optional[ScoreFn] = None) -> dict:
    """Build the pairs of one input and write its part file.  Never raises for bad
    media: the reason is returned (and stored) instead."""
    root, out = Path(root), Path(out)
    part = out / "parts" / f"{item.key}.json"
    result = {"source": item.source, "label": item.label, "video_id": item.video_id,
              "layout_split": item.split, "rows": [], "segments": [], "skipped": None}
    try:
        if item.kind == "pair":
            image = avio.read_image(root / item.image)
            audio, sr = avio.read_audio(root / item.audio, sample_rate=cfg.sample_rate)
            mono = avio.to_mono(audio)
            level = dbfs(mono)
            kept = cfg.min_dbfs is None or level > cfg.min_dbfs
            cands = [Candidate(0.0, round(mono.shape[0] / sr, 6), 0, 0.0, level, kept,
                               "" if kept else f"too quiet ({level:.1f} dBFS <= {cfg.min_dbfs:g})")]
            frames = image[None]
        else:
            clip = avio.read_video(root / item.source, sample_rate=cfg.sample_rate)
            if clip.duration < (cfg.segment or 0):
                raise avio.MediaError(root / item.source, "too short",
                                      f"{clip.duration:.2f} s is shorter than one {cfg.segment} s segment")
            cands = candidates_for_clip(clip, cfg, score_fn)
            mono, sr, frames = clip.mono(), clip.sample_rate, clip.frames
        k = 0
        for c in cands:
            seg_row = {"source": item.source, "video_id": item.video_id, "label": item.label,
                       "start": c.start, "end": c.end, "frame_time": round(c.frame_time, 6),
                       "dbfs": round(c.dbfs, 3) if np.isfinite(c.dbfs) else -999.0,
                       "kept": c.kept, "reason": c.reason, "pair_id": ""}
            if c.kept:
                pid, img_rel, wav_rel = _pair_paths(item, k)
                k += 1
                avio.write_image(out / img_rel, avio.resize_square(frames[c.frame_index], cfg.image_size))
                avio.write_audio(out / wav_rel, mono[int(round(c.start * sr)): int(round(c.end * sr))], sr)
                seg_row["pair_id"] = pid
                result["rows"].append({"pair_id": pid, "source": item.source, "video_id": item.video_id,
                                       "label": item.label, "start": c.start, "end": c.end,
                                       "frame_time": round(c.frame_time, 6), "dbfs": seg_row["dbfs"],
                                       "image": img_rel, "audio": wav_rel})
            result["segments"].append(seg_row)
        if not cands:
            result["skipped"] = "no usable segment"
    except avio.MediaError as e:
        result["skipped"] = e.reason + (f" ({e.detail})" if e.detail else "")
    except Exception as e:  # an unexpected problem with one file must not stop the build
        result["skipped"] = f"error: {type(e).__name__}: {e}"
    if result["skipped"]:
        result["rows"], result["segments"] = [], []
    _atomic_json(part, result)
    return result


def _process_star(args):
    return process_item(*args)


# ----------------------------------------------------------------------------- splitting
def assign_splits(rows: List[dict], video_split: Dict[str, Optional[str]], test_fraction: float,
                  seed: int) -> Dict[str, str]:
    """Split by source video: every video id goes wholly to train or to test.

    Videos whose split the layout fixes keep it; the rest are shuffled per class with
    ``seed`` and the first ``round(test_fraction * n)`` (at least one when a class has
    two or more videos) go to test."""
    by_label: Dict[str, List[str]] = {}
    for r in rows:
        vids = by_label.setdefault(r["label"], [])
        if r["video_id"] not in vids:
            vids.append(r["video_id"])
    split: Dict[str, str] = {}
    for label in sorted(by_label):
        free = sorted(v for v in by_label[label] if not video_split.get(v))
        for v in by_label[label]:
            if video_split.get(v):
                split[v] = video_split[v]
        h = int(hashlib.sha256(f"{seed}:{label}".encode()).hexdigest()[:8], 16)
        rng = np.random.default_rng(h)
        order = [free[i] for i in rng.permutation(len(free))]
        n_test = int(round(test_fraction * len(order)))
        if len(order) >= 2 and test_fraction > 0:
            n_test = max(1, min(n_test, len(order) - 1))
        for i, v in enumerate(order):
            split[v] = "test" if i < n_test else "train"
    return split


def balance_rows(rows: List[dict], seed: int) -> List[dict]:
    """Down-sample every class to the smallest class's count, per split."""
    out = []
    for split in sorted({r["split"] for r in rows}):
        rs = [r for r in rows if r["split"] == split]
        labels = sorted({r["label"] for r in rs})
        n = min(sum(r["label"] == l for r in rs) for l in labels)
        rng = np.random.default_rng(seed)
        for l in labels:
            cls = [r for r in rs if r["label"] == l]
            keep = sorted(rng.choice(len(cls), size=n, replace=False)) if len(cls) > n else range(len(cls))
            out.extend(cls[i] for i in keep)
    return sorted(out, key=lambda r: r["pair_id"])


def check_no_leakage(rows: Iterable[dict]) -> None:
    """Raise if any source video has pairs on both sides of the split."""
    seen: Dict[str, str] = {}
    for r in rows:
        s = seen.setdefault(r["video_id"], r["split"])
        if s != r["split"]:
            raise AssertionError(f"video {r['video_id']!r} appears in both {s} and {r['split']}")


# ----------------------------------------------------------------------------- build
@dataclass
class BuildResult:
    out: Path
    complete: bool
    num_pairs: int = 0
    num_skipped: int = 0
    processed_now: int = 0
    reused: int = 0
    seconds: float = 0.0
    missing: List[str] = field(default_factory=list)

    def __str__(self):
        if not self.complete:
            return (f"build at {self.out}: {len(self.missing)} inputs still to do (other shards?); "
                    f"run `s2i merge --out {self.out}` when all shards are finished")
        return (f"build at {self.out}: {self.num_pairs} pairs, {self.num_skipped} inputs skipped "
                f"(processed {self.processed_now}, reused {self.reused}) in {self.seconds:.1f} s")


class BuildSettingsError(RuntimeError):
    pass


def _settings(source: Path, layout: str, cfg: BuildConfig) -> dict:
    return {"builder_version": BUILDER_VERSION, "source": str(source.resolve()), "layout": layout,
            "config": cfg.as_dict()}


def build(source, layout: str, out, cfg: Optional[BuildConfig] = None, *, workers: int = 1,
          shard: Tuple[int, int] = (0, 1), score_fn: Optional[ScoreFn] = None,
          progress: bool = True, overwrite: bool = False) -> BuildResult:
    """Build paired data from the corpus at ``source`` (in ``layout``) into ``out``.

    ``shard=(i, n)`` processes only every n-th input starting at i, so n processes or
    cluster jobs can share a corpus; the last one to finish writes the manifest (or run
    :func:`merge`).  A rerun with the same settings reuses finished inputs; different
    settings on an existing ``out`` raise :class:`BuildSettingsError` unless
    ``overwrite``.  ``score_fn`` (frame="topk") must be a picklable top-level function
    when ``workers > 1``.
    """
    t0 = time.time()
    cfg = cfg or BuildConfig()
    source, out = Path(source), Path(out)
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    i_shard, n_shard = shard
    if not (0 <= i_shard < n_shard):
        raise ValueError(f"bad shard {i_shard}/{n_shard}: need 0 <= I < N")
    settings = _settings(source, layout, cfg)
    settings_path = out / "build.json"
    if settings_path.exists():
        old = json.loads(settings_path.read_text())
        if old != settings:
            if not overwrite:
                diff = sorted(k for k in set(old["config"]) | set(settings["config"])
                              if old["config"].get(k) != settings["config"].get(k))
                diff += [k for k in ("source", "layout", "builder_version") if old.get(k) != settings.get(k)]
                raise BuildSettingsError(
                    f"{out} holds a build with other settings ({', '.join(diff)} differ); "
                    f"choose another --out or pass --overwrite to rebuild it")
            for sub in ("parts", "images", "audio"):
                shutil.rmtree(out / sub, ignore_errors=True)
            for f in ("manifest.csv", "skipped.csv", "segments.csv", "summary.json"):
                (out / f).unlink(missing_ok=True)
    (out / "parts").mkdir(parents=True, exist_ok=True)
    _atomic_json(settings_path, settings)

    items, layout_skips = read_layout(source, layout, cfg.labels)
    _atomic_json(out / "sources.json", {"items": [asdict(it) for it in items],
                                        "layout_skipped": [list(s) for s in layout_skips]})
    mine = [it for j, it in enumerate(items) if j % n_shard == i_shard]
    todo = [it for it in mine if not (out / "parts" / f"{it.key}.json").exists()]
    reused = len(mine) - len(todo)

    bar = None
    if progress and todo:
        from ..course.progress import tqdm
        bar = tqdm(total=len(todo), desc=f"building {source.name}", unit="video")
    args = [(str(source), it, cfg, str(out), score_fn) for it in todo]
    if workers > 1 and len(todo) > 1:
        import multiprocessing as mp
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as ex:
            futures = [ex.submit(_process_star, a) for a in args]
            for fut in as_completed(futures):
                fut.result()
                if bar:
                    bar.update(1)
    else:
        for a in args:
            _process_star(a)
            if bar:
                bar.update(1)
    if bar:
        bar.close()
    res = merge(out)
    res.processed_now, res.reused, res.seconds = len(todo), reused, time.time() - t0
    return res


def merge(out) -> BuildResult:
    """Gather the part files of a build into ``manifest.csv``, ``skipped.csv``,
    ``segments.csv`` and ``summary.json``.  Returns an incomplete result (and writes
    nothing) while some inputs have no part file yet."""
    out = Path(out)
    settings = json.loads((out / "build.json").read_text())
    cfg = BuildConfig(**{**settings["config"], "labels": settings["config"]["labels"]})
    sources = json.loads((out / "sources.json").read_text())
    items = [SourceItem(**d) for d in sources["items"]]
    missing = [it.source for it in items if not (out / "parts" / f"{it.key}.json").exists()]
    if missing:
        return BuildResult(out, complete=False, missing=missing)
    rows, segments = [], []
    skipped = [tuple(s) for s in sources["layout_skipped"]]
    video_split: Dict[str, Optional[str]] = {}
    for it in items:
        part = json.loads((out / "parts" / f"{it.key}.json").read_text())
        if part["skipped"]:
            skipped.append((it.source, part["skipped"]))
            continue
        rows.extend(part["rows"])
        segments.extend(part["segments"])
        if it.split:
            video_split[it.video_id] = it.split
    split = assign_splits(rows, video_split, cfg.test_fraction, cfg.seed)
    for r in rows:
        r["split"] = split[r["video_id"]]
    rows.sort(key=lambda r: r["pair_id"])
    if cfg.balance and rows:
        rows = balance_rows(rows, cfg.seed)
    check_no_leakage(rows)
    _write_csv(out / "manifest.csv", MANIFEST_COLUMNS, rows)
    _write_csv(out / "segments.csv", SEGMENT_COLUMNS, segments)
    _write_csv(out / "skipped.csv", ["source", "reason"],
               [{"source": s, "reason": r} for s, r in sorted(skipped)])
    summary = {"pairs": len(rows), "inputs": len(items) + len(sources["layout_skipped"]),
               "skipped": len(skipped), "segments": len(segments),
               "segments_too_quiet": sum(1 for s in segments if not s["kept"]),
               "per_label_split": {}}
    for r in rows:
        d = summary["per_label_split"].setdefault(r["label"], {"train": 0, "test": 0})
        d[r["split"]] += 1
    _atomic_json(out / "summary.json", summary)
    return BuildResult(out, complete=True, num_pairs=len(rows), num_skipped=len(skipped))


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    os.replace(tmp, path)


def load_manifest(out):
    """``manifest.csv`` of a build as a pandas DataFrame (paths stay relative to ``out``)."""
    import pandas as pd
    path = Path(out) / "manifest.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no manifest; run `s2i build ... --out {out}` (or finish its shards "
                                f"and `s2i merge`)")
    return pd.read_csv(path, dtype={"pair_id": str, "source": str, "video_id": str, "label": str, "split": str})


# ----------------------------------------------------------------------------- scoring
def score_candidates(candidates: Sequence[Candidate], frame_times: np.ndarray, duration: float,
                     segment: float, truth: Callable[[float, float, float], dict]) -> dict:
    """Score one clip's pair selection against ground truth (SynthAV's, or hand labels).

    ``truth(start, end, frame_time)`` returns a dict with ``good`` (the frame shows the
    sounding source and the segment is mostly audible).  The clip's *good moments* are
    the ``segment``-second windows of a fixed grid in which some frame makes a good pair
    with the window's audio; a kept good pair covers the window its frame falls in.

    Returns counts: ``kept``, ``kept_good`` (for precision = kept_good / kept),
    ``good_moments`` and ``covered`` (for recall = covered / good_moments).
    """
    grid = segment_bounds(duration, segment)
    good_windows = set()
    for w, (s, e) in enumerate(grid):
        inside = [t for t in frame_times if s - 1e-6 <= t < e - 1e-6] or [frame_times[frame_index_at(frame_times, s)]]
        if any(truth(s, e, float(t))["good"] for t in inside):
            good_windows.add(w)
    kept = [c for c in candidates if c.kept]
    kept_good = [c for c in kept if truth(c.start, c.end, c.frame_time)["good"]]
    covered = set()
    for c in kept_good:
        w = int(np.floor(c.frame_time / segment + 1e-9))
        if w in good_windows:
            covered.add(w)
    return {"kept": len(kept), "kept_good": len(kept_good), "good_moments": len(good_windows),
            "covered": len(covered)}
