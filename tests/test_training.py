"""Architectures, the one training engine (checkpoints, exact resume, schedulers, devices),
the supervised tasks, augmentation and the model store."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from s2i_lib import models as M
from s2i_lib import train
from s2i_lib.losses import fc_l2
from s2i_lib.train import checkpoint as ckpt
from s2i_lib.train import tasks


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


def test_soundnet_taps_have_their_layers_widths_and_errors():
    m = M.SoundNet1D(4, width=4)
    out = m(torch.randn(2, 11025), taps=("conv1", "pool1", "pool5", "conv7"))
    widths = {name: layer[0].out_channels for name, layer in m.layers.items()}
    assert out["conv1"].shape == (2, widths["conv1"]) and out["pool1"].shape == (2, widths["conv1"])
    assert out["pool5"].shape == (2, widths["conv5"])
    assert out["conv7"].shape == (2, widths["conv7"]) == out["embedding"].shape
    assert out["logits"].shape == (2, 4)
    with pytest.raises(ValueError, match="unknown SoundNet1D taps"):
        m(torch.randn(1, 2000), taps=("fc9",))


def test_from_config_rebuilds_the_same_function_and_checks_versions():
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
    old = dict(M.ImageClassifier(3, image_size=16, width=4).config, version=0)
    with pytest.raises(ValueError, match="version"):
        M.from_config(old)


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
        log = train.fit_classifier(m, X, y, epochs=6, batch_size=32, l2_fc=l2, X_val=Xv, y_val=yv, progress=False)
        assert [r["epoch"] for r in log] == list(range(1, 7))
        assert log[-1]["val_accuracy"] > 0.9, log
        norms[l2] = float(fc_l2(m).detach())
    assert norms[0.05] < 0.8 * norms[0.0]


def _images(n=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    X = torch.rand(n, 3, 16, 16, generator=g) * 0.3
    for c in range(3):
        X[y == c, c] += 0.6
    return X, y


@pytest.mark.parametrize("stop_after", [1, 2])
def test_resumed_training_equals_uninterrupted(tmp_path, stop_after):
    """Dropout, augmentation (torch's global RNG), NumPy draws in the step and the cosine
    schedule all resume where they were: the weights come out identical."""
    X, y = _images()

    def run(stop=None, ck=None):
        torch.manual_seed(3)
        m = M.ImageClassifier(3, image_size=16, width=4)

        def augment(x):
            np.random.rand()                  # a step that also draws from NumPy's generator
            return train.augment_images(x)

        train.fit_classifier(m, X, y, epochs=3, batch_size=16, seed=5, checkpoint=ck, progress=False,
                             stop_after=stop, augment=augment)
        return m

    whole = run()
    ck = tmp_path / "ck.pt"
    run(stop=stop_after, ck=ck)               # "killed" after some epochs
    state = torch.load(ck, weights_only=False)
    assert state["format"] == ckpt.FORMAT and state["step"] == 3 * stop_after
    assert set(state["rng"]) == {"torch", "cuda", "numpy", "python", "engine"}
    assert state["schedulers"]["cosine"]["last_epoch"] == stop_after
    torch.manual_seed(999)                    # the new process has other RNG state
    np.random.seed(999)
    resumed = run(ck=ck)
    for (k, a), b in zip(whole.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_resume_mid_epoch_with_random_batches_equals_uninterrupted(tmp_path):
    """A run checkpointed in the middle of an epoch (every 5 steps of 3-step epochs)."""
    X, y = _blobs(n=48)

    def run(stop=None, ck=None):
        torch.manual_seed(1)
        m = M.AudioClassifier(X.shape[1:], 3, depth=3, width=4)
        task = tasks.SupervisedTask(m, X, y, lambda o, t: torch.nn.functional.cross_entropy(o["logits"], t), epochs=4)
        return m, train.fit(task, steps=12, batches=train.EpochBatches(len(X), 16, seed=2), seed=4, checkpoint=ck,
                            checkpoint_every=5, progress=False, stop_after=stop)

    whole, log_whole = run()
    ck = tmp_path / "mid.pt"
    run(stop=7, ck=ck)
    assert torch.load(ck, weights_only=False)["step"] == 7
    resumed, log_resumed = run(ck=ck)
    assert log_resumed == log_whole
    for a, b in zip(whole.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


def test_checkpoint_of_another_run_is_refused(tmp_path):
    X, y = _blobs(n=32)
    m = M.AudioClassifier(X.shape[1:], 3, depth=3, width=4)
    ck = tmp_path / "ck.pt"
    train.fit_classifier(m, X, y, epochs=2, batch_size=16, checkpoint=ck, progress=False, stop_after=1)
    with pytest.raises(ValueError, match="another configuration"):
        train.fit_classifier(m, X, y, epochs=2, batch_size=16, lr=0.5, checkpoint=ck, progress=False)
    ck.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        train.fit_classifier(m, X, y, epochs=2, batch_size=16, checkpoint=ck, progress=False)


def test_epoch_batches_visit_every_item_once_per_epoch():
    b = train.EpochBatches(10, 4, seed=1)
    g = torch.Generator()
    for epoch in range(3):
        seen = torch.cat([b(epoch * b.per_epoch + k, g) for k in range(b.per_epoch)])
        assert sorted(seen.tolist()) == list(range(10))
    assert not torch.equal(torch.cat([b(k, g) for k in range(3)]), torch.cat([b(3 + k, g) for k in range(3)]))


def test_autoencoder_stacks_train_in_order_and_freeze_earlier_ones(monkeypatch):
    X, _ = _blobs(n=64, shape=(16, 8))
    torch.manual_seed(0)
    ae = M.AudioAutoencoder((16, 8), code=8, width=4)
    ae.norm.fit(X)
    before = [ae.stack_loss(X, s).item() for s in range(4)]
    seen = {}
    orig = tasks._fit_supervised

    def spy(model, *a, **kw):   # record stack 1's weights whenever a stack starts
        seen.setdefault(kw["desc"], ae.enc[0][0].weight.detach().clone())
        return orig(model, *a, **kw)

    monkeypatch.setattr(tasks, "_fit_supervised", spy)
    log = train.train_autoencoder(ae, X, epochs_per_stack=4, batch_size=8, lr=1e-2, X_val=X, progress=False)
    after = [ae.stack_loss(X, s).item() for s in range(4)]
    assert after[0] < 0.7 * before[0]
    assert [r["stack"] for r in log] == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4
    w1, w2, w3, w4 = (seen[f"autoencoder stack {k}/4"] for k in (1, 2, 3, 4))
    assert not torch.equal(w1, w2)            # stack 1 trained ...
    assert torch.equal(w2, w3) and torch.equal(w3, w4) and torch.equal(w4, ae.enc[0][0].weight)  # ... then froze


def test_distillation_follows_the_teacher():
    X, y = _blobs(n=180, shape=(1, 2000))
    X = X.reshape(180, 2000)
    teacher = torch.nn.functional.one_hot((y + 1) % 3, 3).float()   # a teacher that renames the classes
    torch.manual_seed(0)
    m = M.SoundNet1D(3, width=4)
    train.fit_distillation(m, X, teacher, epochs=8, batch_size=30, lr=3e-3, progress=False)
    pred = train.predict(m, X)["probs"].argmax(1)
    assert (pred == (y + 1) % 3).float().mean() > 0.8


def test_regression_learns_a_brightness():
    g = torch.Generator().manual_seed(0)
    t = 0.2 + 0.8 * torch.rand(96, generator=g)
    X = torch.rand(96, 3, 16, 16, generator=g) * t[:, None, None, None]
    torch.manual_seed(0)
    m = M.ImageClassifier(1, image_size=16, width=4)
    log = train.fit_regression(m, X, t, epochs=10, batch_size=16, lr=3e-3, progress=False)
    pred = train.predict(m, X)["logits"][:, 0]
    assert np.corrcoef(pred.numpy(), t.numpy())[0, 1] > 0.8
    assert log[-1]["loss"] < log[0]["loss"]


# ----------------------------------------------------------------------------- augmentation and devices
def test_augmentation_differs_per_image_and_keeps_content():
    torch.manual_seed(0)
    x = torch.rand(1, 3, 16, 16).repeat(64, 1, 1, 1)
    out = train.augment_images(x)
    assert out.shape == x.shape
    distinct = {tuple(o.flatten()[:64].tolist()) for o in out}
    assert len(distinct) > 20                 # one shift for the whole batch would give 2 (flip or not)
    # every output is a (flipped) shift of the input with replicated edges: its pixels are input pixels
    assert torch.isin(out.flatten(), x.flatten()).all()


def test_augmentation_and_a_training_step_run_on_the_inputs_device():
    """On the 'meta' device (shapes only, no data) a CPU-only op or a tensor created on the
    CPU inside the step raises a device error; a GPU run would fail the same way."""
    x = torch.empty(4, 3, 16, 16, device="meta")
    assert train.augment_images(x).device.type == "meta"
    m = M.ImageClassifier(3, image_size=16, width=4).to("meta")
    out = m(train.augment_images(x))
    loss = torch.nn.functional.cross_entropy(out["logits"], torch.zeros(4, dtype=torch.long, device="meta"))
    loss = loss + 0.015 * fc_l2(m)
    loss.backward()
    assert all(p.grad is not None and p.grad.device.type == "meta" for p in m.parameters())


# ----------------------------------------------------------------------------- the store
def test_store_reuses_and_never_loads_a_stale_model(tmp_path):
    store = train.ModelStore(tmp_path)
    calls = []

    def fit_model(work, width=4):
        calls.append(width)
        m = M.ImageClassifier(3, image_size=16, width=width)
        return m, {"acc": 0.5 + width / 100}, [{"epoch": 1, "loss": 1.0}]

    a = store.load_or_train("img", {"width": 4, "epochs": 2}, fit_model)
    assert not a.loaded and calls == [4] and (a.path / "config.json").exists()
    assert not (a.path / "checkpoints").exists()
    b = store.load_or_train("img", {"width": 4, "epochs": 2}, fit_model)
    assert b.loaded and calls == [4] and b.metrics == a.metrics and b.history == a.history
    for k, v in a.model.state_dict().items():
        assert torch.equal(v, b.model.state_dict()[k])
    # a changed configuration trains anew, in another folder
    c = store.load_or_train("img", {"width": 4, "epochs": 3}, lambda w: fit_model(w, width=8))
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


def test_store_key_changes_with_the_engine_version(tmp_path, monkeypatch):
    from s2i_lib.train import store as store_mod
    s = train.ModelStore(tmp_path)
    before = s.path("m", {"a": 1})
    monkeypatch.setattr(store_mod, "ENGINE_VERSION", "test")
    assert s.path("m", {"a": 1}) != before


# ----------------------------------------------------------------------------- mixed precision
def test_bf16_mixed_precision_is_an_option_off_by_default(tmp_path, monkeypatch):
    """``S2I_PRECISION=bf16`` (or ``precision="bf16"``) runs each step under bfloat16
    autocast: the convolutions compute in bfloat16, the weights stay float32, the GAN still
    trains; fp32 is the default, its store keys are unchanged, and a bf16 model has its own
    key and checkpoint description."""
    from s2i_lib import models
    from s2i_lib.train import GANConfig, GANData, ModelStore, precision, train_gan
    from s2i_lib.train.engine import ENGINE_VERSION
    from s2i_lib import cache

    monkeypatch.delenv("S2I_PRECISION", raising=False)
    assert precision() == "fp32"
    store = ModelStore(tmp_path / "store")
    fp32_key = store.path("gan", {"a": 1})
    assert fp32_key.name == cache.cache_key({"name": "gan", "payload": {"a": 1}, "engine_version": ENGINE_VERSION})

    g = torch.Generator().manual_seed(0)
    data = GANData(torch.rand(16, 3, 16, 16, generator=g) * 2 - 1, torch.randn(16, 8, generator=g), torch.arange(16) % 2)

    def run(prec):
        torch.manual_seed(0)
        G = models.CondGenerator(8, z_dim=8, proj_dim=8, out_shape=(16, 16), width=8)
        D = models.CondDiscriminator(8, in_shape=(16, 16), width=8, cond="projection", sn=True, norm="none")
        dtypes = []
        D.features[0].register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
        monkeypatch.setenv("S2I_PRECISION", prec)
        r = train_gan(G, D, data, GANConfig(loss="hinge", steps=4, batch_size=8, log_every=1, sample_every=0),
                      out_dir=tmp_path / prec, progress=False)
        return r, set(dtypes), ModelStore(tmp_path / "store").path("gan", {"a": 1})

    full, dt32, key32 = run("fp32")
    half, dt16, key16 = run("bf16")
    assert dt32 == {torch.float32} and dt16 == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in half.G.parameters())
    assert all(math.isfinite(r["loss_d"]) and math.isfinite(r["loss_g"]) for r in half.log)
    assert [r["loss_d"] for r in half.log] != [r["loss_d"] for r in full.log]      # it did compute otherwise
    assert key32 == fp32_key and key16 != fp32_key
    # the bf16 run's checkpoint is refused by an fp32 run of the same config (and named)
    monkeypatch.setenv("S2I_PRECISION", "fp32")
    G = models.CondGenerator(8, z_dim=8, proj_dim=8, out_shape=(16, 16), width=8)
    D = models.CondDiscriminator(8, in_shape=(16, 16), width=8, cond="projection", sn=True, norm="none")
    with pytest.raises(Exception, match="checkpoint"):
        train_gan(G, D, data, GANConfig(loss="hinge", steps=4, batch_size=8, log_every=1, sample_every=0),
                  out_dir=tmp_path / "bf16", progress=False)
    monkeypatch.setenv("S2I_PRECISION", "fp16")
    with pytest.raises(ValueError, match="must be one of"):
        precision()
