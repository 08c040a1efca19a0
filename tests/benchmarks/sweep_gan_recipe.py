"""The sweeps that chose the course profile's GAN recipe (notebooks 03 and 04).

Not part of the test suite and not run by the notebooks: each call trains one GAN on the
course data, as the notebooks do, and appends one line (the settings, the judged test-sound
accuracy at every ``--eval`` steps and the wall time) to ``results/reference/gan_recipe.jsonl``;
``--table`` prints that file as a table.  ``GANSize`` in ``s2i_lib/course/profiles.py``
names the runs behind each of its settings.

    python tests/benchmarks/sweep_gan_recipe.py --task s2i --tag cscale --cond-scale noise
    python tests/benchmarks/sweep_gan_recipe.py --task s2i --tag dc32 --cond-scale noise --rms 0.5 --batch 32 \
        --steps 2000 --eval 200 --last deconv --threads 1 --seed 1
    python tests/benchmarks/sweep_gan_recipe.py --task ladder --rung g --steps 400
    python tests/benchmarks/sweep_gan_recipe.py --table

``--task s2i``: S2I-C (or ``--code a``: S2I-A) on the performances suite, player crops, as
notebook 03 trains it; ``--task ladder``: one rung of Wan et al.'s ladder on the cleaned
scenes pairs with SoundNet features, as notebook 04 trains it.  The models the data needs
(notebook 02's) are loaded from ``data/models`` (trained first if missing).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from s2i_lib import course, data, models, train
from s2i_lib import eval as ev
from s2i_lib.course.runs import package_versions, repo_root

OUT = repo_root() / "results" / "reference" / "gan_recipe.jsonl"
CACHE = Path("/tmp") / "s2i_sweep_cache"


def _unit(x):
    return x / (x.norm(dim=1, keepdim=True) + 1e-8)


def _s2i_data(code: str, data_dir: Path):
    path = CACHE / f"s2i_{code}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    common = dict(profile="course", seed=0, data_dir=data_dir)
    pairs = course.course_pairs("performances", "course", 0, data_dir, 2)
    arr = data.load_arrays(pairs)
    gamma = course.image_classifier(pairs, arrays=arr, framing="player", **common)
    enc = (course.audio_classifier(pairs, "logmel", depth=4, arrays=arr, **common) if code == "c"
           else course.audio_autoencoder(pairs, "logmel", arrays=arr, **common))
    out = {"images": data.framed_images(pairs, arr, "player", 32), "cond": _unit(course.audio_embedding(enc, arr.wave_tensor())),
           "y": arr.label_tensor(), "groups": arr.df["video_id"].to_numpy(), "tr": arr.index("train"),
           "te": arr.index("test"), "judge": gamma.model, "classes": len(arr.classes)}
    CACHE.mkdir(exist_ok=True)
    torch.save(out, path)
    return out


def _ladder_data(data_dir: Path, unit: bool = True):
    """The cleaned scenes pairs with SoundNet pool5 features, z-scored as notebook 04 does
    (and scaled to unit length with ``unit``), the judge and the splits, cached in ``CACHE``."""
    path = CACHE / ("ladder.pt" if unit else "ladder_z.pt")
    if path.exists():
        return torch.load(path, weights_only=False)
    common = dict(profile="course", seed=0, data_dir=data_dir)
    full = course.course_pairs("scenes", "course", 0, data_dir, 2)
    full_arr = data.load_arrays(full)
    pairs = course.cleaned_pairs("scenes", "top1", "course", 0, data_dir, 2, arrays=full_arr)
    arr = data.load_arrays(pairs)
    gamma = course.image_classifier(full, arrays=full_arr, **common)
    snet = course.soundnet(full, gamma, arrays=full_arr, **common)
    f = course.soundnet_features(snet, arr.wave_tensor(), "pool5").double()
    tr = arr.index("train")
    f = ((f - f[tr].mean(0)) / (f[tr].std(0) + 1e-6)).float()        # z-scored, as notebook 04
    out = {"images": data.framed_images(pairs, arr, "full", 32), "cond": _unit(f) if unit else f, "y": arr.label_tensor(),
           "groups": arr.df["video_id"].to_numpy(), "tr": tr, "te": arr.index("test"), "judge": gamma.model,
           "classes": len(arr.classes)}
    CACHE.mkdir(exist_ok=True)
    torch.save(out, path)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", choices=("s2i", "ladder"), default="s2i")
    p.add_argument("--tag", default="")
    p.add_argument("--code", choices=("c", "a"), default="c", help="s2i: S2I-C's classifier code or S2I-A's autoencoder code")
    p.add_argument("--rung", default="g", help="ladder: the rung (b-g)")
    p.add_argument("--cond-scale", choices=("unit", "noise"), default="unit",
                   help="the condition at unit length, or at length sqrt(dim) (the noise's scale)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--width", type=int, default=16)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--lr-d", type=float, default=None, help="D's rate when it differs from G's")
    p.add_argument("--rms", type=float, default=1.0, help="with --cond-scale noise: the entries' root-mean-square")
    p.add_argument("--last", choices=("deconv", "conv"), default="deconv",
                   help="G's last layer (CondGenerator(last=...), the library's default); rows recorded before it was an option used 'conv'")
    p.add_argument("--beta1", type=float, default=0.0)
    p.add_argument("--ema", type=float, default=0.99)
    p.add_argument("--diff-augment", default="")
    p.add_argument("--n-d", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval", type=int, default=250)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-dir", default=str(repo_root() / "data"))
    p.add_argument("--table", action="store_true", help="print the results file as a table and stop")
    a = p.parse_args()
    if a.table:
        rows = [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]
        df = pd.DataFrame([{**{k: r[k] for k in ("task", "tag", "code", "rung", "cond_scale", "batch", "lr", "diff_augment",
                                                  "steps", "seed")}, "rms": r.get("rms", 1.0), "last": r.get("last", "conv"),
                            "acc last": round(r["curve"][-1]["acc_test"], 3), "acc kept": r.get("kept_acc_test"),
                            "seconds": round(r["seconds"])} for r in rows])
        print(df.to_string())
        return 0
    torch.set_num_threads(a.threads)
    d = _s2i_data(a.code, Path(a.data_dir)) if a.task == "s2i" else _ladder_data(Path(a.data_dir))
    cond = train.at_noise_scale(d["cond"], a.rms) if a.cond_scale == "noise" else d["cond"]
    tr, te, y = d["tr"], d["te"], d["y"]
    judge = d["judge"].eval()
    torch.manual_seed(a.seed)
    fields = {"loss": "bce", "wrong": "class"}
    if a.task == "s2i":
        G = models.CondGenerator(cond.shape[1], width=a.width, last=a.last)
        D = models.CondDiscriminator(cond.shape[1], width=a.width, cond="concat")
    else:
        G, D, fields = course.ladder_rung(a.rung, cond.shape[1], d["classes"], image_size=32, width=a.width)
    settings = dict(steps=a.steps, batch_size=a.batch, lr_g=a.lr, lr_d=a.lr_d or a.lr, betas=(a.beta1, 0.9), ema=a.ema,
                    diff_augment=a.diff_augment, seed=a.seed, log_every=a.eval, eval_every=a.eval, sample_every=0,
                    checkpoint_every=10 ** 9)
    settings.update(fields)
    if a.n_d is not None:
        settings["n_d"] = a.n_d
    cfg = train.GANConfig(**settings)
    t0 = time.time()

    def evaluate(Gs, step):
        x = train.generate(Gs, cond[te], seed=a.seed)
        with torch.no_grad():
            pred = torch.cat([judge(x[i:i + 500])["logits"].argmax(1) for i in range(0, len(x), 500)])
        acc = float((pred == y[te]).float().mean())
        some = tr[:: max(1, len(tr) // 400)]                 # about 400 training sounds: what keep_best would select on
        with torch.no_grad():
            acc_tr = float((judge(train.generate(Gs, cond[some], seed=a.seed))["logits"].argmax(1) == y[some]).float().mean())
        print(f"{a.tag} step {step}: test-sound accuracy {acc:.3f}, training sounds {acc_tr:.3f} "
              f"({time.time() - t0:.0f} s)", flush=True)
        return {"acc_test": acc, "acc_train": acc_tr}

    gan_data = train.GANData(d["images"][tr] * 2 - 1, cond[tr], y[tr], groups=d["groups"][tr])
    run = train.train_gan(G, D, gan_data, cfg, evaluate=evaluate, progress=False)
    curve = [{"step": r["step"], "acc_test": r["acc_test"], "acc_train": r["acc_train"]} for r in run.log if "acc_test" in r]
    kept = max(curve, key=lambda e: e["acc_train"])          # GANConfig(keep_best="acc_train")'s choice
    row = {**vars(a), "last": G.config.get("last", "conv"), "curve": curve, "kept_step": kept["step"], "kept_acc_test": kept["acc_test"],
           "seconds": time.time() - t0, "gan_config": {k: v for k, v in cfg.__dict__.items()},
           "versions": package_versions()}
    row.pop("table")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(row, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
