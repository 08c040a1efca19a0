"""Audio representations: shapes, where a tone lands, silence, agreement between the torch
and librosa backends (with the tolerances stated in the module docstring, and proof that
they catch a wrong mel scale or CQT), batching, the waveform helpers and the errors."""
import json

import librosa
import numpy as np
import pytest
import torch
import torchaudio.functional as AF

from s2i_lib import audio

SR = 22050
N = 11025                      # half a second, the course's clip length
TORCH_KINDS = ("stft", "mel", "logmel", "cqt", "mfcc", "fbank")
BOTH_KINDS = ("stft", "mel", "logmel", "cqt", "mfcc")

# the tolerances stated in s2i_lib/audio/representations.py
REL_TOL = 1e-4                 # stft, mel, mfcc: ||torch - librosa|| / ||librosa||
LOGMEL_DB_TOL = 0.01           # logmel: max |difference| in dB over cells above -90 dB
CQT_REL_TOL, CQT_CORR_MIN, CQT_RATIO_TOL = 0.02, 0.9998, 0.01


def tone(freq=1000.0, n=N, sr=SR, amp=0.5):
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / sr)).astype(np.float32)


def realistic(n=N, seed=0):
    """A few partials with different levels plus a little white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n) / SR
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t + 1)
         + 0.1 * np.sin(2 * np.pi * 150 * t) + 0.05 * np.sin(2 * np.pi * 3100 * t)
         + 0.05 * rng.standard_normal(n))
    return x.astype(np.float32)


def expected_shape(rep, n):
    """The formulas from the module docstring, written out independently."""
    frames = 1 + n // rep.hop_length
    return {"waveform": (1, n), "stft": (rep.n_fft // 2 + 1, frames), "mel": (rep.n_mels, frames),
            "logmel": (rep.n_mels, frames), "mfcc": (rep.n_mfcc, frames), "cqt": (rep.cqt_bins, frames),
            "fbank": (rep.n_mels, 1 + (n - int(0.025 * rep.sample_rate)) // int(0.010 * rep.sample_rate))}[rep.kind]


def rel_err(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def cqt_agreement(a, b):
    strong = b > 0.1 * b.max()
    return rel_err(a, b), float(np.corrcoef(a.ravel(), b.ravel())[0, 1]), float(np.median(a[strong] / b[strong]))


# ---------------------------------------------------------------------------- shapes
@pytest.mark.filterwarnings("ignore:n_fft=.*too large for input signal")   # librosa, lowest CQT octave
@pytest.mark.parametrize("backend", audio.BACKENDS)
@pytest.mark.parametrize("kind", audio.KINDS)
@pytest.mark.parametrize("n", [N, 5000])
def test_output_shape_matches_formula(kind, backend, n):
    if kind == "fbank" and backend == "librosa":
        pytest.skip("fbank is torch-only (tested in test_bad_input)")
    rep = audio.representation(kind, backend=backend)
    assert rep.output_shape(n) == expected_shape(rep, n)
    x = realistic(n)
    single = rep(x)
    assert isinstance(single, torch.Tensor) and single.dtype == torch.float32
    assert tuple(single.shape) == rep.output_shape(n)
    batch = rep(np.stack([x, 0.5 * x, x[::-1]]))
    assert torch.allclose(rep(x[::-1]), batch[2], atol=1e-4, rtol=1e-4)          # negative strides are fine
    assert tuple(batch.shape) == (3, *rep.output_shape(n))
    assert torch.isfinite(batch).all()


def test_presets():
    chen = audio.representation("chen2017")
    assert (chen.kind, chen.sample_rate, chen.n_fft, chen.hop_length, chen.n_mels) == ("logmel", 44100, 2048, 512, 128)
    assert chen.label == "LMS" and audio.representation("mel").label == "MS"
    assert audio.representation("soundnet").kind == "waveform" and audio.representation("soundnet").sample_rate == 22050
    assert [audio.representation(f"wan2019_{k}").kind for k in ("spectrogram", "fbank", "mfcc")] == ["stft", "fbank", "mfcc"]
    for kind in audio.KINDS:
        rep = audio.representation(kind)
        assert rep.kind == kind and rep.sample_rate == 22050 and rep.axis_label
    small = audio.representation("chen2017", n_mels=64)
    assert small.n_mels == 64 and small.sample_rate == 44100 and chen.n_mels == 128
    d = chen.as_dict()
    assert d["kind"] == "logmel" and d != small.as_dict() and json.loads(json.dumps(d)) == d
    assert audio.AudioRep(**d) == chen


def test_frequencies_match_librosa():
    mel = audio.representation("mel", fmin=30.0, fmax=8000.0)
    np.testing.assert_allclose(mel.frequencies(), librosa.mel_frequencies(mel.n_mels + 2, fmin=30.0, fmax=8000.0)[1:-1], rtol=1e-9)
    cqt = audio.representation("cqt")
    np.testing.assert_allclose(cqt.frequencies(), librosa.cqt_frequencies(72, fmin=librosa.note_to_hz("C2")), rtol=1e-9)
    stft = audio.representation("stft")
    np.testing.assert_allclose(stft.frequencies(), librosa.fft_frequencies(sr=SR, n_fft=stft.n_fft))
    assert audio.representation("mfcc").frequencies() is None


# ---------------------------------------------------------------------------- a tone and silence
@pytest.mark.parametrize("backend", audio.BACKENDS)
def test_tone_lands_in_its_bin(backend):
    x = tone(1000.0)
    rep = audio.representation("stft", backend=backend)
    mid = 1 + N // rep.hop_length // 2               # a frame away from the edges
    stft = rep(x).numpy()
    assert stft[:, mid].argmax() == round(1000 * rep.n_fft / SR)
    mel_centres = librosa.mel_frequencies(128 + 2, fmin=0.0, fmax=SR / 2)[1:-1]
    for kind in ("mel", "logmel"):
        m = audio.representation(kind, backend=backend)(x).numpy()
        assert m[:, mid].argmax() == np.abs(mel_centres - 1000).argmin(), kind
    cqt = audio.representation("cqt", backend=backend)(x).numpy()
    assert cqt[:, mid].argmax() == round(12 * np.log2(1000 / librosa.note_to_hz("C2")))
    if backend == "torch":
        fb = audio.representation("fbank")(x).numpy()
        kaldi_mel = lambda f: 1127 * np.log1p(f / 700)
        centres = 700 * np.expm1(np.linspace(0, kaldi_mel(SR / 2), 130)[1:-1] / 1127)
        assert fb[:, fb.shape[1] // 2].argmax() == np.abs(centres - 1000).argmin()


@pytest.mark.parametrize("backend", audio.BACKENDS)
def test_mfcc_of_tone_and_noise_differ(backend):
    """A tone's log-mel spectrum is one sharp peak, white noise's is smooth: the tone puts
    far more energy into the higher cepstral coefficients (c1 and up)."""
    rep = audio.representation("mfcc", backend=backend)
    noise = np.random.default_rng(1).standard_normal(N).astype(np.float32)
    noise *= np.sqrt(np.mean(tone() ** 2) / np.mean(noise ** 2))      # same power as the tone
    ct, cn = rep(tone()).numpy(), rep(noise).numpy()
    assert np.isfinite(ct).all() and np.isfinite(cn).all()
    assert np.sum(ct[1:] ** 2) > 3 * np.sum(cn[1:] ** 2)


@pytest.mark.parametrize("backend", audio.BACKENDS)
def test_silence(backend):
    z = np.zeros(N, np.float32)
    lms = audio.representation("logmel", backend=backend)(z).numpy()
    np.testing.assert_allclose(lms, -100.0, atol=1e-4)
    for kind in audio.KINDS:
        if kind == "fbank" and backend == "librosa":
            continue
        out = audio.representation(kind, backend=backend)(z)
        assert torch.isfinite(out).all(), kind
    assert (audio.representation("logmel")(z) == -100.0).all()     # exactly the floor with torch


def test_top_db_clips_below_the_peak():
    x = tone(1000.0)
    clipped = audio.representation("logmel", top_db=80.0)(x)
    plain = audio.representation("logmel")(x)
    assert plain.min() < plain.max() - 80 and abs(float(clipped.min() - (plain.max() - 80))) < 1e-3
    ref = audio.representation("logmel", top_db=80.0, backend="librosa")(x)
    assert float((clipped - ref).abs().max()) < LOGMEL_DB_TOL


# ---------------------------------------------------------------------------- backend agreement
@pytest.mark.parametrize("n", [N, 2 * SR])
def test_backends_agree(n):
    x = realistic(n)
    got = {k: audio.representation(k)(x).double().numpy() for k in BOTH_KINDS}
    ref = {k: audio.representation(k, backend="librosa")(x).double().numpy() for k in BOTH_KINDS}
    for kind in ("stft", "mel", "mfcc"):
        assert rel_err(got[kind], ref[kind]) < REL_TOL, kind
    loud = ref["logmel"] > -90
    assert loud.mean() > 0.5 and np.abs(got["logmel"] - ref["logmel"])[loud].max() < LOGMEL_DB_TOL
    rel, corr, ratio = cqt_agreement(got["cqt"], ref["cqt"])
    assert rel < CQT_REL_TOL and corr > CQT_CORR_MIN and abs(ratio - 1) < CQT_RATIO_TOL, (rel, corr, ratio)


@pytest.mark.parametrize("norm,scale", [("slaney", "htk"), (None, "slaney")])
def test_tolerances_catch_a_wrong_mel_filterbank(monkeypatch, norm, scale):
    wrong = lambda rep, device: AF.melscale_fbanks(rep.n_fft // 2 + 1, 0.0, rep.sample_rate / 2, rep.n_mels,
                                                   rep.sample_rate, norm=norm, mel_scale=scale).to(device)
    monkeypatch.setattr(audio.representations, "_mel_filterbank", wrong)
    x = realistic()
    got = audio.representation("logmel")(x).numpy()
    ref = audio.representation("logmel", backend="librosa")(x).numpy()
    assert np.abs(got - ref)[ref > -90].max() > 100 * LOGMEL_DB_TOL


def test_tolerances_catch_a_wrong_cqt(monkeypatch):
    """The textbook Q = 1/(2**(1/b) - 1) instead of librosa's gives filters 3 % longer."""
    x = realistic()
    ref = audio.representation("cqt", backend="librosa")(x).numpy()
    monkeypatch.setattr(audio.representations, "_cqt_q", lambda b: 1 / (2 ** (1 / b) - 1))
    audio.representations._cqt_plan.cache_clear()
    try:
        rel, corr, ratio = cqt_agreement(audio.representation("cqt")(x).numpy(), ref)
    finally:
        audio.representations._cqt_plan.cache_clear()
    assert rel > CQT_REL_TOL and corr < CQT_CORR_MIN and abs(ratio - 1) > CQT_RATIO_TOL, (rel, corr, ratio)


