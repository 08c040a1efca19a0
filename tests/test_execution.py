"""execution.reproduce on a folder of tiny notebooks: DATA_DIR reaches every notebook,
failures raise (never exit) after the summary is written, and the command line turns
results into exit codes."""
import json
import os

import nbformat
import pytest

from s2i_lib import cli
from s2i_lib.course import execution
from s2i_lib.course.execution import ReproduceError, reproduce

RECORDS = '''
import json, pathlib
data = pathlib.Path(DATA_DIR)
data.mkdir(parents=True, exist_ok=True)
(data / (NAME + ".json")).write_text(json.dumps({"DATA_DIR": DATA_DIR, "PROFILE": PROFILE, "SEED": SEED}))
metrics = pathlib.Path(RESULTS_DIR) / PROFILE / "metrics" / (NAME + ".json")
metrics.parent.mkdir(parents=True, exist_ok=True)
metrics.write_text(json.dumps({"metrics": {"answer": 42.0, "verdict": "fine"}}))
print("wrote", NAME)
'''


def notebook(path, name, body):
    params = nbformat.v4.new_code_cell('PROFILE = "course"\nSEED = 0\nDATA_DIR = "data"\nRESULTS_DIR = "results"')
    params.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}"), params,
                                         nbformat.v4.new_code_cell(f"NAME = {name!r}\n" + body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path / f"{name}.ipynb"))


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A repository root with a notebooks folder: two that record their parameters, one that
    fails, and a scratch notebook that is not a course notebook."""
    monkeypatch.setenv("S2I_ROOT", str(tmp_path))
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    notebook(nbs, "01_first", RECORDS)
    notebook(nbs, "02_broken", 'raise ValueError("broken on purpose")')
    notebook(nbs, "03_third", RECORDS)
    notebook(nbs, "scratch", 'raise RuntimeError("must never run")')
    return tmp_path


def test_list_and_select_notebooks(course):
    names = [p.name for p in execution.list_notebooks(course / "notebooks")]
    assert names == ["01_first.ipynb", "02_broken.ipynb", "03_third.ipynb"]
    chosen = execution.select_notebooks(execution.list_notebooks(), ["03", "01"])
    assert [p.name for p in chosen] == ["01_first.ipynb", "03_third.ipynb"]
    with pytest.raises(ValueError, match="'04'"):
        execution.select_notebooks(chosen, ["04"])
    with pytest.raises(FileNotFoundError, match="no notebook folder"):
        execution.list_notebooks(course / "missing")


def test_data_dir_reaches_every_notebook_and_the_corpora(course, monkeypatch):
    made = []
    monkeypatch.setattr("s2i_lib.synthav.ensure_corpus",
                        lambda data, suite, profile, seed: made.append((data, suite, profile, seed)) or data / suite)
    res = reproduce("smoke", seed=3, results_dir="out", data_dir="my data", only=["01", "03"])
    data = course / "my data"                               # relative to the repository root
    assert made == [(data, "scenes", "smoke", 3), (data, "performances", "smoke", 3)]
    for name in ("01_first", "03_third"):
        seen = json.loads((data / f"{name}.json").read_text())
        assert seen == {"DATA_DIR": str(data), "PROFILE": "smoke", "SEED": 3}
    assert not (course / "data").exists() and not (course / "notebooks" / "data").exists()
    assert res.ok and res.out_dir == course / "out" / "smoke" and res.data_dir == data
    assert [n.name for n in res.notebooks] == ["01_first.ipynb", "03_third.ipynb"]
    for n in res.notebooks:
        assert n.executed.exists() and n.html.exists() and n.seconds > 0
    summary = res.summary.read_text()
    assert res.summary == course / "out" / "smoke" / "SUMMARY.md"
    assert "| 01_first.ipynb |" in summary and "| ok | answer=42, verdict=fine |" in summary
    assert str(data) in summary


def test_a_failing_notebook_raises_after_the_others_ran_and_the_summary_is_written(course, tmp_path):
    data = tmp_path / "elsewhere"
    with pytest.raises(ReproduceError) as info:
        reproduce("smoke", results_dir=tmp_path / "out", data_dir=data, prepare_data=False)
    assert not isinstance(info.value, SystemExit)
    res = info.value.result
    assert [n.name for n in res.failed] == ["02_broken.ipynb"]
    assert "ValueError" in res.failed[0].error and "02_broken" in str(info.value)
    assert [n.ok for n in res.notebooks] == [True, False, True]      # the third still ran
    assert (data / "03_third.json").exists()
    assert res.failed[0].executed.exists() and res.failed[0].html.exists()   # partial copy kept
    lines = res.summary.read_text().splitlines()
    broken = next(l for l in lines if l.startswith("| 02_broken.ipynb"))
    assert "FAILED" in broken and "ValueError" in broken and "no metrics written by this run" in broken


def test_an_unknown_profile_fails_before_running_anything(course):
    with pytest.raises(ValueError):
        reproduce("huge", prepare_data=False)
    assert not (course / "results").exists()


def test_cli_turns_results_into_exit_codes(monkeypatch, tmp_path, capsys):
    calls = []

    def ok(profile, seed, results, only, data_dir, timeout):
        calls.append((profile, seed, results, only, data_dir, timeout))

    monkeypatch.setattr(execution, "reproduce", ok)
    assert cli.main(["reproduce", "--profile", "smoke", "--seed", "1"]) == 0
    assert calls[-1] == ("smoke", 1, "results", None, "data", None)
    assert cli.main(["reproduce", "--data-dir", str(tmp_path), "--only", "01", "02"]) == 0
    assert calls[-1] == ("course", 0, "results", ["01", "02"], str(tmp_path), None)

    def fails(*args, **kwargs):
        nb = execution.NotebookResult("02_x.ipynb", tmp_path / "x", None, 1.0, "ValueError: boom")
        raise ReproduceError(execution.ReproduceResult("smoke", 0, tmp_path, tmp_path, tmp_path / "SUMMARY.md", [nb]))

    monkeypatch.setattr(execution, "reproduce", fails)
    assert cli.main(["reproduce"]) == 1
    assert "FAILED 02_x.ipynb: ValueError: boom" in capsys.readouterr().err

    def bad(*args, **kwargs):
        raise ValueError("no notebook starts with '09'")

    monkeypatch.setattr(execution, "reproduce", bad)
    assert cli.main(["reproduce", "--only", "09"]) == 2
    assert "'09'" in capsys.readouterr().err


# ----------------------------------------------------------------------------- dry runs
from dataclasses import fields as dataclass_fields

from s2i_lib.course import dryrun, profiles

STEP_FIELDS = {"encoders": {"audio_epochs", "image_epochs", "autoencoder_epochs", "soundnet_epochs"},
               "gan": {"s2i_steps", "pose_steps", "kang_steps", "i2s_steps", "ladder_steps", "eval_every"}}


def test_the_dry_profile_has_the_papers_networks_and_one_percent_of_its_steps():
    paper = profiles.get_profile("paper")
    dry = dryrun.dry_profile(paper)
    assert dry.name == "paper-dry" and "dry run of paper" in dry.description
    for part in ("encoders", "gan"):
        base, small = getattr(paper, part), getattr(dry, part)
        names = {f.name for f in dataclass_fields(base)}
        assert STEP_FIELDS[part] <= names
        for name in names:
            b, s = getattr(base, name), getattr(small, name)
            if name in STEP_FIELDS[part] or dryrun.is_scaled(name):
                assert s == max(1, round(b / 100)), (part, name, b, s)
                assert s < b or b == 1
            else:                                  # widths, sizes, batch sizes, rates, ratios, seeds: the paper's
                assert s == b, (part, name, b, s)
    assert (dry.gan.width, dry.gan.ladder_width, dry.gan.i2s_width, dry.gan.i2s_mels) == (64, 64, 32, 128)
    assert (dry.encoders.width, dry.encoders.image_size, dry.build.image_size) == (32, 64, 128)
    assert dry.gan.s2i_steps == paper.gan.s2i_steps // 100 and dry.encoders.audio_epochs == 1   # 40 epochs -> 1
    assert dry.build == paper.build
    for suite in ("scenes", "performances"):       # a small corpus of the same clips
        b, s = getattr(paper, suite), getattr(dry, suite)
        assert s.clips_per_class == max(dryrun.MIN_CLIPS, round(b.clips_per_class / 100)) < b.clips_per_class
        assert (s.clip_seconds, s.fps, s.frame_size, s.classes, s.sample_rate) == \
               (b.clip_seconds, b.fps, b.frame_size, b.classes, b.sample_rate)
    assert profiles.get_profile("paper").gan.s2i_steps == paper.gan.s2i_steps   # the paper profile is untouched
    half = dryrun.dry_profile(paper, fraction=0.5)
    assert half.gan.ladder_steps == paper.gan.ladder_steps // 2
    with pytest.raises(ValueError):
        dryrun.dry_profile(paper, fraction=0)
    assert dryrun.scaled(0) == 0 and dryrun.scaled(3) == 1 and dryrun.scaled(250) == 2


def test_a_dry_profile_is_found_by_name():
    dry = profiles.get_profile("paper-dry")                            # what runs.start and the recipes call
    assert dry == dryrun.dry_profile(profiles.get_profile("paper"))
    assert dryrun.dry_name("paper") == "paper-dry"
    for bad in ("huge-dry", "huge"):
        with pytest.raises(ValueError, match="unknown profile"):
            profiles.get_profile(bad)
    with pytest.raises(ValueError):
        dryrun.dry_name("paper-dry")
    with pytest.raises(ValueError):
        dryrun.dry_name("huge")


RUN_START = '''
import json, pathlib
from s2i_lib.course import runs
run = runs.start(NAME, profile=PROFILE, seed=SEED, data_dir=DATA_DIR, results_dir=RESULTS_DIR, quiet=True)
run.write_metrics({"s2i_steps": run.profile.gan.s2i_steps, "width": run.profile.gan.width})
print(run.out_dir)
'''


def test_reproduce_runs_a_dry_profile_into_its_own_folder(course, monkeypatch):
    for p in (course / "notebooks").glob("*.ipynb"):
        p.unlink()
    notebook(course / "notebooks", "01_start", RUN_START)
    made = []
    monkeypatch.setattr("s2i_lib.synthav.ensure_corpus",
                        lambda data, suite, profile, seed: made.append((suite, profile)) or data / suite)
    res = reproduce("smoke-dry", results_dir="out", data_dir="d")
    assert made == [("scenes", "smoke-dry"), ("performances", "smoke-dry")]
    assert res.ok and res.out_dir == course / "out" / "smoke-dry"
    # the notebook's kernel resolved the dry profile itself: the smoke networks, 1% of the steps
    metrics = json.loads((course / "out" / "smoke-dry" / "metrics" / "01_start.json").read_text())
    smoke = profiles.get_profile("smoke")
    assert metrics["metrics"] == {"s2i_steps": max(1, round(smoke.gan.s2i_steps / 100)), "width": smoke.gan.width}
    assert metrics["provenance"]["profile"] == "smoke-dry"
    assert not (course / "out" / "smoke").exists()


def test_cli_and_make_pass_the_dry_run(monkeypatch):
    import shutil
    import subprocess
    from s2i_lib.course.runs import repo_root
    calls = []
    monkeypatch.setattr(execution, "reproduce", lambda profile, *a, **k: calls.append(profile))
    assert cli.main(["reproduce", "--profile", "paper", "--dry-run"]) == 0
    assert cli.main(["reproduce", "--profile", "paper"]) == 0
    assert calls == ["paper-dry", "paper"]
    if shutil.which("make"):
        def dry_make(*args):
            # the reproduce command make would run (under `make test` a nested make also prints its directory)
            env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
            out = subprocess.run(["make", "--no-print-directory", "-n", "reproduce", *args], cwd=repo_root(),
                                 capture_output=True, text=True, env=env).stdout.splitlines()
            return [line for line in out if "s2i_lib.cli reproduce" in line][-1]
        assert dry_make("PROFILE=paper", "DRY_RUN=1").endswith("--profile paper --seed 0 --data-dir data --dry-run")
        assert dry_make("PROFILE=paper").endswith("--profile paper --seed 0 --data-dir data")
