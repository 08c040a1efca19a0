"""The paper profile's wiring: every network notebooks 02-04 build in the ``paper`` profile,
at its real size (the paper's widths, 64 x 64 images, 128 x 44 spectrograms, half-second
waveforms at 22,050 Hz), trained for two steps on CPU through the library's own training
path (the recipes' ``fit_*`` functions, ``train_gan`` with each run's config), on random
inputs of the right shapes.  Each must end with finite losses and changed parameters.

A GPU run of the paper profile takes hours; this is what fails in seconds instead when a
size, a shape or a config of the paper profile does not fit together.  The GAN configs
come from ``GANSize.gan_config`` as in the notebooks, with the batch made tiny."""
import math

import numpy as np
import pytest
import torch

from s2i_lib import audio, models, train
from s2i_lib.course import ladder_rung, LADDER
from s2i_lib.course.profiles import INSTRUMENTS, SCENE_CLASSES, get_profile

PAPER = get_profile("paper")
ENC, GS = PAPER.encoders, PAPER.gan
SR = PAPER.performances.sample_rate
SAMPLES = int(round(PAPER.build.segment_seconds * SR))      # one half-second segment
SIZE = ENC.image_size                                        # what the paper's GANs draw and the judge sees
N, BATCH = 4, 2                                              # two steps of each: N / BATCH batches, or 2 iterations
N_INST = len(PAPER.performances.classes or INSTRUMENTS)      # notebook 03: the performances suite
N_SCENES = len(PAPER.scenes.classes or SCENE_CLASSES)        # notebook 04: the scenes suite
REPRESENTATIONS = ("mel", "logmel", "cqt", "mfcc", "stft")   # notebook 02's Table 1 columns
SOUNDNET_DIM = 128                                           # SoundNet1D's pool5 (asserted below)


def snapshot(*nets):
    return {f"{i}.{name}": p.detach().clone() for i, net in enumerate(nets)
            for name, p in net.named_parameters() if p.requires_grad}


def assert_changed(before, *nets, exempt=()):
    """Every trainable tensor of ``nets`` changed, except those named in ``exempt`` (whose
    gradient is exactly zero by construction)."""
    after = snapshot(*nets)
    assert after.keys() == before.keys()
    same = [k for k in before if torch.equal(before[k], after[k]) and k not in exempt]
    assert not same, f"parameters that training did not change: {same}"


def assert_finite_rows(log, keys, steps):
    assert log, "no log rows"
    assert log[-1]["step"] == steps
    for row in log:
        for k in keys:
            assert k in row and math.isfinite(row[k]), f"{k} = {row.get(k)} in {row}"


def gen():
    return torch.Generator().manual_seed(0)


def waves(n=N):
    return 0.1 * torch.randn(n, SAMPLES, generator=gen())


def labels(n=N, classes=N_INST):
    return torch.arange(n) % classes


