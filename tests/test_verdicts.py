"""The verdict rules of s2i_lib.eval.verdicts, one case per rule and per edge."""
from __future__ import annotations

import math

import numpy as np
import pytest

from s2i_lib.eval.verdicts import (PaperRow, claim_verdict, effect_over_paired_seeds, effect_over_seeds, paper_table, paper_verdict,
                                   reference_check, share_over_groups, value_over_seeds)


# ---------------------------------------------------------------- claims (DESIGN.md)

def test_claim_confirmed_contradicted_not_decided():
    assert claim_verdict(0.5, 0.2, 3).verdict == "confirmed"           # 2.5 SE, the paper's sign
    assert claim_verdict(-0.5, 0.2, 3).verdict == "contradicted"       # 2.5 SE, the other sign
    assert claim_verdict(-0.5, 0.2, 3, paper_sign=-1).verdict == "confirmed"
    assert claim_verdict(0.4, 0.2, 3).verdict == "not decided"         # exactly 2 SE is not beyond
    assert claim_verdict(0.3, 0.2, 3).verdict == "not decided"


def test_claim_seeds_to_decide():
    v = claim_verdict(0.2, 0.2, 3)  # SE falls like 1/sqrt(n): need 2 * 0.2 * sqrt(3/n) < 0.2, n > 12
    assert v.seeds_to_decide == 13 and "13 seeds" in v.reason
    assert 2 * 0.2 * math.sqrt(3 / 13) < 0.2 <= 2 * 0.2 * math.sqrt(3 / 12)
    assert claim_verdict(0.0, 0.2, 3).seeds_to_decide is None
    assert claim_verdict(0.5, 0.2, 3).seeds_to_decide is None           # already decided


def test_claim_needs_seeds():
    for se, n in ((None, 1), (0.1, 1), (float("nan"), 3)):
        v = claim_verdict(5.0, se, n)
        assert v.verdict == "not decided" and "no spread" in v.reason
    assert claim_verdict(float("nan"), 0.1, 3).verdict == "not decided"
    with pytest.raises(ValueError):
        claim_verdict(1.0, 0.1, 3, paper_sign=0)


def test_effect_and_value_over_seeds():
    d, se, n = effect_over_seeds([1.0, 1.2, 1.4], [2.0, 2.4])
    assert d == pytest.approx(2.2 - 1.2) and n == 2
    assert se == pytest.approx(math.sqrt(np.var([1.0, 1.2, 1.4], ddof=1) / 3 + np.var([2.0, 2.4], ddof=1) / 2))
    assert effect_over_seeds([3.0, 3.2], [2.0, 2.2], higher_is_better=False)[0] == pytest.approx(1.0)  # FD fell
    assert effect_over_seeds([1.0], [2.0])[1] is None
    assert value_over_seeds([1.0, float("nan"), 3.0]) == (2.0, pytest.approx(1.0), 2)
    assert value_over_seeds([4.0]) == (4.0, None, 1)


def test_share_over_groups_is_the_pooled_share_with_a_clustered_error():
    share, se, n = share_over_groups([3, 6, 0], [4, 6, 0])        # the empty group does not count
    assert share == pytest.approx(9 / 10) and n == 2 and se > 0
    assert share_over_groups([2, 4, 6], [4, 8, 12])[1] == pytest.approx(0.0)   # every group at the same share: no spread
    assert share_over_groups([1], [2])[1] is None
    with pytest.raises(ValueError, match="one entry per group"):
        share_over_groups([1, 2], [3])
    # groups whose items move together: the clustered error is close to a bootstrap over groups
    # and well above the binomial error that treats every item as independent
    rng = np.random.default_rng(0)
    p = rng.beta(2, 2, 400)                                     # each group's own rate
    totals = rng.integers(5, 15, 400)
    hits = rng.binomial(totals, p)
    share, se, n = share_over_groups(hits, totals)
    boot = [hits[i].sum() / totals[i].sum() for i in (rng.integers(0, 400, 400) for _ in range(2000))]
    assert se == pytest.approx(np.std(boot), rel=0.15)
    assert se > 1.5 * math.sqrt(share * (1 - share) / totals.sum())


# ---------------------------------------------------------------- values

def v(row):
    return paper_verdict(row)[0]


def test_value_not_comparable():
    assert v(PaperRow("IS", 7.7, 4.44, why="course judge, not Inception-v3")) == "not comparable"  # default
    verdict, reason = paper_verdict(PaperRow("IS", 7.7, 4.44, why="course judge, not Inception-v3"))
    assert "course judge" in reason
    assert v(PaperRow("share removed", 0.04, None, comparable=True)) == "not comparable"  # no paper number


