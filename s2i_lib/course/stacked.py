"""Notebook 05's course pieces: the image features, the standardisation every feature gets,
the stack of multimodal layers and two pix2pix GANs as one sound-to-image function, and its
scores (anonymous 2019, Secs. 5.2-5.4).

- :func:`image_features` the stand-in for VGG-16's fc6: the first fully connected layer of
  notebook 02's image classifier (256-d, after its ReLU).  VGG-16 has three FC layers and fc6
  is the first; the course classifier's ``fc1`` sits at the same place, and its 256 entries
  fill a 16 x 16 map exactly.  The judge's scores (FD, KID) use the classifier's 128-d
  ``embedding``, the next layer, not this one.
- :class:`Standardizer` per-dimension mean and standard deviation of the training rows.
- :class:`StackedGANs` sound feature -> multimodal feature (before the activation) -> GAN 1
  -> image feature -> GAN 2 -> image, or without the multimodal layers (the raw sound feature
  into GAN 1).
- :func:`cached_multimodal` the multimodal layers trained through the model store;
  :func:`nearest_sound_same_class` the paper's check of the shared space;
  :func:`classify_features` the classifier's own last layers on ``fc1`` features (does a
  generated feature still name its class?).
- :func:`stacked_scores` the judge's scores of generated images beside their real frames:
  class accuracy, IS, FD, KID and the paper's top-k overlap.

The trainings take ``device="auto"`` (a GPU when torch sees one) and return their model on
that device, trained or loaded; the inference here runs on the networks' own device and
returns CPU tensors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from .. import models
from ..eval import report as ev_report
from ..eval import scores
from ..train.engine import device_of
from .runs import pick_device


def image_features(trained, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The ``fc1`` features (N, 256) of ``images`` (N, 3, H, W) in [0, 1] by a trained image
    classifier (:func:`s2i_lib.course.recipes.image_classifier`), in eval mode."""
    from ..train import predict
    model = getattr(trained, "model", trained)
    out = predict(model, images, batch_size=batch_size)
    if "fc1" not in out:
        raise ValueError(f"{type(model).__name__} does not return an 'fc1' feature (it returns {sorted(out)})")
    return out["fc1"].float()


@dataclass
class Standardizer:
    """``(x - mean) / std`` per dimension, with the statistics of the rows it was fitted on
    (:meth:`fit`; a dimension that is constant there is only centred); :meth:`inverse` undoes
    it."""
    mean: torch.Tensor
    std: torch.Tensor

    @classmethod
    def fit(cls, x: torch.Tensor, rows=None, eps: float = 1e-6) -> "Standardizer":
        ref = x if rows is None else x[torch.as_tensor(np.asarray(rows), dtype=torch.long)]
        if len(ref) < 2:
            raise ValueError(f"a standardisation needs at least two rows, got {len(ref)}")
        ref = ref.double()
        std = ref.std(0)
        # a dimension constant over the fitting rows (a ReLU unit that never fires there) keeps its
        # scale: dividing by ~0 would blow up the rows where it does fire
        return cls(ref.mean(0).float(), torch.where(std > eps, std, torch.ones_like(std)).float())

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.mean.shape[-1]:
            raise ValueError(f"features of size {x.shape[-1]}, the standardisation was fitted on {self.mean.shape[-1]}")
        return (x - self.mean.to(x.device)) / self.std.to(x.device)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        return z * self.std.to(z.device) + self.mean.to(z.device)


def classify_features(trained, features: torch.Tensor) -> torch.Tensor:
    """Class probabilities of ``fc1`` features (N, 256) by the rest of the image classifier
    that made them (its ``fc2`` and ``fc3``, eval mode): what the classifier would say of an
    image with these features."""
    model = getattr(trained, "model", trained)
    head = model.head
    with torch.no_grad():
        dev = next(head.parameters()).device
        logits = head.fc3(torch.relu(head.fc2(features.to(dev).float())))
    return torch.softmax(logits, dim=1).cpu()


