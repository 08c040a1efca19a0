"""Corpora on disk: writing a SynthAV corpus (in its own layout or a real corpus's),
and the cached corpus each course profile uses.

:func:`generate_corpus` writes every clip as a real video file (or the image and audio
chunks of Sub-URMP) plus the index files, in parallel, resuming a killed run;
:func:`write_layout` writes a tiny tree in a real data set's layout; :func:`ensure_corpus`
returns the cached corpus of (suite, profile, seed), generated only when it is missing or
was made with anything else than what is asked for now.

**The corpus key.**  A corpus is determined by its suite, layout, seed, the fields of its
:class:`~s2i_lib.course.profiles.SynthAVSize`, the :data:`GENERATOR_VERSION` and the
version of each class it holds (:func:`corpus_description`).  That description is
written to ``synthav_key.json`` in the corpus folder (through :mod:`s2i_lib.cache`)
before any clip; :func:`ensure_corpus` regenerates its folder from scratch when the
stored description is not the one asked for, and :func:`generate_corpus` refuses to mix
two corpora in one folder.  Notebook 01 (building pairs and truth) starts from
:func:`ensure_corpus`.
"""
from __future__ import annotations

import csv
import io
import json
import math
import shutil
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .. import cache
from ..course.profiles import Profile, SynthAVSize, get_profile
from . import constants
from .constants import DEFECT_TYPES, LAYOUTS
from .layouts import dumps, layout_files, marker_path, save_text, write_layout_index
from .registry import class_versions
from .render import clip_metadata, generate_clip
from .seeding import size_classes, suite_classes

KEY_FILE = "synthav_key.json"
"""The file in a corpus folder holding the description the corpus was made from."""


class CorpusMismatchError(ValueError):
    """A folder already holds a SynthAV corpus made from another description."""


# ---------------------------------------------------------------------------- sizes and keys
def resolve_size(suite: str, profile: Union[str, Profile, SynthAVSize], classes=None,
                 clips_per_class=None) -> Tuple[str, SynthAVSize]:
    """``(profile name, size)`` of a corpus: the size of ``suite`` in ``profile`` (a
    name, a :class:`Profile` or a :class:`SynthAVSize`, named ``custom``), with
    ``classes`` and ``clips_per_class`` overriding it."""
    if isinstance(profile, SynthAVSize):
        name, size = "custom", profile
    else:
        prof = profile if isinstance(profile, Profile) else get_profile(str(profile))
        name = prof.name
        size = prof.scenes if suite == "scenes" else prof.performances
    suite_classes(suite)
    if classes is not None:
        bad = [c for c in classes if c not in suite_classes(suite)]
        if bad:
            raise ValueError(f"{bad} are not classes of the SynthAV {suite} suite ({', '.join(suite_classes(suite))})")
        size = replace(size, classes=tuple(classes))
    if clips_per_class is not None:
        size = replace(size, clips_per_class=int(clips_per_class))
    return name, size


