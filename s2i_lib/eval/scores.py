"""Scores for generated images: plain functions of class probabilities and features.

Notebooks 03 and 04 teach them (notebook 02 trains the classifier whose outputs they use).
The features and probabilities come from a feature extractor
(:mod:`s2i_lib.eval.extractors`); :func:`s2i_lib.eval.report.report` runs the whole
"generate, extract, score" chain.  Every function here takes numpy arrays (torch tensors
are converted) and computes in float64:

- :func:`inception_score` (Salimans et al. 2016) over 10 shuffled splits;
- :func:`frechet_distance` (the formula of FID, Heusel et al. 2017), with
  :func:`feature_stats` / :func:`frechet_from_stats`;
- :func:`kernel_inception_distance` (KID, Bińkowski et al. 2018), with
  :func:`polynomial_kernel` / :func:`mmd2_unbiased`;
- :func:`class_accuracy`, :func:`topk_overlap` (with :func:`topk_overlap_chance`), :func:`recall_at_k`,
  :func:`diversity`.

**FD is biased at the course's sample sizes, KID is not.**  The Fréchet distance plugs
sample means and covariances into a formula; with N samples its expectation exceeds the
true distance by a term that falls like 1/N and grows with the feature dimension (the
mean term alone adds Tr(Σ)(1/N + 1/M); the covariance term adds more, about
D Tr(Σ)/(2N) for D-dimensional isotropic features and two sets of N).  At a few hundred images two sets drawn from *the same* distribution
already score well above 0, and FDs computed from different numbers of images cannot be
compared.  KID is an unbiased estimate of a squared kernel distance (MMD²): its
expectation is the population value at any N (single values can come out slightly
negative when the two sets match).  Report KID beside FD, and compare FDs only at equal N.

Important caveat.  The Inception Score and FID are defined on the outputs of Inception-v3
trained on ImageNet.  Here the features normally come from the course's own image
classifier (notebook 02: 6 conv + 3 FC layers trained on SynthAV frames, see
:data:`s2i_lib.course.recipes.IMAGE_ENCODER_NOTE`).  The formulas are the papers', the
network is not: the numbers can be compared between runs of the course that use the same
extractor, never with the values printed in the papers.
"""
from __future__ import annotations

import warnings
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import scipy.linalg
import torch

from .extractors import FeatureExtractor  # noqa: F401  (re-exported: older notebooks use scores.FeatureExtractor)

__all__ = ["inception_score", "feature_stats", "frechet_from_stats", "frechet_distance", "polynomial_kernel",
           "mmd2_unbiased", "kernel_inception_distance", "class_accuracy", "topk_overlap", "topk_overlap_chance",
           "recall_at_k",
           "diversity", "FD_BIAS_NOTE"]

_EPS = 1e-12

FD_BIAS_NOTE = ("FD is biased upwards at a few hundred images (it falls like 1/N, and sets from the same "
                "distribution score above 0); KID is unbiased: compare FDs only at equal N, and read KID beside them.")
"""One sentence to print wherever a Fréchet distance is shown."""


