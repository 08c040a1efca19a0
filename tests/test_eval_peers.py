"""The course's FD, IS and KID against two independent implementations, torch-fidelity and
torchmetrics, on the same features and probabilities (test-only dependencies: the
``test`` extra of pyproject.toml)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from s2i_lib.eval import extractors, scores

fidelity_fid = pytest.importorskip("torch_fidelity.metric_fid", reason="pip install -e '.[test]' (torch-fidelity)")
fidelity_isc = pytest.importorskip("torch_fidelity.metric_isc")
fidelity_kid = pytest.importorskip("torch_fidelity.metric_kid")
tm_fid = pytest.importorskip("torchmetrics.image.fid", reason="pip install -e '.[test]' (torchmetrics)")
tm_kid = pytest.importorskip("torchmetrics.image.kid")
tm_inception = pytest.importorskip("torchmetrics.image.inception")

KID_POLY = dict(kid_kernel="poly", kid_kernel_poly_degree=3, kid_kernel_poly_gamma=None, kid_kernel_poly_coef0=1)


def features(n, d, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) / np.sqrt(d) + shift


# ---------------------------------------------------------------- on the same arrays

@pytest.mark.parametrize("n,m,d", [(300, 300, 16), (250, 180, 32)])
def test_fd_equals_torch_fidelity(n, m, d):
    a, b = features(n, d, 0), features(m, d, 1, shift=0.3)
    stat = [fidelity_fid.fid_features_to_statistics(torch.from_numpy(x)) for x in (a, b)]
    theirs = fidelity_fid.fid_statistics_to_metric(*stat, verbose=False)["frechet_inception_distance"]
    assert scores.frechet_distance(a, b) == pytest.approx(theirs, rel=1e-9)


def test_fd_equals_torchmetrics_formula():
    a, b = features(400, 24, 2), features(300, 24, 3, shift=-0.2)
    ours = scores.frechet_from_stats(*scores.feature_stats(a), *scores.feature_stats(b))
    t = [torch.from_numpy(v) for v in (*scores.feature_stats(a), *scores.feature_stats(b))]
    assert ours == pytest.approx(float(tm_fid._compute_fid(*t)), rel=1e-9)


@pytest.mark.parametrize("n", [100, 25, 137])  # 25 and 137: splits of unequal size
def test_is_equals_torch_fidelity(n):
    logits = torch.from_numpy(np.random.default_rng(n).normal(size=(n, 7)) * 3)
    theirs = fidelity_isc.isc_features_to_metric(logits, splits=10, shuffle=False)
    ours = scores.inception_score(torch.softmax(logits, 1), splits=10, shuffle=False)
    assert ours == (pytest.approx(theirs["inception_score_mean"], rel=1e-9),
                    pytest.approx(theirs["inception_score_std"], rel=1e-7, abs=1e-12))


def test_kid_per_subset_equals_torch_fidelity_and_torchmetrics():
    rng = np.random.default_rng(4)
    a, b = features(200, 64, 5), features(200, 64, 6, shift=0.1)
    for _ in range(3):  # the same subsets on both sides
        i, j = rng.choice(200, 80, replace=False), rng.choice(200, 80, replace=False)
        ours = scores.mmd2_unbiased(a[i], b[j])
        assert ours == pytest.approx(fidelity_kid.kernel_mmd(a[i], b[j], **KID_POLY), rel=1e-9)
        tm = tm_kid.poly_mmd(torch.from_numpy(a[i]), torch.from_numpy(b[j]))
        assert ours == pytest.approx(float(tm), rel=1e-9)


def test_kid_over_all_rows_equals_torch_fidelity():
    # subsets of every row: any draw is a permutation, and the estimate does not depend on it
    a, b = features(150, 32, 7), features(150, 32, 8, shift=0.2)
    theirs = fidelity_kid.kid_features_to_metric(torch.from_numpy(a), torch.from_numpy(b), kid_subsets=3,
                                                 kid_subset_size=150, rng_seed=0, verbose=False, **KID_POLY)
    assert scores.kernel_inception_distance(a, b) == (pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-9),
                                                      0.0)


def test_kid_subset_average_agrees_with_torch_fidelity():
    # both average the same estimator over random subsets (different generators): the two
    # means estimate one number, and agree within their standard errors
    a, b = features(400, 16, 9), features(400, 16, 10, shift=0.15)
    theirs = fidelity_kid.kid_features_to_metric(torch.from_numpy(a), torch.from_numpy(b), kid_subsets=200,
                                                 kid_subset_size=100, rng_seed=0, verbose=False, **KID_POLY)
    mean, std = scores.kernel_inception_distance(a, b, subsets=200, subset_size=100, seed=0)
    se = np.hypot(std, theirs["kernel_inception_distance_std"]) / np.sqrt(200)
    assert abs(mean - theirs["kernel_inception_distance_mean"]) < 4 * se
    assert std == pytest.approx(theirs["kernel_inception_distance_std"], rel=0.25)


# ---------------------------------------------------------------- through the extractor, batch by batch

class Output(torch.nn.Module):
    """One output of the course's classifier as a plain module, for torchmetrics' feature=."""

    def __init__(self, model, key, num_features):
        super().__init__()
        self.model, self.key, self.num_features = model, key, num_features

    def forward(self, x):
        return self.model(x.double())[self.key]


class TinyJudge(torch.nn.Module):
    """A fixed random network with well-spread outputs (an untrained conv classifier's
    features barely vary): 4x4 average pooling, a linear map and tanh to 24 features, and
    5 logits from them."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.register_buffer("w", torch.randn(48, 24, generator=g, dtype=torch.float64) / 3)
        self.register_buffer("v", torch.randn(24, 5, generator=g, dtype=torch.float64) * 2)

    def forward(self, x):
        emb = torch.tanh(torch.nn.functional.avg_pool2d(x.double(), 4).flatten(1) @ self.w)
        return {"embedding": emb, "logits": emb @ self.v}


