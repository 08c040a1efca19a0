"""Audio representations: one call turns waveforms into what a sound-to-image model sees.

Every notebook and training script gets its audio features from :class:`AudioRep`, a
small frozen description of a representation that is also the function computing it::

    rep = representation("chen2017")        # log-mel spectrogram, 44.1 kHz, 128 bands
    lms = rep(waves)                         # (N,) -> (F, T)   or   (B, N) -> (B, F, T)

Kinds (:data:`KINDS`), with ``X`` the STFT of the waveform (periodic Hann window,
``center=True``, reflect padding):

``waveform``  the samples themselves, as a one-row "spectrogram" ``(1, N)``.
``stft``      magnitude ``|X|``, ``(n_fft//2 + 1, frames)``.
``mel``       mel spectrum ``M = mel_filterbank @ |X|**2`` (Chen et al. 2017 call it MS);
              Slaney-style mel scale and area-normalised triangles, librosa's default.
``logmel``    ``10*log10(max(M, amin))`` in dB with ``ref = 1`` (Chen et al.'s LMS).  With
              ``amin = 1e-10`` silence gives exactly -100 dB; no ``top_db`` clipping
              unless you set ``top_db``.
``cqt``       constant-Q magnitude, ``cqt_bins`` log-spaced bins from ``cqt_fmin`` (C2).
``mfcc``      orthonormal DCT-II of the logmel over the mel axis, first ``n_mfcc`` rows
              (librosa's convention, but on *our* logmel: no 80 dB ``top_db`` clip).
``fbank``     Kaldi log mel filter-bank energies (natural log) from
              ``torchaudio.compliance.kaldi.fbank``: 25 ms Povey window, 10 ms shift,
              no dither, ``n_mels`` bands, returned as ``(n_mels, frames)``.  ``n_fft``
              and ``hop_length`` are not used.  Torch backend only.

Frames: ``1 + N // hop_length`` for stft/mel/logmel/mfcc/cqt; ``1 + (N - W) // S`` for
fbank (``W = int(0.025 * sr)``, ``S = int(0.010 * sr)``).  ``rep.output_shape(N)`` gives
the shape without touching audio.

Backends.  ``backend="torch"`` computes whole batches with torch on the input's device
(so a CUDA tensor is processed on the GPU); windows, filterbanks and CQT kernels are built
once per device and cached.  It is differentiable.  ``backend="librosa"`` loops over
the items with librosa and returns a tensor; it exists to check the torch code and to
show the reference implementation.  torchaudio has no CQT, so the torch CQT is written
here: complex Hann-windowed sinusoids of length ``Q * sr / f_k`` with librosa's
``Q = (r**2 + 1) / (r**2 - 1)``, ``r = 2**(1/bins_per_octave)`` (about 17.3 for 12 bins
per octave, close to the textbook ``1/(r - 1)``), scaled like ``librosa.cqt`` defaults
(L1-normalised kernels times ``sqrt(length)``, so a unit sine at a bin's centre gives
about ``sqrt(length)/2``), applied once per hop to zero-padded, centred frames.  Like
librosa it works octave by octave and halves the sample rate (a short FIR low-pass then
every second sample) for each lower octave, so long low-frequency kernels stay short.

Agreement between backends, measured on 0.5 s and 1-2 s of tones plus noise (tolerance
first, as asserted in ``tests/test_audio.py``; measured value in brackets):

* stft, mel, mfcc: ``||torch - librosa|| / ||librosa|| < 1e-4``  [1e-7, 2e-6, 7e-7];
* logmel: max ``|torch - librosa|`` over cells above -90 dB ``< 0.01 dB``  [3e-4 dB];
* cqt: relative error as above ``< 0.02``  [0.008 with the defaults, 0.004-0.013 over
  other rates, hops and bin counts], correlation ``> 0.9998`` [0.99997], median ratio
  torch/librosa over cells within 20 dB of the maximum within 1 % of 1  [1.001].
  librosa resamples with another filter and sparsifies its kernels, so the two CQTs are
  close but not identical; the largest differences are in the lowest bins.

These tolerances are tight enough to catch real mistakes: an HTK mel scale misses the
logmel one by 44 dB, mel filters without Slaney normalisation by 25 dB, and a CQT built
with the textbook ``Q = 1/(r - 1)`` instead of librosa's misses all three CQT checks.

The sample rate of the waveform is the caller's business: resample first with
:func:`s2i_lib.audio.ops.resample` when it differs from ``rep.sample_rate``.

Taught in notebook 02 (Chen et al.'s Table 1: which representation a sound classifier
learns best from).  Operations on waveforms are in :mod:`s2i_lib.audio.ops`; turning a
log-mel spectrogram back into sound is in :mod:`s2i_lib.audio.inversion`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

Wave = Union[np.ndarray, torch.Tensor]

KINDS = ("waveform", "stft", "mel", "logmel", "cqt", "mfcc", "fbank")
BACKENDS = ("torch", "librosa")
C2_HZ = 440.0 * 2.0 ** (-33 / 12)          # 65.406 Hz, the lowest CQT bin by default

_LABELS = {"waveform": "waveform", "stft": "STFT", "mel": "MS", "logmel": "LMS",
           "cqt": "CQT", "mfcc": "MFCC", "fbank": "fbank"}
_AXIS_LABELS = {"waveform": "amplitude", "stft": "frequency (Hz)", "mel": "mel band",
                "logmel": "mel band", "cqt": "CQT bin (log frequency)",
                "mfcc": "quefrency (coefficient)", "fbank": "mel band (Kaldi)"}
_FBANK_WINDOW_MS, _FBANK_SHIFT_MS = 25.0, 10.0
_CHUNK_SAMPLES = 2 ** 21                   # the torch backend works on about this many samples at a time


@dataclass(frozen=True)
class AudioRep:
    """A representation of audio, and the function that computes it.

    Call it on a waveform: ``(N,)`` gives ``(F, T)``, ``(B, N)`` gives ``(B, F, T)``; numpy
    arrays and torch tensors are accepted, the result is always a float32 tensor on the
    input tensor's device (CPU for numpy).  Fields that a kind does not use are ignored
    (``n_mfcc`` for ``mel``, the ``cqt_*`` fields for ``stft`` ...).  ``fmin``/``fmax``
    limit the mel filterbank (mel, logmel, mfcc, fbank); ``fmax=None`` means Nyquist.
    """
    kind: str
    sample_rate: int = 22050
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    n_mfcc: int = 20
    fmin: float = 0.0
    fmax: Optional[float] = None
    cqt_fmin: float = C2_HZ
    cqt_bins: int = 72
    cqt_bins_per_octave: int = 12
    amin: float = 1e-10
    top_db: Optional[float] = None
    backend: str = "torch"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown representation kind {self.kind!r}; kinds are {', '.join(KINDS)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; backends are {', '.join(BACKENDS)}")
        if self.kind == "fbank" and self.backend == "librosa":
            raise ValueError("fbank is Kaldi's feature and exists only with backend='torch' "
                             "(librosa has no Kaldi fbank)")
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels", "n_mfcc", "cqt_bins", "cqt_bins_per_octave"):
            value = getattr(self, name)
            if int(value) != value or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        nyquist = self.sample_rate / 2
        fmax = nyquist if self.fmax is None else self.fmax
        if not 0 <= self.fmin < fmax <= nyquist:
            raise ValueError(f"need 0 <= fmin < fmax <= sample_rate/2 = {nyquist:g} Hz, got fmin={self.fmin}, fmax={self.fmax}")
        if self.kind == "mfcc" and self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc={self.n_mfcc} cannot exceed n_mels={self.n_mels}")
        if self.amin <= 0 or (self.top_db is not None and self.top_db < 0):
            raise ValueError(f"need amin > 0 and top_db None or >= 0, got amin={self.amin}, top_db={self.top_db}")
        if self.kind == "cqt":
            q = _cqt_q(self.cqt_bins_per_octave)
            top = self.cqt_fmin * 2.0 ** ((self.cqt_bins - 1) / self.cqt_bins_per_octave)
            if self.cqt_fmin <= 0 or top * (1 + 0.75 / q) > nyquist:   # librosa's limit (-3 dB edge of the top filter)
                raise ValueError(f"CQT from {self.cqt_fmin:g} Hz with {self.cqt_bins} bins reaches {top:.0f} Hz, "
                                 f"too close to the Nyquist frequency {nyquist:g} Hz; use fewer bins or a higher sample rate")

    # ---------------------------------------------------------------- description
    @property
    def label(self) -> str:
        """Short name for titles and legends: "LMS", "MS", "STFT", "CQT", "MFCC", ..."""
        return _LABELS[self.kind]

    @property
    def axis_label(self) -> str:
        """Label of the first (frequency-like) axis of the output, for plots."""
        return _AXIS_LABELS[self.kind]

    def as_dict(self) -> Dict[str, object]:
        """All fields as a plain dict (JSON-friendly; model caches use it as their key)."""
        return dataclasses.asdict(self)

    def frequencies(self) -> Optional[np.ndarray]:
        """Centre frequency in Hz of each output row (stft bins, mel bands, CQT bins, Kaldi
        bands); ``None`` for waveform and mfcc, whose rows are not frequencies."""
        fmax = self.sample_rate / 2 if self.fmax is None else self.fmax
        if self.kind == "stft":
            return np.arange(self.n_fft // 2 + 1) * self.sample_rate / self.n_fft
        if self.kind in ("mel", "logmel"):    # Slaney mel scale: linear below 1 kHz, logarithmic above
            return _slaney_mel_to_hz(np.linspace(_hz_to_slaney_mel(self.fmin), _hz_to_slaney_mel(fmax), self.n_mels + 2)[1:-1])
        if self.kind == "fbank":              # Kaldi mel scale: 1127 ln(1 + f/700)
            mels = np.linspace(1127 * np.log1p(self.fmin / 700), 1127 * np.log1p(fmax / 700), self.n_mels + 2)[1:-1]
            return 700 * np.expm1(mels / 1127)
        if self.kind == "cqt":
            return self.cqt_fmin * 2.0 ** (np.arange(self.cqt_bins) / self.cqt_bins_per_octave)
        return None

    def output_shape(self, num_samples: int) -> Tuple[int, int]:
        """``(F, T)`` for one waveform of ``num_samples`` samples, without computing anything.

        Raises ValueError when the waveform is too short for this representation."""
        n = int(num_samples)
        if n <= 0:
            raise ValueError(f"empty waveform: {self.label} needs at least one sample")
        if self.kind == "waveform":
            return (1, n)
        if self.kind == "fbank":
            win, shift = (int(self.sample_rate * ms * 0.001) for ms in (_FBANK_WINDOW_MS, _FBANK_SHIFT_MS))
            if n < win:
                raise ValueError(f"waveform of {n} samples is shorter than one {_FBANK_WINDOW_MS:g} ms fbank window ({win} samples)")
            return (self.n_mels, 1 + (n - win) // shift)
        if self.kind != "cqt" and n <= self.n_fft // 2:
            raise ValueError(f"waveform of {n} samples is too short for {self.label} with n_fft={self.n_fft}: "
                             f"reflect padding needs more than n_fft//2 = {self.n_fft // 2} samples")
        rows = {"stft": self.n_fft // 2 + 1, "mel": self.n_mels, "logmel": self.n_mels,
                "mfcc": self.n_mfcc, "cqt": self.cqt_bins}[self.kind]
        return (rows, 1 + n // self.hop_length)

    # ---------------------------------------------------------------- computation
    def __call__(self, wave: Wave) -> torch.Tensor:
        x, single = _as_batch(wave)
        self.output_shape(x.shape[-1])                         # validates the length
        if self.kind == "waveform":
            out = x[:, None, :].clone()
        elif self.backend == "torch":
            rows = max(1, _CHUNK_SAMPLES // x.shape[-1])
            out = torch.cat([_torch_rep(self, part) for part in x.split(rows)])
        else:
            out = torch.stack([torch.from_numpy(np.ascontiguousarray(_librosa_rep(self, row), dtype=np.float32))
                               for row in x.detach().cpu().numpy()]).to(x.device)
        return out[0] if single else out


def _as_batch(wave: Wave) -> Tuple[torch.Tensor, bool]:
    """The waveform as a float32 ``(B, N)`` tensor on its own device, and whether it was 1-D."""
    x = wave if isinstance(wave, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(wave))
    if x.ndim not in (1, 2):
        raise ValueError(f"expected a waveform of shape (N,) or a batch (B, N), got shape {tuple(x.shape)}")
    if x.shape[-1] == 0 or x.numel() == 0:
        raise ValueError(f"empty waveform: shape {tuple(x.shape)} has no samples")
    x = x.to(torch.float32)
    if not bool(torch.isfinite(x).all()):
        raise ValueError("waveform contains NaN or infinite samples")
    return (x[None], True) if x.ndim == 1 else (x, False)


# ---------------------------------------------------------------------------- torch backend
@lru_cache(maxsize=None)
def _hann(n_fft: int, device: torch.device) -> torch.Tensor:
    return torch.hann_window(n_fft, periodic=True, device=device)


@lru_cache(maxsize=None)
def _mel_filterbank(rep: AudioRep, device: torch.device) -> torch.Tensor:
    """``(n_fft//2 + 1, n_mels)`` Slaney mel filters, the transpose of ``librosa.filters.mel``."""
    import torchaudio.functional as AF
    fb = AF.melscale_fbanks(rep.n_fft // 2 + 1, f_min=float(rep.fmin),
                            f_max=float(rep.fmax or rep.sample_rate / 2), n_mels=rep.n_mels,
                            sample_rate=rep.sample_rate, norm="slaney", mel_scale="slaney")
    return fb.to(device)


@lru_cache(maxsize=None)
def _dct_matrix(n_mfcc: int, n_mels: int, device: torch.device) -> torch.Tensor:
    """``(n_mfcc, n_mels)`` orthonormal DCT-II."""
    import torchaudio.functional as AF
    return AF.create_dct(n_mfcc, n_mels, norm="ortho").T.contiguous().to(device)


def _torch_rep(rep: AudioRep, x: torch.Tensor) -> torch.Tensor:
    """One chunk ``(B, N)`` -> ``(B, F, T)`` with torch."""
    if rep.kind == "fbank":
        return _kaldi_fbank(rep, x)
    if rep.kind == "cqt":
        return _cqt(rep, x)
    spec = torch.stft(x, rep.n_fft, hop_length=rep.hop_length, window=_hann(rep.n_fft, x.device),
                      center=True, pad_mode="reflect", return_complex=True)
    if rep.kind == "stft":
        return spec.abs()
    power = spec.real ** 2 + spec.imag ** 2                      # (B, F, T)
    mel = (power.transpose(1, 2) @ _mel_filterbank(rep, x.device)).transpose(1, 2)   # one big matmul
    if rep.kind == "mel":
        return mel
    db = 10.0 * torch.log10(torch.clamp(mel, min=rep.amin))
    if rep.top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - rep.top_db)
    if rep.kind == "logmel":
        return db
    return _dct_matrix(rep.n_mfcc, rep.n_mels, x.device) @ db


