"""Seeding: where every random number of a clip comes from, and how clips are named.

A clip depends only on (seed, suite, class, index) and on the suite's class list, never on
the corpus size or the number of workers: :func:`clip_rngs` derives its three generators
(plan, audio, video) from those alone, with :func:`stable_int` hashing the strings in a
way that is the same on every platform and run.  Also here: the small random helpers every
planner uses (:func:`pick`, :func:`r3`), clip ids and the class list of a suite.
"""
from __future__ import annotations

import hashlib
from typing import Tuple

import numpy as np

from ..course.profiles import INSTRUMENTS, SCENE_CLASSES, SynthAVSize
from .constants import SUITES


def stable_int(*parts) -> int:
    """A 63-bit integer from strings/ints, identical on every platform and run."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "little") >> 1


def clip_rngs(seed: int, suite: str, label: str, index: int):
    """Three independent generators for one clip: plan, audio, video."""
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFF, stable_int("synthav", suite, label), int(index)])
    return [np.random.default_rng(s) for s in ss.spawn(3)]


def share_position(seed: int, suite: str, label: str, index: int) -> float:
    """A low-discrepancy number in [0, 1) for clip ``index`` of a class: whatever the
    number of clips, any prefix of a class gets close to the intended shares of
    defective and multi-source clips."""
    offset = (stable_int("share", seed, suite, label) % 1_000_003) / 1_000_003
    return float((index * 0.6180339887498949 + offset) % 1.0)


def pick(rng, options):
    """One of ``options``, uniformly (one draw of ``rng``)."""
    return options[int(rng.integers(len(options)))]


def r3(v) -> float:
    """A time or value rounded to 3 decimals, as plans store them (milliseconds)."""
    return round(float(v), 3)


def clip_id(suite: str, label: str, index: int) -> str:
    """``scenes_dog_0003``."""
    return f"{suite}_{label}_{int(index):04d}"


def suite_classes(suite: str) -> Tuple[str, ...]:
    """The classes of a suite, in the order :mod:`s2i_lib.course.profiles` gives them."""
    if suite == "scenes":
        return SCENE_CLASSES
    if suite == "performances":
        return INSTRUMENTS
    raise ValueError(f"unknown SynthAV suite {suite!r}; choose one of {', '.join(SUITES)}")


def size_classes(suite: str, size: SynthAVSize) -> Tuple[str, ...]:
    """The classes a corpus of ``size`` holds (all of the suite's when ``size.classes`` is empty)."""
    return tuple(size.classes) if size.classes else suite_classes(suite)
