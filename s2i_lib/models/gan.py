"""Conditional generators and discriminators (notebooks 03 and 04).

One switch chooses how a discriminator sees the condition:

- ``cond="concat"``      Reed et al. (2016), GAN-CLS: the condition, compressed by an FC layer,
  is tiled over the 4x4 feature map and joined to it before the last convolutions;
- ``cond="projection"``  Miyato & Koyama (2018): score = psi(h) + <V c, h> on pooled features h
  (taught in notebook 04);
- ``cond="none"``        an unconditional critic.

``aux_classes > 0`` adds an auxiliary-classifier head (Odena et al. 2017; Wan et al. 2019) on
the same features, and ``sn=True`` puts spectral normalisation (Miyato et al. 2018) on every
conv and linear layer (:func:`spectral_norm_switch`, notebook 04).  Discriminators return a
dict: ``adv`` (one score per sample), ``cls`` (class logits or None) and ``h`` (pooled
features).  The losses on these outputs are in :mod:`s2i_lib.losses`.
"""
from __future__ import annotations

import math
from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import register

def _grid(h: int, w: int):
    """How many factor-2 steps take 4 cells to at least the longer of ``h`` and ``w``, and
    the small map they start from: each side starts at the fewest cells that still cover it
    after those steps (a 128 x 44 spectrogram grows from 4 x 2 to 128 x 64 and is resized
    to 128 x 44; a 64 x 44 one from 4 x 3 to 64 x 48)."""
    n = max(1, math.ceil(math.log2(max(h, w) / 4)))
    return n, (max(1, math.ceil(h / 2 ** n)), max(1, math.ceil(w / 2 ** n)))


def spectral_norm_switch(module: nn.Module, on: bool) -> nn.Module:
    """``module`` under spectral normalisation (Miyato et al. 2018: its weight divided by its
    largest singular value, estimated by one power iteration per forward pass) when ``on``,
    else ``module`` itself.  Taught in notebook 04."""
    return nn.utils.parametrizations.spectral_norm(module) if on else module


