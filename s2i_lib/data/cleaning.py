"""Cleaning paired data by classifier agreement, scored against SynthAV's truth.

A pair cut from a video can be wrong: the sound is a dog barking while the frame shows
the wall, or the picture belongs to something else entirely.  Two papers clean such
pairs with a pair of pre-trained classifiers, one for pictures and one for sounds:

* Wan et al. (2019), *Towards audio to scene image synthesis using generative
  adversarial network*, Sec. 3: every frame goes through Inception and every sound
  through SoundNet, and a pair is kept only when the two **top-1** labels are the same.
  They threw away 78% of their SoundNet pairs this way.
* *Generating images from sounds using multimodal features and GANs* (ICLR 2019
  submission): a pair is kept when the image's and the sound's **top-3** labels have at
  least one label in common -- a looser rule that keeps more pairs.

Nobody could say how many of the discarded pairs were really bad.  SynthAV can: its
metadata says, for every moment of every clip, whether the source is sounding and what
the camera shows.  This module

1. applies an agreement rule to class-probability outputs (:func:`agreement`; the
   classifiers themselves are trained elsewhere),
2. looks up the truth of every pair of a build (:func:`pair_truth_table`),
3. measures the cleaning (:func:`score`: precision and recall of "kept"), and
4. writes the kept pairs as a new pair set in the builder's format
   (:func:`write_cleaned`), with a record of what was removed and why.

Typical use::

    df = building.load_manifest(pairs)
    truth = pair_truth_table(df, corpus_dir_of(pairs))
    keep = agreement(image_probs, audio_probs, "top1")
    print(score(keep, truth["good"]))
    write_cleaned(pairs, "data/pairs/scenes-clean", keep, rule="top1",
                  info={"image_classifier": "...", "audio_classifier": "..."})
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from .. import cache, synthav
from .shards import fingerprint, load_manifest

CLEANING_VERSION = 1
TRUTH_COLUMNS = ["good", "frame_shows_source", "audible_fraction", "shown_label"]


# ----------------------------------------------------------------------------- agreement
def topk_labels(probs, k: int) -> np.ndarray:
    """The ``k`` most likely class indices of each row of ``probs`` (shape ``(N, C)``),
    most likely first, as an ``(N, k)`` int array.

    Any scores whose order means "more likely" work (probabilities, logits).  Ties go to
    the lower class index, so the result never depends on the sorting algorithm.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"expected scores of shape (pairs, classes), got shape {p.shape}")
    if not 1 <= int(k) <= p.shape[1]:
        raise ValueError(f"k must be between 1 and the number of classes ({p.shape[1]}), got {k}")
    # a stable sort of the negated scores keeps equal scores in index order
    return np.argsort(-p, axis=1, kind="stable")[:, : int(k)].astype(np.int64)


def parse_rule(rule: str) -> int:
    """``"top1"`` -> 1, ``"top3"`` -> 3, ``"topK"`` -> K; anything else is a ValueError."""
    m = re.fullmatch(r"top(\d+)", str(rule).strip().lower())
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"unknown agreement rule {rule!r}; use 'top1' (Wan et al.), 'top3' "
                         f"(multimodal-features paper) or 'topK' for a whole number K >= 1")
    return int(m.group(1))


def agreement(image_probs, audio_probs, rule: str = "top1") -> np.ndarray:
    """Which pairs the two classifiers agree on: a boolean array of length N (cleaning by
    agreement, taught in notebook 02).

    ``image_probs`` and ``audio_probs`` are ``(N, C)`` class scores over the *same* C
    classes, row i of both belonging to pair i.

    * ``"top1"``: the two most likely classes are equal (Wan et al. 2019, Sec. 3);
    * ``"top3"``: the two top-3 lists share at least one class (the multimodal-features
      paper);
    * ``"topK"``: the same with the top K.  With K >= C every pair agrees.
    """
    img, aud = np.asarray(image_probs), np.asarray(audio_probs)
    if img.ndim != 2 or img.shape != aud.shape:
        raise ValueError(f"image and audio scores must both have shape (pairs, classes); "
                         f"got image {img.shape} and audio {aud.shape}")
    k = min(parse_rule(rule), img.shape[1])
    if img.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    ti, ta = topk_labels(img, k), topk_labels(aud, k)
    # compare every image label with every audio label of the same pair
    return (ti[:, :, None] == ta[:, None, :]).any(axis=(1, 2))


