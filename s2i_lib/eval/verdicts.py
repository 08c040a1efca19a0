"""Verdicts: this run against the papers, and against the course's own reference numbers.

Every notebook (01-04) ends with a "paper vs. here" table built by :func:`paper_table`.
It keeps two questions apart that are easy to mix up:

1. **Does this run match the course reference?**  A rerun check: the committed numbers of
   this profile and seed (``results/reference/<profile>.json``), within their tolerance.
   It says the code and data behave as they did, nothing about the paper.
2. **What does this run say about the paper's claim?**  One of five verdicts, computed
   from the numbers and their standard errors over seeds, with the reason.

The verdict rules.  A row is either a *value* (one number, ours beside the paper's) or an
*effect* (a comparison between two of our numbers, e.g. "rung (c) minus rung (b)", whose
sign is what the paper claims).  SE is our standard error over training seeds (the
10-split spread of one run does not count: it says nothing about a rerun); when the paper
gives one, both are combined, ``sqrt(se_ours² + se_paper²)``.

- **not comparable**: the paper reports no number (or, for an effect, no direction), or
  ours is a different measure or on a different scale (another judge than Inception-v3,
  another data set, people against a classifier); the reason says what differs.
- **reproduced**: on a comparable scale, our value is within 2 SE of the paper's, or
  within a stated tolerance where SEs are not available (for a bound such as "> 0.95",
  ours meets it within that margin).  For an effect: confirmed (below) *and* of the
  paper's size within 2 SE.
- **direction only**: an effect that has the paper's sign and exceeds 2 SE, but whose
  size is not on the paper's scale (or differs from it).
- **contradicted**: a comparable value outside the margin, or an effect of the opposite
  sign beyond 2 SE.
- **not decided**: an effect within 2 SE of 0 (or within the measure's stated resolution),
  or with no SE (one seed), or a comparable
  value with neither an SE nor a tolerance to judge a match by.  The reason then says
  how many seeds would decide it, assuming the effect and the seed spread stay as measured.

:func:`claim_verdict` is the rule of DESIGN.md for a paper's claim: "confirmed" when our
effect has the paper's sign and exceeds two standard errors over seeds, "contradicted"
when the opposite holds, otherwise "not decided", with the number of seeds that would
decide it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence, Tuple

import numpy as np
import pandas as pd

__all__ = ["VERDICTS", "VerdictTable", "ClaimVerdict", "claim_verdict", "effect_over_seeds", "effect_over_paired_seeds", "value_over_seeds",
           "share_over_groups", "PaperRow", "paper_verdict", "reference_of", "reference_check", "paper_table",
           "matches_reference"]

VERDICTS = ("reproduced", "direction only", "contradicted", "not decided", "not comparable")


class VerdictTable(pd.DataFrame):
    """A ``DataFrame`` that shows its text in full (reasons are sentences: pandas would cut
    them at 50 characters in a notebook)."""

    @property
    def _constructor(self):
        return VerdictTable

    def _repr_html_(self):
        with pd.option_context("display.max_colwidth", None):
            return super()._repr_html_()

    def __repr__(self):
        with pd.option_context("display.max_colwidth", None, "display.width", 250):
            return super().__repr__()


def _missing(x) -> bool:
    return x is None or (isinstance(x, (float, np.floating)) and not np.isfinite(x))


def _fmt(x, signed: bool = False) -> str:
    if _missing(x):
        return "n/a"
    return f"{x:+.4g}" if signed else f"{x:.4g}"


# ----------------------------------------------------------------------------------------
# Claims: the rule of DESIGN.md
# ----------------------------------------------------------------------------------------

@dataclass
class ClaimVerdict:
    """``verdict`` is "confirmed", "contradicted" or "not decided"; ``seeds_to_decide`` is
    how many seeds would put the measured effect beyond 2 SE (``None`` when it cannot be
    said: no spread measured, or an effect of exactly 0)."""
    verdict: str
    effect: float
    se: Optional[float]
    n_seeds: int
    seeds_to_decide: Optional[int]
    reason: str


def claim_verdict(effect: float, se: Optional[float], n_seeds: int, paper_sign: int = 1,
                  resolution: float = 0.0) -> ClaimVerdict:
    """The verdict on a paper's claim that an effect has sign ``paper_sign`` (+1: "B is
    better than A", with ``effect`` = B - A in the direction where larger is better).

    "confirmed": ``effect`` has the paper's sign and |effect| > 2 ``se``; "contradicted":
    the opposite sign beyond 2 SE; otherwise "not decided".  ``se`` is the standard error
    over ``n_seeds`` training seeds; with fewer than two seeds there is none, and the
    claim is not decided.  The seeds that would decide it: SE falls like 1/sqrt(seeds),
    so the smallest n with 2 se sqrt(n_seeds / n) < |effect|.  An effect no larger than
    ``resolution`` (the smallest difference the measure can tell, e.g. the rounding of a
    score, or float noise in a degenerate run) is not decided, whatever its SE.
    """
    if paper_sign not in (1, -1):
        raise ValueError(f"paper_sign must be +1 or -1, got {paper_sign!r}")
    if _missing(effect):
        return ClaimVerdict("not decided", effect, se, n_seeds, None, "this run has no number for it")
    if resolution > 0 and abs(effect) <= resolution:
        return ClaimVerdict("not decided", effect, se, n_seeds, None,
                            f"{_fmt(effect, True)} is within the resolution of the measure ({_fmt(resolution)})")
    if n_seeds < 2 or _missing(se):
        return ClaimVerdict("not decided", effect, se, n_seeds, None,
                            f"{_fmt(effect, True)} from {n_seeds} seed(s): no spread over seeds to judge it by")
    if se == 0:
        verdict = "not decided" if effect == 0 else ("confirmed" if np.sign(effect) == paper_sign else "contradicted")
        return ClaimVerdict(verdict, effect, se, n_seeds, None, f"{_fmt(effect, True)}, no spread over {n_seeds} seeds")
    t = abs(effect) / se
    if t > 2:
        verdict = "confirmed" if np.sign(effect) == paper_sign else "contradicted"
        how = "the paper's sign" if verdict == "confirmed" else "the opposite sign"
        return ClaimVerdict(verdict, effect, se, n_seeds, None,
                            f"{_fmt(effect, True)} ± {_fmt(se)} ({n_seeds} seeds): {how}, {t:.1f} SE from 0")
    need = None if effect == 0 else int(math.floor(n_seeds * (2 * se / abs(effect)) ** 2)) + 1
    more = ("no effect measured" if need is None else "more than 1000 seeds would be needed" if need > 1000 else
            f"about {need} seeds would decide it if effect and spread stay")
    return ClaimVerdict("not decided", effect, se, n_seeds, need,
                        f"{_fmt(effect, True)} ± {_fmt(se)} ({n_seeds} seeds) is within 2 SE of 0; {more}")


def value_over_seeds(values) -> Tuple[float, Optional[float], int]:
    """Mean, standard error of the mean (``None`` for one value) and count of per-seed values."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return float("nan"), None, 0
    return float(v.mean()), (float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else None), int(len(v))


