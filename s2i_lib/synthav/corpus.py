"""SynthAV: the course's own audio-visual corpus, generated, with ground truth.

No data set can be downloaded while the course runs, so SynthAV makes one: real video
files (frames plus an audio track) whose content is synthesised from a seed.  Because
it is generated, every clip comes with the truth about itself, and steps that the
papers could only eyeball (loudness filtering, frame selection, cleaning by classifier
agreement) can be scored exactly.

Two suites:

``scenes``        the nine scene classes of Wan et al. (2019): each class has a DSP sound
                  model (barks, drum hits, plucked strings, hammered strings, engine drones
                  with Doppler, water noise, crowds with kicks or bat cracks) and a scene
                  renderer (room, yard, sky, lake, cliff, pitch, diamond) with nuisance
                  variation (position, colours, lighting, clutter, camera shake).
``performances``  the thirteen Sub-URMP instruments: each has a timbre (harmonic profile,
                  attack, vibrato, breath) and a player drawn with the instrument; the
                  note played sets the player's pose (bow angle, hand or slide position),
                  a monotone function of the pitch within the instrument's range.

Shared attributes tie the modalities together: a clip's ``distance`` sets both the
loudness (gain ``1 / distance``) and the object's size on screen (``BASE_SIZE /
distance`` of the frame); pitch sets pose; a few scene clips have two sources sounding
and visible at once.  A share ``defect_rate`` of clips carries labelled defects:
``silent`` (source visible but not sounding), ``offscreen`` (source sounding, camera
elsewhere), ``wrong_class`` (the picture belongs to another class) and ``noise`` (loud
background noise at a recorded SNR).

Main entry points::

    frames, audio, meta = generate_clip("scenes", "dog", 3, size, seed=0)   # in memory, no I/O
    meta = clip_metadata("scenes", "dog", 3, size, seed=0)                  # cheap, no rendering
    masks = object_masks("scenes", "dog", 3, size, seed=0)                  # (T, H, W) source pixels
    root = generate_corpus("scenes", profile="smoke", out="data/synthav/x", seed=0)
    root = ensure_corpus("data", "scenes", "course", seed=0)                # cached by version
    root = write_layout("ucf101", "tmp/ucf")                                # a real corpus's tree
    truth_at(meta, t); pair_truth(meta, seg_start, seg_end, frame_time)     # scoring pair selection

The metadata of a clip (``meta``, one line of ``metadata.jsonl``)::

    clip_id, video_id, suite, label, index, file, seed, generator_version,
    duration, fps, sample_rate, frame_size, num_frames, num_samples,
    distance, loudness_gain (= 1/distance), target_dbfs, object_scale, object_size_px,
    position [x, y_bottom] (fractions of the frame), environment,
    sources [labels sounding], source_details [{label, distance, loudness_gain,
    object_scale, object_size_px, position}], multi_source,
    notes [{start, end, midi, pitch_hz, pose}]        (performances; [] for scenes)
    defects [{type, start, end, + shown_label | snr_db, noise_kind}]
    timeline [{start, end, audible, source_visible, shown_label, noisy}]
        piecewise constant, half-open intervals covering [0, duration];
        shown_label is "none" while the camera looks away.

Everything is deterministic: clip ``i`` of a class depends only on (seed, suite, class,
index) and on the suite's class list (used to pick the class of a ``wrong_class``
picture or a second source), never on the corpus size or the number of workers.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..course.profiles import INSTRUMENTS, SCENE_CLASSES, Profile, SynthAVSize, get_profile

__all__ = ["GENERATOR_VERSION", "SUITES", "LAYOUTS", "DEFECT_TYPES", "INSTRUMENT_SPECS", "clip_id", "suite_classes",
           "generate_clip", "clip_metadata", "object_masks", "truth_at", "pair_truth", "pose_of_pitch", "dbfs",
           "generate_corpus", "write_layout", "load_metadata", "corpus_dir", "ensure_corpus"]

GENERATOR_VERSION = "1.0.0"
"""Bumped whenever the content of a clip changes; :func:`ensure_corpus` regenerates then."""

SUITES = ("scenes", "performances")
LAYOUTS = ("synthav", "vegas", "vggsound", "ucf101", "suburmp")
DEFECT_TYPES = ("silent", "offscreen", "wrong_class", "noise")

BASE_SIZE = 0.85          # object size (fraction of the frame) at distance 1
DISTANCE_RANGE = {"scenes": (1.0, 3.0), "performances": (1.0, 2.0)}
"""Distance (arbitrary units) is uniform in this range; players are filmed closer, as in
Sub-URMP, so that the instrument stays legible at 32x32."""
MULTI_DISTANCE = (1.6, 3.0)   # both sources of a two-source clip: small enough to stand side by side
REF_LEVEL = 0.12          # mean |x| of one source at distance 1 (about -18.4 dBFS)
ROOM_TONE = 0.0012        # mean |x| of the faint noise every clip has (about -58 dBFS)
MULTI_SOURCE_RATE = 0.08  # share of scene clips with a second source
NOTE_SECONDS = (0.5, 1.0)
NONE_LABEL = "none"       # shown_label when the camera shows no class at all

Color = Tuple[float, float, float]


# ============================================================================ seeding
def _stable_int(*parts) -> int:
    """A 63-bit integer from strings/ints, identical on every platform and run."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def _clip_rngs(seed: int, suite: str, label: str, index: int):
    """Three independent generators for one clip: plan, audio, video."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, _stable_int("synthav", suite, label), int(index)])
    return [np.random.default_rng(s) for s in ss.spawn(3)]


def _share_position(seed: int, suite: str, label: str, index: int) -> float:
    """A low-discrepancy number in [0, 1) for clip ``index`` of a class: whatever the
    number of clips, any prefix of a class gets close to the intended shares of
    defective and multi-source clips."""
    offset = (_stable_int("share", seed, suite, label) % 1_000_003) / 1_000_003
    return float((index * 0.6180339887498949 + offset) % 1.0)


def clip_id(suite: str, label: str, index: int) -> str:
    """``scenes_dog_0003``."""
    return f"{suite}_{label}_{int(index):04d}"


def suite_classes(suite: str) -> Tuple[str, ...]:
    if suite == "scenes":
        return SCENE_CLASSES
    if suite == "performances":
        return INSTRUMENTS
    raise ValueError(f"unknown SynthAV suite {suite!r}; choose one of {', '.join(SUITES)}")


def _size_classes(suite: str, size: SynthAVSize) -> Tuple[str, ...]:
    return tuple(size.classes) if size.classes else suite_classes(suite)


# ============================================================================ colours
def _c(rgb) -> Color:
    return tuple(float(v) for v in np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0))


def _jit(rng, rgb, amount=0.06) -> Color:
    return _c(np.asarray(rgb) + rng.normal(0.0, amount, 3))


def _shade(rgb, f) -> Color:
    return _c(np.asarray(rgb) * f)


def _mixc(a, b, w) -> Color:
    return _c(np.asarray(a) * (1 - w) + np.asarray(b) * w)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


SKIN = [(0.96, 0.80, 0.66), (0.87, 0.68, 0.52), (0.70, 0.50, 0.36), (0.50, 0.34, 0.24), (0.35, 0.23, 0.16)]
CLOTHES = [(0.08, 0.08, 0.1), (0.9, 0.9, 0.9), (0.7, 0.15, 0.15), (0.15, 0.3, 0.65), (0.2, 0.5, 0.25),
           (0.55, 0.45, 0.3), (0.45, 0.2, 0.5), (0.85, 0.65, 0.15), (0.35, 0.35, 0.38)]
HAIR = [(0.08, 0.06, 0.05), (0.3, 0.18, 0.1), (0.6, 0.45, 0.25), (0.85, 0.75, 0.5), (0.55, 0.55, 0.55)]


# ============================================================================ drawing
class _Canvas:
    """A float RGB image plus an object mask, drawn in normalised coordinates.

    ``(x, y)`` = ``(0, 0)`` is the top-left of the visible frame and ``(1, 1)`` its
    bottom-right; ``scale`` pixels per unit, ``ox, oy`` the pixel position of the origin.
    Everything painted while ``obj`` is true is marked in ``mask`` (the sounding
    object); anything else painted on top clears the mask (occlusion).
    """

    def __init__(self, h: int, w: int, scale: float, ox: float = 0.0, oy: float = 0.0, img=None):
        self.img = np.zeros((h, w, 3), np.float32) if img is None else img
        self.mask = np.zeros((h, w), bool)
        self.scale, self.ox, self.oy = float(scale), float(ox), float(oy)
        self.obj = False
        self.min_px = 1.4  # thinnest line, in canvas pixels

    # -- helpers
    def _box(self, x0, y0, x1, y1):
        h, w = self.img.shape[:2]
        i0, i1 = max(int(math.floor(y0)), 0), min(int(math.ceil(y1)) + 1, h)
        j0, j1 = max(int(math.floor(x0)), 0), min(int(math.ceil(x1)) + 1, w)
        if i0 >= i1 or j0 >= j1:
            return None
        yy = np.arange(i0, i1, dtype=np.float32)[:, None] + 0.5
        xx = np.arange(j0, j1, dtype=np.float32)[None, :] + 0.5
        return (slice(i0, i1), slice(j0, j1)), xx, yy

    def px(self, x, y):
        return x * self.scale + self.ox, y * self.scale + self.oy

    def _paint(self, sl, m, color, alpha=1.0):
        if not np.any(m):
            return
        region = self.img[sl]
        col = np.asarray(color, np.float32)
        if alpha >= 1.0:
            region[m] = col
        else:
            region[m] = region[m] * (1.0 - alpha) + col * alpha
        if alpha >= 0.5:
            self.mask[sl][m] = self.obj

    # -- primitives
    def fill(self, color):
        self.img[:] = np.asarray(color, np.float32)

    def rect(self, x0, y0, x1, y1, color, alpha=1.0):
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        sl = (slice(i0, i1), slice(j0, j1))
        m = np.ones((i1 - i0, j1 - j0), bool)
        self._paint(sl, m, color, alpha)

    def vgrad(self, y0, y1, c0, c1, x0=-1.0, x1=2.0):
        """Rows y0..y1 with a vertical gradient from c0 to c1."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        b, d = self.px(x0, y0)[1], self.px(x1, y1)[1]
        rows = (np.arange(i0, i1, dtype=np.float32) - b) / max(d - b, 1e-6)
        g = np.asarray(c0, np.float32)[None, :] * (1 - rows[:, None]) + np.asarray(c1, np.float32)[None, :] * rows[:, None]
        self.img[i0:i1, j0:j1] = g[:, None, :]
        self.mask[i0:i1, j0:j1] = self.obj

    def ellipse(self, cx, cy, rx, ry, color, angle=0.0, alpha=1.0, inner=0.0):
        """Filled ellipse (``inner`` > 0: a ring whose hole is ``inner`` times the size)."""
        X, Y = self.px(cx, cy)
        RX, RY = max(rx * self.scale, 0.7), max(ry * self.scale, 0.7)
        R = max(RX, RY)
        got = self._box(X - R, Y - R, X + R, Y + R)
        if got is None:
            return
        sl, xx, yy = got
        dx, dy = xx - X, yy - Y
        if angle:
            ca, sa = math.cos(angle), math.sin(angle)
            dx, dy = dx * ca + dy * sa, -dx * sa + dy * ca
        q = (dx / RX) ** 2 + (dy / RY) ** 2
        m = q <= 1.0
        if inner > 0:
            m &= q >= inner * inner
        self._paint(sl, m, color, alpha)

    def circle(self, cx, cy, r, color, alpha=1.0):
        self.ellipse(cx, cy, r, r, color, alpha=alpha)

    def poly(self, pts, color, alpha=1.0):
        P = np.asarray([self.px(x, y) for x, y in pts], np.float32)
        got = self._box(P[:, 0].min(), P[:, 1].min(), P[:, 0].max(), P[:, 1].max())
        if got is None:
            return
        sl, xx, yy = got
        inside = np.zeros((yy.shape[0], xx.shape[1]), bool)
        Q = np.roll(P, -1, axis=0)
        for (xa, ya), (xb, yb) in zip(P, Q):
            if ya == yb:
                continue
            cond = (ya > yy) != (yb > yy)
            xint = xa + (yy - ya) * (xb - xa) / (yb - ya)
            inside ^= cond & (xx < xint)
        self._paint(sl, inside, color, alpha)

    def line(self, x0, y0, x1, y1, width, color, alpha=1.0):
        (X0, Y0), (X1, Y1) = self.px(x0, y0), self.px(x1, y1)
        W = max(width * self.scale, self.min_px)
        r = W / 2
        got = self._box(min(X0, X1) - r, min(Y0, Y1) - r, max(X0, X1) + r, max(Y0, Y1) + r)
        if got is None:
            return
        sl, xx, yy = got
        dx, dy = X1 - X0, Y1 - Y0
        L2 = dx * dx + dy * dy + 1e-9
        t = np.clip(((xx - X0) * dx + (yy - Y0) * dy) / L2, 0.0, 1.0)
        d2 = (xx - X0 - t * dx) ** 2 + (yy - Y0 - t * dy) ** 2
        self._paint(sl, d2 <= r * r, color, alpha)

    def polyline(self, pts, width, color, alpha=1.0):
        for (a, b), (c, d) in zip(pts[:-1], pts[1:]):
            self.line(a, b, c, d, width, color, alpha)

    def _region(self, x0, y0, x1, y1):
        """Pixel rows i0:i1 and columns j0:j1 of a region, clipped to the image (None if empty)."""
        (a, b), (c, d) = self.px(x0, y0), self.px(x1, y1)
        h, w = self.img.shape[:2]
        i0, i1 = max(int(round(b)), 0), min(int(round(d)), h)
        j0, j1 = max(int(round(a)), 0), min(int(round(c)), w)
        if i1 <= i0 or j1 <= j0:
            return None
        return i0, i1, j0, j1

    def texture(self, x0, y0, x1, y1, rng, amount=0.05, cell=0.0):
        """Multiply a region by random brightness (grass, carpet, rock); ``cell`` > 0
        makes blotches of that size instead of per-pixel grain."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        hh, ww = i1 - i0, j1 - j0
        k = max(1, int(round(cell * self.scale)))
        g = rng.normal(0.0, amount, ((hh + k - 1) // k, (ww + k - 1) // k)).astype(np.float32)
        g = np.repeat(np.repeat(g, k, 0), k, 1)[:hh, :ww]
        self.img[i0:i1, j0:j1] *= (1.0 + g)[:, :, None]

    def dots(self, x0, y0, x1, y1, rng, colors, density=0.35, cell=0.012):
        """A crowd-like texture: cells of random colours from ``colors`` over a region."""
        box = self._region(x0, y0, x1, y1)
        if box is None:
            return
        i0, i1, j0, j1 = box
        hh, ww = i1 - i0, j1 - j0
        k = max(1, int(round(cell * self.scale)))
        gh, gw = (hh + k - 1) // k, (ww + k - 1) // k
        pal = np.asarray(colors, np.float32)
        idx = rng.integers(0, len(pal), (gh, gw))
        on = rng.random((gh, gw)) < density
        col = np.repeat(np.repeat(pal[idx], k, 0), k, 1)[:hh, :ww]
        on = np.repeat(np.repeat(on, k, 0), k, 1)[:hh, :ww]
        region = self.img[i0:i1, j0:j1]
        region[on] = col[on]


def _rot(px, py, ang):
    """A function that maps local (u, v) to canvas coordinates: origin (px, py), u axis at
    angle ``ang`` (radians, 0 = pointing up), v to the right of u."""
    ux, uy = math.sin(ang), -math.cos(ang)       # unit vector "up" rotated
    vx, vy = -uy, ux                               # perpendicular, to the right
    def f(u, v):
        return (px + u * ux + v * vx, py + u * uy + v * vy)
    return f


# ============================================================================ DSP helpers
def _fft_filter(x: np.ndarray, sr: int, gain) -> np.ndarray:
    """Filter ``x`` by multiplying its spectrum by ``gain(freqs)`` (zero phase)."""
    n = len(x)
    X = np.fft.rfft(x)
    f = np.fft.rfftfreq(n, 1.0 / sr)
    X *= gain(np.maximum(f, 1e-3))
    return np.fft.irfft(X, n)


def _bandpass(lo, hi, order=2):
    """Smooth band-pass magnitude response (``lo``/``hi`` in Hz; None = open)."""
    def g(f):
        r = np.ones_like(f)
        if lo:
            r /= np.sqrt(1.0 + (lo / f) ** (2 * order))
        if hi:
            r /= np.sqrt(1.0 + (f / hi) ** (2 * order))
        return r
    return g


def _colored_noise(rng, n, sr, lo=None, hi=None, slope=0.0, order=2):
    """White noise shaped by a band-pass and a spectral tilt ``f ** -slope`` (1 = pink-ish
    in power terms when slope=0.5)."""
    x = rng.standard_normal(n)
    bp = _bandpass(lo, hi, order)
    return _fft_filter(x, sr, lambda f: bp(f) * (f / 1000.0) ** (-slope))


def _smooth_random(rng, n, sr, rate_hz, lo=0.0, hi=1.0):
    """A slowly varying random control signal in [lo, hi] (``rate_hz`` changes per second)."""
    k = max(2, int(math.ceil(n / sr * rate_hz)) + 2)
    knots = rng.uniform(lo, hi, k)
    pos = np.linspace(0, k - 1, n)
    return np.interp(pos, np.arange(k), knots)


def _add(out: np.ndarray, sig: np.ndarray, start: int, gain=1.0) -> None:
    if start >= len(out):
        return
    a = max(start, 0)
    b = min(start + len(sig), len(out))
    if b > a:
        out[a:b] += gain * sig[a - start:b - start]


def _midi_hz(m) -> float:
    return 440.0 * 2.0 ** ((float(m) - 69.0) / 12.0)


def _karplus_strong(rng, f0, sr, seconds, t60=2.0, bright=0.7) -> np.ndarray:
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


def _decay_env(n, sr, tau, attack=0.002):
    t = np.arange(n) / sr
    return (1.0 - np.exp(-t / attack)) * np.exp(-t / tau)


# ============================================================================ scene sounds
# Each sound model takes the object's plan (with its event times, also used by the
# picture), a generator, the number of samples and the rate; it returns a float64
# signal of any level (the caller normalises it).

def _snd_dog(p, rng, n, sr):
    out = np.zeros(n)
    f1, f2 = p["formants"]
    for (t0, dur, f0) in p["barks"]:
        m = int(dur * sr)
        tt = np.arange(m) / sr
        u = tt / dur
        f = f0 * (1.0 + 0.3 * np.exp(-((u - 0.15) / 0.12) ** 2)) * (1.0 - 0.35 * u)
        ph = 2 * np.pi * np.cumsum(f) / sr
        K = max(1, int(0.45 * sr / (f0 * 1.35)))
        sig = np.zeros(m)
        for k in range(1, min(K, 24) + 1):
            fk = k * f0
            a = k ** -0.5 * (np.exp(-(np.log(fk / f1) / 0.35) ** 2) + 0.7 * np.exp(-(np.log(fk / f2) / 0.3) ** 2) + 0.08)
            sig += a * np.sin(k * ph + rng.uniform(0, 2 * np.pi))
        rasp = _fft_filter(rng.standard_normal(m), sr, _bandpass(500, 3500))
        sig = sig / (np.abs(sig).max() + 1e-9) + 0.35 * rasp / (np.abs(rasp).max() + 1e-9)
        env = (1.0 - np.exp(-tt / 0.006)) * np.exp(-tt / (dur * 0.5))
        env[-int(0.01 * sr):] *= np.linspace(1, 0, int(0.01 * sr))
        _add(out, sig * env, int(t0 * sr))
    return out


def _drum_templates(rng, sr, p):
    def t(sec):
        return np.arange(int(sec * sr)) / sr
    k = t(0.35)
    kf = p["kick_hz"] + 90.0 * np.exp(-k / 0.035)
    kick = np.sin(2 * np.pi * np.cumsum(kf) / sr) * np.exp(-k / 0.16)
    kick[: int(0.003 * sr)] += rng.uniform(-0.6, 0.6, int(0.003 * sr))
    s = t(0.25)
    snare_noise = _fft_filter(rng.standard_normal(len(s)), sr, _bandpass(900, 7000))
    snare = 0.45 * np.sin(2 * np.pi * p["snare_hz"] * s) * np.exp(-s / 0.05) + \
        0.9 * snare_noise / (np.abs(snare_noise).max() + 1e-9) * np.exp(-s / p["snare_decay"])
    h = t(0.12)
    hat_noise = _fft_filter(rng.standard_normal(len(h)), sr, _bandpass(6000, None, 3))
    hat = 0.35 * hat_noise / (np.abs(hat_noise).max() + 1e-9) * np.exp(-h / 0.025)
    tm = t(0.45)
    tf = p["tom_hz"] * (1.0 + 0.25 * np.exp(-tm / 0.05))
    tom = 0.8 * np.sin(2 * np.pi * np.cumsum(tf) / sr) * np.exp(-tm / 0.22)
    c = t(1.2)
    crash_noise = _fft_filter(rng.standard_normal(len(c)), sr, _bandpass(3000, None, 2))
    crash = 0.55 * crash_noise / (np.abs(crash_noise).max() + 1e-9) * _decay_env(len(c), sr, 0.6)
    return {"kick": kick, "snare": snare, "hat": hat, "tom": tom, "crash": crash}


def _snd_drum(p, rng, n, sr):
    out = np.zeros(n)
    tpl = _drum_templates(rng, sr, p)
    for (t0, kind, vel) in p["hits"]:
        _add(out, tpl[kind], int(t0 * sr), vel)
    return out


def _snd_guitar(p, rng, n, sr):
    out = np.zeros(n)
    for (t0, midi, vel) in p["plucks"]:
        s = _karplus_strong(rng, _midi_hz(midi), sr, 1.3, t60=p["t60"], bright=p["bright"])
        _add(out, s, int(t0 * sr), vel)
    return out


def _snd_piano(p, rng, n, sr):
    out = np.zeros(n)
    B = p["inharm"]
    for (t0, midi, vel) in p["notes"]:
        f0 = _midi_hz(midi)
        m = int(1.1 * sr)
        tt = np.arange(m) / sr
        ks = np.arange(1, 13)
        fk = ks * f0 * np.sqrt(1.0 + B * ks ** 2)
        ok = fk < 0.45 * sr
        ks, fk = ks[ok], fk[ok]
        amp = (1.0 / ks) * np.exp(-((ks - 1) / p["hammer"]) ** 2 * 0.5 + 0.0)
        decay = p["decay"] * (1.0 + 0.35 * (ks - 1))
        sig = (amp[:, None] * np.exp(-tt[None, :] * decay[:, None])
               * np.sin(2 * np.pi * fk[:, None] * tt[None, :] + rng.uniform(0, 6.28, len(ks))[:, None])).sum(0)
        sig *= 1.0 - np.exp(-tt / 0.002)
        thump = rng.standard_normal(int(0.015 * sr)) * np.exp(-np.arange(int(0.015 * sr)) / (0.004 * sr)) * 0.15
        sig[: len(thump)] += thump
        sig[-int(0.02 * sr):] *= np.linspace(1, 0, int(0.02 * sr))
        _add(out, sig, int(t0 * sr), vel)
    return out


def _snd_plane(p, rng, n, sr):
    t = np.arange(n) / sr
    xw = p["speed"] * (t - p["t_closest"])
    r = np.sqrt(xw ** 2 + p["altitude"] ** 2)
    v_radial = p["speed"] * xw / r
    doppler = 343.0 / (343.0 + v_radial)
    wob = 1.0 + 0.01 * _smooth_random(rng, n, sr, 2.0, -1, 1)
    f = p["engine_hz"] * doppler * wob
    ph = 2 * np.pi * np.cumsum(f) / sr
    sig = np.zeros(n)
    for k in range(1, 16):
        if k * p["engine_hz"] * 1.45 > 0.45 * sr:
            break
        sig += k ** -0.9 * (0.6 + 0.8 * rng.random()) * np.sin(k * ph + rng.uniform(0, 6.28))
    whine = 0.3 * np.sin(2 * np.pi * np.cumsum(p["whine_hz"] * doppler) / sr)
    roar = _colored_noise(rng, n, sr, 40, p["roar_cut"], slope=0.3)
    roar *= 1.6 * np.std(sig) / (np.std(roar) + 1e-9)
    near = (p["altitude"] / r) ** 0.6       # louder near the closest approach
    return (sig + whine + roar) * (0.55 + 0.45 * near)


def _snd_speedboat(p, rng, n, sr):
    rpm = 1.0 + p["rpm_wobble"] * _smooth_random(rng, n, sr, 1.5, -1, 1)
    f = p["fire_hz"] * rpm
    ph = 2 * np.pi * np.cumsum(f) / sr
    pulses = (0.5 + 0.5 * np.cos(ph)) ** 14
    pulses -= pulses.mean()
    r1, r2 = p["resonances"]
    res = lambda fr: 0.3 + 1.5 / (1.0 + ((fr - r1) / (0.3 * r1)) ** 2) + 1.0 / (1.0 + ((fr - r2) / (0.25 * r2)) ** 2)
    engine = _fft_filter(pulses, sr, lambda fr: res(fr) * _bandpass(40, 6000)(fr))
    splash = _colored_noise(rng, n, sr, 400, 5000)
    waves = _smooth_random(rng, n, sr, p["wave_rate"], 0.15, 1.0) ** 2
    engine /= np.std(engine) + 1e-9
    splash /= np.std(splash) + 1e-9
    return engine + p["splash"] * splash * waves


def _snd_waterfall(p, rng, n, sr):
    x = rng.standard_normal(n)
    fb = p["bump_hz"]
    g = lambda f: (f / 100.0) ** (-p["tilt"] / 2) * _bandpass(30, p["cut_hz"], 2)(f) * (1 + 0.8 * np.exp(-np.log(f / fb) ** 2 / 0.5))
    y = _fft_filter(x, sr, g)
    return y * (1.0 + 0.12 * _smooth_random(rng, n, sr, 0.7, -1, 1))


def _crowd(rng, n, sr, voices, lo, hi, rate, swell):
    out = np.zeros(n)
    for _ in range(voices):
        fc = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        v = _colored_noise(rng, n, sr, fc / 1.6, fc * 1.6, order=2)
        v /= np.std(v) + 1e-9
        out += v * _smooth_random(rng, n, sr, rate, 0.2, 1.0)
    return out / math.sqrt(voices) * (1.0 - swell + swell * _smooth_random(rng, n, sr, 0.6, 0.0, 1.0))


def _thump(rng, sr, f=70.0, sec=0.18):
    t = np.arange(int(sec * sr)) / sr
    s = np.sin(2 * np.pi * np.cumsum(f * (1 + 0.6 * np.exp(-t / 0.02))) / sr) * np.exp(-t / 0.05)
    s[: int(0.004 * sr)] += rng.uniform(-0.7, 0.7, int(0.004 * sr))
    return s


def _snd_soccer(p, rng, n, sr):
    out = _crowd(rng, n, sr, 10, 250, 2500, 2.5, 0.5)
    for t0 in p["kicks"]:
        _add(out, _thump(rng, sr, p["kick_hz"]), int(t0 * sr), 4.0)
    if p["whistle"] is not None:
        t0, dur = p["whistle"]
        tt = np.arange(int(dur * sr)) / sr
        w = np.sin(2 * np.pi * p["whistle_hz"] * tt) * (0.6 + 0.4 * np.sin(2 * np.pi * 28 * tt))
        w *= np.minimum(1, tt / 0.02) * np.minimum(1, (dur - tt) / 0.03)
        _add(out, w, int(t0 * sr), 2.0)
    return out


def _snd_baseball(p, rng, n, sr):
    out = 0.8 * _crowd(rng, n, sr, 6, 180, 1400, 1.2, 0.3)
    for t0 in p["cracks"]:
        m = int(0.12 * sr)
        tt = np.arange(m) / sr
        crack = rng.standard_normal(m) * np.exp(-tt / 0.003)
        for fr in p["crack_hz"]:
            crack += 0.8 * np.sin(2 * np.pi * fr * tt) * np.exp(-tt / 0.025)
        _add(out, crack, int(t0 * sr), 4.0)
    if p["organ"]:
        tt = np.arange(n) / sr
        org = np.zeros(n)
        for m_ in p["organ"]:
            f = _midi_hz(m_)
            for k, a in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)):
                org += a * np.sin(2 * np.pi * k * f * tt)
        org *= (1 + 0.3 * np.sin(2 * np.pi * 6.0 * tt)) / len(p["organ"])
        out += 0.35 * org
    return out


SCENE_SOUNDS = {"dog": _snd_dog, "drum": _snd_drum, "guitar": _snd_guitar, "piano": _snd_piano,
                "plane": _snd_plane, "speedboat": _snd_speedboat, "waterfall": _snd_waterfall,
                "soccer": _snd_soccer, "baseball": _snd_baseball}


# ============================================================================ people
def _person(cv, x, yb, h, col, seated=False, stance=0.07, legs=None, helmet=None):
    """A simple frontal figure (legs, torso, head) with its feet at ``(x, yb)`` and height
    ``h``; returns the shoulder positions for :func:`_arm`."""
    skin, shirt, pants, hair = col["skin"], col["shirt"], col["pants"], col["hair"]
    if seated:
        hip_y = yb - 0.36 * h
        sh_y = hip_y - 0.33 * h
        for side in (-1, 1):
            knee = (x + side * 0.13 * h, yb - 0.30 * h)
            cv.line(x + side * 0.05 * h, hip_y, *knee, 0.075 * h, pants)
            cv.line(*knee, x + side * 0.14 * h, yb - 0.02 * h, 0.06 * h, pants)
            cv.ellipse(x + side * 0.15 * h, yb - 0.015 * h, 0.04 * h, 0.02 * h, (0.1, 0.08, 0.07))
    else:
        hip_y = yb - 0.47 * h
        sh_y = yb - 0.79 * h
        feet = legs or [(x - stance * h, yb), (x + stance * h, yb)]
        for side, (fx, fy) in zip((-1, 1), feet):
            cv.line(x + side * 0.045 * h, hip_y, fx, fy - 0.02 * h, 0.065 * h, pants)
            cv.ellipse(fx + side * 0.015 * h, fy - 0.015 * h, 0.04 * h, 0.02 * h, (0.1, 0.08, 0.07))
    cv.poly([(x - 0.11 * h, sh_y), (x + 0.11 * h, sh_y), (x + 0.085 * h, hip_y + 0.02 * h),
             (x - 0.085 * h, hip_y + 0.02 * h)], shirt)
    cv.rect(x - 0.025 * h, sh_y - 0.05 * h, x + 0.025 * h, sh_y + 0.01 * h, skin)
    hy = sh_y - 0.11 * h
    cv.circle(x, hy, 0.068 * h, skin)
    if helmet is not None:
        cv.ellipse(x, hy - 0.03 * h, 0.075 * h, 0.05 * h, helmet)
        cv.ellipse(x + 0.05 * h, hy - 0.01 * h, 0.05 * h, 0.015 * h, helmet)
    else:
        cv.ellipse(x, hy - 0.04 * h, 0.07 * h, 0.035 * h, hair)
    return {"sl": (x - 0.1 * h, sh_y + 0.015 * h), "sr": (x + 0.1 * h, sh_y + 0.015 * h),
            "head": (x, hy), "hip_y": hip_y, "h": h}


def _arm(cv, shoulder, hand, h, sleeve, skin, out=1.0):
    """Upper arm and forearm from ``shoulder`` to ``hand`` with the elbow bent downward
    (``out`` pushes it sideways); the hand is pulled in if out of reach."""
    sx, sy = shoulder
    hx, hy = hand
    seg = 0.21 * h
    dx, dy = hx - sx, hy - sy
    dist = math.hypot(dx, dy) + 1e-9
    if dist > 2 * seg * 0.999:
        hx, hy = sx + dx / dist * 2 * seg * 0.999, sy + dy / dist * 2 * seg * 0.999
        dx, dy = hx - sx, hy - sy
        dist = math.hypot(dx, dy)
    off = math.sqrt(max(seg * seg - (dist / 2) ** 2, 0.0))
    nx, ny = -dy / dist, dx / dist
    if ny < 0 or (abs(ny) < 1e-6 and nx * out < 0):
        nx, ny = -nx, -ny
    ex, ey = (sx + hx) / 2 + nx * off + 0.0 * out, (sy + hy) / 2 + ny * off
    cv.line(sx, sy, ex, ey, 0.05 * h, sleeve)
    cv.line(ex, ey, hx, hy, 0.045 * h, sleeve)
    cv.circle(hx, hy, 0.027 * h, skin)
    return (hx, hy)


def _person_colors(rng, formal=False):
    shirt = (0.06, 0.06, 0.08) if (formal and rng.random() < 0.3) else _pick(rng, CLOTHES)
    return {"skin": _jit(rng, _pick(rng, SKIN), 0.03), "shirt": _jit(rng, shirt, 0.05),
            "pants": _jit(rng, _pick(rng, [(0.1, 0.1, 0.12), (0.2, 0.25, 0.45), (0.35, 0.3, 0.25), (0.5, 0.5, 0.5)]), 0.04),
            "hair": _jit(rng, _pick(rng, HAIR), 0.03)}


# ============================================================================ environments
ENV_OF = {"dog": ("indoor", "yard"), "drum": ("indoor",), "guitar": ("indoor",), "piano": ("indoor",),
          "plane": ("sky",), "speedboat": ("lake",), "waterfall": ("falls",), "soccer": ("pitch",),
          "baseball": ("diamond",)}
OFFSCREEN_VIEW = {"indoor": "wall", "yard": "bushes", "sky": "clouds", "lake": "boat_interior",
                  "falls": "forest", "pitch": "stands", "diamond": "stands", "hall": "audience"}

WALLS = [(0.85, 0.80, 0.68), (0.70, 0.78, 0.85), (0.75, 0.75, 0.72), (0.62, 0.72, 0.58), (0.85, 0.7, 0.6),
         (0.55, 0.35, 0.3), (0.9, 0.88, 0.8), (0.45, 0.5, 0.6)]
FLOORS = [(0.55, 0.36, 0.2), (0.7, 0.52, 0.32), (0.4, 0.28, 0.18), (0.5, 0.5, 0.5), (0.35, 0.3, 0.4),
          (0.6, 0.2, 0.18), (0.75, 0.72, 0.65)]
SKIES = {"clear": ((0.35, 0.55, 0.9), (0.7, 0.85, 1.0)), "dusk": ((0.3, 0.3, 0.55), (0.95, 0.65, 0.45)),
         "overcast": ((0.6, 0.63, 0.68), (0.82, 0.84, 0.86)), "hazy": ((0.55, 0.7, 0.85), (0.88, 0.9, 0.88))}


def _plan_env(env, rng):
    p = {"env": env, "sky": _pick(rng, ["clear", "clear", "dusk", "overcast", "hazy"])}
    if env == "indoor":
        p.update(horizon=rng.uniform(0.55, 0.72), stage=bool(rng.random() < 0.25),
                 wall=_jit(rng, _pick(rng, WALLS)), floor=_jit(rng, _pick(rng, FLOORS)),
                 floor_kind=_pick(rng, ["wood", "carpet", "tile"]))
        if p["stage"]:
            p["wall"] = _shade(p["wall"], rng.uniform(0.2, 0.35))
    elif env == "yard":
        p.update(horizon=rng.uniform(0.42, 0.6), grass=_jit(rng, (0.3, 0.55, 0.2)))
    elif env == "sky":
        p.update(horizon=rng.uniform(0.8, 0.95) if rng.random() < 0.7 else 1.2,
                 ground=_pick(rng, ["grass", "city", "hills", "sea"]))
    elif env == "lake":
        p.update(horizon=rng.uniform(0.28, 0.45), water=_jit(rng, _pick(rng, [(0.1, 0.35, 0.55), (0.1, 0.45, 0.5), (0.2, 0.3, 0.45)]), 0.04))
    elif env == "falls":
        p.update(horizon=0.0, rock=_jit(rng, _pick(rng, [(0.45, 0.42, 0.4), (0.5, 0.4, 0.3), (0.35, 0.33, 0.33)]), 0.05),
                 water=_jit(rng, (0.15, 0.4, 0.45), 0.04))
    elif env in ("pitch", "diamond"):
        st = rng.uniform(0.16, 0.34)
        p.update(stands=st, horizon=st + 0.035, grass=_jit(rng, (0.25, 0.58, 0.22), 0.04),
                 ads=_jit(rng, _pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.9, 0.8, 0.1), (0.1, 0.5, 0.3)])))
    elif env == "hall":
        p.update(horizon=rng.uniform(0.6, 0.75), wall=_jit(rng, _pick(rng, WALLS)),
                 floor=_jit(rng, _pick(rng, FLOORS[:3] + [(0.25, 0.2, 0.18)])), curtain=bool(rng.random() < 0.4),
                 curtain_color=_jit(rng, _pick(rng, [(0.55, 0.08, 0.1), (0.15, 0.12, 0.35), (0.2, 0.2, 0.2)])),
                 spot=bool(rng.random() < 0.5))
    return p


CROWD = [(0.8, 0.2, 0.2), (0.2, 0.3, 0.8), (0.9, 0.9, 0.9), (0.95, 0.8, 0.2), (0.2, 0.6, 0.3),
         (0.1, 0.1, 0.1), (0.85, 0.65, 0.5), (0.6, 0.4, 0.3)]


def _draw_sky(cv, p, y1, rng, clouds=True):
    top, bot = SKIES[p["sky"]]
    cv.vgrad(-0.2, y1, top, bot)
    if clouds:
        for _ in range(int(rng.integers(1, 5))):
            cx, cy, w = rng.uniform(-0.1, 1.1), rng.uniform(0.0, max(0.05, y1 - 0.05)), rng.uniform(0.08, 0.25)
            cc = _mixc((1, 1, 1), bot, rng.uniform(0, 0.3))
            for _ in range(4):
                cv.ellipse(cx + rng.uniform(-w, w) * 0.6, cy + rng.uniform(-0.02, 0.02), w * rng.uniform(0.35, 0.6),
                           w * rng.uniform(0.15, 0.25), cc, alpha=0.85)


def _draw_env(cv, p, rng, obj=None):
    env = p["env"]
    h = p["horizon"]
    if env == "indoor":
        cv.vgrad(-0.2, h, _shade(p["wall"], 0.85), p["wall"])
        if rng.random() < 0.35:  # wallpaper stripes
            for xs in np.arange(-0.1, 1.1, 0.08):
                cv.rect(xs, -0.2, xs + 0.03, h, _shade(p["wall"], 0.93))
        fl = p["floor"]
        cv.rect(-0.2, h, 1.2, 1.2, fl)
        if p["floor_kind"] == "wood":
            for yy in np.arange(h + 0.03, 1.2, 0.045):
                cv.line(-0.2, yy, 1.2, yy, 0.004, _shade(fl, 0.8))
        elif p["floor_kind"] == "tile":
            for yy in np.arange(h + 0.05, 1.2, 0.08):
                cv.line(-0.2, yy, 1.2, yy, 0.005, _shade(fl, 1.2))
            for xx in np.arange(-0.2, 1.2, 0.1):
                cv.line(0.5 + (xx - 0.5) * 0.6, h, xx, 1.2, 0.005, _shade(fl, 1.2))
        else:
            cv.texture(-0.2, h, 1.2, 1.2, rng, 0.06)
        cv.rect(-0.2, h - 0.015, 1.2, h + 0.005, _shade(p["wall"], 0.6))
        for _ in range(int(rng.integers(1, 5))):
            kind = _pick(rng, ["frame", "window", "plant", "shelf", "lamp", "rug"])
            x = rng.uniform(0.0, 1.0)
            if kind == "frame":
                w, hh, y = rng.uniform(0.08, 0.2), rng.uniform(0.06, 0.16), rng.uniform(0.08, h - 0.25)
                cv.rect(x, y, x + w, y + hh, _jit(rng, (0.3, 0.2, 0.1)))
                cv.rect(x + 0.012, y + 0.012, x + w - 0.012, y + hh - 0.012, _jit(rng, (0.5, 0.5, 0.5), 0.25))
            elif kind == "window" and not p["stage"]:
                w, hh, y = rng.uniform(0.12, 0.22), rng.uniform(0.15, 0.25), rng.uniform(0.05, max(0.06, h - 0.35))
                cv.rect(x, y, x + w, y + hh, (0.92, 0.92, 0.9))
                cv.rect(x + 0.01, y + 0.01, x + w - 0.01, y + hh - 0.01, _jit(rng, (0.6, 0.78, 0.95), 0.05))
                cv.line(x + w / 2, y, x + w / 2, y + hh, 0.008, (0.92, 0.92, 0.9))
            elif kind == "plant":
                y = rng.uniform(h + 0.01, min(0.95, h + 0.1))
                cv.rect(x - 0.025, y - 0.06, x + 0.025, y, _jit(rng, (0.6, 0.3, 0.2)))
                for _ in range(5):
                    cv.ellipse(x + rng.uniform(-0.04, 0.04), y - rng.uniform(0.08, 0.15), 0.025, 0.04,
                               _jit(rng, (0.2, 0.5, 0.2)), angle=rng.uniform(-1, 1))
            elif kind == "shelf":
                y = rng.uniform(0.1, h - 0.2)
                cv.rect(x, y, x + 0.2, y + 0.012, (0.4, 0.28, 0.18))
                bx = x + 0.01
                while bx < x + 0.18:
                    bw = rng.uniform(0.01, 0.025)
                    cv.rect(bx, y - rng.uniform(0.03, 0.06), bx + bw, y, _pick(rng, CROWD))
                    bx += bw + 0.003
            elif kind == "lamp":
                cv.line(x, h + 0.05, x, h - 0.2, 0.008, (0.2, 0.2, 0.2))
                cv.poly([(x - 0.04, h - 0.2), (x + 0.04, h - 0.2), (x + 0.025, h - 0.26), (x - 0.025, h - 0.26)],
                        _jit(rng, (0.95, 0.9, 0.7)))
            elif kind == "rug":
                cv.ellipse(x, rng.uniform(h + 0.1, 0.95), rng.uniform(0.1, 0.25), 0.05, _jit(rng, _pick(rng, CROWD), 0.1), alpha=0.8)
        if p["stage"]:
            cv.ellipse(rng.uniform(0.3, 0.7), h + 0.12, 0.4, 0.12, (1.0, 0.95, 0.8), alpha=0.18)
    elif env == "yard":
        _draw_sky(cv, p, h, rng)
        for xx in np.arange(-0.2, 1.2, 0.07):  # tree line
            cv.circle(xx + rng.uniform(-0.02, 0.02), h - rng.uniform(0.0, 0.06), rng.uniform(0.04, 0.09),
                      _jit(rng, (0.15, 0.35, 0.15), 0.04))
        cv.rect(-0.2, h, 1.2, 1.2, p["grass"])
        cv.texture(-0.2, h, 1.2, 1.2, rng, 0.08, cell=0.01)
        if rng.random() < 0.5:
            fy = h + 0.02
            fc = _jit(rng, _pick(rng, [(0.9, 0.9, 0.88), (0.55, 0.38, 0.22)]))
            cv.rect(-0.2, fy - 0.14, 1.2, fy - 0.125, fc)
            for xx in np.arange(-0.2, 1.2, 0.045):
                cv.rect(xx, fy - 0.17, xx + 0.03, fy, fc)
        for _ in range(int(rng.integers(0, 12))):
            cv.circle(rng.uniform(0, 1), rng.uniform(h + 0.03, 1.0), 0.008, _pick(rng, CROWD[:5]))
        for _ in range(int(rng.integers(0, 3))):
            bx, by = rng.uniform(0, 1), h + rng.uniform(0.0, 0.08)
            for _ in range(4):
                cv.circle(bx + rng.uniform(-0.05, 0.05), by - rng.uniform(0, 0.05), rng.uniform(0.03, 0.06),
                          _jit(rng, (0.2, 0.45, 0.18), 0.05))
    elif env == "sky":
        _draw_sky(cv, p, 1.2, rng)
        if p["sky"] == "clear" and rng.random() < 0.4:
            cv.circle(rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.3), 0.05, (1.0, 0.95, 0.7))
        for _ in range(int(rng.integers(0, 4))):  # distant birds
            bx, by = rng.uniform(0, 1), rng.uniform(0.05, 0.6)
            cv.line(bx - 0.012, by - 0.006, bx, by, 0.004, (0.15, 0.15, 0.2))
            cv.line(bx, by, bx + 0.012, by - 0.006, 0.004, (0.15, 0.15, 0.2))
        if h < 1.0:
            g = p["ground"]
            if g == "grass":
                cv.rect(-0.2, h, 1.2, 1.2, _jit(rng, (0.3, 0.5, 0.25)))
            elif g == "sea":
                cv.rect(-0.2, h, 1.2, 1.2, _jit(rng, (0.15, 0.35, 0.55)))
            elif g == "hills":
                pts = [(-0.2, 1.2)] + [(x, h - rng.uniform(0.0, 0.08)) for x in np.linspace(-0.2, 1.2, 9)] + [(1.2, 1.2)]
                cv.poly(pts, _jit(rng, (0.35, 0.45, 0.35)))
            else:
                cv.rect(-0.2, h, 1.2, 1.2, (0.35, 0.35, 0.38))
                for x in np.arange(-0.2, 1.2, 0.05):
                    cv.rect(x, h - rng.uniform(0.01, 0.09), x + 0.04, h + 0.01, _jit(rng, (0.45, 0.45, 0.5), 0.08))
    elif env == "lake":
        _draw_sky(cv, p, h, rng)
        pts = [(-0.2, h)] + [(x, h - rng.uniform(0.01, 0.07)) for x in np.linspace(-0.2, 1.2, 8)] + [(1.2, h)]
        cv.poly(pts, _jit(rng, (0.2, 0.35, 0.2), 0.05))
        w = p["water"]
        cv.vgrad(h, 1.2, _mixc(w, (0.8, 0.85, 0.9), 0.25), _shade(w, 0.75))
        for _ in range(60):
            y = rng.uniform(h + 0.01, 1.1)
            x = rng.uniform(-0.1, 1.1)
            L = 0.02 + 0.06 * (y - h)
            cv.line(x, y, x + L, y, 0.004, _mixc(w, (1, 1, 1), 0.4), alpha=0.6)
        for _ in range(int(rng.integers(0, 3))):  # buoys
            cv.circle(rng.uniform(0, 1), rng.uniform(h + 0.05, 0.9), 0.01, _pick(rng, [(0.9, 0.3, 0.1), (0.95, 0.85, 0.2)]))
    elif env == "falls":
        top = obj["yb"] - obj["s"]
        _draw_sky(cv, p, max(top, 0.05), rng)
        rock = p["rock"]
        pts = [(-0.2, 1.2), (-0.2, top + 0.05)] + [(x, top + rng.uniform(-0.04, 0.04) + 0.15 * abs(x - obj["x"]) ** 1.5)
                                                  for x in np.linspace(-0.2, 1.2, 12)] + [(1.2, 1.2)]
        cv.poly(pts, rock)
        cv.texture(-0.2, top - 0.05, 1.2, 1.2, rng, 0.12, cell=0.02)
        for _ in range(8):
            rx, ry = rng.uniform(-0.1, 1.1), rng.uniform(top, obj["yb"])
            cv.ellipse(rx, ry, rng.uniform(0.03, 0.1), rng.uniform(0.02, 0.06), _shade(rock, rng.uniform(0.7, 1.2)))
        for xx in np.arange(-0.2, 1.2, 0.06):
            if abs(xx - obj["x"]) > obj["w"] * 0.6:
                cv.circle(xx, top - rng.uniform(0.0, 0.03) + 0.15 * abs(xx - obj["x"]) ** 1.5, rng.uniform(0.03, 0.06),
                          _jit(rng, (0.15, 0.4, 0.18), 0.05))
        cv.vgrad(obj["yb"], 1.2, p["water"], _shade(p["water"], 0.7))
        for _ in range(5):
            cv.ellipse(rng.uniform(0, 1), rng.uniform(obj["yb"] + 0.01, max(obj["yb"] + 0.02, 1.05)), rng.uniform(0.03, 0.07), 0.02,
                       _shade(rock, 0.8))
    elif env in ("pitch", "diamond"):
        st = p["stands"]
        cv.rect(-0.2, -0.2, 1.2, st, (0.25, 0.25, 0.28))
        cv.dots(-0.2, -0.2, 1.2, st, rng, CROWD, 0.6, 0.014)
        if rng.random() < 0.5:
            cv.rect(-0.2, -0.2, 1.2, 0.03, (0.3, 0.3, 0.35))  # roof edge
        cv.rect(-0.2, st, 1.2, h, p["ads"])
        for x in np.arange(-0.2, 1.2, 0.15):
            cv.rect(x + 0.02, st + 0.008, x + 0.1, h - 0.008, _mixc(p["ads"], (1, 1, 1), 0.7))
        g = p["grass"]
        cv.rect(-0.2, h, 1.2, 1.2, g)
        if env == "pitch":
            horiz = rng.random() < 0.5
            for k, x in enumerate(np.arange(-0.2, 1.2, 0.1)):
                if k % 2:
                    if horiz:
                        cv.rect(-0.2, h + (x + 0.2) * 0.6, 1.2, h + (x + 0.3) * 0.6, _shade(g, 1.12))
                    else:
                        cv.rect(x, h, x + 0.1, 1.2, _shade(g, 1.12))
            white = (0.95, 0.95, 0.95)
            cx = rng.uniform(0.2, 0.8)
            cv.ellipse(cx, rng.uniform(h + 0.2, 0.85), 0.22, 0.08, white, inner=0.92)
            cv.line(cx, h, cx + rng.uniform(-0.2, 0.2), 1.2, 0.008, white)
            cv.line(-0.2, h + 0.04, 1.2, h + 0.04, 0.007, white)
            if rng.random() < 0.5:  # a goal
                gx = _pick(rng, [0.02, 0.8])
                gy = h + 0.1
                cv.rect(gx, gy - 0.1, gx + 0.18, gy - 0.09, white)
                cv.line(gx, gy - 0.1, gx, gy, 0.008, white)
                cv.line(gx + 0.18, gy - 0.1, gx + 0.18, gy, 0.008, white)
        else:
            dirt = _jit(rng, (0.65, 0.45, 0.3), 0.04)
            cx = obj["x"] if obj else 0.5
            hy = min(1.15, (obj["yb"] + 0.05) if obj else 0.95)
            top = h + 0.08
            mid = (top + hy) / 2
            cv.poly([(cx, top - 0.04), (cx + 0.7, mid), (cx, hy + 0.12), (cx - 0.7, mid)], dirt)
            cv.poly([(cx, top + 0.02), (cx + 0.45, mid), (cx, hy - 0.04), (cx - 0.45, mid)], _shade(g, 1.05))
            cv.texture(-0.2, h, 1.2, 1.2, rng, 0.04)
            white = (0.95, 0.95, 0.95)
            cv.line(cx, hy, cx + 0.9, mid - 0.1, 0.006, white)
            cv.line(cx, hy, cx - 0.9, mid - 0.1, 0.006, white)
            for bx, by in ((cx + 0.57, mid), (cx - 0.57, mid), (cx, top - 0.01)):
                cv.rect(bx - 0.015, by - 0.01, bx + 0.015, by + 0.01, white)
            cv.circle(cx, mid, 0.04, _shade(dirt, 1.1))   # the mound
    elif env == "hall":
        cv.vgrad(-0.2, h, _shade(p["wall"], 0.8), p["wall"])
        if p["curtain"]:
            cc = p["curtain_color"]
            cv.rect(-0.2, -0.2, 1.2, h, cc)
            for x in np.arange(-0.2, 1.2, 0.05):
                cv.rect(x, -0.2, x + 0.02, h, _shade(cc, 0.75))
        for _ in range(int(rng.integers(0, 3))):
            x, y = rng.uniform(0, 1), rng.uniform(0.08, h - 0.25)
            w, hh = rng.uniform(0.08, 0.16), rng.uniform(0.08, 0.14)
            cv.rect(x, y, x + w, y + hh, _jit(rng, (0.3, 0.22, 0.12)))
            cv.rect(x + 0.01, y + 0.01, x + w - 0.01, y + hh - 0.01, _jit(rng, (0.6, 0.55, 0.45), 0.2))
        fl = p["floor"]
        cv.rect(-0.2, h, 1.2, 1.2, fl)
        for yy in np.arange(h + 0.03, 1.2, 0.04):
            cv.line(-0.2, yy, 1.2, yy, 0.004, _shade(fl, 0.85))
        cv.rect(-0.2, h - 0.012, 1.2, h + 0.004, _shade(fl, 0.6))
        if p["spot"]:
            cv.ellipse(rng.uniform(0.35, 0.65), h + 0.15, 0.38, 0.12, (1.0, 0.97, 0.85), alpha=0.2)
        for _ in range(int(rng.integers(0, 3))):  # music stands and chairs left around
            x = rng.uniform(0.0, 1.0)
            y = rng.uniform(h + 0.02, 0.9)
            if rng.random() < 0.5:
                cv.line(x, y, x, y - 0.15, 0.006, (0.15, 0.15, 0.15))
                cv.poly([(x - 0.05, y - 0.2), (x + 0.05, y - 0.2), (x + 0.04, y - 0.14), (x - 0.04, y - 0.14)], (0.15, 0.15, 0.15))
            else:
                cc = _jit(rng, (0.3, 0.2, 0.15))
                cv.rect(x - 0.04, y - 0.08, x + 0.04, y - 0.065, cc)
                cv.rect(x - 0.035, y - 0.16, x + 0.035, y - 0.08, cc)
                cv.line(x - 0.035, y - 0.065, x - 0.035, y, 0.006, cc)
                cv.line(x + 0.035, y - 0.065, x + 0.035, y, 0.006, cc)


def _draw_offscreen(cv, p, rng):
    """What the camera shows when it looks away from the source."""
    view = OFFSCREEN_VIEW[p["env"]]
    if view == "wall":
        wall = p["wall"]
        cv.vgrad(-0.2, 1.2, _shade(wall, 0.9), _shade(wall, 1.05))
        cv.rect(-0.2, -0.2, 1.2, rng.uniform(0.05, 0.15), _shade(wall, 1.2))
        kind = _pick(rng, ["door", "picture", "window"])
        x = rng.uniform(0.15, 0.6)
        if kind == "door":
            cv.rect(x, 0.25, x + 0.35, 1.2, _jit(rng, (0.45, 0.3, 0.18)))
            cv.rect(x + 0.04, 0.3, x + 0.31, 0.6, _jit(rng, (0.4, 0.26, 0.15)))
            cv.circle(x + 0.3, 0.7, 0.02, (0.85, 0.75, 0.3))
        elif kind == "picture":
            cv.rect(x, 0.25, x + 0.4, 0.65, _jit(rng, (0.25, 0.18, 0.1)))
            cv.rect(x + 0.03, 0.28, x + 0.37, 0.62, _jit(rng, (0.5, 0.55, 0.5), 0.25))
            cv.circle(x + 0.2, 0.45, 0.08, _jit(rng, (0.8, 0.6, 0.3), 0.2))
        else:
            cv.rect(x, 0.2, x + 0.4, 0.7, (0.92, 0.92, 0.9))
            cv.rect(x + 0.02, 0.22, x + 0.38, 0.68, _jit(rng, (0.6, 0.78, 0.95), 0.05))
            cv.line(x + 0.2, 0.2, x + 0.2, 0.7, 0.015, (0.92, 0.92, 0.9))
        cv.texture(-0.2, -0.2, 1.2, 1.2, rng, 0.03)
    elif view == "bushes":
        cv.fill(_shade(p["grass"], 0.7))
        for _ in range(90):
            cv.ellipse(rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 1.1), rng.uniform(0.03, 0.08), rng.uniform(0.02, 0.05),
                       _jit(rng, (0.2, 0.42, 0.15), 0.07), angle=rng.uniform(0, 3.14))
    elif view == "clouds":
        _draw_sky(cv, p, 1.2, rng, clouds=False)
        for _ in range(int(rng.integers(5, 9))):
            cx, cy, w = rng.uniform(-0.1, 1.1), rng.uniform(0.0, 1.0), rng.uniform(0.2, 0.45)
            cc = _mixc((1, 1, 1), (0.7, 0.72, 0.78), rng.uniform(0, 0.5))
            for _ in range(5):
                cv.ellipse(cx + rng.uniform(-w, w) * 0.5, cy + rng.uniform(-0.05, 0.05), w * 0.6, w * 0.3, cc, alpha=0.9)
    elif view == "boat_interior":
        _draw_sky(cv, p, 0.35, rng)
        cv.rect(-0.2, 0.3, 1.2, 0.55, p["water"])
        cv.rect(-0.2, 0.5, 1.2, 1.2, _jit(rng, (0.25, 0.25, 0.27), 0.04))       # dashboard
        cv.rect(-0.2, 0.47, 1.2, 0.52, _jit(rng, (0.9, 0.9, 0.88), 0.04))      # gunwale
        for x in (-0.05, 1.05):
            cv.line(x, 0.0, x + (0.25 if x < 0.5 else -0.25), 0.5, 0.05, (0.2, 0.2, 0.22))  # windshield frame
        wx = rng.uniform(0.3, 0.7)
        cv.ellipse(wx, 0.75, 0.17, 0.17, (0.08, 0.08, 0.08), inner=0.8)           # steering wheel
        cv.line(wx - 0.17, 0.75, wx + 0.17, 0.75, 0.025, (0.08, 0.08, 0.08))
        cv.line(wx, 0.75, wx, 0.92, 0.025, (0.08, 0.08, 0.08))
        for k in range(3):
            gx = 0.1 + 0.12 * k if wx > 0.5 else 0.65 + 0.12 * k
            cv.circle(gx, 0.62, 0.04, (0.85, 0.85, 0.8))
            cv.line(gx, 0.62, gx + 0.025, 0.6, 0.006, (0.8, 0.1, 0.1))
        cv.rect(-0.2, 0.9, 1.2, 1.2, _jit(rng, (0.85, 0.85, 0.82), 0.03))          # seat edge
    elif view == "forest":
        cv.fill(_jit(rng, (0.25, 0.4, 0.22), 0.04))
        for _ in range(10):
            x = rng.uniform(-0.1, 1.1)
            cv.rect(x - 0.02, 0.3, x + 0.02, 1.2, _jit(rng, (0.35, 0.25, 0.15)))
        for _ in range(40):
            cv.circle(rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 0.6), rng.uniform(0.05, 0.12),
                      _jit(rng, (0.15, 0.38, 0.15), 0.06))
        cv.rect(-0.2, 0.85, 1.2, 1.2, _jit(rng, (0.3, 0.25, 0.18)))
    elif view == "stands":
        cv.fill((0.25, 0.25, 0.28))
        cv.dots(-0.2, -0.2, 1.2, 1.2, rng, CROWD, 0.65, 0.03)
        for y in np.arange(0.05, 1.1, 0.12):
            cv.rect(-0.2, y, 1.2, y + 0.015, (0.5, 0.5, 0.55))
    elif view == "audience":
        cv.fill(_shade(p["floor"], 0.5))
        for row, y in enumerate(np.arange(0.15, 1.15, 0.17)):
            for x in np.arange(-0.1 + 0.05 * (row % 2), 1.1, 0.11):
                cv.circle(x, y, 0.045, _jit(rng, _pick(rng, SKIN), 0.02))
                cv.ellipse(x, y - 0.025, 0.045, 0.025, _jit(rng, _pick(rng, HAIR), 0.02))
                cv.rect(x - 0.055, y + 0.04, x + 0.055, y + 0.13, _jit(rng, (0.5, 0.1, 0.12), 0.04))


# ============================================================================ scene objects
def _r3(v) -> float:
    return round(float(v), 3)


def _since(times, t) -> float:
    """Seconds since the latest event at or before ``t`` (inf if none)."""
    best = math.inf
    for e in times:
        if e <= t + 1e-9:
            best = min(best, t - e)
    return best


def _ground_place(rng, horizon, w, h, dist, side=None):
    """Centre x and bottom y of an object standing on the ground/floor/water: nearer
    objects stand lower in the frame (simple perspective)."""
    lo, hi = 0.03 + w / 2, 0.97 - w / 2
    if side == "left":
        hi = min(hi, 0.47 - w / 2 + 0.1)
    elif side == "right":
        lo = max(lo, 0.53 + w / 2 - 0.1)
    x = rng.uniform(lo, hi) if hi > lo else 0.5 * (lo + hi) if side else 0.5
    near = 1.0 / dist
    yb = horizon + (0.985 - horizon) * (0.2 + 0.8 * near) + rng.normal(0, 0.015)
    yb = float(np.clip(yb, min(horizon + 0.03, 0.985), 0.985))
    if yb - h < 0.01:
        yb = min(0.985, 0.01 + h)
    return float(x), yb


def _plan_obj(cls, rng, D, dist, envp, side=None):
    s = BASE_SIZE / dist
    hz = envp["horizon"]
    p = {"cls": cls, "s": s, "facing": int(_pick(rng, [-1, 1]))}
    if cls == "dog":
        p["x"], p["yb"] = _ground_place(rng, hz, 1.05 * s, 0.8 * s, dist, side)
        f0 = rng.uniform(350, 800)
        barks, t = [], rng.uniform(0.0, 0.12)
        while t < D - 0.05:
            for _ in range(int(rng.integers(1, 4))):
                dur = rng.uniform(0.12, 0.22)
                barks.append((_r3(t), _r3(dur), _r3(f0 * rng.uniform(0.93, 1.07))))
                t += dur + rng.uniform(0.04, 0.1)
                if t >= D - 0.05:
                    break
            t += rng.uniform(0.04, 0.2)
        p.update(barks=barks, formants=(rng.uniform(600, 1100), rng.uniform(1500, 2600)),
                 coat=_jit(rng, _pick(rng, [(0.45, 0.3, 0.15), (0.12, 0.1, 0.1), (0.8, 0.6, 0.3), (0.92, 0.9, 0.85),
                                            (0.55, 0.55, 0.55), (0.65, 0.4, 0.2)]), 0.05),
                 patch_shade=rng.uniform(0.45, 0.8), wag=rng.uniform(2, 5))
    elif cls == "drum":
        p["x"], p["yb"] = _ground_place(rng, hz, 1.0 * s, 0.8 * s, dist, side)
        bpm = rng.uniform(85, 150)
        step = 60.0 / bpm / 2
        hits, k = [], 0
        extra_kick = rng.random() < 0.5
        hat_every = 1 if rng.random() < 0.6 else 2
        fill = rng.random() < 0.35
        t0 = rng.uniform(0, 0.1)
        while t0 + k * step < D - 0.05:
            t, pos = _r3(t0 + k * step), k % 8
            bar_end = (D - t) < 8 * step
            if pos in (0, 4) or (extra_kick and pos == 3):
                hits.append((t, "kick", 1.0))
            if pos in (2, 6):
                hits.append((t, "snare", rng.uniform(0.8, 1.0)))
            if k == 0 and rng.random() < 0.6:
                hits.append((t, "crash", 0.9))
            if fill and bar_end and pos >= 5:
                hits.append((t, "tom", 1.0))
            elif k % hat_every == 0:
                hits.append((t, "hat", rng.uniform(0.6, 1.0)))
            k += 1
        p.update(hits=hits, kick_hz=rng.uniform(45, 65), snare_hz=rng.uniform(170, 230),
                 snare_decay=rng.uniform(0.08, 0.15), tom_hz=rng.uniform(100, 180),
                 shell=_jit(rng, _pick(rng, [(0.7, 0.1, 0.1), (0.1, 0.2, 0.6), (0.1, 0.1, 0.1), (0.9, 0.9, 0.9),
                                             (0.6, 0.4, 0.2), (0.3, 0.6, 0.3)]), 0.05),
                 head=_jit(rng, (0.93, 0.92, 0.88), 0.03), metal=_jit(rng, (0.85, 0.7, 0.3), 0.05))
    elif cls == "guitar":
        p["x"], p["yb"] = _ground_place(rng, hz, 0.7 * s, 1.0 * s, dist, side)
        plucks = []
        root = int(rng.integers(40, 50))
        minor = rng.random() < 0.4
        chord = [0, 7, 12, 15 if minor else 16, 19, 24]
        if rng.random() < 0.5:   # strums
            t = rng.uniform(0, 0.1)
            while t < D - 0.05:
                for j, iv in enumerate(chord[: int(rng.integers(4, 7))]):
                    plucks.append((_r3(t + 0.015 * j), root + iv, rng.uniform(0.6, 1.0)))
                t += rng.uniform(0.35, 0.6)
                if rng.random() < 0.3:
                    root = int(np.clip(root + _pick(rng, [-5, -2, 2, 5, 7]), 40, 52))
        else:                    # arpeggios
            t, j = rng.uniform(0, 0.1), 0
            while t < D - 0.05:
                plucks.append((_r3(t), root + chord[j % len(chord)], rng.uniform(0.7, 1.0)))
                j += int(rng.integers(1, 3))
                t += rng.uniform(0.15, 0.3)
        p.update(plucks=plucks, t60=rng.uniform(1.2, 2.5), bright=rng.uniform(0.4, 0.9),
                 electric=bool(rng.random() < 0.3), tilt=rng.uniform(0.9, 1.35),
                 body=_jit(rng, _pick(rng, [(0.8, 0.55, 0.3), (0.45, 0.25, 0.12), (0.7, 0.12, 0.1), (0.1, 0.1, 0.1),
                                            (0.85, 0.5, 0.15), (0.15, 0.3, 0.6)]), 0.05),
                 person=_person_colors(rng), seated=bool(rng.random() < 0.4))
    elif cls == "piano":
        grand = bool(rng.random() < 0.4)
        p["x"], p["yb"] = _ground_place(rng, hz, 1.0 * s, (0.85 if grand else 0.7) * s, dist, side)
        notes, t = [], rng.uniform(0, 0.1)
        m = int(rng.integers(55, 72))
        while t < D - 0.05:
            for c in range(int(rng.integers(1, 4)) if rng.random() < 0.3 else 1):
                notes.append((_r3(t), int(np.clip(m + [0, 4, 7][c] - (12 if c else 0), 36, 90)), rng.uniform(0.6, 1.0)))
            m = int(np.clip(m + _pick(rng, [-4, -3, -2, -1, 1, 2, 3, 4, 5, -5]), 45, 84))
            t += rng.uniform(0.18, 0.45)
        p.update(grand=grand, notes=notes, inharm=rng.uniform(0.0002, 0.0008), hammer=rng.uniform(2.5, 5.0),
                 decay=rng.uniform(1.5, 3.5),
                 color=_jit(rng, _pick(rng, [(0.06, 0.06, 0.07), (0.06, 0.06, 0.07), (0.35, 0.2, 0.1), (0.9, 0.9, 0.88)]), 0.02))
    elif cls == "plane":
        w = s
        top_lim, bot_lim = 0.04 + 0.2 * s, min(hz, 1.0) - 0.04 - 0.2 * s
        y = rng.uniform(top_lim, max(top_lim, bot_lim)) if bot_lim > top_lim else 0.5 * (top_lim + bot_lim)
        if side is not None:   # a second source: fly in the top part of the sky
            y = rng.uniform(0.05 + 0.2 * s, max(0.06 + 0.2 * s, hz - 0.25 * s))
        travel = float(np.clip(0.96 - w, 0.0, 0.45)) * rng.uniform(0.6, 1.0)
        xc = rng.uniform(0.5 - (0.96 - w - travel) / 2, 0.5 + (0.96 - w - travel) / 2) if 0.96 - w - travel > 0 else 0.5
        tc = rng.uniform(0.35, 0.65) * D
        f = p["facing"]
        p.update(x0=xc + f * (-travel / 2), x1=xc + f * (travel / 2), y=y, t_closest=tc, speed=rng.uniform(60, 120),
                 altitude=rng.uniform(120, 350), engine_hz=rng.uniform(70, 140), whine_hz=rng.uniform(1500, 3000),
                 roar_cut=rng.uniform(700, 1600),
                 body=_jit(rng, _pick(rng, [(0.92, 0.92, 0.94), (0.85, 0.85, 0.88), (0.75, 0.77, 0.8), (0.95, 0.95, 0.9)]), 0.03),
                 livery=_jit(rng, _pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.6), (0.1, 0.5, 0.7), (0.9, 0.6, 0.1)]), 0.05))
        p["x"] = 0.5 * (p["x0"] + p["x1"])
        p["yb"] = y + 0.2 * s
    elif cls == "speedboat":
        p["x"], p["yb"] = _ground_place(rng, hz, 1.05 * s, 0.3 * s, dist, side)
        drift = rng.uniform(-0.03, 0.03)
        p.update(drift=drift, bob=rng.uniform(0.005, 0.015) * s / BASE_SIZE, bob_hz=rng.uniform(0.7, 1.5),
                 fire_hz=rng.uniform(28, 55), rpm_wobble=rng.uniform(0.03, 0.1),
                 resonances=(rng.uniform(200, 450), rng.uniform(800, 1600)), splash=rng.uniform(0.3, 0.7),
                 wave_rate=rng.uniform(2, 4),
                 hull=_jit(rng, _pick(rng, [(0.95, 0.95, 0.95), (0.8, 0.1, 0.1), (0.95, 0.8, 0.1), (0.1, 0.25, 0.6),
                                            (0.1, 0.1, 0.1)]), 0.04),
                 stripe=_jit(rng, _pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.6), (0.95, 0.95, 0.95)]), 0.04),
                 skin=_jit(rng, _pick(rng, SKIN), 0.03))
    elif cls == "waterfall":
        w = s * rng.uniform(0.3, 0.5)
        x, yb = _ground_place(rng, max(hz, 0.25), w * 1.4, s, dist, side)
        p.update(x=x, yb=yb, w=w, tilt=rng.uniform(0.8, 1.6), cut_hz=rng.uniform(1500, 5000),
                 bump_hz=rng.uniform(200, 800), water=_jit(rng, (0.82, 0.9, 0.95), 0.03),
                 streaks=[(rng.uniform(-0.45, 0.45), rng.uniform(0, 1)) for _ in range(9)],
                 speed=rng.uniform(0.8, 1.6))
    elif cls == "soccer":
        p["x"], p["yb"] = _ground_place(rng, hz, 1.0 * s, 0.6 * s, dist, side)
        teams = [_jit(rng, c, 0.04) for c in
                 [CLOTHES[i] for i in rng.choice([1, 2, 3, 4, 7, 8, 0], 2, replace=False)]]
        players = []
        for j in range(int(rng.integers(2, 5))):
            players.append((rng.uniform(-0.42, 0.42), rng.uniform(-0.1, 0.0), j % 2, rng.uniform(0, 6.28)))
        kicks, t = [], rng.uniform(0.1, 0.8)
        while t < D - 0.1:
            kicks.append(_r3(t))
            t += rng.uniform(0.6, 1.6)
        ball = [(rng.uniform(-0.35, 0.35), rng.uniform(-0.08, 0.0)) for _ in range(len(kicks) + 1)]
        whistle = None
        if rng.random() < 0.4:
            whistle = (_r3(rng.uniform(0, max(0.1, D - 0.8))), _r3(rng.uniform(0.3, 0.6)))
        p.update(teams=teams, players=players, kicks=kicks, ball=ball, kick_hz=rng.uniform(60, 90),
                 whistle=whistle, whistle_hz=rng.uniform(2800, 3400), skin=[_jit(rng, _pick(rng, SKIN), 0.03) for _ in players])
    elif cls == "baseball":
        p["x"], p["yb"] = _ground_place(rng, hz, 0.75 * s, 1.0 * s, dist, side)
        cracks, t = [], rng.uniform(0.3, 0.9)
        while t < D - 0.1:
            cracks.append(_r3(t))
            t += rng.uniform(0.9, 1.7)
        organ = None
        if rng.random() < 0.35:
            r = int(rng.integers(60, 70))
            organ = [r, r + 4, r + 7]
        p.update(cracks=cracks, crack_hz=(rng.uniform(1100, 1800), rng.uniform(2400, 3600)), organ=organ,
                 person=_person_colors(rng), helmet=_jit(rng, _pick(rng, [(0.1, 0.15, 0.5), (0.6, 0.1, 0.1), (0.1, 0.1, 0.1)]), 0.04),
                 bat=_jit(rng, _pick(rng, [(0.75, 0.55, 0.3), (0.6, 0.6, 0.62), (0.15, 0.1, 0.08)]), 0.03))
        p["person"]["shirt"] = _jit(rng, (0.92, 0.92, 0.9), 0.03)
    else:
        raise ValueError(f"unknown scene class {cls!r}")
    return p


def _draw_dog(cv, p, t):
    s, x, yb, f, coat = p["s"], p["x"], p["yb"], p["facing"], p["coat"]
    patch = _shade(coat, p["patch_shade"]) if sum(coat) > 0.6 else _mixc(coat, (0.6, 0.45, 0.3), 0.4)
    bark = 0.0
    for (b0, dur, _) in p["barks"]:
        if b0 <= t < b0 + dur + 0.06:
            bark = 1.0
    lift = 0.05 * s * bark
    bx = x - f * 0.05 * s
    for k, d in enumerate((-0.22, 0.2, -0.14, 0.12)):
        col = _shade(coat, 0.8) if k < 2 else coat
        lx = bx + f * d * s
        cv.line(lx, yb - 0.38 * s, lx + f * 0.02 * s, yb - 0.02 * s, 0.07 * s, col)
    wag = 0.06 * s * math.sin(2 * math.pi * p["wag"] * t)
    cv.line(bx - f * 0.28 * s, yb - 0.5 * s, bx - f * 0.45 * s, yb - 0.68 * s + wag, 0.05 * s, coat)
    cv.ellipse(bx, yb - 0.45 * s, 0.31 * s, 0.14 * s, coat)
    cv.ellipse(bx - f * 0.05 * s, yb - 0.5 * s, 0.12 * s, 0.07 * s, patch)
    hx, hy = x + f * 0.3 * s, yb - 0.66 * s - lift
    cv.line(bx + f * 0.18 * s, yb - 0.47 * s, hx - f * 0.02 * s, hy + 0.03 * s, 0.13 * s, coat)
    cv.circle(hx, hy, 0.11 * s, coat)
    snx = hx + f * 0.12 * s
    if bark:
        cv.poly([(snx - f * 0.02 * s, hy + 0.02 * s), (snx + f * 0.1 * s, hy + 0.015 * s),
                 (snx + f * 0.08 * s, hy + 0.1 * s)], (0.45, 0.08, 0.1))
        cv.ellipse(snx + f * 0.02 * s, hy - 0.02 * s, 0.09 * s, 0.045 * s, coat, angle=-f * 0.25)
        cv.ellipse(snx + f * 0.03 * s, hy + 0.07 * s, 0.08 * s, 0.025 * s, coat, angle=f * 0.5)
    else:
        cv.ellipse(snx, hy + 0.03 * s, 0.1 * s, 0.055 * s, coat)
    cv.circle(snx + f * 0.09 * s, hy + (0.0 if bark else 0.015) * s - 0.01 * s, 0.025 * s, (0.05, 0.04, 0.04))
    cv.circle(hx + f * 0.04 * s, hy - 0.03 * s, 0.02 * s, (0.05, 0.04, 0.04))
    cv.ellipse(hx - f * 0.06 * s, hy - 0.02 * s, 0.045 * s, 0.09 * s, patch, angle=f * 0.35)


def _draw_drum(cv, p, t):
    s, x, yb = p["s"], p["x"], p["yb"]
    hits = p["hits"]
    since_cym = min(_since([h[0] for h in hits if h[1] in ("crash", "hat")], t), 5.0)
    since_drum = min(_since([h[0] for h in hits if h[1] in ("kick", "snare", "tom")], t), 5.0)
    wob = 0.25 * math.exp(-since_cym / 0.15) * math.cos(30 * since_cym)
    grey = (0.3, 0.3, 0.32)
    for side in (-1, 1):
        cv.line(x + side * 0.4 * s, yb, x + side * 0.4 * s, yb - 0.68 * s, 0.018 * s, grey)
        cv.line(x + side * 0.4 * s, yb, x + side * 0.47 * s, yb, 0.018 * s, grey)
    shell, head, metal = p["shell"], p["head"], p["metal"]
    flash = _mixc(head, (1, 1, 1), 0.6 * math.exp(-since_drum / 0.08))
    # floor tom (right) and snare (left)
    cv.rect(x + 0.2 * s, yb - 0.42 * s, x + 0.42 * s, yb - 0.06 * s, shell)
    cv.ellipse(x + 0.31 * s, yb - 0.42 * s, 0.11 * s, 0.035 * s, head)
    cv.line(x - 0.3 * s, yb, x - 0.3 * s, yb - 0.4 * s, 0.015 * s, grey)
    cv.rect(x - 0.42 * s, yb - 0.5 * s, x - 0.18 * s, yb - 0.4 * s, _shade(shell, 1.15))
    cv.ellipse(x - 0.3 * s, yb - 0.5 * s, 0.12 * s, 0.035 * s, flash)
    # bass drum
    cv.circle(x, yb - 0.24 * s, 0.24 * s, shell)
    cv.circle(x, yb - 0.24 * s, 0.2 * s, flash)
    cv.rect(x - 0.2 * s, yb - 0.27 * s, x + 0.2 * s, yb - 0.21 * s, _shade(shell, 0.9))
    # rack toms
    for side in (-1, 1):
        tx = x + side * 0.11 * s
        cv.rect(tx - 0.08 * s, yb - 0.62 * s, tx + 0.08 * s, yb - 0.48 * s, shell)
        cv.ellipse(tx, yb - 0.62 * s, 0.08 * s, 0.03 * s, head)
    # cymbals
    for side in (-1, 1):
        cv.ellipse(x + side * 0.4 * s, yb - 0.7 * s, 0.15 * s, 0.028 * s, metal, angle=side * 0.12 + wob)
        cv.circle(x + side * 0.4 * s, yb - 0.7 * s, 0.012 * s, _shade(metal, 0.7))


def _draw_guitar(cv, p, t):
    s, x, yb, f = p["s"], p["x"], p["yb"], p["facing"]
    col = p["person"]
    body = _person(cv, x, yb, s, col, seated=p["seated"])
    if p["seated"]:
        cv.rect(x - 0.14 * s, yb - 0.36 * s, x + 0.14 * s, yb - 0.32 * s, (0.3, 0.22, 0.15))
    hip = body["hip_y"]
    gx, gy = x - f * 0.02 * s, hip - 0.03 * s
    R = _rot(gx, gy, f * p["tilt"])        # u axis along the neck, towards the player's fretting side
    wood = p["body"]
    cv.circle(*R(-0.07 * s, 0), 0.13 * s, wood)
    cv.circle(*R(0.08 * s, 0), 0.1 * s, wood)
    cv.poly([R(0.12 * s, -0.02 * s), R(0.52 * s, -0.016 * s), R(0.52 * s, 0.016 * s), R(0.12 * s, 0.02 * s)], (0.3, 0.18, 0.1))
    cv.poly([R(0.52 * s, -0.03 * s), R(0.6 * s, -0.03 * s), R(0.6 * s, 0.03 * s), R(0.52 * s, 0.03 * s)], (0.2, 0.12, 0.08))
    if p["electric"]:
        cv.poly([R(-0.05 * s, -0.06 * s), R(0.06 * s, -0.06 * s), R(0.06 * s, 0.06 * s), R(-0.05 * s, 0.06 * s)],
                (0.92, 0.92, 0.9))
    else:
        cv.circle(*R(0.04 * s, 0), 0.04 * s, (0.08, 0.05, 0.03))
    cv.line(*R(-0.14 * s, 0), *R(0.58 * s, 0), 0.006 * s, (0.85, 0.85, 0.8))
    since = min(_since([q[0] for q in p["plucks"]], t), 5.0)
    strum = 0.05 * s * math.exp(-since / 0.1)
    hand = R(-0.02 * s, -0.02 * s + strum)
    fret = R((0.38 + 0.08 * math.sin(0.7 * len([q for q in p["plucks"] if q[0] <= t]))) * s, 0.0)
    sh_strum = body["sl"] if f > 0 else body["sr"]
    sh_fret = body["sr"] if f > 0 else body["sl"]
    _arm(cv, sh_strum, hand, s, col["shirt"], col["skin"])
    _arm(cv, sh_fret, fret, s, col["shirt"], col["skin"])


_WHITE_KEYS = [0, 2, 4, 5, 7, 9, 11]


def _draw_piano(cv, p, t):
    s, x, yb, c = p["s"], p["x"], p["yb"], p["color"]
    active = [n[1] for n in p["notes"] if n[0] <= t < n[0] + 0.25]
    light = _mixc(c, (1, 1, 1), 0.25)
    if p["grand"]:
        for lx in (x - 0.42 * s, x + 0.42 * s, x + 0.1 * s):
            cv.rect(lx - 0.025 * s, yb - 0.3 * s, lx + 0.025 * s, yb, _shade(c, 0.9))
        cv.poly([(x - 0.5 * s, yb - 0.45 * s), (x + 0.5 * s, yb - 0.45 * s), (x + 0.45 * s, yb - 0.85 * s),
                 (x + 0.3 * s, yb - 0.85 * s)], light)                      # raised lid
        cv.rect(x - 0.5 * s, yb - 0.46 * s, x + 0.5 * s, yb - 0.3 * s, c)
        ky0, ky1 = yb - 0.38 * s, yb - 0.33 * s
    else:
        cv.rect(x - 0.5 * s, yb - 0.7 * s, x + 0.5 * s, yb - 0.06 * s, c)
        cv.rect(x - 0.52 * s, yb - 0.72 * s, x + 0.52 * s, yb - 0.67 * s, light)
        cv.rect(x - 0.45 * s, yb - 0.06 * s, x - 0.38 * s, yb, _shade(c, 0.8))
        cv.rect(x + 0.38 * s, yb - 0.06 * s, x + 0.45 * s, yb, _shade(c, 0.8))
        cv.rect(x - 0.47 * s, yb - 0.31 * s, x + 0.47 * s, yb - 0.27 * s, _shade(c, 0.8))
        cv.rect(x - 0.13 * s, yb - 0.55 * s, x + 0.13 * s, yb - 0.43 * s, (0.95, 0.94, 0.88))
        ky0, ky1 = yb - 0.38 * s, yb - 0.31 * s
    x0, x1 = x - 0.47 * s, x + 0.47 * s
    cv.rect(x0, ky0, x1, ky1, (0.96, 0.95, 0.9))
    nwhite = 28
    kw = (x1 - x0) / nwhite
    for i in range(nwhite):
        cv.line(x0 + i * kw, ky0, x0 + i * kw, ky1, 0.002, (0.6, 0.6, 0.6))
        if i % 7 not in (2, 6):
            cv.rect(x0 + (i + 0.65) * kw, ky0, x0 + (i + 1.35) * kw, ky0 + 0.6 * (ky1 - ky0), (0.05, 0.05, 0.05))
    for m in active:
        octv, pc = divmod(int(m) - 36, 12)
        wi = octv * 7 + sum(1 for k in _WHITE_KEYS if k <= pc) - 1
        wi = int(np.clip(wi, 0, nwhite - 1))
        cv.rect(x0 + wi * kw, ky0 + 0.5 * (ky1 - ky0), x0 + (wi + 1) * kw, ky1, (0.55, 0.55, 0.6))


def _plane_pos(p, t, D):
    u = 0.0 if D <= 0 else t / D
    return p["x0"] + (p["x1"] - p["x0"]) * u, p["y"] - 0.02 * u


def _draw_plane(cv, p, t, D):
    s, f = p["s"], p["facing"]
    x, y = _plane_pos(p, t, D)
    body, liv = p["body"], p["livery"]
    dark = _shade(body, 0.75)
    cv.poly([(x + f * 0.02 * s, y - 0.03 * s), (x - f * 0.1 * s, y - 0.03 * s), (x - f * 0.22 * s, y - 0.13 * s),
             (x - f * 0.15 * s, y - 0.13 * s)], dark)                      # far wing
    cv.poly([(x - f * 0.36 * s, y - 0.03 * s), (x - f * 0.5 * s, y - 0.03 * s), (x - f * 0.53 * s, y - 0.24 * s),
             (x - f * 0.45 * s, y - 0.24 * s)], liv)                       # tail fin
    cv.ellipse(x, y, 0.5 * s, 0.07 * s, body)
    cv.ellipse(x + f * 0.44 * s, y - 0.015 * s, 0.045 * s, 0.02 * s, (0.15, 0.2, 0.3))
    cv.line(x - f * 0.45 * s, y + 0.025 * s, x + f * 0.4 * s, y + 0.025 * s, 0.018 * s, liv)
    for i in range(11):
        cv.circle(x + f * (-0.32 + i * 0.065) * s, y - 0.018 * s, 0.011 * s, (0.2, 0.25, 0.35))
    cv.poly([(x - f * 0.42 * s, y), (x - f * 0.52 * s, y), (x - f * 0.56 * s, y + 0.06 * s),
             (x - f * 0.47 * s, y + 0.06 * s)], dark)                      # stabiliser
    cv.poly([(x + f * 0.1 * s, y + 0.02 * s), (x - f * 0.08 * s, y + 0.02 * s), (x - f * 0.3 * s, y + 0.22 * s),
             (x - f * 0.18 * s, y + 0.22 * s)], _shade(body, 0.9))          # near wing
    cv.ellipse(x - f * 0.06 * s, y + 0.1 * s, 0.06 * s, 0.025 * s, (0.5, 0.5, 0.55))


def _draw_speedboat(cv, p, t):
    s, f = p["s"], p["facing"]
    x = p["x"] + p["drift"] * t
    y = p["yb"] - 0.04 * s + p["bob"] * math.sin(2 * math.pi * p["bob_hz"] * t)
    was = cv.obj
    cv.obj = False
    for k in range(5):   # wake and spray are water, not the boat
        wx = x - f * (0.55 + 0.18 * k) * s
        cv.ellipse(wx, y + 0.03 * s, (0.12 + 0.05 * k) * s, (0.025 + 0.006 * k) * s, (0.95, 0.97, 1.0),
                   alpha=0.85 - 0.12 * k)
    cv.ellipse(x + f * 0.4 * s, y + 0.01 * s, 0.1 * s, 0.035 * s, (0.95, 0.97, 1.0), alpha=0.8)
    cv.obj = was
    hull, stripe = p["hull"], p["stripe"]
    cv.poly([(x - f * 0.5 * s, y - 0.15 * s), (x + f * 0.25 * s, y - 0.15 * s), (x + f * 0.53 * s, y - 0.21 * s),
             (x + f * 0.36 * s, y + 0.03 * s), (x - f * 0.48 * s, y + 0.03 * s)], hull)
    cv.line(x - f * 0.48 * s, y - 0.06 * s, x + f * 0.44 * s, y - 0.11 * s, 0.035 * s, stripe)
    cx0, cx1 = sorted((x - f * 0.3 * s, x + f * 0.02 * s))
    cv.rect(cx0, y - 0.22 * s, cx1, y - 0.15 * s, _shade(hull, 0.8))
    cv.circle(x - f * 0.14 * s, y - 0.27 * s, 0.045 * s, p["skin"])
    cv.poly([(x + f * 0.02 * s, y - 0.15 * s), (x + f * 0.2 * s, y - 0.15 * s), (x + f * 0.08 * s, y - 0.3 * s),
             (x - f * 0.02 * s, y - 0.3 * s)], (0.55, 0.7, 0.8), alpha=0.75)


def _draw_waterfall(cv, p, t):
    s, x, yb, w = p["s"], p["x"], p["yb"], p["w"]
    top = yb - s
    water = p["water"]
    cv.poly([(x - w / 2, top), (x + w / 2, top), (x + w / 2 * 1.15, yb), (x - w / 2 * 1.15, yb)], _shade(water, 0.92))
    L = yb - top
    for (dx, ph) in p["streaks"]:
        u = (ph + t * p["speed"]) % 1.0
        y0 = top + u * L
        y1 = min(yb, y0 + 0.25 * L)
        cv.line(x + dx * w, y0, x + dx * w * 1.05, y1, max(0.04 * w, 0.004), (1.0, 1.0, 1.0), alpha=0.9)
        if u > 0.8:
            cv.line(x + dx * w, top, x + dx * w, top + (u - 0.8) * L, max(0.04 * w, 0.004), (1, 1, 1), alpha=0.9)
    cv.ellipse(x, top, w * 0.55, 0.02 * s, _mixc(water, (1, 1, 1), 0.5))
    for k in range(6):
        fx = x + (k - 2.5) / 2.5 * w * 0.8
        cv.ellipse(fx, yb + 0.01 * s * math.sin(9 * t + k), w * 0.28, 0.05 * s, (0.97, 0.98, 1.0), alpha=0.9)


def _soccer_ball(p, t):
    """Where the ball is (relative to the group) at time t: it travels after each kick."""
    kicks, ball = p["kicks"], p["ball"]
    i = sum(1 for k in kicks if k <= t)
    if i == 0:
        return ball[0]
    since = t - kicks[i - 1]
    u = min(1.0, since / 0.5)
    u = 1 - (1 - u) ** 2
    a, b = ball[i - 1], ball[i]
    return (a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u - 0.15 * math.sin(math.pi * u) * (u < 1))


def _draw_soccer(cv, p, t):
    s, x, yb = p["s"], p["x"], p["yb"]
    h = 0.8 * s
    order = sorted(range(len(p["players"])), key=lambda j: p["players"][j][1])
    for j in order:
        dx, dy, team, ph = p["players"][j]
        px_, py_ = x + dx * s, yb + dy * s
        run = math.sin(2 * math.pi * 2.0 * t + ph)
        legs = [(px_ - 0.08 * h * run - 0.03 * h, py_), (px_ + 0.08 * h * run + 0.03 * h, py_)]
        col = {"skin": p["skin"][j], "shirt": p["teams"][team], "pants": (0.95, 0.95, 0.95) if team else (0.1, 0.1, 0.12),
               "hair": (0.1, 0.08, 0.06)}
        b = _person(cv, px_, py_, h, col, legs=legs)
        _arm(cv, b["sl"], (px_ - 0.16 * h, py_ - 0.45 * h + 0.05 * h * run), h, col["shirt"], col["skin"])
        _arm(cv, b["sr"], (px_ + 0.16 * h, py_ - 0.45 * h - 0.05 * h * run), h, col["shirt"], col["skin"])
    bx, by = _soccer_ball(p, t)
    r = 0.065 * s
    cv.circle(x + bx * s, yb + by * s - r, r, (0.97, 0.97, 0.97))
    cv.circle(x + bx * s + 0.3 * r, yb + by * s - 1.2 * r, 0.35 * r, (0.1, 0.1, 0.1))
    cv.circle(x + bx * s - 0.4 * r, yb + by * s - 0.6 * r, 0.3 * r, (0.1, 0.1, 0.1))


def _draw_baseball(cv, p, t):
    s, x, yb, f = p["s"], p["x"], p["yb"], p["facing"]
    col = p["person"]
    was = cv.obj
    cv.obj = False
    cv.poly([(x - f * 0.1 * s, yb - 0.01 * s), (x + f * 0.06 * s, yb - 0.01 * s), (x + f * 0.08 * s, yb + 0.01 * s),
             (x - f * 0.02 * s, yb + 0.015 * s), (x - f * 0.12 * s, yb + 0.01 * s)], (0.97, 0.97, 0.97))
    cv.obj = was
    # catcher, crouched behind the plate
    cx = x - f * 0.3 * s
    cv.ellipse(cx, yb - 0.17 * s, 0.09 * s, 0.13 * s, (0.15, 0.15, 0.18))
    cv.circle(cx, yb - 0.33 * s, 0.06 * s, (0.12, 0.12, 0.14))
    cv.line(cx - 0.05 * s, yb - 0.08 * s, cx - 0.08 * s, yb, 0.05 * s, (0.6, 0.6, 0.62))
    cv.line(cx + 0.05 * s, yb - 0.08 * s, cx + 0.08 * s, yb, 0.05 * s, (0.6, 0.6, 0.62))
    cv.circle(cx + f * 0.1 * s, yb - 0.22 * s, 0.04 * s, (0.45, 0.25, 0.1))
    b = _person(cv, x, yb, s, col, stance=0.11, helmet=p["helmet"])
    # swing: cocked bat before a crack, follow-through after
    swing = 0.0
    for c in p["cracks"]:
        u = (t - (c - 0.12)) / 0.3
        if 0 <= u <= 1:
            swing = u
        elif u > 1 and t - c < 0.6:
            swing = 1.0
    ang = f * (-0.6 + 2.6 * swing)          # from pointing up-back to across the body
    hx, hy = x + f * 0.06 * s, yb - 0.68 * s
    _arm(cv, b["sl"], (hx - 0.01 * s, hy), s, col["shirt"], col["skin"])
    _arm(cv, b["sr"], (hx + 0.01 * s, hy + 0.02 * s), s, col["shirt"], col["skin"])
    ex, ey = hx + 0.42 * s * math.sin(ang), hy - 0.42 * s * math.cos(ang)
    cv.line(hx, hy, ex, ey, 0.03 * s, p["bat"])
    cv.line(hx + (ex - hx) * 0.5, hy + (ey - hy) * 0.5, ex, ey, 0.045 * s, p["bat"])
    for c in p["cracks"]:
        if c - 0.4 <= t < c:      # the pitch coming in
            u = (t - (c - 0.4)) / 0.4
            cv.circle(x + f * (0.45 - 0.4 * u) * s, hy - 0.05 * s + 0.05 * s * u, 0.02 * s * (0.5 + u), (1, 1, 1))
        elif c <= t < c + 0.4:    # the hit flying away
            u = (t - c) / 0.4
            cv.circle(x + f * (0.05 + 0.6 * u) * s, hy - 0.5 * s * u, 0.025 * s, (1, 1, 1))


def _draw_scene_obj(cv, p, t, D):
    cls = p["cls"]
    if cls == "plane":
        _draw_plane(cv, p, t, D)
    else:
        {"dog": _draw_dog, "drum": _draw_drum, "guitar": _draw_guitar, "piano": _draw_piano,
         "speedboat": _draw_speedboat, "waterfall": _draw_waterfall, "soccer": _draw_soccer,
         "baseball": _draw_baseball}[cls](cv, p, t)


# ============================================================================ instruments
# range: MIDI notes; slope: harmonic roll-off (amplitude ~ k**-slope); odd: weight of the
# even harmonics (clarinet-like when small); formants: (Hz, boost); attack (s); vibrato
# (rate Hz, depth cents); breath: share of breath/bow noise; family: for the picture.
_SPEC_COLUMNS = ("range", "slope", "odd", "formants", "attack", "vibrato", "breath", "family")
_SPEC_TABLE = [
    # name         range     slope odd   formants (Hz, boost)          attack vibrato    breath family
    ("bassoon",     (34, 65), 0.75, 1.0,  [(480, 1.5), (1150, 0.5)],   0.05, (4.8, 8),  0.03,  "woodwind"),
    ("cello",       (36, 69), 1.0,  1.0,  [(250, 1.0), (1300, 0.6)],   0.08, (5.2, 20), 0.015, "string"),
    ("clarinet",    (50, 82), 0.8,  0.08, [(1500, 0.4)],               0.04, (0.0, 0),  0.03,  "woodwind"),
    ("double_bass", (28, 55), 1.2,  1.0,  [(120, 1.0), (700, 0.5)],    0.1,  (4.8, 15), 0.015, "string"),
    ("flute",       (60, 91), 2.2,  1.0,  [],                          0.05, (5.0, 15), 0.12,  "woodwind"),
    ("horn",        (41, 72), 1.6,  1.0,  [(400, 0.5)],                0.08, (0.0, 0),  0.01,  "brass"),
    ("oboe",        (58, 86), 0.35, 1.0,  [(1200, 2.0), (2800, 0.8)],  0.03, (5.2, 10), 0.03,  "woodwind"),
    ("saxophone",   (49, 77), 0.5,  1.0,  [(900, 1.0), (2500, 0.6)],   0.04, (5.0, 15), 0.06,  "woodwind"),
    ("trombone",    (40, 70), 0.6,  1.0,  [(550, 1.0)],                0.05, (0.0, 0),  0.01,  "brass"),
    ("trumpet",     (55, 82), 0.3,  1.0,  [(1300, 1.2)],               0.03, (5.5, 8),  0.01,  "brass"),
    ("tuba",        (28, 55), 1.3,  1.0,  [(220, 0.6)],                0.07, (0.0, 0),  0.01,  "brass"),
    ("viola",       (48, 76), 1.0,  1.0,  [(380, 0.9), (1800, 0.7)],   0.07, (5.5, 20), 0.015, "string"),
    ("violin",      (55, 88), 0.9,  1.0,  [(480, 0.8), (2800, 0.9)],   0.06, (5.8, 22), 0.015, "string"),
]
INSTRUMENT_SPECS: Dict[str, dict] = {row[0]: dict(zip(_SPEC_COLUMNS, row[1:])) for row in _SPEC_TABLE}
"""Each instrument's timbre and range, read by the synthesiser and the pose mapping."""

