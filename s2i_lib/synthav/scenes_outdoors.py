"""Scene classes outdoors: plane, speedboat, waterfall, soccer, baseball.

Each class is one :class:`~s2i_lib.synthav.kinds.SceneClass` below: its plan dataclass,
its planner, its sound model and its drawing, reading the same plan (each kick thumps and
moves the ball, each crack of the bat is a swing). The
speedboat's ``offscreen`` view, the inside of the boat, is Wan et al.'s example of a
frame that shows no sounding object (notebook 01 shows it, notebook 02 cleans it away).
To add a class here, write the four parts, add its definition to :data:`CLASSES` and its
name to ``SCENE_CLASSES`` in :mod:`s2i_lib.course.profiles`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import List, Optional, Tuple

import numpy as np

from .canvas import Color, jit, mix, shade
from .constants import BASE_SIZE
from .dsp import add_at, bandpass, colored_noise, crowd, fft_filter, midi_hz, smooth_random, thump
from .kinds import ObjectPlan, Placement, SceneClass, ground_place
from .people import CLOTHES, SKIN, Outfit, dressed_arm, outfit, person
from .seeding import pick, r3


# ============================================================================ plane
@dataclass(kw_only=True)
class PlanePlan(ObjectPlan):
    x_start: float            # where it is at the start and the end of the clip (fraction of the width)
    x_end: float
    flight_y: float           # height of the fuselage axis (fraction of the frame height)
    t_closest: float          # time of the closest approach (s)
    speed: float              # m/s
    altitude: float           # m
    engine_hz: float
    whine_hz: float
    roar_cut: float
    body: Color
    livery: Color


def _plan_plane(rng, at: Placement, D, env) -> PlanePlan:
    s, hz, side = at.scale, env.horizon, at.side
    w = s
    top_lim, bot_lim = 0.04 + 0.2 * s, min(hz, 1.0) - 0.04 - 0.2 * s
    y = rng.uniform(top_lim, max(top_lim, bot_lim)) if bot_lim > top_lim else 0.5 * (top_lim + bot_lim)
    if side is not None:   # a second source: fly in the top part of the sky
        y = rng.uniform(0.05 + 0.2 * s, max(0.06 + 0.2 * s, hz - 0.25 * s))
    travel = float(np.clip(0.96 - w, 0.0, 0.45)) * rng.uniform(0.6, 1.0)
    xc = rng.uniform(0.5 - (0.96 - w - travel) / 2, 0.5 + (0.96 - w - travel) / 2) if 0.96 - w - travel > 0 else 0.5
    tc = rng.uniform(0.35, 0.65) * D
    f = at.facing
    x0, x1 = xc + f * (-travel / 2), xc + f * (travel / 2)
    speed, altitude = rng.uniform(60, 120), rng.uniform(120, 350)
    engine_hz, whine_hz, roar_cut = rng.uniform(70, 140), rng.uniform(1500, 3000), rng.uniform(700, 1600)
    body = jit(rng, pick(rng, [(0.92, 0.92, 0.94), (0.85, 0.85, 0.88), (0.75, 0.77, 0.8), (0.95, 0.95, 0.9)]), 0.03)
    livery = jit(rng, pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.6), (0.1, 0.5, 0.7), (0.9, 0.6, 0.1)]), 0.05)
    return PlanePlan(**at.fields(), x=0.5 * (x0 + x1), y_bottom=y + 0.2 * s, x_start=x0, x_end=x1, flight_y=y,
                     t_closest=tc, speed=speed, altitude=altitude, engine_hz=engine_hz, whine_hz=whine_hz,
                     roar_cut=roar_cut, body=body, livery=livery)


def _snd_plane(p: PlanePlan, rng, n, sr):
    """Jet engine harmonics and whine with the Doppler shift of a fly-by, and the roar, loudest at the closest approach."""
    t = np.arange(n) / sr
    xw = p.speed * (t - p.t_closest)
    r = np.sqrt(xw ** 2 + p.altitude ** 2)
    v_radial = p.speed * xw / r
    doppler = 343.0 / (343.0 + v_radial)
    wob = 1.0 + 0.01 * smooth_random(rng, n, sr, 2.0, -1, 1)
    f = p.engine_hz * doppler * wob
    ph = 2 * np.pi * np.cumsum(f) / sr
    sig = np.zeros(n)
    for k in range(1, 16):
        if k * p.engine_hz * 1.45 > 0.45 * sr:
            break
        sig += k ** -0.9 * (0.6 + 0.8 * rng.random()) * np.sin(k * ph + rng.uniform(0, 6.28))
    whine = 0.3 * np.sin(2 * np.pi * np.cumsum(p.whine_hz * doppler) / sr)
    roar = colored_noise(rng, n, sr, 40, p.roar_cut, slope=0.3)
    roar *= 1.6 * np.std(sig) / (np.std(roar) + 1e-9)
    near = (p.altitude / r) ** 0.6       # louder near the closest approach
    return (sig + whine + roar) * (0.55 + 0.45 * near)


def _plane_pos(p: PlanePlan, t, D):
    """Where the plane is at time ``t``: it crosses the frame over the clip, climbing slightly."""
    u = 0.0 if D <= 0 else t / D
    return p.x_start + (p.x_end - p.x_start) * u, p.flight_y - 0.02 * u


def _draw_plane(cv, p: PlanePlan, t, D):
    """An airliner side-on: fuselage, windows, wings, tail fin in its livery."""
    s, f = p.scale, p.facing
    x, y = _plane_pos(p, t, D)
    body, liv = p.body, p.livery
    dark = shade(body, 0.75)
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
             (x - f * 0.18 * s, y + 0.22 * s)], shade(body, 0.9))          # near wing
    cv.ellipse(x - f * 0.06 * s, y + 0.1 * s, 0.06 * s, 0.025 * s, (0.5, 0.5, 0.55))


PLANE = SceneClass(name="plane", version="1", environments=("sky",), partners=(),
                   plan=_plan_plane, sound=_snd_plane, draw=_draw_plane)


# ============================================================================ speedboat
@dataclass(kw_only=True)
class SpeedboatPlan(ObjectPlan):
    drift: float              # sideways drift (fraction of the width per second)
    bob: float                # bobbing amplitude
    bob_hz: float
    fire_hz: float            # engine firing rate
    rpm_wobble: float
    resonances: Tuple[float, float]
    splash: float
    wave_rate: float
    hull: Color
    stripe: Color
    skin: Color               # the driver's


def _plan_speedboat(rng, at: Placement, D, env) -> SpeedboatPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 1.05 * s, 0.3 * s, at.distance, at.side)
    drift = rng.uniform(-0.03, 0.03)
    bob, bob_hz = rng.uniform(0.005, 0.015) * s / BASE_SIZE, rng.uniform(0.7, 1.5)
    fire_hz, rpm_wobble = rng.uniform(28, 55), rng.uniform(0.03, 0.1)
    resonances, splash = (rng.uniform(200, 450), rng.uniform(800, 1600)), rng.uniform(0.3, 0.7)
    wave_rate = rng.uniform(2, 4)
    hull = jit(rng, pick(rng, [(0.95, 0.95, 0.95), (0.8, 0.1, 0.1), (0.95, 0.8, 0.1), (0.1, 0.25, 0.6),
                               (0.1, 0.1, 0.1)]), 0.04)
    stripe = jit(rng, pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.6), (0.95, 0.95, 0.95)]), 0.04)
    return SpeedboatPlan(**at.fields(), x=x, y_bottom=yb, drift=drift, bob=bob, bob_hz=bob_hz, fire_hz=fire_hz,
                         rpm_wobble=rpm_wobble, resonances=resonances, splash=splash, wave_rate=wave_rate,
                         hull=hull, stripe=stripe, skin=jit(rng, pick(rng, SKIN), 0.03))


def _snd_speedboat(p: SpeedboatPlan, rng, n, sr):
    """An outboard engine (firing pulses through two hull resonances) and splashes that come with the waves."""
    rpm = 1.0 + p.rpm_wobble * smooth_random(rng, n, sr, 1.5, -1, 1)
    f = p.fire_hz * rpm
    ph = 2 * np.pi * np.cumsum(f) / sr
    pulses = (0.5 + 0.5 * np.cos(ph)) ** 14
    pulses -= pulses.mean()
    r1, r2 = p.resonances
    res = lambda fr: 0.3 + 1.5 / (1.0 + ((fr - r1) / (0.3 * r1)) ** 2) + 1.0 / (1.0 + ((fr - r2) / (0.25 * r2)) ** 2)
    engine = fft_filter(pulses, sr, lambda fr: res(fr) * bandpass(40, 6000)(fr))
    splash = colored_noise(rng, n, sr, 400, 5000)
    waves = smooth_random(rng, n, sr, p.wave_rate, 0.15, 1.0) ** 2
    engine /= np.std(engine) + 1e-9
    splash /= np.std(splash) + 1e-9
    return engine + p.splash * splash * waves


def _draw_speedboat(cv, p: SpeedboatPlan, t, D):
    """A speedboat bobbing and drifting, its driver, windshield, wake and bow spray (water, not boat)."""
    s, f = p.scale, p.facing
    x = p.x + p.drift * t
    y = p.y_bottom - 0.04 * s + p.bob * math.sin(2 * math.pi * p.bob_hz * t)
    was = cv.obj
    cv.obj = False
    for k in range(5):   # wake and spray are water, not the boat
        wx = x - f * (0.55 + 0.18 * k) * s
        cv.ellipse(wx, y + 0.03 * s, (0.12 + 0.05 * k) * s, (0.025 + 0.006 * k) * s, (0.95, 0.97, 1.0),
                   alpha=0.85 - 0.12 * k)
    cv.ellipse(x + f * 0.4 * s, y + 0.01 * s, 0.1 * s, 0.035 * s, (0.95, 0.97, 1.0), alpha=0.8)
    cv.obj = was
    hull, stripe = p.hull, p.stripe
    cv.poly([(x - f * 0.5 * s, y - 0.15 * s), (x + f * 0.25 * s, y - 0.15 * s), (x + f * 0.53 * s, y - 0.21 * s),
             (x + f * 0.36 * s, y + 0.03 * s), (x - f * 0.48 * s, y + 0.03 * s)], hull)
    cv.line(x - f * 0.48 * s, y - 0.06 * s, x + f * 0.44 * s, y - 0.11 * s, 0.035 * s, stripe)
    cx0, cx1 = sorted((x - f * 0.3 * s, x + f * 0.02 * s))
    cv.rect(cx0, y - 0.22 * s, cx1, y - 0.15 * s, shade(hull, 0.8))
    cv.circle(x - f * 0.14 * s, y - 0.27 * s, 0.045 * s, p.skin)
    cv.poly([(x + f * 0.02 * s, y - 0.15 * s), (x + f * 0.2 * s, y - 0.15 * s), (x + f * 0.08 * s, y - 0.3 * s),
             (x - f * 0.02 * s, y - 0.3 * s)], (0.55, 0.7, 0.8), alpha=0.75)


SPEEDBOAT = SceneClass(name="speedboat", version="1", environments=("lake",), partners=("plane",),
                       plan=_plan_speedboat, sound=_snd_speedboat, draw=_draw_speedboat)


# ============================================================================ waterfall
@dataclass(kw_only=True)
class WaterfallPlan(ObjectPlan):
    width: float              # of the falling water (fraction of the frame width)
    tilt: float               # spectral tilt of the noise
    cut_hz: float
    bump_hz: float
    water: Color
    streaks: List[Tuple[float, float]]   # (offset across the fall, phase)
    speed: float              # how fast the streaks fall (falls per second)


def _plan_waterfall(rng, at: Placement, D, env) -> WaterfallPlan:
    s = at.scale
    w = s * rng.uniform(0.3, 0.5)
    x, yb = ground_place(rng, max(env.horizon, 0.25), w * 1.4, s, at.distance, at.side)
    tilt, cut_hz, bump_hz = rng.uniform(0.8, 1.6), rng.uniform(1500, 5000), rng.uniform(200, 800)
    water = jit(rng, (0.82, 0.9, 0.95), 0.03)
    streaks = [(rng.uniform(-0.45, 0.45), rng.uniform(0, 1)) for _ in range(9)]
    return WaterfallPlan(**at.fields(), x=x, y_bottom=yb, width=w, tilt=tilt, cut_hz=cut_hz, bump_hz=bump_hz,
                         water=water, streaks=streaks, speed=rng.uniform(0.8, 1.6))


def _snd_waterfall(p: WaterfallPlan, rng, n, sr):
    """Falling water: tilted, band-limited noise with a spectral bump, slowly swelling."""
    x = rng.standard_normal(n)
    fb = p.bump_hz
    g = lambda f: (f / 100.0) ** (-p.tilt / 2) * bandpass(30, p.cut_hz, 2)(f) * (1 + 0.8 * np.exp(-np.log(f / fb) ** 2 / 0.5))
    y = fft_filter(x, sr, g)
    return y * (1.0 + 0.12 * smooth_random(rng, n, sr, 0.7, -1, 1))


def _draw_waterfall(cv, p: WaterfallPlan, t, D):
    """A curtain of water with streaks running down it and foam at its foot."""
    s, x, yb, w = p.scale, p.x, p.y_bottom, p.width
    top = yb - s
    water = p.water
    cv.poly([(x - w / 2, top), (x + w / 2, top), (x + w / 2 * 1.15, yb), (x - w / 2 * 1.15, yb)], shade(water, 0.92))
    L = yb - top
    for (dx, ph) in p.streaks:
        u = (ph + t * p.speed) % 1.0
        y0 = top + u * L
        y1 = min(yb, y0 + 0.25 * L)
        cv.line(x + dx * w, y0, x + dx * w * 1.05, y1, max(0.04 * w, 0.004), (1.0, 1.0, 1.0), alpha=0.9)
        if u > 0.8:
            cv.line(x + dx * w, top, x + dx * w, top + (u - 0.8) * L, max(0.04 * w, 0.004), (1, 1, 1), alpha=0.9)
    cv.ellipse(x, top, w * 0.55, 0.02 * s, mix(water, (1, 1, 1), 0.5))
    for k in range(6):
        fx = x + (k - 2.5) / 2.5 * w * 0.8
        cv.ellipse(fx, yb + 0.01 * s * math.sin(9 * t + k), w * 0.28, 0.05 * s, (0.97, 0.98, 1.0), alpha=0.9)


WATERFALL = SceneClass(name="waterfall", version="1", environments=("falls",), partners=("plane",),
                       plan=_plan_waterfall, sound=_snd_waterfall, draw=_draw_waterfall)


# ============================================================================ soccer
@dataclass(kw_only=True)
class SoccerPlan(ObjectPlan):
    teams: List[Color]                                  # shirt colours of the two teams
    players: List[Tuple[float, float, int, float]]      # (dx, dy from the group centre, team, running phase)
    kicks: List[float]
    ball: List[Tuple[float, float]]                     # where the ball goes after each kick
    kick_hz: float
    whistle: Optional[Tuple[float, float]]              # (start, duration) or None
    whistle_hz: float
    skin: List[Color]                                   # one per player


def _plan_soccer(rng, at: Placement, D, env) -> SoccerPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 1.0 * s, 0.6 * s, at.distance, at.side)
    teams = [jit(rng, c, 0.04) for c in
             [CLOTHES[i] for i in rng.choice([1, 2, 3, 4, 7, 8, 0], 2, replace=False)]]
    players = []
    for j in range(int(rng.integers(2, 5))):
        players.append((rng.uniform(-0.42, 0.42), rng.uniform(-0.1, 0.0), j % 2, rng.uniform(0, 6.28)))
    kicks, t = [], rng.uniform(0.1, 0.8)
    while t < D - 0.1:
        kicks.append(r3(t))
        t += rng.uniform(0.6, 1.6)
    ball = [(rng.uniform(-0.35, 0.35), rng.uniform(-0.08, 0.0)) for _ in range(len(kicks) + 1)]
    whistle = None
    if rng.random() < 0.4:
        whistle = (r3(rng.uniform(0, max(0.1, D - 0.8))), r3(rng.uniform(0.3, 0.6)))
    kick_hz = rng.uniform(60, 90)
    whistle_hz = rng.uniform(2800, 3400)
    return SoccerPlan(**at.fields(), x=x, y_bottom=yb, teams=teams, players=players, kicks=kicks, ball=ball,
                      kick_hz=kick_hz, whistle=whistle, whistle_hz=whistle_hz,
                      skin=[jit(rng, pick(rng, SKIN), 0.03) for _ in players])


def _snd_soccer(p: SoccerPlan, rng, n, sr):
    """A crowd, the thump of each kick, perhaps a referee's whistle."""
    out = crowd(rng, n, sr, 10, 250, 2500, 2.5, 0.5)
    for t0 in p.kicks:
        add_at(out, thump(rng, sr, p.kick_hz), int(t0 * sr), 4.0)
    if p.whistle is not None:
        t0, dur = p.whistle
        tt = np.arange(int(dur * sr)) / sr
        w = np.sin(2 * np.pi * p.whistle_hz * tt) * (0.6 + 0.4 * np.sin(2 * np.pi * 28 * tt))
        w *= np.minimum(1, tt / 0.02) * np.minimum(1, (dur - tt) / 0.03)
        add_at(out, w, int(t0 * sr), 2.0)
    return out