def effect_over_seeds(a, b, higher_is_better: bool = True) -> Tuple[float, Optional[float], int]:
    """The effect of going from A to B over seeds: mean(b) - mean(a) (negated when lower is
    better, so a positive effect is always an improvement), its standard error
    sqrt(var_a/n_a + var_b/n_b) (``None`` unless both have two or more seeds), and the
    smaller number of seeds."""
    ma, sa, na = value_over_seeds(a)
    mb, sb, nb = value_over_seeds(b)
    d = (mb - ma) * (1 if higher_is_better else -1)
    se = float(np.hypot(sa, sb)) if sa is not None and sb is not None else None
    return d, se, min(na, nb)


def effect_over_paired_seeds(a, b, higher_is_better: bool = True) -> Tuple[float, Optional[float], int]:
    """The effect of going from A to B when seed ``s`` of A and seed ``s`` of B share what the
    seed draws (initial weights, batches, noise): ``a`` and ``b`` map seed -> value, and the
    effect is the mean over the seeds both have of ``b[s] - a[s]`` (negated when lower is
    better), with the standard error of that mean (``None`` for fewer than two such seeds)
    and their number.  When the seed moves both runs the same way, the per-seed difference
    varies less than either run, and the comparison needs fewer seeds than
    :func:`effect_over_seeds`; when it does not, the two errors are about the same."""
    common = sorted(k for k in set(a) & set(b) if np.isfinite(a[k]) and np.isfinite(b[k]))
    d = np.array([b[k] - a[k] for k in common], dtype=np.float64) * (1 if higher_is_better else -1)
    if len(d) == 0:
        return float("nan"), None, 0
    return float(d.mean()), (float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else None), int(len(d))


