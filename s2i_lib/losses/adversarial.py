"""Adversarial losses as small pure functions of discriminator outputs (notebooks 03, 04).

- :func:`d_real_term`, :func:`d_fake_term`, :func:`g_loss` for each kind of :data:`LOSSES`:
  BCE (non-saturating), hinge (Lim & Ye 2017; taught in notebook 04), and the Wasserstein
  losses (Arjovsky et al. 2017, with :func:`clip_weights` right after each D step;
  Gulrajani et al. 2017, with :func:`gradient_penalty`), and the auxiliary classifier's
  :func:`aux_classifier_loss`;
- the GAN-CLS objective of Reed et al. (2016) is :mod:`s2i_lib.losses.gan_cls`.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

LOSSES = ("bce", "hinge", "wgan", "wgan-gp")


def _check(kind: str) -> None:
    if kind not in LOSSES:
        raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")


def d_real_term(kind: str, s: torch.Tensor) -> torch.Tensor:
    """What D pays on outputs that should read "real and matching"."""
    _check(kind)
    if kind == "bce":
        return F.softplus(-s).mean()           # -log sigmoid(s)
    if kind == "hinge":
        return F.relu(1 - s).mean()
    return -s.mean()                            # wgan, wgan-gp


def d_fake_term(kind: str, s: torch.Tensor) -> torch.Tensor:
    """What D pays on outputs that should read "fake or mismatched"."""
    _check(kind)
    if kind == "bce":
        return F.softplus(s).mean()            # -log(1 - sigmoid(s))
    if kind == "hinge":
        return F.relu(1 + s).mean()
    return s.mean()


def g_loss(kind: str, s_fake: torch.Tensor) -> torch.Tensor:
    """Generator loss on D's outputs for fake (right-condition) samples: non-saturating
    ``-log sigmoid`` for BCE, ``-s`` for hinge and the Wasserstein losses."""
    _check(kind)
    return F.softplus(-s_fake).mean() if kind == "bce" else -s_fake.mean()


def gradient_penalty(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, c: Optional[torch.Tensor] = None,
                     generator: Optional[torch.Generator] = None, eps: Optional[torch.Tensor] = None) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``E[(||grad_x D(x_hat, c)||_2 - 1)^2]`` at random
    points ``x_hat`` on the lines between real and fake samples, ``x_hat = eps * real +
    (1 - eps) * fake`` with ``eps`` (N, 1, 1, 1) drawn uniformly from ``generator`` unless given."""
    if eps is None:
        eps = torch.rand(real.shape[0], 1, 1, 1, generator=generator)
    eps = eps.to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = D(x_hat, c)["adv"]
    grad, = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def aux_classifier_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The auxiliary classifier's term (Odena et al. 2017; Wan et al. 2019's rung (g)): the
    cross-entropy of D's class head on the true classes.  D adds it on real images (learn to
    name the class), G on its own images for the classes they were drawn for (draw images D
    can name).  Taught in notebook 04."""
    return F.cross_entropy(logits, labels)


@torch.no_grad()
def clip_weights(D: nn.Module, c: float = 0.01) -> None:
    """WGAN weight clipping (Arjovsky et al. 2017), applied right after each D step."""
    for p in D.parameters():
        p.clamp_(-c, c)


