"""Scene classes at home: dog, drum, guitar, piano (filmed in a room, the dog also in a
yard).

Each class is one :class:`~s2i_lib.synthav.kinds.SceneClass` below: its plan dataclass,
its planner (the random choices of a clip: place, colours, event times), its sound model
and its drawing, which read the same plan so that what is heard is what is shown (a bark
opens the mouth, a drum hit flashes the head). To add a class here, write the four parts,
add its definition to :data:`CLASSES` and its name to ``SCENE_CLASSES`` in
:mod:`s2i_lib.course.profiles`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from .canvas import Color, jit, mix, rot, shade
from .dsp import add_at, bandpass, decay_env, fft_filter, karplus_strong, midi_hz
from .kinds import ObjectPlan, Placement, SceneClass, ground_place, since
from .people import Outfit, dressed_arm, outfit, person
from .seeding import pick, r3


# ============================================================================ dog
@dataclass(kw_only=True)
class DogPlan(ObjectPlan):
    barks: List[Tuple[float, float, float]]   # (start, duration, pitch Hz)
    formants: Tuple[float, float]              # Hz
    coat: Color
    patch_shade: float
    wag: float                                 # tail wags per second


def _plan_dog(rng, at: Placement, D, env) -> DogPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 1.05 * s, 0.8 * s, at.distance, at.side)
    f0 = rng.uniform(350, 800)
    barks, t = [], rng.uniform(0.0, 0.12)
    while t < D - 0.05:
        for _ in range(int(rng.integers(1, 4))):
            dur = rng.uniform(0.12, 0.22)
            barks.append((r3(t), r3(dur), r3(f0 * rng.uniform(0.93, 1.07))))
            t += dur + rng.uniform(0.04, 0.1)
            if t >= D - 0.05:
                break
        t += rng.uniform(0.04, 0.2)
    formants = (rng.uniform(600, 1100), rng.uniform(1500, 2600))
    coat = jit(rng, pick(rng, [(0.45, 0.3, 0.15), (0.12, 0.1, 0.1), (0.8, 0.6, 0.3), (0.92, 0.9, 0.85),
                               (0.55, 0.55, 0.55), (0.65, 0.4, 0.2)]), 0.05)
    return DogPlan(**at.fields(), x=x, y_bottom=yb, barks=barks, formants=formants, coat=coat,
                   patch_shade=rng.uniform(0.45, 0.8), wag=rng.uniform(2, 5))


def _snd_dog(p: DogPlan, rng, n, sr):
    """Barks: a harmonic voice with a rising-then-falling pitch through two formants, plus rasp."""
    out = np.zeros(n)
    f1, f2 = p.formants
    for (t0, dur, f0) in p.barks:
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
        rasp = fft_filter(rng.standard_normal(m), sr, bandpass(500, 3500))
        sig = sig / (np.abs(sig).max() + 1e-9) + 0.35 * rasp / (np.abs(rasp).max() + 1e-9)
        env = (1.0 - np.exp(-tt / 0.006)) * np.exp(-tt / (dur * 0.5))
        env[-int(0.01 * sr):] *= np.linspace(1, 0, int(0.01 * sr))
        add_at(out, sig * env, int(t0 * sr))
    return out


def _draw_dog(cv, p: DogPlan, t, D):
    """A dog standing side-on, head raised and mouth open while it barks, tail wagging."""
    s, x, yb, f, coat = p.scale, p.x, p.y_bottom, p.facing, p.coat
    patch = shade(coat, p.patch_shade) if sum(coat) > 0.6 else mix(coat, (0.6, 0.45, 0.3), 0.4)
    bark = 0.0
    for (b0, dur, _) in p.barks:
        if b0 <= t < b0 + dur + 0.06:
            bark = 1.0
    lift = 0.05 * s * bark
    bx = x - f * 0.05 * s
    for k, d in enumerate((-0.22, 0.2, -0.14, 0.12)):
        col = shade(coat, 0.8) if k < 2 else coat
        lx = bx + f * d * s
        cv.line(lx, yb - 0.38 * s, lx + f * 0.02 * s, yb - 0.02 * s, 0.07 * s, col)
    wag = 0.06 * s * math.sin(2 * math.pi * p.wag * t)
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


DOG = SceneClass(name="dog", version="1", environments=("indoor", "yard"), partners=("piano", "guitar", "drum"),
                 plan=_plan_dog, sound=_snd_dog, draw=_draw_dog)


# ============================================================================ drum
@dataclass(kw_only=True)
class DrumPlan(ObjectPlan):
    hits: List[Tuple[float, str, float]]      # (time, drum, velocity); drum in kick/snare/hat/tom/crash
    kick_hz: float
    snare_hz: float
    snare_decay: float
    tom_hz: float
    shell: Color
    head: Color
    metal: Color


def _drum_pattern(rng, D):
    """A rock beat at a random tempo: kicks, snares, hats, a crash on the first beat, a tom fill."""
    bpm = rng.uniform(85, 150)
    step = 60.0 / bpm / 2
    hits, k = [], 0
    extra_kick = rng.random() < 0.5
    hat_every = 1 if rng.random() < 0.6 else 2
    fill = rng.random() < 0.35
    t0 = rng.uniform(0, 0.1)
    while t0 + k * step < D - 0.05:
        t, pos = r3(t0 + k * step), k % 8
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
    return hits


def _plan_drum(rng, at: Placement, D, env) -> DrumPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 1.0 * s, 0.8 * s, at.distance, at.side)
    hits = _drum_pattern(rng, D)
    kick_hz, snare_hz, snare_decay = rng.uniform(45, 65), rng.uniform(170, 230), rng.uniform(0.08, 0.15)
    tom_hz = rng.uniform(100, 180)
    shell = jit(rng, pick(rng, [(0.7, 0.1, 0.1), (0.1, 0.2, 0.6), (0.1, 0.1, 0.1), (0.9, 0.9, 0.9),
                                (0.6, 0.4, 0.2), (0.3, 0.6, 0.3)]), 0.05)
    return DrumPlan(**at.fields(), x=x, y_bottom=yb, hits=hits, kick_hz=kick_hz, snare_hz=snare_hz,
                    snare_decay=snare_decay, tom_hz=tom_hz, shell=shell,
                    head=jit(rng, (0.93, 0.92, 0.88), 0.03), metal=jit(rng, (0.85, 0.7, 0.3), 0.05))


def _drum_templates(rng, sr, p: DrumPlan):
    """One sample of each drum of the kit, tuned by the plan."""
    def t(sec):
        return np.arange(int(sec * sr)) / sr
    k = t(0.35)
    kf = p.kick_hz + 90.0 * np.exp(-k / 0.035)
    kick = np.sin(2 * np.pi * np.cumsum(kf) / sr) * np.exp(-k / 0.16)
    kick[: int(0.003 * sr)] += rng.uniform(-0.6, 0.6, int(0.003 * sr))
    s = t(0.25)
    snare_noise = fft_filter(rng.standard_normal(len(s)), sr, bandpass(900, 7000))
    snare = 0.45 * np.sin(2 * np.pi * p.snare_hz * s) * np.exp(-s / 0.05) + \
        0.9 * snare_noise / (np.abs(snare_noise).max() + 1e-9) * np.exp(-s / p.snare_decay)
    h = t(0.12)
    hat_noise = fft_filter(rng.standard_normal(len(h)), sr, bandpass(6000, None, 3))
    hat = 0.35 * hat_noise / (np.abs(hat_noise).max() + 1e-9) * np.exp(-h / 0.025)
    tm = t(0.45)
    tf = p.tom_hz * (1.0 + 0.25 * np.exp(-tm / 0.05))
    tom = 0.8 * np.sin(2 * np.pi * np.cumsum(tf) / sr) * np.exp(-tm / 0.22)
    c = t(1.2)
    crash_noise = fft_filter(rng.standard_normal(len(c)), sr, bandpass(3000, None, 2))
    crash = 0.55 * crash_noise / (np.abs(crash_noise).max() + 1e-9) * decay_env(len(c), sr, 0.6)
    return {"kick": kick, "snare": snare, "hat": hat, "tom": tom, "crash": crash}


def _snd_drum(p: DrumPlan, rng, n, sr):
    """The beat: each planned hit plays its drum's sample."""
    out = np.zeros(n)
    tpl = _drum_templates(rng, sr, p)
    for (t0, kind, vel) in p.hits:
        add_at(out, tpl[kind], int(t0 * sr), vel)
    return out