@pytest.fixture(scope="module")
def judge():
    return extractors.FeatureExtractor(TinyJudge(), name="tiny test judge, 16x16", image_size=16, dtype=torch.float64)


def images(n, seed, bias=0.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 3, 16, 16, generator=g) * torch.rand(n, 3, 1, 1, generator=g) * 2 - 0.5 + bias).clamp(0, 1)


@pytest.mark.filterwarnings("ignore")
def test_fd_kid_is_through_the_extractor_equal_torchmetrics(judge):
    fake, real = images(300, 1, bias=0.1), images(260, 2)
    ours_fake, ours_real = judge(fake, batch_size=256), judge(real, batch_size=256)
    emb = Output(judge.model, "embedding", 24)
    fid = tm_fid.FrechetInceptionDistance(feature=emb).double()
    kid = tm_kid.KernelInceptionDistance(feature=emb, subsets=2, subset_size=260)
    inc = tm_inception.InceptionScore(feature=Output(judge.model, "logits", 5), splits=1)
    for lo in range(0, 300, 7):  # batches of 7: their running sums against our single pass
        fid.update(fake[lo:lo + 7], real=False)
        inc.update(fake[lo:lo + 7])
    for lo in range(0, 260, 7):
        fid.update(real[lo:lo + 7], real=True)
    kid.update(fake[:260], real=False)
    kid.update(real, real=True)
    fd = scores.frechet_distance(ours_fake["features"], ours_real["features"])
    assert fd > 0 and fd == pytest.approx(float(fid.compute()), rel=1e-6)
    kid_ours = scores.kernel_inception_distance(ours_fake["features"][:260], ours_real["features"])
    assert kid_ours[0] == pytest.approx(float(kid.compute()[0]), rel=1e-6)
    assert scores.inception_score(ours_fake["probs"], splits=1)[0] == pytest.approx(float(inc.compute()[0]), rel=1e-9)
    assert ours_fake["extractor"] == judge.name


def test_scores_do_not_depend_on_the_batch_size(judge):
    fake, real = images(120, 3, bias=0.05), images(110, 4)
    out = {}
    for bs in (7, 64, 256):
        f, r = judge(fake, batch_size=bs), judge(real, batch_size=bs)
        out[bs] = (scores.frechet_distance(f["features"], r["features"]),
                   scores.kernel_inception_distance(f["features"], r["features"], subsets=10, subset_size=50)[0],
                   scores.inception_score(f["probs"])[0])
    for bs in (7, 64):
        assert out[bs] == pytest.approx(out[256], rel=1e-9)
