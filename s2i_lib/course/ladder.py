"""Wan et al. (2019), Table 4: the ladder from a WGAN-GP with the GAN-CLS architecture to a
conditional GAN with spectral norm, hinge loss, a projection discriminator and an auxiliary
classifier.  Taught in notebook 04."""
from __future__ import annotations

from typing import Tuple

import torch.nn as nn

from ..models import CondDiscriminator, CondGenerator

LADDER = {
    "b": "improved WGAN (gradient penalty), GAN-CLS architecture",
    "c": "conditional GAN",
    "d": "+ spectral norm",
    "e": "+ hinge loss",
    "f": "+ projection discriminator",
    "g": "+ auxiliary classifier",
}
"""The rungs of Wan et al. (2019) Table 4 that train a model; rung (a) is real images."""


def ladder_rung(rung: str, cond_dim: int, n_classes: int, image_size: int = 32, width: int = 32,
                z_dim: int = 100) -> Tuple[nn.Module, nn.Module, dict]:
    """Generator, discriminator and the :class:`~s2i_lib.train.GANConfig` fields of one rung
    of Wan et al.'s ladder:

    - (b) WGAN-GP with Reed et al.'s GAN-CLS discriminator (condition joined at 4x4, wrong
      pairs of another class), no batch norm in the critic (the penalty is per sample);
    - (c) a conditional GAN: BCE, the same joined condition, batch norm, no wrong pairs;
    - (d) spectral norm on every layer of D (and no batch norm);
    - (e) the hinge loss;
    - (f) the projection discriminator in place of the joined condition;
    - (g) an auxiliary classifier head on D, its cross-entropy added to both losses.
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
        cfg = {"loss": "wgan-gp", "wrong": "class"}
    else:
        cfg = {"loss": "hinge" if at >= order.index("e") else "bce", "wrong": "none",
               "aux_weight": 1.0 if rung == "g" else 0.0}
    return G, D, cfg
