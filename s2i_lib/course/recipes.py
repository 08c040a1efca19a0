"""The course's trained encoders: made in notebook 02, loaded by every later notebook.

Each function returns a :class:`s2i_lib.train.Trained` from the model store under
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
- :func:`out_of_fold_probs` class probabilities for every pair from models that never saw
  its video (two folds by video), for cleaning pairs by classifier agreement
- :func:`cleaned_pairs`     the pair sets cleaned by classifier agreement

The probes are in :mod:`s2i_lib.course.probes`, the framings in :mod:`s2i_lib.data.framing`.
Every stored model's key holds the data's fingerprint, every resolved setting and the
recipe's version in :data:`RECIPE_VERSIONS` (bump it when a recipe's code changes what
it trains).  Every function takes ``device="auto"``: training and inference run on a GPU when torch
sees one, on the CPU otherwise (the stored weights are the same either way).
"""
from __future__ import annotations

import hashlib
import weakref
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Optional, Union

import time

import numpy as np
import torch

from .. import audio, cache, models, synthav, train
from ..data import building, cleaning, datasets
from ..data.framing import downsample, framed_images
from ..train import Trained
from .profiles import get_profile
from .runs import pick_device, resolve

RECIPE_VERSIONS = {"audio_classifier": 3, "audio_autoencoder": 3, "image_classifier": 3, "soundnet": 2,
                   "pose_probe": 2, "size_probe": 2, "presence_probe": 2, "image_fold": 3, "audio_fold": 3, "cleaning": 2}
"""The version of each recipe, part of its models' keys (2: the one-engine library, per-sample
augmentation; 3: the 2-D conv nets train in channels-last memory format, which sums in
another order; presence_probe 2: balanced two-source draws, started from the image classifier)."""

IMAGE_ENCODER_NOTE = ("image classifier of notebook 02 (6 conv + 3 FC, trained on SynthAV frames), "
                      "the course's stand-in for Inception-v3")


# ----------------------------------------------------------------------------- data
def course_pairs(suite: str, profile: str = "course", seed: int = 0, data_dir="data", workers: int = 2,
                 progress: bool = True, frame: str = "first", score_fn=None, topk: int = 3) -> Path:
    """The pairs notebook 01 builds from a SynthAV suite with Chen et al.'s recipe (0.5 s
    segments, first frame, -45 dBFS, 80/20 split by video), built if missing and reused
    otherwise.  Returns the build folder ``<data_dir>/pairs/<suite>-<profile>-seed<seed>``.
    ``frame="middle"`` takes the frame in the middle of each segment instead (Kang & Kymn's
    pairs), in ``...-seed<seed>-middle``.  ``frame="topk"`` keeps the ``topk`` moments of
    each clip that ``score_fn`` scores highest (each with its 0.5 s of sound; notebook 06),
    in ``...-seed<seed>-top<k>-<hash of the score's name>``, so that every score has its own
    folder (:func:`s2i_lib.data.score_name`).  The split by video depends only on the seed and
    on which videos have pairs, so strategies that keep pairs of the same videos split alike."""
    prof = get_profile(profile)
    data_dir = resolve(data_dir)
    src = synthav.ensure_corpus(data_dir, suite, profile, seed, workers=workers)
    size = prof.scenes if suite == "scenes" else prof.performances
    recipe = building.BuildConfig(segment=prof.build.segment_seconds, frame=frame, topk=topk,
                                  min_dbfs=prof.build.min_dbfs, image_size=prof.build.image_size,
                                  sample_rate=size.sample_rate, test_fraction=0.2, seed=seed)
    suffix = {"first": "", "middle": "-middle"}.get(frame)
    if suffix is None:
        suffix = f"-top{topk}-" + cache.cache_key({"score": building.score_name(score_fn)}, 8)
    out = data_dir / "pairs" / f"{suite}-{profile}-seed{seed}{suffix}"
    building.build(src, "synthav", out, recipe, workers=workers, progress=progress, score_fn=score_fn)
    return out


def data_key(pairs_dir) -> str:
    """What identifies a pair set in a model's key: :func:`s2i_lib.data.fingerprint` (its
    manifest and every setting that made the files it lists)."""
    return building.fingerprint(pairs_dir)


