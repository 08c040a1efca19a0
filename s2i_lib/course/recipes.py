"""The course's trained encoders: made in notebook 02, loaded by every later notebook.

Each function returns a :class:`s2i_lib.training.Trained` from the model store under
``<data_dir>/models`` when one was trained with the same data and configuration, and
otherwise trains it within the profile's budget (``profile.encoders``) and stores it.

- :func:`course_pairs`      the standard pair build of a SynthAV suite (notebook 01's recipe)
- :func:`audio_classifier`  Chen et al.'s sound classifier on any representation; its
  128-d embedding is the S2I-C sound encoding
- :func:`audio_autoencoder` the stacked autoencoder; its 128-d code is the S2I-A encoding
- :func:`image_classifier`  Chen et al.'s image classifier; the course's stand-in for
  Inception when scoring generated images (every report that uses it says so)
- :func:`soundnet`          a SoundNet-style waveform network distilled from the image
  classifier on the paired frames, with layer taps such as ``pool5``
- :func:`pose_probe`        a regressor from a frame to the player's true pose (notebook 03)
- :func:`size_probe`        a regressor from a frame to the object's true size on screen (notebook 04)
- :func:`framed_images`     whole frames or crops around the player, as the GANs see them
- :func:`out_of_fold_probs` class probabilities for every pair from models that never saw
  its video (two folds by video), for cleaning pairs by classifier agreement
- :func:`cleaned_pairs`     the pair sets cleaned by classifier agreement

Every function takes ``device="auto"``: training and inference run on a GPU when torch
sees one, on the CPU otherwise (the stored weights are the same either way).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Optional, Union

import time

import numpy as np
import torch

from .. import audio, synthav
from ..data import building, datasets
from ..train import engine as training
from ..models import networks as M
from .profiles import get_profile
from .runs import pick_device, resolve

IMAGE_ENCODER_NOTE = ("image classifier of notebook 02 (6 conv + 3 FC, trained on SynthAV frames), "
                      "the course's stand-in for Inception-v3")


# ----------------------------------------------------------------------------- data
def course_pairs(suite: str, profile: str = "course", seed: int = 0, data_dir="data", workers: int = 2,
                 progress: bool = True, frame: str = "first") -> Path:
    """The pairs notebook 01 builds from a SynthAV suite with Chen et al.'s recipe (0.5 s
    segments, first frame, -45 dBFS, 80/20 split by video), built if missing and reused
    otherwise.  Returns the build folder ``<data_dir>/pairs/<suite>-<profile>-seed<seed>``.
    ``frame="middle"`` takes the frame in the middle of each segment instead (Kang & Kymn's
    pairs), in ``...-seed<seed>-middle``."""
    prof = get_profile(profile)
    data_dir = resolve(data_dir)
    src = synthav.ensure_corpus(data_dir, suite, profile, seed, workers=workers)
    size = prof.scenes if suite == "scenes" else prof.performances
    recipe = building.BuildConfig(segment=prof.build.segment_seconds, frame=frame, min_dbfs=prof.build.min_dbfs,
                                  image_size=prof.build.image_size, sample_rate=size.sample_rate,
                                  test_fraction=0.2, seed=seed)
    out = data_dir / "pairs" / (f"{suite}-{profile}-seed{seed}" + ("" if frame == "first" else f"-{frame}"))
    building.build(src, "synthav", out, recipe, workers=workers, progress=progress)
    return out


def data_key(pairs_dir) -> str:
    """What identifies a pair set: the hash of its manifest."""
    return training.file_sha256(Path(pairs_dir) / "manifest.csv")[:16]


def _store(data_dir) -> training.ModelStore:
    return training.ModelStore(resolve(data_dir) / "models")


def _rep(rep: Union[str, "audio.AudioRep"], sample_rate: int) -> "audio.AudioRep":
    """A representation object at the data's sample rate."""
    r = audio.representation(rep) if isinstance(rep, str) else rep
    if r.sample_rate != sample_rate:
        r = replace(r, sample_rate=sample_rate)
    return r


