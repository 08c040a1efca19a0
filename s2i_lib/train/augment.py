"""Image augmentation: per-sample flips and shifts for the classifiers (notebook 02) and
differentiable augmentation for GAN discriminators (notebook 03)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_images(x: torch.Tensor) -> torch.Tensor:
    """A random horizontal flip and a random shift of up to 1/8 of the side (edge pixels
    repeated), drawn for every image separately on the images' own device from torch's
    global generator there (saved in every checkpoint, so a resumed run draws the same)."""
    n, c, h, w = x.shape
    dev = x.device
    flip = torch.rand(n, device=dev) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    return _shifted(x, "replicate")


def _shifted(x: torch.Tensor, mode: str) -> torch.Tensor:
    """Every image shifted by its own random offset of up to 1/8 of the side; the pixels
    that come in are the edge repeated (``mode="replicate"``) or zeros (``"constant"``)."""
    n, c, h, w = x.shape
    dev = x.device
    p = max(1, h // 8)
    padded = F.pad(x, (p, p, p, p), mode=mode)
    di = torch.randint(0, 2 * p + 1, (n,), device=dev)
    dj = torch.randint(0, 2 * p + 1, (n,), device=dev)
    rows = (di[:, None] + torch.arange(h, device=dev))[:, None, :, None].expand(n, c, h, w + 2 * p)
    out = padded.gather(2, rows)
    cols = (dj[:, None] + torch.arange(w, device=dev))[:, None, None, :].expand(n, c, h, w)
    return out.gather(3, cols)


DIFF_AUGMENT_POLICIES = ("color", "translation", "cutout")


def diff_augment(x: torch.Tensor, policy: str = "translation,cutout") -> torch.Tensor:
    """Differentiable augmentation (Zhao et al. 2020, DiffAugment) of images in [-1, 1]
    shown to a GAN's discriminator: the same kind of random change is applied to real and
    generated images, in D's step and in G's, and gradients flow through it to G.  So D
    cannot memorise the few thousand training images, and G is not taught to draw the
    augmentation (it sees D only through augmented copies of its own images).  Taught in
    notebook 03.

    ``policy`` is a comma-separated subset of :data:`DIFF_AUGMENT_POLICIES`:

    - ``color``: per image, a random brightness shift (up to ±0.5, a quarter of the
      [-1, 1] range), saturation scale (0-2) and contrast scale (0.5-1.5);
    - ``translation``: a random shift of up to 1/8 of the side, zeros shifted in;
    - ``cutout``: a square of half the side, at a random place, set to zero (mid-grey).

    Random numbers come from torch's global generator on the images' device, which the
    engine saves in every checkpoint.
    """
    for k in diff_augment_kinds(policy):
        x = _AUGMENTS[k](x)
    return x


def diff_augment_kinds(policy: str) -> list:
    """The kinds named in a DiffAugment ``policy``, in order; an unknown name raises."""
    kinds = [k.strip() for k in policy.split(",") if k.strip()]
    for k in kinds:
        if k not in DIFF_AUGMENT_POLICIES:
            raise ValueError(f"unknown DiffAugment policy {k!r}; choose from {', '.join(DIFF_AUGMENT_POLICIES)}")
    return kinds


def _color(x: torch.Tensor) -> torch.Tensor:
    n, dev = x.shape[0], x.device
    x = x + (torch.rand(n, 1, 1, 1, device=dev) - 0.5)                      # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (2 * torch.rand(n, 1, 1, 1, device=dev)) + mean        # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(n, 1, 1, 1, device=dev) + 0.5) + mean   # contrast


def _translation(x: torch.Tensor) -> torch.Tensor:
    return _shifted(x, "constant")


def _cutout(x: torch.Tensor) -> torch.Tensor:
    n, _, h, w = x.shape
    dev = x.device
    sh, sw = h // 2, w // 2
    top = torch.randint(-(sh // 2), h - sh // 2 + 1, (n, 1, 1), device=dev)
    left = torch.randint(-(sw // 2), w - sw // 2 + 1, (n, 1, 1), device=dev)
    rows = torch.arange(h, device=dev)[None, :, None]
    cols = torch.arange(w, device=dev)[None, None, :]
    hole = (rows >= top) & (rows < top + sh) & (cols >= left) & (cols < left + sw)
    return x * (~hole)[:, None].to(x.dtype)


_AUGMENTS = {"color": _color, "translation": _translation, "cutout": _cutout}
