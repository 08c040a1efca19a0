"""Performers: what every instrument of the performances suite shares.

A player's clip is planned by :func:`plan_player` (place, facing, the melody from
:func:`plan_notes`, per-player timbre jitter, colours), sounded by
:func:`instrument_sound` (additive synthesis with the instrument's
:class:`~s2i_lib.synthav.kinds.Timbre`: harmonics, formants, attack, vibrato, breath)
and drawn by :func:`draw_player` (a person, then the instrument's own drawing in their
hands).  The note played sets the pose (:func:`pose_of_pitch`), which is how
pose-oriented generation (notebook 03) gets a ground truth.
"""
from __future__ import annotations

from typing import List

import numpy as np

from .canvas import Canvas, jit, shade
from .constants import NOTE_SECONDS
from .dsp import colored_noise, midi_hz
from .kinds import Hold, PlayerPlan, Pose, ground_place
from .people import outfit, person
from .registry import INSTRUMENT_DEFS
from .seeding import pick, r3

PLAYER_SIZE = 0.92
"""A player's height (fraction of the frame) at distance 1: filmed closer than scene objects."""

SCALES = ([0, 2, 4, 5, 7, 9, 11], [0, 2, 3, 5, 7, 8, 10], [0, 2, 4, 7, 9])
"""Major, natural minor and major pentatonic: the scales melodies are drawn from."""


def pose_of_pitch(instrument: str, midi: float) -> float:
    """The player's pose in [0, 1] for a note: its position within the instrument's
    range (0 = lowest note, 1 = highest), a monotone function of the pitch."""
    lo, hi = INSTRUMENT_DEFS[instrument].timbre.range
    return float(np.clip((float(midi) - lo) / (hi - lo), 0.0, 1.0))


