"""Torch datasets over a built ``manifest.csv`` (see :mod:`s2i_lib.data.building`), and the
in-memory array cache that notebooks 02-04 load."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from .. import cache as _cache
from . import media as avio
from .shards import fingerprint, load_manifest

ARRAYS_VERSION = 1   # the layout of the arrays-*.npz cache


class PairDataset(Dataset):
    """Audio-image pairs of one split of a build.

    Each item is a dict with ``waveform`` (float tensor ``(N,)``, or whatever
    ``representation`` turns it into), ``image`` (float tensor ``(3, H, W)`` in [0, 1]),
    ``label`` (int index into :attr:`classes`) and ``meta`` (the manifest row).
    Waveforms are padded or cut to ``num_samples`` so that items batch together.
    """

    def __init__(self, out, split: Optional[str] = "train", representation: Optional[Callable] = None,
                 image_transform: Optional[Callable] = None, classes: Optional[Sequence[str]] = None,
                 num_samples: Optional[int] = None, cache: bool = True):
        self.root = Path(out)
        df = load_manifest(out)
        self.classes = list(classes) if classes is not None else sorted(df["label"].unique())
        if split is not None:
            df = df[df["split"] == split]
        unknown = sorted(set(df["label"]) - set(self.classes))
        if unknown:
            raise ValueError(f"{self.root / 'manifest.csv'}: labels {unknown} are not in the given classes")
        self.df = df.reset_index(drop=True)
        self.representation = representation
        self.image_transform = image_transform
        if num_samples is None and len(self.df):
            sr = avio.read_audio(self.root / self.df.loc[0, "audio"])[1]
            num_samples = int(round(float((self.df["end"] - self.df["start"]).median()) * sr))
        self.num_samples = num_samples
        self._cache = {} if cache else None

    def __len__(self) -> int:
        return len(self.df)

    def _load(self, i: int):
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        row = self.df.loc[i]
        audio, _ = avio.read_audio(self.root / row["audio"])
        wav = avio.to_mono(audio)
        if self.num_samples is not None:
            wav = wav[: self.num_samples]
            if wav.shape[0] < self.num_samples:
                wav = np.pad(wav, (0, self.num_samples - wav.shape[0]))
        img = avio.read_image(self.root / row["image"])
        item = (torch.from_numpy(np.ascontiguousarray(wav)),
                torch.from_numpy(img.copy()).permute(2, 0, 1).float() / 255.0)
        if self._cache is not None:
            self._cache[i] = item
        return item

    def __getitem__(self, i: int) -> dict:
        wav, img = self._load(i)
        row = self.df.loc[i]
        x = self.representation(wav) if self.representation is not None else wav
        if self.image_transform is not None:
            img = self.image_transform(img)
        return {"waveform": x, "image": img, "label": self.classes.index(row["label"]),
                "meta": row.to_dict()}

    def labels(self) -> np.ndarray:
        return np.array([self.classes.index(l) for l in self.df["label"]])


class PairArrays:
    """A whole build in memory: ``waves`` (N, S) float32, ``images`` (N, 3, H, W) uint8,
    ``labels`` (N,) int64, ``classes``, ``split`` (N,) str, the manifest ``df`` and
    ``sample_rate``.  Made by :func:`load_arrays`."""

    def __init__(self, waves, images, labels, classes, df, sample_rate):
        self.waves, self.images, self.labels = waves, images, labels
        self.classes, self.df, self.sample_rate = list(classes), df, int(sample_rate)
        self.split = df["split"].to_numpy()

    def __len__(self) -> int:
        return len(self.labels)

    def index(self, split: Optional[str]) -> np.ndarray:
        """Row numbers of one split (all rows for ``None``)."""
        return np.arange(len(self)) if split is None else np.flatnonzero(self.split == split)

    def image_tensor(self, idx=None) -> torch.Tensor:
        """Images of rows ``idx`` as float tensors in [0, 1]."""
        x = self.images if idx is None else self.images[idx]
        return torch.from_numpy(np.ascontiguousarray(x)).float() / 255.0

    def wave_tensor(self, idx=None) -> torch.Tensor:
        x = self.waves if idx is None else self.waves[idx]
        return torch.from_numpy(np.ascontiguousarray(x))

    def label_tensor(self, idx=None) -> torch.Tensor:
        x = self.labels if idx is None else self.labels[idx]
        return torch.from_numpy(np.ascontiguousarray(x)).long()


def arrays_description(out) -> dict:
    """What the array cache of a pair set is keyed by: the set's :func:`fingerprint`
    (manifest plus build settings) and the cache format's version."""
    return {"arrays_version": ARRAYS_VERSION, "pairs": fingerprint(out)}


