"""Run by tests/test_distributed.py under ``torchrun --nproc_per_node=2`` (gloo on CPU).

    python -m torch.distributed.run --standalone --nproc_per_node=2 ddp_gan_worker.py OUT MODE

``equal``: the tiny GANs of :mod:`ddp_gan` (every config), the tiny pix2pix and the two
contrastive tasks, three iterations each; rank 0 writes the final weights, the first gradients and the logs.
``course``: the course's own networks (batch norm included) through ``train_gan``: a run of
four iterations, the same run stopped after two and resumed by new networks, who wrote the
checkpoints, and ``cached_gan`` through a model store (one entry, written by rank 0)."""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ddp_gan  # noqa: E402

from s2i_lib import models  # noqa: E402
from s2i_lib.train import GANConfig, ModelStore, cached_gan, train_gan  # noqa: E402
from s2i_lib.train import checkpoint as ckpt  # noqa: E402
from s2i_lib.train.distributed import from_env  # noqa: E402


def equal(out: Path, d) -> None:
    result = {}
    for name in ddp_gan.CONFIGS:
        grads = {}
        run = ddp_gan.train(name, grads)
        result[name] = {"G": run.G.state_dict(), "D": run.D.state_dict(), "grads": grads, "log": run.log,
                        "ema": run.G_ema.state_dict() if run.G_ema is not None else None}
    G, D, log = ddp_gan.train_pix2pix()
    result["pix2pix"] = {"G": G.state_dict(), "D": D.state_dict(), "log": log}
    for kind in ("align", "simclr"):
        rec = {}
        enc, log = ddp_gan.train_contrastive(kind, rec)
        result[kind] = {"encoder": enc.state_dict(), "grads": rec["grads"], "log": log}
    torch.save(result, out / f"equal_rank{d.rank}.pt")


def course_nets():
    torch.manual_seed(0)
    G = models.CondGenerator(ddp_gan.COND, z_dim=8, proj_dim=8, out_shape=(16, 16), width=8)
    D = models.CondDiscriminator(ddp_gan.COND, in_shape=(16, 16), width=8, cond="projection", aux_classes=3)
    return G, D


def course(out: Path, d) -> None:
    data = ddp_gan.data()
    data.images = torch.nn.functional.interpolate(data.images, size=(16, 16))
    cfg = GANConfig(steps=4, batch_size=ddp_gan.BATCH, aux_weight=0.5, ema=0.9, log_every=1, sample_every=2,
                    checkpoint_every=1, seed=4)
    saves = []
    real_save = ckpt.save
    ckpt.save = lambda *a, **k: (saves.append(d.rank), real_save(*a, **k))
    full = train_gan(*course_nets(), data, cfg, out_dir=out / "full", progress=False)
    train_gan(*course_nets(), data, cfg, out_dir=out / "stopped", progress=False, stop_after=2)
    resumed = train_gan(*course_nets(), data, cfg, out_dir=out / "stopped", progress=False)
    ckpt.save = real_save
    stored = cached_gan(ModelStore(out / "store"), "tiny", {"data": "ddp_gan"}, *course_nets(), data, cfg,
                        progress=False)
    torch.save({"full": full.G_ema.state_dict(), "resumed": resumed.G_ema.state_dict(),
                "stored": stored.model.state_dict(), "D": full.D.state_dict()}, out / f"course_rank{d.rank}.pt")
    (out / f"course_rank{d.rank}.json").write_text(json.dumps({"saves": saves, "log": full.log}))


if __name__ == "__main__":
    dist = from_env()
    {"equal": equal, "course": course}[sys.argv[2]](Path(sys.argv[1]), dist)
