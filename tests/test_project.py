"""Conventions of the project itself: pins in step, notebooks committed clean."""
import ast
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_environment_yml_mirrors_pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["test"]
    env = (ROOT / "environment.yml").read_text()
    listed = re.findall(r"^\s+- ([A-Za-z0-9_.-]+==[^\s]+)$", env, flags=re.M)
    assert sorted(listed) == sorted(pins)
    assert "python=3.11" in env
    makefile = (ROOT / "Makefile").read_text()
    assert all(pin in makefile for pin in project["optional-dependencies"]["test"])


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_source_notebook_is_clean_and_parametrised(nb):
    data = json.loads(nb.read_text())
    assert re.match(r"^\d\d_[a-z0-9_]+\.ipynb$", nb.name)
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    for c in code:
        assert not c.get("outputs"), f"{nb.name}: committed with outputs (clear them)"
        assert c.get("execution_count") is None, f"{nb.name}: committed with execution counts"
    params = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, f"{nb.name}: needs exactly one cell tagged `parameters`"
    src = "".join(params[0]["source"])
    assert 'PROFILE = "course"' in src
    # plain independent literals only: each statement is NAME = literal (a number, string,
    # bool, None, or a list of those), one per line; nothing computed, nothing imported
    tree = ast.parse(src)
    for stmt in tree.body:
        line = ast.get_source_segment(src, stmt)
        assert isinstance(stmt, ast.Assign) and len(stmt.targets) == 1, line
        assert isinstance(stmt.targets[0], ast.Name) and re.match(r"^[A-Z_][A-Z0-9_]*$", stmt.targets[0].id), line
        assert stmt.lineno == stmt.end_lineno, f"one line per parameter: {line}"
        value = ast.literal_eval(stmt.value)     # raises on anything that is not a literal
        items = value if isinstance(value, list) else [value]
        assert all(isinstance(v, (int, float, str, bool, type(None))) for v in items), line
    first = data["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")