_SCALES = ([0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10], [0, 2, 4, 7, 9])


def pose_of_pitch(instrument: str, midi: float) -> float:
    """The player's pose in [0, 1] for a note: its position within the instrument's
    range (0 = lowest note, 1 = highest), a monotone function of the pitch."""
    lo, hi = INSTRUMENT_SPECS[instrument]["range"]
    return float(np.clip((float(midi) - lo) / (hi - lo), 0.0, 1.0))


def _plan_notes(instr, rng, D):
    lo, hi = INSTRUMENT_SPECS[instr]["range"]
    scale = _pick(rng, _SCALES)
    tonic = int(rng.integers(0, 12))
    allowed = [m for m in range(lo, hi + 1) if (m - tonic) % 12 in scale]
    i = int(rng.integers(len(allowed) // 5, max(len(allowed) // 5 + 1, 4 * len(allowed) // 5)))
    notes, t = [], 0.0
    while t < D - 1e-6:
        end = t + rng.uniform(*NOTE_SECONDS)
        if D - end < 0.3:
            end = D
        m = allowed[i]
        notes.append({"start": _r3(t), "end": _r3(min(end, D)), "midi": int(m), "pitch_hz": round(_midi_hz(m), 3),
                      "pose": round(pose_of_pitch(instr, m), 4)})
        t = min(end, D)
        step = int(_pick(rng, [-4, -3, -2, -1, -1, 1, 1, 2, 3, 4, 5, -5]))
        i = int(np.clip(i + step, 0, len(allowed) - 1))
        if i in (0, len(allowed) - 1) and rng.random() < 0.5:
            i = int(np.clip(i - np.sign(step) * 3, 0, len(allowed) - 1))
    notes[-1]["end"] = _r3(D)
    return notes


def _snd_instrument(p, rng, n, sr):
    spec = p["spec"]
    out = np.zeros(n)
    breath = np.zeros(n)
    rate, cents = spec["vibrato"]
    for j, note in enumerate(p["notes"]):
        a, b = int(note["start"] * sr), min(n, int(note["end"] * sr))
        m = b - a
        if m <= 0:
            continue
        tt = np.arange(m) / sr
        f0 = note["pitch_hz"]
        vib_on = np.clip((tt - 0.15) / 0.2, 0, 1)
        f = f0 * 2.0 ** (cents * vib_on * np.sin(2 * np.pi * rate * tt + rng.uniform(0, 6.28)) / 1200.0)
        ph = 2 * np.pi * np.cumsum(f) / sr
        K = int(min(20, 0.45 * sr / (f0 * 1.03)))
        ks = np.arange(1, K + 1)
        amp = ks ** -p["slope"]
        amp = np.where(ks % 2 == 0, amp * spec["odd"], amp)
        fk = ks * f0
        for (F, g) in p["formants"]:
            amp = amp * (1.0 + g * np.exp(-np.log2(fk / F) ** 2 / (2 * 0.4 ** 2)))
        amp = amp * p["jitter"][:K]
        sig = np.zeros(m)
        for k, ak in zip(ks, amp):
            sig += ak * np.sin(k * ph + p["phases"][k - 1])
        att = spec["attack"]
        env = np.minimum(1.0, tt / att) ** 1.5
        rel = min(m, int(0.06 * sr))
        env[m - rel:] *= np.linspace(1.0, 0.15, rel)
        env *= 1.0 + 0.08 * np.sin(2 * np.pi * 0.7 * tt)
        if spec["family"] == "brass":   # brighter after the attack: add a touch of the upper harmonics
            env *= 1.0 + 0.1 * (1 - np.exp(-tt / 0.1))
        sig *= env / (np.abs(amp).sum() + 1e-9)
        out[a:b] += sig
        breath[a:b] += env
    if spec["breath"] > 0:
        centre = float(np.median([nt["pitch_hz"] for nt in p["notes"]]))
        noise = _colored_noise(rng, n, sr, centre * 0.8, centre * 6, order=1)
        noise /= np.std(noise) + 1e-9
        out = out / (np.std(out) + 1e-9) + spec["breath"] * 4 * noise * breath
    return out


def _plan_player(instr, rng, D, dist, envp):
    s = 0.92 / dist
    tall = {"double_bass": 1.12, "bassoon": 1.08}.get(instr, 1.0)
    seated = instr == "cello"
    x, yb = _ground_place(rng, envp["horizon"], 0.7 * s, tall * s, dist)
    spec = INSTRUMENT_SPECS[instr]
    slope = spec["slope"] + rng.uniform(-0.1, 0.1)
    forms = [(F * rng.uniform(0.92, 1.08), g * rng.uniform(0.8, 1.2)) for F, g in spec["formants"]]
    wood = {"violin": (0.6, 0.28, 0.1), "viola": (0.5, 0.22, 0.08), "cello": (0.55, 0.25, 0.1),
            "double_bass": (0.35, 0.18, 0.08), "bassoon": (0.5, 0.2, 0.12), "oboe": (0.25, 0.14, 0.08),
            "clarinet": (0.06, 0.06, 0.07), "flute": (0.82, 0.83, 0.86), "saxophone": (0.85, 0.68, 0.25),
            "horn": (0.85, 0.65, 0.25), "trumpet": (0.9, 0.75, 0.3), "trombone": (0.88, 0.72, 0.3),
            "tuba": (0.8, 0.62, 0.22)}[instr]
    return {"instrument": instr, "s": s, "x": x, "yb": yb, "facing": int(_pick(rng, [-1, 1])), "seated": seated,
            "notes": _plan_notes(instr, rng, D), "spec": spec, "slope": slope, "formants": forms,
            "jitter": rng.uniform(0.8, 1.2, 20), "phases": rng.uniform(0, 2 * np.pi, 20),
            "color": _jit(rng, wood, 0.03), "person": _person_colors(rng, formal=True)}


def _pose_at(p, t):
    """Pose and bow-stroke phase at time t: the note sounding at t, else the last one."""
    notes = p["notes"]
    cur = None
    for j, n in enumerate(notes):
        if n["start"] <= t:
            cur = (j, n)
    if cur is None:
        return notes[0]["pose"], 0.0, 0
    j, n = cur
    u = float(np.clip((t - n["start"]) / max(n["end"] - n["start"], 1e-3), 0, 1))
    return n["pose"], u, j


def _ell_along(cv, R, u, len_half, w_half, color, ang):
    cx, cy = R(u, 0.0)
    cv.ellipse(cx, cy, len_half, w_half, color, angle=ang - math.pi / 2)


def _bow(cv, contact, axis_ang, q, u, j, L, h, hand_shoulder, col):
    """A bow crossing the strings at ``contact``; its angle to the strings follows the
    pose (string crossing), its position the stroke.  Returns the frog (hand) point."""
    beta = axis_ang + math.pi / 2 + (-0.45 + 0.9 * q)
    dx, dy = math.sin(beta), -math.cos(beta)
    lam = 0.2 + 0.6 * u if j % 2 == 0 else 0.8 - 0.6 * u
    fx, fy = contact[0] - lam * L * dx, contact[1] - lam * L * dy
    tx, ty = fx + L * dx, fy + L * dy
    cv.line(fx, fy, tx, ty, 0.022 * h, (0.35, 0.22, 0.1))
    cv.line(fx, fy, tx, ty, 0.011 * h, (0.97, 0.95, 0.88))
    _arm(cv, hand_shoulder, (fx, fy), h, col["shirt"], col["skin"])


def _draw_player(cv, p, t):
    instr, s, x, yb, f = p["instrument"], p["s"], p["x"], p["yb"], p["facing"]
    col, c = p["person"], p["color"]
    q, u, j = _pose_at(p, t)
    h = s
    body = _person(cv, x, yb, h, col, seated=p["seated"])
    if p["seated"]:
        cv.rect(x - 0.15 * h, yb - 0.36 * h, x + 0.15 * h, yb - 0.32 * h, (0.25, 0.2, 0.15))
    near = body["sr"] if f > 0 else body["sl"]     # the instrument side
    far = body["sl"] if f > 0 else body["sr"]
    hx, hy = body["head"]
    mouth = (hx, hy + 0.035 * h)
    dark = _shade(c, 0.65)
    silver = (0.85, 0.85, 0.88)
    if instr in ("violin", "viola"):
        k = 1.0 if instr == "violin" else 1.2
        C = (x + f * 0.13 * h, body["sl"][1] + 0.02 * h)
        ang = f * 1.2
        R = _rot(C[0], C[1], ang)
        _ell_along(cv, R, -0.02 * h * k, 0.12 * h * k, 0.07 * h * k, c, ang)
        _ell_along(cv, R, 0.07 * h * k, 0.06 * h * k, 0.055 * h * k, c, ang)
        cv.line(*R(0.1 * h * k, 0), *R(0.34 * h * k, 0), 0.03 * h, (0.12, 0.08, 0.05))
        cv.circle(*R(0.35 * h * k, 0), 0.025 * h, dark)
        _arm(cv, near, R((0.31 - 0.17 * q) * h * k, 0.015 * h), h, col["shirt"], col["skin"])
        _bow(cv, R(-0.05 * h * k, 0), ang, q, u, j, 0.45 * h * k, h, far, col)
    elif instr in ("cello", "double_bass"):
        big = instr == "double_bass"
        k = 1.35 if big else 1.05
        base = (x + f * (0.12 if big else 0.0) * h, yb - 0.01 * h)
        ang = -f * (0.15 if big else 0.12)
        R = _rot(base[0], base[1], ang)
        cv.line(*R(0, 0), *R(0.08 * h, 0), 0.015 * h, (0.6, 0.6, 0.6))
        _ell_along(cv, R, 0.2 * h * k, 0.12 * h * k, 0.14 * h * k, c, ang)
        _ell_along(cv, R, 0.38 * h * k, 0.1 * h * k, 0.11 * h * k, c, ang)
        cv.line(*R(0.3 * h * k, 0), *R(0.8 * h * k, 0), 0.04 * h, (0.1, 0.07, 0.05))
        cv.circle(*R(0.82 * h * k, 0), 0.03 * h, dark)
        _arm(cv, near, R((0.76 - 0.3 * q) * h * k, 0.015 * h), h, col["shirt"], col["skin"])
        _bow(cv, R(0.25 * h * k, 0), ang, q, u, j, 0.55 * h, h, far, col)
    elif instr == "flute":
        ang = f * (math.pi / 2 + 0.35 - 0.65 * q)      # raised as the pitch rises
        R = _rot(mouth[0] - f * 0.05 * h, mouth[1], ang)
        cv.line(*R(0, 0), *R(0.52 * h, 0), 0.04 * h, c)
        for kk in range(6):
            cv.circle(*R((0.15 + 0.05 * kk) * h, 0), 0.012 * h, (0.45, 0.45, 0.5))
        _arm(cv, far, R(0.12 * h, 0.015 * h), h, col["shirt"], col["skin"])
        _arm(cv, near, R((0.42 - 0.12 * q) * h, 0.015 * h), h, col["shirt"], col["skin"])
    elif instr in ("clarinet", "oboe"):
        L, w, bell = (0.46, 0.05, 0.065) if instr == "clarinet" else (0.42, 0.036, 0.04)
        ang = math.pi - f * (0.15 + 0.55 * q)          # pointing down, raised with the pitch
        R = _rot(mouth[0], mouth[1], ang)
        cv.line(*R(0, 0), *R(L * h, 0), w * h, c)
        cv.poly([R((L - 0.07) * h, -w / 2 * h), R((L - 0.07) * h, w / 2 * h), R(L * h, bell * h), R(L * h, -bell * h)], c)
        for kk in range(5):
            cv.circle(*R((0.1 + 0.06 * kk) * h, 0), 0.012 * h, silver)
        cv.line(*R(0.2 * h, -w / 2 * h), *R(0.2 * h, w / 2 * h), 0.012 * h, silver)
        _arm(cv, far, R(0.12 * h, 0), h, col["shirt"], col["skin"])
        _arm(cv, near, R(0.3 * h, 0), h, col["shirt"], col["skin"])
    elif instr == "bassoon":
        ang = f * (0.25 + 0.35 * q)
        bottom = (x - f * 0.12 * h, yb - 0.28 * h)
        R = _rot(bottom[0], bottom[1], ang)
        cv.line(*R(0, 0), *R(0.82 * h, 0), 0.085 * h, c)
        cv.line(*R(0, 0.045 * h), *R(0.55 * h, 0.045 * h), 0.05 * h, dark)
        cv.ellipse(*R(0.82 * h, 0), 0.045 * h, 0.02 * h, (0.9, 0.85, 0.75), angle=ang)
        for kk in range(4):
            cv.circle(*R((0.2 + 0.08 * kk) * h, 0), 0.012 * h, silver)
        bx, by = R(0.5 * h, 0)
        cv.line(bx, by, mouth[0], mouth[1], 0.014 * h, silver)
        _arm(cv, far, R(0.45 * h, 0.03 * h), h, col["shirt"], col["skin"])
        _arm(cv, near, R((0.15 + 0.12 * q) * h, 0.03 * h), h, col["shirt"], col["skin"])
    elif instr == "saxophone":
        ang = math.pi - f * (0.05 + 0.45 * q)
        R = _rot(mouth[0], mouth[1], ang)
        cv.line(*R(0, 0), *R(0.07 * h, 0.04 * h), 0.025 * h, c)
        cv.line(*R(0.07 * h, 0.04 * h), *R(0.38 * h, 0.06 * h), 0.07 * h, c)
        cv.ellipse(*R(0.4 * h, 0.1 * h), 0.07 * h, 0.06 * h, c)
        cv.line(*R(0.4 * h, 0.14 * h), *R(0.24 * h, 0.18 * h), 0.08 * h, c)
        bx, by = R(0.21 * h, 0.185 * h)
        cv.ellipse(bx, by, 0.075 * h, 0.04 * h, dark, angle=ang - math.pi / 2)
        for kk in range(4):
            cv.circle(*R((0.12 + 0.065 * kk) * h, 0.05 * h), 0.014 * h, (0.98, 0.92, 0.7))
        _arm(cv, far, R(0.15 * h, 0.045 * h), h, col["shirt"], col["skin"])
        _arm(cv, near, R(0.31 * h, 0.055 * h), h, col["shirt"], col["skin"])
    elif instr == "trumpet":
        ang = f * (math.pi / 2 - 0.1 - 0.6 * q)     # bell raised with the pitch
        R = _rot(mouth[0], mouth[1], ang)
        cv.line(*R(0, 0), *R(0.32 * h, 0), 0.035 * h, c)
        cv.line(*R(0.05 * h, 0.06 * h), *R(0.24 * h, 0.06 * h), 0.035 * h, c)
        cv.line(*R(0.05 * h, 0.0), *R(0.05 * h, 0.06 * h), 0.03 * h, c)
        cv.poly([R(0.26 * h, -0.02 * h), R(0.42 * h, -0.085 * h), R(0.42 * h, 0.085 * h), R(0.26 * h, 0.02 * h)], c)
        cv.ellipse(*R(0.42 * h, 0), 0.085 * h, 0.02 * h, dark, angle=ang)
        for kk in range(3):
            cv.line(*R((0.13 + 0.035 * kk) * h, -0.05 * h), *R((0.13 + 0.035 * kk) * h, 0.03 * h), 0.02 * h, dark)
        _arm(cv, near, R(0.15 * h, -0.04 * h), h, col["shirt"], col["skin"])
        _arm(cv, far, R(0.1 * h, 0.07 * h), h, col["shirt"], col["skin"])
    elif instr == "trombone":
        ang = f * (math.pi / 2 + 0.15)
        R = _rot(mouth[0], mouth[1], ang)
        slide = (0.14 + 0.56 * (1.0 - q)) * h     # low notes: the slide far out
        cv.line(*R(0, 0), *R(slide, 0), 0.025 * h, c)
        cv.line(*R(0, 0.05 * h), *R(slide, 0.05 * h), 0.025 * h, c)
        cv.line(*R(slide, 0), *R(slide, 0.05 * h), 0.028 * h, c)
        cv.line(*R(0.02 * h, -0.07 * h), *R(0.16 * h, -0.07 * h), 0.03 * h, c)
        cv.poly([R(0.14 * h, -0.085 * h), R(0.26 * h, -0.16 * h), R(0.26 * h, 0.02 * h), R(0.14 * h, -0.055 * h)], c)
        cv.ellipse(*R(0.26 * h, -0.07 * h), 0.09 * h, 0.02 * h, dark, angle=ang)
        _arm(cv, near, R(slide, 0.025 * h), h, col["shirt"], col["skin"])
        _arm(cv, far, R(0.06 * h, -0.04 * h), h, col["shirt"], col["skin"])
    elif instr == "horn":
        ang = f * (0.5 + 0.6 * q) + math.pi
        cx, cy = x + f * 0.1 * h, hy + 0.26 * h
        cv.line(mouth[0], mouth[1], cx - f * 0.04 * h, cy - 0.07 * h, 0.025 * h, c)
        cv.ellipse(cx, cy, 0.12 * h, 0.12 * h, c, inner=0.6)
        cv.ellipse(cx, cy, 0.06 * h, 0.06 * h, c, inner=0.4)
        R = _rot(cx, cy, ang)
        cv.poly([R(0.08 * h, -0.03 * h), R(0.26 * h, -0.1 * h), R(0.26 * h, 0.1 * h), R(0.08 * h, 0.03 * h)], c)
        cv.ellipse(*R(0.26 * h, 0), 0.1 * h, 0.025 * h, dark, angle=ang)
        _arm(cv, near, R(0.22 * h, 0), h, col["shirt"], col["skin"])
        _arm(cv, far, (cx - f * 0.02 * h, cy - 0.1 * h), h, col["shirt"], col["skin"])
    elif instr == "tuba":
        cx, cy = x + f * 0.03 * h, yb - (0.5 + 0.08 * q) * h
        cv.ellipse(cx, cy, 0.17 * h, 0.22 * h, c, inner=0.5)
        cv.line(cx + f * 0.07 * h, cy - 0.12 * h, cx + f * 0.1 * h, hy - 0.04 * h, 0.12 * h, c)
        cv.ellipse(cx + f * 0.1 * h, hy - 0.08 * h, 0.15 * h, 0.045 * h, dark)
        cv.line(mouth[0], mouth[1], cx - f * 0.1 * h, cy - 0.15 * h, 0.022 * h, c)
        for kk in range(3):
            vx = cx - f * 0.02 * h + (kk - 1) * 0.035 * h
            cv.line(vx, cy - 0.1 * h, vx, cy - 0.02 * h, 0.02 * h, dark)
        _arm(cv, near, (cx - f * 0.01 * h, yb - (0.52 + 0.2 * q) * h), h, col["shirt"], col["skin"])
        _arm(cv, far, (cx - f * 0.15 * h, cy + 0.02 * h), h, col["shirt"], col["skin"])
    else:
        raise ValueError(f"unknown instrument {instr!r}")


# ============================================================================ clip plans
MULTI_PARTNERS = {"dog": ("piano", "guitar", "drum"), "drum": ("guitar", "piano", "dog"),
                  "guitar": ("drum", "piano", "dog"), "piano": ("guitar", "drum", "dog"),
                  "speedboat": ("plane",), "waterfall": ("plane",), "soccer": ("plane", "dog"),
                  "baseball": ("plane",), "plane": ()}
_COMPATIBLE_DEFECTS = {"silent": ("offscreen", "wrong_class"), "noise": ("offscreen", "wrong_class"),
                       "offscreen": ("silent", "noise"), "wrong_class": ("silent", "noise")}
NOISE_KINDS = ("white", "pink", "brown", "hum")


def _interval(rng, D, shortest=1.0, longest_frac=0.5):
    lo = min(shortest, 0.5 * D)
    hi = max(lo, longest_frac * D)
    L = rng.uniform(lo, hi)
    start = rng.uniform(0.0, D - L)
    return _r3(start), _r3(min(D, start + L))


def _plan_defects(rng, D, label, classes):
    others = [c for c in classes if c != label]
    first = str(rng.choice(DEFECT_TYPES, p=[0.3, 0.25, 0.2, 0.25]))
    types = [first]
    if rng.random() < 0.3:
        types.append(str(_pick(rng, _COMPATIBLE_DEFECTS[first])))
    defects = []
    for kind in types:
        if kind == "wrong_class" and not others:
            kind = "offscreen"
        if kind == "silent":
            a, b = _interval(rng, D)
            defects.append({"type": "silent", "start": a, "end": b})
        elif kind == "offscreen":
            a, b = _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "offscreen", "start": a, "end": b})
        elif kind == "wrong_class":
            a, b = (0.0, _r3(D)) if rng.random() < 0.6 else _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "wrong_class", "start": a, "end": b, "shown_label": str(_pick(rng, others))})
        else:
            a, b = (0.0, _r3(D)) if rng.random() < 0.5 else _interval(rng, D, 1.0, 0.6)
            defects.append({"type": "noise", "start": a, "end": b, "snr_db": round(float(rng.uniform(-6, 6)), 1),
                            "noise_kind": str(_pick(rng, NOISE_KINDS))})
    defects.sort(key=lambda d: (d["start"], d["type"]))
    return defects


