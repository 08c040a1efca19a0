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


def simclr_views(x: torch.Tensor, min_scale: float = 0.35, jitter: float = 0.4, grey_p: float = 0.2) -> torch.Tensor:
    """One SimCLR view (Chen et al. 2020) of each image of ``x`` (N, 3, H, W) in [0, 1], drawn
    per image from torch's global generator on the images' device (saved in every checkpoint):
    a random crop of ``min_scale`` to all of the area with an aspect ratio between 3/4 and 4/3,
    resized back to H x W; a horizontal flip half the time; brightness, contrast and saturation
    each scaled by a factor in ``[1 - jitter, 1 + jitter]``; grey with probability ``grey_p``.
    Returns the views in [0, 1]."""
    n, c, h, w = x.shape
    if c != 3:
        raise ValueError(f"simclr_views needs RGB images (N, 3, H, W), got {tuple(x.shape)}")
    dev = x.device
    area = min_scale + (1 - min_scale) * torch.rand(n, device=dev)
    log_ratio = (torch.rand(n, device=dev) * 2 - 1) * 0.2877          # log(4/3)
    ratio = log_ratio.exp()
    sw, sh = (area * ratio).sqrt().clamp(max=1.0), (area / ratio).sqrt().clamp(max=1.0)
    tx, ty = (torch.rand(n, device=dev) * 2 - 1) * (1 - sw), (torch.rand(n, device=dev) * 2 - 1) * (1 - sh)
    flip = torch.where(torch.rand(n, device=dev) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = sw * flip, tx, sh, ty
    grid = F.affine_grid(theta, (n, c, h, w), align_corners=False)
    v = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    factor = lambda: 1 + (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * jitter
    v = v * factor()                                                                    # brightness
    mean = v.mean(dim=(1, 2, 3), keepdim=True)
    v = (v - mean) * factor() + mean                                                    # contrast
    grey = (0.299 * v[:, :1] + 0.587 * v[:, 1:2] + 0.114 * v[:, 2:3]).expand_as(v)
    v = grey + (v - grey) * factor()                                                    # saturation
    v = torch.where((torch.rand(n, device=dev) < grey_p)[:, None, None, None], grey, v)
    return v.clamp(0, 1)
