"""Feature extractors: the networks whose outputs the scores of :mod:`s2i_lib.eval.scores`
are computed on.

A :class:`FeatureExtractor` wraps an image classifier and returns, for each image, its
class probabilities (for the Inception-style score and class accuracy) and an embedding
(for the Fréchet distance, KID and diversity).  It carries a ``name``, and every result
built from it repeats that name, so that a number computed with the course's small
classifier is never read as an Inception-v3 number.

Extractors are made by name from a small registry, as torch-fidelity does with its
feature extractors::

    from s2i_lib.eval import extractors
    judge = extractors.make("s2i-classifier", trained)        # notebook 02's classifier
    extractors.names()                                         # what is registered

and a new one is added with :func:`register`::

    @extractors.register("my-net")
    def my_net(path):
        model = ...                    # returns {"logits": (N, C), "embedding": (N, D)}
        return extractors.FeatureExtractor(model, name="my net", image_size=64)

Two are registered here:

- ``"s2i-classifier"``: the course's image classifier (notebook 02, Chen et al. 2017's
  Fig. 5 network trained on SynthAV), the Inception stand-in of notebooks 03 and 04;
- ``"torchvision-inception-v3"``: torchvision's ImageNet Inception-v3, *only* from weights
  already on disk (nothing is downloaded; a missing file is a clear error).  Its
  pool3 features (2048-d) are the layer FID uses, but these are torchvision's weights,
  not the TensorFlow weights of the reference FID code, so values are close to, not
  equal to, published FIDs.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

__all__ = ["FeatureExtractor", "register", "make", "names", "from_trained", "inception_v3"]


@dataclass
class FeatureExtractor:
    """An image classifier used as the feature network of the scores.

    ``model`` maps a float batch ``(N, 3, H, W)`` in [0, 1] to a dict with ``logits``
    ``(N, C)`` and ``embedding`` ``(N, D)``.  ``image_size`` is the side the model expects
    (inputs of another size are area-resampled to it; ``None`` leaves them as they are).
    ``name`` names the extractor in every result.

    ``dtype`` is the precision of the forward pass.  In float32 (the default, as the
    model is trained) the features depend on the batch size at the level of float32
    rounding (~1e-7 relative), since the convolution routines change with the batch shape;
    ``torch.float64`` runs a double-precision copy of the model (several times slower on a
    CPU) whose features agree across batch sizes to ~1e-15.
    """
    model: nn.Module
    name: str
    image_size: Optional[int] = None
    dtype: torch.dtype = torch.float32

    @classmethod
    def from_trained(cls, trained, name: Optional[str] = None,
                     dtype: torch.dtype = torch.float32) -> "FeatureExtractor":
        """Wrap a :class:`s2i_lib.train.Trained` (or anything with ``.model``), e.g.
        the result of :func:`s2i_lib.course.recipes.image_classifier`."""
        model = trained.model
        size = getattr(model, "config", {}).get("image_size")
        size = int(size) if size is not None else None
        if name is None:
            name = "s2i image classifier (Inception stand-in)"
            if size is not None:
                name += f", {size}x{size}"
            framing = getattr(trained, "framing", "full")
            if framing != "full":
                name += f", {framing} crops"
            try:
                name += f", model {trained.key}"
            except Exception:  # no stored path: the name simply has no key
                pass
        return cls(model=model, name=name, image_size=size, dtype=dtype)

    @property
    def device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def _prepare(self, images) -> torch.Tensor:
        x = torch.as_tensor(images)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        s = self.image_size
        if s is not None and (x.shape[-2] != s or x.shape[-1] != s) and len(x):
            x = F.interpolate(x, size=(s, s), mode="area")
        return x

    def __call__(self, images, batch_size: int = 256) -> Dict[str, object]:
        """``probs`` ``(N, C)`` (softmax of the logits) and ``features`` ``(N, D)`` (the
        embedding) of ``images``, both float64 numpy arrays, and ``extractor``, this
        extractor's name.  Runs in eval mode without gradients on the model's device; the
        model's train/eval mode is restored after."""
        x = self._prepare(images).to(self.dtype)
        model = self.model if self.dtype == torch.float32 else copy.deepcopy(self.model).to(self.dtype)
        was_training = self.model.training
        model.eval()
        probs, feats = [], []
        try:
            with torch.no_grad():
                for i in range(0, len(x), batch_size):
                    out = model(x[i:i + batch_size].to(self.device))
                    probs.append(F.softmax(out["logits"].double(), dim=1).cpu())
                    feats.append(out["embedding"].double().cpu())
        finally:
            self.model.train(was_training)
        if not probs:
            raise ValueError("no images given")
        return {"probs": torch.cat(probs).numpy(), "features": torch.cat(feats).numpy(), "extractor": self.name}


