"""GAN-CLS (Reed et al. 2016) with sound conditions, taught in notebook 03.

The GAN-CLS objective scores three kinds of pair: S_r (real image, right sound), S_w (real
image, wrong sound) and S_f (fake image, right sound); D maximises
``log S_r + (log(1 - S_w) + log(1 - S_f)) / 2`` (Reed et al., Alg. 1; Chen et al. 2017,
Eq. 4).  :func:`gan_cls_d_loss` writes that objective for every loss kind of
:data:`~s2i_lib.losses.adversarial.LOSSES`; :class:`WrongPairSampler` draws the wrong sounds.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import torch

from .adversarial import d_fake_term, d_real_term


def gan_cls_d_loss(kind: str, s_real: torch.Tensor, s_fake: torch.Tensor, s_wrong: Optional[torch.Tensor] = None,
                   wrong_weight: float = 0.5, fake_weight: Optional[float] = None) -> torch.Tensor:
    """The discriminator side of GAN-CLS for loss ``kind`` (taught in notebook 03).

    With wrong pairs: ``real(S_r) + (1 - w) fake(S_f) + w fake(S_w)`` with ``w = 0.5`` in
    Reed et al. (for BCE this is minus ``log S_r + (log(1-S_w) + log(1-S_f))/2``).
    ``fake_weight`` replaces ``1 - w`` when given: Kang & Kymn's critic (their Eq. 10)
    keeps the full Wasserstein pair and adds a small mismatch term, ``fake_weight=1`` and
    ``wrong_weight=alpha``.  Without wrong pairs (``s_wrong=None``, Chen et al.'s S2I-N)
    it is the plain conditional GAN loss.
    """
    loss = d_real_term(kind, s_real)
    if s_wrong is None:
        return loss + d_fake_term(kind, s_fake)
    fw = 1 - wrong_weight if fake_weight is None else fake_weight
    return loss + fw * d_fake_term(kind, s_fake) + wrong_weight * d_fake_term(kind, s_wrong)



class WrongPairSampler:
    """Draws the "wrong sound" for each pair of a batch.

    ``mode="class"``      a sound of another class (instrument-oriented S2I, Chen et al.);
    ``mode="same_class"`` a sound of the same class from another clip (pose-oriented S2I:
                          the mismatch is in the pose, not the instrument);
    ``mode="none"``       no wrong pairs (S2I-N); :meth:`sample` returns None.
    Never returns the positive itself; raises if a pair has no valid partner.
    """

    MODES = ("class", "same_class", "none")

    def __init__(self, labels: Sequence[int], groups: Optional[Sequence] = None, mode: str = "class", seed: int = 0):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode
        self.labels = np.asarray(labels)
        self.groups = np.asarray(groups) if groups is not None else np.arange(len(self.labels))
        self.rng = np.random.default_rng(seed)
        self.by_class = {c: np.flatnonzero(self.labels == c) for c in np.unique(self.labels)}
        if mode == "class" and len(self.by_class) < 2:
            raise ValueError("mode='class' needs at least two classes")

    def candidates(self, i: int) -> np.ndarray:
        """Every item that may be the wrong partner of item ``i``."""
        if self.mode == "class":
            return np.flatnonzero(self.labels != self.labels[i])
        same = self.by_class[self.labels[i]]
        return same[self.groups[same] != self.groups[i]]

    def sample(self, idx: Sequence[int]) -> Optional[np.ndarray]:
        if self.mode == "none":
            return None
        out = np.empty(len(idx), dtype=np.int64)
        for j, i in enumerate(np.asarray(idx)):
            cand = self.candidates(int(i))
            if len(cand) == 0:
                raise ValueError(f"item {int(i)} (label {self.labels[i]}) has no possible wrong partner "
                                 f"for mode {self.mode!r}")
            out[j] = cand[self.rng.integers(len(cand))]
        return out