def plan_notes(instr: str, rng, D: float) -> List[dict]:
    """A melody filling ``[0, D]``: notes of 0.5-1 s on a random scale within the
    instrument's range, moving by small steps (the metadata's ``notes``)."""
    lo, hi = INSTRUMENT_DEFS[instr].timbre.range
    scale = pick(rng, SCALES)
    tonic = int(rng.integers(0, 12))
    allowed = [m for m in range(lo, hi + 1) if (m - tonic) % 12 in scale]
    i = int(rng.integers(len(allowed) // 5, max(len(allowed) // 5 + 1, 4 * len(allowed) // 5)))
    notes, t = [], 0.0
    while t < D - 1e-6:
        end = t + rng.uniform(*NOTE_SECONDS)
        if D - end < 0.3:
            end = D
        m = allowed[i]
        notes.append({"start": r3(t), "end": r3(min(end, D)), "midi": int(m), "pitch_hz": round(midi_hz(m), 3),
                      "pose": round(pose_of_pitch(instr, m), 4)})
        t = min(end, D)
        step = int(pick(rng, [-4, -3, -2, -1, -1, 1, 1, 2, 3, 4, 5, -5]))
        i = int(np.clip(i + step, 0, len(allowed) - 1))
        if i in (0, len(allowed) - 1) and rng.random() < 0.5:
            i = int(np.clip(i - np.sign(step) * 3, 0, len(allowed) - 1))
    notes[-1]["end"] = r3(D)
    return notes


def plan_player(instr: str, rng, D: float, dist: float, env) -> PlayerPlan:
    """The plan of a performer of ``instr`` at distance ``dist`` in environment ``env``."""
    spec = INSTRUMENT_DEFS[instr]
    s = PLAYER_SIZE / dist
    x, yb = ground_place(rng, env.horizon, 0.7 * s, spec.height * s, dist)
    timbre = spec.timbre
    slope = timbre.slope + rng.uniform(-0.1, 0.1)
    forms = [(F * rng.uniform(0.92, 1.08), g * rng.uniform(0.8, 1.2)) for F, g in timbre.formants]
    facing = int(pick(rng, [-1, 1]))
    notes = plan_notes(instr, rng, D)
    jitter, phases = rng.uniform(0.8, 1.2, 20), rng.uniform(0, 2 * np.pi, 20)
    return PlayerPlan(label=instr, scale=s, facing=facing, distance=dist, x=x, y_bottom=yb, seated=spec.seated,
                      notes=notes, timbre=timbre, slope=slope, formants=forms, jitter=jitter, phases=phases,
                      color=jit(rng, spec.wood, 0.03), person=outfit(rng, formal=True))


# ---------------------------------------------------------------------------- sound
def _note_tone(p: PlayerPlan, note: dict, rng, m: int, sr: int):
    """One note of ``m`` samples: its signal and its envelope."""
    spec = p.timbre
    rate, cents = spec.vibrato
    tt = np.arange(m) / sr
    f0 = note["pitch_hz"]
    vib_on = np.clip((tt - 0.15) / 0.2, 0, 1)
    f = f0 * 2.0 ** (cents * vib_on * np.sin(2 * np.pi * rate * tt + rng.uniform(0, 6.28)) / 1200.0)
    ph = 2 * np.pi * np.cumsum(f) / sr
    K = int(min(20, 0.45 * sr / (f0 * 1.03)))
    ks = np.arange(1, K + 1)
    amp = ks ** -p.slope
    amp = np.where(ks % 2 == 0, amp * spec.odd, amp)
    fk = ks * f0
    for (F, g) in p.formants:
        amp = amp * (1.0 + g * np.exp(-np.log2(fk / F) ** 2 / (2 * 0.4 ** 2)))
    amp = amp * p.jitter[:K]
    sig = np.zeros(m)
    for k, ak in zip(ks, amp):
        sig += ak * np.sin(k * ph + p.phases[k - 1])
    env = np.minimum(1.0, tt / spec.attack) ** 1.5
    rel = min(m, int(0.06 * sr))
    env[m - rel:] *= np.linspace(1.0, 0.15, rel)
    env *= 1.0 + 0.08 * np.sin(2 * np.pi * 0.7 * tt)
    if spec.family == "brass":   # brighter after the attack: add a touch of the upper harmonics
        env *= 1.0 + 0.1 * (1 - np.exp(-tt / 0.1))
    sig *= env / (np.abs(amp).sum() + 1e-9)
    return sig, env


def instrument_sound(p: PlayerPlan, rng, n: int, sr: int) -> np.ndarray:
    """The melody of ``p`` played with its timbre, plus breath or bow noise that follows
    the notes' envelopes."""
    out = np.zeros(n)
    breath = np.zeros(n)
    for note in p.notes:
        a, b = int(note["start"] * sr), min(n, int(note["end"] * sr))
        if b - a <= 0:
            continue
        sig, env = _note_tone(p, note, rng, b - a, sr)
        out[a:b] += sig
        breath[a:b] += env
    if p.timbre.breath > 0:
        centre = float(np.median([nt["pitch_hz"] for nt in p.notes]))
        noise = colored_noise(rng, n, sr, centre * 0.8, centre * 6, order=1)
        noise /= np.std(noise) + 1e-9
        out = out / (np.std(out) + 1e-9) + p.timbre.breath * 4 * noise * breath
    return out


# ---------------------------------------------------------------------------- picture
def pose_at(p: PlayerPlan, t: float) -> Pose:
    """The pose at time ``t``: that of the note sounding at ``t``, else of the last one."""
    notes = p.notes
    cur = None
    for j, n in enumerate(notes):
        if n["start"] <= t:
            cur = (j, n)
    if cur is None:
        return Pose(notes[0]["pose"], 0.0, 0)
    j, n = cur
    u = float(np.clip((t - n["start"]) / max(n["end"] - n["start"], 1e-3), 0, 1))
    return Pose(n["pose"], u, j)


def draw_player(cv: Canvas, p: PlayerPlan, t: float, D: float = 0.0) -> None:
    """The performer at time ``t``: the person (on a chair if seated), then the
    instrument and arms in the pose of the note being played."""
    x, yb, f, h = p.x, p.y_bottom, p.facing, p.scale
    pose = pose_at(p, t)
    body = person(cv, x, yb, h, p.person, seated=p.seated)
    if p.seated:
        cv.rect(x - 0.15 * h, yb - 0.36 * h, x + 0.15 * h, yb - 0.32 * h, (0.25, 0.2, 0.15))
    hx, hy = body.head
    hold = Hold(x=x, y_bottom=yb, h=h, facing=f, body=body,
                near=body.right_shoulder if f > 0 else body.left_shoulder,     # the instrument side
                far=body.left_shoulder if f > 0 else body.right_shoulder,
                mouth=(hx, hy + 0.035 * h), outfit=p.person, color=p.color, dark=shade(p.color, 0.65))
    INSTRUMENT_DEFS[p.label].draw(cv, hold, pose)
