"""The paired-data builder: segmenting, frame strategies, loudness, splits, bad input,
resume after a kill, shards, one time axis for offset streams, failing loudly."""
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s2i_lib.data import media as avio
from s2i_lib.data import building
from s2i_lib.data.building import (BuildConfig, BuildSettingsError, build, candidates_for_clip, dbfs,
                                   first_frame, load_manifest, middle_frame, segment_bounds, topk_moments)
from conftest import make_audio, make_frames
from test_media import _write_offset_clip


def test_dbfs_matches_chen_formula():
    # a full-scale square wave has mean |x| = 1 -> 0 dBFS; a tenth of it -> -20 dBFS
    sq = np.sign(np.sin(np.linspace(0, 40 * np.pi, 10000)))
    assert dbfs(sq) == pytest.approx(0.0, abs=0.01)
    assert dbfs(0.1 * sq) == pytest.approx(-20.0, abs=0.01)
    assert dbfs(np.zeros(100)) == float("-inf")
    # 16-bit integers use their own full scale
    assert dbfs((0.1 * sq * 32767).astype(np.int16), full_scale=32767) == pytest.approx(-20.0, abs=0.05)


def test_segment_bounds():
    assert segment_bounds(2.0, 0.5) == [(0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0)]
    assert segment_bounds(1.9, 0.5)[-1] == (1.0, 1.5)       # no partial tail
    assert segment_bounds(3.2, None) == [(0.0, 3.2)]
    assert segment_bounds(0.3, 0.5) == []


def test_frame_strategies_pick_the_right_frame():
    t = np.arange(16) / 8.0  # 8 fps
    assert first_frame(t, 0.5, 1.0) == 4
    assert middle_frame(t, 0.5, 1.0) == 6
    # a frame rate lower than the segment rate: the frame on screen is used
    slow = np.arange(4) * 1.0
    assert first_frame(slow, 1.5, 2.0) == 1
    assert middle_frame(slow, 1.5, 2.0) == 1


def test_topk_moments_are_separated_and_best():
    t = np.arange(20) / 4.0
    s = np.zeros(20)
    s[[3, 4, 12, 17]] = [5, 4.9, 3, 1]
    picks = topk_moments(t, s, k=3, min_gap=0.5)
    assert picks == [3, 12, 17]   # 4 is too close to 3


def test_candidates_on_a_clip_with_a_silence(video_factory):
    p = video_factory(seconds=3.0, fps=8, silent=[(1.0, 2.0)])
    clip = avio.read_video(p)
    cfg = BuildConfig(segment=0.5, frame="first")
    cands = candidates_for_clip(clip, cfg)
    assert [c.start for c in cands] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    assert [c.kept for c in cands] == [True, True, False, False, True, True]
    assert all(c.frame_time == pytest.approx(c.start) for c in cands)
    mids = candidates_for_clip(clip, BuildConfig(segment=0.5, frame="middle"))
    assert all(c.frame_time == pytest.approx(c.start + 0.25) for c in mids)
    off = candidates_for_clip(clip, BuildConfig(segment=0.5, min_dbfs=None))
    assert all(c.kept for c in off)
    top = candidates_for_clip(clip, BuildConfig(segment=0.5, frame="topk", topk=2))
    assert len(top) == 2
    # the default score prefers loud moments: no chosen frame sits in the silence
    assert all(not (1.0 <= c.frame_time < 2.0) for c in top)


def test_custom_score_function_is_used(video_factory):
    clip = avio.read_video(video_factory(seconds=3.0, fps=8))
    late = lambda c: c.frame_times.copy()  # prefers the end of the clip
    top = candidates_for_clip(clip, BuildConfig(segment=0.5, frame="topk", topk=1), score_fn=late)
    assert top[0].frame_time == pytest.approx(clip.frame_times[-1])
    with pytest.raises(ValueError, match="one score per frame"):
        candidates_for_clip(clip, BuildConfig(frame="topk"), score_fn=lambda c: np.zeros(3))


