"""The human-evaluation studies (Wan et al. 2019, Tables 5 and 6) in s2i_lib.course.study."""
from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from s2i_lib.course import study as st

N_CLASSES = 4
MODELS = ["sn", "hinge", "projection", "acgan"]


def image(cls: int, size: int = 8) -> np.ndarray:
    """A uint8 image whose red channel encodes its class, so a fake judge can read it."""
    img = np.zeros((size, size, 3), np.uint8)
    img[..., 0] = 10 * cls
    return img


def cls_of(img: np.ndarray) -> int:
    return int(np.asarray(img)[0, 0, 0]) // 10


def wav(n: int = 800) -> np.ndarray:
    return 0.1 * np.sin(np.linspace(0, 40, n)).astype(np.float32)


def rating_items(per_model: int = 5):
    return [{"model": m, "sound_id": f"s{i}", "wav": wav(), "image": image(i % N_CLASSES), "label": i % N_CLASSES}
            for m in MODELS for i in range(per_model)]


def choice_items(n: int = 20):
    return [{"sound_id": f"s{i}", "wav": wav(), "label": i % N_CLASSES, "other_label": (i + 1) % N_CLASSES,
             "image_heard": image(i % N_CLASSES), "image_other": image((i + 1) % N_CLASSES),
             "model": MODELS[i % 2]} for i in range(n)]


def judge_for(mode: str):
    """Probabilities from an image: "right" puts 0.9 on the image's class; "confused"
    puts 0.7 on a class two steps away, so the heard class (and the other image's class)
    get 0.1, below chance, on both images."""
    def judge(img):
        c = cls_of(img)
        if mode == "right":
            p = np.full(N_CLASSES, 0.1 / (N_CLASSES - 1))
            p[c] = 0.9
        else:
            p = np.full(N_CLASSES, 0.1)
            p[(c + 2) % N_CLASSES] = 0.7
        return p / p.sum()
    return judge


def order_of(trials):
    return [(t.model, t.sound_id) for t in trials]


# ---------------------------------------------------------------- trials

