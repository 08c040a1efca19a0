"""The build folder: its settings file, the per-input part files, the lock that lets
shards share a folder, the merge into ``manifest.csv``, the split by video, and the
fingerprint that identifies a pair set.

Several processes (``s2i build --shard I/N``, cluster jobs) may build into one folder at
the same time.  What keeps them from stepping on each other:

* every file is written through :func:`s2i_lib.cache.atomic_write` (unique temporary
  names, then a rename), so a reader never sees half a file;
* ``build.json`` (the settings) is created once, under the folder's lock: a shard with
  the same settings accepts it, one with other settings is refused;
* merging happens under the same lock (:func:`build_lock`), and only once per set of
  finished parts, so two shards finishing together cannot both merge nor corrupt the
  manifest; ``s2i merge`` takes the lock too.

The on-disk format is documented in ``data/README.md``.
"""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from .. import cache
from .layouts import SourceItem

MANIFEST_COLUMNS = ["pair_id", "source", "video_id", "label", "split", "start", "end",
                    "frame_time", "dbfs", "image", "audio"]
SEGMENT_COLUMNS = ["source", "video_id", "label", "start", "end", "frame_time", "dbfs", "kept", "reason", "pair_id"]
OUTPUT_FILES = ("manifest.csv", "skipped.csv", "segments.csv", "summary.json")
LOCK_NAME = ".build.lock"


class BuildSettingsError(RuntimeError):
    """A build folder holds a build made with other settings."""


class BuildError(RuntimeError):
    """A build that produced nothing usable (every input failed, or no segment was kept)."""


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


# ----------------------------------------------------------------------------- lock and settings
@contextmanager
def build_lock(out):
    """Hold the build folder's lock (an OS file lock on ``out/.build.lock``, released
    when the holder exits, even when it is killed)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK_NAME, "a+b") as f:
        try:
            import fcntl
        except ImportError:                       # Windows
            import msvcrt
            while True:
                try:
                    msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
                    break
                except OSError:
                    time.sleep(0.05)
            try:
                yield
            finally:
                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
            return
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _differences(old: dict, new: dict) -> List[str]:
    diff = sorted(k for k in set(old.get("config", {})) | set(new["config"])
                  if old.get("config", {}).get(k) != new["config"].get(k))
    return diff + [k for k in ("source", "layout", "builder_version") if old.get(k) != new.get(k)]


def claim_folder(out: Path, settings: dict, overwrite: bool) -> None:
    """Create ``out/build.json`` with ``settings``, or accept the one there if it is
    equal; other settings raise :class:`BuildSettingsError` unless ``overwrite``, which
    clears the folder's outputs first.  Call under :func:`build_lock`."""
    path = out / "build.json"
    old = cache.read_json(path)
    if old is not None and not cache.matches(old, settings):
        if not overwrite:
            raise BuildSettingsError(
                f"{out} holds a build with other settings ({', '.join(_differences(old, settings))} differ); "
                f"choose another --out or pass --overwrite to rebuild it")
        for sub in ("parts", "images", "audio"):
            shutil.rmtree(out / sub, ignore_errors=True)
        for f in OUTPUT_FILES + ("sources.json",):
            (out / f).unlink(missing_ok=True)
        for f in out.glob("arrays-*.npz"):        # array caches of the old build
            f.unlink(missing_ok=True)
        old = None
    (out / "parts").mkdir(parents=True, exist_ok=True)
    if old is None:
        cache.write_json(path, settings)


def part_path(out: Path, item: SourceItem) -> Path:
    return out / "parts" / f"{item.key}.json"


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


