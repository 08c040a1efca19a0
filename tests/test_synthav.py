"""Tests of the SynthAV generator: determinism, metadata that agrees with the content
(loudness, size, silence, off-screen, pose), real files on disk in every layout, classes
that are learnable but not trivially so, the registry of class definitions, and the
corpus cache (keyed by everything that determines a corpus)."""
from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from s2i_lib import cache
from s2i_lib import synthav as sv
from s2i_lib.course.profiles import INSTRUMENTS, SCENE_CLASSES, SynthAVSize, get_profile
from s2i_lib.data import media as avio
from s2i_lib.data.building import dbfs
from s2i_lib.synthav import registry, scenes_home, scenes_outdoors
from s2i_lib.synthav.canvas import Canvas
from s2i_lib.synthav.defects import build_timeline
from s2i_lib.synthav.environments import plan_environment
from s2i_lib.synthav.kinds import ObjectPlan, Placement, PlayerPlan
from s2i_lib.synthav.players import draw_player, instrument_sound, plan_player
from s2i_lib.synthav.plans import plan_clip
from s2i_lib.synthav.render import render_audio

TINY = SynthAVSize(clips_per_class=4, clip_seconds=2.0, fps=4, frame_size=32)
CLEAN = replace(TINY, defect_rate=0.0)
SR = TINY.sample_rate


def spearman(a, b) -> float:
    ra = np.argsort(np.argsort(np.asarray(a, float)))
    rb = np.argsort(np.argsort(np.asarray(b, float)))
    return float(np.corrcoef(ra, rb)[0, 1])


def _find(suite, label, size, want, limit=60, seed=0):
    """Indices of clips whose metadata satisfies ``want``."""
    return [i for i in range(limit) if want(sv.clip_metadata(suite, label, i, size, seed))]


# ----------------------------------------------------------------------------- determinism
def test_generate_clip_shapes_and_types():
    frames, audio, meta = sv.generate_clip("scenes", "dog", 0, TINY, seed=0)
    assert frames.dtype == np.uint8 and frames.shape == (8, 32, 32, 3)
    assert audio.dtype == np.float32 and audio.shape == (2 * SR,)
    assert np.all(np.abs(audio) <= 1.0)
    json.dumps(meta)  # JSON-serialisable
    for key in ("clip_id", "suite", "label", "file", "video_id", "duration", "fps", "sample_rate", "frame_size",
                "seed", "distance", "loudness_gain", "object_size_px", "sources", "notes", "defects", "timeline"):
        assert key in meta, key
    assert meta["clip_id"] == "scenes_dog_0000" == meta["video_id"]
    assert meta["file"] == "videos/dog/scenes_dog_0000.mp4"
    assert meta["sources"][0] == "dog"


def test_same_seed_same_clip_other_seed_other_clip():
    a = sv.generate_clip("scenes", "guitar", 2, TINY, seed=3)
    b = sv.generate_clip("scenes", "guitar", 2, TINY, seed=3)
    c = sv.generate_clip("scenes", "guitar", 2, TINY, seed=4)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[1], c[1])
    d = sv.generate_clip("scenes", "guitar", 3, TINY, seed=3)   # another index: another clip
    assert not np.array_equal(a[1], d[1])


def test_clip_does_not_depend_on_corpus_size():
    small, big = replace(TINY, clips_per_class=2), replace(TINY, clips_per_class=500)
    for suite, label in (("scenes", "plane"), ("performances", "cello")):
        fa, aa, ma = sv.generate_clip(suite, label, 1, small, seed=0)
        fb, ab, mb = sv.generate_clip(suite, label, 1, big, seed=0)
        assert np.array_equal(fa, fb) and np.array_equal(aa, ab) and ma == mb


# ----------------------------------------------------------------------------- metadata
def _all_metas(size=TINY, n=12):
    for suite in sv.SUITES:
        for label in sv.suite_classes(suite):
            for i in range(n):
                yield sv.clip_metadata(suite, label, i, size, 0)