def test_value_reproduced_within_2se_or_tolerance():
    assert v(PaperRow("x", 0.80, 0.75, comparable=True, ours_se=0.03, seeds=3)) == "reproduced"    # 0.05 < 0.06
    assert v(PaperRow("x", 0.80, 0.75, comparable=True, ours_se=0.02, seeds=3)) == "contradicted"  # 0.05 > 0.04
    assert v(PaperRow("x", 0.80, 0.75, comparable=True, ours_se=0.02, seeds=3, paper_se=0.02)) == "reproduced"
    assert v(PaperRow("split", 0.79, 0.80, comparable=True, tolerance=0.02)) == "reproduced"
    assert v(PaperRow("split", 0.70, 0.80, comparable=True, tolerance=0.02)) == "contradicted"
    # one seed's SE does not count as a spread over seeds
    assert v(PaperRow("x", 0.80, 0.75, comparable=True, ours_se=0.5, seeds=1)) == "not decided"
    assert v(PaperRow("x", 0.80, 0.75, comparable=True)) == "not decided"  # nothing to judge a match by
    assert v(PaperRow("x", float("nan"), 0.75, comparable=True, tolerance=1)) == "not decided"


def test_value_bounds():
    assert v(PaperRow("acc", 0.96, 0.95, comparable=True, bound=">")) == "reproduced"
    assert v(PaperRow("acc", 0.60, 0.95, comparable=True, bound=">")) == "contradicted"
    assert v(PaperRow("acc", 0.94, 0.95, comparable=True, bound=">", tolerance=0.02)) == "reproduced"
    assert v(PaperRow("err", 0.10, 0.05, comparable=True, bound="<")) == "contradicted"
    with pytest.raises(ValueError):
        PaperRow("acc", 0.9, 0.95, bound=">=")


# ---------------------------------------------------------------- effects

def test_effect_rules():
    # the paper: C beats N by 0.63; ours by 0.08 +- 0.02 over 3 seeds on another judge
    row = dict(quantity="C - N", paper=0.63, effect=True, seeds=3)
    assert v(PaperRow(ours=0.08, ours_se=0.02, **row)) == "direction only"
    assert v(PaperRow(ours=-0.08, ours_se=0.02, **row)) == "contradicted"
    assert v(PaperRow(ours=0.03, ours_se=0.02, **row)) == "not decided"
    assert v(PaperRow(ours=0.08, ours_se=None, **{**row, "seeds": 1})) == "not decided"
    # comparable and of the paper's size: reproduced; comparable but far smaller: direction only
    assert v(PaperRow(ours=0.60, ours_se=0.02, comparable=True, **row)) == "reproduced"
    verdict, reason = paper_verdict(PaperRow(ours=0.20, ours_se=0.02, comparable=True, **row))
    assert verdict == "direction only" and "size" in reason
    # a direction without a number, and no direction at all
    assert v(PaperRow("louder, bigger", 0.01, None, effect=True, sign=1, ours_se=0.002, seeds=3)) == "direction only"
    assert v(PaperRow("louder, bigger", -0.01, None, effect=True, sign=1, ours_se=0.002, seeds=3)) == "contradicted"
    assert v(PaperRow("no claim", 0.01, None, effect=True, ours_se=0.002, seeds=3)) == "not comparable"
    assert v(PaperRow("tie", 0.3, 0.0, effect=True, ours_se=0.01, seeds=3)) == "not comparable"


def test_not_decided_says_how_many_seeds():
    verdict, reason = paper_verdict(PaperRow("d - c", 0.1, 0.24, effect=True, ours_se=0.1, seeds=3))
    assert verdict == "not decided" and "13 seeds" in reason


# ---------------------------------------------------------------- the table

