"""Run by tests/test_distributed.py under ``torchrun --nproc_per_node=2``: trains a small
regression task through the engine with ``distributed=from_env()`` and writes what each
process saw and the final weights of rank 0.

    python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_worker.py OUT MODE
MODE: ``steps3`` (three steps, batch 8 split 4 + 4), ``full`` (4 steps with a checkpoint),
``stop`` (the same, stopped after 2), ``resume`` (the stopped run continued to 4).
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ddp_task import make_task, BATCH, N  # noqa: E402

from s2i_lib.train import EpochBatches, fit  # noqa: E402
from s2i_lib.train import checkpoint as ckpt  # noqa: E402
from s2i_lib.train.distributed import from_env  # noqa: E402


def main(out: Path, mode: str) -> None:
    d = from_env()
    torch.manual_seed(0)
    task = make_task()
    saves = []
    real_save = ckpt.save
    ckpt.save = lambda *a, **k: (saves.append(d.rank), real_save(*a, **k))
    steps = 3 if mode == "steps3" else 4
    log = fit(task, steps=steps, batches=EpochBatches(N, BATCH, seed=1), seed=1, progress=False,
              checkpoint=None if mode == "steps3" else out / "run.pt", log_every=1,
              stop_after=2 if mode == "stop" else None, distributed=d)
    (out / f"rank{d.rank}_{mode}.json").write_text(json.dumps({"seen": task.seen, "saves": saves, "log": log,
                                                                "world": d.world}))
    if d.is_main:
        torch.save(task.model.state_dict(), out / f"weights_{mode}.pt")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
