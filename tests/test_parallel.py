"""Trainings side by side in worker processes (s2i_lib.train.parallel)."""
from __future__ import annotations

import os

import pytest
import torch

from s2i_lib.train import GANConfig, ModelStore, cached_gan, default_workers, in_workers, one_thread
from test_gan_training import _data, _nets

CFG = dict(loss="hinge", steps=5, batch_size=8, log_every=5, sample_every=0, checkpoint_every=100)


def _job(store, seed, fail=False):
    def job():
        if fail:
            raise ValueError(f"job of seed {seed} fails on purpose")
        G, D = _nets(seed=seed)
        return cached_gan(store, "toy_gan", {"data": "toy"}, G, D, _data(), GANConfig(**CFG, seed=seed), progress=False)
    return job


def _weights(trained):
    return [p.detach().clone() for p in trained.model.state_dict().values()]


def test_workers_train_what_the_serial_path_trains(tmp_path):
    seeds = (0, 1, 2)
    before = torch.get_num_threads()
    par = in_workers([_job(ModelStore(tmp_path / "par"), s) for s in seeds], workers=2)
    assert torch.get_num_threads() == before
    assert all(t.loaded for t in par)                  # trained in the workers, only loaded here
    ser = in_workers([_job(ModelStore(tmp_path / "ser"), s) for s in seeds], workers=1)
    assert not any(t.loaded for t in ser)              # trained here, one after the other
    for p, s in zip(par, ser):                         # one thread each way: the same numbers
        assert p.history == s.history
        for a, b in zip(_weights(p), _weights(s)):
            assert torch.equal(a, b)
    assert len({tuple(_weights(t)[0].flatten()[:4].tolist()) for t in par}) == 3   # three different seeds


def test_a_failing_job_is_named_and_the_others_are_stored(tmp_path):
    store = ModelStore(tmp_path / "models")
    with pytest.raises(RuntimeError, match=r"(?s)1 of 3 trainings failed.*job 1 raised.*seed 1 fails on purpose"):
        in_workers([_job(store, 0), _job(store, 1, fail=True), _job(store, 2)], workers=2)
    assert len(store.entries("toy_gan")) == 2


def test_one_thread_and_the_worker_count(monkeypatch):
    before = torch.get_num_threads()
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    monkeypatch.setenv("S2I_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("S2I_WORKERS", "none")
    with pytest.raises(ValueError, match="S2I_WORKERS='none'"):
        default_workers()
    monkeypatch.delenv("S2I_WORKERS")
    assert default_workers() == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="at least 1"):
        in_workers([], workers=0)
