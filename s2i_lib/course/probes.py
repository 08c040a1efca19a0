"""Probes: small regressors that read one number the course knows the truth of (a player's
pose, an object's size on screen) from an image, trained on real frames with SynthAV's
ground truth.  Notebook 03 asks whether a generated player's pose follows the note heard
(:func:`pose_probe`), notebook 04 whether a louder sound draws a bigger object
(:func:`size_probe`, Wan et al. 2019, Table 3), notebook 06 which classes a picture made from
two mixed sounds shows (:func:`presence_probe`, Sung-Bin et al. 2023, Fig. 4).  What a
regression probe reads in generated images is :func:`s2i_lib.eval.read_probe`."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .. import synthav, train
from ..data import cleaning, datasets
from ..data.framing import framed_images
from ..eval.probes import read_probe
from ..models import ImageClassifier
from .profiles import get_profile
from .recipes import RECIPE_VERSIONS, _store, data_key
from .runs import pick_device


def _regression_probe(pairs_dir, task: str, target: np.ndarray, ok: np.ndarray, framing: str, profile: str,
                      seed: int, data_dir, arrays, progress: bool, retrain: bool, device: str,
                      overrides: dict) -> train.Trained:
    """A small CNN from a framed image to one number (``target``), trained on the train
    pairs where ``ok``; metrics on the test pairs where ``ok``."""
    enc = get_profile(profile).encoders
    y = torch.tensor(np.nan_to_num(target), dtype=torch.float32)
    cfg = {"width": enc.width, "epochs": enc.image_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "image_size": enc.image_size, "framing": framing}
    cfg.update(overrides)
    payload = {"task": task, "recipe_version": RECIPE_VERSIONS[task], "data": data_key(pairs_dir),
               "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr, te = tr[ok[tr]], te[ok[te]]
    if len(tr) < 2 or len(te) < 2:
        raise ValueError(f"{pairs_dir}: too few frames with a known {task.replace('_probe', '')} "
                         f"({len(tr)} train, {len(te)} test)")

    def fit_model(work: Path):
        t0 = time.time()
        X = framed_images(pairs_dir, arrays, framing, cfg["image_size"])
        torch.manual_seed(seed)
        dev = pick_device(device)
        model = ImageClassifier(1, image_size=cfg["image_size"], width=cfg["width"]).to(dev)
        ytr = y[tr]
        hist = train.fit_regression(model, X[tr], ytr, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                    lr=cfg["lr"], seed=seed, checkpoint=work / "checkpoint.pt", progress=progress,
                                    desc=task.replace("_", " "))
        p = read_probe(model, X[te])
        t = y[te].numpy()
        metrics = {"test_r": float(np.corrcoef(p, t)[0, 1]), "test_mae": float(np.abs(p - t).mean()),
                   "baseline_mae": float(np.abs(float(ytr.mean()) - t).mean()),
                   "train_frames": int(len(tr)), "test_frames": int(len(te)), "train_seconds": time.time() - t0}
        return model, metrics, hist

    out = _store(data_dir).load_or_train(task, payload, fit_model, retrain=retrain)
    out.model.to(pick_device(device))
    out.framing = framing
    return out


def pose_probe(pairs_dir, framing: str = "player", profile: str = "course", seed: int = 0, data_dir="data",
               arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
               **overrides) -> train.Trained:
    """A regressor from a frame to the player's true pose in [0, 1] (SynthAV truth: the
    note played sets it), trained on train frames that show their source while a note
    sounds, on the same framing and size as the images it will judge.  The course uses
    it to ask whether a generated image's pose follows the note heard.  Metrics on the
    test frames: ``test_r`` (Pearson correlation) and ``test_mae``; ``baseline_mae`` is
    what always answering the train mean would score."""
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    truth = cleaning.pair_truth_table(arrays.df, cleaning.corpus_dir_of(pairs_dir), with_pose=True)
    ok = (truth["frame_shows_source"] & truth["pose"].notna()).to_numpy()
    return _regression_probe(pairs_dir, "pose_probe", truth["pose"].to_numpy(float), ok, framing, profile, seed,
                             data_dir, arrays, progress, retrain, device, overrides)


def true_sizes(pairs_dir, df) -> np.ndarray:
    """For each pair of a SynthAV build, the sounding object's height on screen as a share
    of the frame height (``object_size_px / frame_size`` of its clip): the distance that
    sets it also sets the loudness."""
    meta = {m["clip_id"]: m for m in synthav.load_metadata(cleaning.corpus_dir_of(pairs_dir))}
    try:
        return np.array([meta[v]["object_size_px"] / meta[v]["frame_size"] for v in df["video_id"]], np.float64)
    except KeyError as e:
        raise ValueError(f"{pairs_dir}: video {e.args[0]!r} has no entry in the SynthAV metadata") from None


def size_probe(pairs_dir, framing: str = "full", profile: str = "course", seed: int = 0, data_dir="data",
               arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
               **overrides) -> train.Trained:
    """A regressor from a frame to the true on-screen size of the sounding object
    (:func:`true_sizes`), trained on train frames that show their source; notebook 04
    uses it to measure whether a louder sound makes the generator draw a bigger object
    (Wan et al. Table 3).  Metrics as :func:`pose_probe`."""
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    truth = cleaning.pair_truth_table(arrays.df, cleaning.corpus_dir_of(pairs_dir))
    ok = truth["frame_shows_source"].to_numpy(bool)
    return _regression_probe(pairs_dir, "size_probe", true_sizes(pairs_dir, arrays.df), ok, framing, profile, seed,
                             data_dir, arrays, progress, retrain, device, overrides)




def true_sources(pairs_dir, df, classes) -> np.ndarray:
    """For each pair of a SynthAV build, a (N, C) array with 1 for every class that sounds
    on screen in its clip (SynthAV's ``sources``: one class, or two in its two-source
    clips), in the order of ``classes``."""
    meta = {m["clip_id"]: m for m in synthav.load_metadata(cleaning.corpus_dir_of(pairs_dir))}
    index = {c: i for i, c in enumerate(classes)}
    out = np.zeros((len(df), len(classes)), np.float32)
    for r, v in enumerate(df["video_id"]):
        if v not in meta:
            raise ValueError(f"{pairs_dir}: video {v!r} has no entry in the SynthAV metadata")
        for c in meta[v]["sources"]:
            if c in index:
                out[r, index[c]] = 1.0
    return out


def presence_probe(pairs_dir, framing: str = "full", profile: str = "course", seed: int = 0, data_dir="data",
                   arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
                   two_source_share: Optional[float] = 0.5, start_from: Optional[str] = "image_classifier",
                   threshold: float = 0.5, **overrides) -> train.Trained:
    """A multi-label classifier from a frame to the classes it shows (:func:`true_sources`;
    one binary cross-entropy per class, :func:`s2i_lib.train.fit_multilabel`), trained on the
    train frames that show their sources, one-source and two-source clips together.

    Two-source frames are few (about one train frame in twelve on the course data) and their
    second object is often small, so a probe trained on plain shuffled epochs learns to name
    one class per frame.  Two things counter that, both on by default:

    - ``two_source_share``: batches are drawn so that this share of the frames seen are
      two-source ones (:func:`presence_weights`; same number of steps per epoch as plain
      epochs); ``None`` trains on plain shuffled epochs;
    - ``start_from="image_classifier"``: the probe starts from the weights of notebook 02's
      image classifier (:func:`s2i_lib.course.image_classifier`, same profile, seed, store
      and framing, trained on train frames only), so it begins with features that already
      tell the classes apart and its few epochs go to learning the second object; ``None``
      starts from random weights.  That classifier is loaded from the model store, or
      trained first if it is not there.

    A class counts as present when its probability exceeds ``threshold``, which the probe
    carries in ``metrics["threshold"]`` (:func:`present` reads it when given the probe).  It
    is not tuned on the training frames: the probe learns its few two-source train clips by
    heart, so on them nearly every threshold finds both classes and the choice says nothing
    about unseen frames.
    Metrics on the test frames that show their sources: ``one_source_exact`` (one-source
    frames given exactly their class), ``two_source_both`` (two-source frames given both of
    their classes), ``two_source_frames`` and ``one_source_frames`` (how many of each the
    test split has), plus ``train_frames``, ``train_two_source_frames`` and ``train_seconds``."""
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    truth = cleaning.pair_truth_table(arrays.df, cleaning.corpus_dir_of(pairs_dir))
    ok = truth["frame_shows_source"].to_numpy(bool)
    Y = torch.from_numpy(true_sources(pairs_dir, arrays.df, arrays.classes))
    enc = get_profile(profile).encoders
    cfg = {"width": enc.width, "epochs": enc.image_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "image_size": enc.image_size, "framing": framing}
    cfg.update(overrides)
    base = _starting_classifier(start_from, pairs_dir, arrays, framing, cfg, profile, seed, data_dir, progress, device)
    payload = {"task": "presence_probe", "recipe_version": RECIPE_VERSIONS["presence_probe"],
               "data": data_key(pairs_dir), "classes": arrays.classes, "seed": int(seed), **cfg,
               "two_source_share": None if two_source_share is None else float(two_source_share),
               "start_from": None if base is None else base.key, "threshold": float(threshold)}
    tr, te = arrays.index("train"), arrays.index("test")
    tr, te = tr[ok[tr]], te[ok[te]]
    if len(tr) < 2 or len(te) < 1:
        raise ValueError(f"{pairs_dir}: too few frames that show their sources ({len(tr)} train, {len(te)} test)")

    def fit_model(work: Path):
        t0 = time.time()
        X = framed_images(pairs_dir, arrays, framing, cfg["image_size"])
        torch.manual_seed(seed)
        model = ImageClassifier(len(arrays.classes), image_size=cfg["image_size"], width=cfg["width"])
        if base is not None:
            model.load_state_dict(base.model.state_dict())
        model.to(pick_device(device))
        weights = presence_weights(Y[tr], two_source_share)
        hist = train.fit_multilabel(model, X[tr], Y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                    lr=cfg["lr"], seed=seed, checkpoint=work / "checkpoint.pt", progress=progress,
                                    desc="presence probe", augment=train.augment_images, sample_weights=weights)
        return model, {**presence_scores(model, X[te], Y[te], threshold), "threshold": float(threshold),
                       "train_frames": int(len(tr)), "train_two_source_frames": int((Y[tr].sum(1) == 2).sum()),
                       "train_seconds": time.time() - t0}, hist

    out = _store(data_dir).load_or_train("presence_probe", payload, fit_model, retrain=retrain)
    out.model.to(pick_device(device))
    out.framing = framing
    return out


def _starting_classifier(start_from, pairs_dir, arrays, framing, cfg, profile, seed, data_dir, progress, device):
    """The trained model a presence probe starts from (see :func:`presence_probe`), or
    ``None``; it must have the probe's width and image size."""
    if start_from is None:
        return None
    if start_from != "image_classifier":
        raise ValueError(f"start_from must be 'image_classifier' or None, not {start_from!r}")
    from .recipes import image_classifier
    base = image_classifier(pairs_dir, profile=profile, seed=seed, data_dir=data_dir, arrays=arrays,
                            progress=progress, device=device, framing=framing)
    have = {k: base.model.config[k] for k in ("width", "image_size")}
    if have != {k: cfg[k] for k in have} or base.model.config["num_classes"] != len(arrays.classes):
        raise ValueError(f"the image classifier ({have}) does not match the probe's width and image size "
                         f"({cfg['width']}, {cfg['image_size']}); pass start_from=None to start from scratch")
    return base


