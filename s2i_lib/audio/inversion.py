"""Listening to a spectrogram: from a log-mel spectrogram back to a waveform.

Taught in notebook 03, which plays the spectrograms its image-to-sound GAN generates
(and Chen et al.'s Sec. 5.3 remark that a mel spectrogram loses the detail between its
bands).  The magnitude comes from inverting the mel filterbank, the phase from
the Griffin-Lim iteration, both as librosa implements them.
"""
from __future__ import annotations

import numpy as np
import torch

from .representations import AudioRep


def logmel_to_waveform(lms, rep: AudioRep, n_iter: int = 64, seed: int = 0) -> np.ndarray:
    """Listen to a log-mel spectrogram: undo the dB, invert the mel filterbank (a
    non-negative least-squares fit, so detail between mel bands is lost, as Chen et al.
    note in Sec. 5.3) and recover a phase with Griffin-Lim (``n_iter`` iterations).

    ``lms`` is ``(n_mels, frames)`` in dB as :class:`AudioRep` computes it (kind
    ``"logmel"``), numpy or torch; returns a float32 waveform at ``rep.sample_rate``.
    """
    import librosa
    if rep.kind != "logmel":
        raise ValueError(f"logmel_to_waveform needs a logmel representation, got kind {rep.kind!r}")
    m = lms.detach().cpu().numpy() if isinstance(lms, torch.Tensor) else np.asarray(lms)
    if m.ndim != 2 or m.shape[0] != rep.n_mels:
        raise ValueError(f"expected a ({rep.n_mels}, frames) log-mel spectrogram, got shape {m.shape}")
    power = np.power(10.0, m.astype(np.float64) / 10.0)
    mag = librosa.feature.inverse.mel_to_stft(power, sr=rep.sample_rate, n_fft=rep.n_fft, power=2.0,
                                              fmin=rep.fmin, fmax=rep.fmax, htk=False, norm="slaney")
    y = librosa.griffinlim(mag, n_iter=n_iter, hop_length=rep.hop_length, win_length=rep.n_fft, window="hann",
                           center=True, init="random", random_state=seed)
    return y.astype(np.float32)
