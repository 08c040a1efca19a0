"""Network architectures of the course (encoders and classifiers; GANs come later).

Every model is small enough to train on a laptop CPU in the ``course`` profile and takes
its size from a plain config dict (``model.config``), so that a trained model can be saved
with its configuration and rebuilt exactly (see :mod:`s2i_lib.training`).

- :class:`AudioClassifier`  Chen et al. (2017), Fig. 4: 4 (or 3) conv layers and 3 fully
  connected layers on a time-frequency representation, dropout on the last two, an l2
  penalty on the FC weights; its 128-d FC layer is the *S2I-C* sound encoding.
- :class:`AudioAutoencoder` Chen et al. (2017), Sec. 4 (S2I-A): stacked conv/deconv
  autoencoder trained stack by stack with MSE down to a 128-d code.
- :class:`ImageClassifier`  Chen et al. (2017), Fig. 5: 6 conv (3x3) + 3 FC; its 128-d
  penultimate layer is the image encoding, and it stands in for Inception when the course
  scores generated images.
- :class:`SoundNet1D`       a narrow SoundNet (Aytar et al. 2016) on raw waveforms: 1-D
  convolutions with named taps (``conv1`` ... ``conv7``, ``pool5``), trained by
  distillation from the image classifier (notebook 02).

All models return a dict: ``logits`` and ``embedding`` (the 128-d layer) for the
classifiers, ``code`` and ``reconstruction`` for the autoencoder.
"""
from __future__ import annotations

from typing import Dict, Iterable, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

