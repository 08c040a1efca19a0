"""Steering a feature-conditioned generator with sound (notebook 06; Sung-Bin et al. 2023,
Figs. 4-7): paths between features, mixed sounds, and GAN inversion for editing.

- :func:`slerp`             the great-circle path between two features (they live on a sphere:
  the generator is conditioned on unit-length features at a fixed scale), so every point of
  the path has the length of its ends;
- :func:`feature_path`      ``steps`` points from one feature to another, ends included;
- :func:`mix_waves`         two sounds mixed at a weight (:func:`s2i_lib.audio.mix`), the
  second scaled to the first's loudness first, so that the weight, not the recordings'
  levels, says how much of each is heard;
- :func:`invert_generator`  the noise and the condition that make a frozen generator
  reproduce given images (the first step of the paper's editing, Fig. 7): Adam on both,
  minimising the mean squared pixel error, the condition kept at the generator's conditioning
  scale; returns them with the error curve.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """The point a share ``t`` (0: ``a``, 1: ``b``) along the great circle from ``a`` to ``b``
    (rows of (N, D) or single (D,) vectors), at the length of ``a`` blended linearly with
    that of ``b``.  Parallel rows fall back to the straight line."""
    if a.shape != b.shape:
        raise ValueError(f"slerp needs features of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)
    ua, ub = a / na.clamp_min(1e-12), b / nb.clamp_min(1e-12)
    cos = (ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    so = torch.sin(omega)
    straight = so.abs() < 1e-6
    wa = torch.where(straight, torch.full_like(so, 1 - t), torch.sin((1 - t) * omega) / so.where(~straight, torch.ones_like(so)))
    wb = torch.where(straight, torch.full_like(so, t), torch.sin(t * omega) / so.where(~straight, torch.ones_like(so)))
    u = wa * ua + wb * ub
    u = u / u.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return u * ((1 - t) * na + t * nb)


def feature_path(a: torch.Tensor, b: torch.Tensor, steps: int, spherical: bool = True) -> torch.Tensor:
    """``steps`` features from ``a`` to ``b`` (each (D,)), ends included, as a (steps, D)
    tensor: along the great circle (:func:`slerp`) or the straight line."""
    if steps < 2:
        raise ValueError(f"a path needs at least 2 steps, got {steps}")
    ts = np.linspace(0.0, 1.0, steps)
    return torch.stack([slerp(a, b, float(t)) if spherical else (1 - t) * a + t * b for t in ts])


def mix_waves(a: torch.Tensor, b: torch.Tensor, weight: float = 0.5, eps: float = 1e-8) -> torch.Tensor:
    """``(1 - weight) * a' + weight * b'`` where ``a'`` and ``b'`` are the waveforms (rows of
    (N, T) or single (T,) waves) scaled to the root-mean-square of ``a``: the mix keeps ``a``'s
    loudness scale and the weight alone sets the balance.  Silent rows stay silent."""
    if a.shape != b.shape:
        raise ValueError(f"mix_waves needs waves of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must lie in [0, 1], got {weight}")
    from ..audio.ops import mix
    rms = lambda w: w.pow(2).mean(dim=-1, keepdim=True).sqrt()
    ra, rb = rms(a), rms(b)
    b_scaled = torch.where(rb > eps, b * ra / rb.clamp_min(eps), b)
    return mix(b_scaled, a, weight)                 # weight * b' + (1 - weight) * a


@dataclass
class Inversion:
    """What :func:`invert_generator` found: ``z`` and ``cond`` (one row per image), the final
    per-image ``errors`` (mean squared pixel error, images in [0, 1]) and the mean error
    after each step (``curve``)."""
    z: torch.Tensor
    cond: torch.Tensor
    errors: torch.Tensor
    curve: List[float] = field(default_factory=list)


def invert_generator(G: nn.Module, images: torch.Tensor, cond_init: torch.Tensor, steps: int = 200, lr: float = 0.05,
                     cond_scale: Optional[float] = None, z_init: Optional[torch.Tensor] = None,
                     seed: int = 0) -> Inversion:
    """Find ``z`` and a condition with which the frozen generator ``G`` (called ``G(z, cond)``,
    images in [-1, 1]) reproduces ``images`` (N, 3, H, W) in [0, 1].  The condition starts at
    ``cond_init``; with ``cond_scale`` it is kept at that length (the generator's conditioning
    scale, e.g. unit features times a constant); ``z`` starts at ``z_init`` or a draw from
    ``seed``.  ``G``'s weights do not change and its mode is restored."""
    was = G.training
    G.eval()
    dev = next(G.parameters()).device
    target = images.to(dev).float() * 2 - 1
    z0 = z_init if z_init is not None else G.noise(len(images), generator=torch.Generator().manual_seed(seed))
    z = z0.clone().to(dev).requires_grad_(True)
    u = cond_init.clone().to(dev).float().requires_grad_(True)
    opt = torch.optim.Adam([z, u], lr=lr)
    flags = [p.requires_grad for p in G.parameters()]
    for p in G.parameters():
        p.requires_grad_(False)
    curve: List[float] = []
    try:
        for _ in range(int(steps)):
            c = F.normalize(u, dim=1) * cond_scale if cond_scale is not None else u
            err = (G(z, c) - target).pow(2).mean(dim=(1, 2, 3)) / 4      # on the [0, 1] scale
            opt.zero_grad(set_to_none=True)
            err.sum().backward()
            opt.step()
            curve.append(float(err.detach().mean()))
        with torch.no_grad():
            c = F.normalize(u, dim=1) * cond_scale if cond_scale is not None else u
            err = (G(z, c) - target).pow(2).mean(dim=(1, 2, 3)) / 4
    finally:
        for p, flag in zip(G.parameters(), flags):
            p.requires_grad_(flag)
        G.train(was)
    return Inversion(z.detach().cpu(), c.detach().cpu(), err.detach().cpu(), curve)
