"""Scores for generated images: the evaluation every GAN notebook of the course uses.

Two layers, kept apart so that every number can say where its features came from:

- :class:`FeatureExtractor` runs an image classifier and returns, for each image, the
  class probabilities and the 128-d embedding.  It carries a ``name``; every report
  built with :func:`evaluate` repeats that name.
- Plain functions turn those arrays into numbers: :func:`inception_score`,
  :func:`frechet_distance` (with :func:`feature_stats` / :func:`frechet_from_stats`),
  :func:`class_accuracy`, :func:`topk_overlap`, :func:`recall_at_k` and
  :func:`diversity`.  They take numpy arrays (torch tensors are converted) and compute
  in float64.

Important caveat.  The Inception Score (Salimans et al. 2016, "Improved Techniques for
Training GANs") and the Fréchet Inception Distance (Heusel et al. 2017, "GANs Trained by
a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium") are defined on the
outputs of Inception-v3 trained on ImageNet.  Here the features come from the course's
own image classifier (notebook 02: 6 conv + 3 FC layers trained on SynthAV frames, see
:data:`s2i_lib.encoders.IMAGE_ENCODER_NOTE`).  The formulas are the papers', the
network is not: the numbers can be compared between runs of the course that use the
same extractor, never with the values printed in the papers.
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F

__all__ = ["FeatureExtractor", "inception_score", "feature_stats", "frechet_from_stats", "frechet_distance",
           "class_accuracy", "topk_overlap", "recall_at_k", "diversity", "evaluate"]

_EPS = 1e-12


def _np(x, dtype=np.float64) -> np.ndarray:
    """A numpy array of ``x`` (torch tensors are detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype) if dtype is not None else np.asarray(x)


# ----------------------------------------------------------------------------------------
# Feature extraction
# ----------------------------------------------------------------------------------------

@dataclass
class FeatureExtractor:
    """An image classifier used as the feature network of the scores.

    ``model`` maps a float batch ``(N, 3, H, W)`` in [0, 1] to a dict with ``logits``
    ``(N, C)`` and ``embedding`` ``(N, D)``.  ``image_size`` is the side the model expects
    (inputs of another size are area-resampled to it; ``None`` leaves them as they are).
    ``name`` names the extractor in every result, so that a score is never read as an
    Inception-v3 score by mistake.

    ``dtype`` is the precision of the forward pass.  In float32 (the default, as the
    model is trained) the features depend on the batch size at the level of float32
    rounding (~1e-7 relative), since the convolution routines change with the batch shape;
    ``torch.float64`` runs a double-precision copy of the model (several times slower on a
    CPU) whose features agree across batch sizes to ~1e-15.
    """
    model: torch.nn.Module
    name: str
    image_size: Optional[int] = None
    dtype: torch.dtype = torch.float32

    @classmethod
    def from_trained(cls, trained, name: Optional[str] = None,
                     dtype: torch.dtype = torch.float32) -> "FeatureExtractor":
        """Wrap a :class:`s2i_lib.training.Trained` (or anything with ``.model``), e.g. the
        result of :func:`s2i_lib.encoders.image_classifier`."""
        model = trained.model
        size = getattr(model, "config", {}).get("image_size")
        size = int(size) if size is not None else None
        if name is None:
            name = "s2i image classifier (Inception stand-in)"
            if size is not None:
                name += f", {size}x{size}"
            framing = getattr(trained, "framing", "full")
            if framing != "full":
                name += f", {framing} crops"
            try:
                name += f", model {trained.key}"
            except Exception:  # no stored path: the name simply has no key
                pass
        return cls(model=model, name=name, image_size=size, dtype=dtype)

    @property
    def device(self) -> torch.device:
        p = next(self.model.parameters(), None)
        return p.device if p is not None else torch.device("cpu")

    def _prepare(self, images) -> torch.Tensor:
        x = torch.as_tensor(images)
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected images of shape (N, 3, H, W), got {tuple(x.shape)}")
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
        s = self.image_size
        if s is not None and (x.shape[-2] != s or x.shape[-1] != s) and len(x):
            x = F.interpolate(x, size=(s, s), mode="area")
        return x

    def __call__(self, images, batch_size: int = 256) -> Dict[str, np.ndarray]:
        """``probs`` ``(N, C)`` (softmax of the logits) and ``features`` ``(N, D)`` (the
        embedding) of ``images``, both float64 numpy arrays.  Runs in eval mode without
        gradients on the model's device; the model's train/eval mode is restored after."""
        x = self._prepare(images).to(self.dtype)
        model = self.model if self.dtype == torch.float32 else copy.deepcopy(self.model).to(self.dtype)
        was_training = self.model.training
        model.eval()
        probs, feats = [], []
        try:
            with torch.no_grad():
                for i in range(0, len(x), batch_size):
                    out = model(x[i:i + batch_size].to(self.device))
                    probs.append(F.softmax(out["logits"].double(), dim=1).cpu())
                    feats.append(out["embedding"].double().cpu())
        finally:
            self.model.train(was_training)
        if not probs:
            raise ValueError("no images given")
        return {"probs": torch.cat(probs).numpy(), "features": torch.cat(feats).numpy()}