@torch.no_grad()
def represent(rep: "audio.AudioRep", waves: torch.Tensor, batch_size: int = 512, device: str = "auto") -> torch.Tensor:
    """``rep`` applied to a batch of waveforms ``(N, S)`` in chunks (on a GPU when there is
    one) -> ``(N, F, T)`` on the CPU."""
    dev = pick_device(device)
    out = [rep(waves[i:i + batch_size].to(dev)).cpu() for i in range(0, len(waves), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def stratified_subset(labels: np.ndarray, limit: Optional[int], seed: int) -> np.ndarray:
    """Positions of at most ``limit`` items, the same share from every class (all if None)."""
    if limit is None or limit >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per = max(1, limit // len(classes))
    keep = [rng.permutation(np.flatnonzero(labels == c))[:per] for c in classes]
    return np.sort(np.concatenate(keep))


# ----------------------------------------------------------------------------- recipes
def audio_classifier(pairs_dir, rep: Union[str, "audio.AudioRep"] = "logmel", depth: int = 4,
                     profile: str = "course", seed: int = 0, data_dir="data", arrays=None,
                     progress: bool = True, retrain: bool = False, device: str = "auto",
                     **overrides) -> training.Trained:
    """Chen et al.'s sound classifier (Fig. 4) trained on the train split of ``pairs_dir``.

    ``overrides`` may change ``width``, ``epochs``, ``batch_size``, ``lr``, ``l2_fc`` or
    ``max_train``.  Metrics: ``train_accuracy`` and ``test_accuracy`` (all test pairs).
    The returned object has ``.rep`` (the representation) and ``.classes``.
    """
    enc = get_profile(profile).encoders
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    r = _rep(rep, arrays.sample_rate)
    cfg = {"width": enc.width, "epochs": enc.audio_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "l2_fc": 0.015, "max_train": enc.max_train}
    cfg.update(overrides)
    payload = {"task": "audio_classifier", "data": data_key(pairs_dir), "classes": arrays.classes,
               "representation": r.as_dict(), "depth": int(depth), "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed)]

    def train(work: Path):
        t0 = time.time()
        X = represent(r, arrays.wave_tensor())
        y = arrays.label_tensor()
        torch.manual_seed(seed)
        shape = tuple(X.shape[1:])
        model = M.AudioClassifier(shape, len(arrays.classes), depth=depth, width=cfg["width"]).to(pick_device(device))
        hist = training.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                       lr=cfg["lr"], l2_fc=cfg["l2_fc"], seed=seed, X_val=X[te], y_val=y[te],
                                       checkpoint=work / "checkpoint.pt", progress=progress,
                                       desc=f"{r.label} {depth}-conv")
        metrics = {"train_accuracy": training.accuracy(model, X[tr], y[tr]),
                   "test_accuracy": training.accuracy(model, X[te], y[te]),
                   "train_pairs": int(len(tr)), "test_pairs": int(len(te)), "train_seconds": time.time() - t0}
        return model, metrics, hist.epochs

    out = _store(data_dir).load_or_train("audio_classifier", payload, train, retrain=retrain)
    out.model.to(pick_device(device))
    out.rep, out.classes = r, arrays.classes
    return out


def audio_autoencoder(pairs_dir, rep: Union[str, "audio.AudioRep"] = "logmel", profile: str = "course",
                      seed: int = 0, data_dir="data", arrays=None, progress: bool = True,
                      retrain: bool = False, device: str = "auto", **overrides) -> training.Trained:
    """Chen et al.'s stacked conv/deconv autoencoder (S2I-A), trained stack by stack on
    the train split.  Metrics: validation MSE (normalised units) on the test split."""
    enc = get_profile(profile).encoders
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    r = _rep(rep, arrays.sample_rate)
    cfg = {"width": enc.width, "epochs_per_stack": enc.autoencoder_epochs, "batch_size": enc.batch_size,
           "lr": 1e-3, "code": 128}
    cfg.update(overrides)
    payload = {"task": "audio_autoencoder", "data": data_key(pairs_dir), "representation": r.as_dict(),
               "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")

    def train(work: Path):
        t0 = time.time()
        X = represent(r, arrays.wave_tensor())
        torch.manual_seed(seed)
        ae = M.AudioAutoencoder(tuple(X.shape[1:]), code=cfg["code"], width=cfg["width"]).to(pick_device(device))
        hist = training.train_autoencoder(ae, X[tr], epochs_per_stack=cfg["epochs_per_stack"],
                                          batch_size=cfg["batch_size"], lr=cfg["lr"], seed=seed, X_val=X[te],
                                          checkpoint_dir=work, progress=progress)
        with torch.no_grad():
            xs = X[te].float()
            rec = torch.cat([ae(xs[i:i + 256].to(pick_device(device)))["reconstruction"].cpu()
                             for i in range(0, len(xs), 256)])
            mse = float(torch.nn.functional.mse_loss(rec, ae.norm(xs.unsqueeze(1).to(pick_device(device))).cpu()))
        return ae, {"test_mse": mse, "train_pairs": int(len(tr)), "train_seconds": time.time() - t0}, hist.epochs

    out = _store(data_dir).load_or_train("audio_autoencoder", payload, train, retrain=retrain)
    out.model.to(pick_device(device))
    out.rep, out.classes = r, arrays.classes
    return out


def image_classifier(pairs_dir, profile: str = "course", seed: int = 0, data_dir="data", arrays=None,
                     progress: bool = True, retrain: bool = False, device: str = "auto", framing: str = "full",
                     **overrides) -> training.Trained:
    """Chen et al.'s image classifier (Fig. 5) on frames of the train split, at the
    profile's generated-image size, with random flips and shifts.

    It plays Inception's role, and Inception learnt from a curated data set: so on a
    SynthAV build (``train_on="clean"``, the default when the truth is known) it learns
    only from the train frames that truly show their class; on other data, or with
    ``train_on="all"``, from every train frame with its clip's label.  Metrics:
    ``train_accuracy``, ``test_accuracy`` (all test frames) and, for SynthAV builds,
    ``clean_test_accuracy`` (test frames that truly show their class).

    ``framing`` chooses what it sees (:func:`framed_images`): whole frames, or the
    ``"player"`` / ``"center"`` crops the GANs of notebook 03 generate; its ``.framing``
    tells later code which.
    """
    enc = get_profile(profile).encoders
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    clean = _clean_frames(pairs_dir, arrays)
    cfg = {"width": enc.width, "epochs": enc.image_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "l2_fc": 0.015, "image_size": enc.image_size, "augment": True,
           "train_on": "clean" if clean is not None else "all"}
    if framing != "full":
        cfg["framing"] = framing       # absent for whole frames, so earlier stored models keep their keys
    cfg.update(overrides)
    if cfg["train_on"] == "clean" and clean is None:
        raise ValueError(f"{pairs_dir}: train_on='clean' needs SynthAV ground truth, which this build lacks")
    payload = {"task": "image_classifier", "data": data_key(pairs_dir), "classes": arrays.classes,
               "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    if cfg["train_on"] == "clean":
        tr = tr[clean[tr]]

    def train(work: Path):
        t0 = time.time()
        X = framed_images(pairs_dir, arrays, framing, cfg["image_size"])
        y = arrays.label_tensor()
        torch.manual_seed(seed)
        model = M.ImageClassifier(len(arrays.classes), image_size=cfg["image_size"], width=cfg["width"]).to(pick_device(device))
        hist = training.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                       lr=cfg["lr"], l2_fc=cfg["l2_fc"], seed=seed, X_val=X[te], y_val=y[te],
                                       checkpoint=work / "checkpoint.pt", progress=progress, desc="image classifier",
                                       augment=training.augment_images if cfg["augment"] else None)
        metrics = {"train_accuracy": training.accuracy(model, X[tr], y[tr]),
                   "test_accuracy": training.accuracy(model, X[te], y[te]), "train_pairs": int(len(tr)),
                   "train_seconds": time.time() - t0}
        if clean is not None:
            ct = te[clean[te]]
            metrics["clean_test_accuracy"] = training.accuracy(model, X[ct], y[ct])
            metrics["clean_test_frames"] = int(len(ct))
        return model, metrics, hist.epochs

    out = _store(data_dir).load_or_train("image_classifier", payload, train, retrain=retrain)
    out.model.to(pick_device(device))
    out.classes, out.framing = arrays.classes, framing
    return out


def _regression_probe(pairs_dir, task: str, target: np.ndarray, ok: np.ndarray, framing: str, profile: str,
                      seed: int, data_dir, arrays, progress: bool, retrain: bool, device: str,
                      overrides: dict) -> training.Trained:
    """A small CNN from a framed image to one number (``target``), trained on the train
    pairs where ``ok``; metrics on the test pairs where ``ok``."""
    enc = get_profile(profile).encoders
    y = torch.tensor(np.nan_to_num(target), dtype=torch.float32)
    cfg = {"width": enc.width, "epochs": enc.image_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "image_size": enc.image_size, "framing": framing}
    cfg.update(overrides)
    payload = {"task": task, "data": data_key(pairs_dir), "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr, te = tr[ok[tr]], te[ok[te]]
    if len(tr) < 2 or len(te) < 2:
        raise ValueError(f"{pairs_dir}: too few frames with a known {task.replace('_probe', '')} "
                         f"({len(tr)} train, {len(te)} test)")

    def train(work: Path):
        t0 = time.time()
        X = framed_images(pairs_dir, arrays, framing, cfg["image_size"])
        torch.manual_seed(seed)
        dev = pick_device(device)
        model = M.ImageClassifier(1, image_size=cfg["image_size"], width=cfg["width"]).to(dev)
        Xtr, ytr = X[tr], y[tr]

        def step(idx):
            return torch.nn.functional.mse_loss(model(Xtr[idx].to(dev))["logits"][:, 0], ytr[idx].to(dev))

        hist = training.train_loop(model, model.parameters(), len(tr), step, epochs=cfg["epochs"],
                                   batch_size=cfg["batch_size"], lr=cfg["lr"], seed=seed,
                                   checkpoint=work / "checkpoint.pt", progress=progress, desc=task.replace("_", " "))
        p = read_probe(model, X[te])
        t = y[te].numpy()
        metrics = {"test_r": float(np.corrcoef(p, t)[0, 1]), "test_mae": float(np.abs(p - t).mean()),
                   "baseline_mae": float(np.abs(float(ytr.mean()) - t).mean()),
                   "train_frames": int(len(tr)), "test_frames": int(len(te)), "train_seconds": time.time() - t0}
        return model, metrics, hist.epochs

    out = _store(data_dir).load_or_train(task, payload, train, retrain=retrain)
    out.model.to(pick_device(device))
    out.framing = framing
    return out


def pose_probe(pairs_dir, framing: str = "player", profile: str = "course", seed: int = 0, data_dir="data",
               arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
               **overrides) -> training.Trained:
    """A regressor from a frame to the player's true pose in [0, 1] (SynthAV truth: the
    note played sets it), trained on train frames that show their source while a note
    sounds, on the same framing and size as the images it will judge.  The course uses
    it to ask whether a generated image's pose follows the note heard.  Metrics on the
    test frames: ``test_r`` (Pearson correlation) and ``test_mae``; ``baseline_mae`` is
    what always answering the train mean would score."""
    from ..data import cleaning
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    truth = cleaning.pair_truth_table(arrays.df, cleaning.corpus_dir_of(pairs_dir), with_pose=True)
    ok = (truth["frame_shows_source"] & truth["pose"].notna()).to_numpy()
    return _regression_probe(pairs_dir, "pose_probe", truth["pose"].to_numpy(float), ok, framing, profile, seed,
                             data_dir, arrays, progress, retrain, device, overrides)


def true_sizes(pairs_dir, df) -> np.ndarray:
    """For each pair of a SynthAV build, the sounding object's height on screen as a share
    of the frame height (``object_size_px / frame_size`` of its clip): the distance that
    sets it also sets the loudness."""
    from ..data import cleaning
    meta = {m["clip_id"]: m for m in synthav.load_metadata(cleaning.corpus_dir_of(pairs_dir))}
    try:
        return np.array([meta[v]["object_size_px"] / meta[v]["frame_size"] for v in df["video_id"]], np.float64)
    except KeyError as e:
        raise ValueError(f"{pairs_dir}: video {e.args[0]!r} has no entry in the SynthAV metadata") from None


def size_probe(pairs_dir, framing: str = "full", profile: str = "course", seed: int = 0, data_dir="data",
               arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
               **overrides) -> training.Trained:
    """A regressor from a frame to the true on-screen size of the sounding object
    (:func:`true_sizes`), trained on train frames that show their source; notebook 04
    uses it to measure whether a louder sound makes the generator draw a bigger object
    (Wan et al. Table 3).  Metrics as :func:`pose_probe`."""
    from ..data import cleaning
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    truth = cleaning.pair_truth_table(arrays.df, cleaning.corpus_dir_of(pairs_dir))
    ok = truth["frame_shows_source"].to_numpy(bool)
    return _regression_probe(pairs_dir, "size_probe", true_sizes(pairs_dir, arrays.df), ok, framing, profile, seed,
                             data_dir, arrays, progress, retrain, device, overrides)


def read_probe(model, images: torch.Tensor) -> np.ndarray:
    """The number a :func:`pose_probe` or :func:`size_probe` model reads in ``images``
    (N, 3, H, W) in [0, 1]."""
    return training.predict(model, images)["logits"][:, 0].numpy()


def soundnet(pairs_dir, teacher: training.Trained, profile: str = "course", seed: int = 0, data_dir="data",
             arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
             **overrides) -> training.Trained:
    """A SoundNet-style network on raw waveforms, taught by ``teacher`` (the image
    classifier): on every train pair it learns to output the class distribution the
    teacher sees in the paired frame — no sound labels are used, as in SoundNet.
    Metrics: accuracy of its own predictions against the pairs' labels on the test split,
    and agreement with the teacher there."""
    enc = get_profile(profile).encoders
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    cfg = {"width": enc.width, "epochs": enc.soundnet_epochs, "batch_size": enc.batch_size, "lr": 1e-3,
           "max_train": enc.max_train}
    cfg.update(overrides)
    payload = {"task": "soundnet", "data": data_key(pairs_dir), "classes": arrays.classes,
               "teacher": teacher.key, "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed)]

    def train(work: Path):
        t0 = time.time()
        W = arrays.wave_tensor()
        y = arrays.label_tensor()
        T = training.predict(teacher.model, arrays.image_tensor())["probs"]
        torch.manual_seed(seed)
        model = M.SoundNet1D(len(arrays.classes), width=cfg["width"]).to(pick_device(device))
        hist = training.fit_distillation(model, W[tr], T[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                         lr=cfg["lr"], seed=seed, X_val=W[te], y_val=y[te],
                                         checkpoint=work / "checkpoint.pt", progress=progress, desc="SoundNet")
        p = training.predict(model, W[te])["probs"].argmax(1)
        metrics = {"test_accuracy": float((p == y[te]).float().mean()),
                   "teacher_agreement": float((p == T[te].argmax(1)).float().mean()), "train_pairs": int(len(tr)),
                   "train_seconds": time.time() - t0}
        return model, metrics, hist.epochs

    out = _store(data_dir).load_or_train("soundnet", payload, train, retrain=retrain)
    out.model.to(pick_device(device))
    return out


# ----------------------------------------------------------------------------- using them
def downsample(images: torch.Tensor, size: int) -> torch.Tensor:
    """Area-average ``(N, 3, H, W)`` images to ``size`` x ``size``."""
    if images.shape[-1] == size:
        return images
    return torch.nn.functional.interpolate(images, size=(size, size), mode="area")


FRAMINGS = ("full", "player", "center")


def player_boxes(pairs_dir, df) -> np.ndarray:
    """For each pair of a SynthAV build, a square box ``(x0, y0, x1, y1)`` in fractions of
    the frame around the sounding player or object, from the clip's metadata (its
    on-screen size and the position of its feet).  Raises ``ValueError`` naming the folder
    when the build has no SynthAV metadata (use ``framing="center"`` for real data)."""
    from ..data import cleaning
    try:
        corpus = cleaning.corpus_dir_of(pairs_dir)
        meta = {m["clip_id"]: m for m in synthav.load_metadata(corpus)}
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise ValueError(f"{pairs_dir}: framing='player' needs SynthAV metadata, which this build lacks ({e}); "
                         "use framing='center' or 'full'") from None
    boxes = np.zeros((len(df), 4), np.float32)
    for i, v in enumerate(df["video_id"]):
        if v not in meta:
            raise ValueError(f"{pairs_dir}: video {v!r} has no entry in the SynthAV metadata of {corpus}")
        m = meta[v]
        x, y_bottom = m["position"]
        h = m["object_size_px"] / m["frame_size"]
        side = 1.07 * h
        boxes[i] = (x - side / 2, y_bottom - 1.05 * h, x + side / 2, y_bottom - 1.05 * h + side)
    return boxes


def crop_images(images: torch.Tensor, boxes: np.ndarray, size: int) -> torch.Tensor:
    """Resample each image's box (fractions of the frame) to ``size`` x ``size``; parts of
    a box outside the frame come out black."""
    from torchvision.ops import roi_align
    H, W = images.shape[-2:]
    b = torch.as_tensor(boxes, dtype=torch.float32) * torch.tensor([W, H, W, H], dtype=torch.float32)
    rois = torch.cat([torch.arange(len(b), dtype=torch.float32)[:, None], b], dim=1)
    return roi_align(images.float(), rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=2,
                     aligned=True)


def framed_images(pairs_dir, arrays, framing: str, size: int, center_fraction: float = 0.6) -> torch.Tensor:
    """The pairs' frames as the GANs see them, ``(N, 3, size, size)`` in [0, 1]:

    - ``"full"``   the whole frame, area-averaged (notebook 02);
    - ``"player"`` a square around the sounding player (SynthAV metadata): Sub-URMP frames
      show one player filling the picture, and a player that covers a sixth of a 32-pixel
      frame leaves too few pixels for an instrument or a pose;
    - ``"center"`` the central ``center_fraction`` of the frame, Kang & Kymn's fixed crop,
      for real data without boxes.
    """
    if framing not in FRAMINGS:
        raise ValueError(f"framing must be one of {FRAMINGS}, got {framing!r}")
    imgs = arrays.image_tensor()
    if framing == "full":
        return downsample(imgs, size)
    if framing == "player":
        boxes = player_boxes(pairs_dir, arrays.df)
    else:
        a = (1 - center_fraction) / 2
        boxes = np.tile(np.array([a, a, 1 - a, 1 - a], np.float32), (len(imgs), 1))
    return crop_images(imgs, boxes, size)


def audio_embedding(trained: training.Trained, waves: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The 128-d sound encoding of ``waves`` by an audio classifier (S2I-C) or
    autoencoder (S2I-A)."""
    X = represent(trained.rep, waves)
    return training.predict(trained.model, X, batch_size=batch_size)["embedding"]


def soundnet_features(trained: training.Trained, waves: torch.Tensor, tap: str = "pool5") -> torch.Tensor:
    """SoundNet-style features of ``waves`` at layer ``tap``, averaged over time."""
    return training.predict(trained.model, waves, taps=(tap,))[tap]


def _clean_frames(pairs_dir, arrays) -> Optional[np.ndarray]:
    """For a SynthAV build: which pairs' frames truly show their class (None otherwise)."""
    from ..data import cleaning
    try:
        corpus = cleaning.corpus_dir_of(pairs_dir)
        truth = cleaning.pair_truth_table(arrays.df, corpus)
    except (FileNotFoundError, ValueError, KeyError):
        return None
    return truth["frame_shows_source"].to_numpy(bool)


def out_of_fold_probs(pairs_dir, kind: str, profile: str = "course", seed: int = 0, data_dir="data",
                      arrays=None, rep: Union[str, "audio.AudioRep"] = "logmel", folds: int = 2,
                      progress: bool = True, device: str = "auto", **overrides) -> np.ndarray:
    """Class probabilities ``(N, classes)`` for every pair of the build, each predicted by
    a model trained on the *other* folds' videos (``kind`` = ``"image"`` or ``"audio"``).

    Wan et al. cleaned with classifiers trained on other data (Inception, SoundNet); a
    classifier that had seen a pair would simply echo its (possibly wrong) label, so the
    course uses cross-fitting instead: split the videos into ``folds`` groups, train on
    all but one, predict the held-out one.  ``overrides`` may set ``epochs``, ``width``,
    ``batch_size`` or ``max_train`` (default: the profile's cap for sounds, none for images).
    """
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    enc = get_profile(profile).encoders
    videos = np.array(sorted(arrays.df["video_id"].unique()))
    rng = np.random.default_rng(seed + 7)
    fold_of_video = dict(zip(rng.permutation(videos), np.arange(len(videos)) % folds))
    fold = arrays.df["video_id"].map(fold_of_video).to_numpy()
    probs = np.zeros((len(arrays), len(arrays.classes)), np.float32)
    y = arrays.label_tensor()
    if kind == "image":
        X = downsample(arrays.image_tensor(), enc.image_size)
    elif kind == "audio":
        X = represent(_rep(rep, arrays.sample_rate), arrays.wave_tensor())
    else:
        raise ValueError(f"kind must be 'image' or 'audio', got {kind!r}")
    store = _store(data_dir)
    cfg = {"width": enc.width, "batch_size": enc.batch_size,
           "epochs": enc.image_epochs if kind == "image" else enc.audio_epochs,
           "max_train": None if kind == "image" else enc.max_train}
    cfg.update(overrides)
    for k in range(folds):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed + k)]
        payload = {"task": f"{kind}_fold", "data": data_key(pairs_dir), "fold": k, "folds": folds,
                   "seed": int(seed), **cfg,
                   "representation": _rep(rep, arrays.sample_rate).as_dict() if kind == "audio" else None,
                   "image_size": enc.image_size if kind == "image" else None, "augment": kind == "image"}

        def train(work: Path, tr=tr, k=k):
            torch.manual_seed(seed + k)
            if kind == "image":
                model = M.ImageClassifier(len(arrays.classes), image_size=enc.image_size, width=cfg["width"])
            else:
                model = M.AudioClassifier(tuple(X.shape[1:]), len(arrays.classes), depth=4, width=cfg["width"])
            model.to(pick_device(device))
            hist = training.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"],
                                           batch_size=cfg["batch_size"], seed=seed + k,
                                           augment=training.augment_images if kind == "image" else None,
                                           checkpoint=work / "checkpoint.pt", progress=progress,
                                           desc=f"{kind} fold {k + 1}/{folds}")
            return model, {"held_out_accuracy": training.accuracy(model, X[te], y[te])}, hist.epochs

        trained = store.load_or_train(f"{kind}_fold", payload, train)
        trained.model.to(pick_device(device))
        probs[te] = training.predict(trained.model, X[te])["probs"].numpy()
    return probs


def cleaned_pairs(suite: str, rule: str = "top1", profile: str = "course", seed: int = 0, data_dir="data",
                  workers: int = 2, progress: bool = True, arrays=None, probs=None) -> Path:
    """The pair set of :func:`course_pairs` cleaned by classifier agreement (notebook 02,
    section 7): ``<data_dir>/pairs/<suite>-<profile>-seed<seed>-clean-<rule>``.

    Made if missing or stale (its ``cleaning.json`` records the source manifest's hash):
    out-of-fold image and sound classifiers (loaded from the model store or trained) judge
    every pair, and the pairs whose labels agree under ``rule`` are written with
    :func:`s2i_lib.cleaning.write_cleaned`.  ``probs`` may pass ``(image_probs,
    audio_probs)`` already computed.
    """
    from ..data import cleaning
    src = course_pairs(suite, profile, seed, data_dir, workers, progress=progress)
    out = src.parent / f"{src.name}-clean-{rule}"
    source_sha = training.file_sha256(src / "manifest.csv")
    if (out / "cleaning.json").exists():
        done = cleaning.load_cleaning(out)
        if done.get("source_manifest_sha256") == source_sha and done.get("rule") == rule:
            return out
    arrays = arrays if arrays is not None else datasets.load_arrays(src, progress=progress)
    if probs is None:
        probs = (out_of_fold_probs(src, "image", profile, seed, data_dir, arrays=arrays, progress=progress),
                 out_of_fold_probs(src, "audio", profile, seed, data_dir, arrays=arrays, progress=progress))
    p_img, p_snd = probs
    keep = cleaning.agreement(p_img, p_snd, rule)
    preds = {"image_pred": [arrays.classes[i] for i in p_img.argmax(1)],
             "audio_pred": [arrays.classes[i] for i in p_snd.argmax(1)]}
    info = {"image": "out-of-fold image classifiers (2 folds by video)",
            "audio": "out-of-fold LMS sound classifiers (2 folds by video)", "seed": seed, "profile": profile}
    return cleaning.write_cleaned(src, out, keep, rule=rule, predictions=preds, info=info)