def _covers(d, t):
    return d["start"] <= t < d["end"]


def _build_timeline(D, label, defects):
    cuts = sorted({0.0, _r3(D)} | {d["start"] for d in defects} | {d["end"] for d in defects})
    cuts = [c for c in cuts if 0.0 <= c <= D]
    segs = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        if b - a <= 0:
            continue
        mid = 0.5 * (a + b)
        active = [d for d in defects if _covers(d, mid)]
        audible = not any(d["type"] == "silent" for d in active)
        shown = label
        for d in active:
            if d["type"] == "offscreen":
                shown = NONE_LABEL
            elif d["type"] == "wrong_class":
                shown = d["shown_label"]
        seg = {"start": _r3(a), "end": _r3(b), "audible": audible, "source_visible": shown == label,
               "shown_label": shown, "noisy": any(d["type"] == "noise" for d in active)}
        if segs and all(segs[-1][k] == seg[k] for k in ("audible", "source_visible", "shown_label", "noisy")):
            segs[-1]["end"] = seg["end"]
        else:
            segs.append(seg)
    return segs


def _plan_clip(suite, label, index, size: SynthAVSize, seed):
    classes = _size_classes(suite, size)
    if label not in suite_classes(suite):
        raise ValueError(f"{label!r} is not a class of the SynthAV {suite} suite ({', '.join(suite_classes(suite))})")
    rp, ra, rv = _clip_rngs(seed, suite, label, index)
    D = float(size.clip_seconds)
    share = _share_position(seed, suite, label, index)
    defective = share < size.defect_rate
    partners = [c for c in MULTI_PARTNERS.get(label, ()) if c in classes] if suite == "scenes" else []
    multi = bool(partners) and (not defective) and size.defect_rate <= share < size.defect_rate + MULTI_SOURCE_RATE
    distance = _r3(rp.uniform(*(MULTI_DISTANCE if multi else DISTANCE_RANGE[suite])))
    second = None
    if suite == "scenes":
        env = ("indoor" if label == "dog" else ENV_OF[label][0]) if multi else str(_pick(rp, ENV_OF[label]))
        envp = _plan_env(env, rp)
        if multi:
            other = str(_pick(rp, partners))
            d2 = _r3(rp.uniform(*MULTI_DISTANCE))
            side = str(_pick(rp, ["left", "right"]))
            opp = "right" if side == "left" else "left"
            obj = _plan_obj(label, rp, D, distance, envp, side=None if other == "plane" else side)
            second = _plan_obj(other, rp, D, d2, envp, side=opp)
            second["distance"] = d2
        else:
            obj = _plan_obj(label, rp, D, distance, envp)
    else:
        envp = _plan_env("hall", rp)
        obj = _plan_player(label, rp, D, distance, envp)
    obj["distance"] = distance
    defects = _plan_defects(rp, D, label, classes) if defective else []
    S = int(size.frame_size)
    cid = clip_id(suite, label, index)

    def detail(o, lab):
        return {"label": lab, "distance": o["distance"], "loudness_gain": round(1.0 / o["distance"], 4),
                "object_scale": round(o["s"], 4), "object_size_px": round(o["s"] * S, 2),
                "position": [round(float(o["x"]), 4), round(float(o["yb"]), 4)]}

    sources = [detail(obj, label)] + ([detail(second, second["cls"])] if second else [])
    meta = {
        "clip_id": cid, "suite": suite, "label": label, "file": f"videos/{label}/{cid}.mp4", "video_id": cid,
        "index": int(index), "seed": int(seed), "generator_version": GENERATOR_VERSION,
        "duration": D, "fps": int(size.fps), "sample_rate": int(size.sample_rate), "frame_size": S,
        "num_frames": int(round(D * size.fps)), "num_samples": int(round(D * size.sample_rate)),
        "distance": distance, "loudness_gain": round(1.0 / distance, 4),
        "target_dbfs": round(20 * math.log10(REF_LEVEL / distance), 2),
        "object_scale": round(obj["s"], 4), "object_size_px": round(obj["s"] * S, 2),
        "position": sources[0]["position"], "environment": envp["env"],
        "sources": [s_["label"] for s_ in sources], "source_details": sources, "multi_source": second is not None,
        "notes": [dict(n) for n in obj["notes"]] if suite == "performances" else [],
        "defects": defects, "timeline": _build_timeline(D, label, defects),
    }
    return {"meta": meta, "env": envp, "obj": obj, "second": second, "rng_audio": ra, "rng_video": rv,
            "classes": classes}