def _soccer_ball(p: SoccerPlan, t):
    """Where the ball is (relative to the group) at time t: it travels after each kick."""
    kicks, ball = p.kicks, p.ball
    i = sum(1 for k in kicks if k <= t)
    if i == 0:
        return ball[0]
    ago = t - kicks[i - 1]
    u = min(1.0, ago / 0.5)
    u = 1 - (1 - u) ** 2
    a, b = ball[i - 1], ball[i]
    return (a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u - 0.15 * math.sin(math.pi * u) * (u < 1))


def _draw_soccer(cv, p: SoccerPlan, t, D):
    """A few players of two teams running, and the ball travelling after each kick."""
    s, x, yb = p.scale, p.x, p.y_bottom
    h = 0.8 * s
    order = sorted(range(len(p.players)), key=lambda j: p.players[j][1])
    for j in order:
        dx, dy, team, ph = p.players[j]
        px_, py_ = x + dx * s, yb + dy * s
        run = math.sin(2 * math.pi * 2.0 * t + ph)
        legs = [(px_ - 0.08 * h * run - 0.03 * h, py_), (px_ + 0.08 * h * run + 0.03 * h, py_)]
        col = Outfit(skin=p.skin[j], shirt=p.teams[team], pants=(0.95, 0.95, 0.95) if team else (0.1, 0.1, 0.12),
                     hair=(0.1, 0.08, 0.06))
        b = person(cv, px_, py_, h, col, legs=legs)
        dressed_arm(cv, b.left_shoulder, (px_ - 0.16 * h, py_ - 0.45 * h + 0.05 * h * run), h, col)
        dressed_arm(cv, b.right_shoulder, (px_ + 0.16 * h, py_ - 0.45 * h - 0.05 * h * run), h, col)
    bx, by = _soccer_ball(p, t)
    r = 0.065 * s
    cv.circle(x + bx * s, yb + by * s - r, r, (0.97, 0.97, 0.97))
    cv.circle(x + bx * s + 0.3 * r, yb + by * s - 1.2 * r, 0.35 * r, (0.1, 0.1, 0.1))
    cv.circle(x + bx * s - 0.4 * r, yb + by * s - 0.6 * r, 0.3 * r, (0.1, 0.1, 0.1))