def test_cqt_scale_matches_librosa_for_a_pure_tone():
    """A sine of amplitude A at a bin's centre gives about A * sqrt(length) / 2 in that bin."""
    rep = audio.representation("cqt")
    f = rep.frequencies()[40]
    x = tone(f, amp=1.0)
    got = float(rep(x)[40, 5:-5].mean())
    length = rep.sample_rate / f * ((2 ** (2 / 12) + 1) / (2 ** (2 / 12) - 1))
    assert abs(got / (np.sqrt(length) / 2) - 1) < 0.02
    ref = float(audio.representation("cqt", backend="librosa")(x)[40, 5:-5].mean())
    assert abs(got / ref - 1) < CQT_RATIO_TOL


# ---------------------------------------------------------------------------- batching and devices
@pytest.mark.parametrize("kind", TORCH_KINDS)
def test_batch_equals_items(kind, monkeypatch):
    monkeypatch.setattr(audio.representations, "_CHUNK_SAMPLES", 2 * N)        # force several chunks
    xs = np.stack([realistic(seed=s) for s in range(5)])
    rep = audio.representation(kind)
    batch = rep(torch.from_numpy(xs))
    assert batch.shape[0] == 5
    for i in range(5):
        item = rep(xs[i])
        scale = float(item.abs().max())
        assert float((batch[i] - item).abs().max()) <= 1e-5 * scale, i
    assert float((batch[0] - batch[1]).abs().max()) > 1e-3 * float(batch.abs().max())   # items really differ