# ============================================================================ ground truth
def truth_at(meta: dict, t: float) -> dict:
    """What is true at time ``t`` of a clip: is its own source sounding (``audible``), on
    screen (``source_visible``), and which class the picture shows (``shown_label``;
    ``"none"`` when the camera looks away).  Intervals are half-open ``[start, end)``;
    times outside the clip take the nearest segment."""
    tl = meta["timeline"]
    seg = tl[-1] if t >= tl[-1]["start"] else tl[0]
    for s in tl:
        if s["start"] <= t < s["end"]:
            seg = s
            break
    return {"audible": bool(seg["audible"]), "source_visible": bool(seg["source_visible"]),
            "shown_label": seg["shown_label"]}


def note_at(meta: dict, t: float) -> Optional[dict]:
    """The note being played at time ``t`` of a performance clip (a dict with ``start``,
    ``end``, ``midi``, ``pitch_hz`` and ``pose``), or None between notes and for scenes.
    The pose is what the note sets (see :func:`pose_of_pitch`), so it is the ground truth
    of pose-oriented generation."""
    for n in meta.get("notes", []):
        if n["start"] <= t < n["end"]:
            return n
    return None


def pair_truth(meta: dict, seg_start: float, seg_end: float, frame_time: float) -> dict:
    """Score an (audio segment, frame) pair against the truth.

    ``audible_fraction``: share of ``[seg_start, seg_end)`` in which the source sounds;
    ``frame_shows_source``: at ``frame_time`` the source is on screen and the picture is
    of the clip's class; ``good``: both, with at least half of the segment audible.
    """
    total = max(float(seg_end) - float(seg_start), 1e-9)
    aud = 0.0
    for s in meta["timeline"]:
        if s["audible"]:
            aud += max(0.0, min(seg_end, s["end"]) - max(seg_start, s["start"]))
    frac = float(min(1.0, aud / total))
    tr = truth_at(meta, frame_time)
    shows = bool(tr["source_visible"] and tr["shown_label"] == meta["label"])
    return {"audible_fraction": round(frac, 6), "frame_shows_source": shows, "good": bool(shows and frac >= 0.5)}


