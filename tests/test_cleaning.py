"""Cleaning by classifier agreement: the rules on hand-made scores, scoring against
known mismatches, SynthAV's truth for a tiny real build, and the cleaned pair set on disk."""
import hashlib
import json
import math
import os

import numpy as np
import pandas as pd
import pytest

from s2i_lib.data import cleaning
from s2i_lib import synthav
from s2i_lib.data.building import load_manifest
from s2i_lib.data.cleaning import (agreement, corpus_dir_of, load_cleaning, pair_truth_table, score, topk_labels,
                              write_cleaned)
from s2i_lib.data.datasets import PairDataset

from conftest import synthav_build


# ----------------------------------------------------------------------------- rules
def test_topk_labels_order_and_ties():
    p = np.array([[0.1, 0.5, 0.4],
                  [0.3, 0.3, 0.4],      # tie between classes 0 and 1: the lower index first
                  [0.2, 0.2, 0.2]])
    assert topk_labels(p, 1).tolist() == [[1], [2], [0]]
    assert topk_labels(p, 3).tolist() == [[1, 2, 0], [2, 0, 1], [0, 1, 2]]
    assert topk_labels(p, 2).dtype.kind == "i"
    with pytest.raises(ValueError, match="between 1 and the number of classes"):
        topk_labels(p, 4)
    with pytest.raises(ValueError, match="shape"):
        topk_labels(np.zeros(3), 1)


def test_top1_and_top3_differ_on_hand_made_scores():
    #              classes:  0     1     2     3     4     5
    image = np.array([[0.70, 0.10, 0.10, 0.05, 0.03, 0.02],   # same top-1 as audio
                      [0.50, 0.30, 0.10, 0.05, 0.03, 0.02],   # top-1 0 vs 2, but 2 is image's 3rd
                      [0.60, 0.20, 0.15, 0.03, 0.01, 0.01],   # top-3 {0,1,2} vs {3,4,5}: nothing shared
                      [0.05, 0.05, 0.10, 0.20, 0.25, 0.35]])  # top-1 5 vs 3, 3 is in both top-3
    audio = np.array([[0.60, 0.20, 0.10, 0.05, 0.03, 0.02],
                      [0.05, 0.05, 0.60, 0.20, 0.05, 0.05],
                      [0.01, 0.01, 0.03, 0.40, 0.30, 0.25],
                      [0.02, 0.03, 0.05, 0.60, 0.10, 0.20]])
    assert agreement(image, audio, "top1").tolist() == [True, False, False, False]
    assert agreement(image, audio, "top3").tolist() == [True, True, False, True]
    assert agreement(image, audio, "top2").tolist() == [True, False, False, True]
    assert agreement(image, audio, "TOP3").tolist() == agreement(image, audio, "top3").tolist()
    # top-K over all classes always agrees; K beyond the class count means the same
    assert agreement(image, audio, "top6").all() and agreement(image, audio, "top9").all()
    # logits give the same decision as probabilities (only the order matters)
    assert (agreement(np.log(image), np.log(audio), "top3") == agreement(image, audio, "top3")).all()
    assert agreement(np.zeros((0, 6)), np.zeros((0, 6)), "top3").shape == (0,)


def test_agreement_errors_name_the_problem():
    a = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        agreement(a, a[:, :2], "top1")
    with pytest.raises(ValueError, match=r"\(3,\)"):
        agreement(a[0], a[0], "top1")
    for bad in ("top0", "best", "top-1", "topx", "3"):
        with pytest.raises(ValueError, match=f"unknown agreement rule '{bad}'"):
            agreement(a, a, bad)


# ----------------------------------------------------------------------------- scoring
def _peaked(ranked, n_classes, rng, weights=(0.6, 0.25, 0.1), noise=0.05):
    """Scores with ranked[i] most likely, then the next ones, plus a little noise that
    cannot change the ranking of the chosen classes."""
    p = rng.dirichlet(np.ones(n_classes), size=len(ranked)) * noise
    for j, w in enumerate(weights):
        p[np.arange(len(ranked)), (np.asarray(ranked) + j) % n_classes] += w
    return p


@pytest.mark.parametrize("rule", ["top1", "top3"])
def test_agreement_discards_exactly_the_known_mismatches(rule):
    rng = np.random.default_rng(0)
    n, c = 48, 8
    labels = np.arange(n) % c
    mismatched = np.zeros(n, bool)
    mismatched[rng.choice(n, size=12, replace=False)] = True
    # the frame of a mismatched pair shows a class 4 steps away: its top-3 {l+4, l+5, l+6}
    # shares nothing with the sound's {l, l+1, l+2}
    shown = np.where(mismatched, (labels + 4) % c, labels)
    image = _peaked(shown, c, rng)
    audio = _peaked(labels, c, rng)
    keep = agreement(image, audio, rule)
    assert (keep == ~mismatched).all()
    s = score(keep, ~mismatched)
    assert s["precision"] == 1.0 and s["recall"] == 1.0 and s["removed_bad"] == 1.0
    assert s["pairs"] == 48 and s["kept"] == 36
    assert s["discarded_fraction"] == pytest.approx(12 / 48)
    assert s["base_precision"] == pytest.approx(36 / 48)