def cached_multimodal(store, payload: dict, image: torch.Tensor, sound: torch.Tensor, labels: torch.Tensor, rows,
                      num_classes: int, size, terms: Sequence[str], seed: int, hidden_ce=None,
                      progress: bool = True, retrain: bool = False, device: str = "auto"):
    """:class:`~s2i_lib.models.MultimodalLayers` trained on rows ``rows`` of the paired
    ``image`` and ``sound`` features with :func:`s2i_lib.train.fit_multimodal` and the loss
    ``terms``, with the sizes of ``size`` (a :class:`~s2i_lib.course.profiles.StackedSize`),
    through the model store under ``multimodal_05``: the key holds ``payload``, the settings
    and digests of the training rows themselves.  Returns the store's
    :class:`~s2i_lib.train.store.Trained` (``history``: one row per epoch with the hidden
    norms) whose model is on ``device``, trained or loaded."""
    import time
    from .. import train
    dev = pick_device(device)
    rows = torch.as_tensor(np.asarray(rows), dtype=torch.long)
    xi, xs, y = image[rows], sound[rows], labels[rows]
    full = {**payload, "task": "multimodal", "terms": list(terms), "seed": int(seed), "hidden": size.mm_hidden,
            "epochs": size.mm_epochs, "batch_size": size.mm_batch_size, "lr": size.mm_lr,
            "num_classes": int(num_classes), "hidden_ce": getattr(hidden_ce, "__name__", None),
            "image": train.tensor_digest(xi), "sound": train.tensor_digest(xs), "labels": train.tensor_digest(y)}

    def fit_model(work):
        t0 = time.time()
        torch.manual_seed(seed)
        mm = models.MultimodalLayers(xi.shape[1], xs.shape[1], num_classes, hidden=size.mm_hidden).to(dev)
        log = train.fit_multimodal(mm, xi, xs, y, terms=terms, epochs=size.mm_epochs, batch_size=size.mm_batch_size,
                                   lr=size.mm_lr, hidden_ce=hidden_ce, seed=seed, checkpoint=work / "checkpoint.pt",
                                   progress=progress, desc=f"multimodal {'+'.join(terms)} seed {seed}")
        return mm.eval(), {**log[-1], "train_seconds": time.time() - t0}, log

    out = store.load_or_train("multimodal_05", full, fit_model, retrain=retrain)
    out.model.to(dev)                    # a loaded model comes back on the CPU
    return out