def _draw_drum(cv, p: DrumPlan, t, D):
    """A drum kit; the heads flash on drum hits and the cymbals wobble after theirs."""
    s, x, yb = p.scale, p.x, p.y_bottom
    hits = p.hits
    since_cym = min(since([h[0] for h in hits if h[1] in ("crash", "hat")], t), 5.0)
    since_drum = min(since([h[0] for h in hits if h[1] in ("kick", "snare", "tom")], t), 5.0)
    wob = 0.25 * math.exp(-since_cym / 0.15) * math.cos(30 * since_cym)
    grey = (0.3, 0.3, 0.32)
    for side in (-1, 1):
        cv.line(x + side * 0.4 * s, yb, x + side * 0.4 * s, yb - 0.68 * s, 0.018 * s, grey)
        cv.line(x + side * 0.4 * s, yb, x + side * 0.47 * s, yb, 0.018 * s, grey)
    shell, head, metal = p.shell, p.head, p.metal
    flash = mix(head, (1, 1, 1), 0.6 * math.exp(-since_drum / 0.08))
    # floor tom (right) and snare (left)
    cv.rect(x + 0.2 * s, yb - 0.42 * s, x + 0.42 * s, yb - 0.06 * s, shell)
    cv.ellipse(x + 0.31 * s, yb - 0.42 * s, 0.11 * s, 0.035 * s, head)
    cv.line(x - 0.3 * s, yb, x - 0.3 * s, yb - 0.4 * s, 0.015 * s, grey)
    cv.rect(x - 0.42 * s, yb - 0.5 * s, x - 0.18 * s, yb - 0.4 * s, shade(shell, 1.15))
    cv.ellipse(x - 0.3 * s, yb - 0.5 * s, 0.12 * s, 0.035 * s, flash)
    # bass drum
    cv.circle(x, yb - 0.24 * s, 0.24 * s, shell)
    cv.circle(x, yb - 0.24 * s, 0.2 * s, flash)
    cv.rect(x - 0.2 * s, yb - 0.27 * s, x + 0.2 * s, yb - 0.21 * s, shade(shell, 0.9))
    # rack toms
    for side in (-1, 1):
        tx = x + side * 0.11 * s
        cv.rect(tx - 0.08 * s, yb - 0.62 * s, tx + 0.08 * s, yb - 0.48 * s, shell)
        cv.ellipse(tx, yb - 0.62 * s, 0.08 * s, 0.03 * s, head)
    # cymbals
    for side in (-1, 1):
        cv.ellipse(x + side * 0.4 * s, yb - 0.7 * s, 0.15 * s, 0.028 * s, metal, angle=side * 0.12 + wob)
        cv.circle(x + side * 0.4 * s, yb - 0.7 * s, 0.012 * s, shade(metal, 0.7))