SOCCER = SceneClass(name="soccer", version="1", environments=("pitch",), partners=("plane", "dog"),
                    plan=_plan_soccer, sound=_snd_soccer, draw=_draw_soccer)


# ============================================================================ baseball
@dataclass(kw_only=True)
class BaseballPlan(ObjectPlan):
    cracks: List[float]                 # times the bat hits the ball
    crack_hz: Tuple[float, float]
    organ: Optional[List[int]]          # a chord of MIDI notes, or None
    person: Outfit                      # the batter
    helmet: Color
    bat: Color


def _plan_baseball(rng, at: Placement, D, env) -> BaseballPlan:
    s = at.scale
    x, yb = ground_place(rng, env.horizon, 0.75 * s, 1.0 * s, at.distance, at.side)
    cracks, t = [], rng.uniform(0.3, 0.9)
    while t < D - 0.1:
        cracks.append(r3(t))
        t += rng.uniform(0.9, 1.7)
    organ = None
    if rng.random() < 0.35:
        r = int(rng.integers(60, 70))
        organ = [r, r + 4, r + 7]
    crack_hz = (rng.uniform(1100, 1800), rng.uniform(2400, 3600))
    batter = outfit(rng)
    helmet = jit(rng, pick(rng, [(0.1, 0.15, 0.5), (0.6, 0.1, 0.1), (0.1, 0.1, 0.1)]), 0.04)
    bat = jit(rng, pick(rng, [(0.75, 0.55, 0.3), (0.6, 0.6, 0.62), (0.15, 0.1, 0.08)]), 0.03)
    batter = replace(batter, shirt=jit(rng, (0.92, 0.92, 0.9), 0.03))     # a white uniform
    return BaseballPlan(**at.fields(), x=x, y_bottom=yb, cracks=cracks, crack_hz=crack_hz, organ=organ,
                        person=batter, helmet=helmet, bat=bat)


