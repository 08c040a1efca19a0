"""Figures, audio players and widgets shared by the notebooks.

Everything here degrades to static output: audio players are HTML5 ``<audio>``
elements (they play in an exported HTML page), and :func:`explore` shows an
ipywidgets control interactively but a fixed set of static figures when headless.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence

import numpy as np

from .progress import headless


def use_course_style() -> None:
    """One look for every figure of the course."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    sns.set_theme(context="notebook", style="whitegrid", font_scale=0.9)
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "axes.titlesize": 10,
                         "figure.autolayout": False})


def audio_player(wav: np.ndarray, sample_rate: int):
    """An audio player for a mono waveform; normalise off so loudness differences stay audible."""
    from IPython.display import Audio
    return Audio(np.asarray(wav, dtype=np.float32), rate=int(sample_rate), normalize=False)


def audio_table(items: Sequence[dict], sample_rate: int, image_px: int = 64):
    """Cards of pairs: image, label, caption and an audio player each.

    ``items``: dicts with ``image`` (uint8 HxWx3), ``wav`` (float mono), ``label`` and an
    optional ``caption``.  Works in JupyterLab and in a static HTML export.
    """
    import base64
    import io
    from IPython.display import HTML
    from PIL import Image
    cells = []
    for it in items:
        buf = io.BytesIO()
        Image.fromarray(it["image"]).resize((image_px * 2, image_px * 2), Image.NEAREST).save(buf, format="PNG")
        img64 = base64.b64encode(buf.getvalue()).decode()
        player = audio_player(it["wav"], sample_rate)._repr_html_()
        cells.append(f"<div style='text-align:center;padding:4px;width:310px'>"
                     f"<img src='data:image/png;base64,{img64}' width='{image_px * 2}'/><br/><b>{it['label']}</b>"
                     f"<br/><small>{it.get('caption', '')}</small><br/>{player}</div>")
    # a wrapping row of cards: as many per line as the page is wide, in JupyterLab and in HTML
    return HTML("<div style='display:flex;flex-wrap:wrap;gap:6px'>" + "".join(cells) + "</div>")


def image_grid(images: Sequence[np.ndarray], titles: Optional[Sequence[str]] = None, ncols: int = 8,
               size: float = 1.4, suptitle: Optional[str] = None):
    """A grid of images with optional titles; returns the figure."""
    import matplotlib.pyplot as plt
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.ravel()[i]
        ax.imshow(img)
        if titles is not None:
            ax.set_title(titles[i], fontsize=7)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def clip_timeline(frames: np.ndarray, frame_times: np.ndarray, audio: np.ndarray, sample_rate: int,
                  n_thumbs: int = 8, spans: Sequence[dict] = (), marks: Sequence[float] = (),
                  title: str = ""):
    """A clip on one time axis: thumbnails of frames above its waveform.

    ``spans``: dicts with ``start``, ``end``, ``color`` and ``label`` shaded on the
    waveform (e.g. ground-truth intervals); ``marks``: times drawn as vertical lines
    (e.g. the frames a strategy picked).
    """
    import matplotlib.pyplot as plt
    duration = len(audio) / sample_rate
    fig = plt.figure(figsize=(10, 3.6))
    gs = fig.add_gridspec(2, n_thumbs, height_ratios=[1, 1.4], hspace=0.35)
    idx = np.linspace(0, len(frames) - 1, n_thumbs).round().astype(int)
    for j, i in enumerate(idx):
        ax = fig.add_subplot(gs[0, j])
        ax.imshow(frames[i])
        ax.set_title(f"t={frame_times[i]:.2f} s", fontsize=7)
        ax.axis("off")
    ax = fig.add_subplot(gs[1, :])
    t = np.arange(len(audio)) / sample_rate
    ax.plot(t, audio, lw=0.4, color="0.2")
    seen = set()
    for s in spans:
        lab = s.get("label") if s.get("label") not in seen else None
        seen.add(s.get("label"))
        ax.axvspan(s["start"], s["end"], color=s.get("color", "tab:red"), alpha=0.25, label=lab)
    for m in marks:
        ax.axvline(m, color="tab:blue", lw=0.8, ls="--")
    ax.set_xlim(0, duration)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    if seen - {None}:
        ax.legend(loc="upper right", fontsize=7)
    if title:
        fig.suptitle(title)
    return fig


def explore(fn: Callable, static_values: Sequence[Dict], **controls):
    """Interactive exploration that survives a static export.

    Interactively (JupyterLab), ``ipywidgets.interact(fn, **controls)``.  Headless or
    without ipywidgets, ``fn`` is called once for each dict of ``static_values``, so an
    HTML rendering shows those figures instead of a blank widget box.
    """
    if not headless():
        try:
            import ipywidgets as w
            return w.interact(fn, **controls)
        except ImportError:
            pass
    for kwargs in static_values:
        fn(**kwargs)


def show_source(obj) -> None:
    """Display the source code of a library function in the notebook, so the few lines
    that are a paper's idea are read where they are taught (one implementation only)."""
    import inspect
    from IPython.display import Markdown, display
    display(Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```\n*(from `{obj.__module__}`)*"))
