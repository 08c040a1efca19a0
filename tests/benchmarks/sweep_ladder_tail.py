"""How notebook 04 should score a ladder run: one evaluation, the kept one, or the tail's mean.

Not part of the test suite and not run by the notebooks.  Each call trains one rung of Wan et
al.'s ladder exactly as notebook 04 does (course profile, the cleaned scenes pairs, z-scored
SoundNet features, the rung's own settings, one thread), evaluates it every ``--eval`` steps
on every test sound (twice, with two noise draws) and on 400 training sounds, and appends
the curve to ``results/reference/ladder_tail.jsonl``.  ``--summary`` compares, for each step
of the ladder, the paired difference over seeds under several ways of scoring a run: the
last evaluation, the evaluation a keep-best rule on training sounds would pick, and the
mean of the evaluations over the last part of the run.  The course profile's
``GANSize.ladder_tail`` was chosen from it.

    for s in 0 1 2 3 4 5 6 7; do for r in c d e f g; do
        python tests/benchmarks/sweep_ladder_tail.py --rung $r --seed $s; done; done
    python tests/benchmarks/sweep_ladder_tail.py --summary
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from s2i_lib import course, train
from s2i_lib.course.runs import repo_root
from sweep_gan_recipe import _ladder_data            # the same data as the recipe sweep (this folder)

OUT = repo_root() / "results" / "reference" / "ladder_tail.jsonl"
STEPS = [("c", "d"), ("d", "e"), ("e", "f"), ("f", "g"), ("c", "g")]


def _data(data_dir: Path) -> dict:
    # notebook 04's conditions: z-scored pool5 features, not scaled to unit length
    return _ladder_data(data_dir, unit=False)


def train_one(rung: str, seed: int, steps: int, every: int, data_dir: Path) -> dict:
    d = _data(data_dir)
    GS = course.get_profile("course").gan
    tr, te, y, cond = d["tr"], d["te"], d["y"], d["cond"]
    judge = d["judge"].eval()
    some = np.sort(np.random.default_rng(0).choice(tr, min(GS.eval_sounds, len(tr)), replace=False))
    torch.manual_seed(seed)
    G, D, fields = course.ladder_rung(rung, cond.shape[1], d["classes"], image_size=32, width=GS.ladder_width)
    cfg = GS.gan_config(steps, seed, **{"n_d": 1, "n_g": 1, "lr_g": GS.ladder_lr, "lr_d": GS.ladder_lr, "sample_every": 0,
                                        "eval_every": every, "log_every": every, "checkpoint_every": 10 ** 9, **fields})

    def acc(Gs, idx, noise_seed):
        x = train.generate(Gs, cond[idx], seed=noise_seed)
        with torch.no_grad():
            p = torch.cat([judge(x[i:i + 500])["logits"].argmax(1) for i in range(0, len(x), 500)])
        return float((p == y[idx]).float().mean())

    def evaluate(Gs, step):
        return {"acc_test": acc(Gs, te, 0), "acc_test2": acc(Gs, te, 1), "acc_train": acc(Gs, some, 0)}

    t0 = time.time()
    run = train.train_gan(G, D, train.GANData(d["images"][tr] * 2 - 1, cond[tr], y[tr], groups=d["groups"][tr]), cfg,
                          evaluate=evaluate, progress=False)
    curve = [{k: r[k] for k in ("step", "acc_test", "acc_test2", "acc_train")} for r in run.log if "acc_test" in r]
    return {"rung": rung, "seed": seed, "tag": "base", "extra": {}, "steps": steps, "curve": curve,
            "seconds": time.time() - t0}


def score(curve: list, how: str, steps: int) -> float:
    """One run's test-sound accuracy under one scoring rule."""
    if how == "last evaluation":
        return curve[-1]["acc_test"]
    if how == "kept on training sounds":                       # keep_best over five evaluations
        c = [e for e in curve if e["step"] % (steps // 5) == 0]
        return max(c, key=lambda e: e["acc_train"])["acc_test"]
    share = float(how.split("last ")[1].split("%")[0]) / 100     # "mean of the last 40%"
    return float(np.mean([e["acc_test"] for e in curve if e["step"] >= (1 - share) * steps]))


def summary(rows: list) -> None:
    by = {(r["rung"], r["seed"]): r for r in rows}
    print(f"{len(rows)} runs; paired accuracy difference (points), mean ± SE over seeds [SD of the differences]")
    spreads = {}
    for how in ("last evaluation", "kept on training sounds", "mean of the last 20%", "mean of the last 40%",
                "mean of the last 60%"):
        cells = []
        for a, b in STEPS:
            seeds = sorted(s for (r, s) in by if r == a and (b, s) in by)
            d = np.array([score(by[b, s]["curve"], how, by[b, s]["steps"]) - score(by[a, s]["curve"], how, by[a, s]["steps"])
                          for s in seeds])
            if len(d) < 2:
                continue
            sd = d.std(ddof=1)
            spreads.setdefault(how, []).append(sd)
            cells.append(f"({a})->({b}) {100 * d.mean():+.1f} ± {100 * sd / np.sqrt(len(d)):.1f} [{100 * sd:.1f}, n={len(d)}]")
        print(f"{how:>25}: " + "; ".join(cells))
    if "last evaluation" in spreads and "mean of the last 40%" in spreads:
        ratio = np.median(np.array(spreads["last evaluation"]) / np.array(spreads["mean of the last 40%"]))
        print(f"median ratio of the spreads, last evaluation / mean of the last 40%: {ratio:.2f}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rung", default="g")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--eval", type=int, default=50)
    p.add_argument("--data-dir", default=str(repo_root() / "data"))
    p.add_argument("--summary", action="store_true", help="compare the scoring rules over the recorded runs and stop")
    a = p.parse_args()
    if a.summary:
        summary([json.loads(line) for line in OUT.read_text().splitlines() if line.strip()])
        return 0
    torch.set_num_threads(1)
    row = train_one(a.rung, a.seed, a.steps, a.eval, Path(a.data_dir))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a") as f:
        f.write(json.dumps(row) + "\n")
    print(a.rung, a.seed, round(row["seconds"]), row["curve"][-1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
