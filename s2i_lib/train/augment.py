"""Image augmentation for the classifiers (notebook 02)."""
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
    p = max(1, h // 8)
    padded = F.pad(x, (p, p, p, p), mode="replicate")
    di = torch.randint(0, 2 * p + 1, (n,), device=dev)
    dj = torch.randint(0, 2 * p + 1, (n,), device=dev)
    rows = (di[:, None] + torch.arange(h, device=dev))[:, None, :, None].expand(n, c, h, w + 2 * p)
    out = padded.gather(2, rows)
    cols = (dj[:, None] + torch.arange(w, device=dev))[:, None, None, :].expand(n, c, h, w)
    return out.gather(3, cols)
