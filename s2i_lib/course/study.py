"""Human evaluation of generated images: the two studies of Wan et al. (2019).

Wan, Chuang & Lee (2019), "Towards Audio to Scene Image Synthesis using Generative
Adversarial Network" (IEEE ICASSP; :func:`s2i_lib.course.references.reference`
``("wan2019")``), judged their generators with people as well as with numbers:

- **Rating study (their Table 5).**  A rater hears a test sound, sees the image a model
  generated from it and gives a score from 1 (unreal, or unrelated to the sound) to 5
  (real and clearly related).  The table reports one mean score per model.
- **Correlation test (their Table 6).**  A rater hears a test sound and sees two images
  side by side: one generated from the sound they heard, one generated from a sound of
  another class, in random order.  They pick the image that goes with the sound, or
  "neither".  The table reports the percentages Positive (heard image chosen), Negative
  (other image chosen) and Neither.

This module holds both as plain data: :func:`make_rating_trials` and
:func:`make_choice_trials` shuffle the material with a seed (so the rater cannot tell
which model made an image, and the order is reproducible), :class:`Study` records the
answers -- each one appended to a CSV at once, so a crash or a closed browser loses
nothing and a new :class:`Study` on the same file resumes -- and
:meth:`Study.summary` prints the paper's table layout.  :func:`run_widget` is the
ipywidgets front end for a class; :func:`scripted_rater` answers automatically with an
image classifier, which is also the automated correlation test of the course (headless
runs use it so that every cell executes).  Numbers from a scripted rater measure the
classifier's judgement, not people's: never put them next to the paper's.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

__all__ = ["RatingTrial", "ChoiceTrial", "make_rating_trials", "make_choice_trials", "Study",
           "scripted_rater", "run_widget", "CSV_COLUMNS", "RATING_ANSWERS", "CHOICE_ANSWERS"]

RATING_ANSWERS = (1, 2, 3, 4, 5)
CHOICE_ANSWERS = ("left", "right", "neither")
CSV_COLUMNS = ["timestamp", "rater", "kind", "trial_id", "model", "sound_id", "label", "other_label",
               "heard_side", "answer", "outcome"]


@dataclass
class RatingTrial:
    """One sound and the image one model generated from it (Table 5)."""
    trial_id: str
    model: str
    sound_id: str
    wav: np.ndarray
    image: np.ndarray
    label: object = None        # class of the sound; only the scripted rater needs it
    source_index: int = 0       # position in the items given, to order the summary


@dataclass
class ChoiceTrial:
    """One sound, the image generated from it and one from another class (Table 6)."""
    trial_id: str
    sound_id: str
    wav: np.ndarray
    label: object
    other_label: object
    left: np.ndarray
    right: np.ndarray
    heard_side: str             # "left" or "right": where the image of the heard sound is
    model: str = ""
    source_index: int = 0

    @property
    def heard_image(self) -> np.ndarray:
        return self.left if self.heard_side == "left" else self.right

    @property
    def other_image(self) -> np.ndarray:
        return self.right if self.heard_side == "left" else self.left


Trial = Union[RatingTrial, ChoiceTrial]


def _check_item(item: Mapping, i: int, keys: Sequence[str], image_keys: Sequence[str]) -> None:
    missing = [k for k in keys if k not in item]
    if missing:
        raise ValueError(f"item {i} (sound_id={item.get('sound_id')!r}) lacks {missing}")
    if np.ndim(item["wav"]) != 1:
        raise ValueError(f"item {i} (sound_id={item['sound_id']!r}): wav must be 1-D, got shape "
                         f"{np.shape(item['wav'])}")
    for k in image_keys:
        shape = np.shape(item[k])
        if len(shape) != 3 or shape[2] != 3:
            raise ValueError(f"item {i} (sound_id={item['sound_id']!r}): {k} must be HxWx3, got {shape}")


def _ids(prefix: str, n: int) -> List[str]:
    width = max(3, len(str(n)))
    return [f"{prefix}-{k:0{width}d}" for k in range(n)]


def make_rating_trials(items: Sequence[Mapping], seed: int) -> List[RatingTrial]:
    """Trials of the rating study in a seeded random order, so models are interleaved.

    ``items``: dicts with ``model``, ``sound_id``, ``wav`` (1-D) and ``image`` (HxWx3),
    optionally ``label``.  Trial ids (``rating-000``, ...) follow the presentation order
    and say nothing about the model; the same items and seed give the same trials."""
    for i, it in enumerate(items):
        _check_item(it, i, ("model", "sound_id", "wav", "image"), ("image",))
    order = np.random.default_rng(seed).permutation(len(items))
    return [RatingTrial(tid, str(items[i]["model"]), str(items[i]["sound_id"]), np.asarray(items[i]["wav"]),
                        np.asarray(items[i]["image"]), items[i].get("label"), int(i))
            for tid, i in zip(_ids("rating", len(items)), order)]


def make_choice_trials(items: Sequence[Mapping], seed: int) -> List[ChoiceTrial]:
    """Trials of the correlation test in a seeded random order.

    ``items``: dicts with ``sound_id``, ``wav``, ``label``, ``image_heard`` (generated from
    this sound), ``image_other`` (generated from a sound of class ``other_label``) and
    optionally ``model``.  The heard image goes left in exactly half of the trials
    (one more on one side when the count is odd), the sides shuffled with the seed."""
    keys = ("sound_id", "wav", "label", "image_heard", "image_other", "other_label")
    for i, it in enumerate(items):
        _check_item(it, i, keys, ("image_heard", "image_other"))
    n = len(items)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    sides = np.array(["left"] * (n // 2) + ["right"] * (n // 2) + list(rng.choice(CHOICE_ANSWERS[:2], n % 2)))
    sides = rng.permutation(sides)
    trials = []
    for tid, i, side in zip(_ids("choice", n), order, sides):
        it = items[i]
        heard, other = np.asarray(it["image_heard"]), np.asarray(it["image_other"])
        left, right = (heard, other) if side == "left" else (other, heard)
        trials.append(ChoiceTrial(tid, str(it["sound_id"]), np.asarray(it["wav"]), it["label"],
                                  it["other_label"], left, right, str(side), str(it.get("model", "")), int(i)))
    return trials


class Study:
    """Trials of one study plus the answers given so far, logged to ``csv_path``.

    The CSV (columns :data:`CSV_COLUMNS`) is an append-only log: every call of
    :meth:`record` adds one row and flushes it to disk.  When a rater answers a trial
    again, a new row is appended and the latest row wins, here and on reloading.
    Constructing a Study on an existing file loads its answers (resume); rows that do not
    match the trials (other items or another seed) raise ``ValueError``."""

    def __init__(self, trials: Sequence[Trial], csv_path: Union[str, Path]):
        if not trials:
            raise ValueError("a study needs at least one trial")
        kinds = {type(t) for t in trials}
        if len(kinds) != 1 or kinds.pop() not in (RatingTrial, ChoiceTrial):
            raise ValueError("trials must be all RatingTrial or all ChoiceTrial")
        self.kind = "rating" if isinstance(trials[0], RatingTrial) else "choice"
        self.trials = list(trials)
        self.by_id: Dict[str, Trial] = {t.trial_id: t for t in self.trials}
        if len(self.by_id) != len(self.trials):
            raise ValueError("trial ids are not unique")
        self.csv_path = Path(csv_path)
        self._answers: Dict[tuple, dict] = {}
        if self.csv_path.exists() and self.csv_path.stat().st_size > 0:
            self._load()

    def _load(self) -> None:
        with open(self.csv_path, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != CSV_COLUMNS:
                raise ValueError(f"{self.csv_path}: header {reader.fieldnames} is not {CSV_COLUMNS}")
            for line, row in enumerate(reader, start=2):
                t = self.by_id.get(row["trial_id"])
                if (row["kind"] != self.kind or t is None or row["model"] != t.model
                        or row["sound_id"] != t.sound_id):
                    raise ValueError(f"{self.csv_path}, line {line}: answer to {row['kind']} trial "
                                     f"{row['trial_id']!r} ({row['model']}, {row['sound_id']}) does not match "
                                     f"this study's trials (other items or another seed?)")
                try:
                    row["answer"] = self._validate(t.trial_id, row["answer"])
                except ValueError as e:
                    raise ValueError(f"{self.csv_path}, line {line}: {e}") from None
                self._answers[(row["rater"], row["trial_id"])] = row

    def _validate(self, trial_id: str, answer) -> Union[int, str]:
        if self.kind == "rating":
            if isinstance(answer, str) and answer.strip().isdigit():
                answer = int(answer)
            if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool) and answer in RATING_ANSWERS:
                return int(answer)
            allowed = RATING_ANSWERS
        else:
            if isinstance(answer, str) and answer.strip().lower() in CHOICE_ANSWERS:
                return answer.strip().lower()
            allowed = CHOICE_ANSWERS
        raise ValueError(f"trial {trial_id!r}: answer {answer!r} is not one of {list(allowed)}")

    def record(self, trial_id: str, answer, rater: str = "anonymous") -> dict:
        """Store ``answer`` (1..5, or "left"/"right"/"neither") and append it to the CSV."""
        if trial_id not in self.by_id:
            raise ValueError(f"unknown trial {trial_id!r} in {self.kind} study ({len(self.trials)} trials)")
        answer = self._validate(trial_id, answer)
        rater = str(rater).strip()
        if not rater:
            raise ValueError(f"trial {trial_id!r}: the rater name is empty")
        t = self.by_id[trial_id]
        row = dict.fromkeys(CSV_COLUMNS, "")
        row.update(timestamp=datetime.now(timezone.utc).isoformat(timespec="seconds"), rater=rater,
                   kind=self.kind, trial_id=trial_id, model=t.model, sound_id=t.sound_id, answer=answer)
        if t.label is not None:
            row["label"] = t.label
        if isinstance(t, ChoiceTrial):
            row.update(other_label=t.other_label, heard_side=t.heard_side,
                       outcome="neither" if answer == "neither" else
                       "positive" if answer == t.heard_side else "negative")
        self.csv_path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.csv_path.exists() or self.csv_path.stat().st_size == 0
        with open(self.csv_path, "a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
            if new:
                writer.writeheader()
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
        self._answers[(rater, trial_id)] = row
        return row

    def answers(self) -> pd.DataFrame:
        """The current answers (the latest per rater and trial), one row each."""
        return pd.DataFrame(list(self._answers.values()), columns=CSV_COLUMNS)

    def pending(self, rater: str) -> List[Trial]:
        """Trials ``rater`` has not answered yet, in presentation order."""
        return [t for t in self.trials if (str(rater).strip(), t.trial_id) not in self._answers]

    def summary(self, by_model: bool = False) -> pd.DataFrame:
        """Rating: one row per model with "Mean score", "Std" (over all ratings) and "n"
        (Table 5).  Choice: one row of percentages "Positive", "Negative", "Neither" and
        "n" (Table 6); ``by_model=True`` gives one such row per model."""
        df = self.answers()
        first: Dict[str, int] = {}
        for t in sorted(self.trials, key=lambda t: t.source_index):
            first.setdefault(t.model, len(first))
        if self.kind == "rating":
            rows = []
            for model in first:
                s = df.loc[df["model"] == model, "answer"].astype(float)
                rows.append({"Model": model, "Mean score": s.mean() if len(s) else np.nan,
                             "Std": s.std(ddof=1) if len(s) > 1 else np.nan, "n": len(s)})
            return pd.DataFrame(rows, columns=["Model", "Mean score", "Std", "n"])
        groups = [(m, df[df["model"] == m]) for m in first] if by_model else [("all", df)]
        rows = []
        for model, g in groups:
            n = len(g)
            pct = {k.capitalize(): 100.0 * (g["outcome"] == k).sum() / n if n else np.nan
                   for k in ("positive", "negative", "neither")}
            rows.append({"Model": model, **pct, "n": n})
        out = pd.DataFrame(rows, columns=["Model", "Positive", "Negative", "Neither", "n"])
        return out if by_model else out.drop(columns="Model")


def rating_from_probability(p: float) -> int:
    """1 + 4p rounded half up: p < .125 -> 1, < .375 -> 2, < .625 -> 3, < .875 -> 4, else 5."""
    return int(np.clip(1 + np.floor(4 * float(p) + 0.5), 1, 5))


def scripted_rater(study: Study, judge: Callable[[np.ndarray], np.ndarray], rater: str = "classifier",
                   class_index: Optional[Union[Mapping, Callable]] = None, threshold: Optional[float] = None,
                   only_pending: bool = True) -> Dict[str, Union[int, str]]:
    """Answer the trials of ``study`` with an image classifier and record the answers.

    ``judge(image)`` returns class probabilities (1-D, summing to 1).  The class of the
    heard sound is ``class_index[label]`` (mapping or callable) or the label itself when
    ``class_index`` is None.  With ``p`` the judged probability of that class:

    - choice trials: the side whose image has the larger ``p``; "neither" when both are
      below ``threshold`` (default ``1 / number of classes``, i.e. no image is judged
      above chance to show the heard class) or when they are exactly equal;
    - rating trials: :func:`rating_from_probability` -- 1 + 4p rounded half up.

    This is the automated correlation test: a Positive share near 100 % means the
    classifier finds the heard class in the image made from the sound.  Returns
    ``{trial_id: answer}`` for the trials answered (those ``rater`` has not answered
    yet, or all with ``only_pending=False``)."""
    def index_of(t: Trial) -> int:
        if t.label is None:
            raise ValueError(f"trial {t.trial_id!r} has no label: the scripted rater needs the sound's class")
        if class_index is None:
            if not isinstance(t.label, (int, np.integer)):
                raise ValueError(f"trial {t.trial_id!r}: label {t.label!r} is not a class index; pass class_index")
            return int(t.label)
        return int(class_index(t.label) if callable(class_index) else class_index[t.label])

    def prob(image: np.ndarray, k: int) -> tuple:
        probs = np.asarray(judge(image), dtype=float).ravel()
        return float(probs[k]), len(probs)

    done = {}
    for t in (study.pending(rater) if only_pending else study.trials):
        k = index_of(t)
        if isinstance(t, RatingTrial):
            answer: Union[int, str] = rating_from_probability(prob(t.image, k)[0])
        else:
            (pl, c), (pr, _) = prob(t.left, k), prob(t.right, k)
            thr = 1.0 / c if threshold is None else threshold
            answer = "neither" if (max(pl, pr) < thr or pl == pr) else ("left" if pl > pr else "right")
        study.record(t.trial_id, answer, rater=rater)
        done[t.trial_id] = answer
    return done


def _png(image: np.ndarray) -> bytes:
    import matplotlib.pyplot as plt
    img = np.asarray(image)
    img = img.astype(np.uint8) if img.dtype == np.uint8 else np.clip(img.astype(float), 0.0, 1.0)
    buf = io.BytesIO()
    plt.imsave(buf, img, format="png")
    return buf.getvalue()


def run_widget(study: Study, sample_rate: int, rater: str = "", show: bool = True, width: int = 256):
    """Rate the trials of ``study`` in JupyterLab: trial k of n, the sound, the image(s),
    answer buttons and a rater-name box; each answer is recorded and the next trial the
    rater has not answered is shown; at the end the summary appears.

    Headless (``S2I_HEADLESS`` set) or without ipywidgets it prints a one-line
    description and returns None.  Otherwise the widget is displayed (``show=True``,
    returns None) or returned (``show=False``)."""
    from .progress import headless
    try:
        if headless():
            raise ImportError
        import ipywidgets as W
        from IPython.display import Audio, display
    except ImportError:
        print(f"{study.kind} study: {len(study.trials)} trials, {len(study.answers())} answers in "
              f"{study.csv_path}; run in JupyterLab to rate, or drive with scripted_rater()")
        return None

    header, status = W.HTML(), W.Label()
    name = W.Text(value=rater, description="Rater:", placeholder="your name", continuous_update=False)
    audio, result = W.Output(), W.Output()
    images = W.HBox()
    labels = [str(a) for a in RATING_ANSWERS] if study.kind == "rating" else [a.capitalize() for a in CHOICE_ANSWERS]
    buttons = [W.Button(description=lab, layout=W.Layout(width="80px")) for lab in labels]
    current: Dict[str, Optional[Trial]] = {"trial": None}

    def show_trial(*_):
        todo = study.pending(name.value) if name.value.strip() else study.trials
        audio.clear_output()
        result.clear_output()
        if not todo:
            current["trial"] = None
            header.value, images.children = "<b>All trials answered. Thank you!</b>", ()
            for b in buttons:
                b.disabled = True
            with result:
                display(study.summary())
            return
        t = current["trial"] = todo[0]
        k = study.trials.index(t) + 1
        header.value = f"<b>Trial {k} of {len(study.trials)}</b> ({len(todo)} left for this rater)"
        with audio:
            display(Audio(np.clip(t.wav, -1.0, 1.0), rate=sample_rate, normalize=False))
        pics = [("", t.image)] if isinstance(t, RatingTrial) else [("Left", t.left), ("Right", t.right)]
        images.children = tuple(W.VBox([W.Image(value=_png(im), format="png", width=width), W.Label(cap)])
                                for cap, im in pics)
        for b in buttons:
            b.disabled = False

    def on_click(button):
        t = current["trial"]
        if t is None:
            return
        if not name.value.strip():
            status.value = "Please type your name in the Rater box first."
            return
        answer = int(button.description) if study.kind == "rating" else button.description.lower()
        study.record(t.trial_id, answer, rater=name.value)
        status.value = f"Recorded {answer} for trial {study.trials.index(t) + 1}."
        show_trial()

    for b in buttons:
        b.on_click(on_click)
    name.observe(show_trial, names="value")
    question = ("How real is the image, and how well does it match the sound? 1 = unreal or unrelated, "
                "5 = real and clearly related." if study.kind == "rating" else
                "Which image goes with the sound you hear?")
    box = W.VBox([name, header, audio, images, W.Label(question), W.HBox(buttons), status, result])
    show_trial()
    if show:
        display(box)
        return None
    return box