MODEL_VERSION = "1"
"""Bumped when an architecture changes, so that cached weights of the old one are not loaded."""


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

    The output of the second FC layer (after its ReLU, before dropout) is the embedding.
    """

    def __init__(self, in_features: int, num_classes: int, dropout: Tuple[float, float], embed: int = 128):
        super().__init__()
        self.fc1 = nn.Linear(in_features, 256)
        self.fc2 = nn.Linear(256, embed)
        self.fc3 = nn.Linear(embed, num_classes)
        self.drop1 = nn.Dropout(dropout[0])
        self.drop2 = nn.Dropout(dropout[1])

    def forward(self, h: torch.Tensor) -> Dict[str, torch.Tensor]:
        h = self.drop1(F.relu(self.fc1(h)))
        e = F.relu(self.fc2(h))
        return {"logits": self.fc3(self.drop2(e)), "embedding": e}

    def fc_weights(self) -> Iterable[torch.Tensor]:
        return (self.fc1.weight, self.fc2.weight, self.fc3.weight)


class AudioClassifier(nn.Module):
    """Sound classifier on a (frequency, time) representation (Chen et al. 2017, Fig. 4).

    ``depth`` conv blocks (3x3 conv, batch norm, ReLU, 2x2 max-pool) with widths
    ``width, 2*width, 4*width, 4*width``; the first conv has stride 2 so that large
    inputs (a 513-bin STFT) stay affordable on a CPU.  An adaptive max-pool to a 4x2 grid
    makes the head the same size for every representation.  Dropout follows the two
    hidden FC layers; the l2 penalty on the FC weights lives in the training loop
    (:func:`s2i_lib.training.fc_l2`).
    """

    def __init__(self, in_shape: Sequence[int], num_classes: int, depth: int = 4, width: int = 16,
                 dropout: Tuple[float, float] = (0.3, 0.2)):
        super().__init__()
        if depth not in (3, 4):
            raise ValueError(f"AudioClassifier depth must be 3 or 4, got {depth}")
        self.config = {"arch": "AudioClassifier", "in_shape": [int(s) for s in in_shape],
                       "num_classes": int(num_classes), "depth": int(depth), "width": int(width),
                       "dropout": [float(d) for d in dropout]}
        widths = [width, 2 * width, 4 * width, 4 * width][:depth]
        blocks, cin = [], 1
        for i, w in enumerate(widths):
            blocks.append(_conv2d_block(cin, w, stride=2 if i == 0 else 1))
            cin = w
        self.norm = Standardize()
        self.features = nn.Sequential(*blocks, nn.AdaptiveMaxPool2d((4, 2)), nn.Flatten())
        self.head = _Head(cin * 8, num_classes, tuple(dropout))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        if x.dim() == 3:
            x = x.unsqueeze(1)
        return self.head(self.features(self.norm(x)))


class ImageClassifier(nn.Module):
    """Image classifier (Chen et al. 2017, Fig. 5): six 3x3 conv layers in three pairs,
    each pair followed by a 2x2 max-pool, then FC(256) - FC(128) - FC(classes).

    Inputs are RGB in [0, 1] (any size divisible by 8; the course uses the profile's
    generated-image size).  The 128-d embedding is the image encoding of the S2I models
    and the feature space of the course's Inception-style scores.
    """

    def __init__(self, num_classes: int, image_size: int = 32, width: int = 16,
                 dropout: Tuple[float, float] = (0.3, 0.2)):
        super().__init__()
        self.config = {"arch": "ImageClassifier", "num_classes": int(num_classes), "image_size": int(image_size),
                       "width": int(width), "dropout": [float(d) for d in dropout]}
        w = [width, width, 2 * width, 2 * width, 4 * width, 4 * width]
        layers, cin = [], 3
        for i, c in enumerate(w):
            layers.append(_conv2d_block(cin, c, pool=(i % 2 == 1)))
            cin = c
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(4), nn.Flatten())
        self.head = _Head(cin * 16, num_classes, tuple(dropout))
        self.register_buffer("mean", torch.tensor([0.5, 0.5, 0.5]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.25, 0.25, 0.25]).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        size = self.config["image_size"]
        if x.shape[-1] != size or x.shape[-2] != size:
            x = F.interpolate(x, size=(size, size), mode="area")
        return self.head(self.features((x - self.mean) / self.std))


class SoundNet1D(nn.Module):
    """A narrow SoundNet on raw waveforms (after Aytar et al. 2016, 8-layer version).

    conv1..conv7 are 1-D convolutions with batch norm and ReLU, with max-pools after
    conv1, conv2 and conv5 (``pool5``); the last layer predicts a class distribution.
    conv1 uses kernel 32, stride 4 and a 4x pool where SoundNet has 64, 2 and 8: the same
    16x downsampling at a quarter of the cost of the layer that dominates on a CPU.
    It is four times narrower than SoundNet at ``width=16`` (4 to 256 channels instead of
    16 to 1024), which is plenty for SynthAV and trains in a minute on a CPU.  ``forward(x, taps=("pool5",))`` also returns
    the named layers' outputs averaged over time (``(B, C)`` each), which is how the
    papers use SoundNet as a feature extractor (Wan et al.: a hidden layer averaged over
    time; the multimodal-features paper: pool5).
    """

    TAPS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5", "conv6", "conv7")

    def __init__(self, num_classes: int, width: int = 16):
        super().__init__()
        self.config = {"arch": "SoundNet1D", "num_classes": int(num_classes), "width": int(width)}
        c = [max(2, width * m // 4) for m in (1, 2, 4, 8, 16, 32, 64)]
        spec = [  # (name, out channels, kernel, stride, pool after)
            ("conv1", c[0], 32, 4, 4), ("conv2", c[1], 32, 2, 8), ("conv3", c[2], 16, 2, 0),
            ("conv4", c[3], 8, 2, 0), ("conv5", c[4], 4, 2, 4), ("conv6", c[5], 4, 2, 0), ("conv7", c[6], 4, 2, 0),
        ]
        self.norm = Standardize()
        self.layers = nn.ModuleDict()
        self.pools = {}
        cin = 1
        for name, cout, k, s, pool in spec:
            self.layers[name] = nn.Sequential(nn.Conv1d(cin, cout, k, stride=s, padding=k // 2),
                                              nn.BatchNorm1d(cout), nn.ReLU(inplace=True))
            if pool:
                self.pools[name] = pool
            cin = cout
        self.out = nn.Linear(cin, num_classes)
        self.embed_dim = cin

    def forward(self, x: torch.Tensor, taps: Sequence[str] = ()) -> Dict[str, torch.Tensor]:
        unknown = [t for t in taps if t not in self.TAPS]
        if unknown:
            raise ValueError(f"unknown SoundNet1D taps {unknown}; choose from {self.TAPS}")
        if x.dim() == 2:
            x = x.unsqueeze(1)
        x = self.norm(x)
        out = {}
        for name, layer in self.layers.items():
            x = layer(x)
            if name in taps:
                out[name] = x.mean(-1)
            if name in self.pools:
                x = F.max_pool1d(x, self.pools[name], ceil_mode=True)
                pname = "pool" + name[-1]
                if pname in taps:
                    out[pname] = x.mean(-1)
        e = x.mean(-1)
        out["embedding"] = e
        out["logits"] = self.out(e)
        return out


class AudioAutoencoder(nn.Module):
    """Stacked convolutional autoencoder for a (frequency, time) representation
    (Chen et al. 2017, S2I-A).

    Stacks 1-3 each halve both axes with a strided conv and learn a deconv that undoes
    it; stack 4 flattens the last feature map and projects it to a ``code``-d vector with
    a fully connected layer (and back).  :func:`s2i_lib.training.train_autoencoder`
    trains the stacks in order, each to reconstruct its own input with MSE while the
    earlier stacks stay frozen, as in the paper.
    """

    def __init__(self, in_shape: Sequence[int], code: int = 128, width: int = 16):
        super().__init__()
        fdim, tdim = int(in_shape[0]), int(in_shape[1])
        self.config = {"arch": "AudioAutoencoder", "in_shape": [fdim, tdim], "code": int(code), "width": int(width)}
        chans = [1, width, 2 * width, 2 * width]
        self.enc = nn.ModuleList()
        self.dec = nn.ModuleList()
        shapes = [(fdim, tdim)]
        for i in range(3):
            self.enc.append(nn.Sequential(nn.Conv2d(chans[i], chans[i + 1], 4, stride=2, padding=1), nn.LeakyReLU(0.2)))
            f, t = shapes[-1]
            shapes.append((f // 2, t // 2))
        for i in range(3):
            f, t = shapes[i]
            self.dec.append(nn.Sequential(nn.ConvTranspose2d(chans[i + 1], chans[i], 4, stride=2, padding=1),
                                          nn.Identity() if i == 0 else nn.LeakyReLU(0.2)))
        self.shapes = shapes
        self.norm = Standardize()
        flat = chans[3] * shapes[3][0] * shapes[3][1]
        self.fc_enc = nn.Linear(flat, code)
        self.fc_dec = nn.Linear(code, flat)

    def _fit(self, y: torch.Tensor, shape: Tuple[int, int]) -> torch.Tensor:
        """Crop or pad a deconv output to the shape its stack took in (odd sizes)."""
        f, t = shape
        y = y[..., :f, :t]
        return F.pad(y, (0, t - y.shape[-1], 0, f - y.shape[-2]))

    def encode_stack(self, x: torch.Tensor, upto: int) -> torch.Tensor:
        """The input of stack ``upto`` (0 = the representation itself)."""
        if x.dim() == 3:
            x = x.unsqueeze(1)
        x = self.norm(x)
        for i in range(upto):
            x = self.enc[i](x)
        return x

    def stack_loss(self, x: torch.Tensor, stack: int) -> torch.Tensor:
        """MSE of stack ``stack`` (0..3) reconstructing its own input."""
        with torch.no_grad():
            h = self.encode_stack(x, stack)
        if stack < 3:
            y = self._fit(self.dec[stack](self.enc[stack](h)), self.shapes[stack])
        else:
            y = self.fc_dec(self.fc_enc(h.flatten(1))).view_as(h)
        return F.mse_loss(y, h)

    def stack_parameters(self, stack: int):
        if stack < 3:
            return list(self.enc[stack].parameters()) + list(self.dec[stack].parameters())
        return list(self.fc_enc.parameters()) + list(self.fc_dec.parameters())

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        h = self.encode_stack(x, 3)
        code = self.fc_enc(h.flatten(1))
        y = self.fc_dec(code).view_as(h)
        for i in (2, 1, 0):
            y = self._fit(self.dec[i](y), self.shapes[i])
        return {"code": code, "embedding": code, "reconstruction": y}


ARCHS = {"AudioClassifier": AudioClassifier, "ImageClassifier": ImageClassifier,
         "SoundNet1D": SoundNet1D, "AudioAutoencoder": AudioAutoencoder}


def from_config(config: dict) -> nn.Module:
    """Rebuild a model from its ``config`` dict (as saved next to its weights); the GAN
    networks of :mod:`s2i_lib.gan` are known too."""
    from . import gan
    archs = {**ARCHS, "CondGenerator": gan.CondGenerator, "CondDiscriminator": gan.CondDiscriminator}
    cfg = dict(config)
    arch = cfg.pop("arch", None)
    if arch not in archs:
        raise ValueError(f"unknown architecture {arch!r} in model config; known: {sorted(archs)}")
    if "dropout" in cfg:
        cfg["dropout"] = tuple(cfg["dropout"])
    for k in ("out_shape", "in_shape"):
        if k in cfg:
            cfg[k] = tuple(cfg[k])
    return archs[arch](**cfg)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
