"""Truth queries: what the metadata of a clip says is true at a time or over a segment.

:func:`truth_at` (is the source audible, visible, which class the picture shows),
:func:`note_at` (the note and pose of a performance), :func:`pair_truth` (is an
(audio segment, frame) pair a good one) and :func:`load_metadata` (the clips' metadata
of a corpus on disk).  Notebook 01 (building pairs and truth) scores frame selection and
loudness filtering with them; notebook 02 (cleaning) scores cleaning with them (through
:func:`s2i_lib.data.cleaning.pair_truth_table`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional


def truth_at(meta: dict, t: float) -> dict:
    """What is true at time ``t`` of a clip: is its own source sounding (``audible``), on
    screen (``source_visible``), and which class the picture shows (``shown_label``;
    ``"none"`` when the camera looks away).  Intervals are half-open ``[start, end)``;
    times outside the clip take the nearest segment."""
    tl = meta["timeline"]
    seg = tl[-1] if t >= tl[-1]["start"] else tl[0]
    for s in tl:
        if s["start"] <= t < s["end"]:
            seg = s
            break
    return {"audible": bool(seg["audible"]), "source_visible": bool(seg["source_visible"]),
            "shown_label": seg["shown_label"]}


def note_at(meta: dict, t: float) -> Optional[dict]:
    """The note being played at time ``t`` of a performance clip (a dict with ``start``,
    ``end``, ``midi``, ``pitch_hz`` and ``pose``), or None between notes and for scenes.
    The pose is what the note sets (see :func:`~s2i_lib.synthav.players.pose_of_pitch`), so it is the ground truth
    of pose-oriented generation."""
    for n in meta.get("notes", []):
        if n["start"] <= t < n["end"]:
            return n
    return None


def pair_truth(meta: dict, seg_start: float, seg_end: float, frame_time: float) -> dict:
    """Score an (audio segment, frame) pair against the truth.

    ``audible_fraction``: share of ``[seg_start, seg_end)`` in which the source sounds;
    ``frame_shows_source``: at ``frame_time`` the source is on screen and the picture is
    of the clip's class; ``good``: both, with at least half of the segment audible.
    """
    total = max(float(seg_end) - float(seg_start), 1e-9)
    aud = 0.0
    for s in meta["timeline"]:
        if s["audible"]:
            aud += max(0.0, min(seg_end, s["end"]) - max(seg_start, s["start"]))
    frac = float(min(1.0, aud / total))
    tr = truth_at(meta, frame_time)
    shows = bool(tr["source_visible"] and tr["shown_label"] == meta["label"])
    return {"audible_fraction": round(frac, 6), "frame_shows_source": shows, "good": bool(shows and frac >= 0.5)}


def _json_lines(path: Path) -> List[dict]:
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}:{lineno}: not a JSON line ({e})") from None
    return out


def load_metadata(root) -> List[dict]:
    """The clips' metadata of a SynthAV corpus (``metadata.jsonl``), or of a foreign-layout
    tree written by SynthAV (``synthav_truth.jsonl``, one entry per clip)."""
    root = Path(root)
    if (root / "metadata.jsonl").exists():
        return _json_lines(root / "metadata.jsonl")
    if not (root / "synthav_truth.jsonl").exists():
        raise FileNotFoundError(f"{root}: neither metadata.jsonl (a SynthAV corpus) nor synthav_truth.jsonl "
                                f"(a real layout written by SynthAV) is there")
    seen, metas = set(), []
    for rec in _json_lines(root / "synthav_truth.jsonl"):
        if rec["clip_id"] not in seen:
            seen.add(rec["clip_id"])
            metas.append(rec["meta"])
    return metas
