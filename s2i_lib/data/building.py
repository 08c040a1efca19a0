"""The paired-data builder: videos in, (audio segment, image) pairs out.

This is the path every corpus takes, SynthAV and real ones alike (notebook 01 teaches
it).  For each input video it

1. reads the clip's timeline (:func:`s2i_lib.data.media.open_video`): frame times and
   the whole audio track, resampled, on the container's time axis;
2. cuts the span where both streams play into segments of ``segment`` seconds (or keeps
   the whole span), see :mod:`s2i_lib.data.segments`;
3. pairs each segment with one frame by a named strategy -- ``first`` frame of the
   segment (Chen et al. 2017, Sub-URMP), ``middle`` frame (Kang & Kymn 2017), or
   ``topk``: the k moments of the clip with the highest audio-visual score, a function
   that can be swapped for a learned one (Sound2Scene, notebook 06);
4. drops segments whose loudness is at or below ``min_dbfs`` with Chen et al.'s dBFS
   formula (:func:`~s2i_lib.data.segments.dbfs`);
5. decodes only the frames of the kept pairs (scaled down at decode) and writes each
   pair's image (PNG) and audio (WAV) and, when the video is done, a small part file; a
   rerun skips videos whose part file exists, so a killed build resumes without redoing
   finished work;
6. merges the parts into ``manifest.csv`` with a train/test split by source video (no
   video on both sides), optionally class-balanced, plus ``skipped.csv`` (every input
   it could not use and why), ``segments.csv`` (every candidate segment with its
   loudness and fate) and ``summary.json`` (:mod:`s2i_lib.data.shards`).

Only bad input is skipped: a :class:`~s2i_lib.data.media.MediaError` (the file) or a
:class:`~s2i_lib.data.layouts.LayoutError` (the corpus' description of it), recorded with
its reason.  Any other exception is a bug and stops the build (finished part files stay),
and a build that ends with no pair raises :class:`~s2i_lib.data.shards.BuildError`.

The on-disk format is documented in ``data/README.md``.
"""
from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from .. import cache
from . import media
from .layouts import LAYOUTS, LayoutError, SourceItem, read_layout
from .segments import (FRAME_STRATEGIES, SCORE_SIZE, Candidate, ScoreFn, candidates_for_clip, dbfs, energy_typicality_score,
                       first_frame, frame_index_at, middle_frame, score_candidates, segment_bounds, too_quiet,
                       topk_moments)
from .shards import (MANIFEST_COLUMNS, SEGMENT_COLUMNS, BuildError, BuildResult, BuildSettingsError, assign_splits,
                     balance_rows, build_lock, check_no_leakage, claim_folder, fingerprint, load_manifest, merge,
                     part_path)

BUILDER_VERSION = 2   # 2: one time axis for sound and picture (stream start times), decode only the paired frames
SKIPPABLE = (media.MediaError, LayoutError)

__all__ = ["FRAME_STRATEGIES", "MANIFEST_COLUMNS", "SEGMENT_COLUMNS", "BUILDER_VERSION", "SCORE_SIZE", "SKIPPABLE",
           "dbfs", "BuildConfig", "segment_bounds", "frame_index_at", "first_frame", "middle_frame",
           "energy_typicality_score", "topk_moments", "Candidate", "candidates_for_clip", "process_item",
           "assign_splits", "balance_rows", "check_no_leakage", "BuildResult", "BuildSettingsError", "BuildError",
           "build", "merge", "load_manifest", "score_candidates", "fingerprint", "score_name"]


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


# ----------------------------------------------------------------------------- one input
def _safe(name: str) -> str:
    return "".join(ch if (ch.isalnum() or ch in "-_.") else "_" for ch in name)


def _pair_paths(item: SourceItem, k: int) -> Tuple[str, str, str]:
    pid = f"{_safe(Path(item.source).with_suffix('').as_posix())}__{k:04d}"
    lab = _safe(item.label)
    return pid, f"images/{lab}/{pid}.png", f"audio/{lab}/{pid}.wav"


def _given_pair(root: Path, item: SourceItem, cfg: BuildConfig):
    """An input that is already a pair (Sub-URMP): one candidate, the whole chunk."""
    if not item.image or not item.audio:
        raise LayoutError(f"{item.source}: a pair input needs both an image and an audio path")
    image = media.read_image(root / item.image)
    audio, sr = media.read_audio(root / item.audio, sample_rate=cfg.sample_rate)
    mono = media.to_mono(audio)
    level = dbfs(mono)
    reason = too_quiet(level, cfg.min_dbfs)
    cands = [Candidate(0.0, round(mono.shape[0] / sr, 6), 0, 0.0, level, not reason, reason)]
    images = [media.resize_square(image, cfg.image_size)] if not reason else []
    return cands, images, mono, sr, {}