DRUM = SceneClass(name="drum", version="1", environments=("indoor",), partners=("guitar", "piano", "dog"),
                  plan=_plan_drum, sound=_snd_drum, draw=_draw_drum)


# ============================================================================ guitar
@dataclass(kw_only=True)
class GuitarPlan(ObjectPlan):
    plucks: List[Tuple[float, int, float]]    # (time, MIDI note, velocity)
    t60: float                                 # string decay time (s)
    bright: float
    electric: bool
    tilt: float                                # neck angle (radians)
    body: Color
    person: Outfit
    seated: bool


def _guitar_plucks(rng, D):
    """Strummed chords or an arpeggio over a major or minor chord, shifting root now and then."""
    plucks = []
    root = int(rng.integers(40, 50))
    minor = rng.random() < 0.4
    chord = [0, 7, 12, 15 if minor else 16, 19, 24]
    if rng.random() < 0.5:   # strums
        t = rng.uniform(0, 0.1)
        while t < D - 0.05:
            for j, iv in enumerate(chord[: int(rng.integers(4, 7))]):
                plucks.append((r3(t + 0.015 * j), root + iv, rng.uniform(0.6, 1.0)))
            t += rng.uniform(0.35, 0.6)
            if rng.random() < 0.3:
                root = int(np.clip(root + pick(rng, [-5, -2, 2, 5, 7]), 40, 52))
    else:                    # arpeggios
        t, j = rng.uniform(0, 0.1), 0
        while t < D - 0.05:
            plucks.append((r3(t), root + chord[j % len(chord)], rng.uniform(0.7, 1.0)))
            j += int(rng.integers(1, 3))
            t += rng.uniform(0.15, 0.3)
    return plucks