def _size_dict(size: SynthAVSize) -> dict:
    """The fields of ``size`` as JSON values (tuples as lists)."""
    out = {}
    for f in fields(size):
        v = getattr(size, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def corpus_description(suite: str, size: SynthAVSize, seed: int, layout: str = "synthav") -> dict:
    """Everything that determines a corpus: the description its key is made from."""
    return {"what": "synthav corpus", "suite": suite, "layout": layout, "seed": int(seed),
            "generator_version": constants.GENERATOR_VERSION,
            "class_versions": class_versions(suite, size_classes(suite, size)), "size": _size_dict(size)}


def _stored_description(root: Path) -> Optional[dict]:
    try:
        stored = cache.read_json(root / KEY_FILE)
    except (OSError, ValueError):
        return None
    return stored.get("description") if isinstance(stored, dict) else None


def _flat(description: dict) -> dict:
    out = {k: v for k, v in description.items() if k != "size"}
    out.update({f"size.{k}": v for k, v in (description.get("size") or {}).items()})
    return out


def _differences(stored: dict, wanted: dict) -> List[str]:
    """What differs between two corpus descriptions, one ``field: there, asked`` each."""
    a, b = _flat(stored), _flat(wanted)
    return [f"{k}: {a.get(k)!r} there, {b.get(k)!r} asked" for k in sorted(set(a) | set(b))
            if cache.canonical(a.get(k)) != cache.canonical(b.get(k))]


def _claim(root: Path, description: dict) -> None:
    """Mark ``root`` as holding the corpus of ``description``, or refuse if it holds another."""
    stored = _stored_description(root)
    if stored is not None and not cache.matches(stored, description):
        raise CorpusMismatchError(f"{root} holds a SynthAV corpus made with other settings "
                                  f"({'; '.join(_differences(stored, description))}); "
                                  f"remove it or write to another folder")
    if stored is None:
        cache.write_json(root / KEY_FILE, {"key": cache.cache_key(description), "description": description})


# ---------------------------------------------------------------------------- writing clips
@dataclass(frozen=True)
class ClipTask:
    """One clip to write: which clip, where its files go (from :func:`layout_files`)."""
    suite: str
    label: str
    index: int
    size: SynthAVSize
    seed: int
    root: str
    layout: str
    files: dict


def _is_written(task: ClipTask, meta: dict) -> bool:
    root = Path(task.root)
    marker = marker_path(root, task.layout, meta["clip_id"])
    files = task.files
    outputs = [root / files["video"]] if "video" in files else [root / p for c in files["chunks"] for p in c[:2]]
    if not (marker.exists() and all(p.exists() for p in outputs)):
        return False
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == json.loads(dumps(meta))
    except (OSError, json.JSONDecodeError):
        return False


def write_clip(task: ClipTask):
    """Write one clip in its layout unless a finished copy is already there; returns
    ``(meta, written)``.  Runs in the worker processes of :func:`generate_corpus`."""
    from ..data import media
    meta = clip_metadata(task.suite, task.label, task.index, task.size, task.seed)
    files, size, root = task.files, task.size, Path(task.root)
    if "video" in files:
        meta["file"] = files["video"]
    if _is_written(task, meta):
        return meta, False
    frames, audio, _ = generate_clip(task.suite, task.label, task.index, size, task.seed)
    if "video" in files:
        media.write_video(root / files["video"], frames, size.fps, audio, size.sample_rate)
    else:
        sr = size.sample_rate
        for img_rel, wav_rel, a, b in files["chunks"]:
            k = min(len(frames) - 1, int(math.ceil(a * size.fps - 1e-9)))
            media.write_image(root / img_rel, frames[k])
            media.write_audio(root / wav_rel, audio[int(round(a * sr)): int(round(b * sr))], sr)
    save_text(marker_path(root, task.layout, meta["clip_id"]), dumps(meta))
    return meta, True


def _progress(total, desc, enabled):
    if not enabled:
        return None
    try:
        from ..course.progress import tqdm
    except ImportError:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="clip")


def _run(tasks: List[ClipTask], workers: int, bar) -> Tuple[Dict[str, tuple], int]:
    """Write every clip (in ``workers`` processes); ``({clip_id: (meta, files)}, number written)``."""
    results, written = {}, 0

    def done(meta, wrote, task):
        nonlocal written
        results[meta["clip_id"]] = (meta, task.files)
        written += int(wrote)
        if bar is not None:
            bar.update(1)

    if workers and workers > 1 and len(tasks) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(max_workers=int(workers), mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(write_clip, t): t for t in tasks}
            for fut in as_completed(futs):
                done(*fut.result(), futs[fut])
    else:
        for t in tasks:
            done(*write_clip(t), t)
    return results, written


# ---------------------------------------------------------------------------- index files
def _write_synthav_index(root: Path, order, results) -> None:
    """``metadata.jsonl`` (one clip per line, sorted by clip id) and ``labels.csv``."""
    save_text(root / "metadata.jsonl", "".join(dumps(results[c][0]) + "\n" for c in order))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "label", "video_id"])
    for c in order:
        m = results[c][0]
        w.writerow([m["file"], m["label"], m["video_id"]])
    save_text(root / "labels.csv", buf.getvalue())


def _corpus_info(suite, prof_name, seed, layout, size, labels, order, results) -> dict:
    """The summary written to ``corpus.json`` (``synthav_corpus.json`` in a foreign layout)."""
    metas = [results[c][0] for c in order]
    return {"suite": suite, "profile": prof_name, "seed": int(seed), "layout": layout,
            "generator_version": constants.GENERATOR_VERSION, "size": _size_dict(size),
            "classes": labels, "clips_per_class": int(size.clips_per_class), "num_clips": len(order),
            "counts": {lab: sum(1 for m in metas if m["label"] == lab) for lab in labels},
            "clips_with_defects": sum(1 for m in metas if m["defects"]),
            "defect_counts": {d: sum(1 for m in metas if any(x["type"] == d for x in m["defects"])) for d in DEFECT_TYPES},
            "multi_source_clips": sum(1 for m in metas if m["multi_source"])}