# ----------------------------------------------------------------------------- truth
def corpus_dir_of(pairs_dir) -> Path:
    """The corpus a pair set was made from.

    A build records its source folder in ``build.json``; a cleaned set (no
    ``build.json``) points back to the set it was cleaned from, which is followed.
    """
    pairs_dir = Path(pairs_dir)
    if (pairs_dir / "build.json").exists():
        return Path(json.loads((pairs_dir / "build.json").read_text())["source"])
    if (pairs_dir / "cleaning.json").exists():
        return corpus_dir_of(load_cleaning(pairs_dir)["source_pairs_dir"])
    raise FileNotFoundError(f"{pairs_dir}: neither build.json nor cleaning.json, so the corpus it came "
                            f"from is unknown; pass the corpus directory yourself")


def pair_truth_table(manifest, corpus_dir, with_pose: bool = False):
    """The ground truth of every pair in ``manifest`` (a DataFrame from
    :func:`s2i_lib.data.load_manifest`, or a pair-set folder).

    Returns a DataFrame with the manifest's index and columns ``good``,
    ``frame_shows_source``, ``audible_fraction`` (from :func:`synthav.pair_truth`) and
    ``shown_label`` (what the frame shows, ``"none"`` when the camera looks away; from
    :func:`synthav.truth_at`).  A row finds its clip through ``video_id`` (SynthAV's
    ``clip_id``) or, failing that, through ``source`` (the metadata's ``file``).
    ``with_pose=True`` adds ``midi`` and ``pose``: the note played at the frame's time and
    the pose it sets (NaN between notes and for scenes), for pose-oriented generation.
    """
    import pandas as pd
    df = manifest if isinstance(manifest, pd.DataFrame) else load_manifest(manifest)
    corpus_dir = Path(corpus_dir)
    if not ((corpus_dir / "metadata.jsonl").exists() or (corpus_dir / "synthav_truth.jsonl").exists()):
        raise FileNotFoundError(f"{corpus_dir}: no metadata.jsonl or synthav_truth.jsonl; "
                                f"this is not a SynthAV corpus, so there is no ground truth")
    by_id, by_file = {}, {}
    for m in synthav.load_metadata(corpus_dir):
        by_id[m["clip_id"]] = by_id[m["video_id"]] = m
        by_file[m["file"]] = m
    rows, missing = [], []
    for _, r in df.iterrows():
        meta = by_id.get(str(r.get("video_id"))) or by_file.get(str(r.get("source")))
        if meta is None:
            missing.append(f"{r.get('video_id')} ({r.get('source')})")
            continue
        t = synthav.pair_truth(meta, float(r["start"]), float(r["end"]), float(r["frame_time"]))
        row = (t["good"], t["frame_shows_source"], t["audible_fraction"],
               synthav.truth_at(meta, float(r["frame_time"]))["shown_label"])
        if with_pose:
            note = synthav.note_at(meta, float(r["frame_time"]))
            row += (float(note["midi"]), float(note["pose"])) if note else (np.nan, np.nan)
        rows.append(row)
    if missing:
        raise ValueError(f"{len(missing)} manifest rows have no clip in the SynthAV metadata of {corpus_dir} "
                         f"(first: {missing[0]}); were these pairs built from that corpus?")
    out = pd.DataFrame(rows, columns=TRUTH_COLUMNS + (["midi", "pose"] if with_pose else []), index=df.index)
    return out.astype({"good": bool, "frame_shows_source": bool, "audible_fraction": float})


# ----------------------------------------------------------------------------- scoring
def _ratio(a: int, b: int) -> float:
    return float(a) / float(b) if b else float("nan")