def test_timeline_covers_the_clip_and_matches_the_defects():
    metas = list(_all_metas())
    for m in metas:
        tl = m["timeline"]
        assert tl[0]["start"] == 0.0 and tl[-1]["end"] == pytest.approx(m["duration"])
        for a, b in zip(tl[:-1], tl[1:]):
            assert a["end"] == b["start"]
        for seg in tl:
            assert seg["source_visible"] == (seg["shown_label"] == m["label"])
        for d in m["defects"]:
            mid = 0.5 * (d["start"] + d["end"])
            truth = sv.truth_at(m, mid)
            if d["type"] == "silent":
                assert not truth["audible"]
            elif d["type"] == "offscreen":
                assert truth["shown_label"] == sv.NONE_LABEL and not truth["source_visible"]
            elif d["type"] == "wrong_class":
                assert truth["shown_label"] == d["shown_label"] != m["label"]
            else:
                assert d["type"] == "noise" and -10 <= d["snr_db"] <= 10
    share = np.mean([bool(m["defects"]) for m in metas])
    assert 0.25 <= share <= 0.45, share              # defect_rate is 0.35
    scenes = [m for m in metas if m["suite"] == "scenes"]
    multi = [m for m in scenes if m["multi_source"]]
    assert 0.03 <= len(multi) / len(scenes) <= 0.15
    for m in multi:
        assert len(m["sources"]) == 2 and m["sources"][0] == m["label"] and not m["defects"]
    assert {d["type"] for m in metas for d in m["defects"]} == set(sv.DEFECT_TYPES)


def test_truth_at_and_pair_truth():
    m = {"label": "dog", "duration": 4.0, "timeline": build_timeline(4.0, "dog", [
        {"type": "silent", "start": 1.0, "end": 2.0},
        {"type": "wrong_class", "start": 2.5, "end": 4.0, "shown_label": "piano"}])}
    assert sv.truth_at(m, 0.5) == {"audible": True, "source_visible": True, "shown_label": "dog"}
    assert sv.truth_at(m, 1.0)["audible"] is False and sv.truth_at(m, 2.0)["audible"] is True
    assert sv.truth_at(m, 3.0) == {"audible": True, "source_visible": False, "shown_label": "piano"}
    assert sv.truth_at(m, 4.0)["shown_label"] == "piano"
    assert sv.pair_truth(m, 0.0, 0.5, 0.0) == {"audible_fraction": 1.0, "frame_shows_source": True, "good": True}
    p = sv.pair_truth(m, 0.75, 1.25, 0.75)
    assert p["audible_fraction"] == pytest.approx(0.5) and p["good"]
    assert not sv.pair_truth(m, 1.0, 1.5, 1.0)["good"]        # silent
    assert not sv.pair_truth(m, 2.5, 3.0, 2.5)["good"]        # picture of another class


# ----------------------------------------------------------------------------- content vs metadata
@pytest.mark.parametrize("suite,label", [("scenes", "dog"), ("scenes", "plane"), ("performances", "cello")])
def test_louder_means_larger(suite, label):
    idx = _find(suite, label, CLEAN, lambda m: not m["multi_source"], limit=14)[:10]
    dist, level, area = [], [], []
    for i in idx:
        frames, audio, meta = sv.generate_clip(suite, label, i, CLEAN, seed=0)
        masks = sv.object_masks(suite, label, i, CLEAN, seed=0)
        dist.append(meta["distance"])
        level.append(dbfs(audio))
        area.append(masks.mean())
    assert spearman(dist, level) < -0.9
    assert spearman(dist, area) < -0.8
    assert spearman(level, area) > 0.8


def test_silent_stretches_are_quiet_and_sounding_chunks_are_loud():
    checked_silent = checked_loud = 0
    for suite, labels in (("scenes", SCENE_CLASSES), ("performances", INSTRUMENTS[::3])):
        for label in labels:
            for i in _find(suite, label, TINY, lambda m: any(d["type"] == "silent" for d in m["defects"]), 30)[:2] + [0]:
                _, audio, meta = sv.generate_clip(suite, label, i, TINY, seed=0)
                for d in meta["defects"]:
                    if d["type"] == "silent":
                        assert dbfs(audio[int(d["start"] * SR):int(d["end"] * SR)]) <= -45
                        checked_silent += 1
                for k in range(int(meta["duration"] / 0.5)):
                    a, b = 0.5 * k, 0.5 * (k + 1)
                    noisy = any(d["type"] == "noise" and d["start"] < b and d["end"] > a for d in meta["defects"])
                    if sv.pair_truth(meta, a, b, a)["audible_fraction"] == 1.0 and not noisy:
                        assert dbfs(audio[int(a * SR):int(b * SR)]) > -42, (meta["clip_id"], a)
                        checked_loud += 1
    assert checked_silent >= 15 and checked_loud >= 60