def _video_pairs(root: Path, item: SourceItem, cfg: BuildConfig, score_fn: Optional[ScoreFn]):
    """The candidates of one video and the images of the kept ones, decoding only those
    frames (at most twice the image size on their shorter side, then resized)."""
    path = root / item.source
    tl = media.open_video(path, sample_rate=cfg.sample_rate)
    start, end = tl.span()
    if end - start < (cfg.segment or 0):
        raise media.MediaError(path, "too short", f"{end - start:.2f} s is shorter than one {cfg.segment} s segment")
    cands = candidates_for_clip(tl, cfg, score_fn)
    kept = [c.frame_index for c in cands if c.kept]
    frames = tl.frames_at(kept, short_side=2 * cfg.image_size) if kept else []
    images = [media.resize_square(f, cfg.image_size) for f in frames]
    note = {}
    if start - min(float(tl.frame_times[0]), tl.audio_start) > max(1.0 / (tl.fps or 25.0), 0.05):
        note = {"video_start": round(float(tl.frame_times[0]), 6), "audio_start": round(tl.audio_start, 6)}
    return cands, images, tl.mono(), tl.sample_rate, note


def _pair_records(item: SourceItem, cands: List[Candidate], images, mono, sr: int, out: Path):
    """Write the kept pairs' files; returns the manifest rows and the segment rows."""
    rows, segments, kept = [], [], iter(images)
    for c in cands:
        seg_row = {"source": item.source, "video_id": item.video_id, "label": item.label,
                   "start": c.start, "end": c.end, "frame_time": round(c.frame_time, 6),
                   "dbfs": round(c.dbfs, 3) if np.isfinite(c.dbfs) else -999.0,
                   "kept": c.kept, "reason": c.reason, "pair_id": ""}
        if c.kept:
            pid, img_rel, wav_rel = _pair_paths(item, len(rows))
            media.write_image(out / img_rel, next(kept))
            media.write_audio(out / wav_rel, mono[int(round(c.start * sr)): int(round(c.end * sr))], sr)
            seg_row["pair_id"] = pid
            rows.append({"pair_id": pid, "source": item.source, "video_id": item.video_id,
                         "label": item.label, "start": c.start, "end": c.end,
                         "frame_time": round(c.frame_time, 6), "dbfs": seg_row["dbfs"],
                         "image": img_rel, "audio": wav_rel})
        segments.append(seg_row)
    return rows, segments


def process_item(root: str, item: SourceItem, cfg: BuildConfig, out: str,
                 score_fn: Optional[ScoreFn] = None) -> dict:
    """Build the pairs of one input and write its part file.

    Bad media and layout problems (:data:`SKIPPABLE`) are recorded as the input's skip
    reason; any other exception propagates (a bug must not pass for a bad file) and
    leaves no part file for this input, so a rerun does it again."""
    root, out = Path(root), Path(out)
    result = {"source": item.source, "label": item.label, "video_id": item.video_id,
              "layout_split": item.split, "rows": [], "segments": [], "skipped": None}
    try:
        if item.kind == "pair":
            cands, images, mono, sr, note = _given_pair(root, item, cfg)
        elif item.kind == "video":
            cands, images, mono, sr, note = _video_pairs(root, item, cfg, score_fn)
        else:
            raise LayoutError(f"{item.source}: unknown input kind {item.kind!r} (expected 'video' or 'pair')")
        result["rows"], result["segments"] = _pair_records(item, cands, images, mono, sr, out)
        if note:
            result["late_stream"] = note
        if not cands:
            result["skipped"] = "no usable segment"
    except SKIPPABLE as e:
        if isinstance(e, media.MediaError):
            result["skipped"] = e.reason + (f" ({e.detail})" if e.detail else "")
        else:
            result["skipped"] = f"layout: {e}"
    if result["skipped"]:
        result["rows"], result["segments"] = [], []
    cache.write_json(part_path(out, item), result)
    return result


_WORKER_SCORE: Optional[ScoreFn] = None    # a worker process's score function, sent once at its start


def _init_worker(score_fn: Optional[ScoreFn]) -> None:
    global _WORKER_SCORE
    _WORKER_SCORE = score_fn


def _process_star(args):
    return process_item(*args, score_fn=_WORKER_SCORE)


