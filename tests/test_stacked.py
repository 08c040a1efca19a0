"""Notebook 05's pipeline: the 90/10 split by video, the multimodal layers' training, the
stored pix2pix runs, the stack of both GANs and its scores, on constructed data."""
import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn as nn

from s2i_lib import course, data, models, train
from s2i_lib import eval as ev
from s2i_lib.course import stacked
from s2i_lib.course.profiles import get_profile


# ---------------------------------------------------------------- the split

def _manifest(classes=3, videos=10, per_video=4):
    rows = []
    for c in range(classes):
        for v in range(videos - c):                   # classes of different sizes
            for k in range(per_video):
                rows.append({"pair_id": f"p{c}_{v}_{k}", "video_id": f"c{c}v{v}", "label": f"class{c}"})
    return pd.DataFrame(rows)


def test_resplit_keeps_videos_whole_draws_test_from_the_eligible_videos_and_balances():
    df = _manifest()
    before = df.copy()
    eligible = {v for v in df["video_id"] if v.endswith(("v0", "v1", "v2"))}
    split = data.resplit_by_video(df, 0.2, seed=3, test_videos=eligible)
    pd.testing.assert_frame_equal(df, before)                       # the input is not changed
    assert set(split) <= {"train", "test", "dropped"}
    for v, g in df.groupby("video_id"):
        kept = {s for s in split[g.index] if s != "dropped"}
        assert len(kept) <= 1, v                                    # a video is wholly in one split
        if "test" in kept:
            assert v in eligible
    for c, g in df.groupby("label"):
        n_videos = g["video_id"].nunique()
        test_videos = set(g["video_id"][split[g.index] == "test"])
        assert len(test_videos) == max(1, round(0.2 * n_videos))
    counts = pd.crosstab(df["label"], split)
    assert counts["train"].nunique() == 1 and counts["test"].nunique() == 1    # balanced per split
    assert (split == "dropped").sum() > 0                                      # the larger classes were cut
    assert list(data.resplit_by_video(df, 0.2, seed=3, test_videos=eligible)) == list(split)
    assert list(data.resplit_by_video(df, 0.2, seed=4, test_videos=eligible)) != list(split)


def test_resplit_names_a_class_with_too_few_eligible_videos_and_a_bad_fraction():
    df = _manifest()
    with pytest.raises(ValueError, match="class0"):
        data.resplit_by_video(df, 0.3, seed=0, test_videos={"c0v0", "c1v0", "c1v1", "c1v2", "c2v0", "c2v1"})
    with pytest.raises(ValueError, match="test_fraction"):
        data.resplit_by_video(df, 1.5, seed=0)
    with pytest.raises(KeyError, match="video_id"):
        data.resplit_by_video(df.drop(columns="video_id"), 0.1, seed=0)


# ---------------------------------------------------------------- constructed paired features