def test_noise_defect_has_the_recorded_snr():
    found = 0
    for label in ("waterfall", "piano", "soccer"):
        for i in _find("scenes", label, TINY, lambda m: any(d["type"] == "noise" for d in m["defects"]), 40)[:2]:
            plan = plan_clip("scenes", label, i, TINY, 0)
            noisy = render_audio(plan).astype(np.float64)
            plan = plan_clip("scenes", label, i, TINY, 0)
            plan.meta = dict(plan.meta, defects=[d for d in plan.meta["defects"] if d["type"] != "noise"])
            clean = render_audio(plan).astype(np.float64)
            d = next(d for d in sv.clip_metadata("scenes", label, i, TINY, 0)["defects"] if d["type"] == "noise")
            a, b = int((d["start"] + 0.05) * SR), int((d["end"] - 0.05) * SR)
            s_pow = np.mean(clean ** 2)                       # the clip's own source, whole clip
            n_pow = np.mean((noisy[a:b] - clean[a:b]) ** 2)
            assert 10 * math.log10(s_pow / n_pow) == pytest.approx(d["snr_db"], abs=1.5)
            found += 1
    assert found >= 4


def test_offscreen_and_wrong_class_frames_do_not_show_the_source():
    n_off = n_wrong = 0
    for suite, label in (("scenes", "speedboat"), ("scenes", "drum"), ("scenes", "plane"), ("performances", "violin")):
        idx = _find(suite, label, TINY, lambda m: any(d["type"] in ("offscreen", "wrong_class") for d in m["defects"]), 40)
        for i in idx[:3]:
            frames, _, meta = sv.generate_clip(suite, label, i, TINY, seed=0)
            masks = sv.object_masks(suite, label, i, TINY, seed=0)
            truths = [sv.truth_at(meta, k / meta["fps"]) for k in range(len(frames))]
            vis = [k for k, t in enumerate(truths) if t["source_visible"]]
            away = [k for k, t in enumerate(truths) if not t["source_visible"]]
            assert away, meta["clip_id"]
            for k in vis:
                assert masks[k].any()
            for k in away:
                assert not masks[k].any()
            if vis:
                f = frames.astype(np.float32)
                within = np.mean([np.abs(f[a] - f[b]).mean() for a, b in zip(vis[:-1], vis[1:])] or [0.0])
                across = np.mean([np.abs(f[k] - f[vis]).mean() for k in away])
                assert across > max(20.0, 3 * within), (meta["clip_id"], across, within)
            n_off += any(t["shown_label"] == sv.NONE_LABEL for t in truths)
            n_wrong += any(t["shown_label"] not in (sv.NONE_LABEL, label) for t in truths)
    assert n_off >= 2 and n_wrong >= 2


def test_pose_is_monotone_in_pitch_and_the_picture_follows_it():
    for inst in INSTRUMENTS:
        lo, hi = sv.INSTRUMENT_SPECS[inst]["range"]
        poses = [sv.pose_of_pitch(inst, m) for m in range(lo, hi + 1)]
        assert poses[0] == 0.0 and poses[-1] == 1.0 and np.all(np.diff(poses) > 0)
        notes = [n for i in range(3) for n in sv.clip_metadata("performances", inst, i, TINY, 0)["notes"]]
        notes.sort(key=lambda n: n["pitch_hz"])
        assert np.all(np.diff([n["pose"] for n in notes]) >= 0)
        for n in notes:
            assert 0.45 <= n["end"] - n["start"] <= 1.0 + 0.3 + 1e-9 or n["end"] == 2.0
    # the picture: trombone slide out for low notes; trumpet bell raised for high notes
    size = SynthAVSize(clips_per_class=1, clip_seconds=3.0, fps=4, frame_size=48, defect_rate=0.0)
    for inst, sign in (("trombone", -1), ("trumpet", 1)):
        P, E = [], []
        for i in range(6):
            meta = sv.clip_metadata("performances", inst, i, size, 0)
            masks = sv.object_masks("performances", inst, i, size, 0)
            for k in range(len(masks)):
                note = next(n for n in meta["notes"] if n["start"] <= k / 4 < n["end"])
                cols, rows = np.where(masks[k].any(0))[0], np.where(masks[k].any(1))[0]
                width = cols.max() - cols.min()
                height = meta["position"][1] * 48 - rows.min()
                P.append(note["pose"])
                E.append((width if inst == "trombone" else height) / meta["object_size_px"])
        assert sign * spearman(P, E) > 0.6, inst


