"""Tests of s2i_lib.metrics on hand-made inputs with known answers."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from s2i_lib.eval import scores as metrics
from s2i_lib.models.networks import ImageClassifier


def one_hot(labels, num_classes):
    return np.eye(num_classes)[np.asarray(labels)]


# ---------------------------------------------------------------- Inception Score

def test_is_uniform_predictions_is_one():
    mean, std = metrics.inception_score(np.full((200, 7), 1 / 7), splits=10)
    assert abs(mean - 1.0) < 1e-6 and abs(std) < 1e-6


def test_is_even_one_hot_is_num_classes():
    C = 5
    probs = one_hot(np.arange(10 * C * 4) % C, C)
    mean, std = metrics.inception_score(probs, splits=1)
    assert abs(mean - C) < 1e-6 and abs(std) < 1e-6
    # accepts torch tensors too
    assert abs(metrics.inception_score(torch.tensor(probs), splits=1)[0] - C) < 1e-6


def test_is_class_ordered_input_is_shuffled():
    C, n = 10, 5000
    ordered = one_hot(np.repeat(np.arange(C), n // C), C)  # split k would hold class k only
    shuffled = ordered[np.random.default_rng(123).permutation(n)]
    m_ord, s_ord = metrics.inception_score(ordered, splits=10, seed=0)
    m_shuf, _ = metrics.inception_score(shuffled, splits=10, seed=0)
    # without the shuffle every split would score 1; with it both are close to C
    assert m_ord > 0.98 * C and m_shuf > 0.98 * C
    assert abs(m_ord - m_shuf) < 0.05
    assert s_ord > 0  # ten splits give a spread
    assert metrics.inception_score(ordered, splits=10, seed=0) == (m_ord, s_ord)  # seeded


def test_is_rejects_too_few_samples():
    with pytest.raises(ValueError):
        metrics.inception_score(np.full((5, 3), 1 / 3), splits=10)


# ---------------------------------------------------------------- Fréchet distance

def reference_fid(a, b):
    """The standard formula, written independently: means, np.cov, sqrtm, real part."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def test_fd_with_itself_is_zero():
    x = np.random.default_rng(0).normal(size=(300, 8))
    assert abs(metrics.frechet_distance(x, x)) < 1e-6


def test_fd_shifted_gaussians():
    rng = np.random.default_rng(1)
    shift = np.array([1.0, -2.0, 0.5, 0.0])
    a = rng.normal(size=(20000, 4))
    b = rng.normal(size=(20000, 4)) + shift
    assert metrics.frechet_distance(a, b) == pytest.approx(shift @ shift, abs=0.05)


def test_fd_matches_reference_and_is_symmetric():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(200, 16)) @ rng.normal(size=(16, 16))
    b = rng.normal(size=(200, 16)) * 1.5 + 0.3
    d = metrics.frechet_distance(a, b)
    assert d == pytest.approx(reference_fid(a, b), rel=1e-6)
    assert metrics.frechet_distance(b, a) == pytest.approx(d, rel=1e-9)
    mu1, s1 = metrics.feature_stats(a)
    mu2, s2 = metrics.feature_stats(b)
    assert metrics.frechet_from_stats(mu1, s1, mu2, s2) == pytest.approx(d, rel=1e-12)


def test_fd_singular_covariance_is_finite():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(10, 32)), rng.normal(size=(10, 32))  # N < D: rank-deficient covariances
    d = metrics.frechet_distance(a, b)
    assert np.isfinite(d) and d > 0
    assert abs(metrics.frechet_distance(a, a)) < 1e-6


def test_fd_rejects_complex_root():
    # a "covariance" with a negative eigenvalue has no real square root
    with pytest.raises(ValueError):
        metrics.frechet_from_stats(np.zeros(2), np.diag([1.0, -1.0]), np.zeros(2), np.eye(2))


# ---------------------------------------------------------------- labels, retrieval, diversity

def test_class_accuracy():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert metrics.class_accuracy(probs, [0, 1, 1, 1]) == 0.75
    assert metrics.class_accuracy(torch.tensor(probs), torch.tensor([0, 1, 0, 1])) == 1.0


def test_topk_overlap():
    a = np.array([[0.5, 0.3, 0.2, 0.0], [0.1, 0.2, 0.3, 0.4]])
    b = np.array([[0.1, 0.6, 0.3, 0.0], [0.7, 0.2, 0.1, 0.0]])
    assert metrics.topk_overlap(a, b, k=1) == 0.0  # tops: 0 vs 1, 3 vs 0
    assert metrics.topk_overlap(a, b, k=2) == 0.5  # {0,1} & {1,2}; {3,2} & {0,1}
    assert metrics.topk_overlap(a, b, k=3) == 1.0  # {3,2,1} & {0,1,2}
    assert metrics.topk_overlap(a, a, k=1) == 1.0