def _store(data_dir) -> train.ModelStore:
    return train.ModelStore(resolve(data_dir) / "models")


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


_REP_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_REP_CACHE_SIZE = 2          # representations kept per pair set (an STFT of the scenes suite is 0.6 GB)


def represented(rep: "audio.AudioRep", arrays, device: str = "auto") -> torch.Tensor:
    """``rep`` of every waveform of ``arrays`` (``(N, F, T)`` on the CPU), computed once and
    kept for the next models trained on the same pair set and representation (the last
    :data:`_REP_CACHE_SIZE` representations per pair set; treat the result as read-only)."""
    cache_ = _REP_CACHE.setdefault(arrays, OrderedDict())
    key = (rep, len(arrays))
    if key in cache_:
        cache_.move_to_end(key)
        return cache_[key]
    X = represent(rep, arrays.wave_tensor(), device=device)
    cache_[key] = X
    while len(cache_) > _REP_CACHE_SIZE:
        cache_.popitem(last=False)
    return X


def channels_last(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with its 2-D conv weights in channels-last memory format (in place).  On a
    CPU, oneDNN then runs the convolutions, batch norms and pools of the course's small
    nets without reordering every layer's input: measured 1.4 to 1.7 times faster for a
    training step of the sound classifier and 2 to 2.5 times for inference.  Other
    parameters (1-D convs, linear layers) are left as they are."""
    return model.to(memory_format=torch.channels_last)


def _last_val(hist, metric: str = "val_accuracy") -> Optional[float]:
    """The metric of the last log row (what a final evaluation on the same items gives:
    the row is written after the last step, in eval mode)."""
    return float(hist[-1][metric]) if hist and metric in hist[-1] else None


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
                     **overrides) -> Trained:
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
    payload = {"task": "audio_classifier", "recipe_version": RECIPE_VERSIONS["audio_classifier"], "data": data_key(pairs_dir), "classes": arrays.classes,
               "representation": r.as_dict(), "depth": int(depth), "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed)]

    def fit_model(work: Path):
        X = represented(r, arrays, device)     # computed once per pair set and representation
        t0 = time.time()                        # train_seconds: the training alone, not the representation
        y = arrays.label_tensor()
        torch.manual_seed(seed)
        shape = tuple(X.shape[1:])
        model = models.AudioClassifier(shape, len(arrays.classes), depth=depth, width=cfg["width"])
        channels_last(model.to(pick_device(device)))
        hist = train.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                       lr=cfg["lr"], l2_fc=cfg["l2_fc"], seed=seed, X_val=X[te], y_val=y[te],
                                       checkpoint=work / "checkpoint.pt", progress=progress,
                                       desc=f"{r.label} {depth}-conv")
        test_acc = _last_val(hist)      # the last row scored the final model on all test pairs
        metrics = {"train_accuracy": train.accuracy(model, X[tr], y[tr]),
                   "test_accuracy": test_acc if test_acc is not None else train.accuracy(model, X[te], y[te]),
                   "train_pairs": int(len(tr)), "test_pairs": int(len(te)), "train_seconds": time.time() - t0}
        return model, metrics, hist

    out = _store(data_dir).load_or_train("audio_classifier", payload, fit_model, retrain=retrain)
    channels_last(out.model.to(pick_device(device)))
    out.rep, out.classes = r, arrays.classes
    return out


def audio_autoencoder(pairs_dir, rep: Union[str, "audio.AudioRep"] = "logmel", profile: str = "course",
                      seed: int = 0, data_dir="data", arrays=None, progress: bool = True,
                      retrain: bool = False, device: str = "auto", **overrides) -> Trained:
    """Chen et al.'s stacked conv/deconv autoencoder (S2I-A), trained stack by stack on
    the train split.  Metrics: the reconstruction MSE (normalised units) on the test split,
    and the same for the untrained network it started from (what training gained)."""
    enc = get_profile(profile).encoders
    arrays = arrays if arrays is not None else datasets.load_arrays(pairs_dir, progress=progress)
    r = _rep(rep, arrays.sample_rate)
    cfg = {"width": enc.width, "epochs_per_stack": enc.autoencoder_epochs, "batch_size": enc.batch_size,
           "lr": 1e-3, "code": 128}
    cfg.update(overrides)
    payload = {"task": "audio_autoencoder", "recipe_version": RECIPE_VERSIONS["audio_autoencoder"], "data": data_key(pairs_dir), "representation": r.as_dict(),
               "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")

    def fit_model(work: Path):
        t0 = time.time()
        X = represented(r, arrays, device)
        dev = pick_device(device)
        torch.manual_seed(seed)
        ae = channels_last(models.AudioAutoencoder(tuple(X.shape[1:]), code=cfg["code"], width=cfg["width"]).to(dev))
        untrained = channels_last(models.from_config(ae.config).to(dev))
        untrained.load_state_dict(ae.state_dict())
        hist = train.train_autoencoder(ae, X[tr], epochs_per_stack=cfg["epochs_per_stack"],
                                       batch_size=cfg["batch_size"], lr=cfg["lr"], seed=seed, X_val=X[te],
                                       checkpoint_dir=work, progress=progress)
        untrained.norm.load_state_dict(ae.norm.state_dict())
        metrics = {"test_mse": reconstruction_mse(ae, X[te]), "untrained_test_mse": reconstruction_mse(untrained, X[te]),
                   "train_pairs": int(len(tr)), "train_seconds": time.time() - t0}
        return ae, metrics, hist

    out = _store(data_dir).load_or_train("audio_autoencoder", payload, fit_model, retrain=retrain)
    channels_last(out.model.to(pick_device(device)))
    out.rep, out.classes = r, arrays.classes
    return out


@torch.no_grad()
def reconstruction_mse(ae, X: torch.Tensor, batch_size: int = 256) -> float:
    """Mean squared error of an autoencoder's reconstructions of ``X``, in its normalised
    units (what its training minimises)."""
    dev = train.device_of(ae)
    ae.eval()
    total = 0.0
    for i in range(0, len(X), batch_size):
        xs = X[i:i + batch_size].to(dev).float()
        total += float(torch.nn.functional.mse_loss(ae(xs)["reconstruction"], ae.norm(xs.unsqueeze(1)),
                                                    reduction="sum"))
    return total / max(1, X[:1].numel() * len(X))


def image_classifier(pairs_dir, profile: str = "course", seed: int = 0, data_dir="data", arrays=None,
                     progress: bool = True, retrain: bool = False, device: str = "auto", framing: str = "full",
                     **overrides) -> Trained:
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
    payload = {"task": "image_classifier", "recipe_version": RECIPE_VERSIONS["image_classifier"], "data": data_key(pairs_dir), "classes": arrays.classes,
               "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    if cfg["train_on"] == "clean":
        tr = tr[clean[tr]]

    def fit_model(work: Path):
        t0 = time.time()
        X = framed_images(pairs_dir, arrays, framing, cfg["image_size"])
        y = arrays.label_tensor()
        torch.manual_seed(seed)
        model = models.ImageClassifier(len(arrays.classes), image_size=cfg["image_size"], width=cfg["width"])
        channels_last(model.to(pick_device(device)))
        hist = train.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                       lr=cfg["lr"], l2_fc=cfg["l2_fc"], seed=seed, X_val=X[te], y_val=y[te],
                                       checkpoint=work / "checkpoint.pt", progress=progress, desc="image classifier",
                                       augment=train.augment_images if cfg["augment"] else None)
        test_acc = _last_val(hist)      # the last row scored the final model on all test frames
        metrics = {"train_accuracy": train.accuracy(model, X[tr], y[tr]),
                   "test_accuracy": test_acc if test_acc is not None else train.accuracy(model, X[te], y[te]),
                   "train_pairs": int(len(tr)),
                   "train_seconds": time.time() - t0}
        if clean is not None:
            ct = te[clean[te]]
            metrics["clean_test_accuracy"] = train.accuracy(model, X[ct], y[ct])
            metrics["clean_test_frames"] = int(len(ct))
        return model, metrics, hist

    out = _store(data_dir).load_or_train("image_classifier", payload, fit_model, retrain=retrain)
    channels_last(out.model.to(pick_device(device)))
    out.classes, out.framing = arrays.classes, framing
    return out


def soundnet(pairs_dir, teacher: Trained, profile: str = "course", seed: int = 0, data_dir="data",
             arrays=None, progress: bool = True, retrain: bool = False, device: str = "auto",
             **overrides) -> Trained:
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
    payload = {"task": "soundnet", "recipe_version": RECIPE_VERSIONS["soundnet"], "data": data_key(pairs_dir), "classes": arrays.classes,
               "teacher": teacher.key, "seed": int(seed), **cfg}
    tr, te = arrays.index("train"), arrays.index("test")
    tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed)]

    def fit_model(work: Path):
        t0 = time.time()
        W = arrays.wave_tensor()
        y = arrays.label_tensor()
        T = train.predict(teacher.model, arrays.image_tensor())["probs"]
        torch.manual_seed(seed)
        model = models.SoundNet1D(len(arrays.classes), width=cfg["width"]).to(pick_device(device))
        hist = train.fit_distillation(model, W[tr], T[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                         lr=cfg["lr"], seed=seed, X_val=W[te], y_val=y[te],
                                         checkpoint=work / "checkpoint.pt", progress=progress, desc="SoundNet")
        p = train.predict(model, W[te])["probs"].argmax(1)
        metrics = {"test_accuracy": float((p == y[te]).float().mean()),
                   "teacher_agreement": float((p == T[te].argmax(1)).float().mean()), "train_pairs": int(len(tr)),
                   "train_seconds": time.time() - t0}
        return model, metrics, hist

    out = _store(data_dir).load_or_train("soundnet", payload, fit_model, retrain=retrain)
    out.model.to(pick_device(device))
    return out


def audio_embedding(trained: Trained, waves: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The 128-d sound encoding of ``waves`` by an audio classifier (S2I-C) or
    autoencoder (S2I-A)."""
    X = represent(trained.rep, waves)
    return train.predict(trained.model, X, batch_size=batch_size)["embedding"]


def soundnet_features(trained: Trained, waves: torch.Tensor, tap: str = "pool5") -> torch.Tensor:
    """SoundNet-style features of ``waves`` at layer ``tap``, averaged over time."""
    return train.predict(trained.model, waves, taps=(tap,))[tap]


def _clean_frames(pairs_dir, arrays) -> Optional[np.ndarray]:
    """For a SynthAV build: which pairs' frames truly show their class (None otherwise)."""
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
    fold = video_folds(arrays.df["video_id"].to_numpy(), folds, seed)
    probs = np.zeros((len(arrays), len(arrays.classes)), np.float32)
    y = arrays.label_tensor()
    if kind not in ("image", "audio"):
        raise ValueError(f"kind must be 'image' or 'audio', got {kind!r}")
    r = _rep(rep, arrays.sample_rate)
    X = downsample(arrays.image_tensor(), enc.image_size) if kind == "image" else represented(r, arrays, device)
    store = _store(data_dir)
    cfg = {"width": enc.width, "batch_size": enc.batch_size, "lr": 1e-3, "l2_fc": 0.015,
           "epochs": enc.image_epochs if kind == "image" else enc.audio_epochs,
           "max_train": None if kind == "image" else enc.max_train}
    cfg.update(overrides)
    for k in range(folds):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        tr = tr[stratified_subset(arrays.labels[tr], cfg["max_train"], seed + k)]
        payload = {"task": f"{kind}_fold", "recipe_version": RECIPE_VERSIONS[f"{kind}_fold"],
                   "data": data_key(pairs_dir), "classes": arrays.classes, "fold": k, "folds": folds,
                   "seed": int(seed), **cfg, "representation": r.as_dict() if kind == "audio" else None,
                   "depth": 4 if kind == "audio" else None,
                   "image_size": enc.image_size if kind == "image" else None, "augment": kind == "image"}

        def fit_model(work: Path, tr=tr, k=k):
            torch.manual_seed(seed + k)
            if kind == "image":
                model = models.ImageClassifier(len(arrays.classes), image_size=enc.image_size, width=cfg["width"])
            else:
                model = models.AudioClassifier(tuple(X.shape[1:]), len(arrays.classes), depth=4, width=cfg["width"])
            channels_last(model.to(pick_device(device)))
            hist = train.fit_classifier(model, X[tr], y[tr], epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                                        lr=cfg["lr"], l2_fc=cfg["l2_fc"], seed=seed + k,
                                        augment=train.augment_images if kind == "image" else None,
                                        checkpoint=work / "checkpoint.pt", progress=progress,
                                        desc=f"{kind} fold {k + 1}/{folds}")
            return model, {"held_out_accuracy": train.accuracy(model, X[te], y[te])}, hist

        trained = store.load_or_train(f"{kind}_fold", payload, fit_model)
        channels_last(trained.model.to(pick_device(device)))
        probs[te] = train.predict(trained.model, X[te])["probs"].numpy()
    return probs


def video_folds(video_ids: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """The fold (0 .. ``folds``-1) of each item: whole videos are dealt to folds in a
    seeded random order, so no video has items in two folds (a model trained on the
    other folds has never seen any moment of a held-out video)."""
    videos = np.array(sorted(set(video_ids)))
    if folds < 2 or folds > len(videos):
        raise ValueError(f"need 2 <= folds <= number of videos ({len(videos)}), got {folds}")
    rng = np.random.default_rng(seed + 7)
    fold_of_video = dict(zip(rng.permutation(videos), np.arange(len(videos)) % folds))
    return np.array([fold_of_video[v] for v in video_ids], dtype=np.int64)


def cleaned_pairs(suite: str, rule: str = "top1", profile: str = "course", seed: int = 0, data_dir="data",
                  workers: int = 2, progress: bool = True, arrays=None, probs=None) -> Path:
    """The pair set of :func:`course_pairs` cleaned by classifier agreement (notebook 02,
    section 7): ``<data_dir>/pairs/<suite>-<profile>-seed<seed>-clean-<rule>``.

    Out-of-fold image and sound classifiers (loaded from the model store or trained) judge
    every pair (or ``probs`` passes ``(image_probs, audio_probs)`` already computed), and
    the pairs whose labels agree under ``rule`` are written with
    :func:`s2i_lib.data.cleaning.write_cleaned`.  The set on disk is reused only when its
    key (source data, rule, the exact probabilities, the recipe version) is the one asked
    for; otherwise it is made again.
    """
    src = course_pairs(suite, profile, seed, data_dir, workers, progress=progress)
    out = src.parent / f"{src.name}-clean-{rule}"
    arrays = arrays if arrays is not None else datasets.load_arrays(src, progress=progress)
    if probs is None:
        probs = (out_of_fold_probs(src, "image", profile, seed, data_dir, arrays=arrays, progress=progress),
                 out_of_fold_probs(src, "audio", profile, seed, data_dir, arrays=arrays, progress=progress))
    p_img, p_snd = (np.ascontiguousarray(p, dtype=np.float32) for p in probs)
    key = cache.cache_key({"recipe_version": RECIPE_VERSIONS["cleaning"], "source": data_key(src), "rule": rule,
                           "image_probs": hashlib.sha256(p_img.tobytes()).hexdigest(),
                           "audio_probs": hashlib.sha256(p_snd.tobytes()).hexdigest()})
    if (out / "cleaning.json").exists() and cleaning.load_cleaning(out).get("info", {}).get("key") == key:
        return out
    keep = cleaning.agreement(p_img, p_snd, rule)
    preds = {"image_pred": [arrays.classes[i] for i in p_img.argmax(1)],
             "audio_pred": [arrays.classes[i] for i in p_snd.argmax(1)]}
    info = {"image": "out-of-fold image classifiers (2 folds by video)",
            "audio": "out-of-fold LMS sound classifiers (2 folds by video)", "seed": seed, "profile": profile,
            "key": key}
    return cleaning.write_cleaned(src, out, keep, rule=rule, predictions=preds, info=info)
