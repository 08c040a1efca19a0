"""Feature extractors (the registry, named results, batching) and the one report on a
generator (s2i_lib.eval.report)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from s2i_lib.eval import extractors, report, scores
from s2i_lib.models import ImageClassifier


def images(n, size, seed):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- extractors

@pytest.fixture
def classifier():
    torch.manual_seed(0)
    model = ImageClassifier(num_classes=3, image_size=16, width=4)
    return extractors.FeatureExtractor(model, name="tiny test classifier, 16x16", image_size=16)


def test_extractor_outputs_are_named_float64_probabilities(classifier):
    out = classifier(images(20, 16, 0))
    assert out["probs"].shape == (20, 3) and out["features"].shape[0] == 20
    assert out["probs"].dtype == np.float64 and out["features"].dtype == np.float64
    assert np.allclose(out["probs"].sum(1), 1.0, atol=1e-9)
    assert out["extractor"] == "tiny test classifier, 16x16"
    with pytest.raises(ValueError, match="N, 3, H, W"):
        classifier(torch.rand(4, 16, 16))


def test_extractor_resizes_with_area(classifier):
    for size in (32, 48):  # 48: a factor of 3, where bilinear resampling would differ from area
        x = images(6, size, 1)
        big = classifier(x)
        small = classifier(torch.nn.functional.avg_pool2d(x, size // 16))  # area average by hand
        np.testing.assert_allclose(big["features"], small["features"], rtol=1e-6, atol=1e-7)


def test_extractor_deterministic_eval_mode_and_batch_independent(classifier):
    x = images(40, 16, 2)
    classifier.model.train()  # the extractor must switch to eval mode itself (dropout off)
    a7, a256 = classifier(x, batch_size=7), classifier(x, batch_size=256)
    assert classifier.model.training  # and restore the mode afterwards
    np.testing.assert_array_equal(classifier(x)["features"], a256["features"])
    np.testing.assert_allclose(a7["features"], a256["features"], rtol=0, atol=1e-6)  # float32 rounding only
    ex64 = extractors.FeatureExtractor(classifier.model, name="tiny, float64", image_size=16, dtype=torch.float64)
    np.testing.assert_allclose(ex64(x, batch_size=7)["features"], ex64(x)["features"], rtol=0, atol=1e-12)
    assert next(classifier.model.parameters()).dtype == torch.float32  # the model itself is untouched


def test_registry_makes_extractors_by_name(classifier):
    class Holder:  # stands in for train.Trained
        model = classifier.model
    assert {"s2i-classifier", "torchvision-inception-v3"} <= set(extractors.names())
    ex = extractors.make("s2i-classifier", Holder())
    assert ex.image_size == 16 and "16x16" in ex.name and "Inception stand-in" in ex.name
    assert extractors.FeatureExtractor.from_trained(Holder()).name == ex.name
    with pytest.raises(KeyError, match="s2i-classifier"):  # the error lists what there is
        extractors.make("inception-v4")

    @extractors.register("test-custom")
    def custom():
        return extractors.FeatureExtractor(classifier.model, name="my own judge", image_size=16)
    try:
        rep = report.evaluate(extractors.make("test-custom"), images(12, 16, 3), [0, 1, 2] * 4, splits=2)
        assert rep["extractor"] == "my own judge"
        with pytest.raises(ValueError, match="already registered"):
            extractors.register("test-custom")(lambda: None)
    finally:
        extractors._REGISTRY.pop("test-custom")


def test_inception_v3_only_from_disk(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        extractors.make("torchvision-inception-v3", path=tmp_path / "missing.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="junk.pth"):
        extractors.inception_v3(tmp_path / "junk.pth")
    from torchvision.models import inception_v3
    torch.manual_seed(0)
    torch.save(inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict(), tmp_path / "w.pth")
    ex = extractors.inception_v3(tmp_path / "w.pth")
    out = ex(images(2, 32, 4))
    assert out["probs"].shape == (2, 1000) and out["features"].shape == (2, 2048)
    assert "Inception-v3" in out["extractor"] and "w.pth" in out["extractor"]


# ---------------------------------------------------------------- report

class ColourGenerator(torch.nn.Module):
    """Draws the colour of its one-hot condition (red, green, blue) plus ``spread`` times a
    noise pattern: a generator whose accuracy and diversity are known."""

    def __init__(self, spread=0.0):
        super().__init__()
        self.spread = spread
        self.dummy = torch.nn.Parameter(torch.zeros(1))  # generate() asks for a device
        self.z_dim = 3 * 8 * 8

    def noise(self, n, generator=None, device=None):
        return torch.randn(n, self.z_dim, generator=generator, device=device)

    def forward(self, z, c):
        base = 0.9 * c[:, :, None, None].expand(-1, -1, 8, 8) * 2 - 0.9
        return (base + self.spread * z.view(-1, 3, 8, 8)).clamp(-1, 1)


class ColourJudge(torch.nn.Module):
    """Classifies an image by its strongest colour channel; features: the channel means and
    a few pixels."""

    def forward(self, x):
        m = x.mean(dim=(2, 3))
        return {"logits": 40 * m, "embedding": torch.cat([m, x[:, :, :2, :2].flatten(1)], 1)}


def make_colour_setup():
    judge = extractors.FeatureExtractor(ColourJudge(), name="colour judge")
    labels = np.arange(30) % 3
    cond = torch.eye(3)[labels]
    real = (ColourGenerator(0.3)(torch.randn(60, 192, generator=torch.Generator().manual_seed(9)),
                                 torch.eye(3)[np.arange(60) % 3]) + 1) / 2
    return judge, cond, labels, real


@pytest.fixture
def colour_setup():
    return make_colour_setup()


def test_report_known_accuracy_diversity_and_names(colour_setup):
    judge, cond, labels, real = colour_setup
    flat = report.report(ColourGenerator(0.0), cond, labels, judge, real=real, per_condition=2, seed=0, splits=1)
    assert flat.extractor == "colour judge" and flat.n_fake == 60 and flat.n_real == 60
    assert flat.accuracy == 1.0
    assert flat.diversity == pytest.approx(0.0, abs=1e-12)  # the noise is ignored: one image per condition
    assert flat.inception_score == pytest.approx(3.0, abs=1e-6)  # confident, 20 images of each of 3 classes
    assert tuple(flat.samples.shape) == (16, 3, 8, 8) and 0 <= float(flat.samples.min())
    noisy = report.report(ColourGenerator(0.3), cond, labels, judge, real=real, per_condition=2, seed=0)
    assert noisy.diversity > 0.01
    assert noisy.frechet_distance < flat.frechet_distance  # the real images have the noise too
    assert np.isfinite(noisy.kid) and noisy.kid_std == 0.0  # 60 vs 60: one subset, every row
    wrong = report.report(ColourGenerator(0.0), cond, (labels + 1) % 3, judge, seed=0)
    assert wrong.accuracy == 0.0 and wrong.frechet_distance is None and wrong.kid is None
    assert "KID" in str(noisy) and "biased" in str(noisy) and "colour judge" in str(noisy)
    with pytest.raises(ValueError, match="labels"):
        report.report(ColourGenerator(), cond, labels[:5], judge)


def test_report_is_seeded(colour_setup):
    judge, cond, labels, real = colour_setup
    g = ColourGenerator(0.3)
    a = report.report(g, cond, labels, judge, real=real, seed=1)
    b = report.report(g, cond, labels, judge, real=judge(real), seed=1)  # real features extracted once
    assert a.as_dict() == b.as_dict() and torch.equal(a.samples, b.samples)
    c = report.report(g, cond, labels, judge, real=real, seed=2)
    assert c.frechet_distance != a.frechet_distance
    with pytest.raises(ValueError, match="colour judge"):
        report.report(g, cond, labels, judge, real={"features": np.zeros((4, 15)), "extractor": "another"})


def test_report_reproduces_notebook_04_scoring(colour_setup):
    # notebook 04's score(): evaluate on one sample per test sound (seed SEED), diversity of
    # 16 samples for 8 sounds picked with default_rng(SEED), drawn with SEED + 1
    from s2i_lib.train.gan import generate
    judge, cond, labels, real = colour_setup
    G, SEED = ColourGenerator(0.3), 3
    ev = report.evaluate(judge, generate(G, cond, seed=SEED), labels, real_images=real, seed=SEED)
    pick = np.random.default_rng(SEED).permutation(len(cond))[:8]
    f = judge(generate(G, cond[pick], per_condition=16, seed=SEED + 1))["features"]
    div = scores.diversity(f, np.repeat(np.arange(8), 16))
    rep = report.report(G, cond, labels, judge, real=real, seed=SEED)
    assert (rep.inception_score, rep.inception_score_std, rep.accuracy, rep.frechet_distance, rep.kid, rep.diversity) == \
        (ev["inception_score_mean"], ev["inception_score_std"], ev["accuracy"], ev["frechet_distance"], ev["kid_mean"], div)


def test_inception_weights_are_looked_for_in_the_torch_cache_never_fetched(tmp_path, monkeypatch):
    from s2i_lib.eval import extractors
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    p = extractors._inception_weights_path()
    assert p.parent == tmp_path / "th" / "hub" / "checkpoints" and p.name.startswith("inception_v3")
    with pytest.raises(FileNotFoundError, match="never downloads"):
        extractors.make("torchvision-inception-v3")
