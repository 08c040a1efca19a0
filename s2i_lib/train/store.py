"""The model store: trained models on disk, keyed by everything that made them.

``<root>/<name>/<key>/`` holds ``model.pt`` (the weights), ``config.json`` (the payload the
key was made from, the model's architecture config), ``metrics.json`` and
``history.json`` (the training log).  The key is :func:`s2i_lib.cache.cache_key` of the
name, the payload and the engine's version; callers put in the payload the data's
identity (:func:`s2i_lib.data.fingerprint`), every resolved hyper-parameter and the
version of the recipe that trains the model.  :meth:`ModelStore.load` compares the stored
payload with the requested one, so even a hash collision or a hand-edited folder cannot
hand back a model trained under another configuration.
"""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional

import torch
import torch.nn as nn

from .. import cache
from ..models import from_config
from .engine import ENGINE_VERSION, precision


@dataclass
class Trained:
    """A model with what made it: ``payload`` (the full configuration that keyed it),
    ``metrics``, where it is stored and whether this call loaded it from the store."""
    model: nn.Module
    payload: dict
    metrics: dict
    path: Path
    loaded: bool
    history: list = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.path.name


class ModelStore:
    """Trained models under ``root`` (see the module docstring)."""

    def __init__(self, root):
        self.root = Path(root)

    def path(self, name: str, payload: Mapping) -> Path:
        key = {"name": name, "payload": dict(payload), "engine_version": ENGINE_VERSION}
        if precision() != "fp32":                    # mixed-precision models apart (fp32 keys as before)
            key["precision"] = precision()
        return self.root / name / cache.cache_key(key)

    def load(self, name: str, payload: Mapping) -> Optional[Trained]:
        p = self.path(name, payload)
        stored = cache.read_json(p / "config.json")
        if stored is None or not (p / "model.pt").exists() or not cache.matches(stored.get("payload"), payload):
            return None
        model = from_config(stored["model"])
        model.load_state_dict(torch.load(p / "model.pt", weights_only=True, map_location="cpu"))
        model.eval()
        metrics = cache.read_json(p / "metrics.json", {})
        hist = cache.read_json(p / "history.json", [])
        return Trained(model, dict(payload), metrics, p, True, hist)

    def save(self, name: str, payload: Mapping, model: nn.Module, metrics: Mapping, history=()) -> Trained:
        p = self.path(name, payload)
        cache.torch_save(model.state_dict(), p / "model.pt")
        cache.write_json(p / "metrics.json", dict(metrics))
        cache.write_text(p / "history.json", json.dumps(list(history), indent=1, default=float))
        # config.json last: its presence marks a complete entry
        cache.write_json(p / "config.json", {"name": name, "payload": dict(payload), "model": model.config,
                                             "engine_version": ENGINE_VERSION, "precision": precision(),
                                             "saved": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())})
        return Trained(model, dict(payload), dict(metrics), p, False, list(history))

    def load_or_train(self, name: str, payload: Mapping,
                      train: Callable[[Path], tuple], retrain: bool = False) -> Trained:
        """The stored model for ``payload``, or ``train(workdir)`` -> ``(model, metrics,
        history)`` whose result is stored.  ``workdir`` holds the run's checkpoints, so
        an interrupted training resumes on the next call; it is removed once saved.  Under
        ``torchrun`` every process trains (the engine runs DDP) and rank 0 alone writes."""
        if not retrain:
            hit = self.load(name, payload)
            if hit is not None:
                return hit
        from .distributed import from_env
        d = from_env()                  # under torchrun every process trains, rank 0 stores
        p = self.path(name, payload)
        work = p / "checkpoints"
        if retrain and work.exists() and d.is_main:
            shutil.rmtree(work)
        d.barrier()
        work.mkdir(parents=True, exist_ok=True)
        model, metrics, history = train(work)
        if d.is_main:
            out = self.save(name, payload, model, metrics, history)
            shutil.rmtree(work, ignore_errors=True)
        d.barrier()
        return out if d.is_main else Trained(model, dict(payload), dict(metrics), p, False, list(history))

    def entries(self, name: Optional[str] = None) -> list:
        """Every stored (name, key, payload): what the store holds."""
        rows = []
        for cfg in sorted(self.root.glob(f"{name or '*'}/*/config.json")):
            d = json.loads(cfg.read_text())
            rows.append({"name": d["name"], "key": cfg.parent.name, "payload": d["payload"]})
        return rows