def test_audio_errors_give_hand_computed_precision_and_recall():
    c = 5
    labels = np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    good = np.ones(10, bool)
    good[[0, 1]] = False                       # the frames of pairs 0 and 1 show class+1
    shown = np.where(good, labels, (labels + 1) % c)
    heard = labels.copy()
    heard[[2, 3]] = (labels[[2, 3]] + 2) % c   # audio classifier wrong on two good pairs
    heard[0] = shown[0]                        # ... and wrong on bad pair 0, agreeing by chance
    eye = np.eye(c)
    keep = agreement(0.8 * eye[shown] + 0.04, 0.8 * eye[heard] + 0.04, "top1")
    assert keep.tolist() == [True, False, False, False, True, True, True, True, True, True]
    s = score(keep, good)
    # kept 7 = 6 good + bad pair 0; 8 good pairs in all; 1 of 2 bad pairs removed
    assert s["kept"] == 7 and s["kept_good"] == 6 and s["good"] == 8
    assert s["precision"] == pytest.approx(6 / 7)
    assert s["recall"] == pytest.approx(6 / 8)
    assert s["base_precision"] == pytest.approx(8 / 10)
    assert s["removed_bad"] == pytest.approx(1 / 2)
    assert s["discarded_fraction"] == pytest.approx(3 / 10)


def test_score_empty_denominators_are_nan():
    s = score(np.zeros(4, bool), np.array([True, False, True, False]))
    assert s["kept"] == 0 and math.isnan(s["precision"]) and s["recall"] == 0.0 and s["removed_bad"] == 1.0
    s = score(np.ones(3, bool), np.ones(3, bool))
    assert s["precision"] == 1.0 and math.isnan(s["removed_bad"])
    s = score([], [])
    assert s["pairs"] == 0 and all(math.isnan(s[k]) for k in
                                   ("precision", "recall", "base_precision", "removed_bad", "discarded_fraction"))
    with pytest.raises(ValueError, match="equal length"):
        score(np.ones(3, bool), np.ones(4, bool))


# ----------------------------------------------------------------------------- a tiny real build
@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory):
    """Six SynthAV scene clips (dog, drum; 3 s; most carry defects) built into 0.5 s pairs."""
    root = tmp_path_factory.mktemp("cleaning")
    return synthav_build(root, "scenes", ("dog", "drum"), clips=3, frame_size=32, defect_rate=0.6, image_size=16,
                         test_fraction=0.34)


def test_pair_truth_table_on_a_tiny_synthav_build(tiny_build):
    corpus, pairs = tiny_build
    assert corpus_dir_of(pairs) == corpus.resolve()
    df = load_manifest(pairs)
    truth = pair_truth_table(df, corpus)
    assert list(truth.columns) == ["good", "frame_shows_source", "audible_fraction", "shown_label"]
    assert truth.index.equals(df.index) and truth["good"].dtype == bool
    assert 0.0 < truth["good"].mean() < 1.0
    meta = {m["clip_id"]: m for m in synthav.load_metadata(corpus)}
    # independent of pair_truth: pairs whose frame falls in an offscreen / wrong_class
    # interval of the metadata show something else; clips without defects are all good
    n_wrong_frame = 0
    for i, r in df.iterrows():
        defects = meta[r["video_id"]]["defects"]
        for d in defects:
            if d["type"] in ("offscreen", "wrong_class") and d["start"] <= r["frame_time"] < d["end"]:
                n_wrong_frame += 1
                assert not truth.at[i, "good"] and not truth.at[i, "frame_shows_source"]
                assert truth.at[i, "shown_label"] == d.get("shown_label", "none")
        if not defects:
            assert truth.at[i, "good"] and truth.at[i, "shown_label"] == r["label"]
            assert truth.at[i, "audible_fraction"] == 1.0
    assert n_wrong_frame >= 2, "the tiny corpus should contain frames that do not show the source"
    # and the same numbers as calling the truth functions directly
    for i, r in df.iterrows():
        t = synthav.pair_truth(meta[r["video_id"]], r["start"], r["end"], r["frame_time"])
        assert truth.at[i, "good"] == t["good"] and truth.at[i, "audible_fraction"] == t["audible_fraction"]
    # rows are found by source (= metadata file) too, and the index is kept
    by_source = pair_truth_table(df.assign(video_id="unknown").iloc[::-1], corpus)
    assert by_source.index.tolist() == df.index[::-1].tolist()
    assert (by_source.sort_index() == truth).all().all()
    # a folder works in place of a DataFrame
    assert (pair_truth_table(pairs, corpus) == truth).all().all()


