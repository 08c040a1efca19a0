"""The device plumbing of the course's trainings, checked without a GPU.

Every training of notebooks 05 and 06 (:mod:`s2i_lib.course.sound2scene`,
:mod:`s2i_lib.course.ladder`, :mod:`s2i_lib.course.stacked`) takes ``device="auto"``,
resolves it with ``pick_device`` and moves its networks there before training, and moves the
model it returns there when the store hands back a loaded one (which comes on the CPU).  Here
``pick_device`` answers ``"meta"`` and ``torch.nn.Module.to`` is spied: a move to ``"meta"``
is recorded and, so that the tiny runs can go on, leaves the network on the CPU (or, with
``moves.stop``, raises before anything trains).  The inference helpers are run on networks
that really are on the ``meta`` device: every input must reach them there, and bringing the
result back to the CPU is the one thing a meta tensor cannot do."""
import ast
import copy
import dataclasses
import pickle
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from s2i_lib import models, train
from s2i_lib.course import get_profile, ladder, sound2scene, stacked

ROOT = Path(__file__).resolve().parent.parent
META = torch.device("meta")


class _Stop(Exception):
    """Raised by the spy with ``moves.stop``: the network was moved, nothing has trained."""


def _device_arg(args, kwargs):
    d = kwargs.get("device", args[0] if args else None)
    return torch.device(d) if isinstance(d, (str, torch.device)) else None


@pytest.fixture
def moves(monkeypatch):
    """The class names of the networks moved to the run's device, in order."""
    log = types.SimpleNamespace(names=[], stop=False)
    real_to = torch.nn.Module.to

    def spy(self, *args, **kwargs):
        if _device_arg(args, kwargs) == META:
            log.names.append(type(self).__name__)
            if log.stop:
                raise _Stop(type(self).__name__)
            return self                      # recorded; stays on the CPU so the run goes on
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", spy)
    for mod in (sound2scene, ladder, stacked):
        monkeypatch.setattr(mod, "pick_device", lambda name="auto": "meta" if name == "auto" else name)
    return log