def _np(x, dtype=np.float64) -> np.ndarray:
    """A numpy array of ``x`` (torch tensors are detached and moved to the CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype) if dtype is not None else np.asarray(x)


# ----------------------------------------------------------------------------------------
# Inception Score
# ----------------------------------------------------------------------------------------

def inception_score(probs, splits: int = 10, seed: int = 0, shuffle: bool = True) -> Tuple[float, float]:
    """Inception Score (Salimans et al. 2016) of class probabilities ``probs`` ``(N, C)``.

    IS = exp( E_x KL(p(y|x) || p(y)) ), where p(y) is the mean prediction over the images.
    It is large when each image is classified confidently (low-entropy p(y|x)) and the
    images cover many classes (high-entropy p(y)): 1 for identical predictions, k for
    confident predictions spread evenly over k classes.

    As in the paper and in Wan et al. 2019 (Table 4), the images are cut into ``splits``
    groups (rows ``i*N//splits`` to ``(i+1)*N//splits``, the original code's boundaries),
    the score is computed in each, and the mean and standard deviation over the groups
    are returned.  The rows are shuffled first with a seeded generator (``shuffle=False``
    keeps their order): groups of class-ordered samples would each hold a few classes
    only and score far too low.  Computed in float64; probabilities are clipped at a tiny
    epsilon before the logs.  Rows must be probabilities (non-negative, summing to 1):
    logits are rejected.

    The standard deviation is the spread over splits of *one* set of images; it says
    nothing about how a retrained model would score (seeds give that).
    """
    p = _np(probs)
    if p.ndim != 2:
        raise ValueError(f"probs must be (N, C), got shape {p.shape}")
    if splits < 1 or len(p) < splits:
        raise ValueError(f"need at least splits={splits} samples, got {len(p)}")
    if (p < -1e-9).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probs must be probabilities (rows non-negative, summing to 1); got logits or scores?")
    if shuffle:
        p = p[np.random.default_rng(seed).permutation(len(p))]
    n, scores = len(p), []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]
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

    0 for identical sets, symmetric, in float64.  **Biased at small N**: two samples of
    the same distribution score above 0 by a term that falls like 1/N (see the module
    docstring), so compare FDs only at equal sample sizes and read
    :func:`kernel_inception_distance` beside it.  With the course's classifier
    embeddings this is an "FID-like" number: comparable within the course only, since
    the features are not Inception-v3's pool3 features.
    """
    return frechet_from_stats(*feature_stats(feat_a), *feature_stats(feat_b), eps=eps)


# ----------------------------------------------------------------------------------------
# Kernel inception distance
# ----------------------------------------------------------------------------------------

def polynomial_kernel(a, b, degree: int = 3, gamma: Optional[float] = None, coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (gamma x·y + coef0)^degree for all rows of ``a`` and ``b``; ``gamma``
    defaults to 1/d (the KID kernel: (x·y/d + 1)^3)."""
    a, b = _np(a), _np(b)
    g = 1.0 / a.shape[1] if gamma is None else float(gamma)
    return (g * (a @ b.T) + coef0) ** degree


def mmd2_unbiased(x, y, **kernel) -> float:
    """The unbiased estimate of the squared maximum mean discrepancy between samples
    ``x`` ``(m, D)`` and ``y`` ``(n, D)`` under :func:`polynomial_kernel` (``kernel``:
    its keywords): the mean of k over distinct pairs within x, plus the same within y,
    minus twice the mean of k over all cross pairs.  Leaving out the diagonal (a point
    with itself) is what removes the bias; m and n may differ."""
    x, y = _np(x), _np(y)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError(f"need at least 2 samples on each side, got {m} and {n}")
    kxx, kyy, kxy = polynomial_kernel(x, x, **kernel), polynomial_kernel(y, y, **kernel), polynomial_kernel(x, y, **kernel)
    within_x = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    within_y = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * kxy.mean())


KID_WHOLE_KERNEL_ROWS = 6000   # above this many rows KID's kernels are computed per subset (memory)


def kernel_inception_distance(feat_a, feat_b, subsets: int = 100, subset_size: Optional[int] = None,
                              seed: int = 0, **kernel) -> Tuple[float, float]:
    """Kernel inception distance (Bińkowski et al. 2018, "Demystifying MMD GANs") between
    feature sets ``feat_a`` ``(N, D)`` and ``feat_b`` ``(M, D)``: the unbiased MMD²
    (:func:`mmd2_unbiased`) under the polynomial kernel k(x, y) = (x·y/d + 1)^3,
    averaged over ``subsets`` random subsets of ``subset_size`` rows drawn without
    replacement from each set (seeded), as torch-fidelity and torchmetrics do.  Returns
    the mean and the standard deviation over the subsets.

    ``subset_size`` defaults to min(1000, N, M) (the reference code's 1000, capped at what
    the course has).  When it equals both set sizes every subset is the whole set, so
    the estimate is computed once (std 0).

    Unlike the Fréchet distance, KID is **unbiased**: its expectation does not depend on
    the sample size, so it is 0 on average for two samples of one distribution (single
    values can be slightly negative) and KIDs at different N can be compared.  At the
    course's few hundred images this is why it is reported beside FD.
    """
    a, b = _np(feat_a), _np(feat_b)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"features must be (N, D) and (M, D), got {a.shape} and {b.shape}")
    size = min(1000, len(a), len(b)) if subset_size is None else int(subset_size)
    if size < 2 or size > min(len(a), len(b)):
        raise ValueError(f"subset_size {size} must be between 2 and the smaller set size {min(len(a), len(b))}")
    if size == len(a) == len(b):
        return mmd2_unbiased(a, b, **kernel), 0.0
    rng = np.random.default_rng(seed)
    if max(len(a), len(b)) > KID_WHOLE_KERNEL_ROWS:     # the whole kernels would not fit: subset by subset
        values = [mmd2_unbiased(a[rng.choice(len(a), size, replace=False)], b[rng.choice(len(b), size, replace=False)],
                                **kernel) for _ in range(subsets)]
        return float(np.mean(values)), float(np.std(values))
    # every subset's kernel sums are sums over blocks of the kernels over all rows: with a
    # 0/1 column u per subset, the sum over the block (i, i) of K is u' K u (30x faster at 1,400 rows)
    kaa, kbb, kab = polynomial_kernel(a, a, **kernel), polynomial_kernel(b, b, **kernel), polynomial_kernel(a, b, **kernel)
    ua, ub = np.zeros((len(a), subsets)), np.zeros((len(b), subsets))
    for s in range(subsets):
        ua[rng.choice(len(a), size, replace=False), s] = 1.0
        ub[rng.choice(len(b), size, replace=False), s] = 1.0
    within_a = ((kaa @ ua) * ua).sum(0) - np.diag(kaa) @ ua
    within_b = ((kbb @ ub) * ub).sum(0) - np.diag(kbb) @ ub
    across = ((kab @ ub) * ua).sum(0)
    values = (within_a + within_b) / (size * (size - 1)) - 2.0 * across / size ** 2
    return float(np.mean(values)), float(np.std(values))


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


def topk_overlap_chance(num_classes: int, k: int = 1) -> float:
    """What :func:`topk_overlap` scores by chance: the probability that two top-``k`` lists
    drawn independently and uniformly from ``num_classes`` classes share a label,
    ``1 - C(C-k, k) / C(C, k)`` (1 once ``2k > C``).  The multimodal-features paper's top-10
    over about a thousand labels sits near 10%; over the course's 9 classes top-3 already
    sits at 76%, so the measured overlap is read against this curve."""
    from math import comb
    c, k = int(num_classes), int(k)
    if c < 1 or not 1 <= k <= c:
        raise ValueError(f"need 1 <= k <= num_classes, got k={k}, num_classes={c}")
    return 1.0 - comb(c - k, k) / comb(c, k)


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


def __getattr__(name):
    # ``scores.evaluate`` moved to :mod:`s2i_lib.eval.report`; kept reachable for the notebooks
    if name == "evaluate":
        from .report import evaluate
        return evaluate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
