"""Multimodal layers and their losses (anonymous 2019, Sec. 5.3), and the top-k overlap's
chance level: the pieces notebook 05 is built on."""
from itertools import combinations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from s2i_lib import losses, models
from s2i_lib.eval import topk_overlap, topk_overlap_chance


def _layers(**kw):
    torch.manual_seed(0)
    return models.MultimodalLayers(image_dim=12, sound_dim=8, num_classes=5, hidden=16, **kw)


def test_shapes_and_rebuild_from_config():
    m = _layers()
    x_i, x_s = torch.randn(4, 12), torch.randn(4, 8)
    for out in (m(image=x_i), m(sound=x_s), m(image=x_i, sound=x_s)):
        assert out["pre"].shape == out["post"].shape == (4, 16) and out["logits"].shape == (4, 5)
        assert (out["post"] >= 0).all()                                  # ReLU
    again = models.from_config(m.config)
    again.load_state_dict(m.state_dict())
    assert torch.equal(again(image=x_i)["pre"], m(image=x_i)["pre"])


def test_both_inputs_halve_the_sum_of_the_two_contributions():
    m = _layers()
    with torch.no_grad():
        m.bias.copy_(torch.randn(16))
    x_i, x_s = torch.randn(4, 12), torch.randn(4, 8)
    i, s, b = (m(image=x_i)["pre"], m(sound=x_s)["pre"], m(image=x_i, sound=x_s)["pre"])
    # each single-modality pre-activation carries the bias once; B's is the mean of the two
    assert torch.allclose(b, (i + s) / 2, atol=1e-6)
    # with the image part doubled up, B without halving would be twice I: halving gives I back
    same = m(image=x_i, sound=torch.zeros(4, 8))["pre"] - m.bias
    assert torch.allclose(2 * same, i - m.bias, atol=1e-6)


def test_bad_inputs_are_named():
    m = _layers()
    with pytest.raises(ValueError, match="image features of size 7"):
        m(image=torch.randn(2, 7))
    with pytest.raises(ValueError, match="needs image features, sound features or both"):
        m()
    with pytest.raises(ValueError, match="3 image rows but 2 sound rows"):
        m(image=torch.randn(3, 12), sound=torch.randn(2, 8))
    with pytest.raises(ValueError, match="activation"):
        _layers(activation="gelu")


def test_each_loss_term_on_constructed_inputs():
    h = torch.randn(6, 16)
    assert float(losses.hidden_l1(h, h)) == 0.0
    assert float(losses.hidden_l1(h, h + 0.5)) == pytest.approx(0.5)
    # the cross-entropy of a distribution with itself is its entropy, and anything else costs more
    p = F.softmax(h, dim=1)
    entropy = float(-(p * p.log()).sum(1).mean())
    assert float(losses.hidden_cross_entropy(h, h)) == pytest.approx(entropy, rel=1e-5)
    assert float(losses.hidden_cross_entropy(h, torch.randn(6, 16))) > entropy
    assert float(losses.hidden_cross_entropy(h, h + 3.0)) == pytest.approx(entropy, rel=1e-5)   # softmax ignores shifts
    # the output term is torch's cross-entropy, averaged over I, S and B
    m = _layers()
    x_i, x_s, y = torch.randn(6, 12), torch.randn(6, 8), torch.randint(0, 5, (6,))
    out = {"I": m(image=x_i), "S": m(sound=x_s), "B": m(image=x_i, sound=x_s)}
    parts = losses.multimodal_loss(out, y)
    want = sum(F.cross_entropy(out[k]["logits"], y) for k in "ISB") / 3
    assert torch.allclose(parts["output_ce"], want)
    assert torch.allclose(parts["total"], parts["l1"] + parts["hidden_ce"] + parts["output_ce"])
    only = losses.multimodal_loss(out, y, terms=["l1"], weights={"l1": 2.0})
    assert set(only) == {"l1", "total"} and torch.allclose(only["total"], 2 * only["l1"])
    with pytest.raises(ValueError, match="subset of"):
        losses.multimodal_loss(out, y, terms=["l2"])


def test_l1_alone_collapses_the_hidden_layer_and_the_output_term_prevents_it():
    # the paper's reason for the output cross-entropy: the L1 term is minimised by all-zero hidden vectors
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 5, (256,), generator=g)
    centres_i, centres_s = torch.randn(5, 12, generator=g), torch.randn(5, 8, generator=g)
    x_i = centres_i[y] + 0.3 * torch.randn(256, 12, generator=g)
    x_s = centres_s[y] + 0.3 * torch.randn(256, 8, generator=g)
    norms = {}
    for terms in (["l1"], ["l1", "output_ce"]):
        m = _layers()
        opt = torch.optim.Adam(m.parameters(), lr=1e-2)
        for _ in range(300):
            out = {"I": m(image=x_i), "S": m(sound=x_s), "B": m(image=x_i, sound=x_s)}
            loss = losses.multimodal_loss(out, y, terms=terms)["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            norms[tuple(terms)] = float(m(image=x_i)["post"].norm(dim=1).mean())
            acc = float((m(sound=x_s)["logits"].argmax(1) == y).float().mean())
    assert norms[("l1",)] < 0.05 * norms[("l1", "output_ce")]
    assert acc > 0.9                      # with the output term, sound alone names the class


def test_topk_overlap_chance_matches_enumeration():
    for c in (5, 9, 13):
        for k in (1, 2, 3):
            sets = list(combinations(range(c), k))
            share = np.mean([bool(set(a) & set(b)) for a in sets for b in sets])
            assert topk_overlap_chance(c, k) == pytest.approx(share)
    assert topk_overlap_chance(9, 5) == 1.0          # two 5-label lists of 9 classes always meet
    # random class scores reach the chance level
    rng = np.random.default_rng(0)
    a, b = rng.random((20000, 9)), rng.random((20000, 9))
    for k in (1, 2, 3):
        assert topk_overlap(a, b, k) == pytest.approx(topk_overlap_chance(9, k), abs=0.01)
    with pytest.raises(ValueError, match="1 <= k <= num_classes"):
        topk_overlap_chance(9, 10)