def test_audio_plays_the_notes():
    size = replace(TINY, clip_seconds=3.0, defect_rate=0.0)
    for inst in ("flute", "trumpet", "cello"):
        _, audio, meta = sv.generate_clip("performances", inst, 0, size, 0)
        for n in meta["notes"]:
            a = int((n["start"] + 0.15) * SR)
            seg = audio[a:a + 4096].astype(np.float64)
            if len(seg) < 4096:
                continue
            spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
            freqs = np.fft.rfftfreq(8 * len(seg), 1 / SR)
            band = (freqs > n["pitch_hz"] * 0.8) & (freqs < n["pitch_hz"] * 1.25)
            peak = freqs[band][np.argmax(spec[band])]
            assert peak == pytest.approx(n["pitch_hz"], rel=0.03), (inst, n)


# ----------------------------------------------------------------------------- learnable, not trivial
def _ridge_accuracy(F, y, train, lam):
    F = np.asarray(F, float)
    mu, sd = F[train].mean(0), F[train].std(0) + 1e-6
    F = np.c_[(F - mu) / sd, np.ones(len(F))]
    Y = np.eye(y.max() + 1)[y]
    W = np.linalg.solve(F[train].T @ F[train] + lam * np.eye(F.shape[1]), F[train].T @ Y[train])
    return float((np.argmax(F[~train] @ W, 1) == y[~train]).mean())


def _centroid_accuracy(F, y, train):
    F = np.asarray(F, float)
    F = (F - F[train].mean(0)) / (F[train].std(0) + 1e-6)
    C = np.stack([F[train & (y == c)].mean(0) for c in range(y.max() + 1)])
    return float((np.argmin(((F[~train][:, None] - C[None]) ** 2).sum(-1), 1) == y[~train]).mean())


