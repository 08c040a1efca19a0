"""The GAN training loop: exact resume, D/G step counts, clipping, EMA, logs and samples."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from s2i_lib import losses
from s2i_lib import models as gan
from s2i_lib.train import GANConfig, GANData, GANTask, ModelStore, cached_gan, generate, train_gan

COND = 6


def _data(n=48):
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n) % 3
    cond = torch.nn.functional.one_hot(labels, COND).float() + 0.1 * torch.randn(n, COND, generator=g)
    images = torch.rand(n, 3, 16, 16, generator=g) * 2 - 1
    images[:, labels % 3] += 0.5
    return GANData(images.clamp(-1, 1), cond, labels, groups=np.arange(n) // 2)


def _nets(seed=0, sn=True, aux=0):
    torch.manual_seed(seed)
    G = gan.CondGenerator(COND, z_dim=8, proj_dim=8, out_shape=(16, 16), width=8)
    D = gan.CondDiscriminator(COND, in_shape=(16, 16), width=8, cond="projection", sn=sn, norm="none",
                              aux_classes=aux)
    return G, D


@pytest.mark.parametrize("levers", [{}, {"diff_augment": "color,translation,cutout", "channels_last": True}],
                         ids=["plain", "diffaugment-channels-last"])
def test_resumed_run_equals_uninterrupted(tmp_path, levers):
    cfg = GANConfig(loss="hinge", steps=6, batch_size=8, n_d=2, ema=0.9, log_every=1, sample_every=3,
                    checkpoint_every=100, seed=3, **levers)
    data = _data()
    G1, D1 = _nets()
    whole = train_gan(G1, D1, data, cfg, tmp_path / "whole", progress=False)
    G2, D2 = _nets()
    part = train_gan(G2, D2, data, cfg, tmp_path / "resumed", progress=False, stop_after=2)
    assert part.step == 2 and json.loads((tmp_path / "resumed" / "log.json").read_text())[-1]["step"] == 2
    torch.manual_seed(12345)                       # a new process: other global RNG state
    G3, D3 = _nets(seed=99)                        # ... and other initial weights, overwritten by the checkpoint
    resumed = train_gan(G3, D3, data, cfg, tmp_path / "resumed", progress=False)
    assert resumed.step == 6
    for a, b in ((whole.G, resumed.G), (whole.D, resumed.D), (whole.G_ema, resumed.G_ema)):
        for (k, x), y in zip(a.state_dict().items(), b.state_dict().values()):
            assert torch.equal(x, y), k
    assert whole.log == resumed.log
    assert (tmp_path / "whole" / "log.csv").read_text() == (tmp_path / "resumed" / "log.csv").read_text()
    assert sorted(p.name for p in (tmp_path / "whole" / "samples").glob("*.png")) == ["step_000003.png", "step_000006.png"]
    # a changed configuration refuses to resume from the old checkpoint
    with pytest.raises(ValueError, match="another configuration"):
        train_gan(*_nets(), data, GANConfig(**{**cfg.__dict__, "steps": 7}), tmp_path / "resumed", progress=False)


def test_step_counts_clipping_and_ema(tmp_path):
    data = _data()
    G, D = _nets(sn=False)
    cfg = GANConfig(loss="wgan", steps=4, batch_size=8, n_d=3, n_g=2, optimizer="rmsprop", clip=0.02, ema=0.5,
                    lr_schedule="linear", log_every=2)
    run = train_gan(G, D, data, cfg, progress=False)
    assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.02 + 1e-9
    opt_steps = []

    class Spy(torch.optim.RMSprop):
        def step(self, *a, **k):
            opt_steps.append(id(self))
            return super().step(*a, **k)

    import s2i_lib.train.gan as gt
    orig = gt._optimizer
    gt._optimizer = lambda params, lr, c: Spy(params, lr=lr)
    try:
        G2, D2 = _nets(sn=False)
        train_gan(G2, D2, data, cfg, progress=False)
    finally:
        gt._optimizer = orig
    counts = sorted(np.unique(opt_steps, return_counts=True)[1].tolist())
    assert counts == [4 * 2, 4 * 3]                 # G: n_g per iteration, D: n_d per iteration
    assert [r["step"] for r in run.log] == [2, 4]
    diff = sum(float((a - b).detach().abs().sum()) for a, b in zip(run.G_ema.parameters(), run.G.parameters()))
    assert diff > 0                                   # the EMA copy lags behind G


def _critic_gradient_norm(D, data, G, n=32):
    """Mean norm of the critic's gradient at points between real and fake images."""
    g = torch.Generator().manual_seed(7)
    x = data.images[:n]
    with torch.no_grad():
        fake = G(G.noise(n, generator=g), data.cond[:n])
    eps = torch.rand(n, 1, 1, 1, generator=g)
    x_hat = (eps * x + (1 - eps) * fake).requires_grad_(True)
    grad, = torch.autograd.grad(D(x_hat, data.cond[:n])["adv"].sum(), x_hat)
    return float(grad.flatten(1).norm(dim=1).mean())


