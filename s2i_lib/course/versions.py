"""Student and instructor versions of a notebook, from the one source.

In the source notebooks every exercise is a numbered bold title in a Markdown cell
(``2. **How many neighbours?** ...``) followed by its solution folded in
``<details><summary>Solution</summary> ... </details>``.  From that:

- the **student version** (:func:`student_version`) keeps the exercise's text, drops the
  folded solution and puts after it a code cell tagged ``exercise`` that raises
  ``NotImplementedError`` naming the exercise, for the student to replace;
- the **instructor version** (:func:`instructor_version`) keeps every cell of the source
  and unfolds each solution into cells tagged ``solution``: its prose as Markdown and each
  of its ``python`` blocks as a code cell, so that executing the notebook runs the
  solutions in the notebook's own state (the tests do, in the smoke profile).

:func:`write_versions` writes both for every notebook (``make student``: under
``results/student/`` and ``results/instructor/``).  A solution outside a ``<details>`` block,
or a ``<details>`` block that is not closed, is not something this module guesses about: it
raises :class:`VersionError` naming the notebook and the cell.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import nbformat

__all__ = ["VersionError", "EXERCISE_TAG", "SOLUTION_TAG", "student_version", "instructor_version",
           "solution_code", "write_versions"]

EXERCISE_TAG, SOLUTION_TAG = "exercise", "solution"
_DETAILS = re.compile(r"<details>\s*<summary>\s*Solution\s*</summary>(.*?)</details>[ \t]*\n?", re.S | re.I)
_TITLE = re.compile(r"^[ \t]*(\d+)\.[ \t]+\*\*(.+?)\*\*", re.M)
_FENCE = re.compile(r"^[ \t]*```python[ \t]*\n(.*?)^[ \t]*```[ \t]*$\n?", re.S | re.M)


class VersionError(ValueError):
    """A source notebook whose exercises cannot be split into the two versions."""


def _pieces(text: str) -> List[Tuple[str, str]]:
    """The Markdown ``text`` as ("text", ...) and ("solution", body) pieces, in order."""
    out, pos = [], 0
    for m in _DETAILS.finditer(text):
        out.append(("text", text[pos:m.start()]))
        out.append(("solution", m.group(1)))
        pos = m.end()
    out.append(("text", text[pos:]))
    return [(kind, body) for kind, body in out if kind == "solution" or body.strip()]


def _check(source: str, where: str) -> None:
    opened = len(re.findall(r"<details>", source, re.I))
    if opened != len(_DETAILS.findall(source)):
        raise VersionError(f"{where}: a <details> block without a closing </details> or without "
                           f"<summary>Solution</summary>")


def _titles(pieces, before_index: int) -> Tuple[str, str]:
    """The number and title of the last exercise named before piece ``before_index``."""
    for kind, body in reversed(pieces[:before_index]):
        if kind == "text":
            found = _TITLE.findall(body)
            if found:
                return found[-1]
    return "", ""


def _dedent(code: str) -> str:
    lines = code.splitlines()
    indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
    return "\n".join(x[indent:] for x in lines).strip("\n")


def solution_code(body: str) -> List[str]:
    """The ``python`` blocks of one solution, dedented."""
    return [_dedent(m.group(1)) for m in _FENCE.finditer(body)]


def _tagged(cell, tag: str):
    cell.metadata["tags"] = list(cell.metadata.get("tags", [])) + [tag]
    return cell


def _split(nb, name: str, make_solution) -> "nbformat.NotebookNode":
    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or "<details" not in cell.source.lower():
            cells.append(copy.deepcopy(cell))
            continue
        _check(cell.source, f"{name}, cell {i}")
        pieces = _pieces(cell.source)
        for j, (kind, body) in enumerate(pieces):
            if kind == "text":
                cells.append(nbformat.v4.new_markdown_cell(body.strip("\n")))
            else:
                number, title = _titles(pieces, j)
                if not number:
                    raise VersionError(f"{name}, cell {i}: a solution with no numbered **title** before it")
                cells.extend(make_solution(number, title, body))
    out.cells = cells
    for k, cell in enumerate(out.cells):                 # ids unique and the same on every run
        cell["id"] = f"v{k:03d}"
    return out


def student_version(nb, name: str = "notebook"):
    """``nb`` without its solutions: after each exercise, a code cell tagged ``exercise``
    that raises ``NotImplementedError`` telling what to write."""
    def stub(number, title, body):
        text = (f"# Exercise {number}: {title}\n"
                f"# Replace this line with your code (the exercise above says what it should do).\n"
                f"raise NotImplementedError(\"Exercise {number} ({title}): write your solution here\")")
        return [_tagged(nbformat.v4.new_code_cell(text), EXERCISE_TAG)]
    return _split(nb, name, stub)


def instructor_version(nb, name: str = "notebook"):
    """``nb`` with every solution unfolded into cells tagged ``solution``: a heading, its
    prose as Markdown and each ``python`` block as a code cell."""
    def unfold(number, title, body):
        cells = [_tagged(nbformat.v4.new_markdown_cell(f"**Solution to exercise {number}** ({title})"), SOLUTION_TAG)]
        pos = 0
        for m in _FENCE.finditer(body):
            if body[pos:m.start()].strip():
                cells.append(_tagged(nbformat.v4.new_markdown_cell(body[pos:m.start()].strip()), SOLUTION_TAG))
            cells.append(_tagged(nbformat.v4.new_code_cell(_dedent(m.group(1))), SOLUTION_TAG))
            pos = m.end()
        if body[pos:].strip():
            cells.append(_tagged(nbformat.v4.new_markdown_cell(body[pos:].strip()), SOLUTION_TAG))
        return cells
    return _split(nb, name, unfold)


def write_versions(notebooks: Sequence[Path], out_dir: Path, which: Sequence[str] = ("student", "instructor")) -> List[Path]:
    """Both versions of each notebook into ``<out_dir>/student/`` and ``<out_dir>/instructor/``;
    returns the paths written."""
    makers = {"student": student_version, "instructor": instructor_version}
    written = []
    for path in notebooks:
        nb = nbformat.read(str(path), as_version=4)
        for w in which:
            dest = Path(out_dir) / w / Path(path).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(makers[w](nb, Path(path).name), str(dest))
            written.append(dest)
    return written