def test_pair_truth_table_errors_name_the_corpus(tiny_build, tmp_path):
    corpus, pairs = tiny_build
    df = load_manifest(pairs)
    stranger = df.head(3).assign(video_id="scenes_piano_0007", source="videos/piano/scenes_piano_0007.mp4")
    with pytest.raises(ValueError, match=f"3 manifest rows.*{corpus}.*scenes_piano_0007"):
        pair_truth_table(pd.concat([df, stranger]), corpus)
    with pytest.raises(FileNotFoundError, match=f"{tmp_path}.*not a SynthAV corpus"):
        pair_truth_table(df, tmp_path)
    with pytest.raises(FileNotFoundError, match="neither build.json nor cleaning.json"):
        corpus_dir_of(tmp_path)


# ----------------------------------------------------------------------------- writing
def test_write_cleaned_round_trip(tiny_build, tmp_path):
    corpus, pairs = tiny_build
    df = load_manifest(pairs)
    truth = pair_truth_table(df, corpus)
    keep = truth["good"].to_numpy()                        # an oracle cleaning
    assert 0 < keep.sum() < len(keep)
    preds = {"image_pred": np.where(keep, df["label"], "none"), "audio_pred": df["label"].to_numpy()}
    out = write_cleaned(pairs, tmp_path / "clean", keep, rule="top1", predictions=preds,
                        info={"image_classifier": "oracle", "seed": np.int64(3)})
    assert out == tmp_path / "clean"

    # the manifest: same header, the kept rows verbatim, readable by the usual loaders
    src_lines = (pairs / "manifest.csv").read_text().splitlines()
    out_lines = (out / "manifest.csv").read_text().splitlines()
    assert out_lines[0] == src_lines[0]
    assert out_lines[1:] == [l for l, k in zip(src_lines[1:], keep) if k]
    cleaned = load_manifest(out)
    assert list(cleaned.columns) == list(df.columns)
    pd.testing.assert_frame_equal(cleaned, df[keep].reset_index(drop=True))
    for _, r in cleaned.iterrows():
        for col in ("image", "audio"):
            assert os.path.samefile(out / r[col], pairs / r[col])       # hard links
    assert len(list((out / "images").rglob("*.png"))) == keep.sum()
    n_train = int((cleaned["split"] == "train").sum())
    assert 0 < n_train < len(cleaned)
    ds = PairDataset(out, split="train")
    assert len(ds) == n_train
    item = ds[0]
    assert item["image"].shape == (3, 16, 16) and item["meta"]["pair_id"] == cleaned[cleaned.split == "train"].iloc[0]["pair_id"]
    assert len(PairDataset(out, split=None)) == keep.sum()

    # what was removed, and the record
    gone = pd.read_csv(out / "discarded.csv", dtype=str)
    assert list(gone.columns) == ["pair_id", "label", "split", "image_pred", "audio_pred"]
    assert gone["pair_id"].tolist() == df.loc[~keep, "pair_id"].tolist()
    assert (gone["image_pred"] == "none").all()
    rec = load_cleaning(out)
    assert rec["rule"] == "top1" and rec["info"] == {"image_classifier": "oracle", "seed": 3}
    assert rec["source_pairs_dir"] == str(pairs.resolve())
    assert rec["source_manifest_sha256"] == hashlib.sha256((pairs / "manifest.csv").read_bytes()).hexdigest()
    assert rec["pairs_before"] == len(df) and rec["pairs_after"] == keep.sum()
    for key, frame in (("counts_before", df), ("counts_after", df[keep])):
        for (label, split), n in frame.groupby(["label", "split"]).size().items():
            assert rec[key][label][split] == n, (key, label, split)
        assert sum(sum(d.values()) for d in rec[key].values()) == len(frame)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pairs"] == keep.sum()
    assert summary["per_label_split"] == {l: d for l, d in rec["counts_after"].items() if sum(d.values())}
    assert corpus_dir_of(out) == corpus.resolve()          # followed back through cleaning.json
    assert (pair_truth_table(cleaned, corpus_dir_of(out))["good"]).all()


