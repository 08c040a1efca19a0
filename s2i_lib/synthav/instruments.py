"""The thirteen performance instruments of Sub-URMP, one definition each.

Each :class:`~s2i_lib.synthav.kinds.InstrumentClass` holds the instrument's timbre
(harmonic profile, attack, vibrato, breath), its colour, the player's height and posture,
and the drawing of the instrument in the player's hands, where the note being played sets
the pose (bow angle, hand or slide position, how high the instrument is raised): the
ground truth of pose-oriented generation (notebook 03). The player, the melody and the
synthesis are shared by all instruments (:mod:`s2i_lib.synthav.players`). To add an
instrument, add its definition to :data:`CLASSES` (drawing it with an existing family
function or a new one) and its name to ``INSTRUMENTS`` in :mod:`s2i_lib.course.profiles`.
"""
from __future__ import annotations

import math

from .kinds import Hold, InstrumentClass, Pose, Timbre
from .canvas import rot
from .people import dressed_arm

SILVER = (0.85, 0.85, 0.88)


def _ell_along(cv, R, u, len_half, w_half, color, ang):
    """An ellipse centred ``u`` along the axis of ``R``, its long side along the axis."""
    cx, cy = R(u, 0.0)
    cv.ellipse(cx, cy, len_half, w_half, color, angle=ang - math.pi / 2)


def _bow(cv, contact, axis_ang, q, u, j, L, h, hand_shoulder, col):
    """A bow crossing the strings at ``contact``; its angle to the strings follows the
    pose (string crossing), its position the stroke (down-bow on even notes, up-bow on odd)."""
    beta = axis_ang + math.pi / 2 + (-0.45 + 0.9 * q)
    dx, dy = math.sin(beta), -math.cos(beta)
    lam = 0.2 + 0.6 * u if j % 2 == 0 else 0.8 - 0.6 * u
    fx, fy = contact[0] - lam * L * dx, contact[1] - lam * L * dy
    tx, ty = fx + L * dx, fy + L * dy
    cv.line(fx, fy, tx, ty, 0.022 * h, (0.35, 0.22, 0.1))
    cv.line(fx, fy, tx, ty, 0.011 * h, (0.97, 0.95, 0.88))
    dressed_arm(cv, hand_shoulder, (fx, fy), h, col)


# ---------------------------------------------------------------------------- strings
def _fiddle(size: float):
    """Violin or viola (``size`` 1.2) under the chin: the fingering hand slides up the neck and the bow tilts with the pitch."""
    def draw(cv, hold: Hold, pose: Pose):
        x, h, f, c = hold.x, hold.h, hold.facing, hold.color
        dark, col, near, far = hold.dark, hold.outfit, hold.near, hold.far
        body = hold.body
        q, u, j = pose
        k = size
        C = (x + f * 0.13 * h, body.left_shoulder[1] + 0.02 * h)
        ang = f * 1.2
        R = rot(C[0], C[1], ang)
        _ell_along(cv, R, -0.02 * h * k, 0.12 * h * k, 0.07 * h * k, c, ang)
        _ell_along(cv, R, 0.07 * h * k, 0.06 * h * k, 0.055 * h * k, c, ang)
        cv.line(*R(0.1 * h * k, 0), *R(0.34 * h * k, 0), 0.03 * h, (0.12, 0.08, 0.05))
        cv.circle(*R(0.35 * h * k, 0), 0.025 * h, dark)
        dressed_arm(cv, near, R((0.31 - 0.17 * q) * h * k, 0.015 * h), h, col)
        _bow(cv, R(-0.05 * h * k, 0), ang, q, u, j, 0.45 * h * k, h, far, col)
    return draw


