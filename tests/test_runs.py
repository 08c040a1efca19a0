"""runs: the repository root, metrics with provenance, the comparison with the committed
reference numbers (numeric and non-numeric metrics), deterministic mode and threads."""
import json
import math
import os

import numpy as np
import pytest
import torch

from s2i_lib.course import runs


@pytest.fixture
def run(tmp_path, monkeypatch):
    """A run whose repository root (and so its reference numbers) is a temporary folder."""
    monkeypatch.setenv("S2I_ROOT", str(tmp_path))
    ref = {"01_test": {"pairs": {"value": 100.0, "tol": 2}, "precision": {"value": 0.5, "tol": 0.01},
                       "best_strategy": {"value": "first", "tol": 0}, "filtered": {"value": True},
                       "broken": {"value": float("nan"), "tol": 0.1}, "count_as_text": {"value": "12"}}}
    (tmp_path / "results" / "reference").mkdir(parents=True)
    (tmp_path / "results" / "reference" / "smoke.json").write_text(json.dumps(ref))
    return runs.start("01_test", profile="smoke", seed=0, data_dir="data", results_dir="results", quiet=True)


def test_repo_root_is_the_folder_holding_the_package(monkeypatch):
    monkeypatch.delenv("S2I_ROOT", raising=False)
    root = runs.repo_root()
    assert (root / "s2i_lib" / "course" / "runs.py").is_file()
    assert (root / "notebooks").is_dir() and (root / "pyproject.toml").is_file()
    assert runs.resolve("data") == root / "data"


def test_compare_numbers_within_tolerance(run):
    table = run.compare({"pairs": 101, "precision": 0.52}, paper={"pairs": "17,555 (Chen et al.)"})
    assert table.loc["pairs", "status"] == "reproduced"
    assert table.loc["precision", "status"] == "DIFFERS"
    assert table.loc["pairs", "paper"] == "17,555 (Chen et al.)"
    assert table.loc["precision", "reference"] == 0.5 and table.loc["precision", "tolerance"] == 0.01


def test_compare_non_numeric_metrics_by_equality(run):
    """Before the fix this raised ``ValueError: could not convert string to float: 'first'``."""
    table = run.compare({"best_strategy": "first", "filtered": True, "pairs": 100.0})
    assert list(table["status"]) == ["reproduced", "reproduced", "reproduced"]
    table = run.compare({"best_strategy": "middle", "filtered": False})
    assert list(table["status"]) == ["DIFFERS", "DIFFERS"]


def test_compare_mixed_kinds_and_nan_are_reported_not_raised(run):
    table = run.compare({"pairs": "many", "best_strategy": 3.0, "broken": float("nan"), "precision": None,
                         "count_as_text": 12, "unknown": "x"})
    assert table.loc["pairs", "status"] == "DIFFERS"            # a name against a number
    assert table.loc["best_strategy", "status"] == "DIFFERS"    # a number against a name
    assert table.loc["broken", "status"] == "reproduced"        # NaN matches NaN only
    assert table.loc["precision", "status"] == "DIFFERS"        # a missing value
    assert table.loc["count_as_text", "status"] == "reproduced"  # "12" in the reference file
    assert table.loc["unknown", "status"] == "no reference"
    assert run.compare({"broken": 0.0}).loc["broken", "status"] == "DIFFERS"


def test_compare_uses_the_reference_only_for_seed_0(run):
    run.seed = 1
    assert run.compare({"pairs": 100.0}).loc["pairs", "status"] == "no reference"


def test_write_metrics_with_provenance(run):
    path = run.write_metrics({"pairs": np.int64(100), "precision": np.float32(0.5), "filtered": True,
                              "best_strategy": "first"})
    assert path == runs.repo_root() / "results" / "smoke" / "metrics" / "01_test.json"
    saved = json.loads(path.read_text())
    assert saved["metrics"] == {"pairs": 100.0, "precision": 0.5, "filtered": True, "best_strategy": "first"}
    prov = saved["provenance"]
    for key in ("commit", "profile", "seed", "versions", "device", "wall_seconds", "torch_threads"):
        assert key in prov, key
    assert prov["profile"] == "smoke" and prov["seed"] == 0 and prov["device"] == "cpu"
    assert prov["versions"]["torch"] == torch.__version__.split("+")[0]
    assert not list(path.parent.glob("*.tmp"))