def share_over_groups(hits, totals) -> Tuple[float, Optional[float], int]:
    """A share counted over groups (``hits[i]`` of ``totals[i]`` in group ``i``, e.g. the good
    pairs among the kept pairs of clip ``i``): sum(hits) / sum(totals), its standard error with
    the groups as the independent units (the ratio estimator's linearised variance,
    sqrt(n / (n - 1) * sum((hits_i - share * totals_i)^2)) / sum(totals); ``None`` for fewer
    than two groups), and the number of groups with a non-zero total.  Items of one group
    (pairs of one clip) share their defects, so they are not independent draws, and a binomial
    error over items would be too small."""
    h = np.asarray(hits, dtype=np.float64)
    t = np.asarray(totals, dtype=np.float64)
    if h.shape != t.shape:
        raise ValueError(f"hits and totals must have one entry per group: {h.shape} vs {t.shape}")
    keep = t > 0
    h, t = h[keep], t[keep]
    n = int(len(t))
    if n == 0:
        return float("nan"), None, 0
    share = float(h.sum() / t.sum())
    if n < 2:
        return share, None, n
    resid = h - share * t
    return share, float(np.sqrt(n / (n - 1) * (resid ** 2).sum()) / t.sum()), n


# ----------------------------------------------------------------------------------------
# Rows of a paper-vs-here table
# ----------------------------------------------------------------------------------------

@dataclass
class PaperRow:
    """One row of a "paper vs. here" table.

    - ``quantity``: what is compared, in words;
    - ``ours``: this run's number: a value, or for ``effect=True`` a difference between two
      of our numbers (positive = the direction the quantity names);
    - ``paper``: the paper's number (``None``: it gives none); ``source``: where
      (e.g. ``references.cite("chen2017") + ", Table 5"``);
    - ``ours_se`` / ``seeds``: our standard error over ``seeds`` training seeds (none for
      one seed); ``paper_se``: the paper's, if it gives one over reruns;
    - ``comparable``: ours is the same measure on a scale comparable with the paper's
      (default ``False``: say why it is in ``why``);
    - ``sign``: for an effect the paper claims without a number, its sign (+1/-1);
    - ``bound``: the paper's number is exact ("="), a lower (">") or upper ("<") bound;
    - ``tolerance``: a stated margin for "reproduced" where no SE is available;
    - ``resolution``: for an effect, the smallest difference the measure can tell (an
      effect within it is "not decided");
    - ``keys``: metric names whose values are checked against the course reference;
    - ``ours_text`` / ``paper_text``: how to show the numbers (default: formatted).
    """
    quantity: str
    ours: Optional[float]
    paper: Optional[float] = None
    source: str = ""
    ours_se: Optional[float] = None
    seeds: int = 1
    paper_se: Optional[float] = None
    comparable: bool = False
    effect: bool = False
    sign: Optional[int] = None
    bound: str = "="
    tolerance: float = 0.0
    resolution: float = 0.0
    why: str = ""
    keys: Sequence[str] = ()
    ours_text: str = ""
    paper_text: str = ""

    def __post_init__(self):
        if self.bound not in ("=", ">", "<"):
            raise ValueError(f"{self.quantity}: bound must be '=', '>' or '<', got {self.bound!r}")
        if self.sign not in (None, 1, -1):
            raise ValueError(f"{self.quantity}: sign must be +1, -1 or None, got {self.sign!r}")
        if isinstance(self.keys, str):
            self.keys = (self.keys,)