def _bass_fiddle(big: bool):
    """Cello or double bass (``big``) standing on its spike, bowed across the body."""
    def draw(cv, hold: Hold, pose: Pose):
        x, yb, h, f = hold.x, hold.y_bottom, hold.h, hold.facing
        c, dark, col, near = hold.color, hold.dark, hold.outfit, hold.near
        far = hold.far
        q, u, j = pose
        k = 1.35 if big else 1.05
        base = (x + f * (0.12 if big else 0.0) * h, yb - 0.01 * h)
        ang = -f * (0.15 if big else 0.12)
        R = rot(base[0], base[1], ang)
        cv.line(*R(0, 0), *R(0.08 * h, 0), 0.015 * h, (0.6, 0.6, 0.6))
        _ell_along(cv, R, 0.2 * h * k, 0.12 * h * k, 0.14 * h * k, c, ang)
        _ell_along(cv, R, 0.38 * h * k, 0.1 * h * k, 0.11 * h * k, c, ang)
        cv.line(*R(0.3 * h * k, 0), *R(0.8 * h * k, 0), 0.04 * h, (0.1, 0.07, 0.05))
        cv.circle(*R(0.82 * h * k, 0), 0.03 * h, dark)
        dressed_arm(cv, near, R((0.76 - 0.3 * q) * h * k, 0.015 * h), h, col)
        _bow(cv, R(0.25 * h * k, 0), ang, q, u, j, 0.55 * h, h, far, col)
    return draw


# ---------------------------------------------------------------------------- woodwinds
def _draw_flute(cv, hold: Hold, pose: Pose):
    """A transverse flute, raised as the pitch rises."""
    h, f, c, col = hold.h, hold.facing, hold.color, hold.outfit
    near, far, mouth = hold.near, hold.far, hold.mouth
    q = pose.value
    ang = f * (math.pi / 2 + 0.35 - 0.65 * q)      # raised as the pitch rises
    R = rot(mouth[0] - f * 0.05 * h, mouth[1], ang)
    cv.line(*R(0, 0), *R(0.52 * h, 0), 0.04 * h, c)
    for kk in range(6):
        cv.circle(*R((0.15 + 0.05 * kk) * h, 0), 0.012 * h, (0.45, 0.45, 0.5))
    dressed_arm(cv, far, R(0.12 * h, 0.015 * h), h, col)
    dressed_arm(cv, near, R((0.42 - 0.12 * q) * h, 0.015 * h), h, col)


def _reed(length: float, width: float, bell_width: float):
    """Clarinet or oboe (a tube of ``length``, ``width`` and ``bell``) pointing down, raised with the pitch."""
    def draw(cv, hold: Hold, pose: Pose):
        h, f, c, col = hold.h, hold.facing, hold.color, hold.outfit
        near, far, mouth = hold.near, hold.far, hold.mouth
        silver = SILVER
        q = pose.value
        L, w, bell = length, width, bell_width
        ang = math.pi - f * (0.15 + 0.55 * q)          # pointing down, raised with the pitch
        R = rot(mouth[0], mouth[1], ang)
        cv.line(*R(0, 0), *R(L * h, 0), w * h, c)
        cv.poly([R((L - 0.07) * h, -w / 2 * h), R((L - 0.07) * h, w / 2 * h), R(L * h, bell * h), R(L * h, -bell * h)], c)
        for kk in range(5):
            cv.circle(*R((0.1 + 0.06 * kk) * h, 0), 0.012 * h, silver)
        cv.line(*R(0.2 * h, -w / 2 * h), *R(0.2 * h, w / 2 * h), 0.012 * h, silver)
        dressed_arm(cv, far, R(0.12 * h, 0), h, col)
        dressed_arm(cv, near, R(0.3 * h, 0), h, col)
    return draw


