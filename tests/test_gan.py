"""The GAN toolkit: shapes of every generator / discriminator / loss combination, spectral
normalisation, the gradient penalty against finite differences, the GAN-CLS objective, and
wrong-pair samplers."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s2i_lib import losses, models

COND = 12


@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("shape,channels", [((32, 32), 3), ((64, 64), 3), ((128, 44), 1)])
def test_generator_shapes_and_range(residual, shape, channels):
    g = models.CondGenerator(COND, z_dim=16, proj_dim=8, out_shape=shape, out_channels=channels, width=8,
                          residual=residual)
    x = g(g.noise(3), torch.randn(3, COND))
    assert x.shape == (3, channels, *shape)
    assert x.min() >= -1 and x.max() <= 1


def test_unconditional_generator():
    g = models.CondGenerator(0, z_dim=16, out_shape=(32, 32), width=8)
    assert g(g.noise(2)).shape == (2, 3, 32, 32)


@pytest.mark.parametrize("cond,sn,aux", list(itertools.product(["concat", "projection", "none"], [False, True], [0, 5])))
def test_discriminator_and_every_loss(cond, sn, aux):
    d = models.CondDiscriminator(COND, in_shape=(32, 32), width=8, cond=cond, proj_dim=8, aux_classes=aux, sn=sn,
                              norm="none" if sn else "bn")
    g = models.CondGenerator(COND, z_dim=16, out_shape=(32, 32), width=8)
    c = torch.randn(4, COND)
    real, fake = torch.rand(4, 3, 32, 32) * 2 - 1, g(g.noise(4), c)
    out_r, out_f, out_w = d(real, c), d(fake, c), d(real, c.roll(1, 0))
    assert out_r["adv"].shape == (4,) and out_r["h"].shape[0] == 4
    assert (out_r["cls"] is None) == (aux == 0)
    if aux:
        assert out_r["cls"].shape == (4, aux)
    for kind in losses.LOSSES:
        ld = losses.gan_cls_d_loss(kind, out_r["adv"], out_f["adv"], out_w["adv"])
        lg = losses.g_loss(kind, out_f["adv"])
        assert ld.shape == () and lg.shape == () and torch.isfinite(ld) and torch.isfinite(lg)
    losses.g_loss("hinge", out_f["adv"]).backward()
    assert all(p.grad is not None for p in g.parameters() if p.requires_grad)


@pytest.mark.parametrize("shape,grown", [((128, 44), (128, 64)), ((64, 44), (64, 48)), ((32, 32), (32, 32))])
def test_rectangular_networks_grow_a_rectangular_map(shape, grown):
    """A thin spectrogram is not padded to a square: both networks work on the smallest
    power-of-two multiple of a 4-row map that covers it."""
    d = models.CondDiscriminator(COND, in_shape=shape, in_channels=1, width=8)
    g = models.CondGenerator(COND, z_dim=16, out_shape=shape, out_channels=1, width=8)
    assert d.grown == grown and g.grown == grown
    assert d(torch.randn(2, 1, *shape), torch.randn(2, COND))["adv"].shape == (2,)
    assert d.features(torch.randn(1, 1, *grown)).shape[-2:] == (4, grown[1] * 4 // grown[0])


def test_gan_networks_rebuild_from_their_config():
    from s2i_lib.models import from_config
    g = models.CondGenerator(COND, z_dim=16, out_shape=(64, 44), out_channels=1, width=8).eval()
    d = models.CondDiscriminator(COND, in_shape=(64, 44), in_channels=1, width=8, cond="projection", sn=True,
                              norm="none", aux_classes=3).eval()
    g2, d2 = from_config(g.config), from_config(d.config)
    g2.load_state_dict(g.state_dict()); d2.load_state_dict(d.state_dict())
    z, c, x = torch.randn(2, 16), torch.randn(2, COND), torch.randn(2, 1, 64, 44)
    assert torch.equal(g(z, c), g2.eval()(z, c))
    assert torch.equal(d(x, c)["adv"], d2.eval()(x, c)["adv"])


def test_bad_switches_are_refused():
    with pytest.raises(ValueError, match="cond must be"):
        models.CondDiscriminator(COND, cond="film")
    with pytest.raises(ValueError, match="needs cond_dim"):
        models.CondDiscriminator(0, cond="projection")
    with pytest.raises(ValueError, match="unknown loss"):
        losses.g_loss("lsgan", torch.zeros(2))


def test_spectral_norm_keeps_the_largest_singular_value_near_one():
    torch.manual_seed(0)
    d = models.CondDiscriminator(COND, width=8, cond="projection", sn=True, norm="none", proj_dim=8)
    d.train()
    x, c = torch.randn(4, 3, 32, 32), torch.randn(4, COND)
    for _ in range(30):                       # power iteration advances once per training forward
        d(x, c)
    sigmas = models.spectral_norms(d)
    assert len(sigmas) >= 5
    assert all(0.9 < s < 1.05 for s in sigmas.values()), sigmas
    plain = models.spectral_norms(models.CondDiscriminator(COND, width=8, cond="projection", sn=False, norm="none"))
    assert max(plain.values()) > 1.2          # without the switch, layers are not normalised


def test_gradient_penalty_matches_finite_differences():
    torch.manual_seed(0)
    d = models.CondDiscriminator(0, in_shape=(8, 8), in_channels=1, width=4, cond="none", norm="none").double()
    real, fake = torch.randn(3, 1, 8, 8, dtype=torch.float64), torch.randn(3, 1, 8, 8, dtype=torch.float64)
    gp = losses.gradient_penalty(d, real, fake, generator=torch.Generator().manual_seed(5))
    eps = torch.rand(3, 1, 1, 1, generator=torch.Generator().manual_seed(5)).double()
    x_hat = eps * real + (1 - eps) * fake
    h, norms = 1e-5, []
    for i in range(3):
        base = x_hat[i:i + 1]
        grad = torch.zeros(64, dtype=torch.float64)
        for k in range(64):
            e = torch.zeros(64, dtype=torch.float64)
            e[k] = h
            up, down = base + e.view(1, 1, 8, 8), base - e.view(1, 1, 8, 8)
            grad[k] = (d(up)["adv"] - d(down)["adv"]).item() / (2 * h)
        norms.append(grad.norm())
    expected = torch.stack([(n - 1) ** 2 for n in norms]).mean()
    assert float(gp.detach()) == pytest.approx(float(expected), rel=1e-6)


def test_gan_cls_objective_matches_reed_et_al():
    s_r, s_w, s_f = torch.tensor([2.0, -0.5]), torch.tensor([0.3, -1.0]), torch.tensor([-2.0, 1.0])
    sig = torch.sigmoid
    reed = -(torch.log(sig(s_r)) + (torch.log(1 - sig(s_w)) + torch.log(1 - sig(s_f))) / 2).mean()
    assert float(losses.gan_cls_d_loss("bce", s_r, s_f, s_w)) == pytest.approx(float(reed), rel=1e-6)
    hinge = (F.relu(1 - s_r) + (F.relu(1 + s_w) + F.relu(1 + s_f)) / 2).mean()
    assert float(losses.gan_cls_d_loss("hinge", s_r, s_f, s_w)) == pytest.approx(float(hinge), rel=1e-6)
    assert float(losses.gan_cls_d_loss("wgan", s_r, s_f, s_w)) == pytest.approx(float(-s_r.mean() + (s_w.mean() + s_f.mean()) / 2))
    # S2I-N: no wrong pairs, the plain conditional loss
    assert float(losses.gan_cls_d_loss("bce", s_r, s_f)) == pytest.approx(float(F.softplus(-s_r).mean() + F.softplus(s_f).mean()))
    # a heavier mismatch term (Kang & Kymn)
    w = losses.gan_cls_d_loss("wgan", s_r, s_f, s_w, wrong_weight=0.8)
    assert float(w) == pytest.approx(float(-s_r.mean() + 0.2 * s_f.mean() + 0.8 * s_w.mean()))
    # the generator's non-saturating loss
    assert float(losses.g_loss("bce", s_f)) == pytest.approx(float(-torch.log(sig(s_f)).mean()), rel=1e-6)


def test_weight_clipping():
    d = models.CondDiscriminator(COND, width=8)
    losses.clip_weights(d, 0.01)
    assert max(float(p.detach().abs().max()) for p in d.parameters()) <= 0.01 + 1e-9


def test_wrong_pair_samplers_never_return_the_positive():
    labels = np.repeat(np.arange(4), 6)
    clips = np.repeat(np.arange(12), 2)              # two pairs per clip, three clips per class
    idx = np.arange(len(labels))
    for _ in range(20):
        w = losses.WrongPairSampler(labels, clips, "class", seed=_).sample(idx)
        assert (labels[w] != labels[idx]).all()
        w = losses.WrongPairSampler(labels, clips, "same_class", seed=_).sample(idx)
        assert (labels[w] == labels[idx]).all() and (clips[w] != clips[idx]).all() and (w != idx).all()
    assert losses.WrongPairSampler(labels, clips, "none").sample(idx) is None
    with pytest.raises(ValueError, match="no possible wrong partner"):
        losses.WrongPairSampler([0, 0, 1], [0, 0, 1], "same_class").sample([0])
    with pytest.raises(ValueError, match="at least two classes"):
        losses.WrongPairSampler([0, 0], mode="class")


def test_one_training_step_moves_both_networks():
    torch.manual_seed(0)
    g = models.CondGenerator(COND, z_dim=16, out_shape=(32, 32), width=16)
    d = models.CondDiscriminator(COND, width=16, cond="projection", sn=True, norm="none")
    og, od = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999)), torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    c, real = torch.randn(8, COND), torch.rand(8, 3, 32, 32) * 2 - 1
    before_g = [p.detach().clone() for p in g.parameters()]
    ld = losses.gan_cls_d_loss("hinge", d(real, c)["adv"], d(g(g.noise(8), c).detach(), c)["adv"], d(real, c.roll(1, 0))["adv"])
    od.zero_grad(); ld.backward(); od.step()
    lg = losses.g_loss("hinge", d(g(g.noise(8), c), c)["adv"])
    og.zero_grad(); lg.backward(); og.step()
    assert any(not torch.equal(a, b) for a, b in zip(before_g, g.parameters()))


def _is_sn(m):
    return torch.nn.utils.parametrize.is_parametrized(m, "weight")


def test_wan_ladder_rungs_build_the_intended_models():
    from s2i_lib.course.ladder import LADDER, ladder_rung
    from s2i_lib.train import GANConfig
    layers = lambda D: [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    built = {r: ladder_rung(r, COND, 5, image_size=32, width=8) for r in LADDER}
    for r, (G, D, cfg) in built.items():
        GANConfig(**cfg)                                  # every rung's settings are valid
        x = G(G.noise(2), torch.randn(2, COND))
        assert D(x, torch.randn(2, COND))["adv"].shape == (2,)
    # (b) WGAN-GP with the GAN-CLS discriminator: joined condition and wrong pairs
    G, D, cfg = built["b"]
    assert cfg["loss"] == "wgan-gp" and cfg["wrong"] == "class" and D.cond == "concat"
    # ... trained with Gulrajani et al.'s settings, not the course's fast optimiser
    assert (cfg["n_d"], cfg["lr_g"], cfg["lr_d"], tuple(cfg["betas"]), cfg["gp_weight"]) == (5, 1e-4, 1e-4, (0.0, 0.9), 10.0)
    assert "n_d" not in built["c"][2] and "lr_d" not in built["c"][2]     # (c)-(g): the profile's optimiser
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in D.modules())
    # (c) plain conditional GAN: no spectral norm anywhere
    assert not any(_is_sn(m) for m in layers(built["c"][1])) and built["c"][2]["loss"] == "bce"
    # (d) spectral norm on every conv and linear layer of D
    for r in "defg":
        assert all(_is_sn(m) for m in layers(built[r][1])), r
    assert built["d"][2]["loss"] == "bce" and built["e"][2]["loss"] == "hinge"
    # (f) projection term and no concatenation
    D = built["f"][1]
    assert D.cond == "projection" and not hasattr(D, "joint") and D.aux is None
    D.eval()
    x, c1, c2 = torch.randn(3, 3, 32, 32), torch.randn(3, COND), torch.randn(3, COND)
    o1, o2 = D(x, c1), D(x, c2)
    proj = ((D.embed(c1) - D.embed(c2)) * o1["h"]).sum(1)
    assert torch.allclose(o1["adv"] - o2["adv"], proj, atol=1e-5)     # the condition enters only through <Vc, h>
    # (g) an auxiliary head with a weight in the loss
    G, D, cfg = built["g"]
    assert D.aux is not None and D.aux.out_features == 5 and cfg["aux_weight"] > 0 and D.cond == "projection"
    with pytest.raises(ValueError, match="unknown rung"):
        ladder_rung("a", COND, 5)
    # what each step changes is written down, one entry for each rung; (e)-(g) change one thing
    from s2i_lib.course.ladder import LADDER_CHANGES
    assert set(LADDER_CHANGES) == set(LADDER) and all(len(LADDER_CHANGES[r]) == 1 for r in "efg")