def _margin(row: PaperRow) -> float:
    se = math.hypot(row.ours_se or 0.0, row.paper_se or 0.0) if row.seeds > 1 or row.paper_se else 0.0
    return max(2.0 * se, float(row.tolerance))


def _value_verdict(row: PaperRow) -> Tuple[str, str]:
    if row.paper is None:
        return "not comparable", "the paper reports no number for it"
    if _missing(row.ours):
        return "not decided", "this run has no number for it"
    if not row.comparable:
        return "not comparable", row.why or "a different measure or scale than the paper's"
    margin = _margin(row)
    d = row.ours - row.paper
    if row.bound == "=":
        if margin == 0:
            return "not decided", "no standard error over seeds or tolerance to judge a match by"
        ok = abs(d) <= margin
        text = f"differs by {_fmt(d, True)}, {'within' if ok else 'beyond'} the margin {_fmt(margin)}"
    else:
        ok = d >= -margin if row.bound == ">" else d <= margin
        text = f"{_fmt(row.ours)} against the paper's bound {row.bound} {_fmt(row.paper)} (margin {_fmt(margin)})"
    return ("reproduced" if ok else "contradicted"), text + (f"; {row.why}" if row.why else "")


def _effect_verdict(row: PaperRow) -> Tuple[str, str]:
    sign = row.sign if row.sign is not None else (int(np.sign(row.paper)) if row.paper is not None else 0)
    if sign == 0:
        return "not comparable", "the paper claims no direction for it"
    claim = claim_verdict(row.ours, row.ours_se, row.seeds, sign, resolution=row.resolution)
    if claim.verdict == "contradicted":
        return "contradicted", claim.reason
    if claim.verdict == "not decided":
        return "not decided", claim.reason
    if row.comparable and row.paper is not None and abs(row.ours - row.paper) <= _margin(row):
        return "reproduced", f"{claim.reason}; of the paper's size ({_fmt(row.paper, True)})"
    scale = row.why or ("not of the paper's size" if row.comparable else "not on the paper's scale")
    return "direction only", f"{claim.reason}; {scale}"


def paper_verdict(row: PaperRow) -> Tuple[str, str]:
    """The verdict (one of :data:`VERDICTS`) and its reason for ``row``, by the rules of
    the module docstring."""
    return _effect_verdict(row) if row.effect else _value_verdict(row)


# ----------------------------------------------------------------------------------------
# The course reference (rerun check)
# ----------------------------------------------------------------------------------------

def reference_of(run) -> dict:
    """The committed reference numbers of ``run``'s notebook and profile
    (:meth:`s2i_lib.course.runs.Run.reference`), or ``{}`` for a seed other than 0 (the
    references are recorded with seed 0)."""
    return run.reference() if getattr(run, "seed", 0) == 0 else {}


def matches_reference(value, ref: Optional[Mapping]) -> Optional[bool]:
    """Whether ``value`` reproduces a reference entry ``{"value", "tol"}``: a number within
    the tolerance, anything else equal; ``None`` without a reference."""
    if ref is None:
        return None
    rv, tol = ref.get("value"), float(ref.get("tol", 0.0) or 0.0)
    try:
        return abs(float(value) - float(rv)) <= tol + 1e-12
    except (TypeError, ValueError):  # a non-numeric metric matches only itself
        return value == rv


