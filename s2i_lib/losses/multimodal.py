"""The losses that train the multimodal layers (anonymous 2019, Sec. 5.3), taught in
notebook 05.

Three terms, each a switch of :func:`multimodal_loss` so that notebook 05 can ablate them:

- ``"l1"``: the mean absolute difference between the hidden outputs (after the activation)
  for image-only (I) and sound-only (S) inputs of the same pairs;
- ``"hidden_ce"``: a cross-entropy between the hidden outputs for I and S, before and after
  the activation.  The paper does not say how a hidden vector becomes a distribution; the
  course reads each as ``softmax(h)`` and takes the symmetric cross-entropy
  ``(H(p_I, p_S) + H(p_S, p_I)) / 2`` (exercise: the alternative of a sigmoid per unit);
- ``"output_ce"``: the output layer's classification cross-entropy on I, S and B, which
  keeps the hidden layer from the trivial solution of the L1 term, all zeros.
"""
from __future__ import annotations

from typing import Callable, Dict, Mapping, Sequence

import torch
import torch.nn.functional as F

TERMS = ("l1", "hidden_ce", "output_ce")


def hidden_l1(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of two (N, H) hidden batches (0 when they are equal)."""
    return (a - b).abs().mean()


def hidden_cross_entropy(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Symmetric cross-entropy between ``softmax(a)`` and ``softmax(b)`` row by row, averaged
    over rows: ``-(sum p_a log p_b + sum p_b log p_a) / 2``.  Its minimum over ``b`` is at
    ``softmax(b) = softmax(a)``, where it equals the entropy of ``softmax(a)``."""
    la, lb = F.log_softmax(a, dim=1), F.log_softmax(b, dim=1)
    return -0.5 * ((la.exp() * lb).sum(dim=1) + (lb.exp() * la).sum(dim=1)).mean()


def multimodal_loss(out: Mapping[str, Mapping[str, torch.Tensor]], labels: torch.Tensor,
                    terms: Sequence[str] = TERMS, weights: Mapping[str, float] = None,
                    hidden_ce: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = None) -> Dict[str, torch.Tensor]:
    """The training loss of the multimodal layers from their outputs on the three inputs.

    ``out`` maps ``"I"``, ``"S"`` and ``"B"`` to :class:`~s2i_lib.models.MultimodalLayers`
    outputs for the same pairs (``"B"`` only needed with ``"output_ce"``); ``terms`` picks the
    terms (:data:`TERMS`), ``weights`` scales them (default 1 each), ``hidden_ce`` replaces
    :func:`hidden_cross_entropy` (notebook 05's exercise on another reading).  Returns every
    term computed and ``"total"``, their weighted sum.
    """
    bad = [t for t in terms if t not in TERMS]
    if bad or not terms:
        raise ValueError(f"terms must be a non-empty subset of {TERMS}, got {list(terms)}")
    weights = dict(weights or {})
    parts: Dict[str, torch.Tensor] = {}
    if "l1" in terms:
        parts["l1"] = hidden_l1(out["I"]["post"], out["S"]["post"])
    if "hidden_ce" in terms:
        ce = hidden_ce or hidden_cross_entropy
        parts["hidden_ce"] = ce(out["I"]["pre"], out["S"]["pre"]) + ce(out["I"]["post"], out["S"]["post"])
    if "output_ce" in terms:
        kinds = [k for k in ("I", "S", "B") if k in out]
        parts["output_ce"] = sum(F.cross_entropy(out[k]["logits"], labels) for k in kinds) / len(kinds)
    parts["total"] = sum(weights.get(k, 1.0) * v for k, v in parts.items())
    return parts
