"""How the GANs and the judge see a frame: whole, cropped around the sounding player, or a
fixed centre crop (notebook 03 explains why the crops matter at 32 pixels)."""
from __future__ import annotations

import numpy as np
import torch

from .cleaning import corpus_dir_of


def downsample(images: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average ``(N, 3, H, W)`` images to ``size`` x ``size``."""
    if images.shape[-1] == size:
        return images
    return torch.nn.functional.interpolate(images, size=(size, size), mode="area")


FRAMINGS = ("full", "player", "center")


def player_boxes(pairs_dir, df) -> np.ndarray:
    """For each pair of a SynthAV build, a square box ``(x0, y0, x1, y1)`` in fractions of
    the frame around the sounding player or object, from the clip's metadata (its
    on-screen size and the position of its feet).  Raises ``ValueError`` naming the folder
    when the build has no SynthAV metadata (use ``framing="center"`` for real data)."""
    from ..data import cleaning
    try:
        corpus = corpus_dir_of(pairs_dir)
        from .. import synthav
        meta = {m["clip_id"]: m for m in synthav.load_metadata(corpus)}
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise ValueError(f"{pairs_dir}: framing='player' needs SynthAV metadata, which this build lacks ({e}); "
                         "use framing='center' or 'full'") from None
    boxes = np.zeros((len(df), 4), np.float32)
    for i, v in enumerate(df["video_id"]):
        if v not in meta:
            raise ValueError(f"{pairs_dir}: video {v!r} has no entry in the SynthAV metadata of {corpus}")
        m = meta[v]
        x, y_bottom = m["position"]
        h = m["object_size_px"] / m["frame_size"]
        side = 1.07 * h
        boxes[i] = (x - side / 2, y_bottom - 1.05 * h, x + side / 2, y_bottom - 1.05 * h + side)
    return boxes


def crop_images(images: torch.Tensor, boxes: np.ndarray, size: int) -> torch.Tensor:
    """Resample each image's box (fractions of the frame) to ``size`` x ``size``; parts of
    a box outside the frame come out black."""
    from torchvision.ops import roi_align
    H, W = images.shape[-2:]
    b = torch.as_tensor(boxes, dtype=torch.float32) * torch.tensor([W, H, W, H], dtype=torch.float32)
    rois = torch.cat([torch.arange(len(b), dtype=torch.float32)[:, None], b], dim=1)
    return roi_align(images.float(), rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=2,
                     aligned=True)


def framed_images(pairs_dir, arrays, framing: str, size: int, center_fraction: float = 0.6) -> torch.Tensor:
    """The pairs' frames as the GANs see them, ``(N, 3, size, size)`` in [0, 1]:

    - ``"full"``   the whole frame, area-averaged (notebook 02);
    - ``"player"`` a square around the sounding player (SynthAV metadata): Sub-URMP frames
      show one player filling the picture, and a player that covers a sixth of a 32-pixel
      frame leaves too few pixels for an instrument or a pose;
    - ``"center"`` the central ``center_fraction`` of the frame, Kang & Kymn's fixed crop,
      for real data without boxes.
    """
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {FRAMINGS}, got {framing!r}")
    imgs = arrays.image_tensor()
    if framing == "full":
        return downsample(imgs, size)
    if framing == "player":
        boxes = player_boxes(pairs_dir, arrays.df)
    else:
        a = (1 - center_fraction) / 2
        boxes = np.tile(np.array([a, a, 1 - a, 1 - a], np.float32), (len(imgs), 1))
    return crop_images(imgs, boxes, size)