def _kaldi_fbank(rep: AudioRep, x: torch.Tensor) -> torch.Tensor:
    """Kaldi's fbank, one waveform at a time (torchaudio's implementation is not batched)."""
    from torchaudio.compliance import kaldi
    return torch.stack([kaldi.fbank(row[None], sample_frequency=float(rep.sample_rate), num_mel_bins=rep.n_mels,
                                    frame_length=_FBANK_WINDOW_MS, frame_shift=_FBANK_SHIFT_MS, dither=0.0,
                                    low_freq=float(rep.fmin), high_freq=float(rep.fmax or 0.0)).T
                        for row in x])


def _cqt_q(bins_per_octave: int) -> float:
    """librosa's quality factor: filters k-1 and k+1 just meet at their bandwidth edges."""
    r2 = 2.0 ** (2.0 / bins_per_octave)
    return (r2 + 1) / (r2 - 1)


@lru_cache(maxsize=None)
def _halfband(device: torch.device) -> torch.Tensor:
    """Low-pass FIR for halving the sample rate: Blackman-windowed sinc, cutoff at the new
    Nyquist, 31 taps.  Flat (within 0.01 dB) below 1/8 of the old rate, more than 70 dB
    down above 3/8 of it, which is all the CQT needs (see :func:`_cqt_plan`)."""
    n = np.arange(31) - 15
    h = 0.5 * np.sinc(n / 2) * np.blackman(31)
    return torch.tensor(h / h.sum(), dtype=torch.float32, device=device).view(1, 1, -1)