def _snd_baseball(p: BaseballPlan, rng, n, sr):
    """A quieter crowd, the crack of the bat on each hit, perhaps a stadium organ chord."""
    out = 0.8 * crowd(rng, n, sr, 6, 180, 1400, 1.2, 0.3)
    for t0 in p.cracks:
        m = int(0.12 * sr)
        tt = np.arange(m) / sr
        crack = rng.standard_normal(m) * np.exp(-tt / 0.003)
        for fr in p.crack_hz:
            crack += 0.8 * np.sin(2 * np.pi * fr * tt) * np.exp(-tt / 0.025)
        add_at(out, crack, int(t0 * sr), 4.0)
    if p.organ:
        tt = np.arange(n) / sr
        org = np.zeros(n)
        for m_ in p.organ:
            f = midi_hz(m_)
            for k, a in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)):
                org += a * np.sin(2 * np.pi * k * f * tt)
        org *= (1 + 0.3 * np.sin(2 * np.pi * 6.0 * tt)) / len(p.organ)
        out += 0.35 * org
    return out


def _draw_baseball(cv, p: BaseballPlan, t, D):
    """A batter at the plate (swinging at each crack), the catcher behind, the ball pitched and hit."""
    s, x, yb, f = p.scale, p.x, p.y_bottom, p.facing
    col = p.person
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
    b = person(cv, x, yb, s, col, stance=0.11, helmet=p.helmet)
    # swing: cocked bat before a crack, follow-through after
    swing = 0.0
    for c in p.cracks:
        u = (t - (c - 0.12)) / 0.3
        if 0 <= u <= 1:
            swing = u
        elif u > 1 and t - c < 0.6:
            swing = 1.0
    ang = f * (-0.6 + 2.6 * swing)          # from pointing up-back to across the body
    hx, hy = x + f * 0.06 * s, yb - 0.68 * s
    dressed_arm(cv, b.left_shoulder, (hx - 0.01 * s, hy), s, col)
    dressed_arm(cv, b.right_shoulder, (hx + 0.01 * s, hy + 0.02 * s), s, col)
    ex, ey = hx + 0.42 * s * math.sin(ang), hy - 0.42 * s * math.cos(ang)
    cv.line(hx, hy, ex, ey, 0.03 * s, p.bat)
    cv.line(hx + (ex - hx) * 0.5, hy + (ey - hy) * 0.5, ex, ey, 0.045 * s, p.bat)
    for c in p.cracks:
        if c - 0.4 <= t < c:      # the pitch coming in
            u = (t - (c - 0.4)) / 0.4
            cv.circle(x + f * (0.45 - 0.4 * u) * s, hy - 0.05 * s + 0.05 * s * u, 0.02 * s * (0.5 + u), (1, 1, 1))
        elif c <= t < c + 0.4:    # the hit flying away
            u = (t - c) / 0.4
            cv.circle(x + f * (0.05 + 0.6 * u) * s, hy - 0.5 * s * u, 0.025 * s, (1, 1, 1))


BASEBALL = SceneClass(name="baseball", version="1", environments=("diamond",), partners=("plane",),
                      plan=_plan_baseball, sound=_snd_baseball, draw=_draw_baseball)

CLASSES = (PLANE, SPEEDBOAT, WATERFALL, SOCCER, BASEBALL)