def _paired_features(n=360, classes=4, seed=0):
    """Image and sound features that both carry the class, through different random maps."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    onehot = torch.nn.functional.one_hot(y, classes).float()
    image = onehot @ torch.randn(classes, 24, generator=g) + 0.3 * torch.randn(n, 24, generator=g)
    sound = onehot @ torch.randn(classes, 12, generator=g) + 0.3 * torch.randn(n, 12, generator=g)
    return image, sound, y


def test_l1_alone_collapses_during_training_and_the_paper_loss_makes_a_shared_space():
    image, sound, y = _paired_features()
    logs, layers = {}, {}
    for name, terms in {"l1": ("l1",), "full": ("l1", "hidden_ce", "output_ce")}.items():
        torch.manual_seed(0)
        mm = models.MultimodalLayers(24, 12, 4, hidden=32)
        logs[name] = train.fit_multimodal(mm, image, sound, y, terms=terms, epochs=60, batch_size=30, lr=3e-3,
                                          progress=False)
        layers[name] = mm
    for log in logs.values():
        assert [r["epoch"] for r in log] == list(range(1, 61))
        assert {"loss", "norm_I", "norm_S", "dead_S", "l1"} <= set(log[-1])
    assert logs["l1"][-1]["norm_S"] < 0.05 * logs["l1"][0]["norm_S"]     # collapsed
    assert logs["full"][-1]["norm_S"] > 0.5 * logs["full"][0]["norm_S"]  # alive
    check = {"full": stacked.nearest_sound_same_class(layers["full"], image, sound, y.numpy(), "post")}
    assert check["full"]["chance"] == pytest.approx(0.25)
    assert check["full"]["same_class"] > 0.8                             # far above a quarter


def test_a_resumed_multimodal_training_equals_an_uninterrupted_one(tmp_path):
    image, sound, y = _paired_features(n=120)

    def run(stop):
        torch.manual_seed(1)
        mm = models.MultimodalLayers(24, 12, 4, hidden=16)
        kw = dict(epochs=6, batch_size=32, seed=5, checkpoint=tmp_path / f"{stop}.pt", progress=False)
        if stop:
            train.fit_multimodal(mm, image, sound, y, stop_after=stop, **kw)
            torch.manual_seed(99)                                         # resuming must not depend on this
            mm = models.MultimodalLayers(24, 12, 4, hidden=16)
        log = train.fit_multimodal(mm, image, sound, y, **kw)
        return mm, log

    (a, log_a), (b, log_b) = run(0), run(2)
    for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(pa, pb)
    assert log_a == log_b


def test_nearest_sound_check_on_layers_that_map_both_modalities_alike():
    mm = models.MultimodalLayers(3, 3, 2, hidden=3)
    with torch.no_grad():
        mm.image_in.weight.copy_(torch.eye(3))
        mm.sound_in.weight.copy_(torch.eye(3))
    x = torch.tensor([[3.0, 0, 0], [0, 3, 0], [0, 0, 3], [3, 1, 0]])
    labels = np.array([0, 1, 1, 1])
    c = stacked.nearest_sound_same_class(mm, x, x, labels, "pre")
    assert c["own_pair"] == 1.0 and c["same_class"] == 1.0
    assert c["chance"] == pytest.approx(0.25 ** 2 + 0.75 ** 2)
    c = stacked.nearest_sound_same_class(mm, x, x.flip(0), labels, "pre")   # sounds of other pairs
    assert c["own_pair"] == 0.0 and c["same_class"] == pytest.approx(0.5)


# ---------------------------------------------------------------- the store

def test_cached_multimodal_reloads_and_keys_on_the_rows_themselves(tmp_path):
    image, sound, y = _paired_features(n=80)
    store = train.ModelStore(tmp_path)
    size = get_profile("smoke").stacked
    rows = np.arange(60)
    a = stacked.cached_multimodal(store, {"data": "x"}, image, sound, y, rows, 4, size, ("l1", "output_ce"), 0,
                                  progress=False)
    b = stacked.cached_multimodal(store, {"data": "x"}, image, sound, y, rows, 4, size, ("l1", "output_ce"), 0,
                                  progress=False)
    assert not a.loaded and b.loaded and a.path == b.path and len(b.history) == size.mm_epochs
    for pa, pb in zip(a.model.state_dict().values(), b.model.state_dict().values()):
        assert torch.equal(pa, pb)
    changed = image.clone()
    changed[0, 0] += 1.0
    c = stacked.cached_multimodal(store, {"data": "x"}, changed, sound, y, rows, 4, size, ("l1", "output_ce"), 0,
                                  progress=False)
    assert not c.loaded and c.path != a.path


def test_cached_pix2pix_reloads_and_a_changed_condition_is_a_new_run(tmp_path):
    store = train.ModelStore(tmp_path)
    cond, target = torch.randn(40, 1, 8, 8), torch.rand(40, 1, 8, 8) * 2 - 1
    cfg = train.Pix2PixConfig(steps=6, batch_size=8, log_every=3, checkpoint_every=3)

    def fit(c):
        torch.manual_seed(0)
        G = models.UNetGenerator(1, 1, size=8, width=4, out="linear")
        D = models.PatchDiscriminator(1, 1, width=4, layers=1)
        return train.cached_pix2pix(store, "p2p", {"what": "test"}, G, D, c, target, cfg, progress=False)

    a, b = fit(cond), fit(cond)
    assert not a.loaded and b.loaded and a.path == b.path
    assert [r["step"] for r in b.history] == [3, 6] and "train_seconds" in b.metrics
    with torch.no_grad():
        assert torch.equal(a.model(cond[:4]), b.model(cond[:4]))
    assert train.tensor_digest(cond) == train.tensor_digest(cond.clone())
    other = cond.clone()
    other[3, 0, 2, 2] += 1e-3
    assert train.tensor_digest(other) != train.tensor_digest(cond)
    assert fit(other).path != a.path


# ---------------------------------------------------------------- features and standardisation

def test_standardizer_centres_scales_and_keeps_a_constant_dimension_finite():
    x = torch.randn(50, 4) * torch.tensor([1.0, 5.0, 0.1, 0.0]) + 3
    rows = np.arange(40)
    s = stacked.Standardizer.fit(x, rows)
    z = s(x)
    assert torch.allclose(z[:40, :3].mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(z[:40, :3].std(0), torch.ones(3), atol=1e-4)
    x2 = x.clone()
    x2[45, 3] = 2.0                                     # the dead unit fires on a row it was not fitted on
    assert torch.isfinite(s(x2)).all() and float(s(x2)[45, 3]) == pytest.approx(-1.0)
    assert torch.allclose(s.inverse(z), x, atol=1e-5)
    with pytest.raises(ValueError, match="size 3"):
        s(x[:, :3])


def test_classify_features_is_the_rest_of_the_classifier():
    torch.manual_seed(0)
    clf = models.ImageClassifier(5, image_size=16, width=4).eval()
    imgs = torch.rand(6, 3, 16, 16)
    f = stacked.image_features(clf, imgs)
    assert f.shape == (6, 256) and (f >= 0).all()
    with torch.no_grad():
        expected = torch.softmax(clf(imgs)["logits"], dim=1)
    assert torch.allclose(stacked.classify_features(clf, f), expected, atol=1e-5)


# ---------------------------------------------------------------- the stack

@pytest.mark.parametrize("profile", ["smoke", "course", "paper"])
def test_the_stack_has_the_profile_shapes(profile):
    p = get_profile(profile)
    SS, size = p.stacked, p.encoders.image_size
    assert models.map_side(SS.mm_hidden) <= SS.gan1_size and models.map_side(256) <= SS.gan1_size
    mm = models.MultimodalLayers(256, 64, 9, hidden=SS.mm_hidden)
    G1 = models.UNetGenerator(1, 1, size=SS.gan1_size, width=4, out="linear")
    G2 = models.UNetGenerator(1, 3, size=size, width=4)
    snd = torch.randn(5, 64)
    S = stacked.StackedGANs(mm, G1, G2, stacked.Standardizer.fit(snd), stacked.Standardizer(torch.zeros(SS.mm_hidden),
                                                                                            torch.ones(SS.mm_hidden)), 256)
    f = S.image_features(snd)
    img = S.images(snd)
    assert f.shape == (5, 256) and img.shape == (5, 3, size, size)
    assert float(img.min()) >= 0 and float(img.max()) <= 1
    D2 = models.PatchDiscriminator(1, 3, width=4)
    assert D2(models.vector_to_map(f, size), img * 2 - 1)["adv"].shape[0] == 5
    dry = get_profile(profile + "-dry") if profile == "paper" else None
    if dry is not None:
        assert dry.stacked.gan1_steps == round(SS.gan1_steps * 0.01) and dry.stacked.gan1_width == SS.gan1_width


class _ColourJudge(nn.Module):
    """A fixed judge: an image's class is the prototype colour nearest its mean colour."""

    def __init__(self, prototypes):
        super().__init__()
        self.register_buffer("proto", prototypes)
        self.config = {"image_size": None}

    def forward(self, x):
        m = x.mean(dim=(2, 3))
        return {"logits": -20 * torch.cdist(m, self.proto), "embedding": m}


