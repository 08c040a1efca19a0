"""The course's references table, and every author-year citation in the notebooks and the
library's docstrings checked against it."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from s2i_lib.course.references import REFERENCES, check_citations, cite, find_citations, reference

ROOT = Path(__file__).resolve().parent.parent
CITATIONS_MD = ROOT.parent / "shared" / "papers" / "CITATIONS.md"


# ---------------------------------------------------------------- the table

def test_cite_and_reference_formats():
    assert cite("wan2019") == "Wan et al. 2019"
    assert cite("kang2017") == "Kang & Kymn 2017"
    assert cite("miyato2018projection") == "Miyato & Koyama 2018"
    assert cite("goodfellow2016") == "Goodfellow 2016"
    assert cite("anonymous2019") == "anonymous (2019)"
    assert cite("sungbin2023") == "Sung-Bin et al. 2023"
    assert reference("wan2019") == ("Chia-Hung Wan, Shun-Po Chuang, Hung-Yi Lee. Towards Audio to Scene Image "
                                    "Synthesis using Generative Adversarial Network. IEEE ICASSP, 2019.")
    for key in REFERENCES:  # what cite() writes, the checker accepts
        assert check_citations(f"as {cite(key)} showed") == [], key


@pytest.mark.skipif(not CITATIONS_MD.exists(), reason="../shared/papers/CITATIONS.md is not beside this checkout")
def test_the_five_papers_are_as_citations_md_gives_them():
    rows = [line.split("|")[1:-1] for line in CITATIONS_MD.read_text().splitlines() if line.startswith("| ")]
    rows = [[c.strip() for c in r] for r in rows if r and r[0].strip().endswith(".txt")]
    assert len(rows) == 5
    by_file = {"wan2019": "wan2019", "chen2017": "chen2017", "kang2017": "kang2017", "anon": "anonymous2019",
               "sungbin2023": "sungbin2023"}
    for file, authors, title, _ in rows:
        key = next(v for k, v in by_file.items() if file.startswith(k))
        assert REFERENCES[key].title == title, key
        if key != "anonymous2019":
            assert ", ".join(REFERENCES[key].authors) == authors, key
    others = CITATIONS_MD.read_text().split("Other works the course leans on", 1)[1]
    for line in re.findall(r"^- (.+)$", others, flags=re.M):
        who, what = line.split(", ", 1)[0], line
        match = [r for r in REFERENCES.values() if r.title in what]
        assert len(match) == 1, line
        assert what.startswith(", ".join(match[0].authors) if "et al." not in who else who), line


# ---------------------------------------------------------------- the checker

def test_checker_accepts_right_citations():
    text = ("Chen et al. 2017, *Deep cross-modal audio-visual generation*; Kang & Kymn (2017); Kang & Kymn's "
            "critic; Wan et al.'s ladder; Wan, Chuang & Lee 2019; Miyato & Koyama, and Miyato et al. 2018; "
            "Sung-Bin et al. 2023, *Sound2Scene*; van den Oord et al. 2018; Chen et al. 2020 (SimCLR); "
            "MS and STFT; Positive and Negative answers")
    assert check_citations(text) == []
    assert len(find_citations(text)) == 10


@pytest.mark.parametrize("text,why", [
    ("Wan, Chuang, Hsu and Hsieh 2019", "no cited work has these authors"),   # the old, wrong author list
    ("Wan, Chuang, Hsu and Hsieh (2019), a paper", "no cited work"),
    ("Wan, Chuang & Hsu", "no cited work"),                                   # missing and extra authors
    ("Kang et al. 2017", "no cited work"),                                    # two authors are not "et al."
    ("Kymn & Kang 2017", "no cited work"),                                    # order matters
    ("Smith et al. (2020)", "no cited work"),                                 # unknown work
    ("Wan et al. 2018", "from 2018"),                                         # wrong year
    ("Chen et al. 2017, *Hearing is seeing*", "title"),                       # another work's title
])
def test_checker_rejects_wrong_citations(text, why):
    problems = check_citations(text, where="x: ")
    assert len(problems) == 1 and why in problems[0] and problems[0].startswith("x: ")


# ---------------------------------------------------------------- the course's own text

def notebook_texts():
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text())["cells"]):
            yield f"{nb.name}, cell {i}: ", "".join(cell["source"])


def docstrings():
    for py in sorted((ROOT / "s2i_lib").rglob("*.py")):
        for node in ast.walk(ast.parse(py.read_text(), filename=str(py))):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{py.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}: ", doc


@pytest.mark.parametrize("source", [notebook_texts, docstrings], ids=["notebooks", "docstrings"])
def test_every_citation_is_in_the_table(source):
    texts = list(source())
    assert sum(len(find_citations(t)) for _, t in texts) > 20  # the scan does find the citations
    problems = [p for where, t in texts for p in check_citations(t, where)]
    assert not problems, "citations that do not match s2i_lib.course.references:\n" + "\n".join(problems)
