"""Student and instructor versions of every notebook (make student): the student version
keeps no solution and stops at each exercise with a NotImplementedError; the instructor
version is the source with every solution unfolded into runnable cells (the notebook
harness executes it).  Malformed exercises are named, not guessed."""
from pathlib import Path

import nbformat
import pytest

from s2i_lib.course import versions
from s2i_lib.course.execution import list_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = list_notebooks(ROOT / "notebooks")


def _solutions(nb):
    return [body for c in nb.cells if c.cell_type == "markdown"
            for kind, body in versions._pieces(c.source) if kind == "solution"]


def _without_details(text):
    # the source's Markdown with every <details> ... </details> span cut out, by plain search
    while "<details>" in text and "</details>" in text:
        a = text.index("<details>")
        text = text[:a] + text[text.index("</details>", a) + len("</details>"):]
    return text


def _tagged(nb, tag):
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_student_version_has_no_solution_and_a_stub_per_exercise(path):
    nb = nbformat.read(str(path), as_version=4)
    sols = _solutions(nb)
    student = versions.student_version(nb, path.name)
    text = "\n".join(c.source for c in student.cells)
    assert sols and "<details" not in text.lower() and not _tagged(student, versions.SOLUTION_TAG)
    lines = {ln.strip() for body in sols for code in versions.solution_code(body) for ln in code.splitlines()
             if len(ln.strip()) > 25 and not ln.strip().startswith("#")}
    kept = "\n".join(c.source if c.cell_type == "code" else _without_details(c.source) for c in nb.cells)
    leaked = [ln for ln in lines if ln in text and ln not in kept]     # in the student version, yet only in a solution
    assert not leaked, f"{path.name}: solution lines left in the student version: {leaked[:3]}"
    stubs = _tagged(student, versions.EXERCISE_TAG)
    assert len(stubs) == len(sols)
    for k, stub in enumerate(stubs):
        with pytest.raises(NotImplementedError, match=r"Exercise \d+ \("):
            exec(compile(stub.source, f"{path.name}:stub{k}", "exec"), {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_instructor_version_keeps_every_cell_and_unfolds_every_solution(path):
    nb = nbformat.read(str(path), as_version=4)
    teacher = versions.instructor_version(nb, path.name)
    code = [c.source for c in teacher.cells if c.cell_type == "code" and versions.SOLUTION_TAG not in c.metadata.get("tags", [])]
    assert code == [c.source for c in nb.cells if c.cell_type == "code"]              # the notebook's own code, in order
    unfolded = [c.source for c in _tagged(teacher, versions.SOLUTION_TAG) if c.cell_type == "code"]
    assert unfolded == [b for body in _solutions(nb) for b in versions.solution_code(body)]
    assert [c for c in teacher.cells if "parameters" in c.metadata.get("tags", [])]       # papermill can still inject


def _nb(markdown):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell(markdown)])


def test_two_exercises_in_one_cell_split_in_order():
    nb = _nb("## Exercises\n\n1. **First.** Do a.\n\n<details><summary>Solution</summary>\n\n```python\na = 1\n```\n"
             "Because.\n</details>\n\n2. **Second.** Do b.\n\n<details><summary>Solution</summary>\n\n```python\nb = 2\n```\n</details>\n")
    student = versions.student_version(nb)
    kinds = [(c.cell_type, versions.EXERCISE_TAG in c.metadata.get("tags", [])) for c in student.cells]
    assert kinds == [("code", False), ("markdown", False), ("code", True), ("markdown", False), ("code", True)]
    assert "Exercise 2 (Second.)" in student.cells[4].source and "a = 1" not in "".join(c.source for c in student.cells)
    teacher = versions.instructor_version(nb)
    assert [c.source for c in teacher.cells if c.cell_type == "code"] == ["x = 1", "a = 1", "b = 2"]
    assert any(c.source == "Because." for c in teacher.cells)


def test_malformed_exercises_are_named():
    with pytest.raises(versions.VersionError, match="cell 1: a <details> block without a closing"):
        versions.student_version(_nb("1. **A.**\n<details><summary>Solution</summary>\n```python\na = 1\n```\n"), "nb.ipynb")
    with pytest.raises(versions.VersionError, match="no numbered"):
        versions.instructor_version(_nb("Some text.\n<details><summary>Solution</summary>\nx\n</details>\n"))


def test_write_versions_writes_both(tmp_path):
    written = versions.write_versions(NOTEBOOKS[:1], tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        f"instructor/{NOTEBOOKS[0].name}", f"student/{NOTEBOOKS[0].name}"]
    assert all(nbformat.read(str(p), as_version=4).cells for p in written)
