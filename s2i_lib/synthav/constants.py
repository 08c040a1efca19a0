"""The fixed numbers of SynthAV: its version, suites, layouts, defect types, and the physical
constants that tie sound to picture (size and loudness at a distance, reference levels).

The defects named here are what notebook 01 (building pairs and truth) measures frame
selection and the loudness filter against, and what notebook 02 (cleaning) removes.
"""
from __future__ import annotations

GENERATOR_VERSION = "1.0.0"
"""Bumped whenever shared generator code changes the content of a clip (environments,
people, DSP helpers, rendering, defects).  It is written into every clip's metadata and
enters the corpus key, so :func:`~s2i_lib.synthav.corpus.ensure_corpus` regenerates.  A
change to one class only bumps that class's own ``version`` (see
:mod:`s2i_lib.synthav.kinds`), which enters the key of the corpora holding it."""

SUITES = ("scenes", "performances")
LAYOUTS = ("synthav", "vegas", "vggsound", "ucf101", "suburmp")
DEFECT_TYPES = ("silent", "offscreen", "wrong_class", "noise")

BASE_SIZE = 0.85          # object size (fraction of the frame) at distance 1
DISTANCE_RANGE = {"scenes": (1.0, 3.0), "performances": (1.0, 2.0)}
"""Distance (arbitrary units) is uniform in this range; players are filmed closer, as in
Sub-URMP, so that the instrument stays legible at 32x32."""
MULTI_DISTANCE = (1.6, 3.0)   # both sources of a two-source clip: small enough to stand side by side
REF_LEVEL = 0.12          # mean |x| of one source at distance 1 (about -18.4 dBFS)
ROOM_TONE = 0.0012        # mean |x| of the faint noise every clip has (about -58 dBFS)
MULTI_SOURCE_RATE = 0.08  # share of scene clips with a second source
NOTE_SECONDS = (0.5, 1.0)  # how long a performer holds one note (uniform in this range)
NONE_LABEL = "none"       # shown_label when the camera shows no class at all