def test_numpy_and_torch_inputs_give_the_same_float32():
    x = realistic()
    rep = audio.representation("logmel")
    a, b, c = rep(x), rep(torch.from_numpy(x.astype(np.float64))), rep(x.astype(np.float64))
    assert a.dtype == b.dtype == c.dtype == torch.float32
    assert torch.allclose(a, b, atol=1e-4) and torch.allclose(a, c, atol=1e-4)
    w = audio.representation("waveform")(torch.from_numpy(x))
    assert w.shape == (1, N) and torch.equal(w[0], torch.from_numpy(x))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_input_stays_on_gpu():
    x = torch.from_numpy(np.stack([realistic(), tone()])).cuda()
    for kind in ("logmel", "cqt"):
        out = audio.representation(kind)(x)
        assert out.is_cuda
        assert torch.allclose(out.cpu(), audio.representation(kind)(x.cpu()), atol=1e-3, rtol=1e-3)


def test_resample_keeps_the_tone():
    x = tone(1000.0, n=44100, sr=44100)
    y = audio.resample(x, 44100, 22050)
    assert isinstance(y, np.ndarray) and y.shape == (22050,)
    assert abs(np.abs(np.fft.rfft(y)).argmax() - 1000) <= 1            # 1 Hz bins over one second
    yt = audio.resample(torch.from_numpy(x), 44100, 22050)
    assert isinstance(yt, torch.Tensor) and np.allclose(yt.numpy(), y, atol=1e-6)