def _plan_guitar(rng, at: Placement, D, env) -> GuitarPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 0.7 * s, 1.0 * s, at.distance, at.side)
    plucks = _guitar_plucks(rng, D)
    t60, bright = rng.uniform(1.2, 2.5), rng.uniform(0.4, 0.9)
    electric, tilt = bool(rng.random() < 0.3), rng.uniform(0.9, 1.35)
    body = jit(rng, pick(rng, [(0.8, 0.55, 0.3), (0.45, 0.25, 0.12), (0.7, 0.12, 0.1), (0.1, 0.1, 0.1),
                               (0.85, 0.5, 0.15), (0.15, 0.3, 0.6)]), 0.05)
    return GuitarPlan(**at.fields(), x=x, y_bottom=yb, plucks=plucks, t60=t60, bright=bright, electric=electric,
                      tilt=tilt, body=body, person=outfit(rng), seated=bool(rng.random() < 0.4))


def _snd_guitar(p: GuitarPlan, rng, n, sr):
    """Plucked strings (Karplus-Strong), one per planned pluck."""
    out = np.zeros(n)
    for (t0, midi, vel) in p.plucks:
        s = karplus_strong(rng, midi_hz(midi), sr, 1.3, t60=p.t60, bright=p.bright)
        add_at(out, s, int(t0 * sr), vel)
    return out


def _draw_guitar(cv, p: GuitarPlan, t, D):
    """A guitarist, standing or seated; the strumming hand moves on each pluck, the fretting hand shifts."""
    s, x, yb, f = p.scale, p.x, p.y_bottom, p.facing
    col = p.person
    body = person(cv, x, yb, s, col, seated=p.seated)
    if p.seated:
        cv.rect(x - 0.14 * s, yb - 0.36 * s, x + 0.14 * s, yb - 0.32 * s, (0.3, 0.22, 0.15))
    hip = body.hip_y
    gx, gy = x - f * 0.02 * s, hip - 0.03 * s
    R = rot(gx, gy, f * p.tilt)        # u axis along the neck, towards the player's fretting side
    wood = p.body
    cv.circle(*R(-0.07 * s, 0), 0.13 * s, wood)
    cv.circle(*R(0.08 * s, 0), 0.1 * s, wood)
    cv.poly([R(0.12 * s, -0.02 * s), R(0.52 * s, -0.016 * s), R(0.52 * s, 0.016 * s), R(0.12 * s, 0.02 * s)], (0.3, 0.18, 0.1))
    cv.poly([R(0.52 * s, -0.03 * s), R(0.6 * s, -0.03 * s), R(0.6 * s, 0.03 * s), R(0.52 * s, 0.03 * s)], (0.2, 0.12, 0.08))
    if p.electric:
        cv.poly([R(-0.05 * s, -0.06 * s), R(0.06 * s, -0.06 * s), R(0.06 * s, 0.06 * s), R(-0.05 * s, 0.06 * s)],
                (0.92, 0.92, 0.9))
    else:
        cv.circle(*R(0.04 * s, 0), 0.04 * s, (0.08, 0.05, 0.03))
    cv.line(*R(-0.14 * s, 0), *R(0.58 * s, 0), 0.006 * s, (0.85, 0.85, 0.8))
    ago = min(since([q[0] for q in p.plucks], t), 5.0)
    strum = 0.05 * s * math.exp(-ago / 0.1)
    hand = R(-0.02 * s, -0.02 * s + strum)
    fret = R((0.38 + 0.08 * math.sin(0.7 * len([q for q in p.plucks if q[0] <= t]))) * s, 0.0)
    sh_strum = body.left_shoulder if f > 0 else body.right_shoulder
    sh_fret = body.right_shoulder if f > 0 else body.left_shoulder
    dressed_arm(cv, sh_strum, hand, s, col)
    dressed_arm(cv, sh_fret, fret, s, col)


GUITAR = SceneClass(name="guitar", version="1", environments=("indoor",), partners=("drum", "piano", "dog"),
                    plan=_plan_guitar, sound=_snd_guitar, draw=_draw_guitar)


# ============================================================================ piano
@dataclass(kw_only=True)
class PianoPlan(ObjectPlan):
    grand: bool
    notes: List[Tuple[float, int, float]]     # (time, MIDI note, velocity)
    inharm: float                              # string inharmonicity B
    hammer: float                              # how many partials the hammer excites
    decay: float                               # decay rate of the fundamental (1/s)
    color: Color


