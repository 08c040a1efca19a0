"""Architectures, the training loop (resume), and the model store (cache keys)."""
from __future__ import annotations

import json

import pytest
import torch

from s2i_lib.models import networks as M
from s2i_lib.train import engine as training


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("shape", [(128, 44), (513, 44), (20, 44), (72, 44)])
@pytest.mark.parametrize("depth", [3, 4])
def test_audio_classifier_shapes_for_every_representation(shape, depth):
    m = M.AudioClassifier(shape, 5, depth=depth, width=4)
    out = m(torch.randn(3, *shape))
    assert out["logits"].shape == (3, 5) and out["embedding"].shape == (3, 128)


def test_image_classifier_resizes_and_embeds():
    m = M.ImageClassifier(7, image_size=32, width=4)
    for side in (32, 64):
        out = m(torch.rand(2, 3, side, side))
        assert out["logits"].shape == (2, 7) and out["embedding"].shape == (2, 128)


def test_soundnet_taps_and_errors():
    m = M.SoundNet1D(4, width=4)
    out = m(torch.randn(2, 11025), taps=("conv1", "pool5", "conv7"))
    assert out["conv1"].shape == (2, 1) or out["conv1"].shape[0] == 2
    assert out["pool5"].shape == (2, m.layers["conv5"][0].out_channels)
    assert out["conv7"].shape == out["embedding"].shape
    with pytest.raises(ValueError, match="unknown SoundNet1D taps"):
        m(torch.randn(1, 2000), taps=("fc9",))


def test_from_config_rebuilds_the_same_function():
    torch.manual_seed(0)
    for m, x in ((M.AudioClassifier((32, 12), 3, width=4), torch.randn(2, 32, 12)),
                 (M.ImageClassifier(3, image_size=16, width=4), torch.rand(2, 3, 16, 16)),
                 (M.SoundNet1D(3, width=4), torch.randn(2, 4000)),
                 (M.AudioAutoencoder((32, 12), code=16, width=4), torch.randn(2, 32, 12))):
        m.eval()
        twin = M.from_config(json.loads(json.dumps(m.config)))
        twin.load_state_dict(m.state_dict())
        twin.eval()
        assert torch.equal(m(x)["embedding"], twin(x)["embedding"])
    with pytest.raises(ValueError, match="unknown architecture"):
        M.from_config({"arch": "Nope"})


# ----------------------------------------------------------------------------- learning
def _blobs(n=240, classes=3, shape=(16, 8), seed=0):
    """Inputs whose class sets which band of rows is bright (plus noise)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    X = torch.randn(n, *shape, generator=g) * 0.5
    band = shape[0] // classes
    for c in range(classes):
        X[y == c, c * band:(c + 1) * band] += 1.5
    return X, y


def test_classifier_learns_separable_data_and_l2_shrinks_fc_weights():
    X, y = _blobs()
    Xv, yv = _blobs(seed=1)
    norms = {}
    for l2 in (0.0, 0.05):
        torch.manual_seed(0)
        m = M.AudioClassifier(X.shape[1:], 3, depth=3, width=4)
        h = training.fit_classifier(m, X, y, epochs=6, batch_size=32, l2_fc=l2, X_val=Xv, y_val=yv, progress=False)
        assert h.last["val_accuracy"] > 0.9, h.epochs
        norms[l2] = float(training.fc_l2(m).detach())
    assert norms[0.05] < 0.8 * norms[0.0]


def test_resumed_training_equals_uninterrupted(tmp_path):
    X, y = _blobs(n=96)

    def run(stop_after=None, ck=None):
        torch.manual_seed(3)
        m = M.AudioClassifier(X.shape[1:], 3, depth=3, width=4)
        training.fit_classifier(m, X, y, epochs=3, batch_size=16, seed=5, checkpoint=ck, progress=False,
                                stop_after=stop_after)
        return m

    whole = run()
    ck = tmp_path / "ck.pt"
    run(stop_after=1, ck=ck)                  # "killed" after the first epoch
    assert torch.load(ck, weights_only=False)["epoch"] == 1
    torch.manual_seed(999)                    # the new process has other RNG state
    resumed = run(ck=ck)
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_autoencoder_stacks_train_in_order_and_freeze_earlier_ones():
    X, _ = _blobs(n=64, shape=(16, 8))
    torch.manual_seed(0)
    ae = M.AudioAutoencoder((16, 8), code=8, width=4)
    ae.norm.fit(X)
    before = [ae.stack_loss(X, s).item() for s in range(4)]
    seen = {}
    orig = training.train_loop

    def spy(model, params, *a, **kw):   # record stack 1's weights whenever a later stack starts
        seen.setdefault(kw["desc"], ae.enc[0][0].weight.detach().clone())
        return orig(model, params, *a, **kw)

    training.train_loop = spy
    try:
        h = training.train_autoencoder(ae, X, epochs_per_stack=4, batch_size=8, lr=1e-2, X_val=X, progress=False)
    finally:
        training.train_loop = orig
    after = [ae.stack_loss(X, s).item() for s in range(4)]
    assert after[0] < 0.7 * before[0]
    assert [r["stack"] for r in h.epochs] == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4
    w2, w3, w4 = (seen[f"autoencoder stack {k}/4"] for k in (2, 3, 4))
    assert torch.equal(w2, w3) and torch.equal(w3, w4) and torch.equal(w4, ae.enc[0][0].weight)


def test_distillation_follows_the_teacher():
    X, y = _blobs(n=180, shape=(1, 2000))
    X = X.reshape(180, 2000)
    teacher = torch.nn.functional.one_hot((y + 1) % 3, 3).float()   # a teacher that renames the classes
    torch.manual_seed(0)
    m = M.SoundNet1D(3, width=4)
    training.fit_distillation(m, X, teacher, epochs=8, batch_size=30, lr=3e-3, progress=False)
    pred = training.predict(m, X)["probs"].argmax(1)
    assert (pred == (y + 1) % 3).float().mean() > 0.8


# ----------------------------------------------------------------------------- the store
def test_store_reuses_and_never_loads_a_stale_model(tmp_path):
    store = training.ModelStore(tmp_path)
    calls = []

    def train(work, width=4):
        calls.append(width)
        m = M.ImageClassifier(3, image_size=16, width=width)
        return m, {"acc": 0.5 + width / 100}, [{"epoch": 1, "loss": 1.0}]

    a = store.load_or_train("img", {"width": 4, "epochs": 2}, train)
    assert not a.loaded and calls == [4] and (a.path / "config.json").exists()
    assert not (a.path / "checkpoints").exists()
    b = store.load_or_train("img", {"width": 4, "epochs": 2}, train)
    assert b.loaded and calls == [4] and b.metrics == a.metrics and b.history == a.history
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k])
    # a changed configuration trains anew, in another folder
    c = store.load_or_train("img", {"width": 4, "epochs": 3}, lambda w: train(w, width=8))
    assert not c.loaded and calls == [4, 8] and c.path != a.path
    # a folder whose stored configuration does not match is not trusted
    cfg = json.loads((a.path / "config.json").read_text())
    cfg["payload"]["epochs"] = 99
    (a.path / "config.json").write_text(json.dumps(cfg))
    assert store.load("img", {"width": 4, "epochs": 2}) is None
    # an entry without config.json (training died while saving) is not loaded either
    (c.path / "config.json").unlink()
    assert store.load("img", {"width": 4, "epochs": 3}) is None
    assert {e["key"] for e in store.entries("img")} == {a.path.name}
