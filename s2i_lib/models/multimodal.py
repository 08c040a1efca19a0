"""Multimodal layers (anonymous 2019, Sec. 5.3): one hidden layer shared by image and sound
features, taught in notebook 05.

The paper's layers are an input, a hidden and an output layer, trained on three kinds of
input: image features only (I), sound features only (S) and both (B).  The course reads the
input layer as the two feature vectors side by side, ``[x_image, x_sound]``, with zeros for a
missing modality; the hidden layer is then one linear map of that vector, so its
pre-activation for B is the sum of the parts I and S each bring.  The paper halves the hidden
output of B (once I and S agree, B's hidden output is the sum of theirs, twice either); here the halving is applied to
the weighted sum before the bias and the activation, so that for B the hidden layer sees the
mean of the two modalities' contributions (a reading: the paper does not say where the bias
goes).  The output layer classifies the hidden vector after the activation; its
cross-entropy keeps the hidden layer from collapsing to zero.
"""
from __future__ import annotations

from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register


@register
class MultimodalLayers(nn.Module):
    """Shared hidden layer for ``image_dim``-d image and ``sound_dim``-d sound features.

    ``forward(image=None, sound=None)`` takes either or both (N, D) feature batches and
    returns ``{"pre": hidden before the activation, "post": after it, "logits": the output
    layer's class scores}``.  With both inputs the hidden layer's weighted sum is halved
    (see the module's docstring).  The paper uses the hidden vector *before* the activation
    as the sound's multimodal feature for its first GAN.
    """

    def __init__(self, image_dim: int, sound_dim: int, num_classes: int, hidden: int = 256,
                 activation: str = "relu"):
        super().__init__()
        if activation not in ("relu", "tanh", "sigmoid"):
            raise ValueError(f"activation must be relu, tanh or sigmoid, got {activation!r}")
        self.config = {"arch": "MultimodalLayers", "version": self.VERSION, "image_dim": int(image_dim),
                       "sound_dim": int(sound_dim), "num_classes": int(num_classes), "hidden": int(hidden),
                       "activation": activation}
        self.image_in = nn.Linear(image_dim, hidden, bias=False)
        self.sound_in = nn.Linear(sound_dim, hidden, bias=False)
        self.bias = nn.Parameter(torch.zeros(hidden))
        self.out = nn.Linear(hidden, num_classes)
        self._act = {"relu": F.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation]

    def forward(self, image: Optional[torch.Tensor] = None, sound: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        parts = []
        if image is not None:
            if image.shape[-1] != self.config["image_dim"]:
                raise ValueError(f"image features of size {image.shape[-1]}, the layers expect {self.config['image_dim']}")
            parts.append(self.image_in(image))
        if sound is not None:
            if sound.shape[-1] != self.config["sound_dim"]:
                raise ValueError(f"sound features of size {sound.shape[-1]}, the layers expect {self.config['sound_dim']}")
            parts.append(self.sound_in(sound))
        if not parts:
            raise ValueError("MultimodalLayers needs image features, sound features or both")
        if len(parts) == 2 and parts[0].shape[0] != parts[1].shape[0]:
            raise ValueError(f"{parts[0].shape[0]} image rows but {parts[1].shape[0]} sound rows")
        pre = sum(parts) / len(parts) + self.bias          # B: the mean of the two contributions
        post = self._act(pre)
        return {"pre": pre, "post": post, "logits": self.out(post)}
