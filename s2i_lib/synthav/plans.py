"""Clip plans: every random choice of one clip, made before anything is rendered.

:func:`plan_clip` decides, from the clip's own generators (:mod:`s2i_lib.synthav.seeding`),
whether it is defective or has a second source, its distance, its environment, the plan
of each sounding object (through the class definitions of the registry), its defects and
timeline, and writes the clip's metadata: the ground truth that notebook 01 (building
pairs and truth) and notebook 02 (cleaning) score against.  Rendering
(:mod:`s2i_lib.synthav.render`) then only follows the plan.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..course.profiles import SynthAVSize
from .constants import (BASE_SIZE, DISTANCE_RANGE, GENERATOR_VERSION, MULTI_DISTANCE, MULTI_SOURCE_RATE,
                        REF_LEVEL)
from .defects import build_timeline, plan_defects
from .environments import EnvPlan, plan_environment
from .kinds import ObjectPlan, Placement
from .players import plan_player
from .registry import SCENE_DEFS
from .seeding import clip_id, clip_rngs, pick, r3, share_position, size_classes, suite_classes

HALL = "hall"
"""Where every performance is filmed."""


@dataclass
class ClipPlan:
    """Everything one clip will be: its metadata, environment and object plans, and the
    generators the audio and the video are rendered with."""
    meta: dict
    env: EnvPlan
    obj: ObjectPlan
    second: Optional[ObjectPlan]
    rng_audio: np.random.Generator
    rng_video: np.random.Generator
    classes: Tuple[str, ...]


def plan_object(suite: str, label: str, rng, D: float, dist: float, env: EnvPlan, side=None) -> ObjectPlan:
    """The plan of one sounding object of class ``label`` at distance ``dist``."""
    if suite == "performances":
        return plan_player(label, rng, D, dist, env)
    facing = int(pick(rng, [-1, 1]))
    return SCENE_DEFS[label].plan(rng, Placement(label, BASE_SIZE / dist, facing, dist, side), D, env)


def plan_view(suite: str, label: str, rng, D: float, dist: float):
    """``(env, obj)``: an environment where ``label`` is filmed and its object in it."""
    kind = str(pick(rng, SCENE_DEFS[label].environments)) if suite == "scenes" else HALL
    env = plan_environment(kind, rng)
    return env, plan_object(suite, label, rng, D, dist, env)


def _plan_two_sources(label, partners, rng, D, distance):
    """A scene with a second sounding object, side by side with the first (or a plane in the sky)."""
    env = plan_environment(SCENE_DEFS[label].environments[0], rng)
    other = str(pick(rng, partners))
    d2 = r3(rng.uniform(*MULTI_DISTANCE))
    side = str(pick(rng, ["left", "right"]))
    opp = "right" if side == "left" else "left"
    obj = plan_object("scenes", label, rng, D, distance, env, side=None if other == "plane" else side)
    second = plan_object("scenes", other, rng, D, d2, env, side=opp)
    return env, obj, second


def _source_detail(o: ObjectPlan, frame_size: int) -> dict:
    return {"label": o.label, "distance": o.distance, "loudness_gain": round(1.0 / o.distance, 4),
            "object_scale": round(o.scale, 4), "object_size_px": round(o.scale * frame_size, 2),
            "position": [round(float(o.x), 4), round(float(o.y_bottom), 4)]}


def _metadata(suite, label, index, size: SynthAVSize, seed, env, obj, second, defects) -> dict:
    """The clip's metadata (one line of ``metadata.jsonl``; see the package docstring)."""
    D, S = float(size.clip_seconds), int(size.frame_size)
    cid = clip_id(suite, label, index)
    sources = [_source_detail(obj, S)] + ([_source_detail(second, S)] if second else [])
    distance = obj.distance
    return {
        "clip_id": cid, "suite": suite, "label": label, "file": f"videos/{label}/{cid}.mp4", "video_id": cid,
        "index": int(index), "seed": int(seed), "generator_version": GENERATOR_VERSION,
        "duration": D, "fps": int(size.fps), "sample_rate": int(size.sample_rate), "frame_size": S,
        "num_frames": int(round(D * size.fps)), "num_samples": int(round(D * size.sample_rate)),
        "distance": distance, "loudness_gain": round(1.0 / distance, 4),
        "target_dbfs": round(20 * math.log10(REF_LEVEL / distance), 2),
        "object_scale": round(obj.scale, 4), "object_size_px": round(obj.scale * S, 2),
        "position": sources[0]["position"], "environment": env.kind,
        "sources": [s_["label"] for s_ in sources], "source_details": sources, "multi_source": second is not None,
        "notes": [dict(n) for n in obj.notes] if suite == "performances" else [],
        "defects": defects, "timeline": build_timeline(D, label, defects),
    }


def plan_clip(suite: str, label: str, index: int, size: SynthAVSize, seed: int) -> ClipPlan:
    """The plan of clip ``index`` of class ``label``: a pure function of its arguments."""
    classes = size_classes(suite, size)
    if label not in suite_classes(suite):
        raise ValueError(f"{label!r} is not a class of the SynthAV {suite} suite ({', '.join(suite_classes(suite))})")
    rp, ra, rv = clip_rngs(seed, suite, label, index)
    D = float(size.clip_seconds)
    share = share_position(seed, suite, label, index)
    defective = share < size.defect_rate
    partners = [c for c in SCENE_DEFS[label].partners if c in classes] if suite == "scenes" else []
    multi = bool(partners) and (not defective) and size.defect_rate <= share < size.defect_rate + MULTI_SOURCE_RATE
    distance = r3(rp.uniform(*(MULTI_DISTANCE if multi else DISTANCE_RANGE[suite])))
    second = None
    if multi:
        env, obj, second = _plan_two_sources(label, partners, rp, D, distance)
    else:
        env, obj = plan_view(suite, label, rp, D, distance)
    defects = plan_defects(rp, D, label, classes) if defective else []
    meta = _metadata(suite, label, index, size, seed, env, obj, second, defects)
    return ClipPlan(meta=meta, env=env, obj=obj, second=second, rng_audio=ra, rng_video=rv, classes=classes)