# ============================================================================ rendering
def _noise_signal(rng, kind, n, sr):
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        x = _colored_noise(rng, n, sr, 20, None, slope=0.5)
    elif kind == "brown":
        x = _colored_noise(rng, n, sr, 20, None, slope=1.0)
    else:  # mains hum with hiss
        t = np.arange(n) / sr
        base = float(_pick(rng, [50.0, 60.0]))
        x = sum(np.sin(2 * np.pi * base * k * t + rng.uniform(0, 6.28)) / k for k in range(1, 8))
        x = x + 0.3 * rng.standard_normal(n)
    return x / (np.sqrt(np.mean(x ** 2)) + 1e-12)


def _window(n, sr, a, b, fade=0.02):
    """1 inside [a, b), 0 outside, with ``fade``-second ramps inside the interval."""
    t = np.arange(n) / sr
    w = np.clip(np.minimum(t - a, b - t) / fade, 0.0, 1.0)
    return w


def _render_audio(plan) -> np.ndarray:
    meta, rng = plan["meta"], plan["rng_audio"]
    n, sr = meta["num_samples"], meta["sample_rate"]
    src = np.zeros(n)
    objs = [plan["obj"]] + ([plan["second"]] if plan["second"] else [])
    for o in objs:
        x = _snd_instrument(o, rng, n, sr) if meta["suite"] == "performances" else SCENE_SOUNDS[o["cls"]](o, rng, n, sr)
        x = x - x.mean()
        x *= REF_LEVEL / (np.mean(np.abs(x)) + 1e-12) / o["distance"]
        src += x
    power = float(np.mean(src ** 2))
    t = np.arange(n) / sr
    for d in meta["defects"]:
        if d["type"] == "silent":   # fade out just before the interval, back in just after it
            a, b = d["start"], d["end"]
            gate = np.clip(np.maximum(a - t, t - b) / 0.02, 0.0, 1.0)
            src *= gate
    out = src
    for d in meta["defects"]:
        if d["type"] == "noise":
            nz = _noise_signal(rng, d["noise_kind"], n, sr) * math.sqrt(power / 10 ** (d["snr_db"] / 10))
            out = out + nz * _window(n, sr, d["start"], d["end"] + (1.0 / sr if d["end"] >= meta["duration"] else 0))
    room = _colored_noise(rng, n, sr, 60, 8000, slope=0.3)
    out = out + room * ROOM_TONE / (np.mean(np.abs(room)) + 1e-12)
    a = np.abs(out)
    knee = 0.85
    out = np.where(a > knee, np.sign(out) * (knee + (1 - knee) * np.tanh((a - knee) / (1 - knee))), out)
    return out.astype(np.float32)


