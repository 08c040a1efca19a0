"""Notebook 06's trained parts, each through the model store (Sung-Bin et al. 2023,
Sound2Scene), with the sizes of a profile's :class:`~s2i_lib.course.profiles.Sound2SceneSize`.

- :func:`simclr_encoder`  the image encoder learnt without labels (:func:`s2i_lib.train.fit_simclr`);
- :func:`unit_features`   an encoder's features of images or spectrograms, scaled to unit length;
- :func:`audio_encoder`   the audio encoder aligned to fixed visual features
  (:func:`s2i_lib.train.fit_alignment`) with a loss, logits and temperature;
- :func:`ic_gan`          the instance-conditioned generator trained on images alone: notebook
  04's rung (f) (projection discriminator, spectral norm, hinge loss) conditioned on unit
  features times ``cond_scale``, each real partner drawn from the instance's k nearest
  neighbours among the training images (:func:`s2i_lib.train.knn_partners`).

Every key holds the settings and digests of the training tensors themselves
(:func:`s2i_lib.train.tensor_digest`), so other frames, sounds, features or splits never
reload a stale model.  Every function takes ``device="auto"``: the networks train on a GPU
when torch sees one, on the CPU otherwise, and the returned model is on that device whether it
was trained or loaded (the store's keys and weights do not depend on the device).
"""
from __future__ import annotations

import copy
import time
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .. import models, train
from ..train.engine import device_of
from .runs import pick_device


def _rows(rows) -> torch.Tensor:
    return torch.as_tensor(np.asarray(rows), dtype=torch.long)


def simclr_encoder(store, payload: dict, images: torch.Tensor, rows, size, seed: int = 0, progress: bool = True,
                   retrain: bool = False, device: str = "auto"):
    """:class:`s2i_lib.models.SimCLREncoder` trained on ``images[rows]`` (in [0, 1]), stored
    under ``simclr_06``, on ``device``."""
    dev = pick_device(device)
    x = images[_rows(rows)]
    cfg = {"width": size.simclr_width, "feature_dim": size.simclr_feature_dim, "proj_dim": size.simclr_proj_dim,
           "epochs": size.simclr_epochs, "batch_size": size.simclr_batch_size, "lr": size.simclr_lr,
           "temperature": size.simclr_temperature, "image_size": int(images.shape[-1])}
    full = {**payload, "task": "simclr", "seed": int(seed), **cfg, "images": train.tensor_digest(x)}

    def fit_model(work):
        t0 = time.time()
        torch.manual_seed(seed)
        enc = models.SimCLREncoder(cfg["image_size"], cfg["width"], cfg["feature_dim"], cfg["proj_dim"]).to(dev)
        log = train.fit_simclr(enc, x, epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                               temperature=cfg["temperature"], seed=seed, checkpoint=work / "checkpoint.pt",
                               progress=progress, desc=f"SimCLR seed {seed}")
        return enc.eval(), {**log[-1], "train_seconds": time.time() - t0}, log

    out = store.load_or_train("simclr_06", full, fit_model, retrain=retrain)
    out.model.to(dev)                    # a loaded model comes back on the CPU
    return out


@torch.no_grad()
def unit_features(model, X: torch.Tensor, key: str = "features", batch_size: int = 512) -> torch.Tensor:
    """``model(X)[key]`` in batches on the model's device, eval mode, each row scaled to unit
    length (on the CPU)."""
    model = getattr(model, "model", model)
    was = model.training
    model.eval()
    dev = device_of(model)
    out = [model(X[i:i + batch_size].to(dev).float())[key].cpu() for i in range(0, len(X), batch_size)]
    model.train(was)
    return F.normalize(torch.cat(out), dim=1)