def test_gradient_penalty_holds_the_critic_near_unit_gradient():
    """Dropping the penalty (or its weight) lets the critic's gradients grow far above 1."""
    data = _data()
    norms = {}
    for weight in (10.0, 0.0):
        G, D = _nets(sn=False)
        cfg = GANConfig(loss="wgan-gp", steps=60, batch_size=16, n_d=1, n_g=0, lr_d=1e-3, betas=(0.0, 0.9),
                        gp_weight=weight, wrong="none", log_every=60)
        run = train_gan(G, D, data, cfg, progress=False)
        assert "gradient_penalty" in run.log[-1]
        norms[weight] = _critic_gradient_norm(D, data, G)
    assert norms[10.0] < 2.5 and norms[0.0] > 5 * norms[10.0], norms


def test_aux_term_teaches_the_discriminator_the_classes():
    data = _data()
    for c in range(3):                        # make the class visible in the picture: one bright channel
        data.images[data.labels == c, c] = 0.9
    G, D = _nets(sn=False, aux=3)
    train_gan(G, D, data, GANConfig(loss="bce", steps=40, batch_size=16, aux_weight=1.0, wrong="none", log_every=40,
                                    lr_d=1e-3), progress=False)
    with torch.no_grad():
        pred = D(data.images, data.cond)["cls"].argmax(1)
    assert (pred == data.labels).float().mean() > 0.8


def test_wgan_gp_aux_and_bce_run(tmp_path):
    data = _data()
    for loss, aux in (("wgan-gp", 0), ("bce", 3)):
        G, D = _nets(sn=False, aux=aux)
        run = train_gan(G, D, data, GANConfig(loss=loss, steps=2, batch_size=8, aux_weight=1.0 if aux else 0.0,
                                              wrong="same_class", log_every=1), progress=False)
        assert all(np.isfinite(r["loss_d"]) and np.isfinite(r["loss_g"]) for r in run.log)
        assert "score_wrong" in run.log[0]
    G, D = _nets(sn=False)
    run = train_gan(G, D, data, GANConfig(steps=2, batch_size=8, wrong="none", log_every=1), progress=False)
    assert "score_wrong" not in run.log[0]
    with pytest.raises(ValueError, match="aux_classes"):
        train_gan(*_nets(), data, GANConfig(steps=1, aux_weight=1.0), progress=False)
    with pytest.raises(ValueError, match="loss must be"):
        GANConfig(loss="lsgan")


def test_cached_gan_is_stored_reloaded_and_keyed_by_config(tmp_path):
    store = ModelStore(tmp_path / "models")
    cfg = GANConfig(loss="hinge", steps=4, batch_size=8, log_every=2, sample_every=2, checkpoint_every=100)
    data = _data()
    G, D = _nets()
    a = cached_gan(store, "toy_gan", {"data": "toy"}, G, D, data, cfg, progress=False)
    assert not a.loaded and [r["step"] for r in a.history] == [2, 4]
    assert sorted(p.name for p in (a.path / "samples").glob("*.png")) == ["step_000002.png", "step_000004.png"]
    assert not (a.path / "checkpoints").exists()
    G2, D2 = _nets(seed=5)          # other initial weights: a reload must not train them
    b = cached_gan(store, "toy_gan", {"data": "toy"}, G2, D2, data, cfg, progress=False)
    assert b.loaded and b.path == a.path and b.history == a.history
    z, c = torch.randn(4, 8), data.cond[:4]
    assert torch.equal(a.model.eval()(z, c), b.model.eval()(z, c))
    G3, D3 = _nets()
    c3 = cached_gan(store, "toy_gan", {"data": "toy"}, G3, D3, data, GANConfig(**{**cfg.__dict__, "steps": 2}),
                    progress=False)
    assert not c3.loaded and c3.path != a.path


def test_kang_weighted_mismatch_objective():
    s_r, s_f, s_w = torch.tensor([1.0, 3.0]), torch.tensor([0.5, 0.5]), torch.tensor([-1.0, 2.0])
    alpha = 0.1
    got = losses.gan_cls_d_loss("wgan", s_r, s_f, s_w, wrong_weight=alpha, fake_weight=1.0)
    # the critic maximises f(x, right) - f(G(z), right) - alpha f(x, wrong)  (Kang & Kymn, Eq. 10)
    assert got.item() == pytest.approx(-(2.0 - 0.5) + alpha * 0.5)


