"""Cutting a clip into candidate pairs: segment bounds, the frame of each segment,
loudness (dBFS) and the top-k moment score (notebook 01 teaches all of them).

Everything here works on a :class:`~s2i_lib.data.media.Timeline` (frame times and audio
on one time axis) and needs a picture only for ``frame="topk"`` scoring; the builder
(:mod:`s2i_lib.data.building`) decodes the chosen frames afterwards.  Segments are laid
on the span where both streams play (:meth:`Timeline.span`), starting where the later
stream starts, so a clip whose sound starts late is never paired with the silence
before its sound.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .media import Clip, Timeline

if TYPE_CHECKING:   # pragma: no cover
    from .building import BuildConfig

FRAME_STRATEGIES = ("first", "middle", "topk")
SCORE_SIZE = 96   # frames are scored for frame="topk" at most this many pixels on their shorter side

ScoreFn = Callable[[Clip], np.ndarray]


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


def too_quiet(level: float, min_dbfs: Optional[float]) -> str:
    """The reason a segment of loudness ``level`` is dropped, or "" when it is kept."""
    if min_dbfs is None or level > min_dbfs:
        return ""
    return f"too quiet ({level:.1f} dBFS <= {min_dbfs:g})"


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


# ----------------------------------------------------------------------------- top-k
def energy_typicality_score(clip: Clip, window: float = 0.5, min_dbfs: float = -45.0) -> np.ndarray:
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


# ----------------------------------------------------------------------------- candidates
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


def _topk_spans(clip: Timeline, cfg: "BuildConfig", score_fn: Optional[ScoreFn], start: float, end: float):
    """(start, end, frame index) of the top-k moments inside [start, end)."""
    times = clip.frame_times
    # every frame, small: all that scoring needs (a score that reads only the frame times says so
    # with ``needs_frames = False``, and gets the clip undecoded)
    view = clip if getattr(score_fn, "needs_frames", True) is False else clip.load(short_side=SCORE_SIZE)
    scores = np.asarray((score_fn or energy_typicality_score)(view), dtype=np.float64)
    if scores.shape != times.shape:
        raise ValueError(f"score function returned shape {scores.shape}, expected one score per frame {times.shape}")
    inside = np.flatnonzero((times >= start - 1e-6) & (times < end - 1e-9))
    seg = cfg.segment or (end - start)
    picks = inside[topk_moments(times[inside], scores[inside], cfg.topk, min_gap=seg if cfg.segment else 0.0)]
    spans = []
    for i in picks:
        s = float(np.clip(times[i] - seg / 2, start, max(start, end - seg)))
        spans.append((round(s, 6), round(min(s + seg, end), 6), int(i)))
    return spans


def candidates_for_clip(clip: Timeline, cfg: "BuildConfig", score_fn: Optional[ScoreFn] = None) -> List[Candidate]:
    """Every segment of ``clip`` with its chosen frame and loudness, and whether it is kept.

    ``clip`` is a :class:`~s2i_lib.data.media.Clip` (from ``read_video``) or a
    :class:`~s2i_lib.data.media.Timeline` (from ``open_video``; frames are then decoded
    only for ``frame="topk"`` scoring, at most :data:`SCORE_SIZE` pixels on the shorter
    side -- ``score_fn`` receives that clip).  Segments cover the span where both streams
    play (:meth:`~s2i_lib.data.media.Timeline.span`)."""
    audio = clip.mono()
    sr = clip.sample_rate
    start, end = clip.span()
    times = clip.frame_times
    if cfg.frame == "topk":
        spans = _topk_spans(clip, cfg, score_fn, start, end)
    else:
        pick = first_frame if cfg.frame == "first" else middle_frame
        bounds = segment_bounds(end - start, cfg.segment)
        if start:
            bounds = [(round(start + s, 6), round(start + e, 6)) for s, e in bounds]
        spans = [(s, e, pick(times, s, e)) for s, e in bounds]
    out = []
    for s, e, i in spans:
        level = dbfs(audio[int(round(s * sr)): int(round(e * sr))])
        reason = too_quiet(level, cfg.min_dbfs)
        out.append(Candidate(s, e, int(i), float(times[i]), level, not reason, reason))
    return out


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
