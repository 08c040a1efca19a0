"""The trees of real corpora that SynthAV can write: where each file of a clip goes in the
``synthav``, ``vegas``, ``vggsound``, ``ucf101`` and ``suburmp`` layouts, and the index
files each layout has (VGGSound's CSV, UCF-101's class and split lists).

This is the writing side of :mod:`s2i_lib.data.layouts`, which reads these trees (and
the real corpora they imitate); the tests of the readers run on trees written here.
Notebook 01 (building pairs and truth) writes a small VEGAS-style tree to show that a
real corpus goes through the same builder.
"""
from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from .. import cache
from ..course.profiles import INSTRUMENTS
from .constants import LAYOUTS
from .seeding import clip_id, stable_int

def dumps(obj) -> str:
    """The JSON text of a metadata record as SynthAV writes it (sorted keys, one line)."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def save_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8, exactly (no newline translation), through :func:`s2i_lib.cache.atomic_write`."""
    cache.write_bytes(path, text.encode("utf-8"))


VGGSOUND_LABELS = {
    "dog": "dog barking", "drum": "playing drum kit", "guitar": "playing acoustic guitar", "piano": "playing piano",
    "plane": "airplane flyby", "speedboat": "motorboat, speedboat acceleration", "waterfall": "waterfall burbling",
    "soccer": "playing soccer", "baseball": "playing baseball",
    "bassoon": "playing bassoon", "cello": "playing cello", "clarinet": "playing clarinet",
    "double_bass": "playing double bass", "flute": "playing flute", "horn": "playing french horn",
    "oboe": "playing oboe", "saxophone": "playing saxophone", "trombone": "playing trombone",
    "trumpet": "playing trumpet", "tuba": "playing tuba", "viola": "playing viola", "violin": "playing violin, fiddle",
}
"""Free-text labels in the style of VGGSound's CSV (two contain a comma, as real ones do)."""

UCF_NAMES = {"dog": "WalkingWithDog", "drum": "Drumming", "guitar": "PlayingGuitar", "piano": "PlayingPiano",
             "plane": "FlyingPlane", "speedboat": "Speedboating", "waterfall": "Waterfall",
             "soccer": "SoccerPenalty", "baseball": "BaseballPitch"}
UCF_NAMES.update({i: "Playing" + "".join(w.capitalize() for w in i.split("_")) for i in INSTRUMENTS})
"""CamelCase class names for the UCF-101 layout (``PlayingCello``, ``Drumming``, ...)."""

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def youtube_id(seed, cid) -> str:
    """An 11-character YouTube-style id for a clip, as VGGSound names its files."""
    v = stable_int("ytid", seed, cid)
    return "".join(_B64[(v >> (6 * i)) & 63] for i in range(11)) if v else "A" * 11


def ucf_group(index, n):
    """UCF-style (group, clip) numbers for clip ``index`` of ``n``: groups 1-7 are the
    test groups and 8-25 the training groups, both used even with very few clips."""
    per = 2 if n >= 4 else 1
    n_groups = (n + per - 1) // per
    n_test = max(1, min(n_groups - 1, int(round(n_groups * 7 / 25)))) if n_groups > 1 else 1
    g, c = divmod(index, per)
    group = g + 1 if g < n_test else 8 + (g - n_test)
    return group, c + 1, group <= 7


def layout_files(layout, suite, label, index, n, seed, size) -> dict:
    """Where clip ``index`` of ``n`` of a class goes in ``layout`` (paths relative to the root)."""
    cid = clip_id(suite, label, index)
    if layout == "synthav":
        return {"video": f"videos/{label}/{cid}.mp4"}
    if layout == "vegas":
        return {"video": f"{label}/video/{cid}.mp4"}
    if layout == "vggsound":
        yt = youtube_id(seed, cid)
        start = (stable_int("start", seed, cid) % 60) * 10
        n_test = max(1, int(round(0.2 * n))) if n >= 2 else 0
        return {"video": f"video/{yt}_{start:06d}.mp4", "youtube_id": yt, "start_seconds": start,
                "split": "test" if index >= n - n_test else "train", "layout_label": VGGSOUND_LABELS[label]}
    if layout == "ucf101":
        if n < 2:
            raise ValueError("the ucf101 layout needs at least 2 clips per class (one train and one test group)")
        name = UCF_NAMES[label]
        g, c, test = ucf_group(index, n)
        return {"video": f"UCF-101/{name}/v_{name}_g{g:02d}_c{c:02d}.avi", "split": "test" if test else "train",
                "layout_label": name}
    if layout == "suburmp":
        split = "validation" if (n >= 2 and index == n - 1) else "train"
        stem = f"{label}{index + 1:02d}"
        k = int(math.floor(size.clip_seconds / 0.5 + 1e-9))
        return {"chunks": [(f"img/{split}/{label}/{stem}_{j}.jpg", f"chunk/{split}/{label}/{stem}_{j}.wav", 0.5 * j, 0.5 * (j + 1))
                           for j in range(k)], "split": split}
    raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def marker_path(root: Path, layout: str, cid: str) -> Path:
    """Where a clip's metadata is written once its files are (a rerun skips the clip if it matches)."""
    return root / ("meta" if layout == "synthav" else ".synthav") / f"{cid}.json"


def write_layout_index(root: Path, layout, suite, labels, order, results):
    """The index files of a foreign layout, and ``synthav_truth.jsonl`` (every file written,
    with its clip, label, split and the clip's metadata).  ``results`` maps each clip id of
    ``order`` to ``(meta, files)``, ``files`` being what :func:`layout_files` gave."""
    truth = []
    if layout == "vggsound":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for c in order:
            f = results[c][1]
            w.writerow([f["youtube_id"], f["start_seconds"], f["layout_label"], f["split"]])
        save_text(root / "vggsound.csv", buf.getvalue())
    if layout == "ucf101":
        names = sorted(UCF_NAMES[lab] for lab in labels)
        idx = {nm: i + 1 for i, nm in enumerate(names)}
        save_text(root / "ucfTrainTestlist" / "classInd.txt", "".join(f"{idx[nm]} {nm}\r\n" for nm in names))
        train, test = [], []
        for c in sorted(order, key=lambda c: results[c][1]["video"]):
            f = results[c][1]
            rel = f["video"][len("UCF-101/"):]
            if f["split"] == "train":
                train.append(f"{rel} {idx[f['layout_label']]}\r\n")
            else:
                test.append(f"{rel}\r\n")
        save_text(root / "ucfTrainTestlist" / "trainlist01.txt", "".join(train))
        save_text(root / "ucfTrainTestlist" / "testlist01.txt", "".join(test))
    for c in order:
        meta, f = results[c]
        base = {"clip_id": c, "label": meta["label"], "layout_label": f.get("layout_label", meta["label"]),
                "split": f.get("split")}
        if "video" in f:
            truth.append(dict(base, file=f["video"], kind="video", meta=meta))
        else:
            for img_rel, wav_rel, a, b in f["chunks"]:
                for rel, kind in ((img_rel, "image"), (wav_rel, "audio")):
                    truth.append(dict(base, file=rel, kind=kind, start=a, end=b, meta=meta))
    save_text(root / "synthav_truth.jsonl", "".join(dumps(t) + "\n" for t in truth))