def test_rating_trials_shuffled_by_seed():
    items = rating_items()
    a, b, c = (st.make_rating_trials(items, seed) for seed in (0, 0, 1))
    assert order_of(a) == order_of(b)
    assert order_of(a) != order_of(c)
    assert order_of(a) != [(it["model"], it["sound_id"]) for it in items]
    assert [t.trial_id for t in a] == [f"rating-{k:03d}" for k in range(len(items))]
    assert Counter(t.model for t in a) == {m: 5 for m in MODELS}
    # interleaved: the first half of the presentation does not hold just one or two models
    assert len({t.model for t in a[: len(a) // 2]}) >= 3


def test_choice_trials_sides_balanced_and_seeded():
    items = choice_items(21)
    a, b, c = (st.make_choice_trials(items, seed) for seed in (3, 3, 4))
    assert [(t.sound_id, t.heard_side) for t in a] == [(t.sound_id, t.heard_side) for t in b]
    assert [(t.sound_id, t.heard_side) for t in a] != [(t.sound_id, t.heard_side) for t in c]
    n_left = sum(t.heard_side == "left" for t in a)
    assert n_left in (10, 11)
    for t in a:
        heard = t.left if t.heard_side == "left" else t.right
        other = t.right if t.heard_side == "left" else t.left
        assert cls_of(heard) == t.label and cls_of(other) == t.other_label
        assert t.heard_image is heard and t.other_image is other


def test_bad_items_rejected():
    items = rating_items(1)
    items[2]["image"] = np.zeros((8, 8))
    with pytest.raises(ValueError, match="item 2.*HxWx3"):
        st.make_rating_trials(items, 0)
    bad = choice_items(2)
    del bad[1]["other_label"]
    with pytest.raises(ValueError, match="item 1.*other_label"):
        st.make_choice_trials(bad, 0)


# ---------------------------------------------------------------- choice study

@pytest.mark.parametrize("mode, expected", [("right", "Positive"), ("confused", "Neither")])
def test_scripted_choice(tmp_path, mode, expected):
    s = st.Study(st.make_choice_trials(choice_items(), 0), tmp_path / "choice.csv")
    answers = st.scripted_rater(s, judge_for(mode))
    assert len(answers) == 20
    row = s.summary().iloc[0]
    assert row[expected] == 100.0 and row["n"] == 20
    assert list(s.summary().columns) == ["Positive", "Negative", "Neither", "n"]


def test_scripted_choice_prefers_other_gives_negative(tmp_path):
    trials = st.make_choice_trials(choice_items(), 0)
    s = st.Study(trials, tmp_path / "choice.csv")
    # other_label = label + 1; a judge that sees each image as the class before its own
    # finds the heard class in the other image, and not in the heard one
    shifted = lambda img: judge_for("right")(image((cls_of(img) - 1) % N_CLASSES))
    st.scripted_rater(s, shifted)
    assert s.summary().iloc[0]["Negative"] == 100.0
    # the answers really point at the non-heard side, on both sides
    got = s.answers().set_index("trial_id")["answer"]
    sides = {t.trial_id: t.heard_side for t in trials}
    assert all(got[tid] != side and got[tid] in ("left", "right") for tid, side in sides.items())
    assert {"left", "right"} <= set(got)


def test_threshold_rule(tmp_path):
    trials = st.make_choice_trials(choice_items(4), 0)
    s = st.Study(trials, tmp_path / "c.csv")
    # heard class at 0.6 on the heard image: above the default 1/4, below an explicit 0.7
    def judge(img):
        p = np.full(N_CLASSES, 0.4 / (N_CLASSES - 1))
        p[cls_of(img)] = 0.6
        return p
    assert set(st.scripted_rater(s, judge, rater="a").values()) <= {"left", "right"}
    assert set(st.scripted_rater(s, judge, rater="b", threshold=0.7).values()) == {"neither"}
    # a judge that sees no difference (uniform, exactly at chance) cannot pick a side
    uniform = lambda img: np.full(N_CLASSES, 1.0 / N_CLASSES)
    assert set(st.scripted_rater(s, uniform, rater="c").values()) == {"neither"}


def test_outcome_for_both_sides(tmp_path):
    trials = st.make_choice_trials(choice_items(6), 1)
    s = st.Study(trials, tmp_path / "c.csv")
    for t in trials:
        other = "right" if t.heard_side == "left" else "left"
        assert s.record(t.trial_id, t.heard_side, rater="p")["outcome"] == "positive"
        assert s.record(t.trial_id, other, rater="n")["outcome"] == "negative"
        assert s.record(t.trial_id, "Neither", rater="x")["outcome"] == "neither"
    assert {t.heard_side for t in trials} == {"left", "right"}
    row = s.summary().iloc[0]
    assert row["Positive"] == pytest.approx(100 / 3) and row["Negative"] == pytest.approx(100 / 3)
    assert row["n"] == 18
    per_model = s.summary(by_model=True)
    assert list(per_model["Model"]) == ["sn", "hinge"] and per_model["n"].sum() == 18


# ---------------------------------------------------------------- rating study

def test_rating_summary_matches_hand_values(tmp_path):
    trials = st.make_rating_trials(rating_items(2), 0)
    s = st.Study(trials, tmp_path / "r.csv")
    scores = {"sn": [1, 2], "hinge": [3, 3], "projection": [2, 5], "acgan": [4, 5]}
    left = {m: list(v) for m, v in scores.items()}
    for t in trials:
        s.record(t.trial_id, left[t.model].pop(), rater="ann")
    s.record(trials[0].trial_id, 5, rater="bob")   # a second rater adds one rating
    extra = trials[0].model
    scores[extra] = scores[extra] + [5]
    table = s.summary()
    assert list(table.columns) == ["Model", "Mean score", "Std", "n"]
    assert list(table["Model"]) == MODELS           # the order the items were given in
    for _, row in table.iterrows():
        v = scores[row["Model"]]
        assert row["Mean score"] == pytest.approx(sum(v) / len(v))
        assert row["Std"] == pytest.approx(np.std(v, ddof=1))
        assert row["n"] == len(v)


def test_scripted_rating_rule(tmp_path):
    assert [st.rating_from_probability(p) for p in (0.0, 0.12, 0.125, 0.5, 0.7, 0.875, 1.0)] == [1, 1, 2, 3, 4, 5, 5]
    s = st.Study(st.make_rating_trials(rating_items(2), 0), tmp_path / "r.csv")
    st.scripted_rater(s, judge_for("right"))   # p = 0.9 everywhere -> 5
    assert (s.summary()["Mean score"] == 5).all()


def test_invalid_answers(tmp_path):
    r = st.Study(st.make_rating_trials(rating_items(1), 0), tmp_path / "r.csv")
    for bad in (0, 6, 2.5, "good", True):
        with pytest.raises(ValueError, match=r"rating-000.*\[1, 2, 3, 4, 5\]"):
            r.record("rating-000", bad)
    with pytest.raises(ValueError, match="unknown trial 'rating-999'"):
        r.record("rating-999", 3)
    c = st.Study(st.make_choice_trials(choice_items(2), 0), tmp_path / "c.csv")
    with pytest.raises(ValueError, match=r"choice-001.*'left', 'right', 'neither'"):
        c.record("choice-001", "both")
    with pytest.raises(ValueError, match="choice-001"):
        c.record("choice-001", 1)
    assert not (tmp_path / "r.csv").exists() and not (tmp_path / "c.csv").exists()


# ---------------------------------------------------------------- CSV log

def test_csv_log_resume_and_replace(tmp_path):
    path = tmp_path / "results" / "study_rating.csv"
    items = rating_items(2)
    s = st.Study(st.make_rating_trials(items, 7), path)
    ids = [t.trial_id for t in s.trials]
    for k, tid in enumerate(ids):
        s.record(tid, 1 + k % 5, rater="ann")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(ids)
    assert list(rows[0]) == st.CSV_COLUMNS
    assert {"timestamp", "rater", "trial_id", "model", "sound_id", "answer"} <= set(rows[0])
    before = s.summary()

    again = st.Study(st.make_rating_trials(items, 7), path)      # resume
    pd.testing.assert_frame_equal(again.summary(), before)
    assert again.pending("ann") == [] and len(again.pending("bob")) == len(ids)

    t0 = again.by_id[ids[0]]
    old = 1
    again.record(ids[0], 5, rater="ann")                         # replace
    with open(path, newline="") as f:
        assert len(list(csv.DictReader(f))) == len(ids) + 1      # one header, one row per answer
    assert len(again.answers()) == len(ids)
    after = again.summary().set_index("Model")
    n_model = before.set_index("Model").loc[t0.model, "n"]
    assert after.loc[t0.model, "n"] == n_model
    assert after.loc[t0.model, "Mean score"] == pytest.approx(
        before.set_index("Model").loc[t0.model, "Mean score"] + (5 - old) / n_model)
    third = st.Study(st.make_rating_trials(items, 7), path)     # the replacement survives reloading
    pd.testing.assert_frame_equal(third.summary(), again.summary())


def test_csv_from_other_seed_rejected(tmp_path):
    path = tmp_path / "c.csv"
    items = choice_items(6)
    s = st.Study(st.make_choice_trials(items, 0), path)
    st.scripted_rater(s, judge_for("right"))
    assert s.answers()["outcome"].eq("positive").all()
    with pytest.raises(ValueError, match="c.csv.*does not match"):
        st.Study(st.make_choice_trials(items, 5), path)
    with pytest.raises(ValueError, match="c.csv"):
        st.Study(st.make_rating_trials(rating_items(2), 0), path)


# ---------------------------------------------------------------- widget

def test_run_widget_headless(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("S2I_HEADLESS", "1")
    s = st.Study(st.make_choice_trials(choice_items(3), 0), tmp_path / "c.csv")
    assert st.run_widget(s, sample_rate=8000) is None
    out = capsys.readouterr().out
    assert "3 trials" in out and "scripted_rater" in out


def test_run_widget_clicks(tmp_path, monkeypatch):
    W = pytest.importorskip("ipywidgets")
    pytest.importorskip("IPython")
    monkeypatch.delenv("S2I_HEADLESS", raising=False)
    s = st.Study(st.make_rating_trials(rating_items(1), 0), tmp_path / "r.csv")
    box = st.run_widget(s, sample_rate=8000, rater="ann", show=False)
    buttons = [w for row in box.children if isinstance(row, W.HBox) for w in row.children
               if isinstance(w, W.Button)]
    assert [b.description for b in buttons] == ["1", "2", "3", "4", "5"]
    for _ in s.trials:
        buttons[3].click()
    assert s.pending("ann") == [] and (s.summary()["Mean score"] == 4).all()
    assert all(b.disabled for b in buttons)