def _render_video(plan):
    meta, rng = plan["meta"], plan["rng_video"]
    S, T, fps, D = meta["frame_size"], meta["num_frames"], meta["fps"], meta["duration"]
    suite, label = meta["suite"], meta["label"]
    ss = 2 if S <= 160 else 1
    C = S * ss
    pad = max(2, int(round(0.06 * C)))
    P = C + 2 * pad

    def background(draw):
        cv = _Canvas(P, P, C, pad, pad)
        draw(cv)
        return cv.img

    envp, obj = plan["env"], plan["obj"]
    main_bg = background(lambda cv: _draw_env(cv, envp, rng, obj))
    shown = {s["shown_label"] for s in meta["timeline"]}
    off_bg = background(lambda cv: _draw_offscreen(cv, envp, rng)) if NONE_LABEL in shown else None
    other = {}
    for lab in sorted(shown - {label, NONE_LABEL}):
        od = float(rng.uniform(*DISTANCE_RANGE[suite]))
        if suite == "scenes":
            oenv = _plan_env(str(_pick(rng, ENV_OF[lab])), rng)
            oobj = _plan_obj(lab, rng, D, od, oenv)
        else:
            oenv = _plan_env("hall", rng)
            oobj = _plan_player(lab, rng, D, od, oenv)
        other[lab] = (background(lambda cv, e=oenv, o=oobj: _draw_env(cv, e, rng, o)), oobj)
    # camera: slow pan plus shake, in whole canvas pixels
    shake = rng.uniform(0.0, 0.015) * C
    pan = rng.uniform(-0.03, 0.03, 2) * C
    u = np.linspace(-0.5, 0.5, max(T, 1))
    n_ = max(T, 1)
    sx = np.round(pan[0] * u + shake * _smooth_random(rng, n_, 1, 3.0, -1, 1)).astype(int)
    sy = np.round(pan[1] * u + shake * _smooth_random(rng, n_, 1, 3.0, -1, 1)).astype(int)
    sx, sy = np.clip(sx, -pad, pad), np.clip(sy, -pad, pad)
    bright = rng.uniform(0.75, 1.15)
    tint = 1.0 + rng.normal(0.0, 0.05, 3)
    flicker = 1.0 + rng.normal(0.0, 0.01, n_)
    frames = np.zeros((T, S, S, 3), np.uint8)
    masks = np.zeros((T, S, S), bool)
    for k in range(T):
        t = k / fps
        tr = truth_at(meta, t)
        if tr["shown_label"] == label:
            bg, objs = main_bg, [(obj, True)] + ([(plan["second"], False)] if plan["second"] else [])
        elif tr["shown_label"] == NONE_LABEL:
            bg, objs = off_bg, []
        else:
            bg, oobj = other[tr["shown_label"]]
            objs = [(oobj, False)]
        img = bg[pad + sy[k]: pad + sy[k] + C, pad + sx[k]: pad + sx[k] + C].copy()
        cv = _Canvas(C, C, C, -float(sx[k]), -float(sy[k]), img=img)
        for o, is_source in sorted(objs, key=lambda z: z[0]["yb"]):
            cv.obj = is_source
            if suite == "scenes":
                _draw_scene_obj(cv, o, t, D)
            else:
                _draw_player(cv, o, t)
        if ss == 2:   # 2x2 box filter: anti-aliasing by supersampling
            im = cv.img
            small = 0.25 * (im[0::2, 0::2] + im[1::2, 0::2] + im[0::2, 1::2] + im[1::2, 1::2])
            mk = cv.mask.view(np.uint8)
            masks[k] = (mk[0::2, 0::2] + mk[1::2, 0::2] + mk[0::2, 1::2] + mk[1::2, 1::2]) >= 2
        else:
            small, masks[k] = cv.img, cv.mask
        small = small * (bright * flicker[k]) * tint[None, None, :]
        frames[k] = np.clip(np.round(small * 255.0), 0, 255).astype(np.uint8)
    return frames, masks