# ----------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------

_REGISTRY: Dict[str, Callable[..., FeatureExtractor]] = {}


def register(name: str):
    """Decorator: register ``factory(*args, **kwargs) -> FeatureExtractor`` under ``name``.
    Registering a name twice is an error (a silent replacement would change what an
    old notebook's scores mean)."""
    def deco(factory):
        if name in _REGISTRY and _REGISTRY[name] is not factory:
            raise ValueError(f"a feature extractor named {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory
    return deco


def make(name: str, *args, **kwargs) -> FeatureExtractor:
    """The extractor registered as ``name``, built with ``args``/``kwargs``."""
    if name not in _REGISTRY:
        raise KeyError(f"no feature extractor named {name!r}; registered: {', '.join(names())}")
    ex = _REGISTRY[name](*args, **kwargs)
    if not isinstance(ex, FeatureExtractor):
        raise TypeError(f"the factory of {name!r} returned {type(ex).__name__}, not a FeatureExtractor")
    return ex


def names() -> List[str]:
    """The registered extractor names."""
    return sorted(_REGISTRY)


@register("s2i-classifier")
def from_trained(trained, name: Optional[str] = None, dtype: torch.dtype = torch.float32) -> FeatureExtractor:
    """The course's image classifier (see :meth:`FeatureExtractor.from_trained`)."""
    return FeatureExtractor.from_trained(trained, name=name, dtype=dtype)


class _InceptionPool3(nn.Module):
    """torchvision's Inception-v3 returning ``{"logits", "embedding"}`` (pool3, 2048-d) for
    inputs in [0, 1]: bilinear resize to 299 and ImageNet normalisation first."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.fc = net.fc
        net.fc = nn.Identity()
        self.net = net
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))

    def forward(self, x):
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        pool3 = self.net((x - self.mean) / self.std)
        return {"logits": self.fc(pool3), "embedding": pool3}


def _inception_weights_path() -> Path:
    """Where torchvision keeps the Inception-v3 file once a user has fetched it
    (``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``); only
    the path is computed here, nothing is fetched."""
    import os
    from torchvision.models import Inception_V3_Weights
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    torch_home = Path(os.environ.get("TORCH_HOME", cache / "torch"))
    return torch_home / "hub" / "checkpoints" / Path(Inception_V3_Weights.IMAGENET1K_V1.url).name


@register("torchvision-inception-v3")
def inception_v3(path=None, device: str = "auto") -> FeatureExtractor:
    """torchvision's ImageNet Inception-v3 from a weights file already on disk: ``path``,
    or the torch hub cache (``~/.cache/torch/hub/checkpoints/inception_v3_google-*.pth``),
    on ``device`` (``"auto"``: a GPU when torch sees one; the extractor moves each batch
    there and its results back to the CPU).
    Nothing is downloaded: a missing file raises ``FileNotFoundError`` naming it."""
    from ..course.runs import pick_device
    from torchvision.models import inception_v3 as tv_inception_v3
    p = Path(path) if path is not None else _inception_weights_path()
    if not p.is_file():
        raise FileNotFoundError(f"Inception-v3 weights not found at {p}; the course never downloads them. "
                                "Copy torchvision's inception_v3_google-*.pth there (or pass path=...), or use "
                                "the course's own classifier ('s2i-classifier').")
    net = tv_inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=True)
    try:
        net.load_state_dict(torch.load(p, map_location="cpu", weights_only=True))
    except Exception as e:
        raise ValueError(f"{p}: not a torchvision Inception-v3 state dict ({e})") from e
    net.aux_logits, net.AuxLogits = False, None
    return FeatureExtractor(_InceptionPool3(net).eval().to(pick_device(device)),
                            name=f"torchvision Inception-v3 (ImageNet), pool3, {p.name}")
