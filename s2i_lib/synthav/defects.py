"""Defect timelines: the labelled real-world mess a share of clips carries on purpose.

:func:`plan_defects` draws a clip's defects: ``silent`` (the source visible but not
sounding), ``offscreen`` (sounding, camera elsewhere), ``wrong_class`` (the picture
belongs to another class) and ``noise`` (loud background noise at a recorded SNR),
sometimes two compatible ones at once.  :func:`build_timeline` turns them into the
clip's ``timeline``: piecewise-constant, half-open segments covering ``[0, duration]``
saying at each moment whether the source is audible and visible and what the picture
shows.  Notebook 01 (building pairs and truth) scores loudness filtering and frame
selection against it; notebook 02 (cleaning) scores cleaning by classifier agreement.
"""
from __future__ import annotations

from typing import List, Sequence

from .constants import DEFECT_TYPES, NONE_LABEL
from .seeding import pick, r3

DEFECT_WEIGHTS = (0.3, 0.25, 0.2, 0.25)
"""How often each of ``DEFECT_TYPES`` is a defective clip's first defect."""
COMPATIBLE_DEFECTS = {"silent": ("offscreen", "wrong_class"), "noise": ("offscreen", "wrong_class"),
                       "offscreen": ("silent", "noise"), "wrong_class": ("silent", "noise")}
"""Which second defect may join a first one (an audio defect with a picture defect)."""
NOISE_KINDS = ("white", "pink", "brown", "hum")


def _interval(rng, D, shortest=1.0, longest_frac=0.5):
    """A random interval of ``[0, D]`` at least ``shortest`` s (or half the clip) long."""
    lo = min(shortest, 0.5 * D)
    hi = max(lo, longest_frac * D)
    L = rng.uniform(lo, hi)
    start = rng.uniform(0.0, D - L)
    return r3(start), r3(min(D, start + L))


def plan_defects(rng, D: float, label: str, classes: Sequence[str]) -> List[dict]:
    """The defects of a defective clip of ``label`` (the pictures of ``wrong_class``
    are drawn from the other ``classes``), sorted by start."""
    others = [c for c in classes if c != label]
    first = str(rng.choice(DEFECT_TYPES, p=list(DEFECT_WEIGHTS)))
    types = [first]
    if rng.random() < 0.3:
        types.append(str(pick(rng, COMPATIBLE_DEFECTS[first])))
    defects = []
    for kind in types:
        if kind == "wrong_class" and not others:
            kind = "offscreen"
        if kind == "silent":
            a, b = _interval(rng, D)
            defects.append({"type": "silent", "start": a, "end": b})
        elif kind == "offscreen":
            a, b = _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "offscreen", "start": a, "end": b})
        elif kind == "wrong_class":
            a, b = (0.0, r3(D)) if rng.random() < 0.6 else _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "wrong_class", "start": a, "end": b, "shown_label": str(pick(rng, others))})
        else:
            a, b = (0.0, r3(D)) if rng.random() < 0.5 else _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "noise", "start": a, "end": b, "snr_db": round(float(rng.uniform(-6, 6)), 1),
                            "noise_kind": str(pick(rng, NOISE_KINDS))})
    defects.sort(key=lambda d: (d["start"], d["type"]))
    return defects


def _covers(d, t):
    return d["start"] <= t < d["end"]


def build_timeline(D: float, label: str, defects: Sequence[dict]) -> List[dict]:
    """The clip's truth over time: segments ``{start, end, audible, source_visible,
    shown_label, noisy}`` covering ``[0, D]``, adjacent equal segments merged."""
    cuts = sorted({0.0, r3(D)} | {d["start"] for d in defects} | {d["end"] for d in defects})
    cuts = [c for c in cuts if 0.0 <= c <= D]
    segs = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a <= 0:
            continue
        mid = 0.5 * (a + b)
        active = [d for d in defects if _covers(d, mid)]
        audible = not any(d["type"] == "silent" for d in active)
        shown = label
        for d in active:
            if d["type"] == "offscreen":
                shown = NONE_LABEL
            elif d["type"] == "wrong_class":
                shown = d["shown_label"]
        seg = {"start": r3(a), "end": r3(b), "audible": audible, "source_visible": shown == label,
               "shown_label": shown, "noisy": any(d["type"] == "noise" for d in active)}
        if segs and all(segs[-1][k] == seg[k] for k in ("audible", "source_visible", "shown_label", "noisy")):
            segs[-1]["end"] = seg["end"]
        else:
            segs.append(seg)
    return segs
