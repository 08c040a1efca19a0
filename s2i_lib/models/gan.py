"""The conditional-GAN toolkit: generators, discriminators, losses, wrong-pair samplers.

Losses are small pure functions of discriminator outputs (as in PyTorch-StudioGAN), and one
switch chooses how a discriminator sees the condition:

- ``cond="concat"``      Reed et al. (2016), GAN-CLS: the condition, compressed by an FC layer,
  is tiled over the 4x4 feature map and joined to it before the last convolutions;
- ``cond="projection"``  Miyato & Koyama (2018): score = psi(h) + <V c, h> on pooled features h;
- ``cond="none"``        an unconditional critic.

``aux_classes > 0`` adds an auxiliary-classifier head (Odena et al. 2017; Wan et al. 2019) on
the same features, and ``sn=True`` puts spectral normalisation (Miyato et al. 2018) on every
conv and linear layer.  Discriminators return a dict: ``adv`` (one score per sample), ``cls``
(class logits or None) and ``h`` (pooled features).

The GAN-CLS objective scores three kinds of pair: S_r (real image, right sound), S_w (real
image, wrong sound) and S_f (fake image, right sound); D maximises
``log S_r + (log(1 - S_w) + log(1 - S_f)) / 2`` (Reed et al., Alg. 1; Chen et al. 2017, Sec. 3).
:func:`gan_cls_d_loss` writes that objective for every loss kind of :data:`LOSSES`.
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LOSSES = ("bce", "hinge", "wgan", "wgan-gp")


# ----------------------------------------------------------------------------- layers
def _grid(h: int, w: int):
    """How many factor-2 steps take 4 cells to at least the longer of ``h`` and ``w``, and
    the small map they start from: each side starts at the fewest cells that still cover it
    after those steps (a 128 x 44 spectrogram grows from 4 x 2 to 128 x 64 and is resized
    to 128 x 44; a 64 x 44 one from 4 x 3 to 64 x 48)."""
    n = max(1, math.ceil(math.log2(max(h, w) / 4)))
    return n, (max(1, math.ceil(h / 2 ** n)), max(1, math.ceil(w / 2 ** n)))


def _sn(module: nn.Module, on: bool) -> nn.Module:
    return nn.utils.parametrizations.spectral_norm(module) if on else module


class CondGenerator(nn.Module):
    """GAN-CLS / DCGAN-style conditional generator.

    The condition ``c`` (e.g. a 128-d sound encoding) is compressed by an FC layer with
    leaky ReLU to ``proj_dim``, concatenated with noise ``z`` and mapped to a 4x4 feature
    map, which transposed convolutions (``residual=False``) or upsample-conv residual blocks
    (``residual=True``) double until the output side.  ``out_shape=(H, W)`` may be
    rectangular (e.g. a 128 x 44 log-mel spectrogram for image-to-sound): the map starts
    rectangular (4 x 2 there), is grown to 128 x 64 and resized to ``(H, W)`` at the end,
    so a long thin output costs half of a square one.  Outputs are in [-1, 1].
    """

    def __init__(self, cond_dim: int, z_dim: int = 100, proj_dim: int = 128, out_shape: Sequence[int] = (32, 32),
                 out_channels: int = 3, width: int = 64, residual: bool = False):
        super().__init__()
        h, w = int(out_shape[0]), int(out_shape[1])
        self.config = {"arch": "CondGenerator", "cond_dim": int(cond_dim), "z_dim": int(z_dim),
                       "proj_dim": int(proj_dim), "out_shape": [h, w], "out_channels": int(out_channels),
                       "width": int(width), "residual": bool(residual)}
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
            else:
                blocks.append(nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1), nn.BatchNorm2d(cout), nn.ReLU(True)))
        self.blocks = nn.Sequential(*blocks)
        self.out = nn.Conv2d(chans[-1], out_channels, 3, padding=1)
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


class CondDiscriminator(nn.Module):
    """Conditional discriminator / critic with a switch for how it sees the condition.

    Strided 4x4 convolutions halve the input down to a 4x4 map (4 x 2 for a 128 x 44 input) (batch norm unless
    ``norm="none"``; WGAN-GP critics and spectral-normalised ones usually go without).
    ``cond`` is ``"concat"`` (Reed et al.), ``"projection"`` (Miyato & Koyama) or ``"none"``;
    ``aux_classes`` adds a class head; ``sn`` spectral-normalises every layer.
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
        self.config = {"arch": "CondDiscriminator", "cond_dim": int(cond_dim), "in_shape": [h, w],
                       "in_channels": int(in_channels), "width": int(width), "cond": cond, "proj_dim": int(proj_dim),
                       "aux_classes": int(aux_classes), "sn": bool(sn), "norm": norm}
        n_down, (h0, w0) = _grid(h, w)
        self.grown = (h0 * 2 ** n_down, w0 * 2 ** n_down)   # inputs are resized to this
        layers, cin = [], in_channels
        for i in range(n_down):
            cout = width * 2 ** min(i, 3)
            layers.append(_sn(nn.Conv2d(cin, cout, 4, 2, 1), sn))
            if norm == "bn" and i > 0:
                layers.append(nn.BatchNorm2d(cout))
            layers.append(nn.LeakyReLU(0.2, True))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.feat_ch = cin
        self.cond = cond
        if cond == "concat":
            self.embed = nn.Sequential(_sn(nn.Linear(cond_dim, proj_dim), sn), nn.LeakyReLU(0.2, True))
            self.joint = nn.Sequential(_sn(nn.Conv2d(cin + proj_dim, cin, 1), sn), nn.LeakyReLU(0.2, True))
        elif cond == "projection":
            self.embed = _sn(nn.Linear(cond_dim, cin), sn)
        self.score = _sn(nn.Conv2d(cin, 1, (h0, w0)), sn) if cond == "concat" else _sn(nn.Linear(cin, 1), sn)
        self.aux = _sn(nn.Linear(cin, aux_classes), sn) if aux_classes > 0 else None

    def forward(self, x: torch.Tensor, c: Optional[torch.Tensor] = None) -> Dict[str, Optional[torch.Tensor]]:
        if tuple(x.shape[-2:]) != self.grown:
            x = F.interpolate(x, size=self.grown, mode="bilinear", align_corners=False)
        f = self.features(x)                                   # (B, C, 4, 4) for square inputs
        h = f.sum(dim=(2, 3))                                  # pooled features
        if self.cond == "concat":
            e = self.embed(c)[:, :, None, None].expand(-1, -1, f.shape[2], f.shape[3])
            adv = self.score(self.joint(torch.cat([f, e], dim=1))).flatten()
        elif self.cond == "projection":
            adv = self.score(h).flatten() + (self.embed(c) * h).sum(dim=1)
        else:
            adv = self.score(h).flatten()
        return {"adv": adv, "cls": self.aux(h) if self.aux is not None else None, "h": h}