def generate_clip(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0):
    """One SynthAV clip, in memory: ``(frames, audio, meta)``.

    ``frames`` is uint8 ``(T, H, W, 3)`` with ``T = round(clip_seconds * fps)`` (frame
    ``k`` shows time ``k / fps``), ``audio`` float32 mono ``(N,)`` at ``size.sample_rate``,
    ``meta`` the JSON-serialisable description (see :func:`clip_metadata`).  Pure: no
    I/O; the same arguments always give the same clip.
    """
    plan = _plan_clip(suite, label, index, size, seed)
    audio = _render_audio(plan)
    frames, _ = _render_video(plan)
    return frames, audio, plan["meta"]


def clip_metadata(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0) -> dict:
    """The metadata of a clip without rendering it (cheap; identical to the ``meta`` that
    :func:`generate_clip` returns)."""
    return _plan_clip(suite, label, index, size, seed)["meta"]


def object_masks(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0) -> np.ndarray:
    """Boolean ``(T, H, W)``: the pixels of each frame covered by the clip's own sounding
    object (its first source), for measuring on-screen size against loudness."""
    plan = _plan_clip(suite, label, index, size, seed)
    return _render_video(plan)[1]


from ..data.building import dbfs  # noqa: E402  (Chen et al.'s loudness; one implementation, in building)