def audio_encoder(store, payload: dict, X: torch.Tensor, target: torch.Tensor, rows, size, seed: int = 0,
                  loss: str = "info_nce", similarity: str = "l2", temperature: Optional[float] = None,
                  val_rows=None, progress: bool = True, retrain: bool = False, device: str = "auto"):
    """:class:`s2i_lib.models.AudioResNet18` (``size.audio_width``) trained on spectrograms
    ``X[rows]`` to land on ``target[rows]`` (the paired frames' features) with ``loss``,
    ``similarity`` and ``temperature`` (default ``size.align_temperature``), stored under
    ``audio_06``, on ``device``; ``val_rows`` adds the validation loss and instance retrieval
    to the log."""
    dev = pick_device(device)
    r = _rows(rows)
    t = size.align_temperature if temperature is None else float(temperature)
    cfg = {"width": size.audio_width, "epochs": size.audio_epochs, "batch_size": size.audio_batch_size,
           "lr": size.audio_lr, "loss": loss, "similarity": similarity, "temperature": t,
           "out_dim": int(target.shape[1])}
    full = {**payload, "task": "audio_alignment", "seed": int(seed), **cfg, "sounds": train.tensor_digest(X[r]),
            "target": train.tensor_digest(target[r]),
            "val": None if val_rows is None else train.tensor_digest(_rows(val_rows))}

    def fit_model(work):
        t0 = time.time()
        torch.manual_seed(seed)
        enc = models.AudioResNet18(cfg["out_dim"], width=cfg["width"]).to(dev)
        v = _rows(val_rows) if val_rows is not None else None
        log = train.fit_alignment(enc, X[r], target[r], epochs=cfg["epochs"], batch_size=cfg["batch_size"], lr=cfg["lr"],
                                  loss=loss, similarity=similarity, temperature=t, seed=seed,
                                  X_val=None if v is None else X[v], target_val=None if v is None else target[v],
                                  checkpoint=work / "checkpoint.pt", progress=progress,
                                  desc=f"audio {loss}/{similarity} t={t:g} seed {seed}")
        return enc.eval(), {**log[-1], "train_seconds": time.time() - t0}, log

    out = store.load_or_train("audio_06", full, fit_model, retrain=retrain)
    out.model.to(dev)
    return out


def ic_gan(store, payload: dict, images: torch.Tensor, features: torch.Tensor, labels: torch.Tensor, rows, size,
           gan_size, seed: int = 0, cond_scale: Optional[float] = None, image_size: Optional[int] = None,
           progress: bool = True, retrain: bool = False, device: str = "auto"):
    """The instance-conditioned generator of the module docstring, trained on ``images[rows]``
    (in [0, 1]) with conditions ``features[rows]`` (unit length) times ``cond_scale`` (default
    the course's condition scale, ``gan_size.cond_rms * sqrt(dim)``: entries of root-mean-square
    ``cond_rms``, as :func:`s2i_lib.train.at_noise_scale` makes them), stored
    under ``icgan_06`` through :func:`s2i_lib.train.cached_gan`; ``gan_size`` (the profile's
    :class:`~s2i_lib.course.profiles.GANSize`) gives the batch, betas and EMA.  ``labels`` are
    only logged (the generator never sees a class).  G and D train on ``device``."""
    from .ladder import ladder_rung
    dev = pick_device(device)
    r = _rows(rows)
    feats = F.normalize(features[r].float(), dim=1)
    k = min(int(size.icgan_k), len(r))
    cond_scale = float(gan_size.cond_rms * np.sqrt(feats.shape[1]) if cond_scale is None else cond_scale)
    local = train.knn_partners(feats, k)                        # indices into the training rows
    side = int(image_size or images.shape[-1])
    torch.manual_seed(seed)
    G, D, rung_cfg = ladder_rung("f", feats.shape[1], int(labels.max()) + 1, image_size=side, width=size.icgan_width)
    cfg = gan_size.gan_config(size.icgan_steps, seed, lr_g=size.icgan_lr, lr_d=size.icgan_lr,
                              sample_every=size.icgan_steps, **{**rung_cfg, "wrong": "none"})
    data = train.GANData(images[r] * 2 - 1, feats * cond_scale, labels[r], partners=local)
    full = {**payload, "experiment": "IC-GAN", "k": k, "cond_scale": float(cond_scale),
            "images": train.tensor_digest(images[r]), "features": train.tensor_digest(feats)}
    out = train.cached_gan(store, "icgan_06", full, G.to(dev), D.to(dev), data, cfg, progress=progress,
                           desc=f"IC-GAN seed {seed}", retrain=retrain)
    out.model.to(dev)
    return out


