"""Cache keys and atomic writes: the two rules every cached artefact of the library follows.

1. **A key is made of everything that determines the artefact.**  :func:`cache_key` hashes
   a JSON-able description (build settings, the hash of the input manifest, resolved
   hyper-parameters, the version of the recipe that made it) in a canonical form, so two
   descriptions that are equal give the same key and any difference gives another.  Each
   cached thing stores the description it was keyed by next to itself, and a reader
   compares the two (:func:`matches`) before trusting what it found: a stale or
   hand-edited entry is never handed back.
2. **A reader never sees half a file.**  Every write goes to a temporary file with a
   name unique to this process and call, in the same folder, which is then renamed over
   the target (:func:`atomic_write`).  Two processes writing the same file at once each
   produce a whole file, and the last rename wins.

The corpus generator, the pair builder, the array cache, the cleaned pair sets, the model
store and the GAN runs all use these two functions and nothing else.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Union

PathLike = Union[str, os.PathLike]


def canonical(obj: Any) -> str:
    """A JSON text that is the same for equal descriptions: sorted keys, no spaces, tuples
    as lists, anything else JSON cannot hold written with ``str``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def cache_key(description: Mapping, length: int = 16) -> str:
    """The hex key of ``description`` (the first ``length`` digits of its SHA-256)."""
    return hashlib.sha256(canonical(description).encode()).hexdigest()[:length]


def matches(stored: Any, wanted: Any) -> bool:
    """Whether a stored description is the one asked for (compared canonically)."""
    return canonical(stored) == canonical(wanted)


def file_sha256(path: PathLike, length: int = 64) -> str:
    """The SHA-256 of a file's bytes (its first ``length`` hex digits)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


def atomic_write(path: PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file beside ``path``, then rename it to
    ``path``.  The temporary name is unique (``tempfile``), so concurrent writers never
    share one; on any error the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())          # mkstemp makes 0600; give the file the usual mode
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes(path: PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: PathLike, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path: PathLike, obj: Any, indent: int = 2) -> Path:
    return write_text(path, json.dumps(obj, indent=indent, sort_keys=True, default=str, ensure_ascii=False) + "\n")


def read_json(path: PathLike, default: Any = None) -> Any:
    """The JSON in ``path``, or ``default`` when the file does not exist."""
    path = Path(path)
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def torch_save(obj: Any, path: PathLike) -> Path:
    """``torch.save`` through :func:`atomic_write`."""
    import torch
    return atomic_write(path, lambda tmp: torch.save(obj, tmp))
