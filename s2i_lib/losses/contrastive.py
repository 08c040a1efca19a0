"""Contrastive losses of notebook 06: the image encoder learnt without labels (SimCLR, Chen et
al. 2020) and the audio encoder aligned to it (Sung-Bin et al. 2023, Eq. (1)-(2)).

- :func:`nt_xent`: SimCLR's loss.  Two augmented views of N images give 2N unit-length
  vectors; each vector's positive is its other view, its negatives the other 2N - 2 vectors;
  the logits are cosine similarities divided by the temperature, and the loss is the mean
  cross-entropy over the 2N anchors.
- :func:`info_nce`: Sound2Scene's symmetric InfoNCE between N audio and N visual features of
  the same pairs.  Both are scaled to unit length; the logit of audio i against visual j is
  ``-||a_i - v_j||_2 / temperature`` (``similarity="l2"``, the paper's Eq. (1), whose
  released code fixes the temperature at 1) or ``a_i . v_j / temperature`` (``"cosine"``).
  The loss averages the audio-centred and the visual-centred cross-entropies over the batch
  (the paper sums them over the batch: the same minimiser, another scale).  Only the other
  modality's items are negatives.
- :func:`l2_alignment`: the baseline the paper rejects, the mean L2 distance between the
  unit-length audio and visual features of the same pair, with no negatives at all.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

SIMILARITIES = ("l2", "cosine")


def _check_pairs(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"{what} needs two (N, D) batches of the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if len(a) < 2:
        raise ValueError(f"{what} needs at least two pairs (a batch of one has no negatives)")


def _temperature(t: float) -> float:
    if not t > 0:
        raise ValueError(f"the temperature must be positive, got {t}")
    return float(t)


def pair_logits(a: torch.Tensor, b: torch.Tensor, temperature: float = 1.0, similarity: str = "l2") -> torch.Tensor:
    """(N, N) logits of every ``a_i`` against every ``b_j`` after scaling both to unit length:
    ``-||a_i - b_j|| / temperature`` for ``"l2"``, ``a_i . b_j / temperature`` for ``"cosine"``."""
    if similarity not in SIMILARITIES:
        raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
    t = _temperature(temperature)
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    if similarity == "cosine":
        return a @ b.T / t
    # ||a - b||^2 = 2 - 2 a.b for unit vectors; the clamp keeps the square root's gradient finite at 0
    return -torch.sqrt((2.0 - 2.0 * a @ b.T).clamp_min(1e-12)) / t


def info_nce(audio: torch.Tensor, visual: torch.Tensor, temperature: float = 1.0, similarity: str = "l2") -> torch.Tensor:
    """Sound2Scene's symmetric InfoNCE (see the module docstring): row i of ``audio`` and row
    i of ``visual`` are a pair, every other row of the other modality a negative."""
    _check_pairs(audio, visual, "info_nce")
    logits = pair_logits(audio, visual, temperature, similarity)
    target = torch.arange(len(audio), device=audio.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """SimCLR's NT-Xent of two views ``z1``, ``z2`` (N, D) of the same N images (see the module
    docstring)."""
    _check_pairs(z1, z2, "nt_xent")
    t = _temperature(temperature)
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    n = len(z1)
    sim = z @ z.T / t
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), float("-inf"))   # not itself
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


def l2_alignment(audio: torch.Tensor, visual: torch.Tensor) -> torch.Tensor:
    """Mean L2 distance between the unit-length audio and visual features of each pair: the
    alignment with no negatives (Sung-Bin et al. 2023, Sec. 3.2's baseline)."""
    _check_pairs(audio, visual, "l2_alignment")
    return (F.normalize(audio, dim=1) - F.normalize(visual, dim=1)).norm(dim=1).mean()