def _data(n=40, C=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % C
    return (torch.rand(n, 3, 16, 16, generator=g), torch.randn(n, 32, 44, generator=g), y,
            np.arange(n - 8), np.arange(n - 8, n))


def _tiny_s2s():
    return dataclasses.replace(get_profile("smoke").sound2scene, simclr_epochs=1, simclr_width=4, simclr_batch_size=16,
                               audio_epochs=1, audio_width=4, audio_batch_size=16, icgan_steps=1, icgan_width=8)


def _tiny_stack():
    return dataclasses.replace(get_profile("smoke").stacked, mm_epochs=1, mm_hidden=16, batch_size=8, gan1_steps=1,
                               gan2_steps=1, gan1_width=4, gan2_width=4)


def _tiny_gan():
    return dataclasses.replace(get_profile("smoke").gan, batch_size=8, ladder_width=8)


# ---------------------------------------------------------------- no default to the CPU

def _device_defaults(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            pos = a.posonlyargs + a.args
            pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults)) + \
                [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
            for arg, default in pairs:
                if arg.arg == "device":
                    yield node.name, node.lineno, ast.literal_eval(default) if isinstance(default, ast.Constant) else None


def test_no_course_function_defaults_to_the_cpu():
    files = sorted((ROOT / "s2i_lib" / "course").glob("*.py")) + sorted((ROOT / "s2i_lib" / "eval").glob("*.py"))
    found = [(p.name, name, line, d) for p in files for name, line, d in _device_defaults(p)]
    assert len(found) >= 20                  # the recipes, probes, sound2scene, ladder, stacked, runs, extractors
    bad = [f for f in found if f[3] != "auto"]
    assert not bad, f"device defaults other than 'auto' (file, function, line, default): {bad}"


# ---------------------------------------------------------------- trainings move their networks

def test_sound2scene_trainings_put_their_networks_on_the_run_device(tmp_path, moves):
    images, sounds, y, tr, te = _data()
    size, store = _tiny_s2s(), train.ModelStore(tmp_path)
    enc = sound2scene.simclr_encoder(store, {"d": 1}, images, tr, size, progress=False)
    assert not enc.loaded and moves.names == ["SimCLREncoder"] * 2        # before training, and the stored model
    V = sound2scene.unit_features(enc, images)
    moves.names.clear()
    aud = sound2scene.audio_encoder(store, {"d": 1}, sounds, V, tr, size, val_rows=te, progress=False)
    assert not aud.loaded and moves.names == ["AudioResNet18"] * 2
    moves.names.clear()
    gan = sound2scene.ic_gan(store, {"d": 1}, images, V, y, tr, size, _tiny_gan(), progress=False)
    assert not gan.loaded and moves.names == ["CondGenerator", "CondDiscriminator", "CondGenerator"]
    moves.names.clear()                     # loaded from the store: moved there as well
    assert sound2scene.simclr_encoder(store, {"d": 1}, images, tr, size, progress=False).loaded
    assert sound2scene.audio_encoder(store, {"d": 1}, sounds, V, tr, size, val_rows=te, progress=False).loaded
    assert sound2scene.ic_gan(store, {"d": 1}, images, V, y, tr, size, _tiny_gan(), progress=False).loaded
    # (the GAN functions hand G and D to the store's trainer already moved, so they move on a load too)
    assert moves.names == ["SimCLREncoder", "AudioResNet18", "CondGenerator", "CondDiscriminator", "CondGenerator"]


def test_ladder_and_stacked_trainings_put_their_networks_on_the_run_device(tmp_path, moves):
    images, _, y, tr, _ = _data()
    ss, store, C = _tiny_stack(), train.ModelStore(tmp_path), 4
    zi, zs = torch.randn(len(y), 16), torch.randn(len(y), 10)
    gs = _tiny_gan()
    d = ladder.direct_gan(store, "gan_x", {"d": 1}, images[tr], zs[tr], y[tr], np.arange(len(tr)), C, gs, 1, 0, 16)
    assert not d.loaded and moves.names == ["CondGenerator", "CondDiscriminator", "CondGenerator"]
    moves.names.clear()
    mm = stacked.cached_multimodal(store, {"d": 1}, zi, zs, y, tr, C, ss, ("l1", "output_ce"), 0, progress=False)
    assert not mm.loaded and moves.names == ["MultimodalLayers"] * 2
    moves.names.clear()
    g2 = stacked.gan2(store, {"d": 1}, zi[tr], images[tr], ss, 0, progress=False)
    g1 = stacked.gan1(store, {"d": 1}, zs[tr], zi[tr], ss, 0, progress=False)
    assert not g1.loaded and not g2.loaded
    assert moves.names == ["UNetGenerator", "PatchDiscriminator", "UNetGenerator"] * 2
    moves.names.clear()
    assert ladder.direct_gan(store, "gan_x", {"d": 1}, images[tr], zs[tr], y[tr], np.arange(len(tr)), C, gs, 1, 0,
                             16).loaded
    assert stacked.cached_multimodal(store, {"d": 1}, zi, zs, y, tr, C, ss, ("l1", "output_ce"), 0,
                                     progress=False).loaded
    assert stacked.gan2(store, {"d": 1}, zi[tr], images[tr], ss, 0, progress=False).loaded
    assert moves.names == ["CondGenerator", "CondDiscriminator", "CondGenerator", "MultimodalLayers",
                           "UNetGenerator", "PatchDiscriminator", "UNetGenerator"]


def test_a_model_trained_on_the_cpu_loads_on_the_run_device_under_the_same_key(tmp_path, moves):
    images, sounds, y, tr, te = _data()
    size, store = _tiny_s2s(), train.ModelStore(tmp_path)
    cpu = sound2scene.simclr_encoder(store, {"d": 1}, images, tr, size, progress=False, device="cpu")
    assert moves.names == []                 # an explicit device is used as given
    again = sound2scene.simclr_encoder(store, {"d": 1}, images, tr, size, progress=False)
    assert again.loaded and again.path == cpu.path and moves.names == ["SimCLREncoder"]
    for a, b in zip(cpu.model.state_dict().values(), again.model.state_dict().values()):
        assert torch.equal(a, b)
    assert torch.equal(sound2scene.unit_features(cpu, images), sound2scene.unit_features(again, images))


@pytest.mark.parametrize("which", ["simclr", "audio", "icgan", "direct", "multimodal", "gan1", "gan2"])
def test_the_paper_profile_s_networks_move_before_anything_trains(tmp_path, moves, which):
    """At the paper profile's sizes, the first move to the run's device comes before the
    first training step: the spy stops the call there and no checkpoint has been written."""
    p = get_profile("paper")
    images, sounds, y, tr, te = _data()
    V = torch.nn.functional.normalize(torch.randn(len(y), p.sound2scene.simclr_feature_dim), dim=1)
    store = train.ModelStore(tmp_path)
    moves.stop = True
    calls = {
        "simclr": lambda: sound2scene.simclr_encoder(store, {}, images, tr, p.sound2scene, progress=False),
        "audio": lambda: sound2scene.audio_encoder(store, {}, sounds, V, tr, p.sound2scene, progress=False),
        "icgan": lambda: sound2scene.ic_gan(store, {}, images, V, y, tr, p.sound2scene, p.gan, progress=False),
        "direct": lambda: ladder.direct_gan(store, "gan_x", {}, images[tr], V[tr], y[tr], np.arange(len(tr)), 4, p.gan,
                                            10, 0, 16),
        "multimodal": lambda: stacked.cached_multimodal(store, {}, V, V, y, tr, 4, p.stacked, ("l1",), 0, progress=False),
        "gan1": lambda: stacked.gan1(store, {}, V[tr], V[tr], p.stacked, 0, progress=False),
        "gan2": lambda: stacked.gan2(store, {}, V[tr], images[tr], p.stacked, 0, progress=False),
    }
    with pytest.raises(_Stop):
        calls[which]()
    assert len(moves.names) == 1
    assert not list(tmp_path.rglob("*.pt")), "something trained before the networks were moved"


# ---------------------------------------------------------------- inference on the networks' device

class _Inputs:
    """Records the device of every tensor a module's forward receives."""

    def __init__(self, *modules):
        self.devices = []
        for m in modules:
            m.register_forward_pre_hook(self.hook, with_kwargs=True)

    def hook(self, module, args, kwargs):
        self.devices += [t.device for t in list(args) + list(kwargs.values()) if isinstance(t, torch.Tensor)]


_BACK_TO_CPU = "Cannot copy out of meta tensor"


def test_the_stack_and_its_checks_run_on_the_networks_device_and_come_back_to_the_cpu():
    torch.manual_seed(0)
    mm = models.MultimodalLayers(16, 10, 4, hidden=16).to(META)
    G1 = models.UNetGenerator(1, 1, size=8, width=4, out="linear").to(META).eval()
    G2 = models.UNetGenerator(1, 3, size=16, width=4).to(META).eval()
    seen = _Inputs(mm, G1, G2)
    image, sound = torch.randn(6, 16), torch.randn(6, 10)
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        stacked.nearest_sound_same_class(mm, image, sound, np.arange(6) % 2)
    norm = stacked.Standardizer.fit(sound)
    S = stacked.StackedGANs(mm, G1, G2, norm, stacked.Standardizer(torch.zeros(16), torch.ones(16)), 16)
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        S.condition(sound)
    S = stacked.StackedGANs(None, G1, G2, norm, stacked.Standardizer.fit(sound), 16)
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        S.image_features(sound)
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        S.render(image)
    assert len(seen.devices) >= 4 and set(seen.devices) == {META}
    assert stacked.Standardizer.fit(sound)(sound.to(META)).device == META      # follows its input


class _Image(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 4)

    def forward(self, x):
        return {"features": self.lin(x.mean(dim=(2, 3)))}


class _Audio(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(1, 4)

    def forward(self, x):
        return {"embedding": self.lin(x.mean(dim=-1))}


def _rep(w):
    _rep.devices.append(w.device)
    return w.unsqueeze(1)


def _clip():
    rng = np.random.default_rng(0)
    return types.SimpleNamespace(sample_rate=800, frames=(rng.random((5, 12, 12, 3)) * 255).astype(np.uint8),
                                 frame_times=np.linspace(0.1, 0.9, 5),
                                 mono=lambda: rng.standard_normal(800).astype(np.float32))


class _Colour(torch.nn.Module):
    def forward(self, x):
        return {"features": x.mean(dim=(2, 3))}


def test_unit_features_and_the_correspondence_score_run_on_their_device():
    torch.manual_seed(0)
    enc = _Image().to(META)
    seen = _Inputs(enc)
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        sound2scene.unit_features(enc, torch.rand(5, 3, 8, 8), batch_size=2)
    assert seen.devices == [META]                                  # the first batch, stopped on its way back
    image, audio = _Image(), _Audio().train()
    _rep.devices = []
    cpu = sound2scene.CorrespondenceScore(image, audio, _rep, 8, key="test", device="cpu")
    expected = cpu(_clip())
    score = sound2scene.CorrespondenceScore(image, audio, _rep, 8, key="test", device="meta")
    assert score.key == cpu.key and score.device == "meta"
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):
        score(_clip())                                              # the image side stops on its way back
    assert all(p.device == META for m in score.encoders() for p in m.parameters())
    with pytest.raises(NotImplementedError, match=_BACK_TO_CPU):   # a weightless image side runs on the CPU:
        sound2scene.CorrespondenceScore(_Colour(), audio, _rep, 8, key="test", device="meta")(_clip())
    assert _rep.devices[-1] == META                                 # the spectrogram is made on the device too
    assert all(p.device.type == "cpu" for m in (image, audio, score.image_encoder, score.audio_encoder)
               for p in m.parameters())                             # the caller's encoders and the pickled copies
    assert audio.training                                           # the caller's mode is left alone
    again = pickle.loads(pickle.dumps(score))
    assert again._on_device is None and again.device == "meta"     # each process makes its own device copies
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(cpu))(_clip()), expected)
    assert np.array_equal(sound2scene.CorrespondenceScore(copy.deepcopy(image), audio, _rep, 8, key="test",
                                                          device="cpu")(_clip()), expected)


def test_the_auto_device_goes_through_pick_device(moves):
    score = sound2scene.CorrespondenceScore(_Image(), _Audio(), _rep, 8, key="test")
    assert score.device == "meta"
    assert moves.names == []                                        # the copies are made at the first clip
    score.encoders()
    assert moves.names == ["_Image", "_Audio"]