# ============================================================================ corpora on disk
VGGSOUND_LABELS = {
    "dog": "dog barking", "drum": "playing drum kit", "guitar": "playing acoustic guitar", "piano": "playing piano",
    "plane": "airplane flyby", "speedboat": "motorboat, speedboat acceleration", "waterfall": "waterfall burbling",
    "soccer": "playing soccer", "baseball": "playing baseball",
    "bassoon": "playing bassoon", "cello": "playing cello", "clarinet": "playing clarinet",
    "double_bass": "playing double bass", "flute": "playing flute", "horn": "playing french horn",
    "oboe": "playing oboe", "saxophone": "playing saxophone", "trombone": "playing trombone",
    "trumpet": "playing trumpet", "tuba": "playing tuba", "viola": "playing viola", "violin": "playing violin, fiddle",
}
"""Free-text labels in the style of VGGSound's CSV (two contain a comma, as real ones do)."""

UCF_NAMES = {"dog": "WalkingWithDog", "drum": "Drumming", "guitar": "PlayingGuitar", "piano": "PlayingPiano",
             "plane": "FlyingPlane", "speedboat": "Speedboating", "waterfall": "Waterfall",
             "soccer": "SoccerPenalty", "baseball": "BaseballPitch"}
UCF_NAMES.update({i: "Playing" + "".join(w.capitalize() for w in i.split("_")) for i in INSTRUMENTS})
"""CamelCase class names for the UCF-101 layout (``PlayingCello``, ``Drumming``, ...)."""

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _youtube_id(seed, cid) -> str:
    v = _stable_int("ytid", seed, cid)
    return "".join(_B64[(v >> (6 * i)) & 63] for i in range(11)) if v else "A" * 11


def _resolve_size(suite, profile, classes=None, clips_per_class=None) -> Tuple[str, SynthAVSize]:
    if isinstance(profile, SynthAVSize):
        name, size = "custom", profile
    else:
        prof = profile if isinstance(profile, Profile) else get_profile(str(profile))
        name = prof.name
        size = prof.scenes if suite == "scenes" else prof.performances
    suite_classes(suite)
    if classes is not None:
        bad = [c for c in classes if c not in suite_classes(suite)]
        if bad:
            raise ValueError(f"{bad} are not classes of the SynthAV {suite} suite ({', '.join(suite_classes(suite))})")
        size = replace(size, classes=tuple(classes))
    if clips_per_class is not None:
        size = replace(size, clips_per_class=int(clips_per_class))
    return name, size


def _dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def _ucf_group(index, n):
    """UCF-style (group, clip) numbers for clip ``index`` of ``n``: groups 1-7 are the
    test groups and 8-25 the training groups, both used even with very few clips."""
    per = 2 if n >= 4 else 1
    n_groups = (n + per - 1) // per
    n_test = max(1, min(n_groups - 1, int(round(n_groups * 7 / 25)))) if n_groups > 1 else 1
    g, c = divmod(index, per)
    group = g + 1 if g < n_test else 8 + (g - n_test)
    return group, c + 1, group <= 7


def _layout_files(layout, suite, label, index, n, seed, size) -> dict:
    """Where clip ``index`` of ``n`` of a class goes in ``layout`` (paths relative to the root)."""
    cid = clip_id(suite, label, index)
    if layout == "synthav":
        return {"video": f"videos/{label}/{cid}.mp4"}
    if layout == "vegas":
        return {"video": f"{label}/video/{cid}.mp4"}
    if layout == "vggsound":
        yt = _youtube_id(seed, cid)
        start = (_stable_int("start", seed, cid) % 60) * 10
        n_test = max(1, int(round(0.2 * n))) if n >= 2 else 0
        return {"video": f"video/{yt}_{start:06d}.mp4", "youtube_id": yt, "start_seconds": start,
                "split": "test" if index >= n - n_test else "train", "layout_label": VGGSOUND_LABELS[label]}
    if layout == "ucf101":
        if n < 2:
            raise ValueError("the ucf101 layout needs at least 2 clips per class (one train and one test group)")
        name = UCF_NAMES[label]
        g, c, test = _ucf_group(index, n)
        return {"video": f"UCF-101/{name}/v_{name}_g{g:02d}_c{c:02d}.avi", "split": "test" if test else "train",
                "layout_label": name}
    if layout == "suburmp":
        split = "validation" if (n >= 2 and index == n - 1) else "train"
        stem = f"{label}{index + 1:02d}"
        k = int(math.floor(size.clip_seconds / 0.5 + 1e-9))
        return {"chunks": [(f"img/{split}/{label}/{stem}_{j}.jpg", f"chunk/{split}/{label}/{stem}_{j}.wav", 0.5 * j, 0.5 * (j + 1))
                           for j in range(k)], "split": split}
    raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def _marker_path(root: Path, layout: str, cid: str) -> Path:
    return root / ("meta" if layout == "synthav" else ".synthav") / f"{cid}.json"


def _write_clip_task(task):
    """Worker: write one clip in its layout unless a finished copy is already there."""
    suite, label, index, size, seed, root, layout, files = task
    root = Path(root)
    meta = clip_metadata(suite, label, index, size, seed)
    if "video" in files:
        meta["file"] = files["video"]
    marker = _marker_path(root, layout, meta["clip_id"])
    outputs = [root / files["video"]] if "video" in files else \
        [root / p for c in files["chunks"] for p in c[:2]]
    if marker.exists() and all(p.exists() for p in outputs):
        try:
            if json.loads(marker.read_text()) == json.loads(_dumps(meta)):
                return meta, False
        except (OSError, json.JSONDecodeError):
            pass
    from ..data import media as avio
    frames, audio, _ = generate_clip(suite, label, index, size, seed)
    if "video" in files:
        avio.write_video(root / files["video"], frames, size.fps, audio, size.sample_rate)
    else:
        sr = size.sample_rate
        for img_rel, wav_rel, a, b in files["chunks"]:
            k = min(len(frames) - 1, int(math.ceil(a * size.fps - 1e-9)))
            avio.write_image(root / img_rel, frames[k])
            avio.write_audio(root / wav_rel, audio[int(round(a * sr)): int(round(b * sr))], sr)
    _atomic_write_text(marker, _dumps(meta))
    return meta, True


def _progress(total, desc, enabled):
    if not enabled:
        return None
    try:
        from ..course.progress import tqdm
    except ImportError:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit="clip")


def generate_corpus(suite: str = "scenes", profile: Union[str, Profile, SynthAVSize] = "smoke", out=None,
                    seed: int = 0, layout: str = "synthav", workers: int = 2,
                    classes: Optional[Sequence[str]] = None, clips_per_class: Optional[int] = None,
                    progress: bool = True) -> Path:
    """Write a SynthAV corpus of real video files to ``out`` and return its path.

    ``profile`` (a name, a :class:`Profile` or a :class:`SynthAVSize`) sets the size;
    ``classes`` and ``clips_per_class`` override it.  ``layout``:

    - ``synthav``: ``videos/<label>/<clip_id>.mp4``, ``metadata.jsonl`` (one clip per
      line, sorted by clip id), ``labels.csv`` (file,label,video_id), ``corpus.json``
      and ``meta/<clip_id>.json`` (written after each video; a rerun skips clips whose
      video and meta are there and up to date, so a killed run resumes);
    - ``vegas``, ``vggsound``, ``ucf101``, ``suburmp``: the tree of that corpus (see
      ``data/README.md``) plus ``synthav_truth.jsonl`` mapping every written file to
      its clip and label, with the clip's metadata.

    Deterministic: the same arguments give byte-identical metadata and identical
    decoded content whatever ``workers`` is.
    """
    if out is None:
        raise ValueError("generate_corpus needs out= (the folder to write the corpus to)")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    prof_name, size = _resolve_size(suite, profile, classes, clips_per_class)
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    labels = list(_size_classes(suite, size))
    n = int(size.clips_per_class)
    tasks = []
    for index in range(n):          # interleave classes so that a partial run covers them all
        for label in labels:
            files = _layout_files(layout, suite, label, index, n, seed, size)
            tasks.append((suite, label, index, size, int(seed), str(root), layout, files))
    results = {}
    bar = _progress(len(tasks), f"SynthAV {suite}", progress)
    t0 = time.time()
    written = 0
    try:
        if workers and workers > 1 and len(tasks) > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed
            with ProcessPoolExecutor(max_workers=int(workers), mp_context=mp.get_context("spawn")) as ex:
                futs = {ex.submit(_write_clip_task, t): t for t in tasks}
                for fut in as_completed(futs):
                    meta, wrote = fut.result()
                    results[meta["clip_id"]] = (meta, futs[fut][7])
                    written += int(wrote)
                    if bar is not None:
                        bar.update(1)
        else:
            for t in tasks:
                meta, wrote = _write_clip_task(t)
                results[meta["clip_id"]] = (meta, t[7])
                written += int(wrote)
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    order = sorted(results)
    if layout == "synthav":
        _atomic_write_text(root / "metadata.jsonl", "".join(_dumps(results[c][0]) + "\n" for c in order))
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["file", "label", "video_id"])
        for c in order:
            m = results[c][0]
            w.writerow([m["file"], m["label"], m["video_id"]])
        _atomic_write_text(root / "labels.csv", buf.getvalue())
    else:
        _write_layout_index(root, layout, suite, labels, order, results)
    counts = {lab: sum(1 for c in order if results[c][0]["label"] == lab) for lab in labels}
    defects = {d: sum(1 for c in order if any(x["type"] == d for x in results[c][0]["defects"])) for d in DEFECT_TYPES}
    info = {"suite": suite, "profile": prof_name, "seed": int(seed), "layout": layout,
            "generator_version": GENERATOR_VERSION, "size": {k: (list(v) if isinstance(v, tuple) else v)
                                                             for k, v in size.__dict__.items()},
            "classes": labels, "clips_per_class": n, "num_clips": len(order), "counts": counts,
            "clips_with_defects": sum(1 for c in order if results[c][0]["defects"]), "defect_counts": defects,
            "multi_source_clips": sum(1 for c in order if results[c][0]["multi_source"])}
    _atomic_write_text(root / ("corpus.json" if layout == "synthav" else "synthav_corpus.json"),
                       json.dumps(info, indent=2, sort_keys=True) + "\n")
    if progress:
        print(f"SynthAV {suite}/{prof_name}: {len(order)} clips in {root} "
              f"({written} written, {len(order) - written} reused, {time.time() - t0:.1f} s)")
    return root


def _write_layout_index(root: Path, layout, suite, labels, order, results):
    """The index files of a foreign layout, and ``synthav_truth.jsonl``."""
    truth = []
    if layout == "vggsound":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for c in order:
            f = results[c][1]
            w.writerow([f["youtube_id"], f["start_seconds"], f["layout_label"], f["split"]])
        _atomic_write_text(root / "vggsound.csv", buf.getvalue())
    if layout == "ucf101":
        names = sorted(UCF_NAMES[lab] for lab in labels)
        idx = {nm: i + 1 for i, nm in enumerate(names)}
        _atomic_write_text(root / "ucfTrainTestlist" / "classInd.txt", "".join(f"{idx[nm]} {nm}\r\n" for nm in names))
        train, test = [], []
        for c in sorted(order, key=lambda c: results[c][1]["video"]):
            f = results[c][1]
            rel = f["video"][len("UCF-101/"):]
            if f["split"] == "train":
                train.append(f"{rel} {idx[f['layout_label']]}\r\n")
            else:
                test.append(f"{rel}\r\n")
        _atomic_write_text(root / "ucfTrainTestlist" / "trainlist01.txt", "".join(train))
        _atomic_write_text(root / "ucfTrainTestlist" / "testlist01.txt", "".join(test))
    for c in order:
        meta, f = results[c]
        base = {"clip_id": c, "label": meta["label"], "layout_label": f.get("layout_label", meta["label"]),
                "split": f.get("split")}
        if "video" in f:
            truth.append(dict(base, file=f["video"], kind="video", meta=meta))
        else:
            for img_rel, wav_rel, a, b in f["chunks"]:
                for rel, kind in ((img_rel, "image"), (wav_rel, "audio")):
                    truth.append(dict(base, file=rel, kind=kind, start=a, end=b, meta=meta))
    _atomic_write_text(root / "synthav_truth.jsonl", "".join(_dumps(t) + "\n" for t in truth))


def write_layout(kind: str, out, suite: Optional[str] = None, profile="smoke", seed: int = 0,
                 classes: Optional[Sequence[str]] = None, clips_per_class: int = 3, workers: int = 1,
                 progress: bool = False) -> Path:
    """A tiny corpus in a real data set's layout (``vegas``, ``vggsound``, ``ucf101``,
    ``suburmp``), for testing the readers.  Scenes by default, performances for
    ``ucf101`` and ``suburmp``."""
    if suite is None:
        suite = "performances" if kind in ("ucf101", "suburmp") else "scenes"
    return generate_corpus(suite=suite, profile=profile, out=out, seed=seed, layout=kind, workers=workers,
                           classes=classes, clips_per_class=clips_per_class, progress=progress)


def load_metadata(root) -> List[dict]:
    """The clips' metadata of a SynthAV corpus (``metadata.jsonl``), or of a foreign-layout
    tree written by SynthAV (``synthav_truth.jsonl``, one entry per clip)."""
    root = Path(root)
    if (root / "metadata.jsonl").exists():
        return [json.loads(l) for l in (root / "metadata.jsonl").read_text().splitlines() if l.strip()]
    seen, metas = set(), []
    for l in (root / "synthav_truth.jsonl").read_text().splitlines():
        if l.strip():
            rec = json.loads(l)
            if rec["clip_id"] not in seen:
                seen.add(rec["clip_id"])
                metas.append(rec["meta"])
    return metas


def corpus_dir(data_dir, suite: str, profile: str, seed: int = 0) -> Path:
    """``<data_dir>/synthav/<suite>-<profile>-seed<seed>``: where a cached corpus lives."""
    name = profile.name if isinstance(profile, Profile) else str(profile)
    return Path(data_dir) / "synthav" / f"{suite}-{name}-seed{int(seed)}"


def ensure_corpus(data_dir, suite: str, profile: str = "course", seed: int = 0, workers: int = 2,
                  progress: bool = True) -> Path:
    """The cached corpus for (suite, profile, seed), generated only if it is missing, was
    left unfinished, or was made by another generator version."""
    root = corpus_dir(data_dir, suite, profile, seed)
    info_path = root / "corpus.json"
    if info_path.exists():
        try:
            info = json.loads(info_path.read_text())
            if (info.get("generator_version") == GENERATOR_VERSION and info.get("suite") == suite
                    and info.get("seed") == int(seed) and (root / "metadata.jsonl").exists()):
                return root
        except (OSError, json.JSONDecodeError):
            pass
        info_path.unlink(missing_ok=True)   # stale: regenerate (clips still up to date are reused)
    return generate_corpus(suite=suite, profile=profile, out=root, seed=seed, workers=workers, progress=progress)