def test_generate_is_seeded_condition_major_and_in_unit_range():
    G, _ = _nets()
    G.train()
    c = _data().cond[:3]
    a = generate(G, c, per_condition=4, seed=1)
    assert a.shape == (12, 3, 16, 16) and a.min() >= 0 and a.max() <= 1
    assert G.training                          # the caller's mode is restored
    assert torch.equal(a, generate(G, c, per_condition=4, seed=1))
    assert not torch.equal(a, generate(G, c, per_condition=4, seed=2))
    # condition-major: the 4 samples of condition 1 are what that condition alone gives with the same noise
    z = G.noise(12, generator=torch.Generator().manual_seed(1))
    G.eval()
    with torch.no_grad():
        alone = (G(z[4:8], c[1:2].repeat(4, 1)) + 1) / 2
    assert torch.allclose(a[4:8], alone, atol=1e-6)


@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_a_gan_iteration_runs_with_the_networks_on_another_device(loss):
    """Networks on the 'meta' device, data on the CPU (as on a GPU run): every tensor a step
    makes (noise, wrong pairs, the penalty's mixing weights, EMA) must follow the networks.
    A CPU tensor meeting a meta one raises, as it would on CUDA."""
    from s2i_lib.train import EMA, RandomBatches
    from s2i_lib.train.engine import Engine
    data = _data()
    G, D = _nets(sn=True)
    G, D = G.to("meta"), D.to("meta")
    cfg = GANConfig(loss=loss, steps=1, batch_size=8, ema=0.9, wrong="class")
    ema = EMA(G, 0.9, auto=False)
    task = GANTask(G, D, data, cfg, ema)
    eng = Engine(task=task, steps=1, generator=torch.Generator().manual_seed(0), log=[])
    out = task.step(torch.zeros(1, dtype=torch.long), eng)
    assert out["loss_d"].device.type == "meta" and out["loss_g"].device.type == "meta"
    assert next(ema.shadow.parameters()).device.type == "meta"


def test_diff_augment_changes_images_keeps_gradients_and_names_bad_policies():
    from s2i_lib.train.augment import diff_augment
    torch.manual_seed(0)
    x = (torch.rand(16, 3, 16, 16) * 2 - 1).requires_grad_(True)
    for policy in ("color", "translation", "cutout"):
        out = diff_augment(x, policy)
        assert out.shape == x.shape and not torch.allclose(out, x), policy
        out.sum().backward()                     # G learns through the augmentation
        assert x.grad is not None and x.grad.abs().sum() > 0, policy
        x.grad = None
    holes = (diff_augment(torch.ones(64, 3, 16, 16), "cutout") == 0).all(dim=1).flatten(1).sum(1)
    assert holes.min() >= 4 * 4 and holes.max() <= 8 * 8   # a half-side square, partly outside at the borders
    shifted = diff_augment(torch.ones(64, 1, 16, 16), "translation")
    assert ((shifted == 0) | (shifted == 1)).all() and (shifted == 0).any()   # pixels move, zeros enter
    with pytest.raises(ValueError, match="unknown DiffAugment policy 'rotate'"):
        GANConfig(diff_augment="translation,rotate")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    GANConfig(diff_augment="color,cutout")             # checking the policy draws no random numbers
    assert torch.equal(torch.rand(3), expected)


def test_diff_augment_is_what_the_discriminator_sees(tmp_path):
    """With DiffAugment, what D is shown is the augmented batch, not the batch itself."""
    data = _data()
    seen = []
    G, D = _nets()
    D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    task = GANTask(G, D, data, GANConfig(loss="hinge", steps=1, batch_size=8, diff_augment="cutout", seed=0))
    x = data.images[:8]
    task._judge(D, x, data.cond[:8])
    assert len(seen) == 1 and not torch.equal(seen[0], x)
    assert ((seen[0] == 0).all(dim=1).flatten(1).sum(1) >= 16).all()


def test_conditions_at_the_noise_scale_keep_direction_and_match_the_noise_rms():
    from s2i_lib.train import at_noise_scale
    c = torch.rand(10, 128) * 0.01                    # a small, all-positive code, like a ReLU layer's
    out = at_noise_scale(c)
    assert torch.allclose(out.pow(2).mean(dim=1).sqrt(), torch.ones(10), atol=1e-4)   # RMS 1, as z ~ N(0, I)
    assert torch.allclose(torch.nn.functional.cosine_similarity(out, c, dim=1), torch.ones(10), atol=1e-5)
    z = torch.randn(4000, 128)
    assert abs(float(z.pow(2).mean().sqrt()) - 1) < 0.01
    half = at_noise_scale(c, rms=0.5)
    assert torch.allclose(half, out / 2, atol=1e-6)
    with pytest.raises(ValueError, match="rms must be positive"):
        at_noise_scale(c, rms=0)