def test_recall_at_k():
    g = np.eye(4)
    labels = np.array([0, 1, 2, 3])
    assert metrics.recall_at_k(g, g, labels, labels, ks=(1,)) == {"R@1": 1.0}
    # queries near item (i+1) % 4 but labelled i: the right item is never the nearest
    q = np.roll(g, 1, axis=0) + 0.1 * g
    r = metrics.recall_at_k(q, g, labels, labels, ks=(1, 2, 10), metric="euclidean")
    assert r == {"R@1": 0.0, "R@2": 1.0, "R@10": 1.0}
    # labels shared by several gallery items: any same-label neighbour counts
    r = metrics.recall_at_k(g[:2], g, [0, 0], [1, 0, 0, 1], ks=(1,))
    assert r["R@1"] == 0.5


def test_diversity():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert metrics.diversity(x, [0, 0, 1, 1]) == pytest.approx(0.0, abs=1e-12)  # identical within groups
    assert metrics.diversity(x, [0, 1, 0, 1]) == pytest.approx(1.0)  # orthogonal pairs: cosine distance 1
    assert metrics.diversity(x, [0, 1, 0, 1], metric="euclidean") == pytest.approx(np.sqrt(2))
    with pytest.raises(ValueError):
        metrics.diversity(x, [0, 1, 2, 3])


# ---------------------------------------------------------------- extractor and evaluate

@pytest.fixture
def extractor():
    torch.manual_seed(0)
    model = ImageClassifier(num_classes=3, image_size=16, width=4)
    return metrics.FeatureExtractor(model, name="tiny test classifier, 16x16", image_size=16)


def images(n, size, seed):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_extractor_shapes_and_probs(extractor):
    out = extractor(images(20, 16, 0))
    assert out["probs"].shape == (20, 3) and out["features"].shape[0] == 20
    assert out["probs"].dtype == np.float64 and out["features"].dtype == np.float64
    assert np.allclose(out["probs"].sum(1), 1.0, atol=1e-9)


def test_extractor_resizes_with_area(extractor):
    for size in (32, 48):  # 48: a factor of 3, where bilinear resampling would differ from area
        x = images(6, size, 1)
        big = extractor(x)
        small = extractor(torch.nn.functional.avg_pool2d(x, size // 16))  # area average by hand
        assert big["probs"].shape == (6, 3)
        np.testing.assert_allclose(big["features"], small["features"], rtol=1e-6, atol=1e-7)


def test_extractor_deterministic_and_batch_independent(extractor):
    x, y = images(40, 16, 2), images(40, 16, 3)
    extractor.model.train()  # the extractor must switch to eval mode itself (dropout off)
    a7, a256 = extractor(x, batch_size=7), extractor(x, batch_size=256)
    assert extractor.model.training  # and restore the mode afterwards
    np.testing.assert_array_equal(extractor(x)["features"], a256["features"])  # deterministic
    # float32: equal up to float32 rounding of the convolutions
    np.testing.assert_allclose(a7["features"], a256["features"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(a7["probs"], a256["probs"], rtol=0, atol=1e-6)
    # float64: equal to 1e-9, features and Fréchet distance alike
    ex64 = metrics.FeatureExtractor(extractor.model, name="tiny, float64", image_size=16, dtype=torch.float64)
    a7, a256 = ex64(x, batch_size=7), ex64(x, batch_size=256)
    b7, b256 = ex64(y, batch_size=7), ex64(y, batch_size=256)
    np.testing.assert_allclose(a7["features"], a256["features"], rtol=0, atol=1e-9)
    d7 = metrics.frechet_distance(a7["features"], b7["features"])
    d256 = metrics.frechet_distance(a256["features"], b256["features"])
    assert d7 > 0 and d7 == pytest.approx(d256, rel=1e-9)
    assert next(extractor.model.parameters()).dtype == torch.float32  # the model itself is untouched


def test_from_trained_and_evaluate(extractor):
    class Holder:  # stands in for training.Trained
        model = extractor.model
    ex = metrics.FeatureExtractor.from_trained(Holder())
    assert ex.image_size == 16 and "16x16" in ex.name and "Inception stand-in" in ex.name
    fake, real = images(30, 32, 4), images(30, 16, 5)
    labels = torch.randint(0, 3, (30,), generator=torch.Generator().manual_seed(0))
    rep = metrics.evaluate(ex, fake, labels, real_images=real, splits=3)
    assert rep["extractor"] == ex.name
    assert 1.0 <= rep["inception_score_mean"] <= 3.0 and rep["inception_score_std"] >= 0
    assert 0.0 <= rep["accuracy"] <= 1.0 and rep["frechet_distance"] >= 0
    rep2 = metrics.evaluate(ex, fake, labels, splits=3)
    assert "frechet_distance" not in rep2 and rep2["extractor"] == ex.name
    assert rep2["inception_score_mean"] == rep["inception_score_mean"]
