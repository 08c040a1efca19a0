"""People: the figures that play, kick, bat and listen in SynthAV's pictures.

:func:`person` draws a frontal figure and returns its :class:`Body` (where the shoulders,
head and hips are), :func:`arm` draws an arm from a shoulder to a hand, and
:func:`outfit` draws the colours of a person's skin, clothes and hair.  Used by the scene
classes with people in them (guitar, soccer, baseball) and by every performer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from .canvas import Canvas, Color, jit
from .seeding import pick

Point = Tuple[float, float]

SKIN = [(0.96, 0.80, 0.66), (0.87, 0.68, 0.52), (0.70, 0.50, 0.36), (0.50, 0.34, 0.24), (0.35, 0.23, 0.16)]
CLOTHES = [(0.08, 0.08, 0.1), (0.9, 0.9, 0.9), (0.7, 0.15, 0.15), (0.15, 0.3, 0.65), (0.2, 0.5, 0.25),
           (0.55, 0.45, 0.3), (0.45, 0.2, 0.5), (0.85, 0.65, 0.15), (0.35, 0.35, 0.38)]
HAIR = [(0.08, 0.06, 0.05), (0.3, 0.18, 0.1), (0.6, 0.45, 0.25), (0.85, 0.75, 0.5), (0.55, 0.55, 0.55)]
PANTS = [(0.1, 0.1, 0.12), (0.2, 0.25, 0.45), (0.35, 0.3, 0.25), (0.5, 0.5, 0.5)]


@dataclass
class Outfit:
    """The colours of one person."""
    skin: Color
    shirt: Color
    pants: Color
    hair: Color


@dataclass(frozen=True)
class Body:
    """Where a drawn person's parts are (canvas coordinates)."""
    left_shoulder: Point
    right_shoulder: Point
    head: Point
    hip_y: float
    height: float


def outfit(rng, formal: bool = False) -> Outfit:
    """Random colours for a person (``formal``: a dark shirt now and then, as on stage)."""
    shirt = (0.06, 0.06, 0.08) if (formal and rng.random() < 0.3) else pick(rng, CLOTHES)
    return Outfit(skin=jit(rng, pick(rng, SKIN), 0.03), shirt=jit(rng, shirt, 0.05),
                  pants=jit(rng, pick(rng, PANTS), 0.04), hair=jit(rng, pick(rng, HAIR), 0.03))


def person(cv: Canvas, x, yb, h, col: Outfit, seated=False, stance=0.07,
           legs: Optional[Sequence[Point]] = None, helmet: Optional[Color] = None) -> Body:
    """A simple frontal figure (legs, torso, head) with its feet at ``(x, yb)`` and height
    ``h``; returns its :class:`Body` (the shoulders are where :func:`arm` starts)."""
    skin, shirt, pants, hair = col.skin, col.shirt, col.pants, col.hair
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
    return Body(left_shoulder=(x - 0.1 * h, sh_y + 0.015 * h), right_shoulder=(x + 0.1 * h, sh_y + 0.015 * h),
                head=(x, hy), hip_y=hip_y, height=h)


def arm(cv: Canvas, shoulder: Point, hand: Point, h, sleeve: Color, skin: Color, out=1.0) -> Point:
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


def dressed_arm(cv: Canvas, shoulder: Point, hand: Point, h, col: Outfit) -> Point:
    """:func:`arm` in the sleeve and skin colours of ``col``."""
    return arm(cv, shoulder, hand, h, col.shirt, col.skin)