# ----------------------------------------------------------------------------- build
def score_name(score_fn: Optional[ScoreFn]) -> str:
    """What identifies a ``frame="topk"`` score function in a build's settings, so that a
    folder built with one score is never reused for another: its ``key`` attribute (a
    learned score names its weights there, e.g.
    :class:`s2i_lib.course.sound2scene.CorrespondenceScore`), else a plain function's module
    and name; ``None`` is the built-in :func:`energy_typicality_score`."""
    if score_fn is None:
        return f"{energy_typicality_score.__module__}.{energy_typicality_score.__qualname__}"
    key = getattr(score_fn, "key", None)
    if key is not None:
        return str(key)
    name = getattr(score_fn, "__qualname__", None)
    if name is None or "<" in name:              # a lambda, a local function or an object without a key
        raise ValueError(f"the score function {score_fn!r} needs a `key` attribute that names it (and its weights): "
                         "the build's settings record it so that a folder is never reused for another score")
    return f"{score_fn.__module__}.{name}"


def _settings(source: Path, layout: str, cfg: BuildConfig, score_fn: Optional[ScoreFn] = None) -> dict:
    out = {"builder_version": BUILDER_VERSION, "source": str(source.resolve()), "layout": layout,
           "config": cfg.as_dict()}
    if cfg.frame == "topk":
        out["score"] = score_name(score_fn)
    return out


def _run(args: list, workers: int, desc: str, progress: bool, score_fn: Optional[ScoreFn] = None) -> None:
    """Process the inputs, in ``workers`` processes; the first exception stops the work
    (inputs already running finish and keep their part files) and is raised.  ``score_fn``
    goes to each worker once, not with every input (a learned score holds networks)."""
    bar = None
    if progress and args:
        from ..course.progress import tqdm
        bar = tqdm(total=len(args), desc=desc, unit="video")
    try:
        if workers > 1 and len(args) > 1:
            import multiprocessing as mp
            ex = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                     initializer=_init_worker, initargs=(score_fn,))
            try:
                for fut in as_completed([ex.submit(_process_star, a) for a in args]):
                    fut.result()
                    if bar:
                        bar.update(1)
            finally:
                ex.shutdown(wait=True, cancel_futures=True)
        else:
            for a in args:
                process_item(*a, score_fn=score_fn)
                if bar:
                    bar.update(1)
    finally:
        if bar:
            bar.close()


def build(source, layout: str, out, cfg: Optional[BuildConfig] = None, *, workers: int = 1,
          shard: Tuple[int, int] = (0, 1), score_fn: Optional[ScoreFn] = None,
          progress: bool = True, overwrite: bool = False) -> BuildResult:
    """Build paired data from the corpus at ``source`` (in ``layout``) into ``out``.

    ``shard=(i, n)`` processes only every n-th input starting at i, so n processes or
    cluster jobs can share a corpus (at the same time); whichever finishes last merges
    the manifest under the folder's lock (or run :func:`merge`).  A rerun with the same
    settings reuses finished inputs; different settings on an existing ``out`` raise
    :class:`BuildSettingsError` unless ``overwrite``; a folder made by another version
    of the builder is rebuilt.  ``score_fn`` (frame="topk") must pickle when ``workers > 1``
    (a top-level function or an object); its name (:func:`score_name`) is one of the
    settings.  Raises :class:`BuildError` when the build
    ends with no pair (e.g. every input failed; the reasons are in ``skipped.csv``).
    """
    t0 = time.time()
    cfg = cfg or BuildConfig()
    source, out = Path(source), Path(out)
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    i_shard, n_shard = shard
    if not (0 <= i_shard < n_shard):
        raise ValueError(f"bad shard {i_shard}/{n_shard}: need 0 <= I < N")
    items, layout_skips = read_layout(source, layout, cfg.labels)
    settings = _settings(source, layout, cfg, score_fn)
    with build_lock(out):
        old = cache.read_json(out / "build.json")
        stale = old is not None and old.get("builder_version") != BUILDER_VERSION and cache.matches(
            {**old, "builder_version": BUILDER_VERSION}, settings)
        claim_folder(out, settings, overwrite or stale)
        sources = {"items": [asdict(it) for it in items], "layout_skipped": [list(s) for s in layout_skips]}
        if not cache.matches(cache.read_json(out / "sources.json"), sources):
            cache.write_json(out / "sources.json", sources)
    mine = [it for j, it in enumerate(items) if j % n_shard == i_shard]
    todo = [it for it in mine if not part_path(out, it).exists()]
    _run([(str(source), it, cfg, str(out)) for it in todo], workers, f"building {source.name}", progress, score_fn)
    res = merge(out)
    res.processed_now, res.reused, res.seconds = len(todo), len(mine) - len(todo), time.time() - t0
    return res