def _plan_piano(rng, at: Placement, D, env) -> PianoPlan:
    s = at.scale
    grand = bool(rng.random() < 0.4)
    x, yb = ground_place(rng, env.horizon, 1.0 * s, (0.85 if grand else 0.7) * s, at.distance, at.side)
    notes, t = [], rng.uniform(0, 0.1)
    m = int(rng.integers(55, 72))
    while t < D - 0.05:
        for c in range(int(rng.integers(1, 4)) if rng.random() < 0.3 else 1):
            notes.append((r3(t), int(np.clip(m + [0, 4, 7][c] - (12 if c else 0), 36, 90)), rng.uniform(0.6, 1.0)))
        m = int(np.clip(m + pick(rng, [-4, -3, -2, -1, 1, 2, 3, 4, 5, -5]), 45, 84))
        t += rng.uniform(0.18, 0.45)
    inharm, hammer, decay = rng.uniform(0.0002, 0.0008), rng.uniform(2.5, 5.0), rng.uniform(1.5, 3.5)
    color = jit(rng, pick(rng, [(0.06, 0.06, 0.07), (0.06, 0.06, 0.07), (0.35, 0.2, 0.1), (0.9, 0.9, 0.88)]), 0.02)
    return PianoPlan(**at.fields(), x=x, y_bottom=yb, grand=grand, notes=notes, inharm=inharm, hammer=hammer,
                     decay=decay, color=color)


def _snd_piano(p: PianoPlan, rng, n, sr):
    """Hammered strings: slightly inharmonic partials decaying faster as they rise, and a hammer knock."""
    out = np.zeros(n)
    B = p.inharm
    for (t0, midi, vel) in p.notes:
        f0 = midi_hz(midi)
        m = int(1.1 * sr)
        tt = np.arange(m) / sr
        ks = np.arange(1, 13)
        fk = ks * f0 * np.sqrt(1.0 + B * ks ** 2)
        ok = fk < 0.45 * sr
        ks, fk = ks[ok], fk[ok]
        amp = (1.0 / ks) * np.exp(-((ks - 1) / p.hammer) ** 2 * 0.5 + 0.0)
        decay = p.decay * (1.0 + 0.35 * (ks - 1))
        sig = (amp[:, None] * np.exp(-tt[None, :] * decay[:, None])
               * np.sin(2 * np.pi * fk[:, None] * tt[None, :] + rng.uniform(0, 6.28, len(ks))[:, None])).sum(0)
        sig *= 1.0 - np.exp(-tt / 0.002)
        knock = rng.standard_normal(int(0.015 * sr)) * np.exp(-np.arange(int(0.015 * sr)) / (0.004 * sr)) * 0.15
        sig[: len(knock)] += knock
        sig[-int(0.02 * sr):] *= np.linspace(1, 0, int(0.02 * sr))
        add_at(out, sig, int(t0 * sr), vel)
    return out


_WHITE_KEYS = [0, 2, 4, 5, 7, 9, 11]


def _draw_piano(cv, p: PianoPlan, t, D):
    """An upright or a grand piano; the keys being played are pressed down."""
    s, x, yb, c = p.scale, p.x, p.y_bottom, p.color
    active = [n[1] for n in p.notes if n[0] <= t < n[0] + 0.25]
    light = mix(c, (1, 1, 1), 0.25)
    if p.grand:
        for lx in (x - 0.42 * s, x + 0.42 * s, x + 0.1 * s):
            cv.rect(lx - 0.025 * s, yb - 0.3 * s, lx + 0.025 * s, yb, shade(c, 0.9))
        cv.poly([(x - 0.5 * s, yb - 0.45 * s), (x + 0.5 * s, yb - 0.45 * s), (x + 0.45 * s, yb - 0.85 * s),
                 (x + 0.3 * s, yb - 0.85 * s)], light)                      # raised lid
        cv.rect(x - 0.5 * s, yb - 0.46 * s, x + 0.5 * s, yb - 0.3 * s, c)
        ky0, ky1 = yb - 0.38 * s, yb - 0.33 * s
    else:
        cv.rect(x - 0.5 * s, yb - 0.7 * s, x + 0.5 * s, yb - 0.06 * s, c)
        cv.rect(x - 0.52 * s, yb - 0.72 * s, x + 0.52 * s, yb - 0.67 * s, light)
        cv.rect(x - 0.45 * s, yb - 0.06 * s, x - 0.38 * s, yb, shade(c, 0.8))
        cv.rect(x + 0.38 * s, yb - 0.06 * s, x + 0.45 * s, yb, shade(c, 0.8))
        cv.rect(x - 0.47 * s, yb - 0.31 * s, x + 0.47 * s, yb - 0.27 * s, shade(c, 0.8))
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


PIANO = SceneClass(name="piano", version="1", environments=("indoor",), partners=("guitar", "drum", "dog"),
                   plan=_plan_piano, sound=_snd_piano, draw=_draw_piano)

CLASSES = (DOG, DRUM, GUITAR, PIANO)
