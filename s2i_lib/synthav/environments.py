"""Environments: where a clip takes place, and what the camera shows when it looks away.

Each environment (``indoor``, ``yard``, ``sky``, ``lake``, ``falls``, ``pitch``,
``diamond``, ``hall``) has a planner that draws its random look into an :class:`EnvPlan`
(horizon, colours, clutter switches) and a drawer that paints its background (sky,
ground, clutter) on a :class:`~s2i_lib.synthav.canvas.Canvas`. Each also has an
off-screen view (:data:`OFFSCREEN_VIEW`: a wall, bushes, clouds, the inside of a boat,
...), the picture of an ``offscreen`` defect: Wan et al.'s boat-interior case, which
notebook 01 (building pairs and truth) shows and notebook 02 (cleaning) removes. Which
class appears in which environment is part of the class definition
(``SceneClass.environments``). To add an environment: a planner in :data:`PLANNERS`, a
drawer in :data:`DRAWERS` and a view in :data:`OFFSCREEN_VIEW` / :data:`VIEWS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from .canvas import Canvas, Color, jit, mix, shade
from .people import HAIR, SKIN
from .seeding import pick

OFFSCREEN_VIEW = {"indoor": "wall", "yard": "bushes", "sky": "clouds", "lake": "boat_interior",
                  "falls": "forest", "pitch": "stands", "diamond": "stands", "hall": "audience"}

WALLS = [(0.85, 0.80, 0.68), (0.70, 0.78, 0.85), (0.75, 0.75, 0.72), (0.62, 0.72, 0.58), (0.85, 0.7, 0.6),
         (0.55, 0.35, 0.3), (0.9, 0.88, 0.8), (0.45, 0.5, 0.6)]
FLOORS = [(0.55, 0.36, 0.2), (0.7, 0.52, 0.32), (0.4, 0.28, 0.18), (0.5, 0.5, 0.5), (0.35, 0.3, 0.4),
          (0.6, 0.2, 0.18), (0.75, 0.72, 0.65)]
SKIES = {"clear": ((0.35, 0.55, 0.9), (0.7, 0.85, 1.0)), "dusk": ((0.3, 0.3, 0.55), (0.95, 0.65, 0.45)),
         "overcast": ((0.6, 0.63, 0.68), (0.82, 0.84, 0.86)), "hazy": ((0.55, 0.7, 0.85), (0.88, 0.9, 0.88))}
CROWD = [(0.8, 0.2, 0.2), (0.2, 0.3, 0.8), (0.9, 0.9, 0.9), (0.95, 0.8, 0.2), (0.2, 0.6, 0.3),
         (0.1, 0.1, 0.1), (0.85, 0.65, 0.5), (0.6, 0.4, 0.3)]
"""Bright clothes of a crowd in the stands (also the spines of books on a shelf)."""


@dataclass
class EnvPlan:
    """The look of one clip's environment.  ``kind`` and ``sky`` are always set, the
    other fields by the environments that use them (None elsewhere)."""
    kind: str
    sky: str
    horizon: float = 0.0              # where ground, floor or water begins (fraction of the height)
    wall: Optional[Color] = None      # indoor, hall
    floor: Optional[Color] = None     # indoor, hall
    floor_kind: Optional[str] = None  # indoor: wood, carpet or tile
    stage: bool = False               # indoor: a dark stage with a spotlight
    grass: Optional[Color] = None     # yard, pitch, diamond
    ground: Optional[str] = None      # sky: grass, city, hills or sea below (when the horizon is in view)
    water: Optional[Color] = None     # lake, falls
    rock: Optional[Color] = None      # falls
    stands: Optional[float] = None    # pitch, diamond: where the stands end
    ads: Optional[Color] = None       # pitch, diamond: the advertising boards
    curtain: bool = False             # hall
    curtain_color: Optional[Color] = None
    spot: bool = False                # hall: a spotlight on the floor


# ---------------------------------------------------------------------------- planners
# Each fills the fields of its environment, drawing from ``rng`` in a fixed order.
def _plan_indoor(p, rng):
    p.horizon, p.stage = rng.uniform(0.55, 0.72), bool(rng.random() < 0.25)
    p.wall, p.floor = jit(rng, pick(rng, WALLS)), jit(rng, pick(rng, FLOORS))
    p.floor_kind = pick(rng, ["wood", "carpet", "tile"])
    if p.stage:
        p.wall = shade(p.wall, rng.uniform(0.2, 0.35))


def _plan_yard(p, rng):
    p.horizon, p.grass = rng.uniform(0.42, 0.6), jit(rng, (0.3, 0.55, 0.2))


def _plan_sky(p, rng):
    p.horizon = rng.uniform(0.8, 0.95) if rng.random() < 0.7 else 1.2
    p.ground = pick(rng, ["grass", "city", "hills", "sea"])


def _plan_lake(p, rng):
    p.horizon = rng.uniform(0.28, 0.45)
    p.water = jit(rng, pick(rng, [(0.1, 0.35, 0.55), (0.1, 0.45, 0.5), (0.2, 0.3, 0.45)]), 0.04)


def _plan_falls(p, rng):
    p.horizon = 0.0
    p.rock = jit(rng, pick(rng, [(0.45, 0.42, 0.4), (0.5, 0.4, 0.3), (0.35, 0.33, 0.33)]), 0.05)
    p.water = jit(rng, (0.15, 0.4, 0.45), 0.04)


def _plan_stadium(p, rng):
    st = rng.uniform(0.16, 0.34)
    p.stands, p.horizon, p.grass = st, st + 0.035, jit(rng, (0.25, 0.58, 0.22), 0.04)
    p.ads = jit(rng, pick(rng, [(0.8, 0.1, 0.1), (0.1, 0.2, 0.7), (0.9, 0.8, 0.1), (0.1, 0.5, 0.3)]))


def _plan_hall(p, rng):
    p.horizon, p.wall = rng.uniform(0.6, 0.75), jit(rng, pick(rng, WALLS))
    p.floor = jit(rng, pick(rng, FLOORS[:3] + [(0.25, 0.2, 0.18)]))
    p.curtain = bool(rng.random() < 0.4)
    p.curtain_color = jit(rng, pick(rng, [(0.55, 0.08, 0.1), (0.15, 0.12, 0.35), (0.2, 0.2, 0.2)]))
    p.spot = bool(rng.random() < 0.5)


PLANNERS = {"indoor": _plan_indoor, "yard": _plan_yard, "sky": _plan_sky, "lake": _plan_lake,
            "falls": _plan_falls, "pitch": _plan_stadium, "diamond": _plan_stadium, "hall": _plan_hall}


def plan_environment(kind: str, rng) -> EnvPlan:
    """The random look of an environment of ``kind``."""
    if kind not in PLANNERS:
        raise ValueError(f"unknown SynthAV environment {kind!r}; choose one of {', '.join(PLANNERS)}")
    p = EnvPlan(kind=kind, sky=pick(rng, ["clear", "clear", "dusk", "overcast", "hazy"]))
    PLANNERS[kind](p, rng)
    return p


# ---------------------------------------------------------------------------- backgrounds
def draw_sky(cv: Canvas, p: EnvPlan, y1, rng, clouds=True):
    """A sky gradient from the top of the frame down to ``y1``, with a few clouds."""
    top, bot = SKIES[p.sky]
    cv.vgrad(-0.2, y1, top, bot)
    if clouds:
        for _ in range(int(rng.integers(1, 5))):
            cx, cy, w = rng.uniform(-0.1, 1.1), rng.uniform(0.0, max(0.05, y1 - 0.05)), rng.uniform(0.08, 0.25)
            cc = mix((1, 1, 1), bot, rng.uniform(0, 0.3))
            for _ in range(4):
                cv.ellipse(cx + rng.uniform(-w, w) * 0.6, cy + rng.uniform(-0.02, 0.02), w * rng.uniform(0.35, 0.6),
                           w * rng.uniform(0.15, 0.25), cc, alpha=0.85)


def _draw_indoor(cv, p, rng, obj=None):
    """A room: wall (perhaps striped), wood, tile or carpet floor, clutter; a stage now and then."""
    h = p.horizon
    cv.vgrad(-0.2, h, shade(p.wall, 0.85), p.wall)
    if rng.random() < 0.35:  # wallpaper stripes
        for xs in np.arange(-0.1, 1.1, 0.08):
            cv.rect(xs, -0.2, xs + 0.03, h, shade(p.wall, 0.93))
    fl = p.floor
    cv.rect(-0.2, h, 1.2, 1.2, fl)
    if p.floor_kind == "wood":
        for yy in np.arange(h + 0.03, 1.2, 0.045):
            cv.line(-0.2, yy, 1.2, yy, 0.004, shade(fl, 0.8))
    elif p.floor_kind == "tile":
        for yy in np.arange(h + 0.05, 1.2, 0.08):
            cv.line(-0.2, yy, 1.2, yy, 0.005, shade(fl, 1.2))
        for xx in np.arange(-0.2, 1.2, 0.1):
            cv.line(0.5 + (xx - 0.5) * 0.6, h, xx, 1.2, 0.005, shade(fl, 1.2))
    else:
        cv.texture(-0.2, h, 1.2, 1.2, rng, 0.06)
    cv.rect(-0.2, h - 0.015, 1.2, h + 0.005, shade(p.wall, 0.6))
    _indoor_clutter(cv, p, rng, h)
    if p.stage:
        cv.ellipse(rng.uniform(0.3, 0.7), h + 0.12, 0.4, 0.12, (1.0, 0.95, 0.8), alpha=0.18)


def _indoor_clutter(cv, p, rng, h):
    """One to four things in a room: frames, windows, plants, shelves, lamps, rugs."""
    for _ in range(int(rng.integers(1, 5))):
        kind = pick(rng, ["frame", "window", "plant", "shelf", "lamp", "rug"])
        x = rng.uniform(0.0, 1.0)
        if kind == "frame":
            w, hh, y = rng.uniform(0.08, 0.2), rng.uniform(0.06, 0.16), rng.uniform(0.08, h - 0.25)
            cv.rect(x, y, x + w, y + hh, jit(rng, (0.3, 0.2, 0.1)))
            cv.rect(x + 0.012, y + 0.012, x + w - 0.012, y + hh - 0.012, jit(rng, (0.5, 0.5, 0.5), 0.25))
        elif kind == "window" and not p.stage:
            w, hh, y = rng.uniform(0.12, 0.22), rng.uniform(0.15, 0.25), rng.uniform(0.05, max(0.06, h - 0.35))
            cv.rect(x, y, x + w, y + hh, (0.92, 0.92, 0.9))
            cv.rect(x + 0.01, y + 0.01, x + w - 0.01, y + hh - 0.01, jit(rng, (0.6, 0.78, 0.95), 0.05))
            cv.line(x + w / 2, y, x + w / 2, y + hh, 0.008, (0.92, 0.92, 0.9))
        elif kind == "plant":
            y = rng.uniform(h + 0.01, min(0.95, h + 0.1))
            cv.rect(x - 0.025, y - 0.06, x + 0.025, y, jit(rng, (0.6, 0.3, 0.2)))
            for _ in range(5):
                cv.ellipse(x + rng.uniform(-0.04, 0.04), y - rng.uniform(0.08, 0.15), 0.025, 0.04,
                           jit(rng, (0.2, 0.5, 0.2)), angle=rng.uniform(-1, 1))
        elif kind == "shelf":
            y = rng.uniform(0.1, h - 0.2)
            cv.rect(x, y, x + 0.2, y + 0.012, (0.4, 0.28, 0.18))
            bx = x + 0.01
            while bx < x + 0.18:
                bw = rng.uniform(0.01, 0.025)
                cv.rect(bx, y - rng.uniform(0.03, 0.06), bx + bw, y, pick(rng, CROWD))
                bx += bw + 0.003
        elif kind == "lamp":
            cv.line(x, h + 0.05, x, h - 0.2, 0.008, (0.2, 0.2, 0.2))
            cv.poly([(x - 0.04, h - 0.2), (x + 0.04, h - 0.2), (x + 0.025, h - 0.26), (x - 0.025, h - 0.26)],
                    jit(rng, (0.95, 0.9, 0.7)))
        elif kind == "rug":
            cv.ellipse(x, rng.uniform(h + 0.1, 0.95), rng.uniform(0.1, 0.25), 0.05, jit(rng, pick(rng, CROWD), 0.1), alpha=0.8)


def _draw_yard(cv, p, rng, obj=None):
    """A garden: sky, a tree line, grass, perhaps a fence, flowers and bushes."""
    h = p.horizon
    draw_sky(cv, p, h, rng)
    for xx in np.arange(-0.2, 1.2, 0.07):  # tree line
        cv.circle(xx + rng.uniform(-0.02, 0.02), h - rng.uniform(0.0, 0.06), rng.uniform(0.04, 0.09),
                  jit(rng, (0.15, 0.35, 0.15), 0.04))
    cv.rect(-0.2, h, 1.2, 1.2, p.grass)
    cv.texture(-0.2, h, 1.2, 1.2, rng, 0.08, cell=0.01)
    if rng.random() < 0.5:
        fy = h + 0.02
        fc = jit(rng, pick(rng, [(0.9, 0.9, 0.88), (0.55, 0.38, 0.22)]))
        cv.rect(-0.2, fy - 0.14, 1.2, fy - 0.125, fc)
        for xx in np.arange(-0.2, 1.2, 0.045):
            cv.rect(xx, fy - 0.17, xx + 0.03, fy, fc)
    for _ in range(int(rng.integers(0, 12))):
        cv.circle(rng.uniform(0, 1), rng.uniform(h + 0.03, 1.0), 0.008, pick(rng, CROWD[:5]))
    for _ in range(int(rng.integers(0, 3))):
        bx, by = rng.uniform(0, 1), h + rng.uniform(0.0, 0.08)
        for _ in range(4):
            cv.circle(bx + rng.uniform(-0.05, 0.05), by - rng.uniform(0, 0.05), rng.uniform(0.03, 0.06),
                      jit(rng, (0.2, 0.45, 0.18), 0.05))


def _draw_sky_view(cv, p, rng, obj=None):
    """Open sky, perhaps the sun and birds, and the ground below when the horizon is in view."""
    h = p.horizon
    draw_sky(cv, p, 1.2, rng)
    if p.sky == "clear" and rng.random() < 0.4:
        cv.circle(rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.3), 0.05, (1.0, 0.95, 0.7))
    for _ in range(int(rng.integers(0, 4))):  # distant birds
        bx, by = rng.uniform(0, 1), rng.uniform(0.05, 0.6)
        cv.line(bx - 0.012, by - 0.006, bx, by, 0.004, (0.15, 0.15, 0.2))
        cv.line(bx, by, bx + 0.012, by - 0.006, 0.004, (0.15, 0.15, 0.2))
    if h < 1.0:
        g = p.ground
        if g == "grass":
            cv.rect(-0.2, h, 1.2, 1.2, jit(rng, (0.3, 0.5, 0.25)))
        elif g == "sea":
            cv.rect(-0.2, h, 1.2, 1.2, jit(rng, (0.15, 0.35, 0.55)))
        elif g == "hills":
            pts = [(-0.2, 1.2)] + [(x, h - rng.uniform(0.0, 0.08)) for x in np.linspace(-0.2, 1.2, 9)] + [(1.2, 1.2)]
            cv.poly(pts, jit(rng, (0.35, 0.45, 0.35)))
        else:
            cv.rect(-0.2, h, 1.2, 1.2, (0.35, 0.35, 0.38))
            for x in np.arange(-0.2, 1.2, 0.05):
                cv.rect(x, h - rng.uniform(0.01, 0.09), x + 0.04, h + 0.01, jit(rng, (0.45, 0.45, 0.5), 0.08))


def _draw_lake(cv, p, rng, obj=None):
    """A lake: sky, a far shore, water with ripples, buoys."""
    h = p.horizon
    draw_sky(cv, p, h, rng)
    pts = [(-0.2, h)] + [(x, h - rng.uniform(0.01, 0.07)) for x in np.linspace(-0.2, 1.2, 8)] + [(1.2, h)]
    cv.poly(pts, jit(rng, (0.2, 0.35, 0.2), 0.05))
    w = p.water
    cv.vgrad(h, 1.2, mix(w, (0.8, 0.85, 0.9), 0.25), shade(w, 0.75))
    for _ in range(60):
        y = rng.uniform(h + 0.01, 1.1)
        x = rng.uniform(-0.1, 1.1)
        L = 0.02 + 0.06 * (y - h)
        cv.line(x, y, x + L, y, 0.004, mix(w, (1, 1, 1), 0.4), alpha=0.6)
    for _ in range(int(rng.integers(0, 3))):  # buoys
        cv.circle(rng.uniform(0, 1), rng.uniform(h + 0.05, 0.9), 0.01, pick(rng, [(0.9, 0.3, 0.1), (0.95, 0.85, 0.2)]))


def _draw_falls(cv, p, rng, obj=None):
    """A cliff around the waterfall (``obj``, whose width and height shape it), a pool below."""
    top = obj.y_bottom - obj.scale
    draw_sky(cv, p, max(top, 0.05), rng)
    rock = p.rock
    pts = [(-0.2, 1.2), (-0.2, top + 0.05)] + [(x, top + rng.uniform(-0.04, 0.04) + 0.15 * abs(x - obj.x) ** 1.5)
                                              for x in np.linspace(-0.2, 1.2, 12)] + [(1.2, 1.2)]
    cv.poly(pts, rock)
    cv.texture(-0.2, top - 0.05, 1.2, 1.2, rng, 0.12, cell=0.02)
    for _ in range(8):
        rx, ry = rng.uniform(-0.1, 1.1), rng.uniform(top, obj.y_bottom)
        cv.ellipse(rx, ry, rng.uniform(0.03, 0.1), rng.uniform(0.02, 0.06), shade(rock, rng.uniform(0.7, 1.2)))
    for xx in np.arange(-0.2, 1.2, 0.06):
        if abs(xx - obj.x) > obj.width * 0.6:
            cv.circle(xx, top - rng.uniform(0.0, 0.03) + 0.15 * abs(xx - obj.x) ** 1.5, rng.uniform(0.03, 0.06),
                      jit(rng, (0.15, 0.4, 0.18), 0.05))
    cv.vgrad(obj.y_bottom, 1.2, p.water, shade(p.water, 0.7))
    for _ in range(5):
        cv.ellipse(rng.uniform(0, 1), rng.uniform(obj.y_bottom + 0.01, max(obj.y_bottom + 0.02, 1.05)), rng.uniform(0.03, 0.07), 0.02,
                   shade(rock, 0.8))


def _draw_stands(cv, p, rng, h):
    """The stands, advertising boards and grass of a ground (before its markings)."""
    h = p.horizon
    st = p.stands
    cv.rect(-0.2, -0.2, 1.2, st, (0.25, 0.25, 0.28))
    cv.dots(-0.2, -0.2, 1.2, st, rng, CROWD, 0.6, 0.014)
    if rng.random() < 0.5:
        cv.rect(-0.2, -0.2, 1.2, 0.03, (0.3, 0.3, 0.35))  # roof edge
    cv.rect(-0.2, st, 1.2, h, p.ads)
    for x in np.arange(-0.2, 1.2, 0.15):
        cv.rect(x + 0.02, st + 0.008, x + 0.1, h - 0.008, mix(p.ads, (1, 1, 1), 0.7))
    g = p.grass
    cv.rect(-0.2, h, 1.2, 1.2, g)


def _draw_pitch(cv, p, rng, obj=None):
    """A football pitch: stands, mown stripes, white lines, perhaps a goal."""
    h = p.horizon
    _draw_stands(cv, p, rng, h)
    g = p.grass
    horiz = rng.random() < 0.5
    for k, x in enumerate(np.arange(-0.2, 1.2, 0.1)):
        if k % 2:
            if horiz:
                cv.rect(-0.2, h + (x + 0.2) * 0.6, 1.2, h + (x + 0.3) * 0.6, shade(g, 1.12))
            else:
                cv.rect(x, h, x + 0.1, 1.2, shade(g, 1.12))
    white = (0.95, 0.95, 0.95)
    cx = rng.uniform(0.2, 0.8)
    cv.ellipse(cx, rng.uniform(h + 0.2, 0.85), 0.22, 0.08, white, inner=0.92)
    cv.line(cx, h, cx + rng.uniform(-0.2, 0.2), 1.2, 0.008, white)
    cv.line(-0.2, h + 0.04, 1.2, h + 0.04, 0.007, white)
    if rng.random() < 0.5:  # a goal
        gx = pick(rng, [0.02, 0.8])
        gy = h + 0.1
        cv.rect(gx, gy - 0.1, gx + 0.18, gy - 0.09, white)
        cv.line(gx, gy - 0.1, gx, gy, 0.008, white)
        cv.line(gx + 0.18, gy - 0.1, gx + 0.18, gy, 0.008, white)


def _draw_diamond(cv, p, rng, obj=None):
    """A baseball diamond around the batter (``obj``): stands, infield dirt, bases, mound."""
    h = p.horizon
    _draw_stands(cv, p, rng, h)
    g = p.grass
    dirt = jit(rng, (0.65, 0.45, 0.3), 0.04)
    cx = obj.x if obj is not None else 0.5
    hy = min(1.15, (obj.y_bottom + 0.05) if obj is not None else 0.95)
    top = h + 0.08
    mid = (top + hy) / 2
    cv.poly([(cx, top - 0.04), (cx + 0.7, mid), (cx, hy + 0.12), (cx - 0.7, mid)], dirt)
    cv.poly([(cx, top + 0.02), (cx + 0.45, mid), (cx, hy - 0.04), (cx - 0.45, mid)], shade(g, 1.05))
    cv.texture(-0.2, h, 1.2, 1.2, rng, 0.04)
    white = (0.95, 0.95, 0.95)
    cv.line(cx, hy, cx + 0.9, mid - 0.1, 0.006, white)
    cv.line(cx, hy, cx - 0.9, mid - 0.1, 0.006, white)
    for bx, by in ((cx + 0.57, mid), (cx - 0.57, mid), (cx, top - 0.01)):
        cv.rect(bx - 0.015, by - 0.01, bx + 0.015, by + 0.01, white)
    cv.circle(cx, mid, 0.04, shade(dirt, 1.1))   # the mound


def _draw_hall(cv, p, rng, obj=None):
    """A concert hall: wall or curtain, wooden floor, perhaps a spotlight, stands and chairs."""
    h = p.horizon
    cv.vgrad(-0.2, h, shade(p.wall, 0.8), p.wall)
    if p.curtain:
        cc = p.curtain_color
        cv.rect(-0.2, -0.2, 1.2, h, cc)
        for x in np.arange(-0.2, 1.2, 0.05):
            cv.rect(x, -0.2, x + 0.02, h, shade(cc, 0.75))
    for _ in range(int(rng.integers(0, 3))):
        x, y = rng.uniform(0, 1), rng.uniform(0.08, h - 0.25)
        w, hh = rng.uniform(0.08, 0.16), rng.uniform(0.08, 0.14)
        cv.rect(x, y, x + w, y + hh, jit(rng, (0.3, 0.22, 0.12)))
        cv.rect(x + 0.01, y + 0.01, x + w - 0.01, y + hh - 0.01, jit(rng, (0.6, 0.55, 0.45), 0.2))
    fl = p.floor
    cv.rect(-0.2, h, 1.2, 1.2, fl)
    for yy in np.arange(h + 0.03, 1.2, 0.04):
        cv.line(-0.2, yy, 1.2, yy, 0.004, shade(fl, 0.85))
    cv.rect(-0.2, h - 0.012, 1.2, h + 0.004, shade(fl, 0.6))
    if p.spot:
        cv.ellipse(rng.uniform(0.35, 0.65), h + 0.15, 0.38, 0.12, (1.0, 0.97, 0.85), alpha=0.2)
    for _ in range(int(rng.integers(0, 3))):  # music stands and chairs left around
        x = rng.uniform(0.0, 1.0)
        y = rng.uniform(h + 0.02, 0.9)
        if rng.random() < 0.5:
            cv.line(x, y, x, y - 0.15, 0.006, (0.15, 0.15, 0.15))
            cv.poly([(x - 0.05, y - 0.2), (x + 0.05, y - 0.2), (x + 0.04, y - 0.14), (x - 0.04, y - 0.14)], (0.15, 0.15, 0.15))
        else:
            cc = jit(rng, (0.3, 0.2, 0.15))
            cv.rect(x - 0.04, y - 0.08, x + 0.04, y - 0.065, cc)
            cv.rect(x - 0.035, y - 0.16, x + 0.035, y - 0.08, cc)
            cv.line(x - 0.035, y - 0.065, x - 0.035, y, 0.006, cc)
            cv.line(x + 0.035, y - 0.065, x + 0.035, y, 0.006, cc)


DRAWERS = {"indoor": _draw_indoor, "yard": _draw_yard, "sky": _draw_sky_view, "lake": _draw_lake,
           "falls": _draw_falls, "pitch": _draw_pitch, "diamond": _draw_diamond, "hall": _draw_hall}


def draw_environment(cv: Canvas, p: EnvPlan, rng, obj=None) -> None:
    """Paint the background of environment ``p``; ``obj`` (the clip's object plan) shapes
    the environments built around their object (the falls, the diamond)."""
    DRAWERS[p.kind](cv, p, rng, obj)


# ---------------------------------------------------------------------------- off-screen views
def _view_wall(cv, p, rng):
    """A close view of a wall with a door, a picture or a window."""
    wall = p.wall
    cv.vgrad(-0.2, 1.2, shade(wall, 0.9), shade(wall, 1.05))
    cv.rect(-0.2, -0.2, 1.2, rng.uniform(0.05, 0.15), shade(wall, 1.2))
    kind = pick(rng, ["door", "picture", "window"])
    x = rng.uniform(0.15, 0.6)
    if kind == "door":
        cv.rect(x, 0.25, x + 0.35, 1.2, jit(rng, (0.45, 0.3, 0.18)))
        cv.rect(x + 0.04, 0.3, x + 0.31, 0.6, jit(rng, (0.4, 0.26, 0.15)))
        cv.circle(x + 0.3, 0.7, 0.02, (0.85, 0.75, 0.3))
    elif kind == "picture":
        cv.rect(x, 0.25, x + 0.4, 0.65, jit(rng, (0.25, 0.18, 0.1)))
        cv.rect(x + 0.03, 0.28, x + 0.37, 0.62, jit(rng, (0.5, 0.55, 0.5), 0.25))
        cv.circle(x + 0.2, 0.45, 0.08, jit(rng, (0.8, 0.6, 0.3), 0.2))
    else:
        cv.rect(x, 0.2, x + 0.4, 0.7, (0.92, 0.92, 0.9))
        cv.rect(x + 0.02, 0.22, x + 0.38, 0.68, jit(rng, (0.6, 0.78, 0.95), 0.05))
        cv.line(x + 0.2, 0.2, x + 0.2, 0.7, 0.015, (0.92, 0.92, 0.9))
    cv.texture(-0.2, -0.2, 1.2, 1.2, rng, 0.03)


def _view_bushes(cv, p, rng):
    """Leaves filling the frame."""
    cv.fill(shade(p.grass, 0.7))
    for _ in range(90):
        cv.ellipse(rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 1.1), rng.uniform(0.03, 0.08), rng.uniform(0.02, 0.05),
                   jit(rng, (0.2, 0.42, 0.15), 0.07), angle=rng.uniform(0, 3.14))


def _view_clouds(cv, p, rng):
    """Nothing but clouds."""
    draw_sky(cv, p, 1.2, rng, clouds=False)
    for _ in range(int(rng.integers(5, 9))):
        cx, cy, w = rng.uniform(-0.1, 1.1), rng.uniform(0.0, 1.0), rng.uniform(0.2, 0.45)
        cc = mix((1, 1, 1), (0.7, 0.72, 0.78), rng.uniform(0, 0.5))
        for _ in range(5):
            cv.ellipse(cx + rng.uniform(-w, w) * 0.5, cy + rng.uniform(-0.05, 0.05), w * 0.6, w * 0.3, cc, alpha=0.9)


def _view_boat_interior(cv, p, rng):
    """The inside of a speedboat: dashboard, steering wheel, gauges, windshield frame."""
    draw_sky(cv, p, 0.35, rng)
    cv.rect(-0.2, 0.3, 1.2, 0.55, p.water)
    cv.rect(-0.2, 0.5, 1.2, 1.2, jit(rng, (0.25, 0.25, 0.27), 0.04))       # dashboard
    cv.rect(-0.2, 0.47, 1.2, 0.52, jit(rng, (0.9, 0.9, 0.88), 0.04))      # gunwale
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
    cv.rect(-0.2, 0.9, 1.2, 1.2, jit(rng, (0.85, 0.85, 0.82), 0.03))          # seat edge


def _view_forest(cv, p, rng):
    """Trees filling the frame."""
    cv.fill(jit(rng, (0.25, 0.4, 0.22), 0.04))
    for _ in range(10):
        x = rng.uniform(-0.1, 1.1)
        cv.rect(x - 0.02, 0.3, x + 0.02, 1.2, jit(rng, (0.35, 0.25, 0.15)))
    for _ in range(40):
        cv.circle(rng.uniform(-0.1, 1.1), rng.uniform(-0.1, 0.6), rng.uniform(0.05, 0.12),
                  jit(rng, (0.15, 0.38, 0.15), 0.06))
    cv.rect(-0.2, 0.85, 1.2, 1.2, jit(rng, (0.3, 0.25, 0.18)))


def _view_stands(cv, p, rng):
    """The crowd in the stands."""
    cv.fill((0.25, 0.25, 0.28))
    cv.dots(-0.2, -0.2, 1.2, 1.2, rng, CROWD, 0.65, 0.03)
    for y in np.arange(0.05, 1.1, 0.12):
        cv.rect(-0.2, y, 1.2, y + 0.015, (0.5, 0.5, 0.55))


def _view_audience(cv, p, rng):
    """Rows of listeners in red seats."""
    cv.fill(shade(p.floor, 0.5))
    for row, y in enumerate(np.arange(0.15, 1.15, 0.17)):
        for x in np.arange(-0.1 + 0.05 * (row % 2), 1.1, 0.11):
            cv.circle(x, y, 0.045, jit(rng, pick(rng, SKIN), 0.02))
            cv.ellipse(x, y - 0.025, 0.045, 0.025, jit(rng, pick(rng, HAIR), 0.02))
            cv.rect(x - 0.055, y + 0.04, x + 0.055, y + 0.13, jit(rng, (0.5, 0.1, 0.12), 0.04))


VIEWS = {"wall": _view_wall, "bushes": _view_bushes, "clouds": _view_clouds, "boat_interior": _view_boat_interior,
         "forest": _view_forest, "stands": _view_stands, "audience": _view_audience}


def draw_offscreen(cv: Canvas, p: EnvPlan, rng) -> None:
    """What the camera shows when it looks away from the source (an ``offscreen`` defect)."""
    VIEWS[OFFSCREEN_VIEW[p.kind]](cv, p, rng)
