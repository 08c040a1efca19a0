"""The exercises' solutions.

An exercise that asks the student to write a paper component ends its folded solution with
asserts against the library.  A solution block whose first line is
``# runs on its own`` needs nothing from the notebook's state; this test extracts every such
block from the notebooks' Markdown and runs it in a fresh namespace, so a change of the
library that breaks a solution (or a solution that never passed) fails here.  Each notebook
has at least one.

The other solutions use the notebook's state (its data and trained models) and are too slow to
run here; they are checked statically instead: every name a solution reads must be defined by
the solution itself, by one of the notebook's code cells, or be a builtin, and every attribute
it takes of a library module (``course.represent``, ``train.fit_classifier``) must exist.  A
module renamed in the library and left in a solution fails here.
"""
import ast
import builtins
import importlib
import re
from pathlib import Path

import nbformat
import pytest

from s2i_lib.course.execution import list_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = list_notebooks(ROOT / "notebooks")
MARK = "# runs on its own"
FENCE = re.compile(r"^[ \t]*```python[ \t]*\n(.*?)^[ \t]*```", re.S | re.M)


def code_blocks(path):
    """Every ```python block of the notebook's Markdown cells, dedented, as (cell index, code)."""
    out = []
    for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown":
            continue
        for m in FENCE.finditer(cell.source):
            lines = m.group(1).splitlines()
            indent = min((len(x) - len(x.lstrip()) for x in lines if x.strip()), default=0)
            out.append((i, "\n".join(x[indent:] for x in lines)))
    return out


def solution_blocks(path):
    """The self-contained solution blocks of one notebook (first line ``MARK``)."""
    return [(i, code) for i, code in code_blocks(path) if code.lstrip().startswith(MARK)]


def stored_names(tree):
    """The names a piece of code defines: assignments, loop and with targets, functions,
    classes, imports, function arguments, exception names."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def library_aliases(tree):
    """{name in the notebook: module path} for the notebook's imports of s2i_lib modules."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("s2i_lib"):
            for a in node.names:
                path = f"{node.module}.{a.name}"
                try:
                    importlib.import_module(path)
                except ImportError:
                    continue                            # a function or class, not a module
                out[a.asname or a.name] = path
    return out


def notebook_code(path):
    cells = nbformat.read(path, as_version=4).cells
    src = "\n".join(c.source for c in cells if c.cell_type == "code")
    return ast.parse("\n".join(line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))))


def test_the_fence_pattern_finds_indented_blocks():
    md = "1. **Ex.**\n   ```python\n   # runs on its own\n   x = 1\n   assert x == 1\n   ```\n"
    blocks = [m.group(1) for m in FENCE.finditer(md)]
    assert len(blocks) == 1 and "assert x == 1" in blocks[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_self_checking_solutions_pass(path, tmp_path, monkeypatch):
    blocks = solution_blocks(path)
    assert blocks, f"{path.name}: no exercise solution starts with {MARK!r}"
    monkeypatch.chdir(tmp_path)
    for i, code in blocks:
        assert "assert" in code, f"{path.name}, cell {i}: a self-checking solution without an assert"
        exec(compile(code, f"{path.name}:cell{i}", "exec"), {"__name__": "__exercise__"})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_solution_uses_names_that_exist(path):
    nb_tree = notebook_code(path)
    known = stored_names(nb_tree) | set(dir(builtins))
    aliases = library_aliases(nb_tree)
    problems = []
    for i, code in code_blocks(path):
        try:
            tree = ast.parse(code)
        except SyntaxError as e:
            problems.append(f"cell {i}: does not parse ({e.msg}, line {e.lineno})")
            continue
        own = stored_names(tree)
        known |= own                        # a later block of the same solution may use what this one defines
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known | own:
                problems.append(f"cell {i}: {node.id!r} is defined neither by the solution nor by the notebook")
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.value.id not in own
                    and not hasattr(importlib.import_module(aliases[node.value.id]), node.attr)):
                problems.append(f"cell {i}: {aliases[node.value.id]} has no {node.attr!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(sorted(set(problems)))


def test_the_static_check_catches_a_renamed_module(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from s2i_lib import course\nx = 1"),
        nbformat.v4.new_markdown_cell("```python\ny = encoders.represent(x)\nz = course.no_such_thing\n```")])
    p = tmp_path / "99_probe.ipynb"
    nbformat.write(nb, p)
    with pytest.raises(AssertionError) as e:
        test_every_solution_uses_names_that_exist(p)
    assert "'encoders' is defined neither" in str(e.value) and "has no 'no_such_thing'" in str(e.value)

