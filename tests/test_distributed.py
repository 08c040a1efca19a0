"""Training on two processes with torchrun and DistributedDataParallel (gloo, on CPU),
against one process: the same steps, the same log, checkpoints from rank 0 only, and a
resumed two-process run equal to an uninterrupted one; for a supervised task, for every
path of the GAN task and for pix2pix."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HELPERS = Path(__file__).resolve().parent / "helpers"
# the processes torchrun starts import this checkout's s2i_lib, whatever the venv's install points at
ENV = {**os.environ, "OMP_NUM_THREADS": "1",
       "PYTHONPATH": os.pathsep.join([str(HELPERS.parent.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])}
sys.path.insert(0, str(HELPERS))
from ddp_task import BATCH, N, make_task  # noqa: E402

from s2i_lib.train import EpochBatches, fit  # noqa: E402
from s2i_lib.train import distributed  # noqa: E402


def _torchrun(out: Path, mode: str) -> list:
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        str(HELPERS / "ddp_worker.py"), str(out), mode],
                       capture_output=True, text=True, timeout=300, env=ENV)
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


def _torchrun_gan(out: Path, mode: str) -> None:
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        str(HELPERS / "ddp_gan_worker.py"), str(out), mode],
                       capture_output=True, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, f"torchrun {mode} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"


def _max_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float((a[k].double() - b[k].double()).abs().max()) for k in a)


def test_gan_pix2pix_and_contrastive_steps_of_two_half_batches_equal_one_process_of_the_whole_batch(tmp_path):
    """Every GAN path (four loss kinds, wrong pairs, aux classifier, n_d / n_g > 1, EMA, the
    penalty's mixing weights, clipping, IC-GAN partners), pix2pix, and the InfoNCE alignment and
    SimCLR's NT-Xent (negatives gathered from both processes; an uneven last batch): the
    gradients the optimisers see (DDP's average over both halves) and the weights after three
    iterations equal one process's on the whole batch, on both ranks."""
    import ddp_gan
    _torchrun_gan(tmp_path, "equal")
    two = [torch.load(tmp_path / f"equal_rank{k}.pt") for k in range(2)]
    for name in ddp_gan.CONFIGS:
        grads = {}
        run = ddp_gan.train(name, grads)
        for net in ("G", "D"):
            got = two[0][name][net]
            assert _max_diff(getattr(run, net).state_dict(), got) < 1e-6, (name, net)
            assert _max_diff(got, two[1][name][net]) == 0, (name, net, "ranks differ")
            for g1, g2 in zip(grads[net], two[0][name]["grads"][net]):
                assert (g1 is None) == (g2 is None), (name, net)
                if g1 is not None:                       # the average, not the sum, of the halves
                    assert torch.allclose(g1, g2, atol=1e-6, rtol=1e-5), (name, net)
        if run.G_ema is not None:
            assert _max_diff(run.G_ema.state_dict(), two[0][name]["ema"]) < 1e-6, name
        assert [r["loss_d"] for r in two[0][name]["log"]] == pytest.approx([r["loss_d"] for r in run.log], rel=1e-5)
    for kind in ("align", "simclr"):             # negatives from the whole batch, not one slice
        rec = {}
        enc, log = ddp_gan.train_contrastive(kind, rec)
        for g1, g2 in zip(rec["grads"], two[0][kind]["grads"]):
            assert torch.allclose(g1, g2, atol=1e-6, rtol=1e-5), kind
        assert _max_diff(enc.state_dict(), two[0][kind]["encoder"]) < 1e-6, kind
        assert _max_diff(two[0][kind]["encoder"], two[1][kind]["encoder"]) == 0, kind
        assert [r["loss"] for r in two[0][kind]["log"]] == pytest.approx([r["loss"] for r in log], rel=1e-5)
    G, D, log = ddp_gan.train_pix2pix()
    assert _max_diff(G.state_dict(), two[0]["pix2pix"]["G"]) < 1e-6
    assert _max_diff(D.state_dict(), two[0]["pix2pix"]["D"]) < 1e-6
    assert [r["l1"] for r in two[0]["pix2pix"]["log"]] == pytest.approx([r["l1"] for r in log], rel=1e-5)


def test_the_course_gan_under_ddp_resumes_exactly_and_stores_from_rank_0(tmp_path):
    """The course's CondGenerator / CondDiscriminator (batch norm included): a run stopped
    after two of four iterations and resumed by new networks ends bit-equal to the
    uninterrupted one; both ranks hold the same weights (rank 0's batch-norm statistics);
    rank 0 alone wrote checkpoints; cached_gan left one complete store entry."""
    _torchrun_gan(tmp_path, "course")
    r0, r1 = (torch.load(tmp_path / f"course_rank{k}.pt") for k in range(2))
    info = [json.loads((tmp_path / f"course_rank{k}.json").read_text()) for k in range(2)]
    assert _max_diff(r0["full"], r0["resumed"]) == 0
    assert _max_diff(r0["full"], r1["full"]) == 0 and _max_diff(r0["D"], r1["D"]) == 0
    assert _max_diff(r0["stored"], r1["stored"]) == 0 and _max_diff(r0["stored"], r0["full"]) == 0
    assert info[0]["saves"] and not info[1]["saves"]
    assert info[0]["log"] == info[1]["log"]
    entries = list((tmp_path / "store" / "tiny").glob("*/config.json"))
    assert len(entries) == 1 and not (entries[0].parent / "checkpoints").exists()
    assert sorted(p.name for p in (tmp_path / "full" / "samples").iterdir()) == ["step_000002.png", "step_000004.png"]


def test_a_gan_batch_that_does_not_split_evenly_is_refused():
    import ddp_gan
    from s2i_lib.train import GANConfig, GANTask
    task = GANTask(ddp_gan.TinyG(), ddp_gan.TinyD(), ddp_gan.data(), GANConfig(batch_size=7))
    with pytest.raises(ValueError, match="batch size 7 does not split evenly over 2 processes"):
        distributed.wrap_task(task, distributed.Dist(rank=0, world=2))


def test_reproduce_under_torchrun_trains_each_notebook_s_models_over_both_processes(tmp_path):
    """``torchrun --nproc_per_node=2`` of ``reproduce`` (as ``torchrun ... -m s2i_lib.cli
    reproduce`` runs the course on two GPUs): both processes execute the notebook, its GAN
    trains once over both (the same weights on each, one store entry written by rank 0),
    rank 0's results are the run's and rank 1's go under ``.ranks/rank1``; a second run
    reloads the stored model on both processes."""
    results, data = tmp_path / "results", tmp_path / "data"

    def launch():
        r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                            str(HELPERS / "ddp_reproduce.py"), str(results), str(data)],
                           capture_output=True, text=True, timeout=300, env=ENV)
        assert r.returncode == 0, f"torchrun reproduce failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        return [json.loads(p.read_text()) for p in (results / "smoke" / "rank.json",
                                                    results / ".ranks" / "rank1" / "smoke" / "rank.json")]

    first = launch()
    assert [(r["rank"], r["world"], r["loaded"]) for r in first] == [(0, 2, False), (1, 2, False)]
    assert first[0]["weights"] == first[1]["weights"]
    assert len(list((data / "models" / "nb_gan").glob("*/model.pt"))) == 1
    assert (results / "smoke" / "notebooks" / "01_ddp_gan.ipynb").exists()
    assert (results / "smoke" / "SUMMARY.md").exists() and not (results / ".ranks" / "rank1" / "smoke" / "site").exists()
    again = launch()
    assert [r["loaded"] for r in again] == [True, True] and again[0]["weights"] == first[0]["weights"]