def _draw_bassoon(cv, hold: Hold, pose: Pose):
    """A bassoon held diagonally across the body, its angle following the pitch."""
    x, yb, h, f = hold.x, hold.y_bottom, hold.h, hold.facing
    c, dark, col, near = hold.color, hold.dark, hold.outfit, hold.near
    far, mouth = hold.far, hold.mouth
    silver = SILVER
    q = pose.value
    ang = f * (0.25 + 0.35 * q)
    bottom = (x - f * 0.12 * h, yb - 0.28 * h)
    R = rot(bottom[0], bottom[1], ang)
    cv.line(*R(0, 0), *R(0.82 * h, 0), 0.085 * h, c)
    cv.line(*R(0, 0.045 * h), *R(0.55 * h, 0.045 * h), 0.05 * h, dark)
    cv.ellipse(*R(0.82 * h, 0), 0.045 * h, 0.02 * h, (0.9, 0.85, 0.75), angle=ang)
    for kk in range(4):
        cv.circle(*R((0.2 + 0.08 * kk) * h, 0), 0.012 * h, silver)
    bx, by = R(0.5 * h, 0)
    cv.line(bx, by, mouth[0], mouth[1], 0.014 * h, silver)
    dressed_arm(cv, far, R(0.45 * h, 0.03 * h), h, col)
    dressed_arm(cv, near, R((0.15 + 0.12 * q) * h, 0.03 * h), h, col)


def _draw_saxophone(cv, hold: Hold, pose: Pose):
    """An alto saxophone hanging in front of the body, tilted with the pitch."""
    h, f, c, dark = hold.h, hold.facing, hold.color, hold.dark
    col, near, far, mouth = hold.outfit, hold.near, hold.far, hold.mouth
    q = pose.value
    ang = math.pi - f * (0.05 + 0.45 * q)
    R = rot(mouth[0], mouth[1], ang)
    cv.line(*R(0, 0), *R(0.07 * h, 0.04 * h), 0.025 * h, c)
    cv.line(*R(0.07 * h, 0.04 * h), *R(0.38 * h, 0.06 * h), 0.07 * h, c)
    cv.ellipse(*R(0.4 * h, 0.1 * h), 0.07 * h, 0.06 * h, c)
    cv.line(*R(0.4 * h, 0.14 * h), *R(0.24 * h, 0.18 * h), 0.08 * h, c)
    bx, by = R(0.21 * h, 0.185 * h)
    cv.ellipse(bx, by, 0.075 * h, 0.04 * h, dark, angle=ang - math.pi / 2)
    for kk in range(4):
        cv.circle(*R((0.12 + 0.065 * kk) * h, 0.05 * h), 0.014 * h, (0.98, 0.92, 0.7))
    dressed_arm(cv, far, R(0.15 * h, 0.045 * h), h, col)
    dressed_arm(cv, near, R(0.31 * h, 0.055 * h), h, col)


# ---------------------------------------------------------------------------- brass
def _draw_trumpet(cv, hold: Hold, pose: Pose):
    """A trumpet whose bell is raised for high notes."""
    h, f, c, dark = hold.h, hold.facing, hold.color, hold.dark
    col, near, far, mouth = hold.outfit, hold.near, hold.far, hold.mouth
    q = pose.value
    ang = f * (math.pi / 2 - 0.1 - 0.6 * q)     # bell raised with the pitch
    R = rot(mouth[0], mouth[1], ang)
    cv.line(*R(0, 0), *R(0.32 * h, 0), 0.035 * h, c)
    cv.line(*R(0.05 * h, 0.06 * h), *R(0.24 * h, 0.06 * h), 0.035 * h, c)
    cv.line(*R(0.05 * h, 0.0), *R(0.05 * h, 0.06 * h), 0.03 * h, c)
    cv.poly([R(0.26 * h, -0.02 * h), R(0.42 * h, -0.085 * h), R(0.42 * h, 0.085 * h), R(0.26 * h, 0.02 * h)], c)
    cv.ellipse(*R(0.42 * h, 0), 0.085 * h, 0.02 * h, dark, angle=ang)
    for kk in range(3):
        cv.line(*R((0.13 + 0.035 * kk) * h, -0.05 * h), *R((0.13 + 0.035 * kk) * h, 0.03 * h), 0.02 * h, dark)
    dressed_arm(cv, near, R(0.15 * h, -0.04 * h), h, col)
    dressed_arm(cv, far, R(0.1 * h, 0.07 * h), h, col)