def test_same_value():
    assert runs.same_value(0.5, 0.509, 0.01)[0] and not runs.same_value(0.5, 0.52, 0.01)[0]
    assert runs.same_value("first", "first")[0] and not runs.same_value("first", "topk")[0]
    assert not runs.same_value(1.0, "first")[0]
    assert runs.same_value(float("nan"), float("nan"))[0] and not runs.same_value(1.0, math.nan, 5)[0]


# ---------------------------------------------------------------------------- determinism
@pytest.fixture
def restore_torch_flags(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    flags = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
             torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    yield
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = flags[:2]
    torch.use_deterministic_algorithms(flags[2], warn_only=flags[3])


def test_deterministic_mode_on_cpu_leaves_cuda_settings_alone(restore_torch_flags):
    runs.seed_everything(3, device="cpu")
    assert torch.are_deterministic_algorithms_enabled()
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ
    a = torch.rand(3)
    runs.seed_everything(3, device="cpu")
    assert torch.equal(a, torch.rand(3))


def test_deterministic_mode_sets_cublas_workspace_when_a_gpu_is_picked(restore_torch_flags, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)
    assert runs.pick_device("auto") == "cuda"
    runs.seed_everything(0)                                   # "auto" picks cuda
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    assert torch.are_deterministic_algorithms_enabled()
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")    # a user's own choice is kept
    runs.seed_everything(0, device="cuda:1", strict=True)
    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"
    assert not torch.is_deterministic_algorithms_warn_only_enabled()


def test_an_explicit_cpu_device_on_a_gpu_machine_needs_no_cublas(restore_torch_flags, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    runs.seed_everything(0, device="cpu")
    assert "CUBLAS_WORKSPACE_CONFIG" not in os.environ


def test_late_cublas_setting_warns(restore_torch_flags, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    with pytest.warns(UserWarning, match="CUBLAS_WORKSPACE_CONFIG"):
        runs.seed_everything(0)


# ---------------------------------------------------------------------------- threads
@pytest.fixture
def threads(monkeypatch):
    """A pretend 64-core machine: torch starts with 64 threads; the calls to
    ``torch.set_num_threads`` are recorded."""
    monkeypatch.delenv("S2I_THREADS", raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    state = {"n": 64}
    calls = []

    def set_threads(n):
        calls.append(n)
        state["n"] = n
    monkeypatch.setattr(torch, "set_num_threads", set_threads)
    monkeypatch.setattr(torch, "get_num_threads", lambda: state["n"])
    return calls


def test_small_profiles_use_two_threads(threads):
    assert runs.configure_threads("course") == 2
    assert runs.configure_threads("smoke") == 2
    assert threads == [2]               # the second call found 2 already


def test_paper_profile_is_not_limited(threads):
    assert runs.configure_threads("paper") == 64
    assert threads == []                # torch keeps its default: every core


def test_two_threads_at_most_the_cpus(threads, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert runs.configure_threads("course") == 1


def test_thread_settings_from_the_environment_win(threads, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "8")
    assert runs.configure_threads("course") == 64
    assert threads == []                # torch already follows OMP_NUM_THREADS
    monkeypatch.setenv("S2I_THREADS", "5")
    assert runs.configure_threads("paper") == 5
    assert threads == [5]
    for bad in ("lots", "0"):
        monkeypatch.setenv("S2I_THREADS", bad)
        with pytest.raises(ValueError, match="S2I_THREADS"):
            runs.configure_threads("paper")


def test_start_sets_threads_and_prints_them(threads, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S2I_ROOT", str(tmp_path))
    runs.start("01_test", profile="course", seed=0)
    assert threads == [2]
    assert "| 2 threads" in capsys.readouterr().out


def test_under_torchrun_each_process_picks_its_own_gpu(monkeypatch):
    import torch
    from s2i_lib.course.runs import pick_device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert pick_device() == "cuda"
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert pick_device() == "cuda:3" and pick_device("cpu") == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device() == "cpu"
