"""Readers for the on-disk layouts of the corpora the course accepts.

Each reader turns a folder into a list of :class:`SourceItem` (one per usable input
file, with its label, the id of the source video it came from, and a split if the
layout fixes one) plus a list of ``(source, reason)`` for every input it had to refuse
(an unknown label, a file no list mentions, a list entry whose file is missing, ...).
Decoding happens later, in :mod:`s2i_lib.data.building`; a reader only looks at names.
A corpus that is not in the layout at all (no metadata, no label list) raises
``FileNotFoundError`` or :class:`LayoutError` naming the file that is missing or wrong.

Layouts (documented with examples in ``data/README.md``):

``synthav``  SynthAV's own: ``metadata.jsonl`` + ``videos/<label>/<clip>.mp4``
``vegas``    a folder per class: ``<class>/**/<video>``
``vggsound`` ``vggsound.csv`` (id, start, label, split; no header) + ``video/<id>_<start:06d>.mp4``
``ucf101``   ``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` + ``ucfTrainTestlist/`` (classInd, train/test lists)
``suburmp``  already paired: ``img/<split>/<inst>/<name>.jpg`` + ``chunk/<split>/<inst>/<name>.wav``
``folder``   any videos below the root + ``labels.csv`` (file, label[, split][, video_id])
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .media import AUDIO_EXTENSIONS, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS
from ..course.profiles import INSTRUMENTS

LAYOUTS = ("synthav", "vegas", "vggsound", "ucf101", "suburmp", "folder")
_SIDE_FILES = {".txt", ".csv", ".json", ".jsonl", ".md", ".yaml", ".yml", ".pdf", ".html", ".log"}


class LayoutError(ValueError):
    """The corpus' description of its inputs is wrong: a label list without the columns
    it needs, an input of an unknown kind, a pair without its image or sound.  The
    builder records one that concerns a single input as that input's skip reason."""


