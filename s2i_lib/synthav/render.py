"""Rendering a clip: its plan turned into audio samples and video frames, in memory.

:func:`generate_clip` gives ``(frames, audio, meta)``, :func:`clip_metadata` the
metadata alone (cheap: nothing is rendered) and :func:`object_masks` the pixels of the
sounding object in each frame.  The audio mixes the sources at ``REF_LEVEL / distance``,
gates the ``silent`` stretches, adds the ``noise`` defects at their SNR and a faint room
tone; the video paints the environment, the objects (their drawings read the same plans
as their sounds), the off-screen view or another class's scene where the timeline says
so, under a slowly panning, shaking camera, supersampled twice when frames are small.
"""
from __future__ import annotations

import math

import numpy as np

from ..course.profiles import SynthAVSize
from .canvas import Canvas
from .constants import DISTANCE_RANGE, NONE_LABEL, REF_LEVEL, ROOM_TONE
from .dsp import colored_noise, noise_signal, smooth_random, window
from .environments import draw_environment, draw_offscreen
from .players import draw_player, instrument_sound
from .plans import ClipPlan, plan_clip, plan_view
from .registry import SCENE_DEFS
from .truth import truth_at


# ---------------------------------------------------------------------------- audio
def _source_sound(suite: str, o, rng, n: int, sr: int) -> np.ndarray:
    if suite == "performances":
        return instrument_sound(o, rng, n, sr)
    return SCENE_DEFS[o.label].sound(o, rng, n, sr)


def render_audio(plan: ClipPlan) -> np.ndarray:
    """The clip's float32 mono audio, in [-1, 1] (a soft knee above 0.85)."""
    meta, rng = plan.meta, plan.rng_audio
    n, sr = meta["num_samples"], meta["sample_rate"]
    src = np.zeros(n)
    objs = [plan.obj] + ([plan.second] if plan.second else [])
    for o in objs:
        x = _source_sound(meta["suite"], o, rng, n, sr)
        x = x - x.mean()
        x *= REF_LEVEL / (np.mean(np.abs(x)) + 1e-12) / o.distance
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
            nz = noise_signal(rng, d["noise_kind"], n, sr) * math.sqrt(power / 10 ** (d["snr_db"] / 10))
            out = out + nz * window(n, sr, d["start"], d["end"] + (1.0 / sr if d["end"] >= meta["duration"] else 0))
    room = colored_noise(rng, n, sr, 60, 8000, slope=0.3)
    out = out + room * ROOM_TONE / (np.mean(np.abs(room)) + 1e-12)
    a = np.abs(out)
    knee = 0.85
    out = np.where(a > knee, np.sign(out) * (knee + (1 - knee) * np.tanh((a - knee) / (1 - knee))), out)
    return out.astype(np.float32)


# ---------------------------------------------------------------------------- video
def _draw_object(cv: Canvas, suite: str, o, t: float, D: float) -> None:
    if suite == "scenes":
        SCENE_DEFS[o.label].draw(cv, o, t, D)
    else:
        draw_player(cv, o, t, D)


def _backgrounds(plan: ClipPlan, rng, C: int, pad: int):
    """The backgrounds the clip cuts between, each ``C + 2 pad`` pixels square: its own,
    the off-screen view (if the camera looks away) and, per other class shown, that
    class's scene with its object."""
    meta = plan.meta
    suite, label, D = meta["suite"], meta["label"], meta["duration"]
    P = C + 2 * pad

    def background(draw):
        cv = Canvas(P, P, C, pad, pad)
        draw(cv)
        return cv.img

    env, obj = plan.env, plan.obj
    main_bg = background(lambda cv: draw_environment(cv, env, rng, obj))
    shown = {s["shown_label"] for s in meta["timeline"]}
    off_bg = background(lambda cv: draw_offscreen(cv, env, rng)) if NONE_LABEL in shown else None
    other = {}
    for lab in sorted(shown - {label, NONE_LABEL}):
        od = float(rng.uniform(*DISTANCE_RANGE[suite]))
        oenv, oobj = plan_view(suite, lab, rng, D, od)
        other[lab] = (background(lambda cv, e=oenv, o=oobj: draw_environment(cv, e, rng, o)), oobj)
    return main_bg, off_bg, other


