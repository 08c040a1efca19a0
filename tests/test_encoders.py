"""The course's encoders on a tiny SynthAV build: they learn, they are cached, and a
changed configuration retrains instead of loading a stale model."""
from __future__ import annotations

import numpy as np
import pytest

from s2i_lib import audio
from s2i_lib.data.framing import crop_images, framed_images, player_boxes
from s2i_lib.data import datasets
from s2i_lib import course, train
from s2i_lib.course import recipes as encoders

from conftest import synthav_build

CLASSES = ("dog", "drum", "plane")
FAST = dict(width=8, batch_size=16)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Three scene classes x 12 clips of 3 s, built into 0.5 s pairs (about 200)."""
    root = tmp_path_factory.mktemp("encoders")
    _, pairs = synthav_build(root, "scenes", CLASSES, clips=12, frame_size=32, defect_rate=0.3, seed=1, image_size=32)
    return pairs, root / "data", datasets.load_arrays(pairs, progress=False)


def test_load_arrays_matches_the_manifest_and_is_cached(tiny):
    pairs, _, arr = tiny
    assert arr.waves.shape == (len(arr.df), 11025) and arr.images.shape[1:] == (3, 32, 32)
    assert arr.classes == sorted(CLASSES) and set(arr.split) == {"train", "test"}
    assert len(list(pairs.glob("arrays-*.npz"))) == 1
    again = datasets.load_arrays(pairs, progress=False)
    assert np.array_equal(again.waves, arr.waves) and np.array_equal(again.labels, arr.labels)


def test_audio_classifier_beats_chance_and_is_reused(tiny):
    pairs, data, arr = tiny
    a = encoders.audio_classifier(pairs, "logmel", depth=4, profile="smoke", data_dir=data, arrays=arr,
                                  epochs=10, max_train=None, progress=False, **FAST)
    assert not a.loaded
    chance = 1 / len(CLASSES)
    assert a.metrics["test_accuracy"] > chance + 0.25, a.metrics
    b = encoders.audio_classifier(pairs, "logmel", depth=4, profile="smoke", data_dir=data, arrays=arr,
                                  epochs=10, max_train=None, progress=False, **FAST)
    assert b.loaded and b.metrics == a.metrics and b.path == a.path
    emb = encoders.audio_embedding(b, arr.wave_tensor()[:5])
    assert emb.shape == (5, 128)
    # another hop length is another configuration: trained anew, never the cached model
    other = audio.representation("logmel", hop_length=128)
    c = encoders.audio_classifier(pairs, other, depth=4, profile="smoke", data_dir=data, arrays=arr,
                                  epochs=1, max_train=None, progress=False, **FAST)
    assert not c.loaded and c.path != a.path and c.model.config["in_shape"][1] > a.model.config["in_shape"][1]


def test_representation_is_computed_once_per_pair_set(tiny, monkeypatch):
    _, _, arr = tiny
    encoders._REP_CACHE.pop(arr, None)                  # forget what earlier tests computed
    calls = []
    real = encoders.represent
    monkeypatch.setattr(encoders, "represent", lambda rep, waves, **kw: calls.append(rep.kind) or real(rep, waves, **kw))
    lms, mfcc = audio.representation("logmel"), audio.representation("mfcc")
    x = encoders.represented(lms, arr)
    assert encoders.represented(lms, arr) is x and calls == ["logmel"]
    assert np.allclose(x.numpy(), lms(arr.wave_tensor()).numpy(), atol=1e-4)
    encoders.represented(mfcc, arr)
    encoders.represented(lms, arr)                      # still kept: the cache holds the last two
    assert calls == ["logmel", "mfcc"]
    encoders.represented(audio.representation("cqt"), arr)
    encoders.represented(mfcc, arr)                     # mfcc was the oldest, so it was dropped
    assert calls == ["logmel", "mfcc", "cqt", "mfcc"]


def test_test_accuracy_is_the_final_model_on_every_test_pair(tiny):
    pairs, data, arr = tiny
    a = encoders.audio_classifier(pairs, "mfcc", depth=3, profile="smoke", data_dir=data, arrays=arr,
                                  epochs=3, max_train=None, progress=False, **FAST)
    X, y, te = encoders.represented(a.rep, arr), arr.label_tensor(), arr.index("test")
    assert a.metrics["test_accuracy"] == pytest.approx(train.accuracy(a.model, X[te], y[te]), abs=1e-6)
    assert a.metrics["test_accuracy"] == a.history[-1]["val_accuracy"]


def test_image_classifier_and_soundnet_distillation(tiny):
    pairs, data, arr = tiny
    img = encoders.image_classifier(pairs, profile="smoke", data_dir=data, arrays=arr, epochs=8, progress=False,
                                    **FAST)
    chance = 1 / len(CLASSES)
    assert img.metrics["test_accuracy"] > chance + 0.25, img.metrics
    assert "clean_test_accuracy" in img.metrics      # SynthAV build: the truth is known
    snd = encoders.soundnet(pairs, img, profile="smoke", data_dir=data, arrays=arr, epochs=8, max_train=None,
                            progress=False, **FAST)
    assert snd.metrics["teacher_agreement"] > chance + 0.15, snd.metrics
    feats = encoders.soundnet_features(snd, arr.wave_tensor()[:4], tap="pool5")
    assert feats.shape[0] == 4 and feats.ndim == 2


def test_autoencoder_code(tiny):
    pairs, data, arr = tiny
    ae = encoders.audio_autoencoder(pairs, "logmel", profile="smoke", data_dir=data, arrays=arr,
                                    epochs_per_stack=8, progress=False, **FAST)
    assert encoders.audio_embedding(ae, arr.wave_tensor()[:3]).shape == (3, 128)
    # training must have taught it something: held-out reconstructions beat the untrained network's
    assert ae.metrics["test_mse"] < 0.8 * ae.metrics["untrained_test_mse"], ae.metrics


def test_video_folds_never_split_a_video(tiny):
    _, _, arr = tiny
    videos = arr.df["video_id"].to_numpy()
    for folds in (2, 3):
        fold = encoders.video_folds(videos, folds, seed=0)
        assert sorted(set(fold)) == list(range(folds))
        per_video = arr.df.assign(fold=fold).groupby("video_id")["fold"].nunique()
        assert (per_video == 1).all()                 # every moment of a video in the same fold
        assert np.array_equal(fold, encoders.video_folds(videos, folds, seed=0))
    with pytest.raises(ValueError, match="folds"):
        encoders.video_folds(videos, 1, seed=0)


def test_out_of_fold_models_never_see_a_held_out_video(tiny, monkeypatch):
    """Record which items each fold's model trains on (via the subset it is given)."""
    pairs, data_dir, arr = tiny
    seen = []
    orig = encoders.stratified_subset

    def spy(labels, limit, seed):
        keep = orig(labels, limit, seed)
        seen.append(len(labels))
        return keep

    folds_used = {}
    orig_folds = encoders.video_folds

    def spy_folds(videos, folds, seed):
        folds_used["fold"] = orig_folds(videos, folds, seed)
        return folds_used["fold"]

    monkeypatch.setattr(encoders, "stratified_subset", spy)
    monkeypatch.setattr(encoders, "video_folds", spy_folds)
    encoders.out_of_fold_probs(pairs, "image", profile="smoke", data_dir=data_dir, arrays=arr, progress=False,
                               epochs=1, **FAST)
    fold = folds_used["fold"]
    videos = arr.df["video_id"].to_numpy()
    for k in range(2):
        train_videos, held_out = set(videos[fold != k]), set(videos[fold == k])
        assert not train_videos & held_out
    assert seen == [int((fold != 0).sum()), int((fold != 1).sum())]


