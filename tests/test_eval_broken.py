"""The evaluation tests can fail: each deliberately broken version of a score below makes
the named test fail (an AssertionError), and the intact code passes it.

These are the mutants the issue asks to show once (IS without the shuffle, FD in float32,
FD without its cross term, ...), kept as a test so that weakening a test is noticed."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

import test_eval_report as T_report
import test_eval_scores as T_scores
from s2i_lib.eval import extractors, report, scores

_intact_is = scores.inception_score
_intact_from_stats = scores.frechet_from_stats
_intact_kid = scores.kernel_inception_distance


def is_without_shuffle(probs, splits=10, seed=0, shuffle=True):
    return _intact_is(probs, splits=splits, seed=seed, shuffle=False)


def is_with_array_split(probs, splits=10, seed=0, shuffle=True):
    # the previous implementation: np.array_split puts the larger splits first
    p = scores._np(probs)
    if shuffle:
        p = p[np.random.default_rng(seed).permutation(len(p))]
    out = []
    for part in np.array_split(p, splits):
        m = part.mean(0, keepdims=True)
        out.append(np.exp((part * (np.log(part + 1e-12) - np.log(m + 1e-12))).sum(1).mean()))
    return float(np.mean(out)), float(np.std(out))


def is_without_exp(probs, splits=10, seed=0, shuffle=True):
    mean, std = _intact_is(probs, splits=splits, seed=seed, shuffle=shuffle)
    return float(np.log(mean)), std


def np_float32(x, dtype=np.float64):
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float32 if dtype is np.float64 else dtype)


def fd_without_cross_term(mu1, sigma1, mu2, sigma2, eps=1e-6):
    d = np.asarray(mu1, float) - np.asarray(mu2, float)
    return float(d @ d + np.trace(sigma1) + np.trace(sigma2))


def stats_ddof0(features):
    f = np.asarray(features, float)
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False, ddof=0))


def fd_with_covariance_product_not_root(mu1, sigma1, mu2, sigma2, eps=1e-6):
    d = np.asarray(mu1, float) - np.asarray(mu2, float)
    return float(d @ d + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(scipy.linalg.sqrtm(sigma1) @ sigma2).real)


def mmd2_biased(x, y, **kernel):
    # keeps each point's kernel with itself (the V-statistic): biased upwards at small N
    k = scores.polynomial_kernel
    return float(k(x, x, **kernel).mean() + k(y, y, **kernel).mean() - 2 * k(x, y, **kernel).mean())


def kernel_gamma_one(a, b, degree=3, gamma=None, coef0=1.0):
    return (np.asarray(a, float) @ np.asarray(b, float).T + coef0) ** degree


def accuracy_argmin(probs, labels):
    return float(np.mean(np.asarray(probs).argmin(1) == np.asarray(labels)))


def call_without_eval_mode(self, images, batch_size=256):
    x = self._prepare(images)
    with torch.no_grad():
        out = [self.model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
    return {"probs": torch.cat([torch.softmax(o["logits"].double(), 1) for o in out]).numpy(),
            "features": torch.cat([o["embedding"].double() for o in out]).numpy(), "extractor": self.name}


def classifier():
    torch.manual_seed(0)
    from s2i_lib.models import ImageClassifier
    return extractors.FeatureExtractor(ImageClassifier(num_classes=3, image_size=16, width=4), name="t", image_size=16)


def report_diversity_same_seed(G, cond, labels, extractor, real=None, seed=0, **kw):
    from s2i_lib.train.gan import generate
    return _intact_report(G, cond, labels, extractor, real=real, seed=seed,
                          generate=lambda G, c, per, s: generate(G, c, per, seed), **kw)


_intact_report = report.report


def peers(name):
    pytest.importorskip("torch_fidelity")
    pytest.importorskip("torchmetrics")
    import test_eval_peers
    return getattr(test_eval_peers, name)


MUTANTS = [
    # (what is broken, where, replacement, the test that must fail)
    ("IS without the shuffle", scores, "inception_score", is_without_shuffle,
     lambda: T_scores.test_is_shuffles_class_ordered_input()),
    ("IS forgets the exp", scores, "inception_score", is_without_exp,
     lambda: T_scores.test_is_of_k_equiprobable_one_hot_classes_is_k()),
    ("IS splits by np.array_split", scores, "inception_score", is_with_array_split,
     lambda: peers("test_is_equals_torch_fidelity")(25)),
    ("FD in float32", scores, "_np", np_float32, lambda: T_scores.test_fd_is_computed_in_float64()),
    ("FD without the cross (trace of the root) term", scores, "frechet_from_stats", fd_without_cross_term,
     lambda: T_scores.test_fd_of_two_gaussians_is_the_closed_form()),
    ("FD with sqrt(S1) S2 for the root of the product", scores, "frechet_from_stats",
     fd_with_covariance_product_not_root, lambda: T_scores.test_fd_of_two_gaussians_is_the_closed_form()),
    ("FD with ddof=0 covariances", scores, "feature_stats", stats_ddof0,
     lambda: peers("test_fd_equals_torch_fidelity")(250, 180, 32)),
    ("KID with the biased (V-statistic) MMD", scores, "mmd2_unbiased", mmd2_biased,
     lambda: T_scores.test_kid_is_unbiased_where_fd_is_not()),
    ("KID kernel without the 1/d", scores, "polynomial_kernel", kernel_gamma_one,
     lambda: peers("test_kid_per_subset_equals_torch_fidelity_and_torchmetrics")()),
    ("accuracy by argmin", scores, "class_accuracy", accuracy_argmin,
     lambda: T_scores.test_class_accuracy_on_constructed_probs()),
    ("extractor left in train mode (dropout on)", extractors.FeatureExtractor, "__call__", call_without_eval_mode,
     lambda: T_report.test_extractor_deterministic_eval_mode_and_batch_independent(classifier())),
]


@pytest.mark.parametrize("what,owner,attr,broken,test", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_broken_version_fails_its_test(monkeypatch, what, owner, attr, broken, test):
    test()  # the intact code passes
    monkeypatch.setattr(owner, attr, broken)
    with pytest.raises(AssertionError):
        test()


def test_report_with_one_seed_for_everything_fails(monkeypatch):
    # notebook 04 draws the diversity samples with seed + 1: a report that reused the seed differs
    T_report.test_report_reproduces_notebook_04_scoring(T_report.make_colour_setup())
    monkeypatch.setattr(report, "report", report_diversity_same_seed)
    with pytest.raises(AssertionError):
        T_report.test_report_reproduces_notebook_04_scoring(T_report.make_colour_setup())
