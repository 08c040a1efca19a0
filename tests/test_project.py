"""Conventions of the project itself: pins in step, notebooks committed clean."""
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_environment_yml_mirrors_pyproject_pins():
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = (ROOT / "environment.yml").read_text()
    listed = re.findall(r"^\s+- ([A-Za-z0-9_.-]+==[^\s]+)$", env, flags=re.M)
    assert sorted(listed) == sorted(pins)
    assert "python=3.11" in env


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
    # plain literals only: every line is NAME = literal (or a comment)
    for line in src.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            assert re.match(r"^[A-Z_][A-Z0-9_]* = (\"[^\"]*\"|'[^']*'|-?\d+(\.\d+)?|True|False|None)\s*(#.*)?$", line), line
    first = data["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")