# ---------------------------------------------------------------------------- waveform helpers
def test_gain():
    x = realistic()
    np.testing.assert_allclose(audio.gain_db(x, 6.0206), 2 * x, rtol=1e-4)
    np.testing.assert_allclose(audio.gain_db(x, -20.0), 0.1 * x, rtol=1e-5)
    np.testing.assert_allclose(audio.gain(x, 0.25), 0.25 * x)
    t = audio.gain_db(torch.from_numpy(x), 6.0206)
    assert isinstance(t, torch.Tensor) and torch.allclose(t, 2 * torch.from_numpy(x), rtol=1e-4)
    assert abs(audio.amplitude_to_db(2.0) - 6.0206) < 1e-3 and abs(audio.db_to_amplitude(-6.0206) - 0.5) < 1e-4
    assert audio.amplitude_to_db(0.0) == -100.0


def test_mix():
    a, b = tone(440.0, n=1000), tone(880.0, n=600)
    np.testing.assert_array_equal(audio.mix(a, b, 1.0), a)
    m = audio.mix(a, b, 0.25)
    assert m.shape == (1000,)
    np.testing.assert_allclose(m[:600], 0.25 * a[:600] + 0.75 * b, atol=1e-7)
    np.testing.assert_allclose(m[600:], 0.25 * a[600:], atol=1e-7)                  # b padded with zeros
    np.testing.assert_allclose(audio.mix(b, a, 0.0), a, atol=1e-7)                  # b is shorter: padded
    mt = audio.mix(torch.from_numpy(a), b, 0.25)
    assert isinstance(mt, torch.Tensor) and np.allclose(mt.numpy(), m, atol=1e-7)
    with pytest.raises(ValueError, match="ratio"):
        audio.mix(a, b, 1.5)


