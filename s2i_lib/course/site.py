"""The course site: the executed notebooks of one run as static web pages.

:func:`build_site` renders every executed notebook of ``results/<profile>/notebooks/`` with
nbconvert's HTML exporter and the course's template (``site_template/s2i``: nbconvert's
lab page with links to the index and to the previous and next notebook) into
``results/<profile>/site/``, beside an index page that lists the notebooks with their run
times and status and holds the reproduction report (:mod:`s2i_lib.course.report`).

Pages work offline: figures are embedded in the page, audio players carry their sound as
data, widgets show the static output the notebook saved, and MathJax (its one-file SVG
build, which needs no fonts) is copied into the site's ``_static/`` instead of being fetched
from a CDN; nothing else is loaded from the network.  ``make site`` builds it, and
``make reproduce`` ends with it.
"""
from __future__ import annotations

import html
import os
import shutil
import sys
from pathlib import Path
from typing import List, Optional

from ..cache import write_text
from .runs import resolve

__all__ = ["TEMPLATE_DIR", "MATHJAX_VERSION", "MATHJAX_FILE", "mathjax_source", "page_name", "build_site"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "site_template"
MATHJAX_VERSION = "3.2.2"
MATHJAX_FILE = "tex-svg-full.js"


def mathjax_source() -> Path:
    """MathJax's one-file build that the site copies (``tex-svg-full.js``): from
    ``$S2I_MATHJAX`` if set, else where ``make setup`` put it
    (``<venv>/share/s2i/mathjax/``, from npm's ``mathjax@3.2.2``)."""
    env = os.environ.get("S2I_MATHJAX")
    p = Path(env) if env else Path(sys.prefix) / "share" / "s2i" / "mathjax" / MATHJAX_FILE
    if not p.exists():
        raise FileNotFoundError(f"{p}: MathJax is missing; `make setup` fetches it from npm (mathjax@{MATHJAX_VERSION}), "
                                f"or set S2I_MATHJAX to a {MATHJAX_FILE} you have")
    return p


def page_name(notebook: Path) -> str:
    return Path(notebook).with_suffix(".html").name


def _title(nb, fallback: str) -> str:
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and first.source.startswith("# "):
        return first.source.splitlines()[0][2:].strip()
    return fallback


def _exporter():
    from nbconvert import HTMLExporter
    return HTMLExporter(template_name="s2i", extra_template_basedirs=[str(TEMPLATE_DIR)],
                        mathjax_url=f"_static/{MATHJAX_FILE}")


def _render(nb, name: str, nav: dict, out: Path) -> Path:
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": name}, "s2i_nav": nav})
    return write_text(out, body)


def _index_notebook(pages: List[dict], results_dir, profile: str):
    import nbformat
    from .report import write_report
    rows = "\n".join(f"| [{html.escape(p['title'])}]({p['href']}) | {p['seconds']} | {p['status']} |" for p in pages)
    intro = (f"# s2i: generating images from sound — the course, profile {profile}\n\n"
             "Every notebook of this run, executed, with its figures, sounds and tables. "
             "The reproduction report below gathers every claim with its verdict.\n\n"
             "| notebook | run time (s) | status |\n|---|---|---|\n" + rows)
    cells = [nbformat.v4.new_markdown_cell(intro)]
    try:
        report = Path(write_report(results_dir, profile)).read_text()
        cells.append(nbformat.v4.new_markdown_cell(report.replace("# Reproduction report", "## Reproduction report", 1)))
    except FileNotFoundError as e:
        cells.append(nbformat.v4.new_markdown_cell(f"*No reproduction report: {e}*"))
    return nbformat.v4.new_notebook(cells=cells)


def build_site(results_dir="results", profile: str = "course", out: Optional[Path] = None) -> Path:
    """Render the executed notebooks of ``results/<profile>/notebooks/`` and an index page
    into ``out`` (default ``results/<profile>/site/``); returns the index page's path.
    Raises ``FileNotFoundError`` naming the folder when it holds no executed notebook."""
    import nbformat
    results = resolve(results_dir) / profile
    executed = sorted((results / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not executed:
        raise FileNotFoundError(f"{results / 'notebooks'}: no executed notebooks; run them first "
                                f"(make reproduce PROFILE={profile})")
    site = Path(out) if out else results / "site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "_static").mkdir(exist_ok=True)
    shutil.copyfile(mathjax_source(), site / "_static" / MATHJAX_FILE)
    from .report import run_times
    nbs = [nbformat.read(str(p), as_version=4) for p in executed]
    times = run_times(results_dir, profile)
    pages = [{"href": page_name(p), "title": _title(nb, p.stem),
              "seconds": "-" if times.get(p.stem) is None else f"{times[p.stem]:.0f}",
              "status": "error" if any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code"
                                       for o in c.get("outputs", [])) else "ok"} for p, nb in zip(executed, nbs)]
    for i, (p, nb) in enumerate(zip(executed, nbs)):
        nav = {"index": "index.html", "prev": pages[i - 1] if i else None, "next": pages[i + 1] if i + 1 < len(pages) else None}
        _render(nb, p.stem, nav, site / page_name(p))
    index = _index_notebook(pages, results_dir, profile)
    return _render(index, f"s2i course, {profile}", {"index": "index.html", "prev": None, "next": pages[0]}, site / "index.html")
