"""Sound encoders of notebook 02 that are not classifiers of labels.

- :class:`SoundNet1D`       a narrow SoundNet (Aytar et al. 2016) on raw waveforms: 1-D
  convolutions with named taps (``conv1`` ... ``conv7``, ``pool5``), trained by
  distillation from the image classifier.
- :class:`AudioAutoencoder` Chen et al. (2017), Sec. 4 (S2I-A): stacked conv/deconv
  autoencoder trained stack by stack with MSE down to a 128-d code.
"""
from __future__ import annotations

from typing import Dict, Iterable, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import Standardize, _Head
from .registry import register


@register
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
        self.config = {"arch": "SoundNet1D", "version": self.VERSION, "num_classes": int(num_classes), "width": int(width)}
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


@register
class AudioAutoencoder(nn.Module):
    """Stacked convolutional autoencoder for a (frequency, time) representation
    (Chen et al. 2017, S2I-A).

    Stacks 1-3 each halve both axes with a strided conv and learn a deconv that undoes
    it; stack 4 flattens the last feature map and projects it to a ``code``-d vector with
    a fully connected layer (and back).  :func:`s2i_lib.train.train_autoencoder`
    trains the stacks in order, each to reconstruct its own input with MSE while the
    earlier stacks stay frozen, as in the paper.
    """

    def __init__(self, in_shape: Sequence[int], code: int = 128, width: int = 16):
        super().__init__()
        fdim, tdim = int(in_shape[0]), int(in_shape[1])
        self.config = {"arch": "AudioAutoencoder", "version": self.VERSION, "in_shape": [fdim, tdim], "code": int(code), "width": int(width)}
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


