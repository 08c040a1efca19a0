"""Scores of s2i_lib.eval.scores on inputs whose answers are known in closed form.

Each test here was run once against a deliberately broken scores module (no shuffle in
the IS, float32 arithmetic, the FD without its cross term, a biased MMD, ...) and failed;
see tests/test_eval_broken.py, which repeats those runs."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from s2i_lib.eval import scores


def one_hot(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)]


# ---------------------------------------------------------------- Inception Score

def test_is_of_k_equiprobable_one_hot_classes_is_k():
    k = 5
    probs = one_hot(np.arange(200) % k, k)  # every split of 20 consecutive rows holds each class 4 times
    assert scores.inception_score(probs, splits=10, shuffle=False) == pytest.approx((k, 0.0), abs=1e-9)
    assert scores.inception_score(probs, splits=1)[0] == pytest.approx(k, abs=1e-9)
    assert scores.inception_score(torch.tensor(probs), splits=1)[0] == pytest.approx(k, abs=1e-9)  # torch in


def test_is_of_identical_predictions_is_one():
    probs = np.tile([0.7, 0.2, 0.1], (100, 1))  # confident or not, one prediction for every image
    assert scores.inception_score(probs, splits=10) == pytest.approx((1.0, 0.0), abs=1e-9)


def test_is_closed_form_two_kinds_of_prediction():
    # half the images sure of class 0, half undecided: p(y) = (3/4, 1/4)
    probs = np.array([[1.0, 0.0]] * 50 + [[0.5, 0.5]] * 50)
    kl_sure = np.log(1 / 0.75)
    kl_undecided = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    assert scores.inception_score(probs, splits=1)[0] == pytest.approx(np.exp((kl_sure + kl_undecided) / 2), rel=1e-9)


def test_is_shuffles_class_ordered_input():
    k, n = 10, 5000
    ordered = one_hot(np.repeat(np.arange(k), n // k), k)  # split i would hold class i only
    assert scores.inception_score(ordered, splits=10, shuffle=False) == pytest.approx((1.0, 0.0), abs=1e-9)
    mean, std = scores.inception_score(ordered, splits=10, seed=0)
    assert mean > 0.98 * k and 0 < std < 0.1  # shuffled: every split sees every class
    assert scores.inception_score(ordered, splits=10, seed=0) == (mean, std)  # seeded: deterministic
    assert scores.inception_score(ordered, splits=10, seed=1) != (mean, std)


def test_is_rejects_logits_and_too_few_samples():
    with pytest.raises(ValueError, match="probabilities"):
        scores.inception_score(np.random.default_rng(0).normal(size=(50, 4)))
    with pytest.raises(ValueError, match="splits"):
        scores.inception_score(np.full((5, 3), 1 / 3), splits=10)


# ---------------------------------------------------------------- Fréchet distance

def gaussian_fd(mu1, s1, mu2, s2):
    """Closed form for 2x2 covariances: Tr sqrt(M) = sqrt(Tr M + 2 sqrt(det M)) for a 2x2
    matrix M with positive eigenvalues, and det(S1 S2) = det S1 det S2."""
    tr_root = np.sqrt(np.trace(s1 @ s2) + 2 * np.sqrt(np.linalg.det(s1) * np.linalg.det(s2)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * tr_root)


def test_fd_of_two_gaussians_is_the_closed_form():
    mu1, mu2 = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    s1 = np.array([[2.0, 0.6], [0.6, 1.0]])
    s2 = np.array([[1.0, -0.3], [-0.3, 0.5]])  # does not commute with s1
    expected = gaussian_fd(mu1, s1, mu2, s2)
    assert scores.frechet_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-12)
    # diagonal covariances: sum of (sqrt a - sqrt b)^2
    a, b = np.array([4.0, 1.0, 9.0]), np.array([1.0, 1.0, 4.0])
    d = scores.frechet_from_stats(np.zeros(3), np.diag(a), np.ones(3), np.diag(b))
    assert d == pytest.approx(3 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-12)  # 3 + 1 + 0 + 1


def test_fd_from_samples_approaches_the_closed_form():
    rng = np.random.default_rng(1)
    mu1, mu2 = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    s1 = np.array([[2.0, 0.6], [0.6, 1.0]])
    s2 = np.array([[1.0, -0.3], [-0.3, 0.5]])
    a = rng.multivariate_normal(mu1, s1, size=200_000)
    b = rng.multivariate_normal(mu2, s2, size=200_000)
    # sampling error of the means alone is ~0.02 here (Δμ = (2, -2), 2e5 samples)
    assert scores.frechet_distance(a, b) == pytest.approx(gaussian_fd(mu1, s1, mu2, s2), abs=0.1)


def test_fd_is_computed_in_float64():
    # a shift of 0.01 per dimension between two sets with identical covariance: FD = 64 * 1e-4;
    # features of scale 100 make float32 rounding of the trace terms (~1e-7 * 6e5) far larger
    x = np.random.default_rng(2).normal(size=(500, 64)) * 100
    assert scores.frechet_distance(x, x + 0.01) == pytest.approx(64 * 1e-4, rel=1e-6)


def test_fd_basic_properties():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(200, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(size=(200, 16)) * 1.5 + 0.3
    d = scores.frechet_distance(a, b)
    assert abs(scores.frechet_distance(a, a)) < 1e-8
    assert scores.frechet_distance(b, a) == pytest.approx(d, rel=1e-9)
    assert scores.frechet_from_stats(*scores.feature_stats(a), *scores.feature_stats(b)) == pytest.approx(d, rel=1e-12)


def test_fd_singular_covariance_is_finite_and_zero_on_itself():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(10, 32)), rng.normal(size=(10, 32))  # N < D: rank-deficient covariances
    assert np.isfinite(scores.frechet_distance(a, b)) and scores.frechet_distance(a, b) > 0
    assert abs(scores.frechet_distance(a, a)) < 1e-6


def test_fd_rejects_complex_root():
    with pytest.raises(ValueError):  # a "covariance" with a negative eigenvalue has no real square root
        scores.frechet_from_stats(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


# ---------------------------------------------------------------- KID, and why it is there

def test_mmd2_unbiased_by_hand():
    # x = {0, 1}, y = {2, 3} in one dimension, k(u, v) = (u v + 1)^3:
    # within x: k(0,1) = 1; within y: k(2,3) = 343; across: 1, 1, 27, 64 (mean 23.25)
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    assert scores.mmd2_unbiased(x, y) == pytest.approx(1 + 343 - 2 * 23.25, rel=1e-12)
    assert scores.polynomial_kernel(x, y)[1, 1] == 64.0


def test_kid_is_unbiased_where_fd_is_not():
    rng = np.random.default_rng(5)
    d = 16
    fd, kid = {}, {}
    for n in (50, 400):  # pairs of samples of N(0, I): the true distance is 0
        fd[n] = [scores.frechet_distance(rng.normal(size=(n, d)), rng.normal(size=(n, d))) for _ in range(30)]
        kid[n] = [scores.kernel_inception_distance(rng.normal(size=(n, d)), rng.normal(size=(n, d)))[0] for _ in range(30)]
    # FD's bias falls like 1/N: 8x the samples, several times smaller, still far above 0
    assert np.mean(fd[50]) > 5 * np.mean(fd[400]) > 5 * 0.05
    for n in (50, 400):  # KID: 0 within three standard errors at both sizes
        assert abs(np.mean(kid[n])) < 3 * np.std(kid[n], ddof=1) / np.sqrt(len(kid[n]))
    # and it still sees a real difference
    shifted = scores.kernel_inception_distance(rng.normal(size=(200, d)), rng.normal(size=(200, d)) + 0.5)[0]
    assert shifted > 10 * np.std(kid[400], ddof=1)


def test_kid_subsets_seeded_and_order_free():
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(120, 8)), rng.normal(size=(90, 8)) + 0.2
    m, s = scores.kernel_inception_distance(a, b, subsets=20, subset_size=50, seed=3)
    assert scores.kernel_inception_distance(a, b, subsets=20, subset_size=50, seed=3) == (m, s)
    assert s > 0
    # one subset of everything: the plain estimate, whatever the row order
    full = scores.kernel_inception_distance(a[:90], b)
    assert full == (pytest.approx(scores.mmd2_unbiased(a[:90], b), rel=1e-12), 0.0)
    assert scores.kernel_inception_distance(a[:90][::-1], b[rng.permutation(90)])[0] == pytest.approx(full[0], rel=1e-9)
    with pytest.raises(ValueError, match="subset_size"):
        scores.kernel_inception_distance(a, b, subset_size=100)


# ---------------------------------------------------------------- labels, retrieval, diversity

def test_class_accuracy_on_constructed_probs():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert scores.class_accuracy(probs, [0, 1, 1, 1]) == 0.75
    assert scores.class_accuracy(torch.tensor(probs), torch.tensor([0, 1, 0, 1])) == 1.0
    assert scores.class_accuracy(probs, [1, 0, 1, 0]) == 0.0
    with pytest.raises(ValueError):
        scores.class_accuracy(probs, [0, 1])


def test_topk_overlap():
    a = np.array([[0.5, 0.3, 0.2, 0.0], [0.1, 0.2, 0.3, 0.4]])
    b = np.array([[0.1, 0.6, 0.3, 0.0], [0.7, 0.2, 0.1, 0.0]])
    assert scores.topk_overlap(a, b, k=1) == 0.0  # tops: 0 vs 1, 3 vs 0
    assert scores.topk_overlap(a, b, k=2) == 0.5  # {0,1} & {1,2}; {3,2} & {0,1}
    assert scores.topk_overlap(a, b, k=3) == 1.0  # {3,2,1} & {0,1,2}
    assert scores.topk_overlap(a, a, k=1) == 1.0


def test_recall_at_k():
    g = np.eye(4)
    labels = np.array([0, 1, 2, 3])
    assert scores.recall_at_k(g, g, labels, labels, ks=(1,)) == {"R@1": 1.0}
    # queries near item (i+1) % 4 but labelled i: the right item is never the nearest
    q = np.roll(g, 1, axis=0) + 0.1 * g
    r = scores.recall_at_k(q, g, labels, labels, ks=(1, 2, 10), metric="euclidean")
    assert r == {"R@1": 0.0, "R@2": 1.0, "R@10": 1.0}
    r = scores.recall_at_k(g[:2], g, [0, 0], [1, 0, 0, 1], ks=(1,))  # any same-label neighbour counts
    assert r["R@1"] == 0.5


def test_diversity():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert scores.diversity(x, [0, 0, 1, 1]) == pytest.approx(0.0, abs=1e-12)  # identical within groups
    assert scores.diversity(x, [0, 1, 0, 1]) == pytest.approx(1.0)  # orthogonal pairs: cosine distance 1
    assert scores.diversity(x, [0, 1, 0, 1], metric="euclidean") == pytest.approx(np.sqrt(2))
    with pytest.raises(ValueError):
        scores.diversity(x, [0, 1, 2, 3])


@pytest.mark.parametrize("whole_kernel_rows", [6000, 10])   # the whole-kernel path, and subset by subset
def test_kid_subsets_from_whole_kernels_equal_subset_by_subset(monkeypatch, whole_kernel_rows):
    monkeypatch.setattr(scores, "KID_WHOLE_KERNEL_ROWS", whole_kernel_rows)
    # the kernels over all rows are computed once and indexed per subset; the same draws of
    # rows through mmd2_unbiased, one subset at a time, give the same numbers
    a, b = np.random.default_rng(11).normal(size=(90, 8)), np.random.default_rng(12).normal(size=(70, 8)) + 0.3
    rng = np.random.default_rng(3)
    values = []
    for _ in range(20):
        i, j = rng.choice(90, 40, replace=False), rng.choice(70, 40, replace=False)
        values.append(scores.mmd2_unbiased(a[i], b[j]))
    mean, std = scores.kernel_inception_distance(a, b, subsets=20, subset_size=40, seed=3)
    assert (mean, std) == (pytest.approx(np.mean(values), rel=1e-12), pytest.approx(np.std(values), rel=1e-9))
