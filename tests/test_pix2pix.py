"""The pix2pix pieces of the stacked GANs: vector <-> map, the U-Net and its skips, the
PatchGAN, and a pix2pix run through the engine (resumable, and it learns)."""
import pytest
import torch

from s2i_lib import models
from s2i_lib.models import PatchDiscriminator, UNetGenerator, map_side, map_to_vector, vector_to_map
from s2i_lib.train import Pix2PixConfig, train_pix2pix


def test_vector_map_round_trip():
    v = torch.randn(5, 128)
    assert map_side(128) == 12 and map_side(144) == 12 and map_side(145) == 13
    m = vector_to_map(v, 12)
    assert m.shape == (5, 1, 12, 12)
    assert torch.equal(map_to_vector(m, 128), v)                      # at the square's own size: exact
    up = vector_to_map(v, 32)
    assert up.shape == (5, 1, 32, 32)
    back = map_to_vector(up, 128)
    r = torch.corrcoef(torch.stack([back.flatten(), v.flatten()]))[0, 1]
    assert r > 0.6                                                    # upsampled and read back: close, not exact


@pytest.mark.parametrize("size,width", [(16, 8), (32, 16), (64, 16)])
def test_shapes_for_the_profile_sizes(size, width):
    for skips in (True, False):
        G = UNetGenerator(1, 3, size=size, width=width, skips=skips)
        D = PatchDiscriminator(1, 3, width=width)
        c = torch.randn(2, 1, size, size)
        x = G(c)
        assert x.shape == (2, 3, size, size) and x.abs().max() <= 1
        assert D(c, x)["adv"].shape[0] == 2
        again = models.from_config(G.config)
        again.load_state_dict(G.state_dict())
        G.eval(); again.eval()
        assert torch.equal(again(c), G(c))
    feat = UNetGenerator(1, 1, size=32, width=8, out="linear")
    assert feat(torch.randn(2, 1, 32, 32)).shape == (2, 1, 32, 32)
    with pytest.raises(ValueError, match="power of two"):
        UNetGenerator(size=24)
    with pytest.raises(ValueError, match="built for 32 x 32"):
        UNetGenerator(size=32)(torch.randn(1, 1, 16, 16))
    with pytest.raises(ValueError, match="differ in size"):
        PatchDiscriminator()(torch.randn(1, 1, 16, 16), torch.randn(1, 3, 32, 32))


def test_the_skips_carry_information_past_the_bottleneck():
    # cut the bottleneck (the deepest encoder stage outputs zeros): with skips the output still
    # follows the input, without them every input gives the same output
    torch.manual_seed(0)
    a, b = torch.randn(1, 1, 32, 32), torch.randn(1, 1, 32, 32)
    for skips, follows in ((True, True), (False, False)):
        G = UNetGenerator(1, 3, size=32, width=8, skips=skips).eval()
        hook = G.down[-1].register_forward_hook(lambda mod, inp, out: torch.zeros_like(out))
        with torch.no_grad():
            gap = float((G(a) - G(b)).abs().max())
        hook.remove()
        assert (gap > 1e-3) == follows, (skips, gap)


def _task(n=64, size=16):
    g = torch.Generator().manual_seed(0)
    cond = torch.randn(n, 1, size, size, generator=g)
    target = torch.tanh(torch.cat([cond, -cond, 0.5 * cond], dim=1))        # a per-pixel mapping a U-Net learns fast
    return cond, target


def _nets(seed=0, size=16):
    torch.manual_seed(seed)
    return UNetGenerator(1, 3, size=size, width=8, dropout_rate=0.0), PatchDiscriminator(1, 3, width=8, layers=2)


def test_a_pix2pix_run_learns_its_mapping_and_resumes_to_the_same_weights(tmp_path):
    cond, target = _task()
    cfg = Pix2PixConfig(steps=100, batch_size=16, lr_g=2e-3, lr_d=2e-4, log_every=10, checkpoint_every=10, seed=3)
    G, D = _nets()
    with torch.no_grad():
        before = float((G.eval()(cond) - target).abs().mean())
    log = train_pix2pix(G, D, cond, target, cfg, progress=False)
    with torch.no_grad():
        after = float((G(cond) - target).abs().mean())
    assert after < 0.5 * before, (before, after)
    assert {"loss_d", "loss_g_adv", "l1", "score_real", "score_fake"} <= set(log[-1])
    G2, D2 = _nets()
    train_pix2pix(G2, D2, cond, target, cfg, out_dir=tmp_path, progress=False, stop_after=45)
    G3, D3 = _nets(seed=9)                                   # other initial weights: the checkpoint wins
    train_pix2pix(G3, D3, cond, target, cfg, out_dir=tmp_path, progress=False)
    for (k, a), b in zip(G.state_dict().items(), G3.state_dict().values()):
        assert torch.equal(a, b), k


def test_the_discriminator_scale_scales_d_loss_only():
    cond, target = _task(n=16)
    logs = {}
    for scale in (1.0, 0.001):
        G, D = _nets()
        logs[scale] = train_pix2pix(G, D, cond, target, Pix2PixConfig(steps=1, batch_size=8, d_scale=scale, log_every=1),
                                    progress=False)[-1]
    assert logs[0.001]["loss_d"] == pytest.approx(0.001 * logs[1.0]["loss_d"], rel=1e-5)
    assert logs[0.001]["l1"] == pytest.approx(logs[1.0]["l1"])          # G's side is untouched by the scale
    with pytest.raises(ValueError, match="d_scale must be positive"):
        Pix2PixConfig(d_scale=0)


def test_under_adam_a_scale_on_d_loss_barely_changes_d():
    # why notebook 05 reads the paper's 0.001 with care: Adam normalises the gradient's size away
    cond, target = _task(n=16)
    weights = {}
    for scale in (1.0, 0.001):
        G, D = _nets()
        train_pix2pix(G, D, cond, target, Pix2PixConfig(steps=5, batch_size=8, d_scale=scale, log_every=5), progress=False)
        weights[scale] = torch.cat([p.detach().flatten() for p in D.parameters()])
    moved = (weights[1.0] - torch.cat([p.detach().flatten() for p in _nets()[1].parameters()])).abs().mean()
    assert (weights[1.0] - weights[0.001]).abs().mean() < 0.05 * moved

