"""The reproduction report: claims written by the notebooks' tables, gathered with the
report's verdicts; the rerun check against a reference; REPORT.md; bad input named."""
import json

import pytest

from s2i_lib.course import report, runs
from s2i_lib.eval.verdicts import PaperRow, paper_table


def _notebook(tmp_path, name, rows, metrics):
    run = runs.start(name, profile="smoke", results_dir=tmp_path, data_dir=tmp_path / "data", quiet=True)
    run.write_metrics(metrics)
    paper_table(rows, run, metrics, reference={})
    return run


ROWS = [
    PaperRow("an effect with the paper's sign", 3.0, 40.0, ours_se=0.5, seeds=3, effect=True, source="Wan et al. 2019, Table 4"),
    PaperRow("an effect against it", -3.0, None, sign=1, ours_se=0.5, seeds=3, effect=True, source="Wan et al. 2019, Table 2"),
    PaperRow("an effect within 2 SE", 0.4, None, sign=1, ours_se=0.5, seeds=3, effect=True, source="Wan et al. 2019"),
    PaperRow("a value on another scale", 5.1, 4.01, source="Sung-Bin et al. 2023, Fig. 3 table", why="judge vs CLIP"),
]


def test_claims_are_gathered_with_the_reports_verdicts(tmp_path):
    _notebook(tmp_path, "04_fake", ROWS, {"x": 1.0})
    c = report.claims(tmp_path, "smoke")
    assert list(c["claim"]) == [r.quantity for r in ROWS] and set(c["notebook"]) == {"04_fake"}
    assert list(c["verdict"]) == ["reproduced", "contradicted", "not decided", "not applicable here"]
    assert "direction only" in c["table verdict"].iloc[0]
    assert c["ours_se"].iloc[0] == 0.5 and c["seeds"].iloc[0] == 3 and c["source"].iloc[3].startswith("Sung-Bin")
    assert all("\n" not in r for r in c["reason"])


def test_reference_summary_counts_what_reproduced(tmp_path, monkeypatch):
    _notebook(tmp_path, "04_fake", ROWS[:1], {"acc": 0.50, "fd": 30.0, "new": 1.0})
    monkeypatch.setattr(report, "_reference", lambda profile: {"04_fake": {"acc": {"value": 0.51, "tol": 0.02},
                                                                          "fd": {"value": 20.0, "tol": 1.0}}})
    r = report.reference_summary(tmp_path, "smoke").set_index("notebook").loc["04_fake"]
    assert (r["metrics"], r["with a reference"], r["reproduced"], r["not reproduced"]) == (3, 2, 1, "fd")


def test_another_seed_is_not_checked_against_the_seed_0_reference(tmp_path, monkeypatch):
    run = runs.start("04_fake", profile="smoke", seed=1, results_dir=tmp_path, data_dir=tmp_path / "data", quiet=True)
    run.write_metrics({"acc": 0.9})
    monkeypatch.setattr(report, "_reference", lambda profile: {"04_fake": {"acc": {"value": 0.1, "tol": 0.01}}})
    r = report.reference_summary(tmp_path, "smoke").iloc[0]
    assert (r["seed"], r["with a reference"], r["not reproduced"]) == (1, 0, "-")


def test_write_report_holds_every_claim_and_the_counts(tmp_path):
    _notebook(tmp_path, "04_fake", ROWS, {"x": 1.0})
    _notebook(tmp_path, "06_fake", ROWS[3:], {"y": 2.0})
    text = report.write_report(tmp_path, "smoke").read_text()
    assert text.startswith("# Reproduction report, profile smoke")
    assert "reproduced 1, contradicted 1, not decided 1, not applicable here 2 (of 5 claims)" in text
    assert all(r.quantity in text for r in ROWS) and "| 06_fake |" in text


def test_a_run_without_metrics_and_a_broken_file_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no metrics of any notebook"):
        report.write_report(tmp_path, "smoke")
    bad = tmp_path / "smoke" / "metrics" / "05_x.claims.json"
    bad.parent.mkdir(parents=True)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="05_x.claims.json: not valid JSON"):
        report.claims(tmp_path, "smoke")
    with pytest.raises(ValueError, match="unknown verdict"):
        report.report_verdict("maybe")