def _draw_trombone(cv, hold: Hold, pose: Pose):
    """A trombone whose slide is far out for low notes and in for high ones."""
    h, f, c, dark = hold.h, hold.facing, hold.color, hold.dark
    col, near, far, mouth = hold.outfit, hold.near, hold.far, hold.mouth
    q = pose.value
    ang = f * (math.pi / 2 + 0.15)
    R = rot(mouth[0], mouth[1], ang)
    slide = (0.14 + 0.56 * (1.0 - q)) * h     # low notes: the slide far out
    cv.line(*R(0, 0), *R(slide, 0), 0.025 * h, c)
    cv.line(*R(0, 0.05 * h), *R(slide, 0.05 * h), 0.025 * h, c)
    cv.line(*R(slide, 0), *R(slide, 0.05 * h), 0.028 * h, c)
    cv.line(*R(0.02 * h, -0.07 * h), *R(0.16 * h, -0.07 * h), 0.03 * h, c)
    cv.poly([R(0.14 * h, -0.085 * h), R(0.26 * h, -0.16 * h), R(0.26 * h, 0.02 * h), R(0.14 * h, -0.055 * h)], c)
    cv.ellipse(*R(0.26 * h, -0.07 * h), 0.09 * h, 0.02 * h, dark, angle=ang)
    dressed_arm(cv, near, R(slide, 0.025 * h), h, col)
    dressed_arm(cv, far, R(0.06 * h, -0.04 * h), h, col)


def _draw_horn(cv, hold: Hold, pose: Pose):
    """A French horn held in front of the chest, its bell turning with the pitch."""
    x, h, f, c = hold.x, hold.h, hold.facing, hold.color
    dark, col, near, far = hold.dark, hold.outfit, hold.near, hold.far
    mouth = hold.mouth
    hx, hy = hold.body.head
    q = pose.value
    ang = f * (0.5 + 0.6 * q) + math.pi
    cx, cy = x + f * 0.1 * h, hy + 0.26 * h
    cv.line(mouth[0], mouth[1], cx - f * 0.04 * h, cy - 0.07 * h, 0.025 * h, c)
    cv.ellipse(cx, cy, 0.12 * h, 0.12 * h, c, inner=0.6)
    cv.ellipse(cx, cy, 0.06 * h, 0.06 * h, c, inner=0.4)
    R = rot(cx, cy, ang)
    cv.poly([R(0.08 * h, -0.03 * h), R(0.26 * h, -0.1 * h), R(0.26 * h, 0.1 * h), R(0.08 * h, 0.03 * h)], c)
    cv.ellipse(*R(0.26 * h, 0), 0.1 * h, 0.025 * h, dark, angle=ang)
    dressed_arm(cv, near, R(0.22 * h, 0), h, col)
    dressed_arm(cv, far, (cx - f * 0.02 * h, cy - 0.1 * h), h, col)


def _draw_tuba(cv, hold: Hold, pose: Pose):
    """A tuba held upright, lifted a little with the pitch."""
    x, yb, h, f = hold.x, hold.y_bottom, hold.h, hold.facing
    c, dark, col, near = hold.color, hold.dark, hold.outfit, hold.near
    far, mouth = hold.far, hold.mouth
    hx, hy = hold.body.head
    q = pose.value
    cx, cy = x + f * 0.03 * h, yb - (0.5 + 0.08 * q) * h
    cv.ellipse(cx, cy, 0.17 * h, 0.22 * h, c, inner=0.5)
    cv.line(cx + f * 0.07 * h, cy - 0.12 * h, cx + f * 0.1 * h, hy - 0.04 * h, 0.12 * h, c)
    cv.ellipse(cx + f * 0.1 * h, hy - 0.08 * h, 0.15 * h, 0.045 * h, dark)
    cv.line(mouth[0], mouth[1], cx - f * 0.1 * h, cy - 0.15 * h, 0.022 * h, c)
    for kk in range(3):
        vx = cx - f * 0.02 * h + (kk - 1) * 0.035 * h
        cv.line(vx, cy - 0.1 * h, vx, cy - 0.02 * h, 0.02 * h, dark)
    dressed_arm(cv, near, (cx - f * 0.01 * h, yb - (0.52 + 0.2 * q) * h), h, col)
    dressed_arm(cv, far, (cx - f * 0.15 * h, cy + 0.02 * h), h, col)


