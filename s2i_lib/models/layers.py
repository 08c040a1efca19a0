"""Building blocks shared by the course's networks: a conv block, input standardisation,
and the classifier head of Chen et al. (2017) whose 128-d layer is the embedding."""
from __future__ import annotations

from typing import Dict, Iterable, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

def _conv2d_block(cin: int, cout: int, stride: int = 1, pool: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 3, stride=stride, padding=1), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    return nn.Sequential(*layers)


class Standardize(nn.Module):
    """Subtract a mean and divide by a standard deviation fitted on the training inputs
    (scalars kept as buffers, so they travel with the weights)."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros(()))
        self.register_buffer("std", torch.ones(()))

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> "Standardize":
        x = x.float()
        self.mean.copy_(x.mean().to(self.mean.device))
        self.std.copy_(x.std().clamp_min(1e-8).to(self.std.device))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class _Head(nn.Module):
    """FC(256) - ReLU - dropout - FC(128) - ReLU - dropout - FC(classes).

    The output of the second FC layer (after its ReLU, before dropout) is the embedding;
    the first FC layer's (after its ReLU, before dropout) is returned as ``fc1``, the
    position of VGG-16's fc6 among its three FC layers (notebook 05's image feature).
    """

    def __init__(self, in_features: int, num_classes: int, dropout: Tuple[float, float], embed: int = 128):
        super().__init__()
        self.fc1 = nn.Linear(in_features, 256)
        self.fc2 = nn.Linear(256, embed)
        self.fc3 = nn.Linear(embed, num_classes)
        self.drop1 = nn.Dropout(dropout[0])
        self.drop2 = nn.Dropout(dropout[1])

    def forward(self, h: torch.Tensor) -> Dict[str, torch.Tensor]:
        f1 = F.relu(self.fc1(h))
        e = F.relu(self.fc2(self.drop1(f1)))
        return {"logits": self.fc3(self.drop2(e)), "embedding": e, "fc1": f1}

    def fc_weights(self) -> Iterable[torch.Tensor]:
        return (self.fc1.weight, self.fc2.weight, self.fc3.weight)