def test_build_folder_corpus_end_to_end(folder_corpus, tmp_path):
    out = tmp_path / "built"
    res = build(folder_corpus, "folder", out, BuildConfig(segment=0.5, image_size=32), workers=1, progress=False)
    assert res.complete
    df = load_manifest(out)
    # 6 good videos x 4 segments, minus the silent segment (1.0-1.5 s) of each k == 0 video
    assert len(df) == 6 * 4 - 2
    assert set(df["label"]) == {"red", "blue"}
    for _, r in df.iterrows():
        img = avio.read_image(out / r["image"])
        assert img.shape == (32, 32, 3)
        a, sr = avio.read_audio(out / r["audio"])
        assert sr == 22050 and a.shape[1] == pytest.approx(0.5 * 22050, abs=2)
    # the picture matches the label: red videos give red images
    r0 = avio.read_image(out / df[df.label == "red"].iloc[2]["image"]).reshape(-1, 3).mean(0)
    b0 = avio.read_image(out / df[df.label == "blue"].iloc[2]["image"]).reshape(-1, 3).mean(0)
    assert r0[0] > b0[0] + 20 and b0[2] > r0[2] + 20
    skipped = pd.read_csv(out / "skipped.csv")
    reasons = dict(zip(skipped["source"], skipped["reason"]))
    assert "empty file" in reasons["bad/empty.mp4"]
    assert "corrupt" in reasons["bad/truncated.mp4"]
    assert "corrupt" in reasons["bad/garbage.mkv"]
    assert "no audio stream" in reasons["bad/mute.mp4"]
    assert "no video stream" in reasons["bad/audio_only.wav"]
    assert "missing file" in reasons["bad/does_not_exist.mp4"]
    assert "no label" in reasons["unlisted.mp4"]
    assert "missing file" in reasons["bad/dangling.mp4"]
    seg = pd.read_csv(out / "segments.csv")
    assert (~seg["kept"]).sum() == 2 and seg[~seg["kept"]]["reason"].str.contains("too quiet").all()


def test_split_is_by_video_without_leakage(folder_corpus, tmp_path):
    out = tmp_path / "b"
    build(folder_corpus, "folder", out, BuildConfig(test_fraction=0.34, image_size=16), progress=False)
    df = load_manifest(out)
    per_video = df.groupby("video_id")["split"].nunique()
    assert (per_video == 1).all()
    for label in ("red", "blue"):
        sub = df[df.label == label]
        assert sub[sub.split == "test"]["video_id"].nunique() == 1
        assert sub[sub.split == "train"]["video_id"].nunique() == 2


def test_balance_equalises_classes(folder_corpus, tmp_path):
    out = tmp_path / "b"
    build(folder_corpus, "folder", out, BuildConfig(balance=True, image_size=16, min_dbfs=-45), progress=False)
    counts = load_manifest(out).groupby(["split", "label"]).size().unstack()
    assert (counts.nunique(axis=1) == 1).all()


def test_rebuild_reuses_and_other_settings_refuse(folder_corpus, tmp_path):
    out = tmp_path / "b"
    cfg = BuildConfig(image_size=16)
    first = build(folder_corpus, "folder", out, cfg, progress=False)
    mtimes = {p: p.stat().st_mtime_ns for p in (out / "images").rglob("*.png")}
    again = build(folder_corpus, "folder", out, cfg, progress=False)
    assert again.processed_now == 0 and again.reused == first.processed_now
    assert {p: p.stat().st_mtime_ns for p in (out / "images").rglob("*.png")} == mtimes
    with pytest.raises(BuildSettingsError, match="image_size"):
        build(folder_corpus, "folder", out, BuildConfig(image_size=24), progress=False)
    res = build(folder_corpus, "folder", out, BuildConfig(image_size=24), progress=False, overwrite=True)
    assert res.complete and avio.read_image(next((out / "images").rglob("*.png"))).shape[0] == 24


