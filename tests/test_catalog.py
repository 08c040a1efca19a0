"""The course catalog (notebook 00's map) against the notebooks folder, the reference
table and the README."""
from pathlib import Path

import pytest

from s2i_lib.course import catalog
from s2i_lib.course.execution import list_notebooks
from s2i_lib.course.references import REFERENCES

ROOT = Path(__file__).resolve().parent.parent


def test_every_notebook_has_one_entry_and_every_entry_a_notebook():
    assert [p.stem for p in list_notebooks(ROOT / "notebooks")] == [e.stem for e in catalog.CATALOG]
    assert all(e.stem.startswith(e.number + "_") for e in catalog.CATALOG)


def test_a_notebook_needs_only_earlier_ones_and_cites_known_papers():
    for e in catalog.CATALOG:
        assert all(n < e.number for n in e.needs), e.stem
        assert all(k in REFERENCES for k in e.papers), e.stem
    # the five papers of ../shared/papers/CITATIONS.md
    assert set(catalog.paper_keys()) == {"chen2017", "kang2017", "wan2019", "anonymous2019", "sungbin2023"}


def test_requirements_are_transitive_and_ordered():
    assert catalog.requirements("03") == ["01", "02"]
    assert catalog.requirements("06_sound2scene") == ["01", "02", "04", "05"]
    assert catalog.requirements("00") == []
    with pytest.raises(KeyError, match="no notebook '09'"):
        catalog.entry("09")


def test_the_readme_lists_every_notebook():
    readme = (ROOT / "README.md").read_text()
    missing = [e.filename for e in catalog.CATALOG if e.filename not in readme]
    assert not missing, f"README.md does not list {missing}"


def test_the_paper_profile_estimates_cover_every_training_notebook_and_say_they_are_estimates():
    est = catalog.paper_estimates()
    assert sorted(est) == ["02", "03", "04", "05", "06"]
    for nb, e in est.items():
        assert 0 < e["gpu_hours_8"] <= e["gpu_hours_4"] <= e["gpu_hours_1"] < e["cpu_hours"], nb
    import json
    raw = json.loads(catalog.ESTIMATES.read_text())
    assert raw["estimate"] is True and raw["measured_on_gpu"] is False
    assert all(e.gpu_seconds is None for e in catalog.CATALOG)          # none measured, so none claimed
    readme = (ROOT / "README.md").read_text()
    assert f"| 04 | {raw['notebooks']['04']['iterations']:,} |" in readme  # the README's table is this file's
    assert catalog.paper_estimates(ROOT / "no such file.json") == {}