def score(keep, good) -> Dict[str, float]:
    """How well a cleaning (``keep``, one bool per pair) matches the truth (``good``).

    ``precision``: share of kept pairs that are good; ``recall``: share of good pairs
    that were kept; ``base_precision``: share of good pairs before cleaning (what
    precision would be with no cleaning at all); ``removed_bad``: share of bad pairs
    that were discarded; ``discarded_fraction``: share of all pairs discarded (Wan et
    al. report 78%).  A ratio with nothing to divide by is ``nan``.
    """
    keep, good = np.asarray(keep, dtype=bool), np.asarray(good, dtype=bool)
    if keep.shape != good.shape or keep.ndim != 1:
        raise ValueError(f"keep and good must be 1-D and of equal length; got {keep.shape} and {good.shape}")
    n, kept, n_good = len(keep), int(keep.sum()), int(good.sum())
    kept_good = int((keep & good).sum())
    return {"pairs": n, "kept": kept, "good": n_good, "kept_good": kept_good,
            "discarded_fraction": _ratio(n - kept, n),
            "precision": _ratio(kept_good, kept),
            "recall": _ratio(kept_good, n_good),
            "base_precision": _ratio(n_good, n),
            "removed_bad": _ratio(int((~keep & ~good).sum()), n - n_good)}


# ----------------------------------------------------------------------------- writing
def _counts(rows) -> Dict[str, Dict[str, int]]:
    """Pairs per label and split, as in the builder's ``summary.json``."""
    out: Dict[str, Dict[str, int]] = {}
    for r in rows:
        d = out.setdefault(r["label"], {"train": 0, "test": 0})
        d[r["split"]] = d.get(r["split"], 0) + 1
    return {k: out[k] for k in sorted(out)}


def _jsonable(x):
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"cannot store a {type(x).__name__} in cleaning.json")


def _link_or_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)           # no extra disk space; the build's file stays untouched
    except OSError:
        shutil.copy2(src, dst)      # another file system, or links not allowed


def write_cleaned(pairs_dir, out_dir, keep, *, rule: str, predictions=None,
                  info: Optional[dict] = None) -> Path:
    """Write the pairs of ``pairs_dir`` with ``keep[i]`` true as a new pair set in
    ``out_dir``, in the builder's format, and return ``out_dir``.

    ``manifest.csv`` keeps the source's columns, order and text of the kept rows, so
    :func:`~s2i_lib.data.load_manifest` and :class:`~s2i_lib.data.PairDataset`
    read it as any build; the kept images and sounds are hard-linked (copied if that
    fails) to the same relative paths.  Also written:

    * ``cleaning.json``: the source set, a sha256 of its manifest, ``rule`` (any label;
      e.g. ``"top1"``), counts per label and split before and after, and ``info``
      (e.g. which classifiers, with their config keys);
    * ``discarded.csv``: ``pair_id, label, split`` of every removed pair, plus the
      columns of ``predictions`` (a DataFrame or dict of arrays aligned row by row with
      the manifest, e.g. ``image_pred``, ``audio_pred``) when given;
    * ``summary.json``: ``pairs`` and ``per_label_split`` as the builder writes them.

    Everything is written into a temporary folder next to ``out_dir`` that replaces it
    at the end, so a rerun overwrites cleanly and an interrupted run leaves either the
    previous complete result or nothing.
    """
    src, out = Path(pairs_dir), Path(out_dir)
    header, records, raw = _read_manifest(src)
    rows = [dict(zip(header, rec)) for rec in records]
    keep, preds = _check_keep(keep, predictions, len(rows), src / "manifest.csv")
    if out.resolve() == src.resolve():
        raise ValueError(f"out_dir {out} is the source pair set itself; choose another folder")
    if out.exists() and not (out.is_dir() and (not any(out.iterdir()) or (out / "cleaning.json").exists())):
        raise FileExistsError(f"{out} exists and is not the output of an earlier cleaning; "
                              f"refusing to replace it")
    kept_rows = [r for r, k in zip(rows, keep) if k]
    after = {lab: {s: 0 for s in d} for lab, d in _counts(rows).items()}   # every label, even if emptied
    for lab, d in _counts(kept_rows).items():
        after[lab].update(d)
    record = {"cleaning_version": CLEANING_VERSION, "source_pairs_dir": str(src.resolve()),
              "source_manifest_sha256": hashlib.sha256(raw).hexdigest(), "source_fingerprint": fingerprint(src),
              "rule": rule,
              "pairs_before": len(rows), "pairs_after": len(kept_rows),
              "discarded": len(rows) - len(kept_rows),
              "discarded_fraction": round(1 - len(kept_rows) / len(rows), 6) if rows else None,
              "counts_before": _counts(rows), "counts_after": after, "info": info or {}}
    summary = {"pairs": len(kept_rows), "per_label_split": _counts(kept_rows),
               "cleaned_from_pairs": len(rows), "rule": rule}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        _link_pairs(src, tmp, kept_rows)
        with open(tmp / "manifest.csv", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rec for rec, k in zip(records, keep) if k)
        _discarded_table(rows, preds)[~keep].to_csv(tmp / "discarded.csv", index=False, lineterminator="\n")
        cache.write_text(tmp / "cleaning.json", json.dumps(record, indent=2, sort_keys=True, default=_jsonable) + "\n")
        cache.write_text(tmp / "summary.json", json.dumps(summary, sort_keys=True))
        os.chmod(tmp, 0o755)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # swap the finished folder in: out is always the old result, the new one, or absent
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    if out.exists():
        os.replace(out, old / out.name)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)
    return out