def reference_check(metrics: Mapping, reference: Mapping):
    """A table of every metric of this run beside the course reference: ``this run``,
    ``reference``, ``tolerance`` and ``matches the course reference`` ("yes", "NO", or "no
    reference").  Non-numeric metrics are compared for equality."""
    rows = []
    for k, v in metrics.items():
        ref = reference.get(k)
        m = matches_reference(v, ref)
        rows.append({"metric": k, "this run": v, "reference": None if ref is None else ref.get("value"),
                     "tolerance": None if ref is None else ref.get("tol", 0.0),
                     "matches the course reference": "no reference" if m is None else ("yes" if m else "NO")})
    return VerdictTable(rows, columns=["metric", "this run", "reference", "tolerance",
                                       "matches the course reference"]).set_index("metric")


def _row_matches(row: PaperRow, metrics: Mapping, reference: Mapping) -> str:
    if not row.keys:
        return "not checked"
    found = [(k, matches_reference(metrics[k], reference.get(k))) for k in row.keys if k in metrics]
    missing = [k for k in row.keys if k not in metrics]
    if missing:
        raise KeyError(f"{row.quantity}: metrics {missing} are not in this run's metrics")
    if all(m is None for _, m in found):
        return "no reference"
    bad = [k for k, m in found if m is False]
    if bad:
        return "NO (" + ", ".join(bad) + ")"
    return "yes" if all(m for _, m in found) else "partly (some have no reference)"


def _ours_text(row: PaperRow) -> str:
    if row.ours_text:
        return row.ours_text
    text = _fmt(row.ours, signed=row.effect)
    if row.ours_se is not None and row.seeds > 1:
        text += f" ± {_fmt(row.ours_se)} ({row.seeds} seeds)"
    return text


def _paper_text(row: PaperRow) -> str:
    if row.paper_text:
        text = row.paper_text
    elif row.paper is not None:
        text = (row.bound + " " if row.bound != "=" else "") + _fmt(row.paper, signed=row.effect)
    elif row.sign is not None:
        text = "claims a positive effect" if row.sign > 0 else "claims a negative effect"
    else:
        text = "not reported"
    return f"{text} ({row.source})" if row.source else text


def paper_table(rows: Sequence[PaperRow], run=None, metrics: Optional[Mapping] = None,
                reference: Optional[Mapping] = None):
    """The "paper vs. here" table of a notebook: one line per :class:`PaperRow`, with the
    paper's number and source, this run's, **matches the course reference** (the
    ``keys`` of the row in ``metrics`` against ``reference``, by default
    :func:`reference_of` ``run``) and the **verdict vs. paper** with its **reason**
    (:func:`paper_verdict`).  Returns a :class:`VerdictTable` (a ``pandas.DataFrame``)
    indexed by quantity.  With a ``run``, the rows are also written for the reproduction
    report (:meth:`s2i_lib.course.runs.Run.write_claims`)."""
    reference = reference_of(run) if reference is None and run is not None else (reference or {})
    metrics = metrics or {}
    out, claims = [], []
    for row in rows:
        verdict, reason = paper_verdict(row)
        out.append({"quantity": row.quantity, "paper": _paper_text(row), "this run": _ours_text(row),
                    "matches the course reference": _row_matches(row, metrics, reference),
                    "verdict vs. paper": verdict, "reason": reason})
        claims.append({**out[-1], "source": row.source, "ours": row.ours, "ours_se": row.ours_se, "seeds": row.seeds,
                       "paper_value": row.paper, "effect": row.effect, "sign": row.sign, "comparable": row.comparable})
    if run is not None and hasattr(run, "write_claims"):
        run.write_claims(claims)                       # for the reproduction report
    return VerdictTable(out).set_index("quantity")