def test_out_of_fold_probabilities_cover_every_pair(tiny):
    pairs, data, arr = tiny
    p = encoders.out_of_fold_probs(pairs, "image", profile="smoke", data_dir=data, arrays=arr, progress=False,
                                   epochs=8, **FAST)
    assert p.shape == (len(arr), len(CLASSES))
    assert np.allclose(p.sum(1), 1.0, atol=1e-4)
    # held-out predictions are still better than chance on a learnable corpus
    assert (p.argmax(1) == arr.labels).mean() > 0.5
    with pytest.raises(ValueError, match="kind must be"):
        encoders.out_of_fold_probs(pairs, "video", profile="smoke", data_dir=data, arrays=arr, progress=False)


def test_crop_images_resamples_the_box():
    import torch
    img = torch.zeros(1, 3, 40, 40)
    img[:, :, 10:20, 20:30] = 1.0               # a white square: rows 10-19, columns 20-29
    inside = crop_images(img, np.array([[0.5, 0.25, 0.75, 0.5]]), 8)
    assert inside.shape == (1, 3, 8, 8) and inside[..., 1:-1, 1:-1].min() > 0.99
    assert inside.min() > 0.8                  # bilinear samples on the edge touch the black outside
    around = crop_images(img, np.array([[0.375, 0.125, 0.875, 0.625]]), 20)
    assert 0.2 < around.mean() < 0.3            # the square fills a quarter of a box twice its side
    assert around[..., 10, 10].min() > 0.99 and around[..., 1, 1].max() < 0.01


