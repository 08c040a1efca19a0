"""The reproduction report: every notebook's claims and metrics of one run, in one place.

Each notebook's "paper vs. here" table (:func:`s2i_lib.eval.verdicts.paper_table`) writes
its rows to ``results/<profile>/metrics/<notebook>.claims.json`` and its metrics to
``<notebook>.json``.  This module gathers them:

- :func:`claims`     one row per claim: notebook, claim, paper, here, the report's verdict
  (:data:`REPORT_VERDICTS`) and the reason in one line;
- :func:`reference_summary` per notebook, how many of its metrics reproduced the committed
  course reference (``results/reference/<profile>.json``) within tolerance, and which did not;
- :func:`write_report` ``results/<profile>/REPORT.md`` with both tables and the run times
  (``make reproduce`` ends with it; the report notebook shows the same tables and a figure
  per paper).

The verdicts of the notebooks' tables map to the report's four words: "reproduced" (a
number within the paper's margin, or an effect with the paper's sign beyond two standard
errors whose size is not comparable: the reason then says "direction only"),
"contradicted", "not decided" and "not applicable here" (the paper gives no number or
direction for it, or its scale is not ours: every score here comes from the course's
stand-in extractors, not Inception or CLIP).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional

import pandas as pd

from ..cache import write_text
from .runs import repo_root, resolve

__all__ = ["REPORT_VERDICTS", "report_verdict", "claims", "reference_summary", "run_times", "write_report"]

REPORT_VERDICTS = ("reproduced", "contradicted", "not decided", "not applicable here")
_FROM_TABLE = {"reproduced": "reproduced", "direction only": "reproduced", "contradicted": "contradicted",
               "not decided": "not decided", "not comparable": "not applicable here"}


def report_verdict(table_verdict: str) -> str:
    """The report's word for a verdict of a notebook's table
    (:data:`s2i_lib.eval.verdicts.VERDICTS`)."""
    try:
        return _FROM_TABLE[table_verdict]
    except KeyError:
        raise ValueError(f"unknown verdict {table_verdict!r}; a notebook's table gives one of {sorted(_FROM_TABLE)}") from None


def _metrics_dir(results_dir, profile: str) -> Path:
    return resolve(results_dir) / profile / "metrics"


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e})") from None


def _one_line(text: str, width: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[:width - 1] + "…"


def claims(results_dir="results", profile: str = "course") -> pd.DataFrame:
    """Every claim of every notebook of a run, in notebook order: ``notebook``, ``claim``,
    ``paper``, ``here``, ``verdict`` (the report's word), ``table verdict`` (the notebook's),
    ``reason`` (one line), the numbers behind them (``ours``, ``ours_se``, ``seeds``,
    ``paper_value``, ``effect``, ``sign``, ``comparable``) and ``source``."""
    rows: List[dict] = []
    for path in sorted(_metrics_dir(results_dir, profile).glob("*.claims.json")):
        nb = path.name[:-len(".claims.json")]
        for c in _read(path)["claims"]:
            rows.append({"notebook": nb, "claim": c["quantity"], "paper": c["paper"], "here": c["this run"],
                         "verdict": report_verdict(c["verdict vs. paper"]),
                         "table verdict": c["verdict vs. paper"],
                         "reason": _one_line(c["reason"]), **{k: c.get(k) for k in
                         ("ours", "ours_se", "seeds", "paper_value", "effect", "sign", "comparable", "source")}})
    cols = ["notebook", "claim", "paper", "here", "verdict", "table verdict", "reason", "ours", "ours_se", "seeds",
            "paper_value", "effect", "sign", "comparable", "source"]
    return pd.DataFrame(rows, columns=cols)


def _reference(profile: str) -> dict:
    p = repo_root() / "results" / "reference" / f"{profile}.json"
    return _read(p) if p.exists() else {}


def reference_summary(results_dir="results", profile: str = "course") -> pd.DataFrame:
    """Per notebook of the run: its seed, how many metrics the committed course reference
    holds for it, how many this run reproduced within their tolerance, and the names of
    those it did not (a reference exists only for seed 0; another seed is reported as not
    checked)."""
    from ..eval.verdicts import matches_reference
    ref_all, rows = _reference(profile), []
    for path in sorted(_metrics_dir(results_dir, profile).glob("*.json")):
        if path.name.endswith(".claims.json"):
            continue
        rec = _read(path)
        metrics, seed = rec.get("metrics", {}), rec.get("provenance", {}).get("seed", 0)
        ref = ref_all.get(path.stem, {}) if seed == 0 else {}
        checked = {k: matches_reference(v, ref.get(k)) for k, v in metrics.items() if k in ref}
        missed = sorted(k for k, ok in checked.items() if not ok)
        rows.append({"notebook": path.stem, "seed": seed, "metrics": len(metrics), "with a reference": len(checked),
                     "reproduced": len(checked) - len(missed), "not reproduced": ", ".join(missed) or "-"})
    return pd.DataFrame(rows, columns=["notebook", "seed", "metrics", "with a reference", "reproduced", "not reproduced"])


def run_times(results_dir="results", profile: str = "course") -> Dict[str, float]:
    """Each notebook's wall time in seconds as its metrics' provenance recorded it."""
    out = {}
    for path in sorted(_metrics_dir(results_dir, profile).glob("*.json")):
        if not path.name.endswith(".claims.json"):
            out[path.stem] = _read(path).get("provenance", {}).get("wall_seconds")
    return out


def _md_table(df: pd.DataFrame) -> str:
    def cell(v):
        return "" if v is None or (isinstance(v, float) and v != v) else str(v).replace("|", "/").replace("\n", " ")
    head = "| " + " | ".join(df.columns) + " |\n|" + "---|" * len(df.columns)
    return head + "".join("\n| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False))


def write_report(results_dir="results", profile: str = "course", out: Optional[Path] = None) -> Path:
    """``results/<profile>/REPORT.md``: the claims of every notebook with their verdicts, the
    count of each verdict, the rerun check against the course reference and the run times.
    Returns its path."""
    c, ref = claims(results_dir, profile), reference_summary(results_dir, profile)
    if c.empty and ref.empty:
        raise FileNotFoundError(f"{_metrics_dir(results_dir, profile)}: no metrics of any notebook; run the notebooks "
                                f"first (make reproduce PROFILE={profile})")
    counts = c["verdict"].value_counts().reindex(list(REPORT_VERDICTS), fill_value=0)
    times = run_times(results_dir, profile)
    lines = [f"# Reproduction report, profile {profile}", "",
             "Every claim the notebooks test, the paper's number or direction beside this run's, and the verdict. "
             "Scores here come from the course's stand-in extractors on SynthAV, so a paper's value is compared by its "
             "direction unless the scales are the same (see each reason).", "",
             "**Verdicts:** " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" (of {len(c)} claims).", "",
             "## Claims", "", _md_table(c[["notebook", "claim", "paper", "here", "verdict", "reason"]]), "",
             "## Rerun check against the course reference", "",
             f"Metrics within their tolerance of `results/reference/{profile}.json` (recorded with seed 0):", "",
             _md_table(ref), "",
             "## Wall time per notebook", "",
             _md_table(pd.DataFrame({"notebook": list(times), "seconds": [t if t is None else round(t) for t in times.values()]})),
             ""]
    path = Path(out) if out else resolve(results_dir) / profile / "REPORT.md"
    return write_text(path, "\n".join(lines))