def test_write_cleaned_rerun_overwrite_copy_fallback_and_errors(tiny_build, tmp_path, monkeypatch):
    corpus, pairs = tiny_build
    df = load_manifest(pairs)
    out = tmp_path / "clean"
    first = np.arange(len(df)) % 2 == 0
    write_cleaned(pairs, out, first, rule="top3")
    # a rerun with other rows replaces everything, without leftovers; links may fail -> copies
    monkeypatch.setattr(cleaning.os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError("no links here")))
    second = ~first
    write_cleaned(pairs, out, second.astype(int), rule="top1")
    assert load_manifest(out)["pair_id"].tolist() == df.loc[second, "pair_id"].tolist()
    on_disk = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert on_disk == sorted(df.loc[second, "image"])
    r = df[second].iloc[0]
    assert (out / r["audio"]).read_bytes() == (pairs / r["audio"]).read_bytes()
    assert not os.path.samefile(out / r["audio"], pairs / r["audio"])  # copied
    assert load_cleaning(out)["rule"] == "top1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]        # no temp folders left
    monkeypatch.undo()

    # an interrupted write leaves the previous complete result in place
    before = (out / "manifest.csv").read_text()
    calls, real_link = [], cleaning._link_or_copy

    def failing_link(src, dst):
        calls.append(src)
        if len(calls) > 3:
            raise KeyboardInterrupt
        real_link(src, dst)
    monkeypatch.setattr(cleaning, "_link_or_copy", failing_link)
    with pytest.raises(KeyboardInterrupt):
        write_cleaned(pairs, out, first, rule="top3")
    monkeypatch.undo()
    assert (out / "manifest.csv").read_text() == before and load_cleaning(out)["rule"] == "top1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean"]

    # wrong inputs
    with pytest.raises(ValueError, match=str(pairs / "manifest.csv")):
        write_cleaned(pairs, out, first[:-1], rule="top1")
    with pytest.raises(ValueError, match="booleans"):
        write_cleaned(pairs, out, np.full(len(df), 2), rule="top1")
    with pytest.raises(ValueError, match="predictions have 2 rows"):
        write_cleaned(pairs, out, first, rule="top1", predictions={"image_pred": ["a", "b"]})
    with pytest.raises(ValueError, match="source pair set itself"):
        write_cleaned(pairs, pairs, first, rule="top1")
    with pytest.raises(FileExistsError, match="not the output of an earlier cleaning"):
        write_cleaned(pairs, corpus, first, rule="top1")
    assert (corpus / "metadata.jsonl").exists()
    with pytest.raises(FileNotFoundError, match="cleaning.json"):
        load_cleaning(pairs)


def test_pose_columns_follow_the_notes(tmp_path):
    """with_pose: each pair gets the note played at its frame time and the pose it sets."""
    corpus, _ = synthav_build(tmp_path, "performances", ("cello", "flute"), clips=2, frame_size=32, image_size=16,
                              test_fraction=0.2)
    df = load_manifest(tmp_path / "pairs")
    truth = pair_truth_table(df, corpus, with_pose=True)
    assert list(truth.columns[-2:]) == ["midi", "pose"]
    meta = {m["clip_id"]: m for m in synthav.load_metadata(corpus)}
    for i, r in df.iterrows():
        note = synthav.note_at(meta[r["video_id"]], float(r["frame_time"]))
        if note is None:
            assert np.isnan(truth.loc[i, "pose"])
        else:
            assert truth.loc[i, "pose"] == pytest.approx(note["pose"])
            assert truth.loc[i, "pose"] == pytest.approx(synthav.pose_of_pitch(r["label"], note["midi"]), abs=1e-3)
    assert truth["pose"].notna().mean() > 0.5 and truth["pose"].nunique() > 2


def test_cleaned_pairs_are_remade_when_the_classifier_probabilities_change(tmp_path):
    """A cleaned set on disk is reused only for the probabilities that made it."""
    from s2i_lib import course
    pairs = course.course_pairs("scenes", "smoke", 0, tmp_path, workers=1, progress=False)
    n = len(load_manifest(pairs))
    classes = sorted(load_manifest(pairs)["label"].unique())
    labels = load_manifest(pairs)["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    right = np.eye(len(classes), dtype=np.float32)[labels]          # both classifiers agree with every label
    wrong = np.roll(right, 1, axis=1)                                 # the sound classifier never agrees
    a = course.cleaned_pairs("scenes", "top1", "smoke", 0, tmp_path, workers=1, progress=False, probs=(right, right))
    assert load_cleaning(a)["pairs_after"] == n
    b = course.cleaned_pairs("scenes", "top1", "smoke", 0, tmp_path, workers=1, progress=False, probs=(right, wrong))
    assert load_cleaning(b)["pairs_after"] == 0                      # made again, not the stale full set
    stamp = (b / "cleaning.json").stat().st_mtime_ns
    c = course.cleaned_pairs("scenes", "top1", "smoke", 0, tmp_path, workers=1, progress=False, probs=(right, wrong))
    assert (c / "cleaning.json").stat().st_mtime_ns == stamp          # the same probabilities: reused
