"""The registry: every SynthAV class by name, in one place.

:data:`SCENE_DEFS` maps each scene class to its
:class:`~s2i_lib.synthav.kinds.SceneClass` (plan, sound, drawing, version) and
:data:`INSTRUMENT_DEFS` each instrument to its
:class:`~s2i_lib.synthav.kinds.InstrumentClass`.  The class lists themselves (and their
order, which seeds depend on) are ``SCENE_CLASSES`` and ``INSTRUMENTS`` of
:mod:`s2i_lib.course.profiles`; importing this module checks that the definitions cover
exactly those classes.  The tables below (:data:`SCENE_SOUNDS`, :data:`ENV_OF`,
:data:`MULTI_PARTNERS`, :data:`INSTRUMENT_SPECS`) are read-only views of the definitions.
"""
from __future__ import annotations

from typing import Dict, Sequence

from ..course.profiles import INSTRUMENTS, SCENE_CLASSES
from . import instruments, scenes_home, scenes_outdoors
from .kinds import InstrumentClass, SceneClass


def _by_name(defs, expected: Sequence[str], what: str, where: str) -> dict:
    table = {}
    for d in defs:
        if d.name in table:
            raise ImportError(f"SynthAV: {what} {d.name!r} is defined twice")
        table[d.name] = d
    missing, extra = sorted(set(expected) - set(table)), sorted(set(table) - set(expected))
    if missing or extra:
        raise ImportError(f"SynthAV: the {what} definitions do not match {where} in s2i_lib/course/profiles.py "
                          f"(defined but not listed: {extra or 'none'}; listed but not defined: {missing or 'none'})")
    return {name: table[name] for name in expected}


SCENE_DEFS: Dict[str, SceneClass] = _by_name(scenes_home.CLASSES + scenes_outdoors.CLASSES, SCENE_CLASSES,
                                             "scene class", "SCENE_CLASSES")
INSTRUMENT_DEFS: Dict[str, InstrumentClass] = _by_name(instruments.CLASSES, INSTRUMENTS, "instrument", "INSTRUMENTS")


def definition(suite: str, label: str):
    """The definition of class ``label`` of ``suite``."""
    table = SCENE_DEFS if suite == "scenes" else INSTRUMENT_DEFS
    if label not in table:
        raise ValueError(f"{label!r} is not a class of the SynthAV {suite} suite ({', '.join(table)})")
    return table[label]


def class_versions(suite: str, labels: Sequence[str]) -> Dict[str, str]:
    """``{label: version}`` of the given classes of ``suite`` (it enters the corpus key)."""
    return {label: definition(suite, label).version for label in labels}


# read-only views of the definitions, under the names the package exported before
SCENE_SOUNDS = {name: d.sound for name, d in SCENE_DEFS.items()}
ENV_OF = {name: d.environments for name, d in SCENE_DEFS.items()}
MULTI_PARTNERS = {name: d.partners for name, d in SCENE_DEFS.items()}
INSTRUMENT_SPECS: Dict[str, dict] = {name: d.timbre.as_dict() for name, d in INSTRUMENT_DEFS.items()}
"""Each instrument's timbre and range as a plain dict (``range``, ``slope``, ``odd``,
``formants``, ``attack``, ``vibrato``, ``breath``, ``family``)."""