@torch.no_grad()
def nearest_sound_same_class(mm: nn.Module, image: torch.Tensor, sound: torch.Tensor, labels,
                             key: str = "post") -> Dict[str, float]:
    """The paper's check of the shared space (Sec. 5.3) on one set of pairs: for each image,
    the sound of the set whose multimodal feature (``key``: ``"pre"`` or ``"post"`` the
    activation) lies nearest its own, in Euclidean distance; ``same_class`` is how often that
    sound's pair has the image's class, ``own_pair`` how often it is the image's own sound,
    and ``chance`` the rate a sound drawn at random would have (the sum of the squared class
    shares).  The layers run on their own device."""
    labels = np.asarray(labels)
    mm.eval()
    dev = device_of(mm)
    a = mm(image=image.to(dev))[key].cpu().numpy().astype(np.float64)
    b = mm(sound=sound.to(dev))[key].cpu().numpy().astype(np.float64)
    n = len(labels)
    block = n if n * n <= 2 ** 26 else max(1, 2 ** 26 // n)     # paper-size sets: rows in blocks of 512 MB
    bb = (b * b).sum(1)[None, :]
    nearest = np.concatenate([np.argmin((a[i:i + block] * a[i:i + block]).sum(1)[:, None] + bb
                                        - 2.0 * a[i:i + block] @ b.T, axis=1) for i in range(0, n, block)])
    shares = np.bincount(labels) / n
    return {"same_class": float((labels[nearest] == labels).mean()), "own_pair": float((nearest == np.arange(n)).mean()),
            "chance": float((shares ** 2).sum())}


class StackedGANs:
    """Sound features to images through the paper's stack.

    ``sound_norm`` standardises the raw sound features; ``mm`` (trained
    :class:`~s2i_lib.models.MultimodalLayers`, or ``None`` for the variant without them) maps
    them to the multimodal feature before the activation; ``cond_norm`` standardises what GAN
    1 gets; ``G1`` makes a ``gan1_size`` map read back as an ``image_dim``-d standardised image
    feature, and ``G2`` renders that feature, laid out as a map of its own input size, as an
    image.  Every method runs without gradients with the networks in eval mode, each network on
    its own device, and returns CPU tensors."""

    def __init__(self, mm: Optional[nn.Module], G1: nn.Module, G2: nn.Module, sound_norm: Standardizer,
                 cond_norm: Standardizer, image_dim: int):
        self.mm, self.G1, self.G2 = mm, G1, G2
        self.sound_norm, self.cond_norm, self.image_dim = sound_norm, cond_norm, int(image_dim)
        for net in (mm, G1, G2):
            if net is not None:
                net.eval()

    @torch.no_grad()
    def condition(self, sound: torch.Tensor) -> torch.Tensor:
        """What GAN 1 reads for raw sound features ``sound``: the multimodal feature before the
        activation (or the standardised sound feature itself without ``mm``), standardised."""
        z = self.sound_norm(sound)
        v = self.mm(sound=z.to(device_of(self.mm)))["pre"].cpu() if self.mm is not None else z
        return self.cond_norm(v)

    @torch.no_grad()
    def image_features(self, sound: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """GAN 1's standardised image features for ``sound`` (N, image_dim)."""
        c = self.condition(sound)
        size, dev = self.G1.config["size"], device_of(self.G1)
        out = [models.map_to_vector(self.G1(models.vector_to_map(c[i:i + batch_size].to(dev), size)),
                                    self.image_dim).cpu() for i in range(0, len(c), batch_size)]
        return torch.cat(out) if out else torch.empty(0, self.image_dim)

    @torch.no_grad()
    def render(self, features: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """GAN 2's images (N, 3, S, S) in [0, 1] for standardised image ``features``."""
        size, dev = self.G2.config["size"], device_of(self.G2)
        out = [((self.G2(models.vector_to_map(features[i:i + batch_size].to(dev), size)) + 1) / 2).cpu()
               for i in range(0, len(features), batch_size)]
        return torch.cat(out)

    def images(self, sound: torch.Tensor) -> torch.Tensor:
        """Sound features -> images in [0, 1]: GAN 2 on GAN 1's features."""
        return self.render(self.image_features(sound))


def stacked_scores(fake_images: torch.Tensor, labels, judge, real: Dict, ks: Sequence[int] = (1, 2, 3),
                   seed: int = 0) -> Dict[str, float]:
    """The judge's scores of ``fake_images`` made for the pairs whose real frames gave
    ``real`` (the judge's output on them, in the same order): ``accuracy`` (the judge names
    the pair's class), ``IS``, ``FD`` and ``KID`` against the real frames
    (:func:`s2i_lib.eval.report.evaluate`), and ``top{k}``, the paper's metric, the share of
    pairs whose generated and real images share a label among the judge's top ``k``
    (:func:`s2i_lib.eval.scores.topk_overlap`)."""
    labels = np.asarray(labels)
    if len(fake_images) != len(real["probs"]) or len(labels) != len(fake_images):
        raise ValueError(f"{len(fake_images)} generated images, {len(real['probs'])} real ones and {len(labels)} labels")
    fake = judge(fake_images)
    r = ev_report.evaluate(judge, fake_images, labels, real_images=real, seed=seed)
    out = {"accuracy": r["accuracy"], "IS": r["inception_score_mean"], "FD": r["frechet_distance"], "KID": r["kid_mean"]}
    for k in ks:
        out[f"top{k}"] = scores.topk_overlap(fake["probs"], real["probs"], k)
    return out


def gan2(store, payload: dict, features: torch.Tensor, images: torch.Tensor, size, seed: int, skips: bool = True,
         device: str = "auto", progress: bool = True, retrain: bool = False):
    """The stack's GAN 2 (standardised image features laid out as a square map -> image,
    a U-Net, or a plain encoder-decoder without ``skips``, against a PatchGAN) on the
    training rows ``features`` and ``images`` (in [0, 1]), with the sizes of ``size`` (a
    :class:`~s2i_lib.course.profiles.StackedSize`), through the store as ``gan2_05``, trained
    on ``device`` (where the returned generator is, trained or loaded)."""
    from .. import train
    dev = pick_device(device)
    side = images.shape[-1]
    torch.manual_seed(seed)
    G = models.UNetGenerator(1, 3, size=side, width=size.gan2_width, skips=skips)
    D = models.PatchDiscriminator(1, 3, width=size.gan2_width)
    out = train.cached_pix2pix(store, "gan2_05", {**payload, "stage": "GAN 2"}, G.to(dev), D.to(dev),
                               models.vector_to_map(features, side), images * 2 - 1, size.pix2pix_config(2, seed),
                               desc=f"GAN 2 seed {seed}", progress=progress, retrain=retrain)
    out.model.to(dev)                    # a loaded generator comes back on the CPU
    return out


def gan1(store, payload: dict, cond: torch.Tensor, features: torch.Tensor, size, seed: int, multimodal: bool = True,
         skips: bool = True, d_scale: Optional[float] = None, device: str = "auto", progress: bool = True,
         retrain: bool = False):
    """The stack's GAN 1 (a standardised sound condition -> a standardised image feature,
    both laid out at ``gan1_size``, linear output) on the training rows, its discriminator's
    loss scaled by ``d_scale`` (default the profile's), through the store as ``gan1_05``,
    trained on ``device`` (where the returned generator is, trained or loaded); ``multimodal``
    records which condition it reads."""
    from .. import train
    dev = pick_device(device)
    torch.manual_seed(seed)
    G = models.UNetGenerator(1, 1, size=size.gan1_size, width=size.gan1_width, skips=skips, out="linear")
    D = models.PatchDiscriminator(1, 1, width=size.gan1_width, layers=2)
    cfg = size.pix2pix_config(1, seed, d_scale=size.d_scale if d_scale is None else d_scale)
    out = train.cached_pix2pix(store, "gan1_05", {**payload, "stage": "GAN 1", "multimodal": multimodal},
                               G.to(dev), D.to(dev), models.vector_to_map(cond, size.gan1_size),
                               models.vector_to_map(features, size.gan1_size), cfg, desc=f"GAN 1 seed {seed}",
                               progress=progress, retrain=retrain)
    out.model.to(dev)
    return out


@dataclass
class Notebook05Stack:
    """What :func:`notebook05_stack` returns: ``stacks`` (seed -> :class:`StackedGANs`), the
    cleaned ``pairs`` folder and its ``arrays``, the notebook's ``split`` ("train", "test" or
    "dropped" per pair) and ``sound`` (the raw pool5 features of every pair, what
    :meth:`StackedGANs.images` reads)."""
    stacks: Dict[int, StackedGANs]
    pairs: object
    arrays: object
    split: np.ndarray
    sound: torch.Tensor

    def test_pair_ids(self) -> np.ndarray:
        return self.arrays.df["pair_id"].to_numpy()[self.split == "test"]


def notebook05_stack(profile: str = "course", seeds: Sequence[int] = (0,), data_dir="data", workers: int = 2,
                     clean_rule: str = "top3", retrain: bool = False, device: str = "auto") -> Notebook05Stack:
    """Notebook 05's stacked GANs (multimodal layers with the paper's loss, GAN 1 and GAN 2,
    each seed trained through the model store), made exactly as notebook 05 makes them, so
    that after notebook 05 has run they load from ``data/models`` and other notebooks (06's
    table) can score them on notebook 05's test sounds, which no part of the stack saw.
    Missing models are trained (minutes per seed on the course profile)."""
    from .. import data as pairdata
    from .. import train
    from . import recipes
    from .runs import resolve
    from .profiles import get_profile
    prof = get_profile(profile)
    ss, size, dev = prof.stacked, prof.encoders.image_size, pick_device(device)
    data_dir = resolve(data_dir)
    common = dict(profile=profile, seed=0, data_dir=data_dir, device=dev)
    store = train.ModelStore(data_dir / "models")
    full_pairs = recipes.course_pairs("scenes", profile, 0, data_dir, workers, progress=False)
    full_arr = pairdata.load_arrays(full_pairs, progress=False)
    pairs = recipes.cleaned_pairs("scenes", clean_rule, profile, 0, data_dir, workers, arrays=full_arr, progress=False)
    arr = pairdata.load_arrays(pairs, progress=False)
    builder_test = set(full_arr.df.loc[full_arr.df["split"] == "test", "video_id"])
    split = pairdata.resplit_by_video(arr.df, ss.test_fraction, 0, test_videos=builder_test)
    tr = np.flatnonzero(split == "train")
    gamma = recipes.image_classifier(full_pairs, arrays=full_arr, progress=False, **common)
    snet = recipes.soundnet(full_pairs, gamma, arrays=full_arr, progress=False, **common)
    images = pairdata.framed_images(pairs, arr, "full", size)
    f_snd = recipes.soundnet_features(snet, arr.wave_tensor(), "pool5").float()
    f_img = image_features(gamma, images)
    img_norm, snd_norm = Standardizer.fit(f_img, tr), Standardizer.fit(f_snd, tr)
    zi, zs, y = img_norm(f_img), snd_norm(f_snd), arr.label_tensor()
    mm_payload = {"data": recipes.data_key(pairs), "split": f"video {ss.test_fraction:g}, builder test videos, balanced",
                  "image_feature": gamma.key, "sound_feature": snet.key}
    gan_payload = {**mm_payload, "images": f"full frames {size}x{size}"}
    stacks = {}
    for seed in seeds:
        mm = cached_multimodal(store, mm_payload, zi, zs, y, tr, len(arr.classes), ss, ("l1", "hidden_ce", "output_ce"),
                               seed, progress=False, retrain=retrain, device=dev).model
        with torch.no_grad():
            v = mm(sound=zs.to(dev))["pre"].cpu()
        v_norm = Standardizer.fit(v, tr)
        g2 = gan2(store, gan_payload, zi[tr], images[tr], ss, seed, device=dev, progress=False, retrain=retrain)
        g1 = gan1(store, gan_payload, v_norm(v)[tr], zi[tr], ss, seed, device=dev, progress=False, retrain=retrain)
        stacks[seed] = StackedGANs(mm, g1.model, g2.model, snd_norm, v_norm, zi.shape[1])
    return Notebook05Stack(stacks, pairs, arr, split, f_snd)
