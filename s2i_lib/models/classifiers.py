"""The classifiers of Chen et al. (2017), taught in notebook 02.

- :class:`AudioClassifier`  Fig. 4: 4 (or 3) conv layers and 3 fully connected layers on a
  time-frequency representation, dropout on the last two, an l2 penalty on the FC weights
  (:func:`s2i_lib.losses.fc_l2`); its 128-d FC layer is the *S2I-C* sound encoding.
- :class:`ImageClassifier`  Fig. 5: 6 conv (3x3) + 3 FC; its 128-d penultimate layer is the
  image encoding, and it stands in for Inception when the course scores generated images.

Both return a dict with ``logits`` and ``embedding``.
"""
from __future__ import annotations

from typing import Dict, Iterable, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Standardize, _Head, _conv2d_block
from .registry import register


@register
class AudioClassifier(nn.Module):
    """Sound classifier on a (frequency, time) representation (Chen et al. 2017, Fig. 4).

    ``depth`` conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) with widths
    ``width, 2*width, 4*width, 4*width``; the first conv has stride 2 so that large
    inputs (a 513-bin STFT) stay affordable on a CPU.  An adaptive max-pool to a 4x2 grid
    makes the head the same size for every representation.  Dropout follows the two
    hidden FC layers; the l2 penalty on the FC weights lives in the training loop
    (:func:`s2i_lib.losses.fc_l2`).
    """

    def __init__(self, in_shape: Sequence[int], num_classes: int, depth: int = 4, width: int = 16,
                 dropout: Tuple[float, float] = (0.3, 0.2)):
        super().__init__()
        if depth not in (3, 4):
            raise ValueError(f"AudioClassifier depth must be 3 or 4, got {depth}")
        self.config = {"arch": "AudioClassifier", "version": self.VERSION, "in_shape": [int(s) for s in in_shape],
                       "num_classes": int(num_classes), "depth": int(depth), "width": int(width),
                       "dropout": [float(d) for d in dropout]}
        widths = [width, 2 * width, 4 * width, 4 * width][:depth]
        blocks, cin = [], 1
        for i, w in enumerate(widths):
            blocks.append(_conv2d_block(cin, w, stride=2 if i == 0 else 1))
            cin = w
        self.norm = Standardize()
        self.features = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d((4, 2)), nn.Flatten())
        self.head = _Head(cin * 8, num_classes, tuple(dropout))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return self.head(self.features(self.norm(x)))


@register
class ImageClassifier(nn.Module):
    """Image classifier (Chen et al. 2017, Fig. 5): six 3x3 conv layers in three pairs,
    each pair followed by a 2x2 max-pool, then FC(256) - FC(128) - FC(classes).

    Inputs are RGB in [0, 1] (any size divisible by 8; the course uses the profile's
    generated-image size).  The 128-d embedding is the image encoding of the S2I models
    and the feature space of the course's Inception-style scores.
    """

    def __init__(self, num_classes: int, image_size: int = 32, width: int = 16,
                 dropout: Tuple[float, float] = (0.3, 0.2)):
        super().__init__()
        self.config = {"arch": "ImageClassifier", "version": self.VERSION, "num_classes": int(num_classes), "image_size": int(image_size),
                       "width": int(width), "dropout": [float(d) for d in dropout]}
        w = [width, width, 2 * width, 2 * width, 4 * width, 4 * width]
        layers, cin = [], 3
        for i, c in enumerate(w):
            layers.append(_conv2d_block(cin, c, pool=(i % 2 == 1)))
            cin = c
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.head = _Head(cin * 16, num_classes, tuple(dropout))
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        size = self.config["image_size"]
        if x.shape[-1] != size or x.shape[-2] != size:
            x = F.interpolate(x, size=(size, size), mode="area")
        return self.head(self.features((x - self.mean) / self.std))