def _band_spectrum(audio):
    x = audio[: len(audio) // 1024 * 1024].reshape(-1, 1024) * np.hanning(1024)
    p = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(0)
    f = np.fft.rfftfreq(1024, 1 / SR)
    edges = np.geomspace(50, 10000, 25)
    b = np.array([p[(f >= lo) & (f < hi)].sum() for lo, hi in zip(edges[:-1], edges[1:])])
    return np.log(b / b.sum() + 1e-12)          # spectral shape, loudness removed


@pytest.fixture(scope="module")
def scene_features():
    n_train, n_test = 8, 5
    pix, colour, spec, level, y, train = [], [], [], [], [], []
    for c, label in enumerate(SCENE_CLASSES):
        for i in range(n_train + n_test):
            frames, audio, _ = sv.generate_clip("scenes", label, i, CLEAN, seed=0)
            img = frames.astype(np.float32).mean(0) / 255
            pix.append(img.reshape(8, 4, 8, 4, 3).mean((1, 3)).ravel())
            colour.append(img.reshape(-1, 3).mean(0))
            spec.append(_band_spectrum(audio))
            level.append([dbfs(audio)])
            y.append(c)
            train.append(i < n_train)
    return {k: np.asarray(v) for k, v in dict(pix=pix, colour=colour, spec=spec, level=level, y=y, train=train).items()}


def test_scenes_are_learnable_from_pictures_but_not_from_mean_colour(scene_features):
    f = scene_features
    chance = 1 / len(SCENE_CLASSES)
    acc_pix = _ridge_accuracy(f["pix"], f["y"], f["train"], 100.0)
    acc_colour = max(_centroid_accuracy(f["colour"], f["y"], f["train"]),
                     _ridge_accuracy(f["colour"], f["y"], f["train"], 1.0))
    assert acc_pix >= 3 * chance, acc_pix
    assert acc_colour <= 0.6, acc_colour          # one colour per class would make this ~1.0
    assert acc_pix > acc_colour


def test_scenes_are_learnable_from_sound_but_not_from_loudness(scene_features):
    f = scene_features
    chance = 1 / len(SCENE_CLASSES)
    acc_spec = _ridge_accuracy(f["spec"], f["y"], f["train"], 10.0)
    acc_level = _centroid_accuracy(f["level"], f["y"], f["train"])
    assert acc_spec >= 5 * chance, acc_spec
    assert acc_level <= 2.5 * chance, acc_level


def test_instruments_are_learnable_from_sound_and_from_the_player():
    from PIL import Image
    size = replace(CLEAN, frame_size=48)
    n_train, n_test = 8, 4
    crops, spec, y, train = [], [], [], []
    for c, inst in enumerate(INSTRUMENTS):
        for i in range(n_train + n_test):
            frames, audio, meta = sv.generate_clip("performances", inst, i, size, seed=0)
            s = meta["object_size_px"]
            x, yb = meta["position"][0] * 48, meta["position"][1] * 48
            crop = frames[0][int(max(0, yb - 1.05 * s)):int(min(48, yb + 1)), int(max(0, x - 0.6 * s)):int(min(48, x + 0.6 * s))]
            crops.append(np.asarray(Image.fromarray(crop).resize((12, 12), Image.BILINEAR), np.float32).ravel() / 255)
            spec.append(_band_spectrum(audio))
            y.append(c)
            train.append(i < n_train)
    y, train = np.asarray(y), np.asarray(train)
    chance = 1 / len(INSTRUMENTS)
    acc_spec, acc_img = _ridge_accuracy(spec, y, train, 10.0), _ridge_accuracy(crops, y, train, 10.0)
    assert acc_spec >= 5 * chance, acc_spec
    assert acc_img >= 2.5 * chance, acc_img


# ----------------------------------------------------------------------------- corpora on disk
def test_smoke_corpus_round_trip_and_resume(tmp_path):
    root = sv.generate_corpus("scenes", profile="smoke", out=tmp_path / "a", seed=0, workers=2, progress=False)
    size = get_profile("smoke").scenes
    metas = [json.loads(l) for l in (root / "metadata.jsonl").read_text().splitlines()]
    assert len(metas) == 9 * size.clips_per_class
    assert [m["clip_id"] for m in metas] == sorted(m["clip_id"] for m in metas)
    with open(root / "labels.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["file"], r["label"], r["video_id"]) for r in rows] == [(m["file"], m["label"], m["video_id"]) for m in metas]
    info = json.loads((root / "corpus.json").read_text())
    assert info["generator_version"] == sv.GENERATOR_VERSION and info["num_clips"] == len(metas)
    assert info["counts"] == {c: size.clips_per_class for c in SCENE_CLASSES}
    for m in metas:
        clip = avio.read_video(root / m["file"])
        assert abs(clip.num_frames - m["duration"] * m["fps"]) <= 1
        assert clip.sample_rate == m["sample_rate"] == 22050
        assert abs(clip.audio.shape[1] - m["duration"] * m["sample_rate"]) <= 1024
        assert clip.frames.shape[1:] == (64, 64, 3)
    # the file holds the generated clip (up to lossy coding)
    m = metas[5]
    frames, audio, meta = sv.generate_clip("scenes", m["label"], m["index"], size, seed=0)
    assert meta == m
    clip = avio.read_video(root / m["file"])
    assert np.abs(clip.frames.astype(int) - frames.astype(int)).mean() < 20
    dec = clip.mono()[: len(audio)]
    assert np.corrcoef(dec, audio[: len(dec)])[0, 1] > 0.9
    # rerun: nothing re-encoded, same bytes
    videos = sorted(root.rglob("*.mp4"))
    mtimes = [p.stat().st_mtime_ns for p in videos]
    before = (root / "metadata.jsonl").read_bytes()
    sv.generate_corpus("scenes", profile="smoke", out=root, seed=0, workers=1, progress=False)
    assert [p.stat().st_mtime_ns for p in videos] == mtimes
    assert (root / "metadata.jsonl").read_bytes() == before
    # a killed run resumes: a lost video is the only one written again
    videos[3].unlink()
    sv.generate_corpus("scenes", profile="smoke", out=root, seed=0, workers=1, progress=False)
    assert videos[3].exists()
    assert [p.stat().st_mtime_ns for i, p in enumerate(videos) if i != 3] == [t for i, t in enumerate(mtimes) if i != 3]


def test_worker_count_does_not_change_the_corpus(tmp_path):
    kw = dict(profile="smoke", seed=1, classes=["cello", "flute"], clips_per_class=2, progress=False)
    a = sv.generate_corpus("performances", out=tmp_path / "a", workers=1, **kw)
    b = sv.generate_corpus("performances", out=tmp_path / "b", workers=2, **kw)
    assert (a / "metadata.jsonl").read_bytes() == (b / "metadata.jsonl").read_bytes()
    for m in sv.load_metadata(a):
        ca, cb = avio.read_video(a / m["file"]), avio.read_video(b / m["file"])
        assert np.array_equal(ca.frames, cb.frames) and np.array_equal(ca.audio, cb.audio)


def _tiny_profile(clips=2):
    """The smoke profile with a tiny performances suite (two classes, 1 s clips)."""
    prof = get_profile("smoke")
    return replace(prof, performances=replace(prof.performances, classes=("cello", "flute"), clips_per_class=clips,
                                              clip_seconds=1.0, frame_size=32))


def _ensure(tmp_path, prof):
    return sv.ensure_corpus(tmp_path, "performances", prof, seed=0, workers=1, progress=False)


def test_ensure_corpus_caches_by_key(tmp_path):
    prof = _tiny_profile()
    root = _ensure(tmp_path, prof)
    assert root == tmp_path / "synthav" / "performances-smoke-seed0" == sv.corpus_dir(tmp_path, "performances", prof, 0)
    stored = json.loads((root / "synthav_key.json").read_text())
    wanted = sv.corpus_description("performances", prof.performances, 0)
    assert stored["description"] == wanted and stored["key"] == cache.cache_key(wanted)
    assert wanted["generator_version"] == sv.GENERATOR_VERSION
    assert wanted["class_versions"] == {"cello": "1", "flute": "1"} and wanted["size"]["clips_per_class"] == 2
    t0 = (root / "corpus.json").stat().st_mtime_ns
    assert _ensure(tmp_path, prof) == root
    assert (root / "corpus.json").stat().st_mtime_ns == t0          # reused, nothing rewritten
    # a corpus made by another generator version is generated again from scratch
    stale = root / "videos" / "cello" / "left_by_the_old_corpus.mp4"
    stale.write_bytes(b"")
    stored["description"]["generator_version"] = "0.0.0-old"
    (root / "synthav_key.json").write_text(json.dumps(stored))
    assert _ensure(tmp_path, prof) == root
    assert not stale.exists()
    assert json.loads((root / "synthav_key.json").read_text())["description"] == wanted
    # so is a folder without a key (made before keys existed, or by hand)
    (root / "synthav_key.json").unlink()
    stale.write_bytes(b"")
    _ensure(tmp_path, prof)
    assert not stale.exists() and (root / "synthav_key.json").exists()


def test_ensure_corpus_regenerates_when_the_size_changes(tmp_path):
    # the old ensure_corpus handed back the 3-clip corpus here (it checked version, suite and seed only)
    root = _ensure(tmp_path, _tiny_profile(clips=3))
    assert len(sv.load_metadata(root)) == 6
    again = _ensure(tmp_path, _tiny_profile(clips=2))
    metas = sv.load_metadata(again)
    assert len(metas) == 4, f"asked for 2 clips per class, got the old corpus of {len(metas)} clips"
    assert json.loads((again / "corpus.json").read_text())["size"]["clips_per_class"] == 2
    videos = sorted(p.relative_to(again).as_posix() for p in again.rglob("*.mp4"))
    assert videos == sorted(m["file"] for m in metas)      # no clip of the old corpus left behind
    # another frame size or defect rate is another corpus too
    prof = _tiny_profile()
    for other in (replace(prof.performances, frame_size=48), replace(prof.performances, defect_rate=0.0)):
        root = _ensure(tmp_path, replace(prof, performances=other))
        assert json.loads((root / "corpus.json").read_text())["size"] == json.loads(
            json.dumps(sv.corpus_description("performances", other, 0)["size"]))


def test_a_changed_class_version_regenerates_the_corpora_holding_it(tmp_path, monkeypatch):
    prof = _tiny_profile()
    root = _ensure(tmp_path, prof)
    t0 = (root / "corpus.json").stat().st_mtime_ns
    tuba = registry.INSTRUMENT_DEFS["tuba"]
    monkeypatch.setitem(registry.INSTRUMENT_DEFS, "tuba", replace(tuba, version="2"))
    _ensure(tmp_path, prof)                                   # the corpus holds no tuba: reused
    assert (root / "corpus.json").stat().st_mtime_ns == t0
    stale = root / "videos" / "cello" / "left_by_the_old_corpus.mp4"
    stale.write_bytes(b"")
    cello = registry.INSTRUMENT_DEFS["cello"]
    monkeypatch.setitem(registry.INSTRUMENT_DEFS, "cello", replace(cello, version="2"))
    _ensure(tmp_path, prof)
    assert not stale.exists()
    assert json.loads((root / "synthav_key.json").read_text())["description"]["class_versions"]["cello"] == "2"


def test_generate_corpus_refuses_to_mix_two_corpora_in_one_folder(tmp_path):
    kw = dict(classes=["cello"], workers=1, progress=False)
    out = sv.generate_corpus("performances", CLEAN, out=tmp_path / "c", clips_per_class=1, **kw)
    with pytest.raises(sv.CorpusMismatchError, match=r"size.clips_per_class: 1 there, 2 asked"):
        sv.generate_corpus("performances", CLEAN, out=out, clips_per_class=2, **kw)
    assert len(sv.load_metadata(out)) == 1
    sv.generate_corpus("performances", CLEAN, out=out, clips_per_class=1, **kw)   # the same corpus: fine


# ----------------------------------------------------------------------------- one definition per class
def test_the_registry_holds_exactly_the_profile_classes():
    assert list(registry.SCENE_DEFS) == list(SCENE_CLASSES)
    assert list(registry.INSTRUMENT_DEFS) == list(INSTRUMENTS)
    defs = scenes_home.CLASSES + scenes_outdoors.CLASSES
    with pytest.raises(ImportError, match=r"listed but not defined: \['cat'\]"):
        registry._by_name(defs, SCENE_CLASSES + ("cat",), "scene class", "SCENE_CLASSES")
    with pytest.raises(ImportError, match=r"defined but not listed: \['dog'\]"):
        registry._by_name(defs, SCENE_CLASSES[1:], "scene class", "SCENE_CLASSES")
    with pytest.raises(ImportError, match="'dog' is defined twice"):
        registry._by_name(defs + defs[:1], SCENE_CLASSES, "scene class", "SCENE_CLASSES")
    assert sv.ENV_OF["speedboat"] == ("lake",) and sv.MULTI_PARTNERS["plane"] == ()
    assert sv.INSTRUMENT_SPECS["clarinet"]["odd"] < 0.1 and sv.INSTRUMENT_SPECS["cello"]["family"] == "string"


@pytest.mark.parametrize("label", SCENE_CLASSES)
def test_a_scene_class_definition_plans_sounds_and_draws(label):
    d = registry.SCENE_DEFS[label]
    rng = np.random.default_rng(0)
    env = plan_environment(d.environments[0], rng)
    plan = d.plan(rng, Placement(label, 0.5, 1, 1.7), 2.0, env)
    assert isinstance(plan, ObjectPlan) and type(plan) is not ObjectPlan
    assert (plan.label, plan.scale, plan.facing, plan.distance) == (label, 0.5, 1, 1.7)
    sound = d.sound(plan, rng, 22050, 22050)
    assert sound.shape == (22050,) and np.std(sound) > 0
    cv = Canvas(64, 64, 64)
    cv.obj = True
    d.draw(cv, plan, 1.0, 2.0)
    assert 0.01 < cv.mask.mean() < 0.6                     # the object is drawn, and marked as the source


@pytest.mark.parametrize("label", INSTRUMENTS)
def test_an_instrument_definition_sounds_and_draws_with_the_player(label, monkeypatch):
    d = registry.INSTRUMENT_DEFS[label]
    rng = np.random.default_rng(0)
    plan = plan_player(label, rng, 2.0, 1.2, plan_environment("hall", rng))
    assert isinstance(plan, PlayerPlan) and plan.label == label and plan.timbre is d.timbre
    assert np.std(instrument_sound(plan, rng, 44100, 22050)) > 0
    full, bare = Canvas(64, 64, 64), Canvas(64, 64, 64)
    full.obj = bare.obj = True
    draw_player(full, plan, 0.3)
    monkeypatch.setitem(registry.INSTRUMENT_DEFS, label, replace(d, draw=lambda cv, hold, pose: None))
    draw_player(bare, plan, 0.3)
    assert bare.mask.sum() > 50                              # the player alone
    assert full.mask.sum() > bare.mask.sum() + 20            # plus the instrument its definition draws


def _truth(root):
    return [json.loads(l) for l in (root / "synthav_truth.jsonl").read_text().splitlines()]


def test_vegas_layout(tmp_path):
    root = sv.write_layout("vegas", tmp_path / "vegas", classes=["dog", "plane"], clips_per_class=2)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.mp4"))
    assert len(files) == 4 and all(f.split("/")[1] == "video" for f in files)
    truth = _truth(root)
    assert sorted(t["file"] for t in truth) == files
    for t in truth:
        assert t["file"].split("/")[0] == t["label"] == t["meta"]["label"]
    assert avio.read_video(root / files[0]).num_frames == 24


def test_vggsound_layout(tmp_path):
    root = sv.write_layout("vggsound", tmp_path / "vgg", classes=["speedboat", "dog"], clips_per_class=3)
    with open(root / "vggsound.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 6 and all(len(r) == 4 for r in rows)
    assert rows[0][0] != "youtube_id"                        # no header
    assert {r[3] for r in rows} == {"train", "test"}
    assert {r[2] for r in rows} == {"motorboat, speedboat acceleration", "dog barking"}
    truth = {t["file"]: t for t in _truth(root)}
    for yt, start, label, split in rows:
        assert len(yt) == 11 and int(start) >= 0
        rel = f"video/{yt}_{int(start):06d}.mp4"
        assert (root / rel).exists() and truth[rel]["layout_label"] == label
    assert len(list((root / "video").iterdir())) == 6


def test_ucf101_layout(tmp_path):
    root = sv.write_layout("ucf101", tmp_path / "ucf", classes=["cello", "violin"], clips_per_class=4)
    lists = root / "ucfTrainTestlist"
    classes = [l.split() for l in (lists / "classInd.txt").read_text().splitlines()]
    assert classes == [["1", "PlayingCello"], ["2", "PlayingViolin"]]
    train = [l.split() for l in (lists / "trainlist01.txt").read_text().splitlines() if l.strip()]
    test = [l.split() for l in (lists / "testlist01.txt").read_text().splitlines() if l.strip()]
    assert train and test and len(train) + len(test) == 8
    for rel, idx in train:
        cls = rel.split("/")[0]
        assert (root / "UCF-101" / rel).exists() and classes[int(idx) - 1][1] == cls
        assert 8 <= int(rel.split("_g")[1][:2]) <= 25
    for (rel,) in test:
        assert (root / "UCF-101" / rel).exists() and 1 <= int(rel.split("_g")[1][:2]) <= 7
    name = Path(train[0][0]).name
    assert name.startswith("v_Playing") and name[-8:] in ("_c01.avi", "_c02.avi")
    info = avio.probe(root / "UCF-101" / train[0][0])
    assert info["video"]["codec"] == "mpeg4" and info["audio"]["codec"].startswith("pcm_s16")
    groups = {}
    for t in _truth(root):
        g = t["file"].rsplit("_g", 1)[1][:2]
        groups.setdefault((t["label"], g), set()).add(t["split"])
    assert all(len(s) == 1 for s in groups.values())          # a group never straddles the split
    assert max(len([k for k in groups if k[0] == "cello"]), 0) >= 2


def test_suburmp_layout(tmp_path):
    root = sv.write_layout("suburmp", tmp_path / "urmp", classes=["flute", "trumpet"], clips_per_class=2)
    imgs = sorted(p.relative_to(root).as_posix() for p in (root / "img").rglob("*.jpg"))
    wavs = sorted(p.relative_to(root).as_posix() for p in (root / "chunk").rglob("*.wav"))
    assert len(imgs) == len(wavs) == 2 * 2 * 6                # 3 s clips: six 0.5 s chunks
    assert [w.replace("chunk/", "img/").replace(".wav", ".jpg") for w in wavs] == imgs
    assert "img/train/flute/flute01_0.jpg" in imgs and "img/validation/flute/flute02_5.jpg" in imgs
    audio, sr = avio.read_audio(root / wavs[0])
    assert sr == 22050 and audio.shape == (1, 11025)
    assert avio.read_image(root / imgs[0]).shape == (64, 64, 3)
    truth = {t["file"]: t for t in _truth(root)}
    assert set(truth) == set(imgs) | set(wavs)
    t = truth["chunk/validation/flute/flute02_3.wav"]
    assert t["label"] == "flute" and t["start"] == 1.5 and t["end"] == 2.0 and t["clip_id"] == "performances_flute_0001"


@pytest.mark.parametrize("kind", ["vegas", "vggsound", "ucf101", "suburmp"])
def test_layouts_are_read_back_by_the_readers(tmp_path, kind):
    from s2i_lib.data.layouts import read_layout
    root = sv.write_layout(kind, tmp_path / kind, suite="performances", classes=["cello", "flute"], clips_per_class=2)
    items, skipped = read_layout(root, kind)
    assert not skipped, skipped
    truth = {t["file"]: t for t in _truth(root)}
    assert len(items) == len({t["clip_id"] + str(t.get("start")) for t in truth.values()})
    for it in items:
        assert it.label == truth[it.source]["layout_label"] or it.label == truth[it.source]["label"]


def test_cli_refuses_to_write_a_corpus_into_a_folder_holding_another(tmp_path, capsys):
    from s2i_lib import cli
    size = SynthAVSize(clips_per_class=1, clip_seconds=1.0, fps=4, frame_size=32, classes=("dog",), defect_rate=0.0)
    sv.generate_corpus("scenes", size, out=tmp_path / "c", seed=0, workers=1, progress=False)
    code = cli.main(["synth", "--suite", "scenes", "--profile", "smoke", "--out", str(tmp_path / "c"), "--no-progress"])
    assert code == 2
    assert str(tmp_path / "c") in capsys.readouterr().err
