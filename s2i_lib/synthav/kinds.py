"""What a SynthAV class is: the definition types every class fills in, and the plan
types the planners return.

A **scene class** (:class:`SceneClass`) is one object holding the three things that make
it: ``plan`` (draw the random choices of one clip: where the object stands, its colours,
the times of its events), ``sound`` (synthesise the audio from that plan) and ``draw``
(paint the object at time ``t`` from the same plan, so picture and sound share their
events).  A **performance instrument** (:class:`InstrumentClass`) holds its timbre, its
look and the drawing of the instrument in the player's hands; the player, the notes and
the synthesis are shared by all instruments (:mod:`s2i_lib.synthav.players`).

Plans are dataclasses: :class:`ObjectPlan` has the fields every object has (size, place,
facing, distance), each class subclasses it with its own.  Also here: the placement
helpers the class planners share (:func:`ground_place`, :func:`since`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, List, NamedTuple, Optional, Tuple

import numpy as np

from .canvas import Color
from .people import Body, Outfit


# ---------------------------------------------------------------------------- plans
@dataclass(frozen=True)
class Placement:
    """What the clip planner decides before a class plans its object."""
    label: str
    scale: float                 # object size as a fraction of the frame (BASE_SIZE / distance)
    facing: int                  # +1: faces right, -1: faces left
    distance: float
    side: Optional[str] = None   # "left"/"right": the half of a two-source scene it stands in

    def fields(self) -> dict:
        """The :class:`ObjectPlan` fields this placement fixes."""
        return {"label": self.label, "scale": self.scale, "facing": self.facing, "distance": self.distance}


@dataclass(kw_only=True)
class ObjectPlan:
    """The plan of one sounding object; class plans subclass it with their own fields."""
    label: str
    scale: float
    facing: int
    distance: float
    x: float = 0.5            # centre (fraction of the frame width)
    y_bottom: float = 1.0     # where it stands (fraction of the frame height)


@dataclass(kw_only=True)
class PlayerPlan(ObjectPlan):
    """A performer with an instrument (``label`` is the instrument)."""
    seated: bool
    notes: List[dict]               # {start, end, midi, pitch_hz, pose}, as in the metadata
    timbre: "Timbre"
    slope: float                    # this player's harmonic roll-off (the timbre's, jittered)
    formants: List[Tuple[float, float]]
    jitter: np.ndarray              # per-harmonic amplitude jitter (20)
    phases: np.ndarray              # per-harmonic start phases (20)
    color: Color                    # the instrument's
    person: Outfit


class Pose(NamedTuple):
    """A performer's pose at one moment: ``value`` in [0, 1] is set by the note being
    played (its place in the instrument's range, see
    :func:`~s2i_lib.synthav.players.pose_of_pitch`), ``stroke`` is the progress through
    that note (the bow's travel), ``note_index`` its number in the melody."""
    value: float
    stroke: float
    note_index: int


@dataclass(frozen=True)
class Hold:
    """Where a drawn player's body is, for the instrument drawing in their hands: the
    player's feet ``(x, y_bottom)``, height ``h`` and ``facing``, their :class:`Body`, the
    shoulder on the instrument side (``near``) and the other (``far``), the mouth, their
    outfit, and the instrument's colour and its shadow (``dark``)."""
    x: float
    y_bottom: float
    h: float
    facing: int
    body: Body
    near: Tuple[float, float]
    far: Tuple[float, float]
    mouth: Tuple[float, float]
    outfit: Outfit
    color: Color
    dark: Color


# ---------------------------------------------------------------------------- definitions
@dataclass(frozen=True)
class SceneClass:
    """One scene class, in one place.

    ``plan(rng, placement, duration, env) -> ObjectPlan`` draws the clip's choices (it must
    draw from ``rng`` only), ``sound(plan, rng, n, sr) -> float64 (n,)`` synthesises it
    at any level (the renderer normalises), ``draw(cv, plan, t, duration)`` paints it at
    time ``t``.  ``environments`` lists where it may be filmed (the first is used when it
    shares the frame with a second source), ``partners`` the classes that may sound
    with it in a two-source clip.  Bump ``version`` whenever a change alters its clips:
    corpora holding the class are then regenerated.
    """
    name: str
    version: str
    environments: Tuple[str, ...]
    partners: Tuple[str, ...]
    plan: Callable
    sound: Callable
    draw: Callable


@dataclass(frozen=True)
class Timbre:
    """How an instrument sounds: its range (MIDI notes), harmonic roll-off (amplitude ~
    k ** -slope), weight of the even harmonics (``odd``; small is clarinet-like), formants
    ((Hz, boost), ...), attack (s), vibrato (rate Hz, depth cents), share of breath or bow
    noise, and family (string, woodwind, brass)."""
    range: Tuple[int, int]
    slope: float
    odd: float
    formants: Tuple[Tuple[float, float], ...]
    attack: float
    vibrato: Tuple[float, float]
    breath: float
    family: str

    def as_dict(self) -> dict:
        return {"range": self.range, "slope": self.slope, "odd": self.odd, "formants": list(self.formants),
                "attack": self.attack, "vibrato": self.vibrato, "breath": self.breath, "family": self.family}


@dataclass(frozen=True)
class InstrumentClass:
    """One performance instrument, in one place: its ``timbre``, the ``wood`` colour of
    the instrument, the player's ``height`` (relative) and whether they sit, and
    ``draw(cv, hold, pose)`` which paints the instrument and the player's arms (see
    :class:`~s2i_lib.synthav.players.Hold`).  Bump ``version`` when a change alters its clips."""
    name: str
    version: str
    timbre: Timbre
    wood: Color
    draw: Callable
    height: float = 1.0
    seated: bool = False


# ---------------------------------------------------------------------------- shared placement helpers
def since(times, t) -> float:
    """Seconds since the latest event at or before ``t`` (inf if none)."""
    best = math.inf
    for e in times:
        if e <= t + 1e-9:
            best = min(best, t - e)
    return best


def ground_place(rng, horizon, w, h, dist, side=None):
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
