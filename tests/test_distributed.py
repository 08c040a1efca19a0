"""Training on two processes with torchrun and DistributedDataParallel (gloo, on CPU),
against one process: the same steps, the same log, checkpoints from rank 0 only, and a
resumed two-process run equal to an uninterrupted one."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HELPERS = Path(__file__).resolve().parent / "helpers"
sys.path.insert(0, str(HELPERS))
from ddp_task import BATCH, N, make_task  # noqa: E402

from s2i_lib.train import EpochBatches, fit  # noqa: E402
from s2i_lib.train import distributed  # noqa: E402


def _torchrun(out: Path, mode: str) -> list:
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        str(HELPERS / "ddp_worker.py"), str(out), mode],
                       capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, f"torchrun {mode} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return [json.loads((out / f"rank{k}_{mode}.json").read_text()) for k in range(2)]


def _one_process(steps: int):
    torch.manual_seed(0)
    task = make_task()
    log = fit(task, steps=steps, batches=EpochBatches(N, BATCH, seed=1), seed=1, progress=False, log_every=1)
    return task, log


def test_two_processes_of_half_batches_take_the_steps_of_one_process(tmp_path):
    ranks = _torchrun(tmp_path, "steps3")
    assert all(r["world"] == 2 and r["seen"] == [BATCH // 2] * 3 for r in ranks)   # each its half of every batch
    single, log = _one_process(3)
    two = torch.load(tmp_path / "weights_steps3.pt")
    for k, v in single.model.state_dict().items():
        assert torch.allclose(two[k], v, atol=1e-6), k
    # the logged loss is the mean over both halves, i.e. over the whole batch
    assert [r["loss"] for r in ranks[0]["log"]] == pytest.approx([r["loss"] for r in log], rel=1e-5)
    assert ranks[0]["log"] == ranks[1]["log"]


def test_rank_0_writes_the_checkpoints_and_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
    full, stopped = tmp_path / "full", tmp_path / "stopped"
    full.mkdir(), stopped.mkdir()
    ranks = _torchrun(full, "full")
    assert ranks[0]["saves"] and not ranks[1]["saves"]                      # one writer
    _torchrun(stopped, "stop")
    resumed = _torchrun(stopped, "resume")
    assert all(r["seen"] == [BATCH // 2] * 2 for r in resumed)               # only the two missing steps
    a, b = torch.load(full / "weights_full.pt"), torch.load(stopped / "weights_resume.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_batches_are_split_into_disjoint_slices_that_cover_the_global_batch():
    plan = EpochBatches(10, 5, seed=0)
    g = [torch.Generator().manual_seed(0) for _ in range(3)]
    shards = [distributed.ShardedBatches(plan, distributed.Dist(rank=r, world=2))(0, g[r]) for r in range(2)]
    assert sorted(torch.cat(shards).tolist()) == sorted(plan(0, g[2]).tolist())
    assert [len(s) for s in shards] == [3, 2]


def test_one_process_without_torchrun_changes_nothing(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    d = distributed.from_env()
    assert not d.active and d.is_main and d.world == 1


def test_a_gan_task_is_refused_not_trained_wrong():
    from s2i_lib.train.gan import GANTask

    class Fake(GANTask):
        def __init__(self):
            self.modules = {}
    with pytest.raises(NotImplementedError, match="discriminator runs twice"):
        distributed.wrap_task(Fake(), distributed.Dist(rank=0, world=2))
