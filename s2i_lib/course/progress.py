"""Progress bars that suit where the code runs.

Every long loop of the library and the notebooks shows its progress through
:func:`tqdm`, a drop-in for ``tqdm.auto.tqdm``::

    for step in progress.tqdm(range(steps), desc="GAN rung c seed 1"):
        ...

* **In JupyterLab** (or a terminal) it is tqdm's own bar: a widget, one live line.
* **Headless** (papermill, nbval, ``make reproduce``, the tests -- they set
  ``S2I_HEADLESS=1``) a bar draws nothing while it runs and prints one short line on
  stdout when it finishes, e.g. ``GAN rung c seed 1: 400/400 in 31 s``.  A saved notebook
  then holds one readable line per bar instead of dozens of half-drawn bars in red
  stderr boxes.  (Headless in a real terminal, e.g. ``make reproduce`` itself, the bar is
  tqdm's live text bar.)

**Inner bars.**  A bar is *inner* when it is created while another bar is running (the
epochs of one training inside a loop over trainings), when it is created with
``leave=False`` (a bar meant to vanish, such as the batches of one epoch), or when the
caller says ``inner=True``.  Headless, inner bars are silent: a cell that trains twenty
models under one outer bar prints one line.  Interactively they are live bars that
disappear when done.  ``inner=False`` forces a bar to count as an outer one.

The environment variable ``S2I_PROGRESS`` chooses what is shown headless: ``outer``
(the default), ``all`` (inner bars print their line too) or ``none``.

:data:`PROGRESS_LINE` recognises a progress line in saved output (tqdm's bars and the
lines written here); the notebook tests use it to keep executed notebooks free of walls
of progress output.
"""
from __future__ import annotations

import io
import os
import re
import sys
import weakref

LEVELS = ("outer", "all", "none")

# tqdm's bar ("34%|###", " 12/40 [", "5.6it/s") or one of the lines this module writes
PROGRESS_LINE = re.compile(r"\d+%\||\s\d+/\d+\s\[|\d(it|s)/(s|it)\b|\?it/s|"
                           r"^.*: \d+(/\d+)?( [^\s(]+)?( \((from \d+|stopped)\))* in \d+(\.\d+)? (s|min)$")

_OPEN = weakref.WeakSet()        # bars made here that may still be running


def headless() -> bool:
    """True when no interactive front end will show widgets (``S2I_HEADLESS`` is set)."""
    return os.environ.get("S2I_HEADLESS", "") not in ("", "0", "false", "no")


def level() -> str:
    """What headless runs show: ``outer`` bars (default), ``all`` bars, or ``none``."""
    value = os.environ.get("S2I_PROGRESS", "outer").strip().lower() or "outer"
    if value not in LEVELS:
        raise ValueError(f"S2I_PROGRESS={value!r}: use one of {', '.join(LEVELS)}")
    return value


def is_progress_line(line: str) -> bool:
    """Whether one line of saved output is progress output (a bar or a finished-bar line)."""
    return bool(PROGRESS_LINE.search(line.strip()))


def running() -> bool:
    """Whether a bar made by :func:`tqdm` is running now (so a new one would be inner)."""
    return any(not getattr(bar, "disable", True) for bar in list(_OPEN))


def tqdm(*args, inner=None, **kwargs):
    """A progress bar: ``tqdm.auto.tqdm`` interactively, one line at the end headless.

    Takes tqdm's arguments.  ``inner`` (default: decided as the module docstring says)
    marks a bar nested in another one: silent headless unless ``S2I_PROGRESS=all``."""
    if inner is None:
        inner = kwargs.get("leave") is False or running()
    if kwargs.get("disable"):
        from tqdm.std import tqdm as text_tqdm
        return text_tqdm(*args, **kwargs)
    if not headless():
        from tqdm.auto import tqdm as auto_tqdm
        if inner:
            kwargs.setdefault("leave", False)
        return _register(auto_tqdm(*args, **kwargs))
    show = level()
    if show == "none" or (inner and show != "all"):
        from tqdm.std import tqdm as text_tqdm
        kwargs["disable"] = True
        return text_tqdm(*args, **kwargs)
    if _terminal():
        from tqdm.std import tqdm as text_tqdm
        kwargs.setdefault("ascii", True)
        return _register(text_tqdm(*args, **kwargs))
    return _register(LineBar(*args, **kwargs))


def _register(bar):
    _OPEN.add(bar)
    return bar


def _terminal() -> bool:
    """Headless but writing to a real terminal (``make reproduce``'s own process)."""
    try:
        return sys.stderr.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def format_seconds(seconds: float) -> str:
    """``0.4 s``, ``31 s``, ``12.5 min``: short, and matched by the nbval sanitize file."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 100:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def _plural(unit: str) -> str:
    return unit + ("es" if unit.endswith(("s", "x", "sh", "tch")) else "s")


def _tqdm_class():
    from tqdm.std import tqdm as text_tqdm
    return text_tqdm


class _Nowhere(io.TextIOBase):
    """A text stream that keeps nothing (a finished-line bar draws no live bar)."""

    def write(self, text):
        return len(text)


class LineBar(_tqdm_class()):
    """A tqdm bar that draws nothing while it runs and prints one line when it closes:
    ``desc: n/total unit in time`` (with ``(from k)`` when it resumed at ``k`` and
    ``(stopped)`` when it closed before reaching ``total``).  It has tqdm's whole API
    (``update``, ``set_postfix``, ``write``, use as an iterator or context manager)."""

    def __init__(self, *args, **kwargs):
        kwargs["file"] = _Nowhere()
        kwargs["mininterval"] = float("inf")
        kwargs.pop("leave", None)
        kwargs["disable"] = False          # tqdm's None would mean "off, not a terminal"
        self._first = int(kwargs.get("initial", 0) or 0)
        super().__init__(*args, **kwargs)

    def summary(self) -> str:
        """The line this bar prints when it closes."""
        unit = "" if self.unit in ("it", "") else f" {_plural(self.unit) if self.n != 1 else self.unit}"
        count = f"{self.n}/{self.total}" if self.total else f"{self.n}"
        notes = ""
        if self._first:
            notes += f" (from {self._first})"
        if self.total and self.n < self.total:
            notes += " (stopped)"
        elapsed = self._time() - self.start_t
        return f"{self.desc or 'done'}: {count}{unit}{notes} in {format_seconds(elapsed)}"

    def close(self):
        if self.disable:             # closed already (tqdm sets ``disable`` on close)
            return
        line = self.summary()
        super().close()
        try:
            print(line, file=sys.stdout, flush=True)
        except (AttributeError, ValueError, OSError):   # stdout gone at interpreter exit
            pass