# ----------------------------------------------------------------------------- notebook 02
@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("kind", REPRESENTATIONS)
def test_sound_classifier_per_representation(kind, depth, tmp_path):
    rep = audio.representation(kind, sample_rate=SR)
    X = rep(waves())
    assert tuple(X.shape[1:]) == tuple(rep.output_shape(SAMPLES))
    torch.manual_seed(0)
    net = models.AudioClassifier(tuple(X.shape[1:]), N_INST, depth=depth, width=ENC.width)
    before = snapshot(net)
    log = train.fit_classifier(net, X, labels(), epochs=1, batch_size=BATCH, seed=0, checkpoint=tmp_path / "c.pt",
                               X_val=X, y_val=labels(), progress=False)
    assert_finite_rows(log, ["loss"], N // BATCH)
    assert_changed(before, net)


def test_stacked_autoencoder():
    X = audio.representation("logmel", sample_rate=SR)(waves())
    torch.manual_seed(0)
    ae = models.AudioAutoencoder(tuple(X.shape[1:]), code=128, width=ENC.width)
    before = snapshot(ae)
    log = train.train_autoencoder(ae, X, epochs_per_stack=1, batch_size=BATCH, seed=0, X_val=X, progress=False)
    assert len(log) == 4                                     # one row per stack, each after its two steps
    for row in log:
        assert row["step"] == N // BATCH and math.isfinite(row["loss"]) and math.isfinite(row["val_mse"])
    assert_changed(before, ae)
    assert ae(X)["code"].shape == (N, 128)


@pytest.mark.parametrize("classes", [N_SCENES, N_INST], ids=["scenes", "performances"])
def test_image_classifier(classes, tmp_path):
    X = torch.rand(N, 3, SIZE, SIZE, generator=gen())
    torch.manual_seed(0)
    net = models.ImageClassifier(classes, image_size=SIZE, width=ENC.width)
    before = snapshot(net)
    log = train.fit_classifier(net, X, labels(classes=classes), epochs=1, batch_size=BATCH, seed=0,
                               checkpoint=tmp_path / "c.pt", augment=train.augment_images, progress=False)
    assert_finite_rows(log, ["loss"], N // BATCH)
    assert_changed(before, net)
    assert train.predict(net, X)["embedding"].shape == (N, 128)   # the I2S condition of notebook 03


def test_soundnet_distilled_from_the_image_classifier():
    W = waves()
    teacher = torch.softmax(torch.randn(N, N_SCENES, generator=gen()), dim=1)
    torch.manual_seed(0)
    net = models.SoundNet1D(N_SCENES, width=ENC.width)
    before = snapshot(net)
    log = train.fit_distillation(net, W, teacher, epochs=1, batch_size=BATCH, seed=0, progress=False)
    assert_finite_rows(log, ["loss"], N // BATCH)
    assert_changed(before, net)
    assert train.predict(net, W, taps=("pool5",))["pool5"].shape == (N, SOUNDNET_DIM)


def test_pose_and_size_probes():
    # notebooks 03 and 04: an image classifier with one output, regressed on the true pose or size
    X = torch.rand(N, 3, SIZE, SIZE, generator=gen())
    torch.manual_seed(0)
    net = models.ImageClassifier(1, image_size=SIZE, width=ENC.width)
    before = snapshot(net)
    log = train.fit_regression(net, X, torch.rand(N, generator=gen()), epochs=1, batch_size=BATCH, seed=0,
                               progress=False)
    assert_finite_rows(log, ["loss"], N // BATCH)
    assert_changed(before, net)


# ----------------------------------------------------------------------------- notebooks 03 and 04
def s2i_nets(cond_dim, out_shape=(SIZE, SIZE), channels=3, width=GS.width, norm="bn"):
    """Notebook 03's make_nets: GAN-CLS generator and discriminator, the condition joined at 4 x 4."""
    torch.manual_seed(0)
    G = models.CondGenerator(cond_dim, out_shape=out_shape, out_channels=channels, width=width)
    D = models.CondDiscriminator(cond_dim, in_shape=out_shape, in_channels=channels, width=width, cond="concat",
                                 norm=norm)
    return G, D


def gan_data(cond_dim, shape=(3, SIZE, SIZE), classes=N_INST, groups=None):
    g = gen()
    return train.GANData(torch.rand(N, *shape, generator=g) * 2 - 1, torch.randn(N, cond_dim, generator=g),
                         labels(classes=classes), groups=groups)


# the bias of D's score gets an exactly zero gradient when D's loss does not change if every score
# moves by the same constant: the Wasserstein loss with a gradient penalty (the weights of its real
# and fake/wrong terms sum to zero, and the penalty sees only gradients), and the hinge loss while
# every score is inside the margin (always, two steps from the start)
SHIFT_INVARIANT = {"hinge": ("1.score.bias",), "wgan-gp": ("1.score.bias",)}


def train_two_iterations(G, D, data, **fields):
    cfg = GS.gan_config(2, 0, batch_size=BATCH, **fields)
    before = snapshot(G, D)
    run = train.train_gan(G, D, data, cfg, progress=False)
    assert_finite_rows(run.log, ["loss_d", "loss_g", "score_real", "score_fake"], 2)
    assert_changed(before, G, D, exempt=SHIFT_INVARIANT.get(cfg.loss, ()))
    with torch.no_grad():
        out = run.sampler(G.noise(BATCH), data.cond[:BATCH])
    assert out.shape == (BATCH, *data.images.shape[1:]) and torch.isfinite(out).all()
    return run


def test_s2i_gan_cls(tmp_path):
    # S2I-C / S2I-A: BCE with wrong pairs of another class, through the model store as notebook 03 trains it
    G, D = s2i_nets(128)
    data = gan_data(128)
    cfg = GS.gan_config(2, 0, batch_size=BATCH, loss="bce", wrong="class", log_every=1, checkpoint_every=1)
    before = snapshot(G, D)
    out = train.cached_gan(train.ModelStore(tmp_path / "models"), "gan_03", {"experiment": "paper wiring"}, G, D,
                           data, cfg, progress=False)
    assert not out.loaded and len(list((out.path / "samples").glob("step_*.png"))) >= 1
    assert_finite_rows(out.history, ["loss_d", "loss_g", "score_wrong"], 2)
    assert_changed(before, G, D)
    assert out.model(G.noise(BATCH), data.cond[:BATCH]).shape == (BATCH, 3, SIZE, SIZE)


def test_pose_oriented():
    # one instrument; wrong pairs are its sounds from another clip (S2I-N, without wrong pairs, is the ladder's (c))
    G, D = s2i_nets(128)
    one_instrument = gan_data(128, classes=1, groups=np.array([0, 0, 1, 1]))
    train_two_iterations(G, D, one_instrument, loss="bce", wrong="same_class")


def test_kang_and_kymn_critic():
    # Wasserstein critic without batch norm, RMSProp, weight clipping, GS.kang_n_d critic steps per G step
    G, D = s2i_nets(SOUNDNET_DIM, norm="none")
    train_two_iterations(G, D, gan_data(SOUNDNET_DIM), loss="wgan", optimizer="rmsprop", lr_g=GS.lr / 5,
                               lr_d=GS.lr / 5, n_d=GS.kang_n_d, clip=0.01, wrong_weight=0.1, fake_weight=1.0)
    assert max(float(p.abs().max()) for p in D.parameters()) <= 0.01 + 1e-7   # clipped right after each D step


def test_image_to_sound():
    # I2S: a one-channel (i2s_mels x 44) log-mel spectrogram drawn from the image classifier's 128-d embedding
    shape = (GS.i2s_mels, 44)
    G, D = s2i_nets(128, out_shape=shape, channels=1, width=GS.i2s_width)
    train_two_iterations(G, D, gan_data(128, shape=(1, *shape)), loss="bce", wrong="class")


@pytest.mark.parametrize("rung", list(LADDER))
def test_ladder_rung(rung):
    # Wan et al.'s Table 4 at the paper's width and update ratio (ladder_n_d D and ladder_n_g G steps per
    # iteration, unless the rung sets its own), as notebook 04's train_rung configures it.  Rung (g) is also
    # notebook 04's Table 2 model: it is conditioned here on the widest of those features (the STFT's mean
    # and std over time, 1026-d; SoundNet's pool5, 128-d, and the others change only D's and G's first layer)
    dim = 2 * audio.representation("stft", sample_rate=SR).output_shape(SAMPLES)[0] if rung == "g" else SOUNDNET_DIM
    torch.manual_seed(0)
    G, D, rung_fields = ladder_rung(rung, dim, N_SCENES, image_size=SIZE, width=GS.ladder_width)
    assert G.config["width"] == D.config["width"] == GS.ladder_width
    fields = {"n_d": GS.ladder_n_d, "n_g": GS.ladder_n_g, **rung_fields}
    train_two_iterations(G, D, gan_data(dim, classes=N_SCENES, groups=np.arange(N)), **fields)
