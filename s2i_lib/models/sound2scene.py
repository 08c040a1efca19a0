"""The encoders of notebook 06 (Sung-Bin et al. 2023, Sound2Scene).

- :class:`SimCLREncoder`  an image encoder trained without labels (SimCLR, Chen et al. 2020):
  the course classifier's six 3x3 convolutions, a fully connected layer to the
  ``feature_dim``-d representation (what the generator is conditioned on and the audio
  encoder is aligned to) and a two-layer projection head to the ``proj_dim``-d vector the
  NT-Xent loss sees (SimCLR's head, discarded after training).
- :class:`AudioResNet18`  Sound2Scene's audio encoder: torchvision's ResNet-18 whose first
  convolution takes one channel (a log spectrogram), global average pooling, and one linear
  layer to the visual feature's size (or the same topology narrower, for a CPU).  The input is standardised with the training
  spectrograms' mean and deviation (fitted by the trainer).
"""
from __future__ import annotations

from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Standardize, _conv2d_block
from .registry import register


@register
class SimCLREncoder(nn.Module):
    """``forward(x)`` of RGB images in [0, 1] returns ``{"features": (N, feature_dim),
    "projection": (N, proj_dim)}``; images of another side are area-resampled to
    ``image_size``."""

    def __init__(self, image_size: int = 32, width: int = 16, feature_dim: int = 128, proj_dim: int = 64):
        super().__init__()
        self.config = {"arch": "SimCLREncoder", "version": self.VERSION, "image_size": int(image_size),
                       "width": int(width), "feature_dim": int(feature_dim), "proj_dim": int(proj_dim)}
        w = [width, width, 2 * width, 2 * width, 4 * width, 4 * width]
        layers, cin = [], 3
        for i, c in enumerate(w):
            layers.append(_conv2d_block(cin, c, pool=(i % 2 == 1)))
            cin = c
        self.backbone = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4), nn.Flatten(), nn.Linear(cin * 16, feature_dim))
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(feature_dim, feature_dim), nn.ReLU(), nn.Linear(feature_dim, proj_dim))
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"SimCLREncoder needs RGB images (N, 3, H, W), got {tuple(x.shape)}")
        size = self.config["image_size"]
        if x.shape[-1] != size or x.shape[-2] != size:
            x = F.interpolate(x, size=(size, size), mode="area")
        h = self.backbone((x - self.mean) / self.std)
        return {"features": h, "projection": self.head(h)}


@register
class AudioResNet18(nn.Module):
    """``forward(x)`` of (N, F, T) or (N, 1, F, T) spectrograms returns ``{"embedding":
    (N, out_dim)}``.

    ``width=64`` is torchvision's ResNet-18 itself (``torchvision.models.resnet18``) with a
    one-channel first convolution.  A smaller ``width`` keeps its topology (a 7x7 stride-2
    convolution, a max-pool, four stages of two of torchvision's ``BasicBlock`` each, stages
    of ``width``, 2, 4 and 8 times ``width`` channels) built with torchvision's own
    ``_make_layer``: a narrower network for a CPU budget, as the course's SoundNet is."""

    def __init__(self, out_dim: int = 128, width: int = 64):
        super().__init__()
        import torchvision
        from torchvision.models.resnet import BasicBlock
        self.config = {"arch": "AudioResNet18", "version": self.VERSION, "out_dim": int(out_dim), "width": int(width)}
        net = torchvision.models.resnet18(weights=None, num_classes=int(out_dim))
        if width != 64:
            net.inplanes = int(width)
            net.bn1 = nn.BatchNorm2d(width)
            net.layer1 = net._make_layer(BasicBlock, width, 2)
            net.layer2 = net._make_layer(BasicBlock, 2 * width, 2, stride=2)
            net.layer3 = net._make_layer(BasicBlock, 4 * width, 2, stride=2)
            net.layer4 = net._make_layer(BasicBlock, 8 * width, 2, stride=2)
            net.fc = nn.Linear(8 * width, int(out_dim))
        net.conv1 = nn.Conv2d(1, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.net = net                       # conv1 ... layer4, adaptive average pooling, fc to out_dim
        self.norm = Standardize()

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"AudioResNet18 needs (N, F, T) or (N, 1, F, T) spectrograms, got {tuple(x.shape)}")
        return {"embedding": self.net(self.norm(x))}