def resplit_by_video(df, test_fraction: float, seed: int, balance: bool = True,
                     test_videos: Optional[Iterable[str]] = None) -> np.ndarray:
    """A new split of a pair set's rows (a manifest ``DataFrame`` with ``pair_id``,
    ``video_id`` and ``label``): every video wholly in train or test, and for each class
    ``round(test_fraction * its videos)`` videos (at least one when it has two) in test, drawn
    in a seeded order from ``test_videos`` when given (e.g. the videos no encoder of the
    course trained on) or from all of them; then, with ``balance``, every class down-sampled
    to the smallest class's count in each split (:func:`balance_rows`).  Returns one of
    ``"train"``, ``"test"`` or ``"dropped"`` (removed by the balancing) per row, in the rows'
    order; the input is not changed.  A class with too few eligible videos is an error that
    names it."""
    for col in ("pair_id", "video_id", "label"):
        if col not in df.columns:
            raise KeyError(f"resplit_by_video needs a {col!r} column; the table has {list(df.columns)}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    rows = [{"pair_id": p, "video_id": v, "label": l}
            for p, v, l in zip(df["pair_id"].astype(str), df["video_id"].astype(str), df["label"].astype(str))]
    eligible = None if test_videos is None else {str(v) for v in test_videos}
    split: Dict[str, str] = {}
    for label in sorted({r["label"] for r in rows}):
        vids = sorted({r["video_id"] for r in rows if r["label"] == label})
        n_test = int(round(test_fraction * len(vids)))
        if len(vids) >= 2:
            n_test = max(1, min(n_test, len(vids) - 1))
        free = [v for v in vids if eligible is None or v in eligible]
        if len(free) < n_test:
            raise ValueError(f"class {label!r}: {n_test} test videos wanted but only {len(free)} of its "
                             f"{len(vids)} videos may go to test")
        h = int(hashlib.sha256(f"{seed}:{label}".encode()).hexdigest()[:8], 16)
        chosen = {free[i] for i in np.random.default_rng(h).permutation(len(free))[:n_test]}
        split.update({v: ("test" if v in chosen else "train") for v in vids})
    for r in rows:
        r["split"] = split[r["video_id"]]
    kept = {r["pair_id"] for r in (balance_rows(rows, seed) if balance else rows)}
    return np.array([r["split"] if r["pair_id"] in kept else "dropped" for r in rows], dtype=object)


def check_no_leakage(rows: Iterable[dict]) -> None:
    """Raise if any source video has pairs on both sides of the split."""
    seen: Dict[str, str] = {}
    for r in rows:
        s = seen.setdefault(r["video_id"], r["split"])
        if s != r["split"]:
            raise AssertionError(f"video {r['video_id']!r} appears in both {s} and {r['split']}")


# ----------------------------------------------------------------------------- merge
def _parts_key(out: Path, settings: dict, items: Sequence[SourceItem]) -> str:
    """What a merge is made of: the settings, the inputs and every part file's identity."""
    stats = []
    for it in items:
        st = part_path(out, it).stat()
        stats.append([it.key, st.st_size, st.st_mtime_ns])
    return cache.cache_key({"settings": settings, "parts": stats})


def merge(out) -> BuildResult:
    """Gather the part files of a build into ``manifest.csv``, ``skipped.csv``,
    ``segments.csv`` and ``summary.json``, under the folder's lock.  Returns an
    incomplete result (and writes nothing) while some inputs have no part file yet;
    a merge of the same finished parts is done once.  Raises :class:`BuildError` when
    the finished build has no pair at all."""
    out = Path(out)
    if not (out / "build.json").exists():
        raise FileNotFoundError(f"{out / 'build.json'}: missing; {out} is not a build folder "
                                f"(run `s2i build ... --out {out}` first)")
    with build_lock(out):
        settings = cache.read_json(out / "build.json")
        sources = cache.read_json(out / "sources.json")
        items = [SourceItem(**d) for d in sources["items"]]
        missing = [it.source for it in items if not part_path(out, it).exists()]
        if missing:
            return BuildResult(out, complete=False, missing=missing)
        key = _parts_key(out, {**settings, "sources": sources}, items)
        summary = cache.read_json(out / "summary.json")
        if not (summary and summary.get("merge_key") == key and (out / "manifest.csv").exists()):
            summary = _write_outputs(out, settings, sources, items, key)
    result = BuildResult(out, complete=True, num_pairs=summary["pairs"], num_skipped=summary["skipped"])
    if not summary["pairs"]:
        raise BuildError(_nothing_built(out, settings, summary))
    return result