class CorrespondenceScore:
    """A learned audio-visual score per frame for the builder's ``frame="topk"`` strategy
    (:class:`s2i_lib.data.BuildConfig`; the stand-in there is
    :func:`s2i_lib.data.energy_typicality_score`): for every frame of a clip, the cosine
    similarity between the image encoder's feature of the frame and the aligned audio
    encoder's feature of the ``window`` seconds of sound centred on it (zero-padded at the
    clip's ends).  Sound2Scene picks training frames with a sound-source localisation model;
    this is the course's stand-in built from its own two encoders.

    ``image_encoder`` maps (N, 3, S, S) images in [0, 1] to ``{"features"}``, ``audio_encoder``
    spectrograms to ``{"embedding"}``; ``rep`` is the spectrogram (an
    :class:`s2i_lib.audio.AudioRep` at the clip's sample rate) and ``image_size`` the side the
    image encoder sees.  The object pickles (the builder's worker processes receive it).

    ``key`` names the score in the build's settings (:func:`s2i_lib.data.score_name`): by
    default made from the two encoders' model-store keys, so a build with retrained encoders
    never reuses a folder; give one when the encoders are plain modules.

    The score keeps CPU copies of the two encoders (what pickles to the workers; the caller's
    encoders stay where they are) and runs them on ``device`` (``"auto"``: a GPU when torch
    sees one), each process moving its own copy there at its first clip; the device is not
    part of ``key``."""

    def __init__(self, image_encoder, audio_encoder, rep, image_size: int, window: float = 0.5,
                 key: Optional[str] = None, device: str = "auto"):
        keys = [getattr(image_encoder, "key", None), getattr(audio_encoder, "key", None)]
        self.image_encoder = copy.deepcopy(getattr(image_encoder, "model", image_encoder)).cpu().eval()
        self.audio_encoder = copy.deepcopy(getattr(audio_encoder, "model", audio_encoder)).cpu().eval()
        self.device = str(pick_device(device))
        self._on_device = None               # (image encoder, audio encoder) on a device other than the CPU
        self.rep, self.image_size, self.window = rep, int(image_size), float(window)
        if key is None and None not in keys:
            key = "correspondence " + train.config_key({"image": keys[0], "audio": keys[1], "rep": repr(rep),
                                                          "image_size": self.image_size, "window": self.window})
        self.key = key

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_on_device"] = None           # each process makes its own device copies
        return state

    def encoders(self):
        """The image and audio encoders on the score's device."""
        if torch.device(self.device).type == "cpu":
            return self.image_encoder, self.audio_encoder
        if getattr(self, "_on_device", None) is None:
            self._on_device = (copy.deepcopy(self.image_encoder).to(self.device),
                               copy.deepcopy(self.audio_encoder).to(self.device))
        return self._on_device

    def windows(self, clip) -> torch.Tensor:
        """The (T, window samples) stretches of the clip's mono sound centred on each frame."""
        sr = int(clip.sample_rate)
        audio = torch.as_tensor(np.asarray(clip.mono(), dtype=np.float32))
        n = int(round(self.window * sr))
        padded = F.pad(audio, (n, n))
        starts = [int(round(t * sr)) - n // 2 + n for t in np.asarray(clip.frame_times)]
        return torch.stack([padded[s:s + n] for s in starts])

    def frames(self, clip) -> torch.Tensor:
        x = torch.as_tensor(np.asarray(clip.frames)).permute(0, 3, 1, 2).float() / 255.0
        return F.interpolate(x, size=(self.image_size, self.image_size), mode="area")

    @torch.no_grad()
    def __call__(self, clip) -> np.ndarray:
        if clip.frames is None or not len(clip.frames):
            return np.zeros(0)
        image_encoder, audio_encoder = self.encoders()
        with train.one_thread():                 # the builder runs one of these per core
            v = unit_features(image_encoder, self.frames(clip), "features")
            a = unit_features(audio_encoder, self.rep(self.windows(clip).to(device_of(audio_encoder))), "embedding")
        return (v * a).sum(dim=1).numpy().astype(np.float64)


class MiddleOfClip:
    """The ``frame="topk"`` score of the plain choice: frames nearer the middle of the clip
    score higher, so the builder keeps the k moments around the middle (k = 1: the middle
    frame, the usual pick when a clip is reduced to one picture).  Compared with
    :class:`CorrespondenceScore` by notebook 06 at the same number of pairs per clip."""

    key = "middle of the clip"
    needs_frames = False          # the builder need not decode the clip to score it

    def __call__(self, clip) -> np.ndarray:
        t = np.asarray(clip.frame_times, dtype=np.float64)
        return -np.abs(t - 0.5 * (t.min() + t.max())) if len(t) else np.zeros(0)