@dataclass
class SourceItem:
    """One input of the builder: a video (or, for Sub-URMP, an image+audio pair)."""
    source: str                 # path relative to the corpus root (posix)
    label: str
    video_id: str               # items sharing a video_id always land in the same split
    split: Optional[str] = None  # "train"/"test" when the layout fixes it
    kind: str = "video"         # "video" or "pair"
    image: Optional[str] = None  # for kind == "pair"
    audio: Optional[str] = None  # for kind == "pair"
    extra: Dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A file-system-safe unique key for this input."""
        return re.sub(r"[^A-Za-z0-9_.-]+", "_", self.source)


Skipped = List[Tuple[str, str]]


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _media_files(root: Path, exts) -> List[Path]:
    # broken symbolic links are listed too, so that the builder reports them as missing
    return sorted(p for p in root.rglob("*") if (p.is_file() or p.is_symlink()) and p.suffix.lower() in exts
                  and ".partial" not in p.name)


def read_synthav(root: Path, labels: Optional[Sequence[str]] = None):
    meta_path = root / "metadata.jsonl"
    if not meta_path.exists():
        raise FileNotFoundError(f"{meta_path}: missing; a SynthAV corpus has a metadata.jsonl "
                                f"(generate one with `s2i synth`)")
    items, skipped, listed = [], [], set()
    for lineno, line in enumerate(meta_path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            meta = json.loads(line)
            rel, label = meta["file"], meta["label"]
        except (json.JSONDecodeError, KeyError) as e:
            skipped.append((f"metadata.jsonl:{lineno}", f"bad metadata line ({e})"))
            continue
        listed.add(rel)
        if labels is not None and label not in labels:
            skipped.append((rel, f"label {label!r} not among the selected classes"))
            continue
        items.append(SourceItem(rel, label, meta.get("video_id", meta.get("clip_id", rel)),
                                extra={"clip_id": meta.get("clip_id", "")}))
    for p in _media_files(root, VIDEO_EXTENSIONS + AUDIO_EXTENSIONS):
        if _rel(p, root) not in listed:
            skipped.append((_rel(p, root), "no label: not listed in metadata.jsonl"))
    return items, skipped


def read_vegas(root: Path, labels: Optional[Sequence[str]] = None):
    items, skipped = [], []
    for p in _media_files(root, VIDEO_EXTENSIONS + AUDIO_EXTENSIONS):
        rel = _rel(p, root)
        parts = Path(rel).parts
        if len(parts) < 2:
            skipped.append((rel, "no label: file is not inside a class folder"))
            continue
        label = parts[0]
        if labels is not None and label not in labels:
            skipped.append((rel, f"label {label!r} not among the selected classes"))
            continue
        items.append(SourceItem(rel, label, video_id=f"{label}/{p.stem}"))
    return items, skipped


def _vggsound_names(ytid: str, start: str) -> List[str]:
    try:
        s = int(float(start))
    except ValueError:
        return [f"{ytid}_{start}"]
    return [f"{ytid}_{s:06d}", f"{ytid}_{s}", f"{ytid}_{s:d}_{s + 10:d}", f"{ytid}"]


def read_vggsound(root: Path, labels: Optional[Sequence[str]] = None):
    csv_path = next((p for p in [root / "vggsound.csv", root / "VGGSound.csv"] if p.exists()), None)
    if csv_path is None:
        raise FileNotFoundError(f"{root / 'vggsound.csv'}: missing; the VGGSound layout needs its CSV "
                                f"(youtube_id,start_seconds,label,split)")
    files = {}
    for p in _media_files(root, VIDEO_EXTENSIONS):
        files.setdefault(p.stem, p)
    items, skipped, used = [], [], set()
    with open(csv_path, newline="") as f:
        for lineno, row in enumerate(csv.reader(f), 1):
            if not row or (lineno == 1 and row[0].strip().lower() in {"youtube_id", "ytid", "# ytid"}):
                continue
            if len(row) < 3:
                skipped.append((f"{csv_path.name}:{lineno}", "bad CSV row: expected id,start,label,split"))
                continue
            ytid, start, label = row[0].strip(), row[1].strip(), row[2].strip()
            split = row[3].strip().lower() if len(row) > 3 else None
            split = {"train": "train", "test": "test", "val": "test", "validation": "test"}.get(split or "", None)
            path = next((files[n] for n in _vggsound_names(ytid, start) if n in files), None)
            name = f"{ytid}_{start}"
            if path is None:
                skipped.append((name, "missing file: listed in vggsound.csv but no video found"))
                continue
            rel = _rel(path, root)
            used.add(rel)
            if not label:
                skipped.append((rel, "no label: empty label in vggsound.csv"))
                continue
            if labels is not None and label not in labels:
                skipped.append((rel, f"label {label!r} not among the selected classes"))
                continue
            items.append(SourceItem(rel, label, video_id=ytid, split=split))
    for stem, p in sorted(files.items()):
        rel = _rel(p, root)
        if rel not in used:
            skipped.append((rel, "no label: not listed in vggsound.csv"))
    return items, skipped


_UCF_NAME = re.compile(r"^v_(?P<cls>[A-Za-z0-9]+)_g(?P<g>\d+)_c(?P<c>\d+)$")


def read_ucf101(root: Path, labels: Optional[Sequence[str]] = None, split_index: int = 1):
    lists = next((p for p in [root / "ucfTrainTestlist", root / "UCF101TrainTestSplits-RecognitionTask" / "ucfTrainTestlist"]
                  if p.exists()), None)
    if lists is None or not (lists / "classInd.txt").exists():
        raise FileNotFoundError(f"{root / 'ucfTrainTestlist' / 'classInd.txt'}: missing; the UCF-101 layout "
                                f"needs its class index and split lists")
    classes = {}
    for line in (lists / "classInd.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:
            classes[parts[1]] = int(parts[0])
    split_of = {}
    for name, split in ((f"trainlist{split_index:02d}.txt", "train"), (f"testlist{split_index:02d}.txt", "test")):
        p = lists / name
        if p.exists():
            for line in p.read_text().splitlines():
                if line.strip():
                    split_of[Path(line.split()[0]).name] = split
    video_root = root / "UCF-101" if (root / "UCF-101").exists() else root
    items, skipped = [], []
    for p in _media_files(video_root, VIDEO_EXTENSIONS):
        rel = _rel(p, root)
        m = _UCF_NAME.match(p.stem)
        cls = m.group("cls") if m else p.parent.name
        if cls not in classes:
            skipped.append((rel, f"unknown label {cls!r}: not in classInd.txt"))
            continue
        if labels is not None and cls not in labels:
            skipped.append((rel, f"label {cls!r} not among the selected classes"))
            continue
        group = f"{cls}_g{m.group('g')}" if m else f"{cls}/{p.stem}"
        items.append(SourceItem(rel, cls, video_id=group, split=split_of.get(p.name)))
    return items, skipped


SUBURMP_ALIASES = {"bass": "double_bass", "doublebass": "double_bass", "db": "double_bass",
                   "sax": "saxophone", "tpt": "trumpet", "tbn": "trombone", "vc": "cello",
                   "vn": "violin", "va": "viola", "fl": "flute", "ob": "oboe", "cl": "clarinet",
                   "bn": "bassoon", "hn": "horn"}


def suburmp_label(name: str) -> Optional[str]:
    n = name.lower()
    if n in INSTRUMENTS:
        return n
    return SUBURMP_ALIASES.get(n)


def read_suburmp(root: Path, labels: Optional[Sequence[str]] = None):
    if not (root / "img").exists() or not (root / "chunk").exists():
        raise FileNotFoundError(f"{root}: not a Sub-URMP tree; expected img/ and chunk/ folders")
    items, skipped = [], []
    images = {(_rel(p, root / "img")): p for p in _media_files(root / "img", IMAGE_EXTENSIONS)}
    audios = {(_rel(p, root / "chunk")): p for p in _media_files(root / "chunk", AUDIO_EXTENSIONS)}
    audio_by_stem = {str(Path(k).with_suffix("")): v for k, v in audios.items()}
    used_audio = set()
    for rel_img, p in sorted(images.items()):
        parts = Path(rel_img).parts
        rel = "img/" + rel_img
        if len(parts) < 3:
            skipped.append((rel, "bad path: expected img/<split>/<instrument>/<name>"))
            continue
        split_dir, inst = parts[0], parts[1]
        label = suburmp_label(inst)
        if label is None:
            skipped.append((rel, f"unknown label {inst!r}: not a Sub-URMP instrument"))
            continue
        a = audio_by_stem.get(str(Path(rel_img).with_suffix("")))
        if a is None:
            skipped.append((rel, "no matching audio chunk"))
            continue
        used_audio.add(a)
        if labels is not None and label not in labels:
            skipped.append((rel, f"label {label!r} not among the selected classes"))
            continue
        stem = p.stem
        video = stem.rsplit("_", 1)[0] if "_" in stem else stem
        split = {"train": "train", "validation": "test", "val": "test", "test": "test"}.get(split_dir.lower())
        items.append(SourceItem(rel, label, video_id=f"{label}/{video}", split=split, kind="pair",
                                image=rel, audio="chunk/" + _rel(a, root / "chunk")))
    for p in audios.values():
        if p not in used_audio:
            skipped.append(("chunk/" + _rel(p, root / "chunk"), "no matching image"))
    return items, skipped


def read_folder(root: Path, labels: Optional[Sequence[str]] = None):
    csv_path = root / "labels.csv"
    if not csv_path.exists():
        raise FileNotFoundError(f"{csv_path}: missing; the folder layout needs a labels.csv "
                                f"with columns file,label[,split][,video_id]")
    listed = {}
    items, skipped = [], []
    with open(csv_path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "file" not in reader.fieldnames or "label" not in reader.fieldnames:
            raise LayoutError(f"{csv_path}: needs a header with at least the columns file,label "
                             f"(found {reader.fieldnames})")
        for lineno, row in enumerate(reader, 2):
            rel = (row.get("file") or "").strip()
            label = (row.get("label") or "").strip()
            if not rel:
                skipped.append((f"labels.csv:{lineno}", "bad CSV row: empty file column"))
                continue
            listed[rel] = True
            if not (root / rel).exists():
                skipped.append((rel, "missing file: listed in labels.csv but not on disk"))
                continue
            if not label:
                skipped.append((rel, "no label: empty label in labels.csv"))
                continue
            if labels is not None and label not in labels:
                skipped.append((rel, f"label {label!r} not among the selected classes"))
                continue
            split = (row.get("split") or "").strip().lower() or None
            split = {"train": "train", "test": "test", "val": "test", "validation": "test"}.get(split or "", None)
            vid = (row.get("video_id") or "").strip() or rel
            items.append(SourceItem(rel, label, video_id=vid, split=split))
    for p in _media_files(root, VIDEO_EXTENSIONS + AUDIO_EXTENSIONS):
        rel = _rel(p, root)
        if rel not in listed:
            skipped.append((rel, "no label: not listed in labels.csv"))
    return items, skipped


READERS: Dict[str, Callable] = {
    "synthav": read_synthav, "vegas": read_vegas, "vggsound": read_vggsound,
    "ucf101": read_ucf101, "suburmp": read_suburmp, "folder": read_folder,
}


def read_layout(root, layout: str, labels: Optional[Sequence[str]] = None):
    """Read the corpus at ``root`` in ``layout``: returns ``(items, skipped)``."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such directory")
    if layout not in READERS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    items, skipped = READERS[layout](root, labels)
    items.sort(key=lambda it: it.source)
    return items, skipped