def _read_manifest(src: Path):
    """The header, the records and the raw bytes of ``src/manifest.csv``."""
    man_path = src / "manifest.csv"
    if not man_path.exists():
        load_manifest(src)                       # raises its helpful "no manifest" error
    raw = man_path.read_bytes()
    header, *records = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    return header, records, raw


def _check_keep(keep, predictions, n: int, man_path: Path):
    """``keep`` as booleans and ``predictions`` as a DataFrame, both checked to have ``n`` rows."""
    import pandas as pd
    keep = np.asarray(keep)
    if keep.dtype != bool:
        if keep.size and not np.isin(keep, (0, 1)).all():
            raise ValueError(f"keep must be booleans (or 0/1), one per row of {man_path}")
        keep = keep.astype(bool)
    if keep.shape != (n,):
        raise ValueError(f"keep has shape {keep.shape} but {man_path} has {n} pairs")
    preds = None
    if predictions is not None:
        preds = pd.DataFrame({k: np.asarray(v) for k, v in dict(predictions).items()})
        if len(preds) != n:
            raise ValueError(f"predictions have {len(preds)} rows but {man_path} has {n} pairs")
    return keep, preds


def _link_pairs(src: Path, dst: Path, rows) -> None:
    """Hard-link (or copy) the image and sound of every row from ``src`` to ``dst``."""
    for r in rows:
        for col in ("image", "audio"):
            rel = Path(r[col])
            if rel.is_absolute() or ".." in rel.parts:
                raise ValueError(f"{src / 'manifest.csv'}: {col} path {r[col]!r} is not inside the pair set")
            if not (src / rel).exists():
                raise FileNotFoundError(f"{src / rel}: listed in {src / 'manifest.csv'} but missing")
            _link_or_copy(src / rel, dst / rel)


def _discarded_table(rows, preds):
    import pandas as pd
    gone = pd.DataFrame([{c: r[c] for c in ("pair_id", "label", "split")} for r in rows],
                        columns=["pair_id", "label", "split"])
    return pd.concat([gone, preds.reset_index(drop=True)], axis=1) if preds is not None else gone


def load_cleaning(out_dir) -> dict:
    """The ``cleaning.json`` record of a cleaned pair set."""
    path = Path(out_dir) / "cleaning.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: missing; {out_dir} was not written by cleaning.write_cleaned")
    return json.loads(path.read_text())