# ----------------------------------------------------------------------------------------
# Inception Score
# ----------------------------------------------------------------------------------------

def inception_score(probs, splits: int = 10, seed: int = 0) -> Tuple[float, float]:
    """Inception Score (Salimans et al. 2016) of class probabilities ``probs`` ``(N, C)``.

    IS = exp( E_x KL(p(y|x) || p(y)) ), where p(y) is the mean prediction over the images.
    It is large when each image is classified confidently (low-entropy p(y|x)) and the
    images cover many classes (high-entropy p(y)): 1 for uniform predictions, C for
    confident predictions spread evenly over the C classes.

    As in the paper and in Wan et al. 2019 (Table 4), the images are cut into ``splits``
    groups, the score is computed in each and the mean and standard deviation over the
    groups are returned.  The rows are shuffled first with a seeded generator: groups of
    class-ordered samples would each hold a few classes only and score far too low.
    Computed in float64; probabilities are clipped at a tiny epsilon before the logs.

    Note: here ``probs`` normally come from the course's image classifier, not from
    Inception-v3 (see the module docstring), so the values are comparable only within
    the course.
    """
    p = _np(probs)
    if p.ndim != 2:
        raise ValueError(f"probs must be (N, C), got shape {p.shape}")
    if splits < 1 or len(p) < splits:
        raise ValueError(f"need at least splits={splits} samples, got {len(p)}")
    p = p[np.random.default_rng(seed).permutation(len(p))]
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part + _EPS) - np.log(marginal + _EPS))).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


# ----------------------------------------------------------------------------------------
# Fréchet distance
# ----------------------------------------------------------------------------------------

def feature_stats(features) -> Tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (ddof=1) of ``features`` ``(N, D)``."""
    f = _np(features)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"features must be (N, D) with N >= 2, got shape {f.shape}")
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False, ddof=1))


def _sqrt_product(s1: np.ndarray, s2: np.ndarray) -> Tuple[np.ndarray, bool]:
    """A square root of ``s1 @ s2`` and whether it is finite and accurate (a nearly
    singular product can make scipy's root fail or come out inexact)."""
    prod = s1 @ s2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = scipy.linalg.sqrtm(prod)
    if not np.all(np.isfinite(r)):
        return r, False
    err = np.linalg.norm(r @ r - prod) / max(np.linalg.norm(prod), _EPS)
    return r, bool(err < 1e-6)


def _near_singular(s: np.ndarray, rcond: float = 1e-9) -> bool:
    """Whether a covariance has (numerically) zero variance in some direction, where the
    square root of the product is ill-conditioned even when scipy reports a small error."""
    ev = np.linalg.eigvalsh((s + s.T) / 2)
    return bool(ev[0] <= rcond * max(ev[-1], _EPS))


def frechet_from_stats(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2):
    ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)) (Heusel et al. 2017).

    When a covariance is (nearly) singular, e.g. with fewer samples than feature
    dimensions or dead ReLU units, or the square root fails, ``eps * I`` is added to both
    covariances, as the reference FID code does.  Unlike that code the trace terms use
    the regularised covariances too, so a set compared with itself still gives 0 (the
    two versions differ by ``2 * D * eps``).  A negligible imaginary part of the root
    (numerical noise) is dropped; a large one raises ``ValueError``.
    """
    mu1, mu2 = np.atleast_1d(_np(mu1)), np.atleast_1d(_np(mu2))
    s1, s2 = np.atleast_2d(_np(sigma1)), np.atleast_2d(_np(sigma2))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"shape mismatch: mu {mu1.shape} / {mu2.shape}, sigma {s1.shape} / {s2.shape}")
    covmean, ok = _sqrt_product(s1, s2)
    if not ok or _near_singular(s1) or _near_singular(s2):
        offset = np.eye(len(s1)) * eps
        s1, s2 = s1 + offset, s2 + offset
        covmean, _ = _sqrt_product(s1, s2)
        if not np.all(np.isfinite(covmean)):
            raise ValueError("matrix square root of the covariance product failed")
    if np.iscomplexobj(covmean):
        worst = float(np.abs(covmean.imag).max())
        if worst > 1e-3 * max(1.0, float(np.abs(covmean.real).max())):
            raise ValueError(f"matrix square root has a large imaginary part ({worst:.3g})")
        covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def frechet_distance(feat_a, feat_b, eps: float = 1e-6) -> float:
    """Fréchet distance (the formula of FID, Heusel et al. 2017) between two feature sets
    ``(N, D)`` and ``(M, D)``, each summarised by its mean and covariance (ddof=1).

    0 for identical sets, symmetric, in float64.  With the course's classifier
    embeddings this is an "FID-like" number: comparable within the course only, since the
    features are not Inception-v3's pool3 features.
    """
    return frechet_from_stats(*feature_stats(feat_a), *feature_stats(feat_b), eps=eps)


# ----------------------------------------------------------------------------------------
# Label agreement and retrieval
# ----------------------------------------------------------------------------------------

def class_accuracy(probs, labels) -> float:
    """Share of rows of ``probs`` ``(N, C)`` whose most probable class is ``labels[i]``."""
    p, y = _np(probs), _np(labels, dtype=np.int64)
    if len(p) != len(y):
        raise ValueError(f"{len(p)} predictions but {len(y)} labels")
    return float(np.mean(p.argmax(axis=1) == y)) if len(y) else float("nan")


def _topk(p: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-p, axis=1, kind="stable")[:, :k]


def topk_overlap(probs_a, probs_b, k: int = 1) -> float:
    """Share of rows whose top-``k`` label sets under ``probs_a`` and ``probs_b`` share at
    least one label (k=1: the two predictions agree), e.g. "does the generated image get
    one of the labels of the real frame it was made for"."""
    a, b = _np(probs_a), _np(probs_b)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch {a.shape} vs {b.shape}")
    ta, tb = _topk(a, k), _topk(b, k)
    hits = (ta[:, :, None] == tb[:, None, :]).any(axis=(1, 2))
    return float(hits.mean())