def _nothing_built(out: Path, settings: dict, summary: dict) -> str:
    src = settings.get("source", "?")
    if summary["inputs"] and summary["skipped"] == summary["inputs"]:
        what = f"every one of the {summary['inputs']} inputs in {src} was skipped"
    elif not summary["inputs"]:
        what = f"no input found in {src} (layout {settings.get('layout')!r})"
    else:
        what = (f"no segment of {src} passed the filters ({summary['skipped']} of {summary['inputs']} inputs "
                f"skipped, {summary['segments_too_quiet']} of {summary['segments']} segments too quiet)")
    return f"build at {out} has no pairs: {what}; the reasons are in {out / 'skipped.csv'}"


def _write_outputs(out: Path, settings: dict, sources: dict, items: Sequence[SourceItem], key: str) -> dict:
    cfg = settings["config"]
    rows, segments, late = [], [], []
    skipped = [tuple(s) for s in sources["layout_skipped"]]
    video_split: Dict[str, Optional[str]] = {}
    for it in items:
        part = cache.read_json(part_path(out, it))
        if part["skipped"]:
            skipped.append((it.source, part["skipped"]))
            continue
        rows.extend(part["rows"])
        segments.extend(part["segments"])
        if part.get("late_stream"):
            late.append({"source": it.source, **part["late_stream"]})
        if it.split:
            video_split[it.video_id] = it.split
    split = assign_splits(rows, video_split, cfg["test_fraction"], cfg["seed"])
    for r in rows:
        r["split"] = split[r["video_id"]]
    rows.sort(key=lambda r: r["pair_id"])
    if cfg["balance"] and rows:
        rows = balance_rows(rows, cfg["seed"])
    check_no_leakage(rows)
    write_csv(out / "manifest.csv", MANIFEST_COLUMNS, rows)
    write_csv(out / "segments.csv", SEGMENT_COLUMNS, segments)
    write_csv(out / "skipped.csv", ["source", "reason"], [{"source": s, "reason": r} for s, r in sorted(skipped)])
    summary = {"pairs": len(rows), "inputs": len(items) + len(sources["layout_skipped"]),
               "skipped": len(skipped), "segments": len(segments),
               "segments_too_quiet": sum(1 for s in segments if not s["kept"]),
               "late_streams": len(late), "late_stream_examples": late[:20], "per_label_split": {},
               "merge_key": key}
    for r in rows:
        d = summary["per_label_split"].setdefault(r["label"], {"train": 0, "test": 0})
        d[r["split"]] += 1
    cache.write_json(out / "summary.json", summary)
    return summary


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict]) -> None:
    """A CSV with a header, ``\\n`` line ends, written atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    cache.write_text(path, buf.getvalue())


def load_manifest(out):
    """``manifest.csv`` of a build as a pandas DataFrame (paths stay relative to ``out``)."""
    import pandas as pd
    path = Path(out) / "manifest.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no manifest; run `s2i build ... --out {out}` (or finish its shards "
                                f"and `s2i merge`)")
    return pd.read_csv(path, dtype={"pair_id": str, "source": str, "video_id": str, "label": str, "split": str})


# ----------------------------------------------------------------------------- identity
def fingerprint(pairs_dir, length: int = 16) -> str:
    """A short hash that identifies a pair set's content: its ``manifest.csv`` plus the
    settings that made the files it lists -- ``build.json`` without the corpus location
    (image size, sample rate, segment, frame strategy, builder version, ...) for a
    build; ``cleaning.json`` without folder paths for a cleaned set.  Moving the data
    folder keeps it; rebuilding with any other setting changes it, even when the
    manifest comes out byte-identical.  Use it as the data key of anything trained or
    cached from the pairs."""
    root = Path(pairs_dir)
    man = root / "manifest.csv"
    if not man.exists():
        load_manifest(root)                       # raises its helpful "no manifest" error
    build = cache.read_json(root / "build.json")
    if build is not None:
        build = {k: v for k, v in build.items() if k != "source"}
    cleaning = cache.read_json(root / "cleaning.json")
    if cleaning is not None:
        cleaning = {k: v for k, v in cleaning.items() if not k.endswith("_dir")}
    return cache.cache_key({"manifest": cache.file_sha256(man), "build": build, "cleaning": cleaning}, length)