@register
class CondGenerator(nn.Module):
    """GAN-CLS / DCGAN-style conditional generator.

    The condition ``c`` (e.g. a 128-d sound encoding) is compressed by an FC layer with
    leaky ReLU to ``proj_dim``, concatenated with noise ``z`` and mapped to a 4x4 feature
    map, which transposed convolutions (``residual=False``) or upsample-conv residual blocks
    (``residual=True``) double until the output side.  ``out_shape=(H, W)`` may be
    rectangular (e.g. a 128 x 44 log-mel spectrogram for image-to-sound): the map starts
    rectangular (4 x 2 there), is grown to 128 x 64 and resized to ``(H, W)`` at the end,
    so a long thin output costs half of a square one.  Outputs are in [-1, 1].

    ``last`` says how the image is drawn: ``"deconv"`` (DCGAN's way, the default) lets the
    last transposed convolution output the image's channels directly; ``"conv"`` (version 1
    of this class) grows a ``width``-channel map to full size and draws the image from it
    with a 3x3 convolution, which makes a course S2I iteration (G and D, batch 32) about
    1.24x dearer on a CPU (``make bench``); in the sweeps of
    ``tests/benchmarks/sweep_gan_recipe.py`` the cheaper layer scored as well or better in
    the same time.  Residual generators always end with the 3x3 convolution.
    """
    VERSION = 2

    def __init__(self, cond_dim: int, z_dim: int = 100, proj_dim: int = 128, out_shape: Sequence[int] = (32, 32),
                 out_channels: int = 3, width: int = 64, residual: bool = False, last: str = "deconv"):
        super().__init__()
        if last not in ("deconv", "conv"):
            raise ValueError(f"last must be 'deconv' or 'conv', got {last!r}")
        last = "conv" if residual else last
        h, w = int(out_shape[0]), int(out_shape[1])
        self.config = {"arch": "CondGenerator", "version": self.VERSION, "cond_dim": int(cond_dim), "z_dim": int(z_dim),
                       "proj_dim": int(proj_dim), "out_shape": [h, w], "out_channels": int(out_channels),
                       "width": int(width), "residual": bool(residual), "last": last}
        self.z_dim = z_dim
        n_up, (h0, w0) = _grid(h, w)
        chans = [width * 2 ** min(n_up - 1 - i, 3) for i in range(n_up)] + [width]
        self.embed = nn.Sequential(nn.Linear(cond_dim, proj_dim), nn.LeakyReLU(0.2)) if cond_dim > 0 else None
        self.fc = nn.Linear((proj_dim if cond_dim > 0 else 0) + z_dim, chans[0] * h0 * w0)
        self.bn0 = nn.BatchNorm2d(chans[0])
        blocks = []
        for i in range(n_up):
            cin, cout = chans[i], chans[i + 1]
            if residual:
                blocks.append(_UpResBlock(cin, cout))
            elif last == "deconv" and i == n_up - 1:
                blocks.append(nn.ConvTranspose2d(cin, out_channels, 4, 2, 1))      # draws the image itself
            else:
                blocks.append(nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU(True)))
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(chans[-1], out_channels, 3, padding=1) if last == "conv" else nn.Identity()
        self.start = (h0, w0)
        self.grown = (h0 * 2 ** n_up, w0 * 2 ** n_up)
        self.chans0 = chans[0]

    def forward(self, z: torch.Tensor, c: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = z if self.embed is None else torch.cat([self.embed(c), z], dim=1)
        x = F.relu(self.bn0(self.fc(x).view(-1, self.chans0, *self.start)))
        x = torch.tanh(self.out(self.blocks(x)))
        h, w = self.config["out_shape"]
        if (h, w) != self.grown:
            x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
        return x

    def noise(self, n: int, generator: Optional[torch.Generator] = None, device=None) -> torch.Tensor:
        return torch.randn(n, self.z_dim, generator=generator, device=device)


class _UpResBlock(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm2d(cin), nn.BatchNorm2d(cout)
        self.c1, self.c2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        up = F.interpolate(x, scale_factor=2, mode="nearest")
        h = self.c1(F.interpolate(F.relu(self.bn1(x)), scale_factor=2, mode="nearest"))
        return self.skip(up) + self.c2(F.relu(self.bn2(h)))


def projection_term(h: torch.Tensor, v_c: torch.Tensor) -> torch.Tensor:
    """The projection discriminator's conditional term <V c, h> (Miyato & Koyama 2018): the
    inner product of the pooled features ``h`` with the embedded condition ``v_c = V c``,
    added to the unconditional score psi(h).  Taught in notebook 04."""
    return (v_c * h).sum(dim=1)


@register
class CondDiscriminator(nn.Module):
    """Conditional discriminator / critic with a switch for how it sees the condition.

    Strided 4x4 convolutions halve the input down to a 4x4 map (4 x 2 for a 128 x 44 input) (batch norm unless
    ``norm="none"``; WGAN-GP critics and spectral-normalised ones usually go without).
    ``cond`` is ``"concat"`` (Reed et al.; notebook 03), ``"projection"`` (Miyato & Koyama,
    :func:`projection_term`; notebook 04) or ``"none"``; ``aux_classes`` adds a class head
    (notebook 04); ``sn`` spectral-normalises every layer (:func:`spectral_norm_switch`).
    """

    def __init__(self, cond_dim: int, in_shape: Sequence[int] = (32, 32), in_channels: int = 3, width: int = 64,
                 cond: str = "concat", proj_dim: int = 128, aux_classes: int = 0, sn: bool = False,
                 norm: str = "bn"):
        super().__init__()
        if cond not in ("concat", "projection", "none"):
            raise ValueError(f"cond must be 'concat', 'projection' or 'none', got {cond!r}")
        if cond != "none" and cond_dim <= 0:
            raise ValueError(f"cond={cond!r} needs cond_dim > 0")
        h, w = int(in_shape[0]), int(in_shape[1])
        self.config = {"arch": "CondDiscriminator", "version": self.VERSION, "cond_dim": int(cond_dim), "in_shape": [h, w],
                       "in_channels": int(in_channels), "width": int(width), "cond": cond, "proj_dim": int(proj_dim),
                       "aux_classes": int(aux_classes), "sn": bool(sn), "norm": norm}
        n_down, (h0, w0) = _grid(h, w)
        self.grown = (h0 * 2 ** n_down, w0 * 2 ** n_down)   # inputs are resized to this
        layers, cin = [], in_channels
        for i in range(n_down):
            cout = width * 2 ** min(i, 3)
            layers.append(spectral_norm_switch(nn.Conv2d(cin, cout, 4, 2, 1), sn))
            if norm == "bn" and i > 0:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.2, True))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.feat_ch = cin
        self.cond = cond
        if cond == "concat":
            self.embed = nn.Sequential(spectral_norm_switch(nn.Linear(cond_dim, proj_dim), sn), nn.LeakyReLU(0.2, True))
            self.joint = nn.Sequential(spectral_norm_switch(nn.Conv2d(cin + proj_dim, cin, 1), sn), nn.LeakyReLU(0.2, True))
        elif cond == "projection":
            self.embed = spectral_norm_switch(nn.Linear(cond_dim, cin), sn)
        self.score = spectral_norm_switch(nn.Conv2d(cin, 1, (h0, w0)), sn) if cond == "concat" else spectral_norm_switch(nn.Linear(cin, 1), sn)
        self.aux = spectral_norm_switch(nn.Linear(cin, aux_classes), sn) if aux_classes > 0 else None

    def forward(self, x: torch.Tensor, c: Optional[torch.Tensor] = None) -> Dict[str, Optional[torch.Tensor]]:
        if tuple(x.shape[-2:]) != self.grown:
            x = F.interpolate(x, size=self.grown, mode="bilinear", align_corners=False)
        f = self.features(x)                                   # (B, C, 4, 4) for square inputs
        h = f.sum(dim=(2, 3))                                  # pooled features
        if self.cond == "concat":
            e = self.embed(c)[:, :, None, None].expand(-1, -1, f.shape[2], f.shape[3])
            adv = self.score(self.joint(torch.cat([f, e], dim=1))).flatten()
        elif self.cond == "projection":
            adv = self.score(h).flatten() + projection_term(h, self.embed(c))
        else:
            adv = self.score(h).flatten()
        return {"adv": adv, "cls": self.aux(h) if self.aux is not None else None, "h": h}



def largest_singular_value(weight: torch.Tensor) -> float:
    """Largest singular value of a layer's weight (flattened to a matrix), by SVD."""
    return float(torch.linalg.matrix_norm(weight.detach().flatten(1), ord=2))


def spectral_norms(model: nn.Module) -> Dict[str, float]:
    """Largest singular value of the *effective* weight of every layer of ``model``."""
    out = {}
    for name, m in model.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            out[name] = largest_singular_value(m.weight)
    return out