def load_arrays(out, classes: Optional[Sequence[str]] = None, progress: bool = True) -> PairArrays:
    """Every pair of a build as arrays, cached next to the manifest.

    The first call reads all WAV and PNG files (a few seconds per thousand pairs) and
    writes ``arrays-<key>.npz`` into ``out``; later calls, from any notebook, load that
    file.  The key is made of :func:`arrays_description` -- the pair set's fingerprint,
    so a rebuild with another image size or sample rate (even one whose manifest comes
    out byte-identical) has another key -- and the file stores its description, which
    is checked before the arrays are trusted.  Caches of other keys are removed.
    """
    from ..course.progress import tqdm
    root = Path(out)
    df = load_manifest(root)
    description = arrays_description(root)
    path = root / f"arrays-{_cache.cache_key(description)}.npz"
    classes = list(classes) if classes is not None else sorted(df["label"].unique())
    unknown = sorted(set(df["label"]) - set(classes))
    if unknown:
        raise ValueError(f"{root / 'manifest.csv'}: labels {unknown} are not in the given classes")
    labels = np.array([classes.index(l) for l in df["label"]], dtype=np.int64)
    if path.exists():
        with np.load(path) as z:
            stored = json.loads(str(z["description"])) if "description" in z.files else None
            if _cache.matches(stored, description) and len(z["waves"]) == len(df):
                return PairArrays(z["waves"], z["images"], labels, classes, df, int(z["sample_rate"]))
    if len(df) == 0:
        raise ValueError(f"{root / 'manifest.csv'}: the build has no pairs")
    waves, images, sr = _read_pairs(root, df, tqdm, progress)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, waves=waves, images=images, sample_rate=sr, description=_cache.canonical(description))
    _cache.atomic_write(path, write)
    for old in root.glob("arrays-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)
    return PairArrays(waves, images, labels, classes, df, sr)


def _read_pairs(root: Path, df, tqdm, progress: bool):
    """Read every pair's WAV and PNG into (N, S) float32 waves and (N, 3, H, W) uint8 images."""
    sr = avio.read_audio(root / df["audio"].iloc[0])[1]
    num = int(round(float((df["end"] - df["start"]).median()) * sr))
    waves = np.zeros((len(df), num), np.float32)
    first = avio.read_image(root / df["image"].iloc[0])
    images = np.zeros((len(df), 3) + first.shape[:2], np.uint8)
    for i, (a, im) in enumerate(tqdm(list(zip(df["audio"], df["image"])), desc="loading pairs", unit="pair",
                                     disable=not progress)):
        audio, rate = avio.read_audio(root / a)
        if rate != sr:
            raise ValueError(f"{root / a}: sample rate {rate} Hz differs from the build's {sr} Hz")
        w = avio.to_mono(audio)[:num]
        waves[i, :len(w)] = w
        img = avio.read_image(root / im)
        if img.shape[:2] != images.shape[2:]:
            raise ValueError(f"{root / im}: image size {img.shape[:2]} differs from the build's {images.shape[2:]}")
        images[i] = img.transpose(2, 0, 1)
    return waves, images, sr
