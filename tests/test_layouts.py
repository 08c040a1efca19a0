"""Each corpus layout, read from a tiny tree that SynthAV writes in that layout, plus the
inputs a layout must refuse (with a reason) instead of failing."""
import json
import shutil

import pandas as pd
import pytest

from s2i_lib.data import media as avio
from s2i_lib import synthav
from s2i_lib.data.building import BuildConfig, build, load_manifest
from s2i_lib.data.layouts import read_layout


def _truth(root):
    out = {}
    for line in (root / "synthav_truth.jsonl").read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["file"]] = rec
    return out


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    base = tmp_path_factory.mktemp("layouts")
    made = {}
    for kind, classes in (("vegas", ("dog", "plane", "piano")), ("vggsound", ("dog", "plane", "piano")),
                          ("ucf101", ("cello", "violin", "flute")), ("suburmp", ("cello", "violin", "flute"))):
        made[kind] = synthav.write_layout(kind, base / kind, classes=classes, clips_per_class=2)
    return made


def _build(root, layout, tmp_path):
    res = build(root, layout, tmp_path / "out", BuildConfig(image_size=16, min_dbfs=None), progress=False)
    assert res.complete
    return load_manifest(tmp_path / "out"), pd.read_csv(tmp_path / "out" / "skipped.csv")


def test_vegas(trees, tmp_path):
    root = trees["vegas"]
    items, skipped = read_layout(root, "vegas")
    truth = _truth(root)
    assert len(items) == 6 and not skipped
    for it in items:
        assert it.label == truth[it.source]["label"]
    df, sk = _build(root, "vegas", tmp_path)
    assert sorted(df.label.unique()) == ["dog", "piano", "plane"] and sk.empty


def test_vegas_refuses_stray_and_filters_labels(trees, tmp_path):
    root = tmp_path / "v"
    shutil.copytree(trees["vegas"], root)
    shutil.copy(next(root.glob("dog/**/*.mp4")), root / "stray.mp4")
    items, skipped = read_layout(root, "vegas", labels=("dog",))
    assert {it.label for it in items} == {"dog"}
    reasons = dict(skipped)
    assert "not inside a class folder" in reasons["stray.mp4"]
    assert sum("not among the selected classes" in r for r in reasons.values()) == 4


def test_vggsound(trees, tmp_path):
    root = trees["vggsound"]
    items, skipped = read_layout(root, "vggsound")
    truth = _truth(root)
    assert len(items) == 6 and not skipped
    for it in items:
        assert it.label == truth[it.source]["layout_label"]
        assert it.split in ("train", "test")
    df, _ = _build(root, "vggsound", tmp_path)
    for _, r in df.iterrows():   # the CSV's split is kept
        it = next(i for i in items if i.source == r.source)
        assert r.split == it.split


def test_vggsound_missing_and_unlisted(trees, tmp_path):
    root = tmp_path / "g"
    shutil.copytree(trees["vggsound"], root)
    with open(root / "vggsound.csv", "a") as f:
        f.write("zzzzzzzzzzz,30,dog barking,train\n")
    shutil.copy(next(root.glob("video/*.mp4")), root / "video" / "unlisted_000010.mp4")
    items, skipped = read_layout(root, "vggsound")
    reasons = dict(skipped)
    assert "missing file" in reasons["zzzzzzzzzzz_30"]
    assert "not listed in vggsound.csv" in reasons["video/unlisted_000010.mp4"]
    assert len(items) == 6


def test_ucf101_groups_and_lists(trees, tmp_path):
    root = trees["ucf101"]
    items, skipped = read_layout(root, "ucf101")
    assert items and not skipped
    assert {it.label for it in items} == {"PlayingCello", "PlayingViolin", "PlayingFlute"}
    assert all(it.video_id.startswith(it.label + "_g") for it in items)
    assert {it.split for it in items} == {"train", "test"}
    df, _ = _build(root, "ucf101", tmp_path)
    assert (df.groupby("video_id")["split"].nunique() == 1).all()
    # AVI with PCM audio decodes like any other container
    assert avio.read_video(root / items[0].source).audio is not None


def test_ucf101_unknown_class(trees, tmp_path):
    root = tmp_path / "u"
    shutil.copytree(trees["ucf101"], root)
    src = next(root.glob("UCF-101/PlayingCello/*.avi"))
    (root / "UCF-101" / "PlayingKazoo").mkdir()
    shutil.copy(src, root / "UCF-101" / "PlayingKazoo" / "v_PlayingKazoo_g01_c01.avi")
    items, skipped = read_layout(root, "ucf101")
    assert "not in classInd.txt" in dict(skipped)["UCF-101/PlayingKazoo/v_PlayingKazoo_g01_c01.avi"]


def test_suburmp_pairs(trees, tmp_path):
    root = trees["suburmp"]
    items, skipped = read_layout(root, "suburmp")
    assert items and not skipped and all(it.kind == "pair" for it in items)
    assert {it.label for it in items} == {"cello", "violin", "flute"}
    assert {it.split for it in items} == {"train", "test"}
    df, _ = _build(root, "suburmp", tmp_path)
    assert len(df) == len(items)
    assert (df.groupby("video_id")["split"].nunique() == 1).all()
    a, sr = avio.read_audio(tmp_path / "out" / df.iloc[0].audio)
    assert abs(a.shape[1] / sr - 0.5) < 0.01


def test_suburmp_unmatched_and_unknown(trees, tmp_path):
    root = tmp_path / "s"
    shutil.copytree(trees["suburmp"], root)
    wav = next(root.glob("chunk/train/cello/*.wav"))
    wav.unlink()
    (root / "img" / "train" / "kazoo").mkdir()
    shutil.copy(next(root.glob("img/train/violin/*.jpg")), root / "img" / "train" / "kazoo" / "kazoo01_0.jpg")
    items, skipped = read_layout(root, "suburmp")
    reasons = dict(skipped)
    assert "no matching audio chunk" in reasons["img/train/cello/" + wav.stem + ".jpg"]
    assert "unknown label" in reasons["img/train/kazoo/kazoo01_0.jpg"]


def test_synthav_layout_with_unlisted_video(tmp_path):
    root = synthav.generate_corpus("scenes", "smoke", out=tmp_path / "c", classes=("dog", "plane"),
                                   clips_per_class=2, workers=1, progress=False)
    shutil.copy(next(root.glob("videos/dog/*.mp4")), root / "videos" / "dog" / "extra.mp4")
    items, skipped = read_layout(root, "synthav")
    assert len(items) == 4
    assert "not listed in metadata.jsonl" in dict(skipped)["videos/dog/extra.mp4"]


def test_unknown_layout_and_missing_root(tmp_path):
    with pytest.raises(ValueError, match="unknown layout"):
        read_layout(tmp_path, "kinetics")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_layout(tmp_path / "nowhere", "vegas")
    with pytest.raises(FileNotFoundError, match="labels.csv"):
        read_layout(tmp_path, "folder")
