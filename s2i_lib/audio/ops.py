"""Operations on waveforms: resampling, loudness in decibels, gain, mixing, time shifts.

Taught in notebook 02, where they show what each representation does with a quieter
sound, a mixture and a delay (and notebook 04 uses :func:`gain` for its volume
experiment).  Every function takes a numpy array or a torch tensor, returns the same
type (on the same device), and acts on the last axis.
"""
from __future__ import annotations

from typing import Union

import numpy as np
import torch
import torch.nn.functional as F

Wave = Union[np.ndarray, torch.Tensor]


def resample(wave: Wave, orig_sr: int, new_sr: int) -> Wave:
    """Resample along the last axis with ``torchaudio.functional.resample``; same type out."""
    import torchaudio.functional as AF
    if int(orig_sr) != orig_sr or int(new_sr) != new_sr or orig_sr <= 0 or new_sr <= 0:
        raise ValueError(f"sample rates must be positive integers, got {orig_sr} and {new_sr}")
    x = wave if isinstance(wave, torch.Tensor) else torch.from_numpy(np.asarray(wave, dtype=np.float32))
    y = AF.resample(x.to(torch.float32), int(orig_sr), int(new_sr)) if orig_sr != new_sr else x.clone()
    return y if isinstance(wave, torch.Tensor) else y.numpy()


def db_to_amplitude(db):
    """``10 ** (db / 20)``: +6.02 dB doubles an amplitude, -20 dB divides it by 10."""
    return torch.pow(10.0, db / 20.0) if isinstance(db, torch.Tensor) else np.power(10.0, np.asarray(db) / 20.0)


def amplitude_to_db(amplitude, amin: float = 1e-5):
    """``20 * log10(max(|a|, amin))``; the default floor is -100 dB, matching logmel's."""
    if isinstance(amplitude, torch.Tensor):
        return 20.0 * torch.log10(torch.clamp(amplitude.abs(), min=amin))
    return 20.0 * np.log10(np.maximum(np.abs(amplitude), amin))


def _float(wave: Wave) -> Wave:
    if isinstance(wave, torch.Tensor):
        return wave if wave.is_floating_point() else wave.to(torch.float32)
    wave = np.asarray(wave)
    return wave if np.issubdtype(wave.dtype, np.floating) else wave.astype(np.float32)


def gain(wave: Wave, factor: float) -> Wave:
    """The waveform multiplied by ``factor``."""
    return _float(wave) * factor


def gain_db(wave: Wave, db: float) -> Wave:
    """The waveform made ``db`` decibels louder (``+6.0206`` doubles it, negative is quieter)."""
    return gain(wave, float(db_to_amplitude(db)))


def mix(a: Wave, b: Wave, ratio: float = 0.5) -> Wave:
    """``ratio * a + (1 - ratio) * b``.  ``ratio`` in [0, 1] is the weight of ``a``; the
    shorter waveform is padded with zeros at its end.  Returns the type of ``a``."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"mix ratio must be between 0 and 1, got {ratio}")
    a = _float(a)
    if isinstance(a, torch.Tensor):
        b = torch.as_tensor(np.asarray(b) if not isinstance(b, torch.Tensor) else b, device=a.device).to(a.dtype)
        n = max(a.shape[-1], b.shape[-1])
        a, b = F.pad(a, (0, n - a.shape[-1])), F.pad(b, (0, n - b.shape[-1]))
    else:
        b = np.asarray(b.detach().cpu() if isinstance(b, torch.Tensor) else b, dtype=a.dtype)
        n = max(a.shape[-1], b.shape[-1])
        pad = lambda v: np.pad(v, [(0, 0)] * (v.ndim - 1) + [(0, n - v.shape[-1])])
        a, b = pad(a), pad(b)
    return ratio * a + (1.0 - ratio) * b


def time_shift(wave: Wave, seconds: float, sample_rate: int, mode: str = "pad") -> Wave:
    """The waveform moved ``seconds`` later (earlier if negative), keeping its length.

    ``mode="pad"`` fills the gap with zeros and drops what falls off the end;
    ``mode="roll"`` wraps it around to the other end (so shifting back restores it)."""
    if mode not in ("pad", "roll"):
        raise ValueError(f"unknown time_shift mode {mode!r}; use 'pad' or 'roll'")
    wave = _float(wave)
    shift = int(round(seconds * sample_rate))
    is_torch = isinstance(wave, torch.Tensor)
    if mode == "roll":
        return torch.roll(wave, shift, dims=-1) if is_torch else np.roll(wave, shift, axis=-1)
    out = torch.zeros_like(wave) if is_torch else np.zeros_like(wave)
    n = wave.shape[-1]
    if abs(shift) < n:
        if shift >= 0:
            out[..., shift:] = wave[..., :n - shift]
        else:
            out[..., :n + shift] = wave[..., -shift:]
    return out