def test_time_shift():
    x = np.arange(1, 11, dtype=np.float32)                                          # 10 samples at 10 Hz
    np.testing.assert_array_equal(audio.time_shift(x, 0.3, 10), [0, 0, 0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(audio.time_shift(x, -0.3, 10), [4, 5, 6, 7, 8, 9, 10, 0, 0, 0])
    np.testing.assert_array_equal(audio.time_shift(x, 0.3, 10, mode="roll"), [8, 9, 10, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(audio.time_shift(x, 2.0, 10), np.zeros(10))
    y = realistic()
    back = audio.time_shift(audio.time_shift(y, 0.1234, SR, mode="roll"), -0.1234, SR, mode="roll")
    np.testing.assert_array_equal(back, y)
    t = audio.time_shift(torch.from_numpy(x), 0.3, 10)
    assert isinstance(t, torch.Tensor) and t.tolist() == [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    with pytest.raises(ValueError, match="mode"):
        audio.time_shift(x, 0.1, 10, mode="wrap")


# ---------------------------------------------------------------------------- errors
def test_bad_input():
    rep = audio.representation("logmel")
    with pytest.raises(ValueError, match=r"shape \(N,\) or a batch \(B, N\).*\(2, 3, 100\)"):
        rep(np.zeros((2, 3, 100), np.float32))
    with pytest.raises(ValueError, match="empty waveform"):
        rep(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="empty waveform"):
        rep.output_shape(0)
    with pytest.raises(ValueError, match="too short.*n_fft"):
        rep(np.zeros(500, np.float32))
    with pytest.raises(ValueError, match="NaN or infinite"):
        rep(np.array([0.0, np.nan] * 2000, np.float32))
    with pytest.raises(ValueError, match="unknown representation kind 'spectrum'"):
        audio.AudioRep("spectrum")
    with pytest.raises(ValueError, match="unknown representation or preset 'chen2018'"):
        audio.representation("chen2018")
    with pytest.raises(ValueError, match="unknown AudioRep field.*n_mel\\b"):
        audio.representation("mel", n_mel=64)
    with pytest.raises(ValueError, match="fbank.*backend='torch'"):
        audio.representation("fbank", backend="librosa")
    with pytest.raises(ValueError, match="unknown backend 'numpy'"):
        audio.representation("mel", backend="numpy")
    with pytest.raises(ValueError, match="Nyquist"):
        audio.representation("cqt", cqt_bins=120)
    with pytest.raises(ValueError, match="n_mfcc=40 cannot exceed n_mels=20"):
        audio.representation("mfcc", n_mfcc=40, n_mels=20)
    with pytest.raises(ValueError, match="shorter than one 25 ms fbank window"):
        audio.representation("fbank")(np.zeros(300, np.float32))


def test_logmel_inversion_gives_back_a_similar_sound():
    """Griffin-Lim on an LMS: the re-analysed LMS of the inverted sound is close to the
    original (phase and detail between mel bands are not recovered, the spectrum is)."""
    rep = audio.representation("logmel")
    t = np.arange(int(0.5 * SR)) / SR
    x = (0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1320 * t)).astype(np.float32)
    lms = rep(x)
    y = audio.logmel_to_waveform(lms, rep, n_iter=32)
    assert y.dtype == np.float32 and abs(len(y) - len(x)) <= rep.hop_length
    back = rep(y[: len(x)] if len(y) >= len(x) else np.pad(y, (0, len(x) - len(y))))
    strong = lms > lms.max() - 40
    assert float((back - lms)[strong].abs().median()) < 3.0        # dB
    peak = lambda v: int(v[:, v.shape[1] // 2].argmax())
    assert peak(back) == peak(lms)
    with pytest.raises(ValueError, match="logmel"):
        audio.logmel_to_waveform(lms, audio.representation("mel"))
    with pytest.raises(ValueError, match="expected a"):
        audio.logmel_to_waveform(lms[:10], rep)


def test_package_layout_and_re_exports():
    """The short names notebooks use are the objects of the three modules, and each module
    says which notebook teaches it."""
    from s2i_lib.audio import inversion, ops, representations
    assert audio.representation is representations.representation and audio.AudioRep is representations.AudioRep
    for name in ("resample", "gain", "gain_db", "mix", "time_shift", "db_to_amplitude", "amplitude_to_db"):
        assert getattr(audio, name) is getattr(ops, name), name
    assert audio.logmel_to_waveform is inversion.logmel_to_waveform
    assert "notebook 02" in representations.__doc__ and "notebook 02" in ops.__doc__
    assert "notebook 03" in inversion.__doc__


@pytest.mark.parametrize("op", ["gain", "gain_db", "mix", "mix_numpy", "shift", "roll", "to_db", "from_db", "resample"])
def test_waveform_ops_stay_on_the_input_device(op):
    """On the ``meta`` device (no data, every op must run where the tensor is): a CPU-only
    step such as ``.numpy()`` on the way would fail here."""
    x = torch.empty(2, 1000, device="meta")
    y = {"gain": lambda: audio.gain(x, 2.0), "gain_db": lambda: audio.gain_db(x, -6.0),
         "mix": lambda: audio.mix(x, torch.empty(2, 800, device="meta"), 0.3),
         "mix_numpy": lambda: audio.mix(x, np.zeros((2, 800), np.float32), 0.3),
         "shift": lambda: audio.time_shift(x, 0.01, 22050), "roll": lambda: audio.time_shift(x, -0.01, 22050, "roll"),
         "to_db": lambda: audio.amplitude_to_db(x), "from_db": lambda: audio.db_to_amplitude(x),
         "resample": lambda: audio.resample(x, 44100, 22050)}[op]()
    assert y.device.type == "meta"
    assert y.shape == ((2, 500) if op == "resample" else (2, 1000))
