"""The pix2pix pieces of the stacked GANs (anonymous 2019, Secs. 5.2 and 5.4; Isola et al.
2017), taught in notebook 05.

The paper turns a feature *vector* into a picture-like input for an image-to-image GAN: the
4096-d vector becomes a 64 x 64 map, upsampled to 128 x 128.  :func:`vector_to_map` does the
same at any size (the vector zero-padded to the next square, then resized), and
:func:`map_to_vector` reads a generated map back as a vector (the inverse resize, then the
first ``dim`` entries), so that a GAN can also *output* a feature vector (the paper's GAN 1:
multimodal sound feature -> image feature).

- :class:`UNetGenerator`: an encoder of stride-2 4x4 convolutions down to a 2 x 2 map and a
  decoder of transposed convolutions back up, each decoder stage joined to the encoder stage of
  its size (``skips=True``, pix2pix's U-Net) or not (``skips=False``: the plain
  encoder-decoder the paper's discussion asks about).  Dropout in the first decoder stages is
  pix2pix's only noise.
- :class:`PatchDiscriminator`: pix2pix's PatchGAN, a few stride-2 convolutions on the
  condition and the output stacked as channels, one real/fake score per patch.
"""
from __future__ import annotations

import math
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register


def map_side(dim: int) -> int:
    """The side of the smallest square map that holds a ``dim``-d vector."""
    return int(math.ceil(math.sqrt(int(dim))))


def vector_to_map(v: torch.Tensor, size: int) -> torch.Tensor:
    """(N, D) vectors -> (N, 1, size, size) maps: zero-padded to the next square, laid out
    row by row, resized (bilinear) to ``size``."""
    n, d = v.shape
    side = map_side(d)
    m = F.pad(v, (0, side * side - d)).view(n, 1, side, side)
    return m if side == size else F.interpolate(m, size=(size, size), mode="bilinear", align_corners=False)


def map_to_vector(m: torch.Tensor, dim: int) -> torch.Tensor:
    """The inverse of :func:`vector_to_map`: (N, 1, size, size) -> (N, dim)."""
    side = map_side(dim)
    if m.shape[-1] != side:
        m = F.interpolate(m, size=(side, side), mode="area")
    return m.flatten(1)[:, :dim]


def _down(cin: int, cout: int, norm: bool) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=not norm)]
    if norm:
        layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers, nn.LeakyReLU(0.2))


def _up(cin: int, cout: int, dropout: float) -> nn.Sequential:
    layers = [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout)]
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers, nn.ReLU())


@register
class UNetGenerator(nn.Module):
    """pix2pix's generator for ``size`` x ``size`` maps (``size`` a power of two, >= 8):
    ``in_channels`` -> ``out_channels``, the encoder halving down to 2 x 2 and the decoder
    doubling back, with skip connections when ``skips``.  ``out="tanh"`` for images in
    [-1, 1], ``"linear"`` for a feature map.  ``forward(c)`` returns the output map (no noise
    input: as in pix2pix, dropout is the noise, and it stays on in ``train()`` mode only)."""

    def __init__(self, in_channels: int = 1, out_channels: int = 3, size: int = 32, width: int = 32,
                 skips: bool = True, out: str = "tanh", dropout_rate: float = 0.5):
        super().__init__()
        if size < 8 or size & (size - 1):
            raise ValueError(f"size must be a power of two of at least 8, got {size}")
        if out not in ("tanh", "linear"):
            raise ValueError(f"out must be 'tanh' or 'linear', got {out!r}")
        self.config = {"arch": "UNetGenerator", "version": self.VERSION, "in_channels": int(in_channels),
                       "out_channels": int(out_channels), "size": int(size), "width": int(width), "skips": bool(skips),
                       "out": out, "dropout_rate": float(dropout_rate)}
        depth = int(math.log2(size)) - 1                     # stages down to a 2 x 2 map
        chans = [min(width * 2 ** i, width * 8) for i in range(depth)]
        self.down = nn.ModuleList([_down(in_channels if i == 0 else chans[i - 1], chans[i], norm=i > 0)
                                   for i in range(depth)])
        self.up = nn.ModuleList()
        for i in reversed(range(1, depth)):                 # 2 x 2 back up to size / 2
            cin = chans[i] if i == depth - 1 or not skips else 2 * chans[i]
            self.up.append(_up(cin, chans[i - 1], dropout_rate if i >= depth - 2 else 0.0))
        last_in = 2 * chans[0] if skips else chans[0]
        self.last = nn.ConvTranspose2d(last_in, out_channels, 4, 2, 1)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        size = self.config["size"]
        if c.shape[-1] != size or c.shape[-2] != size:
            raise ValueError(f"the generator was built for {size} x {size} maps, got {tuple(c.shape[-2:])}")
        feats, h = [], c
        for layer in self.down:
            h = layer(h)
            feats.append(h)
        for j, layer in enumerate(self.up):
            if j > 0 and self.config["skips"]:
                h = torch.cat([h, feats[-1 - j]], dim=1)
            h = layer(h)
        if self.config["skips"]:
            h = torch.cat([h, feats[0]], dim=1)
        h = self.last(h)
        return torch.tanh(h) if self.config["out"] == "tanh" else h


@register
class PatchDiscriminator(nn.Module):
    """pix2pix's PatchGAN on ``cond_channels + out_channels`` stacked maps: ``layers``
    stride-2 4x4 convolutions (batch norm after the first), then a 3x3 convolution to one
    logit per patch.  ``forward(c, x)`` returns ``{"adv": (N, P) patch logits}``."""

    def __init__(self, cond_channels: int = 1, out_channels: int = 3, width: int = 32, layers: int = 3):
        super().__init__()
        self.config = {"arch": "PatchDiscriminator", "version": self.VERSION, "cond_channels": int(cond_channels),
                       "out_channels": int(out_channels), "width": int(width), "layers": int(layers)}
        blocks, cin = [], cond_channels + out_channels
        for i in range(layers):
            cout = min(width * 2 ** i, width * 8)
            blocks.append(_down(cin, cout, norm=i > 0))
            cin = cout
        self.body = nn.Sequential(*blocks)
        self.head = nn.Conv2d(cin, 1, 3, 1, 1)

    def forward(self, c: torch.Tensor, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if c.shape[-2:] != x.shape[-2:]:
            raise ValueError(f"condition {tuple(c.shape[-2:])} and output {tuple(x.shape[-2:])} maps differ in size")
        return {"adv": self.head(self.body(torch.cat([c, x], dim=1))).flatten(1)}
