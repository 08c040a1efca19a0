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