def test_paper_table_two_separate_columns():
    metrics = {"s2ic_acc": 0.26, "s2in_acc": 0.21, "pairs": 3709, "label": "x"}
    reference = {"s2ic_acc": {"value": 0.26, "tol": 0.03}, "s2in_acc": {"value": 0.30, "tol": 0.03},
                 "label": {"value": "x"}}
    rows = [PaperRow("S2I-C test accuracy", 0.26, 0.7556, source="Chen et al. 2017, Table 5", keys=["s2ic_acc"],
                     why="course judge on SynthAV"),
            PaperRow("S2I-C minus S2I-N", 0.05, 0.6324, effect=True, keys=["s2ic_acc", "s2in_acc"]),
            PaperRow("pairs", 3709, 17555, keys="pairs"),
            PaperRow("a label", None, None, keys=("label",))]
    t = paper_table(rows, metrics=metrics, reference=reference)
    assert list(t.columns) == ["paper", "this run", "matches the course reference", "verdict vs. paper", "reason"]
    # the Chen et al. row matches the rerun reference AND is not comparable with the paper: two columns
    assert t.loc["S2I-C test accuracy", "matches the course reference"] == "yes"
    assert t.loc["S2I-C test accuracy", "verdict vs. paper"] == "not comparable"
    assert t.loc["S2I-C test accuracy", "paper"] == "0.7556 (Chen et al. 2017, Table 5)"
    assert t.loc["S2I-C minus S2I-N", "matches the course reference"] == "NO (s2in_acc)"
    assert t.loc["S2I-C minus S2I-N", "this run"] == "+0.05"
    assert t.loc["pairs", "matches the course reference"] == "no reference"
    assert t.loc["a label", "matches the course reference"] == "yes"  # non-numeric: equality
    with pytest.raises(KeyError, match="nope"):
        paper_table([PaperRow("x", 1.0, keys=["nope"])], metrics=metrics, reference=reference)


def test_paper_table_reads_the_run_reference_for_seed_0_only():
    class FakeRun:
        seed = 0

        def reference(self):
            return {"m": {"value": 1.0, "tol": 0.1}}
    rows = [PaperRow("m", 1.05, 2.0, keys=["m"])]
    assert paper_table(rows, FakeRun(), metrics={"m": 1.05}).iloc[0]["matches the course reference"] == "yes"
    FakeRun.seed = 1
    assert paper_table(rows, FakeRun(), metrics={"m": 1.05}).iloc[0]["matches the course reference"] == "no reference"


def test_reference_check():
    t = reference_check({"a": 1.0, "b": 2.0, "c": "text", "d": 5}, {"a": {"value": 1.004, "tol": 0.01},
                                                               "b": {"value": 2.5, "tol": 0.1}, "c": {"value": "text"}})
    assert list(t["matches the course reference"]) == ["yes", "NO", "yes", "no reference"]


def test_tables_show_reasons_in_full():
    long = "a reason of more than fifty characters, which pandas would cut in a notebook"
    t = paper_table([PaperRow("x", 1.0, 2.0, why=long)])
    assert long in t._repr_html_() and long in repr(t)
    assert type(t.loc[["x"]]).__name__ == "VerdictTable"


def test_effects_within_the_resolution_are_not_decided():
    # a degenerate run: every score 1.0 up to float noise, with a tiny spread over seeds
    assert claim_verdict(2e-7, 3e-8, 2).verdict == "confirmed"
    c = claim_verdict(2e-7, 3e-8, 2, resolution=0.01)
    assert c.verdict == "not decided" and "resolution" in c.reason
    assert v(PaperRow("step", 2e-7, 0.79, effect=True, ours_se=3e-8, seeds=2, resolution=0.01)) == "not decided"
    assert claim_verdict(0.05, 1.0, 3).reason.endswith("more than 1000 seeds would be needed")


def test_paired_seeds_remove_what_the_seed_moves_in_both_runs():
    seed_effect = {0: 0.0, 1: 0.3, 2: -0.2, 3: 0.5}                 # what seed s does to any rung
    a = {s: 1.0 + v for s, v in seed_effect.items()}
    b = {s: 1.1 + v + 0.01 * (-1) ** s for s, v in seed_effect.items()}   # B is 0.1 better, seed by seed
    d, se, n = effect_over_paired_seeds(a, b)
    assert d == pytest.approx(0.1) and n == 4 and se < 0.01
    _, se_unpaired, _ = effect_over_seeds(list(a.values()), list(b.values()))
    assert se_unpaired > 10 * se                                         # unpaired, the seed spread swamps it
    assert claim_verdict(d, se, n, paper_sign=1).verdict == "confirmed"
    assert claim_verdict(*effect_over_seeds(list(a.values()), list(b.values())), paper_sign=1).verdict == "not decided"
    # only the seeds both have count; lower-is-better flips the sign; one common seed has no error
    d2, se2, n2 = effect_over_paired_seeds({0: 3.0, 1: 2.0, 7: 9.0}, {0: 2.5, 1: 1.0}, higher_is_better=False)
    assert (d2, n2) == (pytest.approx(0.75), 2) and se2 == pytest.approx(0.25)
    assert effect_over_paired_seeds({0: 1.0}, {0: 2.0})[1] is None
    assert effect_over_paired_seeds({0: 1.0}, {1: 2.0})[2] == 0
