"""Reading a trained probe (:mod:`s2i_lib.course.probes`) on images, real or generated."""
from __future__ import annotations

import numpy as np
import torch


def read_probe(model, images: torch.Tensor) -> np.ndarray:
    """The number a pose or size probe (:func:`s2i_lib.course.pose_probe`,
    :func:`s2i_lib.course.size_probe`) reads in ``images`` (N, 3, H, W) in [0, 1]."""
    from ..train import predict
    return predict(model, images)["logits"][:, 0].numpy()
