"""Reading a trained probe (:mod:`s2i_lib.course.probes`) on images, real or generated."""
from __future__ import annotations

import numpy as np
import torch


def read_probe(model, images: torch.Tensor) -> np.ndarray:
    """The number a pose or size probe (:func:`s2i_lib.course.pose_probe`,
    :func:`s2i_lib.course.size_probe`) reads in ``images`` (N, 3, H, W) in [0, 1]."""
    from ..train import predict
    return predict(model, images)["logits"][:, 0].numpy()


def slope_per_doubling(sizes) -> dict:
    """How much a probe's reading grows per doubling of a gain: ``sizes`` maps each gain to the
    readings (sounds, images per sound) of the images made at that gain.  An ordinary least
    squares fit of reading on log2(gain) over every image gives ``slope per doubling``, its
    ``std. error``, ``t`` and ``intercept``; a fit per sound (its mean reading at each gain)
    gives the share of ``sounds with a positive slope %``.  Notebooks 04 and 06 measure the
    volume claim (Wan et al. 2019, Table 3; Sung-Bin et al. 2023, Fig. 5) with it."""
    gains = sorted(sizes)
    if len(gains) < 2:
        raise ValueError(f"a slope needs readings at two gains at least, got {gains}")
    arrays = {g: np.asarray(sizes[g], dtype=np.float64).reshape(len(sizes[g]), -1) for g in gains}
    x = np.concatenate([np.full(arrays[g].size, np.log2(g)) for g in gains])
    v = np.concatenate([arrays[g].ravel() for g in gains])
    A = np.c_[x, np.ones_like(x)]
    coef = np.linalg.lstsq(A, v, rcond=None)[0]
    sigma2 = ((v - A @ coef) ** 2).sum() / (len(v) - 2)
    se = float(np.sqrt(sigma2 * np.linalg.inv(A.T @ A)[0, 0]))
    per_sound = np.polyfit(np.log2(gains), np.stack([arrays[g].mean(1) for g in gains], 1).T, 1)[0]
    return {"slope per doubling": float(coef[0]), "std. error": se, "t": float(coef[0] / se),
            "sounds with a positive slope %": float(100 * (per_sound > 0).mean()), "intercept": float(coef[1])}