# ----------------------------------------------------------------------------- losses
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


def gan_cls_d_loss(kind: str, s_real: torch.Tensor, s_fake: torch.Tensor, s_wrong: Optional[torch.Tensor] = None,
                   wrong_weight: float = 0.5, fake_weight: Optional[float] = None) -> torch.Tensor:
    """The discriminator side of GAN-CLS for loss ``kind``.

    With wrong pairs: ``real(S_r) + (1 - w) fake(S_f) + w fake(S_w)`` with ``w = 0.5`` in
    Reed et al. (for BCE this is minus ``log S_r + (log(1-S_w) + log(1-S_f))/2``).
    ``fake_weight`` replaces ``1 - w`` when given: Kang & Kymn's critic (their Eq. 10)
    keeps the full Wasserstein pair and adds a small mismatch term, ``fake_weight=1`` and
    ``wrong_weight=alpha``.  Without wrong pairs (``s_wrong=None``, Chen et al.'s S2I-N)
    it is the plain conditional GAN loss.
    """
    loss = d_real_term(kind, s_real)
    if s_wrong is None:
        return loss + d_fake_term(kind, s_fake)
    fw = 1 - wrong_weight if fake_weight is None else fake_weight
    return loss + fw * d_fake_term(kind, s_fake) + wrong_weight * d_fake_term(kind, s_wrong)


def gradient_penalty(D: nn.Module, real: torch.Tensor, fake: torch.Tensor, c: Optional[torch.Tensor] = None,
                     generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): ``E[(||grad_x D(x_hat, c)||_2 - 1)^2]`` at random
    points ``x_hat`` on the lines between real and fake samples."""
    eps = torch.rand(real.shape[0], 1, 1, 1, generator=generator).to(real.device)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = D(x_hat, c)["adv"]
    grad, = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


@torch.no_grad()
def clip_weights(D: nn.Module, c: float = 0.01) -> None:
    """WGAN weight clipping (Arjovsky et al. 2017), applied right after each D step."""
    for p in D.parameters():
        p.clamp_(-c, c)


# ----------------------------------------------------------------------------- wrong pairs
class WrongPairSampler:
    """Draws the "wrong sound" for each pair of a batch.

    ``mode="class"``      a sound of another class (instrument-oriented S2I, Chen et al.);
    ``mode="same_class"`` a sound of the same class from another clip (pose-oriented S2I:
                          the mismatch is in the pose, not the instrument);
    ``mode="none"``       no wrong pairs (S2I-N); :meth:`sample` returns None.
    Never returns the positive itself; raises if a pair has no valid partner.
    """

    MODES = ("class", "same_class", "none")

    def __init__(self, labels: Sequence[int], groups: Optional[Sequence] = None, mode: str = "class", seed: int = 0):
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode
        self.labels = np.asarray(labels)
        self.groups = np.asarray(groups) if groups is not None else np.arange(len(self.labels))
        self.rng = np.random.default_rng(seed)
        self.by_class = {c: np.flatnonzero(self.labels == c) for c in np.unique(self.labels)}
        if mode == "class" and len(self.by_class) < 2:
            raise ValueError("mode='class' needs at least two classes")

    def candidates(self, i: int) -> np.ndarray:
        """Every item that may be the wrong partner of item ``i``."""
        if self.mode == "class":
            return np.flatnonzero(self.labels != self.labels[i])
        same = self.by_class[self.labels[i]]
        return same[self.groups[same] != self.groups[i]]

    def sample(self, idx: Sequence[int]) -> Optional[np.ndarray]:
        if self.mode == "none":
            return None
        out = np.empty(len(idx), dtype=np.int64)
        for j, i in enumerate(np.asarray(idx)):
            cand = self.candidates(int(i))
            if len(cand) == 0:
                raise ValueError(f"item {int(i)} (label {self.labels[i]}) has no possible wrong partner "
                                 f"for mode {self.mode!r}")
            out[j] = cand[self.rng.integers(len(cand))]
        return out


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
