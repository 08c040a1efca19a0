"""Dry runs: a profile's networks at their real size, with one percent of its training.

``make reproduce PROFILE=paper DRY_RUN=1`` (``s2i reproduce --profile paper --dry-run``)
executes every notebook in the profile ``paper-dry``: :func:`dry_profile` of ``paper``.
It checks, in minutes on a GPU (an hour or more on a CPU), that every network of the
paper profile is built, trained, stored and scored end to end before hours are spent on
the real run; its numbers mean nothing.

What changes, and what does not:

- every count of training steps or epochs (the fields named ``*_steps`` and ``*_epochs``
  of :class:`~s2i_lib.course.profiles.EncoderSize` and
  :class:`~s2i_lib.course.profiles.GANSize`) and the evaluation cadence ``eval_every``
  are scaled by ``fraction`` (1%), rounded, and at least 1;
- widths, image sizes, batch sizes, audio sizes, learning rates, update ratios, seeds per
  ladder rung and evaluation sizes are the base profile's;
- the corpus is smaller: the paper profile's SynthAV corpus is 3,600 scene clips and 2,600
  performance clips of 8 s at 128 x 128 pixels; at the 0.6 s per clip measured on a shared
  2-core CPU (the dry corpus's 36 scene clips took 22 s, its 52 performance clips 31 s) that
  is about an hour of generating before some 100,000 pairs are built and held in memory, so
  a dry run keeps the clips' length, frame rate, frame size and classes and generates
  ``fraction`` of the clips per class, but at least :data:`MIN_CLIPS` (4: 36 scene clips
  and 52 performance clips for ``paper``).

A dry profile is named ``<base>-dry`` (``paper-dry``), so everything keyed by the profile
name stays apart from the real runs: its corpora (``data/synthav/*-paper-dry-seed0``), its
pairs (``data/pairs/*-paper-dry-seed0``), its results (``results/paper-dry/``), and every
stored model (their keys hold the data's fingerprint and the epochs or the GAN config).

:func:`~s2i_lib.course.profiles.get_profile` knows the dry names, so the notebooks, the
recipes and ``s2i reproduce`` find a dry profile as they find any other.
"""
from __future__ import annotations

from dataclasses import fields, is_dataclass, replace

from .profiles import Profile, get_profile

SUFFIX = "-dry"
"""A dry profile's name is its base profile's name followed by this."""

FRACTION = 0.01
"""The share of the steps and epochs (and of the corpus's clips) a dry run keeps."""

MIN_CLIPS = 4
"""Fewest clips per class of a dry run's corpus (an 80/20 split by video then still has a
test video of most classes)."""

_SCALED_SUFFIXES = ("_steps", "_epochs")
_SCALED_NAMES = ("eval_every",)


def scaled(n: int, fraction: float = FRACTION) -> int:
    """``n`` scaled by ``fraction``, rounded, at least 1 (0, meaning "never", stays 0)."""
    if n == 0:
        return 0
    return max(1, int(round(n * fraction)))


def is_scaled(field_name: str) -> bool:
    """Whether a profile field counts training steps or epochs (or an evaluation cadence in
    steps) and so is scaled in a dry run."""
    return field_name.endswith(_SCALED_SUFFIXES) or field_name in _SCALED_NAMES


def _scale_counts(size, fraction: float):
    """A copy of the frozen dataclass ``size`` with every step and epoch count scaled."""
    changes = {f.name: scaled(getattr(size, f.name), fraction) for f in fields(size)
               if is_scaled(f.name) and isinstance(getattr(size, f.name), int)}
    return replace(size, **changes)


def dry_profile(profile: Profile, fraction: float = FRACTION, min_clips: int = MIN_CLIPS) -> Profile:
    """A copy of ``profile`` named ``<name>-dry`` with every count of steps and epochs (and
    ``eval_every``) scaled by ``fraction`` (at least 1 each) and ``fraction`` of the clips
    per class of its corpora (at least ``min_clips``); everything else, the networks'
    sizes above all, is ``profile``'s.  See the module's docstring."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    if not is_dataclass(profile.encoders) or not is_dataclass(profile.gan):
        raise TypeError("dry_profile needs a Profile")

    def corpus(size):
        return replace(size, clips_per_class=max(int(min_clips), scaled(size.clips_per_class, fraction)))

    pct = f"{100 * fraction:g}%"
    return replace(profile, name=profile.name + SUFFIX,
                   encoders=_scale_counts(profile.encoders, fraction), gan=_scale_counts(profile.gan, fraction),
                   stacked=_scale_counts(profile.stacked, fraction),
                   sound2scene=_scale_counts(profile.sound2scene, fraction),
                   scenes=corpus(profile.scenes), performances=corpus(profile.performances),
                   description=(f"dry run of {profile.name}: its networks at their real size, {pct} of its steps "
                                f"and epochs, a small corpus ({profile.description})"))


def dry_name(name: str) -> str:
    """The name of the dry run of profile ``name`` (``paper`` -> ``paper-dry``)."""
    if name.endswith(SUFFIX):
        raise ValueError(f"{name!r} is already a dry profile")
    get_profile(name)                     # an unknown base fails here
    return name + SUFFIX


def is_dry(name: str) -> bool:
    """Whether ``name`` names a dry profile."""
    return str(name).endswith(SUFFIX)
