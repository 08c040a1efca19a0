"""Torch datasets over a built ``manifest.csv`` (see :mod:`s2i_lib.building`)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from . import avio
from .building import load_manifest


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