def test_shards_merge_to_the_same_manifest(folder_corpus, tmp_path):
    cfg = BuildConfig(image_size=16)
    whole = tmp_path / "whole"
    build(folder_corpus, "folder", whole, cfg, progress=False)
    sharded = tmp_path / "sharded"
    r0 = build(folder_corpus, "folder", sharded, cfg, shard=(0, 2), progress=False)
    assert not r0.complete and r0.missing
    r1 = build(folder_corpus, "folder", sharded, cfg, shard=(1, 2), progress=False)
    assert r1.complete
    assert (whole / "manifest.csv").read_text() == (sharded / "manifest.csv").read_text()
    assert (whole / "skipped.csv").read_text() == (sharded / "skipped.csv").read_text()


def test_parallel_build_equals_serial(folder_corpus, tmp_path):
    cfg = BuildConfig(image_size=16)
    build(folder_corpus, "folder", tmp_path / "s", cfg, workers=1, progress=False)
    build(folder_corpus, "folder", tmp_path / "p", cfg, workers=2, progress=False)
    assert (tmp_path / "s" / "manifest.csv").read_text() == (tmp_path / "p" / "manifest.csv").read_text()


def _many_videos(root: Path, n: int) -> None:
    rows = []
    for k in range(n):
        rel = f"v{k:02d}.mp4"
        avio.write_video(root / rel, make_frames(2.0, 8), 8, make_audio(2.0, 22050, freq=300 + 20 * k), 22050)
        rows.append(f"{rel},{'a' if k % 2 else 'b'}")
    (root / "labels.csv").write_text("file,label\n" + "\n".join(rows) + "\n")


def test_killed_build_resumes_without_redoing_work(tmp_path):
    src = tmp_path / "src"
    _many_videos(src, 16)
    out = tmp_path / "out"
    reference = tmp_path / "ref"
    build(src, "folder", reference, BuildConfig(image_size=16), progress=False)
    # a build in another process, killed once a few videos are finished
    code = ("import sys; from s2i_lib.data.building import build, BuildConfig; "
            f"build({str(src)!r}, 'folder', {str(out)!r}, BuildConfig(image_size=16), workers=1, progress=False)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=str(Path(__file__).parent.parent))
    deadline = time.time() + 60
    while time.time() < deadline and len(list((out / "parts").glob("*.json"))) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("*.json")}
    assert 4 <= len(done) < 16, "the build should have been killed half way"
    assert not (out / "manifest.csv").exists()
    res = build(src, "folder", out, BuildConfig(image_size=16), progress=False)
    assert res.complete and res.reused == len(done) and res.processed_now == 16 - len(done)
    for name, mtime in done.items():
        assert (out / "parts" / name).stat().st_mtime_ns == mtime   # finished work untouched
    assert (out / "manifest.csv").read_text() == (reference / "manifest.csv").read_text()