@lru_cache(maxsize=None)
def _cqt_plan(rep: AudioRep, device: torch.device) -> List[Tuple[int, int, int, torch.Tensor]]:
    """CQT kernels, one group per octave from the top: ``(first_bin, level, half_width, W)``.

    The group runs at ``sr / 2**level``; ``W`` is ``(P, 2K)`` (real parts of K kernels, then
    imaginary parts), each kernel centred at index ``half_width`` of its ``P`` taps.  An
    octave moves down one level when the hop stays an integer and all its filters stay
    below a quarter of the lower rate (so :func:`_halfband` leaves them untouched)."""
    sr, bpo = rep.sample_rate, rep.cqt_bins_per_octave
    q, freqs = _cqt_q(bpo), rep.frequencies()
    plan, level = [], 0
    for top in range(rep.cqt_bins, 0, -bpo):
        first = max(0, top - bpo)
        edge = freqs[top - 1] * (1 + 2 / q)                        # end of the top filter's main lobe
        while rep.hop_length % 2 ** (level + 1) == 0 and edge <= sr / 2 ** (level + 3):
            level += 1
        rate = sr / 2 ** level
        lengths = q * rate / freqs[first:top]                     # taps at this rate
        half = int(lengths.max()) // 2 + 1
        w = np.zeros((2 * half + 1, 2 * (top - first)))
        for j, (f, length) in enumerate(zip(freqs[first:top], lengths)):
            m = int(length)
            n = np.arange(m) - m // 2
            window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(m) / m)          # periodic Hann
            kernel = window * np.exp(-2j * np.pi * f * n / rate) / window.sum() * np.sqrt(length * 2 ** level)
            w[n + half, j], w[n + half, top - first + j] = kernel.real, kernel.imag
        plan.append((first, level, half, torch.tensor(w, dtype=torch.float32, device=device)))
    return plan


