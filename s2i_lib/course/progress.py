"""Progress bars that suit where the code runs.

In JupyterLab a notebook gets tqdm's widget bar; run headless (papermill, nbval, CI,
``make reproduce`` -- they set ``S2I_HEADLESS=1``) or in a terminal it gets a plain text
bar that leaves readable text in a saved notebook instead of a blank widget box.
"""
from __future__ import annotations

import os
import sys


def headless() -> bool:
    """True when no interactive front end will show widgets."""
    return os.environ.get("S2I_HEADLESS", "") not in ("", "0", "false", "no")


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm`` interactively, a text bar (updated at most every few seconds)
    when headless."""
    if headless():
        from tqdm.std import tqdm as text_tqdm
        kwargs.setdefault("mininterval", 5.0)
        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("ascii", True)
        return text_tqdm(*args, **kwargs)
    from tqdm.auto import tqdm as auto_tqdm
    return auto_tqdm(*args, **kwargs)