def test_cli_build_and_errors(folder_corpus, tmp_path):
    out = tmp_path / "cli"
    exe = [sys.executable, "-m", "s2i_lib.cli"]
    r = subprocess.run(exe + ["build", "--source", str(folder_corpus), "--layout", "folder", "--out", str(out),
                              "--frame", "middle", "--image-size", "16", "--workers", "1", "--no-progress"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "pairs" in r.stdout and (out / "manifest.csv").exists()
    assert json.loads((out / "build.json").read_text())["config"]["frame"] == "middle"
    r = subprocess.run(exe + ["build", "--source", str(tmp_path / "nowhere"), "--layout", "folder",
                              "--out", str(tmp_path / "x"), "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 2 and "nowhere" in r.stderr


def test_score_candidates_counts_precision_and_recall():
    from s2i_lib.data.building import Candidate, score_candidates
    frame_times = np.arange(16) / 8.0          # 2 s at 8 fps -> 4 windows of 0.5 s
    # truth: the source is on screen only before 1.0 s; audible everywhere
    truth = lambda s, e, t: {"good": t < 1.0}
    cands = [Candidate(0.0, 0.5, 0, 0.0, -20, True), Candidate(0.5, 1.0, 4, 0.5, -20, True),
             Candidate(1.0, 1.5, 8, 1.0, -20, True), Candidate(1.5, 2.0, 12, 1.5, -60, False)]
    s = score_candidates(cands, frame_times, 2.0, 0.5, truth)
    assert s == {"kept": 3, "kept_good": 2, "good_moments": 2, "covered": 2}
    only_first = score_candidates(cands[:1], frame_times, 2.0, 0.5, truth)
    assert only_first["covered"] == 1 and only_first["good_moments"] == 2


def test_cli_synth_then_build_then_merge(tmp_path):
    exe = [sys.executable, "-m", "s2i_lib.cli"]
    corpus = tmp_path / "corpus"
    r = subprocess.run(exe + ["synth", "--suite", "performances", "--profile", "smoke", "--out", str(corpus),
                              "--seed", "3", "--workers", "1", "--no-progress"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert (corpus / "metadata.jsonl").exists() and list(corpus.glob("videos/*/*.mp4"))
    out = tmp_path / "pairs"
    for shard in ("0/2", "1/2"):
        r = subprocess.run(exe + ["build", "--source", str(corpus), "--layout", "synthav", "--out", str(out),
                                  "--shard", shard, "--workers", "1", "--image-size", "16", "--no-progress"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    r = subprocess.run(exe + ["merge", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0 and "pairs" in r.stdout
    df = load_manifest(out)
    meta = [json.loads(l) for l in (corpus / "metadata.jsonl").read_text().splitlines()]
    assert set(df.label) == {m["label"] for m in meta}


# ----------------------------------------------------------------------------- one time axis
def test_pairs_of_clips_whose_sound_starts_late(tmp_path):
    """Sound and picture of each pair play at the same presentation time, although the
    audio stream of each clip starts 0.5 s after its video stream."""
    src = tmp_path / "late"
    src.mkdir()
    files = ["a.mp4", "b.mkv", "c.webm"]
    for name, (vc, ac) in zip(files, [("libx264", "aac"), ("libvpx-vp9", "libopus"), ("libvpx", "libopus")]):
        _write_offset_clip(src / name, vc, ac, audio_start=0.5)
    (src / "labels.csv").write_text("file,label\n" + "".join(f"{f},x\n" for f in files))
    out = tmp_path / "out"
    build(src, "folder", out, BuildConfig(segment=0.1, frame="middle", min_dbfs=None, image_size=16),
          progress=False)
    df = load_manifest(out)
    loud = silent = 0
    for _, r in df.iterrows():
        wav = avio.to_mono(avio.read_audio(out / r["audio"])[0])
        q = len(wav) // 4
        bright = avio.read_image(out / r["image"]).mean()
        if np.abs(wav[:q]).max() > 0.3 and np.abs(wav[-q:]).max() > 0.3:       # tone throughout
            loud += 1
            assert bright > 200, f"{r.pair_id} ({r.start}-{r.end} s): a tone with a dark frame"
        elif np.abs(wav).max() < 0.01:                                          # silence throughout
            silent += 1
            assert bright < 50, f"{r.pair_id} ({r.start}-{r.end} s): silence with a white frame"
    assert loud >= 3 * 6 and silent >= 3 * 10
    # no pair is cut from the silence before the sound starts
    assert df["start"].min() >= 0.47
    summary = json.loads((out / "summary.json").read_text())
    assert summary["late_streams"] == 3


def test_build_decodes_only_the_frames_it_pairs(tmp_path, monkeypatch):
    src = tmp_path / "src"
    avio.write_video(src / "v.mp4", make_frames(4.0, 10, size=(120, 160)), 10, make_audio(4.0, 22050), 22050)
    (src / "labels.csv").write_text("file,label\nv.mp4,a\n")
    converted = []
    real = avio._to_rgb
    monkeypatch.setattr(avio, "_to_rgb", lambda frame, short: converted.append(short) or real(frame, short))
    monkeypatch.setattr(avio, "read_video", lambda *a, **k: pytest.fail("the builder decoded every frame"))
    res = build(src, "folder", tmp_path / "out", BuildConfig(segment=0.5, image_size=16), progress=False)
    assert res.num_pairs == 8 and len(converted) == 8         # 40 frames in the file, 8 converted
    assert converted == [32] * 8                              # scaled down at decode to twice the image size


# ----------------------------------------------------------------------------- failing loudly
def test_a_bug_in_the_builder_is_raised_not_skipped(folder_corpus, tmp_path, monkeypatch):
    out = tmp_path / "b"

    def broken(*args, **kwargs):
        raise KeyError("a library bug")
    monkeypatch.setattr(building, "candidates_for_clip", broken)
    with pytest.raises(KeyError, match="a library bug"):
        build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False)
    assert not (out / "manifest.csv").exists()
    done = sorted(p.name for p in (out / "parts").glob("*.json"))
    assert done and all(n.startswith("bad_") for n in done)   # inputs finished before the bug keep their parts
    monkeypatch.undo()
    res = build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False)
    assert res.complete and res.num_pairs == 22 and res.reused == len(done)


def _raising_score(clip):
    raise KeyError("a bug in a score function")


def test_a_bug_in_a_worker_process_is_raised(tmp_path):
    src = tmp_path / "src"
    _many_videos(src, 4)
    with pytest.raises(KeyError, match="a bug in a score function"):
        build(src, "folder", tmp_path / "out", BuildConfig(frame="topk", image_size=16), workers=2,
              score_fn=_raising_score, progress=False)
    assert not (tmp_path / "out" / "manifest.csv").exists()


def _corrupt_corpus(root: Path) -> Path:
    root.mkdir()
    (root / "empty.mp4").write_bytes(b"")
    (root / "garbage.mkv").write_bytes(b"\x00not a video\xff" * 64)
    avio.write_video(root / "mute.mp4", make_frames(1.0, 8), 8, None)
    (root / "labels.csv").write_text("file,label\nempty.mp4,a\ngarbage.mkv,a\nmute.mp4,b\n")
    return root


def test_a_build_where_every_input_fails_raises(tmp_path):
    src = _corrupt_corpus(tmp_path / "corrupt")
    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match=r"has no pairs: every one of the 3 inputs in .*corrupt was skipped.*skipped\.csv"):
        build(src, "folder", out, BuildConfig(image_size=16), progress=False)
    reasons = pd.read_csv(out / "skipped.csv").set_index("source")["reason"]
    assert "empty file" in reasons["empty.mp4"] and "no audio stream" in reasons["mute.mp4"]
    r = subprocess.run([sys.executable, "-m", "s2i_lib.cli", "build", "--source", str(src), "--layout", "folder",
                        "--out", str(tmp_path / "cli"), "--workers", "1", "--no-progress"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "no pairs" in r.stderr and "skipped.csv" in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "s2i_lib.cli", "merge", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 1 and "no pairs" in r.stderr


def test_two_shards_at_the_same_time_merge_once_and_equal_one_build(tmp_path):
    src = tmp_path / "src"
    _many_videos(src, 12)
    cfg = BuildConfig(image_size=16)
    whole = tmp_path / "whole"
    build(src, "folder", whole, cfg, progress=False)
    out = tmp_path / "sharded"
    code = ("import sys; from s2i_lib.data.building import build, BuildConfig; "
            f"print(build({str(src)!r}, 'folder', {str(out)!r}, BuildConfig(image_size=16), shard=(int(sys.argv[1]), 2),"
            " workers=1, progress=False))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=str(Path(__file__).parent.parent)) for i in (0, 1)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    for name in ("manifest.csv", "skipped.csv", "segments.csv"):
        assert (out / name).read_text() == (whole / name).read_text(), name
    assert not list(out.rglob("*.tmp"))                       # no temporary file left behind
    assert json.loads((out / "build.json").read_text()) == json.loads((whole / "build.json").read_text())
    # a merge of the same finished parts is done once
    stamp = (out / "manifest.csv").stat().st_mtime_ns
    assert building.merge(out).num_pairs == len(load_manifest(whole))
    assert (out / "manifest.csv").stat().st_mtime_ns == stamp
    # a shard with other settings is refused while the folder holds this build
    with pytest.raises(BuildSettingsError, match="image_size"):
        build(src, "folder", out, BuildConfig(image_size=24), shard=(1, 2), progress=False)


def test_a_folder_of_an_older_builder_is_rebuilt(folder_corpus, tmp_path):
    out = tmp_path / "b"
    first = build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False)
    settings = json.loads((out / "build.json").read_text())
    (out / "build.json").write_text(json.dumps({**settings, "builder_version": 1}))
    res = build(folder_corpus, "folder", out, BuildConfig(image_size=16), progress=False)
    assert res.processed_now == first.processed_now > 0 and res.reused == 0


# ----------------------------------------------------------------------------- learned scores

class _KeyedScore:
    """A picklable top-k score with a name, that counts how often it is pickled."""

    def __init__(self, key, log=None):
        self.key, self.log = key, log

    def __getstate__(self):
        if self.log is not None:
            with open(self.log, "a") as f:
                f.write("pickled\n")
        return self.__dict__

    def __call__(self, clip):
        return -np.asarray(clip.frame_times)         # prefers the start of the clip


def _late_score(clip):
    return np.asarray(clip.frame_times).copy()


def test_score_name_identifies_the_score_or_refuses():
    assert building.score_name(None).endswith("energy_typicality_score")
    assert building.score_name(_KeyedScore("learned v1")) == "learned v1"
    assert building.score_name(_late_score) == f"{__name__}._late_score"
    with pytest.raises(ValueError, match="needs a `key` attribute"):
        building.score_name(lambda c: c.frame_times)


def test_a_topk_folder_is_never_reused_for_another_score(tmp_path):
    src = tmp_path / "src"
    _many_videos(src, 2)
    out = tmp_path / "out"
    cfg = BuildConfig(frame="topk", topk=1, image_size=16)
    build(src, "folder", out, cfg, score_fn=_KeyedScore("early"), progress=False)
    assert json.loads((out / "build.json").read_text())["score"] == "early"
    early = load_manifest(out)["frame_time"].tolist()
    assert early == [0.0, 0.0]
    with pytest.raises(BuildSettingsError):
        build(src, "folder", out, cfg, score_fn=_late_score, progress=False)
    assert load_manifest(out)["frame_time"].tolist() == early        # nothing was overwritten
    build(src, "folder", out, cfg, score_fn=_KeyedScore("early"), progress=False)   # the same score: reused


def test_a_score_goes_to_each_worker_once_not_with_every_video(tmp_path):
    src = tmp_path / "src"
    _many_videos(src, 6)
    log = tmp_path / "pickles.txt"
    res = build(src, "folder", tmp_path / "out", BuildConfig(frame="topk", topk=1, image_size=16), workers=2,
                score_fn=_KeyedScore("early", log), progress=False)
    assert res.num_pairs == 6
    assert 1 <= len(log.read_text().splitlines()) <= 2                    # one per worker process, not six


def test_a_score_that_needs_no_pictures_gets_the_clip_undecoded(video_factory):
    from s2i_lib.course.sound2scene import MiddleOfClip

    timeline = avio.open_video(video_factory(seconds=4.0, fps=8))
    seen = []

    class Spy(MiddleOfClip):
        def __call__(self, clip):
            seen.append(clip)
            return super().__call__(clip)

    top = candidates_for_clip(timeline, BuildConfig(segment=0.5, frame="topk", topk=3, min_dbfs=None), score_fn=Spy())
    assert seen == [timeline]                          # not a decoded copy
    mid = 0.5 * (timeline.frame_times[0] + timeline.frame_times[-1])
    times = sorted(c.frame_time for c in top)
    # the frame nearest the middle, and the two nearest it on either side that the 0.5 s gap allows (8 fps)
    assert len(times) == 3 and min(abs(t - mid) for t in times) <= 1 / 16 + 1e-6
    assert times[0] < mid < times[-1] and max(abs(t - mid) for t in times) <= 0.5 + 1 / 8 + 1e-6
    assert min(np.diff(times)) >= 0.5 - 1e-6