def presence_weights(targets: torch.Tensor, two_source_share: Optional[float]) -> Optional[torch.Tensor]:
    """Per-item sampling weights under which two-source items ((N, C) ``targets`` with two
    classes) make up ``two_source_share`` of the draws and the others the rest, each kind
    spread evenly over its items.  ``None`` (plain shuffled epochs) when the share is
    ``None`` or one of the two kinds is missing, as nothing can then be rebalanced."""
    if two_source_share is None:
        return None
    if not 0 < two_source_share < 1:
        raise ValueError(f"two_source_share must lie strictly between 0 and 1, not {two_source_share}")
    two = targets.sum(1) == 2
    n_two = int(two.sum())
    if n_two == 0 or n_two == len(two):
        return None
    return torch.where(two, two_source_share / n_two, (1 - two_source_share) / (len(two) - n_two)).double()


def present(model, images: torch.Tensor, threshold: Optional[float] = None) -> np.ndarray:
    """Which classes a presence probe sees in ``images``: (N, C) booleans, probability above
    ``threshold``.  ``model`` is the probe's network or the probe itself (the
    :class:`~s2i_lib.train.Trained` that :func:`presence_probe` returns), whose
    ``metrics["threshold"]`` is then the default; otherwise the default is one half."""
    if isinstance(model, train.Trained):
        if threshold is None:
            threshold = model.metrics.get("threshold", 0.5)
        model = model.model
    logits = train.predict(model, images)["logits"]
    return (torch.sigmoid(logits) > (0.5 if threshold is None else threshold)).numpy()


def presence_scores(model, images: torch.Tensor, targets: torch.Tensor, threshold: float = 0.5) -> dict:
    """:func:`presence_probe`'s metrics of ``model`` on ``images`` with true (N, C) ``targets``,
    a class present when its probability exceeds ``threshold``."""
    seen, t = present(model, images, threshold), targets.numpy() > 0.5
    one, two = t.sum(1) == 1, t.sum(1) == 2
    return {"one_source_exact": float((seen[one] == t[one]).all(1).mean()) if one.any() else float("nan"),
            "two_source_both": float(((seen[two] & t[two]).sum(1) == 2).mean()) if two.any() else float("nan"),
            "one_source_frames": int(one.sum()), "two_source_frames": int(two.sum())}
