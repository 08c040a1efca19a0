"""Wan et al. (2019), Table 4: the ladder from a WGAN-GP with the GAN-CLS architecture to a
conditional GAN with spectral norm, hinge loss, a projection discriminator and an auxiliary
classifier.  Taught in notebook 04."""
from __future__ import annotations

from typing import Tuple

import torch.nn as nn

from ..models import CondDiscriminator, CondGenerator
from .runs import pick_device

LADDER = {
    "b": "improved WGAN (gradient penalty), GAN-CLS architecture",
    "c": "conditional GAN",
    "d": "+ spectral norm",
    "e": "+ hinge loss",
    "f": "+ projection discriminator",
    "g": "+ auxiliary classifier",
}
"""The rungs of Wan et al. (2019) Table 4 that train a model; rung (a) is real images."""

LADDER_CHANGES = {
    "b": ["Wasserstein loss with a gradient penalty (lambda 10)", "GAN-CLS wrong pairs (a sound of another class)",
          "no batch norm in the critic", "its own optimiser: 5 critic steps per G step, Adam 1e-4, betas (0, 0.9)"],
    "c": ["BCE loss in place of the Wasserstein loss and its penalty", "no wrong pairs", "batch norm in D",
          "the course's optimiser (1 D step per G step, the profile's Adam)"],
    "d": ["spectral norm on every layer of D", "batch norm removed from D (spectral norm takes its place)"],
    "e": ["hinge loss in place of BCE"],
    "f": ["projection discriminator in place of the condition joined at 4x4"],
    "g": ["auxiliary-classifier head on D, its cross-entropy added to D's and G's losses (weight 1)"],
}
"""What each rung changes from the rung before it ((b): from an unconditional DCGAN-style
baseline).  Wan et al. describe their ladder as one addition per rung; two of the steps change
more than one thing, and notebook 04 shows this list beside the verdicts."""

WGAN_GP_RECIPE = {"n_d": 5, "n_g": 1, "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.0, 0.9), "gp_weight": 10.0}
"""The settings Gulrajani et al. (2017, Algorithm 1) give for WGAN-GP: five critic steps per
generator step, Adam at 1e-4 with betas (0, 0.9), penalty weight 10.  Rung (b) trains with
these in every profile, so that a loss of (b) against (c) is not the course's fast optimiser
failing a Wasserstein critic."""


def ladder_rung(rung: str, cond_dim: int, n_classes: int, image_size: int = 32, width: int = 32,
                z_dim: int = 100) -> Tuple[nn.Module, nn.Module, dict]:
    """Generator, discriminator and the :class:`~s2i_lib.train.GANConfig` fields of one rung
    of Wan et al.'s ladder:

    - (b) WGAN-GP with Reed et al.'s GAN-CLS discriminator (condition joined at 4x4, wrong
      pairs of another class), no batch norm in the critic (the penalty is per sample), and
      Gulrajani et al.'s optimiser (:data:`WGAN_GP_RECIPE`: 5 critic steps per G step);
    - (c) a conditional GAN: BCE, the same joined condition, batch norm, no wrong pairs;
    - (d) spectral norm on every layer of D (and no batch norm);
    - (e) the hinge loss;
    - (f) the projection discriminator in place of the joined condition;
    - (g) an auxiliary classifier head on D, its cross-entropy added to both losses.

    The returned fields override the profile's defaults (:data:`LADDER_CHANGES` lists what each
    step changes).
    """
    if rung not in LADDER:
        raise ValueError(f"unknown rung {rung!r}; choose one of {', '.join(LADDER)} ((a) is real images)")
    order = list(LADDER)
    at = order.index(rung)
    sn = at >= order.index("d")
    cond = "projection" if at >= order.index("f") else "concat"
    aux = n_classes if rung == "g" else 0
    norm = "bn" if rung == "c" else "none"
    G = CondGenerator(cond_dim, z_dim=z_dim, out_shape=(image_size, image_size), width=width)
    D = CondDiscriminator(cond_dim, in_shape=(image_size, image_size), width=width, cond=cond,
                          aux_classes=aux, sn=sn, norm=norm)
    if rung == "b":
        cfg = {"loss": "wgan-gp", "wrong": "class", **WGAN_GP_RECIPE}
    else:
        cfg = {"loss": "hinge" if at >= order.index("e") else "bce", "wrong": "none",
               "aux_weight": 1.0 if rung == "g" else 0.0}
    return G, D, cfg


def direct_gan(store, name: str, payload: dict, images, cond, labels, groups, n_classes: int, gan_size, steps: int,
               seed: int, image_size: int, device: str = "auto", retrain: bool = False):
    """Rung (g) trained straight from a sound feature, the comparison GAN of notebooks 05 and
    06: ``images`` (N, 3, S, S) in [0, 1], conditions ``cond``, ``labels`` and video
    ``groups`` of the training rows, ``steps`` iterations at the ladder's rate of
    ``gan_size`` (a :class:`~s2i_lib.course.profiles.GANSize`), through the model store under
    ``name`` with ``payload`` plus the experiment's name.  G and D train on ``device``
    (``"auto"``: a GPU when torch sees one), where the returned generator is, trained or
    loaded."""
    import torch
    from .. import train
    dev = pick_device(device)
    torch.manual_seed(seed)
    G, D, rung_cfg = ladder_rung("g", cond.shape[1], n_classes, image_size=image_size, width=gan_size.ladder_width)
    cfg = gan_size.gan_config(steps, seed, **{"lr_g": gan_size.ladder_lr, "lr_d": gan_size.ladder_lr,
                                              "sample_every": steps, **rung_cfg})
    data = train.GANData(images * 2 - 1, cond, labels, groups=groups)
    out = train.cached_gan(store, name, {**payload, "experiment": "direct rung (g)"}, G.to(dev), D.to(dev),
                           data, cfg, desc=f"direct (g) seed {seed}", retrain=retrain)
    out.model.to(dev)                    # a loaded generator comes back on the CPU
    return out