# ---------------------------------------------------------------------------- public entry points
def generate_corpus(suite: str = "scenes", profile: Union[str, Profile, SynthAVSize] = "smoke", out=None,
                    seed: int = 0, layout: str = "synthav", workers: int = 2,
                    classes: Optional[Sequence[str]] = None, clips_per_class: Optional[int] = None,
                    progress: bool = True) -> Path:
    """Write a SynthAV corpus of real video files to ``out`` and return its path.

    ``profile`` (a name, a :class:`Profile` or a :class:`SynthAVSize`) sets the size;
    ``classes`` and ``clips_per_class`` override it.  ``layout``:

    - ``synthav``: ``videos/<label>/<clip_id>.mp4``, ``metadata.jsonl`` (one clip per
      line, sorted by clip id), ``labels.csv`` (file,label,video_id), ``corpus.json``
      and ``meta/<clip_id>.json`` (written after each video; a rerun skips clips whose
      video and meta are there and up to date, so a killed run resumes);
    - ``vegas``, ``vggsound``, ``ucf101``, ``suburmp``: the tree of that corpus (see
      ``data/README.md``) plus ``synthav_truth.jsonl`` mapping every written file to
      its clip and label, with the clip's metadata.

    Every layout also gets ``synthav_key.json`` (see the module docstring); a folder
    holding a corpus of another description raises :class:`CorpusMismatchError`.
    Deterministic: the same arguments give byte-identical metadata and identical
    decoded content whatever ``workers`` is.
    """
    if out is None:
        raise ValueError("generate_corpus needs out= (the folder to write the corpus to)")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    prof_name, size = resolve_size(suite, profile, classes, clips_per_class)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    _claim(root, corpus_description(suite, size, seed, layout))
    labels = list(size_classes(suite, size))
    n = int(size.clips_per_class)
    tasks = [ClipTask(suite, label, index, size, int(seed), str(root), layout,
                      layout_files(layout, suite, label, index, n, seed, size))
             for index in range(n) for label in labels]      # classes interleaved: a partial run covers them all
    bar = _progress(len(tasks), f"SynthAV {suite}", progress)
    t0 = time.time()
    try:
        results, written = _run(tasks, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    order = sorted(results)
    if layout == "synthav":
        _write_synthav_index(root, order, results)
    else:
        write_layout_index(root, layout, suite, labels, order, results)
    info = _corpus_info(suite, prof_name, seed, layout, size, labels, order, results)
    cache.write_json(root / ("corpus.json" if layout == "synthav" else "synthav_corpus.json"), info)
    if progress:
        print(f"SynthAV {suite}/{prof_name}: {len(order)} clips in {root} "
              f"({written} written, {len(order) - written} reused, {time.time() - t0:.1f} s)")
    return root


def write_layout(kind: str, out, suite: Optional[str] = None, profile="smoke", seed: int = 0,
                 classes: Optional[Sequence[str]] = None, clips_per_class: int = 3, workers: int = 1,
                 progress: bool = False) -> Path:
    """A tiny corpus in a real data set's layout (``vegas``, ``vggsound``, ``ucf101``,
    ``suburmp``), for testing the readers.  Scenes by default, performances for
    ``ucf101`` and ``suburmp``."""
    if suite is None:
        suite = "performances" if kind in ("ucf101", "suburmp") else "scenes"
    return generate_corpus(suite=suite, profile=profile, out=out, seed=seed, layout=kind, workers=workers,
                           classes=classes, clips_per_class=clips_per_class, progress=progress)


def corpus_dir(data_dir, suite: str, profile: Union[str, Profile, SynthAVSize], seed: int = 0) -> Path:
    """``<data_dir>/synthav/<suite>-<profile>-seed<seed>``: where a cached corpus lives (a
    :class:`SynthAVSize` is named ``custom-<key of the size>``)."""
    if isinstance(profile, SynthAVSize):
        name = f"custom-{cache.cache_key(_size_dict(profile), 10)}"
    else:
        name = profile.name if isinstance(profile, Profile) else str(profile)
    return Path(data_dir) / "synthav" / f"{suite}-{name}-seed{int(seed)}"


def ensure_corpus(data_dir, suite: str, profile: Union[str, Profile, SynthAVSize] = "course", seed: int = 0,
                  workers: int = 2, progress: bool = True) -> Path:
    """The cached corpus for (suite, profile, seed) in :func:`corpus_dir`.

    Reused only when its stored description (``synthav_key.json``) is the one asked for
    now: same suite, seed, size fields, generator version and class versions, and it was
    finished.  A corpus made with anything else (another size, an older generator, a
    changed class, or a folder without a key) is removed and generated again; an
    unfinished one with the right key is resumed.
    """
    root = corpus_dir(data_dir, suite, profile, seed)
    _, size = resolve_size(suite, profile)
    description = corpus_description(suite, size, seed)
    if root.exists():
        stored = _stored_description(root)
        if stored is None or not cache.matches(stored, description):
            if progress:
                why = "; ".join(_differences(stored, description)) if stored else f"no {KEY_FILE}"
                print(f"SynthAV: {root} was made with other settings ({why}); generating it again")
            shutil.rmtree(root)
        elif (root / "corpus.json").exists() and (root / "metadata.jsonl").exists():
            return root
    return generate_corpus(suite=suite, profile=profile, out=root, seed=seed, workers=workers, progress=progress)