def test_keep_best_samples_from_the_selected_step_and_resumes_to_the_same_choice(tmp_path):
    peak = {"at": 4}
    evaluate = lambda G, step: {"score_train": -abs(step - peak["at"])}     # highest at step 4
    cfg = GANConfig(loss="hinge", steps=8, batch_size=8, ema=0.9, log_every=2, eval_every=2, sample_every=0,
                    checkpoint_every=100, keep_best="score_train", seed=1)
    whole = train_gan(*_nets(), _data(), cfg, tmp_path / "whole", evaluate=evaluate, progress=False)
    assert whole.best_step == 4 and whole.step == 8
    short = train_gan(*_nets(), _data(), GANConfig(**{**cfg.__dict__, "steps": 4, "keep_best": "", "eval_every": 0}),
                      progress=False)
    for (k, a), b in zip(whole.sampler.state_dict().items(), short.sampler.state_dict().values()):
        assert torch.equal(a, b), k                    # the sampler is the EMA of step 4, not of step 8
    part = train_gan(*_nets(), _data(), cfg, tmp_path / "resumed", evaluate=evaluate, progress=False, stop_after=5)
    assert part.best_step == 4
    resumed = train_gan(*_nets(seed=7), _data(), cfg, tmp_path / "resumed", evaluate=evaluate, progress=False)
    assert resumed.best_step == 4
    for a, b in zip(whole.sampler.state_dict().values(), resumed.sampler.state_dict().values()):
        assert torch.equal(a, b)
    with pytest.raises(ValueError, match="needs eval_every"):
        GANConfig(keep_best="acc_train")
    with pytest.raises(ValueError, match="needs an evaluate"):
        train_gan(*_nets(), _data(), cfg, progress=False)


def test_frozen_d_leaves_g_gradients_unchanged_and_skips_d_weights():
    from s2i_lib.train.gan import frozen
    data = _data()
    grads = []
    for freeze in (False, True):
        G, D = _nets(aux=3)
        z = torch.randn(8, 8, generator=torch.Generator().manual_seed(0))
        if freeze:
            with frozen(D):
                o = D(G(z, data.cond[:8]), data.cond[:8])
                (losses.g_loss("hinge", o["adv"]) + torch.nn.functional.cross_entropy(o["cls"], data.labels[:8])).backward()
            assert all(p.grad is None and p.requires_grad for p in D.parameters())
        else:
            o = D(G(z, data.cond[:8]), data.cond[:8])
            (losses.g_loss("hinge", o["adv"]) + torch.nn.functional.cross_entropy(o["cls"], data.labels[:8])).backward()
            assert all(p.grad is not None for p in D.parameters())
        grads.append([p.grad.clone() for p in G.parameters()])
    for a, b in zip(*grads):
        assert torch.allclose(a, b, atol=0, rtol=0)


def test_evaluations_of_the_tail_only_and_their_mean_leave_training_unchanged(tmp_path):
    from s2i_lib.train import mean_over_evaluations
    steps_seen = []

    def evaluate(G, step):
        steps_seen.append(step)
        return {"score": float(step), "other": 1.0}

    cfg = GANConfig(loss="hinge", steps=10, batch_size=8, ema=0.9, log_every=2, eval_every=2, eval_from=6,
                    sample_every=0, checkpoint_every=100, seed=1)
    tail = train_gan(*_nets(), _data(), cfg, evaluate=evaluate, progress=False)
    assert steps_seen == [6, 8, 10]
    assert mean_over_evaluations(tail.log, ["score", "other"]) == {"score": 8.0, "evaluations": 3, "other": 1.0}
    assert mean_over_evaluations(tail.log, ["score"], since=8)["score"] == 9.0
    with pytest.raises(KeyError, match="holds 'accuracy'"):
        mean_over_evaluations(tail.log, ["accuracy"])
    plain = train_gan(*_nets(), _data(), GANConfig(**{**cfg.__dict__, "eval_every": 0}), progress=False)
    for a, b in zip(tail.sampler.state_dict().values(), plain.sampler.state_dict().values()):
        assert torch.equal(a, b)                       # evaluating changes nothing the run learns
    # a run resumed from a checkpoint evaluates the same steps
    steps_seen.clear()
    train_gan(*_nets(), _data(), cfg, tmp_path / "r", evaluate=evaluate, progress=False, stop_after=7)
    train_gan(*_nets(), _data(), cfg, tmp_path / "r", evaluate=evaluate, progress=False)
    assert steps_seen == [6, 8, 10]