def test_player_framing_keeps_the_object_and_feeds_a_classifier(tiny):
    pairs, data, arr = tiny
    boxes = player_boxes(pairs, arr.df)
    assert boxes.shape == (len(arr), 4) and np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    crops = framed_images(pairs, arr, "player", 16)
    assert crops.shape == (len(arr), 3, 16, 16)
    # crops differ from the whole frame, and the whole frame at 16 px is its area average
    full = framed_images(pairs, arr, "full", 16)
    assert not torch_allclose(crops, full)
    img = encoders.image_classifier(pairs, profile="smoke", data_dir=data, arrays=arr, epochs=8, progress=False,
                                    framing="player", image_size=16, **FAST)
    assert img.framing == "player" and "framing" in img.payload
    assert img.metrics["test_accuracy"] > 1 / len(CLASSES) + 0.25, img.metrics
    whole = encoders.image_classifier(pairs, profile="smoke", data_dir=data, arrays=arr, epochs=8, progress=False,
                                      **FAST)
    assert "framing" not in whole.payload       # whole-frame models keep the keys notebook 02 stored them under
    with pytest.raises(ValueError, match="framing must be"):
        framed_images(pairs, arr, "zoom", 16)


def test_player_framing_and_pose_probe_need_synthav_truth(tiny, tmp_path):
    pairs, data, arr = tiny
    # scenes have no pose: the probe says so instead of training on nothing
    with pytest.raises(ValueError, match="known pose"):
        course.pose_probe(pairs, profile="smoke", data_dir=data, arrays=arr, progress=False)
    # a pair set without its SynthAV corpus: a clear error naming the folder
    import shutil
    lone = tmp_path / "lone_pairs"
    shutil.copytree(pairs, lone)
    (lone / "build.json").unlink(missing_ok=True)
    for f in lone.glob("*.json"):
        f.unlink()
    with pytest.raises(ValueError, match="lone_pairs.*SynthAV metadata"):
        player_boxes(lone, arr.df)


def torch_allclose(a, b):
    import torch
    return a.shape == b.shape and torch.allclose(a, b)


def test_out_of_fold_models_are_keyed_by_every_hyper_parameter(tiny):
    """lr and the l2 weight change the fold models, so they must change their keys (they used
    to be left out, so a changed learning rate loaded the old models)."""
    from s2i_lib import train
    pairs, data_dir, arr = tiny
    store = train.ModelStore(data_dir / "models")
    kw = dict(profile="smoke", data_dir=data_dir, arrays=arr, progress=False, epochs=1, **FAST)
    p_default = encoders.out_of_fold_probs(pairs, "audio", **kw)
    before = {e["key"] for e in store.entries("audio_fold")}
    p_lr = encoders.out_of_fold_probs(pairs, "audio", lr=3e-2, **kw)
    encoders.out_of_fold_probs(pairs, "audio", l2_fc=0.0, **kw)
    after = {e["key"] for e in store.entries("audio_fold")}
    assert len(after - before) == 4                  # two folds x two new settings, none reused
    assert not np.allclose(p_default, p_lr)          # ... and the setting is used, not only recorded
    for e in store.entries("audio_fold"):
        assert {"lr", "l2_fc", "batch_size", "epochs", "width", "depth", "recipe_version"} <= set(e["payload"])