def _distances(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    if metric == "cosine":
        an = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), _EPS)
        bn = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), _EPS)
        return 1.0 - an @ bn.T
    if metric == "euclidean":
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
        return np.sqrt(np.maximum(d2, 0.0))
    raise ValueError(f"unknown metric {metric!r} (use 'cosine' or 'euclidean')")


def recall_at_k(query, gallery, query_labels, gallery_labels, ks: Sequence[int] = (1, 5, 10),
                metric: str = "cosine") -> Dict[str, float]:
    """Retrieval recall: for each query, its k nearest gallery items (``metric`` "cosine"
    or "euclidean"); R@k is the share of queries with at least one item of the same label
    among them.  Returns ``{"R@1": ..., "R@5": ..., ...}``; k is capped at the gallery size.

    For retrieval of the exact partner (e.g. the real frame a sound came with) pass item
    ids as the labels: ``query_labels=np.arange(n)``, ``gallery_labels=np.arange(n)``.
    """
    q, g = _np(query), _np(gallery)
    ql, gl = _np(query_labels, dtype=None), _np(gallery_labels, dtype=None)
    if len(q) != len(ql) or len(g) != len(gl):
        raise ValueError("each query and gallery item needs a label")
    order = np.argsort(_distances(q, g, metric), axis=1, kind="stable")
    same = gl[order] == ql[:, None]  # (Q, G): is the r-th nearest item a match?
    return {f"R@{k}": float(same[:, :min(k, len(g))].any(axis=1).mean()) for k in ks}


def diversity(features, groups, metric: str = "cosine") -> float:
    """Within-condition diversity: the mean pairwise distance (``metric`` "cosine" or
    "euclidean") between the features of samples generated for the same condition,
    averaged over the conditions (``groups``: one condition id per sample).  Groups of one
    sample are skipped.  0 when every condition always yields the same image, so it
    catches mode collapse that class accuracy and IS can miss."""
    f, gr = _np(features), _np(groups, dtype=None)
    if len(f) != len(gr):
        raise ValueError(f"{len(f)} samples but {len(gr)} group ids")
    means = []
    for g in np.unique(gr):
        x = f[gr == g]
        if len(x) < 2:
            continue
        d = _distances(x, x, metric)
        iu = np.triu_indices(len(x), k=1)
        means.append(np.maximum(d[iu], 0.0).mean())
    if not means:
        raise ValueError("no condition has two or more samples")
    return float(np.mean(means))


# ----------------------------------------------------------------------------------------
# Bundle
# ----------------------------------------------------------------------------------------

def evaluate(extractor: FeatureExtractor, fake_images, labels, real_images=None, splits: int = 10,
             seed: int = 0, batch_size: int = 256) -> dict:
    """The standard report on generated images ``fake_images`` made for class ``labels``:

    - ``extractor``: the name of the feature network (always present)
    - ``n_fake`` (and ``n_real``): how many images were scored
    - ``inception_score_mean`` / ``inception_score_std`` over ``splits`` groups
    - ``accuracy``: share of generated images classified as their condition's label
    - ``frechet_distance`` between fake and real features, if ``real_images`` are given
    """
    fake = extractor(fake_images, batch_size=batch_size)
    is_mean, is_std = inception_score(fake["probs"], splits=splits, seed=seed)
    out = {"extractor": extractor.name, "n_fake": int(len(fake["probs"])),
           "inception_score_mean": is_mean, "inception_score_std": is_std,
           "accuracy": class_accuracy(fake["probs"], labels)}
    if real_images is not None:
        real = extractor(real_images, batch_size=batch_size)
        out["n_real"] = int(len(real["features"]))
        out["frechet_distance"] = frechet_distance(fake["features"], real["features"])
    return out