def _camera(rng, T: int, C: int, pad: int):
    """Per-frame camera offsets (a slow pan plus shake, whole canvas pixels), overall
    brightness, colour tint and per-frame flicker."""
    shake = rng.uniform(0.0, 0.015) * C
    pan = rng.uniform(-0.03, 0.03, 2) * C
    u = np.linspace(-0.5, 0.5, max(T, 1))
    n_ = max(T, 1)
    sx = np.round(pan[0] * u + shake * smooth_random(rng, n_, 1, 3.0, -1, 1)).astype(int)
    sy = np.round(pan[1] * u + shake * smooth_random(rng, n_, 1, 3.0, -1, 1)).astype(int)
    sx, sy = np.clip(sx, -pad, pad), np.clip(sy, -pad, pad)
    bright = rng.uniform(0.75, 1.15)
    tint = 1.0 + rng.normal(0.0, 0.05, 3)
    flicker = 1.0 + rng.normal(0.0, 0.01, n_)
    return sx, sy, bright, tint, flicker


def render_video(plan: ClipPlan):
    """``(frames, masks)``: uint8 ``(T, S, S, 3)`` frames and boolean ``(T, S, S)``
    masks of the clip's own sounding object (frame ``k`` shows time ``k / fps``)."""
    meta, rng = plan.meta, plan.rng_video
    S, T, fps, D = meta["frame_size"], meta["num_frames"], meta["fps"], meta["duration"]
    suite, label = meta["suite"], meta["label"]
    ss = 2 if S <= 160 else 1
    C = S * ss
    pad = max(2, int(round(0.06 * C)))
    main_bg, off_bg, other = _backgrounds(plan, rng, C, pad)
    sx, sy, bright, tint, flicker = _camera(rng, T, C, pad)
    frames = np.zeros((T, S, S, 3), np.uint8)
    masks = np.zeros((T, S, S), bool)
    for k in range(T):
        t = k / fps
        tr = truth_at(meta, t)
        if tr["shown_label"] == label:
            bg, objs = main_bg, [(plan.obj, True)] + ([(plan.second, False)] if plan.second else [])
        elif tr["shown_label"] == NONE_LABEL:
            bg, objs = off_bg, []
        else:
            bg, oobj = other[tr["shown_label"]]
            objs = [(oobj, False)]
        img = bg[pad + sy[k]: pad + sy[k] + C, pad + sx[k]: pad + sx[k] + C].copy()
        cv = Canvas(C, C, C, -float(sx[k]), -float(sy[k]), img=img)
        for o, is_source in sorted(objs, key=lambda z: z[0].y_bottom):
            cv.obj = is_source
            _draw_object(cv, suite, o, t, D)
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


# ---------------------------------------------------------------------------- public entry points
def generate_clip(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0):
    """One SynthAV clip, in memory: ``(frames, audio, meta)``.

    ``frames`` is uint8 ``(T, H, W, 3)`` with ``T = round(clip_seconds * fps)`` (frame
    ``k`` shows time ``k / fps``), ``audio`` float32 mono ``(N,)`` at ``size.sample_rate``,
    ``meta`` the JSON-serialisable description (see :func:`clip_metadata`).  Pure: no
    I/O; the same arguments always give the same clip.
    """
    plan = plan_clip(suite, label, index, size, seed)
    audio = render_audio(plan)
    frames, _ = render_video(plan)
    return frames, audio, plan.meta


def clip_metadata(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0) -> dict:
    """The metadata of a clip without rendering it (cheap; identical to the ``meta`` that
    :func:`generate_clip` returns)."""
    return plan_clip(suite, label, index, size, seed).meta


def object_masks(suite: str, label: str, index: int, size: SynthAVSize, seed: int = 0) -> np.ndarray:
    """Boolean ``(T, H, W)``: the pixels of each frame covered by the clip's own sounding
    object (its first source), for measuring on-screen size against loudness."""
    plan = plan_clip(suite, label, index, size, seed)
    return render_video(plan)[1]
