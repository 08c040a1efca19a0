"""One registry of architectures behind :func:`from_config`.

Every network of the course keeps the arguments it was built with in ``model.config``
(with ``"arch"``, its registered name, and ``"version"``, the architecture's version), so
that a trained model is saved with its configuration and rebuilt exactly.  A class joins
the registry with the :func:`register` decorator; bumping its ``VERSION`` when its layers
change gives every cached model of the old layout a different key in the model store.
"""
from __future__ import annotations

from typing import Callable, Dict, Type

import torch.nn as nn

ARCHS: Dict[str, Type[nn.Module]] = {}
"""Registered architectures by name (filled as :mod:`s2i_lib.models` is imported)."""


def register(cls: Type[nn.Module]) -> Type[nn.Module]:
    """Class decorator: make ``cls`` buildable by :func:`from_config` under its name."""
    if cls.__name__ in ARCHS and ARCHS[cls.__name__] is not cls:
        raise ValueError(f"two architectures named {cls.__name__!r}")
    cls.VERSION = getattr(cls, "VERSION", 1)
    ARCHS[cls.__name__] = cls
    return cls


_TUPLES = ("dropout", "out_shape", "in_shape")


def from_config(config: dict) -> nn.Module:
    """Rebuild a model from its ``config`` dict (as saved next to its weights)."""
    cfg = dict(config)
    arch = cfg.pop("arch", None)
    version = cfg.pop("version", None)
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture {arch!r} in model config; known: {sorted(ARCHS)}")
    cls = ARCHS[arch]
    if version is not None and version != getattr(cls, "VERSION", 1):
        raise ValueError(f"{arch} config is of version {version}, the code is at version {getattr(cls, 'VERSION', 1)}")
    for k in _TUPLES:
        if k in cfg:
            cfg[k] = tuple(cfg[k])
    return cls(**cfg)


def count_parameters(model: nn.Module) -> int:
    """Number of weights of ``model``."""
    return sum(p.numel() for p in model.parameters())