def _cqt(rep: AudioRep, x: torch.Tensor) -> torch.Tensor:
    """Constant-Q magnitude ``(B, cqt_bins, 1 + N // hop)``, zero padding at the edges like librosa."""
    frames = 1 + x.shape[-1] // rep.hop_length
    out = x.new_empty(x.shape[0], rep.cqt_bins, frames)
    y, level = x, 0
    for first, group_level, half, w in _cqt_plan(rep, x.device):
        while level < group_level:                                 # halve the rate: low-pass, keep every 2nd sample
            y = F.conv1d(y[:, None], _halfband(x.device), stride=2, padding=15)[:, 0]
            level += 1
        hop = rep.hop_length >> level
        windows = F.pad(y, (half, half + hop)).unfold(-1, 2 * half + 1, hop)[:, :frames]  # (B, T, P)
        z = windows @ w                                            # (B, T, 2K)
        k = w.shape[1] // 2
        out[:, first:first + k] = torch.sqrt(z[..., :k] ** 2 + z[..., k:] ** 2).transpose(1, 2)
    return out


# ---------------------------------------------------------------------------- librosa backend
def _librosa_rep(rep: AudioRep, y: np.ndarray) -> np.ndarray:
    """One waveform ``(N,)`` -> ``(F, T)`` with librosa (the reference for the torch code)."""
    import librosa
    if rep.kind == "cqt":
        return np.abs(librosa.cqt(y, sr=rep.sample_rate, hop_length=rep.hop_length, fmin=rep.cqt_fmin,
                                  n_bins=rep.cqt_bins, bins_per_octave=rep.cqt_bins_per_octave))
    if rep.kind == "stft":
        return np.abs(librosa.stft(y, n_fft=rep.n_fft, hop_length=rep.hop_length, window="hann",
                                   center=True, pad_mode="reflect"))
    mel = librosa.feature.melspectrogram(y=y, sr=rep.sample_rate, n_fft=rep.n_fft, hop_length=rep.hop_length,
                                         window="hann", center=True, pad_mode="reflect", power=2.0,
                                         n_mels=rep.n_mels, fmin=rep.fmin, fmax=rep.fmax)
    if rep.kind == "mel":
        return mel
    db = librosa.power_to_db(mel, ref=1.0, amin=rep.amin, top_db=rep.top_db)
    if rep.kind == "logmel":
        return db
    return librosa.feature.mfcc(S=db, n_mfcc=rep.n_mfcc, dct_type=2, norm="ortho")


