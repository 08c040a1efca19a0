"""DSP helpers the sound models are built from: spectral filters, coloured noise, slow
random controls, Karplus-Strong plucked strings, envelopes, crowds, thumps, the defect
noises (white, pink, brown, mains hum) and gating windows.

All work on float64 NumPy arrays at a sample rate ``sr``; none draws random numbers except
from the generator it is given, so a clip's sound is fixed by its seed.
"""
from __future__ import annotations

import math

import numpy as np

from .seeding import pick


def fft_filter(x: np.ndarray, sr: int, gain) -> np.ndarray:
    """Filter ``x`` by multiplying its spectrum by ``gain(freqs)`` (zero phase)."""
    n = len(x)
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / sr)
    X *= gain(np.maximum(f, 1e-3))
    return np.fft.irfft(X, n)


def bandpass(lo, hi, order=2):
    """Smooth band-pass magnitude response (``lo``/``hi`` in Hz; None = open)."""
    def g(f):
        r = np.ones_like(f)
        if lo:
            r /= np.sqrt(1.0 + (lo / f) ** (2 * order))
        if hi:
            r /= np.sqrt(1.0 + (f / hi) ** (2 * order))
        return r
    return g


def colored_noise(rng, n, sr, lo=None, hi=None, slope=0.0, order=2):
    """White noise shaped by a band-pass and a spectral tilt ``f ** -slope`` (1 = pink-ish
    in power terms when slope=0.5)."""
    x = rng.standard_normal(n)
    bp = bandpass(lo, hi, order)
    return fft_filter(x, sr, lambda f: bp(f) * (f / 1000.0) ** (-slope))


def smooth_random(rng, n, sr, rate_hz, lo=0.0, hi=1.0):
    """A slowly varying random control signal in [lo, hi] (``rate_hz`` changes per second)."""
    k = max(2, int(math.ceil(n / sr * rate_hz)) + 2)
    knots = rng.uniform(lo, hi, k)
    pos = np.linspace(0, k - 1, n)
    return np.interp(pos, np.arange(k), knots)


def add_at(out: np.ndarray, sig: np.ndarray, start: int, gain=1.0) -> None:
    """Add ``gain * sig`` into ``out`` from sample ``start`` on (clipped at both ends)."""
    if start >= len(out):
        return
    a = max(start, 0)
    b = min(start + len(sig), len(out))
    if b > a:
        out[a:b] += gain * sig[a - start:b - start]


def midi_hz(m) -> float:
    """The frequency of MIDI note ``m`` (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((float(m) - 69.0) / 12.0)


def karplus_strong(rng, f0, sr, seconds, t60=2.0, bright=0.7) -> np.ndarray:
    """A plucked string: a noise burst circulating in a delay line of one period with an
    averaging loss filter (Karplus-Strong).  Vectorised one period at a time: each new
    sample depends on samples one and two periods (plus one) earlier."""
    m = int(seconds * sr)
    L = max(2, int(round(sr / f0)))
    buf = np.zeros(m + 1)
    burst = rng.uniform(-1.0, 1.0, L)
    # a duller pluck: blend the burst with a smoothed copy of itself
    smooth = np.convolve(burst, np.ones(3) / 3, mode="same")
    buf[1:L + 1] = bright * burst + (1 - bright) * smooth
    rho = 10.0 ** (-3.0 / (t60 * f0))
    for s in range(L + 1, m + 1, L):
        e = min(s + L, m + 1)
        buf[s:e] = rho * 0.5 * (buf[s - L:e - L] + buf[s - L - 1:e - L - 1])
    out = buf[1:]
    fade = min(len(out), int(0.02 * sr))
    out[-fade:] *= np.linspace(1, 0, fade)
    return out


def decay_env(n, sr, tau, attack=0.002):
    """An exponential attack (``attack`` s) then decay (time constant ``tau`` s)."""
    t = np.arange(n) / sr
    return (1.0 - np.exp(-t / attack)) * np.exp(-t / tau)


def crowd(rng, n, sr, voices, lo, hi, rate, swell):
    """A crowd: ``voices`` band-limited noises centred between ``lo`` and ``hi`` Hz, each
    fading in and out ``rate`` times a second, the whole swelling by ``swell``."""
    out = np.zeros(n)
    for _ in range(voices):
        fc = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        v = colored_noise(rng, n, sr, fc / 1.6, fc * 1.6, order=2)
        v /= np.std(v) + 1e-9
        out += v * smooth_random(rng, n, sr, rate, 0.2, 1.0)
    return out / math.sqrt(voices) * (1.0 - swell + swell * smooth_random(rng, n, sr, 0.6, 0.0, 1.0))


def thump(rng, sr, f=70.0, sec=0.18):
    """A kick on a ball: a falling sine at about ``f`` Hz with a click at its start."""
    t = np.arange(int(sec * sr)) / sr
    s = np.sin(2 * np.pi * np.cumsum(f * (1 + 0.6 * np.exp(-t / 0.02))) / sr) * np.exp(-t / 0.05)
    s[: int(0.004 * sr)] += rng.uniform(-0.7, 0.7, int(0.004 * sr))
    return s


def noise_signal(rng, kind, n, sr):
    """Background noise of a ``noise`` defect (one of ``NOISE_KINDS``), at unit RMS."""
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        x = colored_noise(rng, n, sr, 20, None, slope=0.5)
    elif kind == "brown":
        x = colored_noise(rng, n, sr, 20, None, slope=1.0)
    else:  # mains hum with hiss
        t = np.arange(n) / sr
        base = float(pick(rng, [50.0, 60.0]))
        x = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.28)) / k for k in range(1, 8))
        x = x + 0.3 * rng.standard_normal(n)
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-12)


def window(n, sr, a, b, fade=0.02):
    """1 inside [a, b), 0 outside, with ``fade``-second ramps inside the interval."""
    t = np.arange(n) / sr
    w = np.clip(np.minimum(t - a, b - t) / fade, 0.0, 1.0)
    return w