def test_a_small_stack_makes_images_the_judge_names_above_chance():
    """Sound -> multimodal layers -> GAN 1 -> image feature -> GAN 2 -> image on four classes
    of flat-coloured images: trained briefly, the stack's images of held-out sounds get their
    sound's class far more often than a quarter of the time."""
    torch.manual_seed(0)
    C, n, size = 4, 320, 16
    proto = torch.tensor([[0.9, 0.1, 0.1], [0.1, 0.9, 0.1], [0.1, 0.1, 0.9], [0.9, 0.9, 0.1]])
    y = torch.arange(n) % C
    images = (proto[y][:, :, None, None] + 0.05 * torch.randn(n, 3, size, size)).clamp(0, 1)
    feat = torch.cat([images.mean(dim=(2, 3)), 0.1 * torch.randn(n, 13)], 1)           # a 16-d "image feature"
    sound = torch.nn.functional.one_hot(y, C).float() @ torch.randn(C, 10) + 0.3 * torch.randn(n, 10)
    tr, te = np.arange(240), np.arange(240, n)
    img_norm, snd_norm = stacked.Standardizer.fit(feat, tr), stacked.Standardizer.fit(sound, tr)
    ZI, ZS = img_norm(feat), snd_norm(sound)
    mm = models.MultimodalLayers(16, 10, C, hidden=16)
    train.fit_multimodal(mm, ZI[tr], ZS[tr], y[tr], epochs=20, batch_size=48, lr=3e-3, progress=False)
    with torch.no_grad():
        pre = mm(sound=ZS)["pre"]
    cond_norm = stacked.Standardizer.fit(pre, tr)
    G1, D1 = models.UNetGenerator(1, 1, size=8, width=8, out="linear"), models.PatchDiscriminator(1, 1, width=8, layers=1)
    G2, D2 = models.UNetGenerator(1, 3, size=size, width=8), models.PatchDiscriminator(1, 3, width=8, layers=2)
    cfg = train.Pix2PixConfig(steps=150, batch_size=32, lr_g=1e-3, lr_d=1e-3, log_every=150, checkpoint_every=1000)
    train.train_pix2pix(G1, D1, models.vector_to_map(cond_norm(pre)[tr], 8), models.vector_to_map(ZI[tr], 8),
                        train.Pix2PixConfig(**{**cfg.__dict__, "d_scale": 0.001}), progress=False)
    train.train_pix2pix(G2, D2, models.vector_to_map(ZI[tr], size), images[tr] * 2 - 1, cfg, progress=False)
    S = stacked.StackedGANs(mm, G1, G2, snd_norm, cond_norm, 16)
    judge = ev.FeatureExtractor(model=_ColourJudge(proto), name="colour judge")
    made = S.images(sound[te])
    real = judge(images[te])
    assert ev.class_accuracy(real["probs"], y[te].numpy()) == 1.0
    sc = stacked.stacked_scores(made, y[te].numpy(), judge, real, ks=(1, 2))
    assert sc["accuracy"] > 0.6 and sc["top1"] == pytest.approx(sc["accuracy"])   # the judge is perfect on real frames
    assert 0 <= sc["top1"] <= sc["top2"] <= 1
    same = stacked.stacked_scores(images[te], y[te].numpy(), judge, real)
    assert same["top1"] == 1.0 and same["FD"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="generated images"):
        stacked.stacked_scores(made[:5], y[te].numpy(), judge, real)