# ---------------------------------------------------------------------------- presets
PRESETS: Dict[str, AudioRep] = {
    # Chen et al. 2017, "Deep cross-modal audio-visual generation", Sec. 3: log-mel
    # spectrogram (LMS) of 44.1 kHz audio, 2048-point FFT, hop 512, 128 mel bands.
    "chen2017": AudioRep("logmel", sample_rate=44100, n_fft=2048, hop_length=512, n_mels=128),
    # SoundNet (Aytar et al. 2016) takes the raw 22,050 Hz waveform.
    "soundnet": AudioRep("waveform", sample_rate=22050),
    # Wan et al. 2019, Table 2, compare hand-made spectrogram, fbank and MFCC inputs.  The
    # settings are ours, the usual speech front-end values at 22,050 Hz: ~23 ms windows
    # (512 samples) every 10 ms (220 samples), 40 mel bands, 13 MFCCs.
    "wan2019_spectrogram": AudioRep("stft", n_fft=512, hop_length=220),
    "wan2019_fbank": AudioRep("fbank", n_mels=40),
    "wan2019_mfcc": AudioRep("mfcc", n_fft=512, hop_length=220, n_mels=40, n_mfcc=13),
    # Chen et al.'s windows in seconds at SynthAV's 22,050 Hz: a 1024-point FFT (46 ms) every
    # 256 samples (11.6 ms), so half a second gives the 128 x 44 LMS of their Sec. 5.3.
    "chen2017_22k": AudioRep("logmel", sample_rate=22050, n_fft=1024, hop_length=256, n_mels=128),
    # each kind with the course defaults: 22,050 Hz and Chen et al.'s window and hop in
    # seconds (n_fft 1024, hop 256), 128 mel bands, 20 MFCCs, 72 CQT bins from C2
    **{kind: AudioRep(kind) if kind in ("waveform", "fbank") else AudioRep(kind, n_fft=1024, hop_length=256)
       for kind in KINDS},
}


def representation(name_or_kind: str, **overrides) -> AudioRep:
    """The preset (or kind with course defaults) ``name_or_kind``, with fields replaced by
    ``overrides``, e.g. ``representation("logmel", n_mels=64, backend="librosa")``."""
    if name_or_kind not in PRESETS:
        raise ValueError(f"unknown representation or preset {name_or_kind!r}; choose one of {', '.join(PRESETS)}")
    known = {f.name for f in dataclasses.fields(AudioRep)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown AudioRep field(s) {', '.join(unknown)}; fields are {', '.join(sorted(known))}")
    return dataclasses.replace(PRESETS[name_or_kind], **overrides)


# ---------------------------------------------------------------------------- small helpers
def _hz_to_slaney_mel(f):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f < 1000, 3 * f / 200, 15 + 27 * np.log(np.maximum(f, 1e-9) / 1000) / np.log(6.4))


def _slaney_mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15, 200 * m / 3, 1000 * np.exp((m - 15) * np.log(6.4) / 27))