# ---------------------------------------------------------------------------- the definitions
def _instrument(name, draw, wood, notes_range, slope, odd, formants, attack, vibrato, breath, family, height=1.0,
                seated=False, version="1"):
    return InstrumentClass(name=name, version=version, draw=draw, wood=wood, height=height, seated=seated,
                           timbre=Timbre(range=notes_range, slope=slope, odd=odd, formants=tuple(formants), attack=attack,
                                         vibrato=vibrato, breath=breath, family=family))


# range: MIDI notes; slope: harmonic roll-off (amplitude ~ k**-slope); odd: weight of the
# even harmonics (clarinet-like when small); formants: (Hz, boost); attack (s); vibrato
# (rate Hz, depth cents); breath: share of breath/bow noise; family: for the synthesis.
CLASSES = (
    #           name         drawing                        wood colour         range     slope odd   formants (Hz, boost)          attack vibrato    breath family
    _instrument("bassoon",     _draw_bassoon,               (0.5, 0.2, 0.12),   (34, 65), 0.75, 1.0,  [(480, 1.5), (1150, 0.5)],   0.05, (4.8, 8),  0.03,  "woodwind", height=1.08),
    _instrument("cello",       _bass_fiddle(big=False),     (0.55, 0.25, 0.1),  (36, 69), 1.0,  1.0,  [(250, 1.0), (1300, 0.6)],   0.08, (5.2, 20), 0.015, "string", seated=True),
    _instrument("clarinet",    _reed(0.46, 0.05, 0.065),    (0.06, 0.06, 0.07), (50, 82), 0.8,  0.08, [(1500, 0.4)],               0.04, (0.0, 0),  0.03,  "woodwind"),
    _instrument("double_bass", _bass_fiddle(big=True),      (0.35, 0.18, 0.08), (28, 55), 1.2,  1.0,  [(120, 1.0), (700, 0.5)],    0.1,  (4.8, 15), 0.015, "string", height=1.12),
    _instrument("flute",       _draw_flute,                 (0.82, 0.83, 0.86), (60, 91), 2.2,  1.0,  [],                          0.05, (5.0, 15), 0.12,  "woodwind"),
    _instrument("horn",        _draw_horn,                  (0.85, 0.65, 0.25), (41, 72), 1.6,  1.0,  [(400, 0.5)],                0.08, (0.0, 0),  0.01,  "brass"),
    _instrument("oboe",        _reed(0.42, 0.036, 0.04),    (0.25, 0.14, 0.08), (58, 86), 0.35, 1.0,  [(1200, 2.0), (2800, 0.8)],  0.03, (5.2, 10), 0.03,  "woodwind"),
    _instrument("saxophone",   _draw_saxophone,             (0.85, 0.68, 0.25), (49, 77), 0.5,  1.0,  [(900, 1.0), (2500, 0.6)],   0.04, (5.0, 15), 0.06,  "woodwind"),
    _instrument("trombone",    _draw_trombone,              (0.88, 0.72, 0.3),  (40, 70), 0.6,  1.0,  [(550, 1.0)],                0.05, (0.0, 0),  0.01,  "brass"),
    _instrument("trumpet",     _draw_trumpet,               (0.9, 0.75, 0.3),   (55, 82), 0.3,  1.0,  [(1300, 1.2)],               0.03, (5.5, 8),  0.01,  "brass"),
    _instrument("tuba",        _draw_tuba,                  (0.8, 0.62, 0.22),  (28, 55), 1.3,  1.0,  [(220, 0.6)],                0.07, (0.0, 0),  0.01,  "brass"),
    _instrument("viola",       _fiddle(size=1.2),           (0.5, 0.22, 0.08),  (48, 76), 1.0,  1.0,  [(380, 0.9), (1800, 0.7)],   0.07, (5.5, 20), 0.015, "string"),
    _instrument("violin",      _fiddle(size=1.0),           (0.6, 0.28, 0.1),   (55, 88), 0.9,  1.0,  [(480, 0.8), (2800, 0.9)],   0.06, (5.8, 22), 0.015, "string"),
)
