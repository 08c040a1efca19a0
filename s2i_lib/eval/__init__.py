"""Evaluation: feature extractors, scores, one report, and verdicts against the papers.

- :mod:`~s2i_lib.eval.extractors`: the networks the scores are computed on, made by name
  from a registry; every result names the one it used.
- :mod:`~s2i_lib.eval.scores`: Inception-style score, Fréchet distance, KID, accuracy,
  top-k overlap, R@k, diversity (plain functions of arrays, in float64).
- :mod:`~s2i_lib.eval.report`: :func:`~s2i_lib.eval.report.report` generates from a GAN and scores the images.
- :mod:`~s2i_lib.eval.verdicts`: the "paper vs. here" tables and the claim verdicts.
"""

from . import extractors, scores
from .extractors import FeatureExtractor
from .scores import (inception_score, feature_stats, frechet_from_stats, frechet_distance, polynomial_kernel,
    mmd2_unbiased, kernel_inception_distance, class_accuracy, topk_overlap, topk_overlap_chance, recall_at_k, diversity, FD_BIAS_NOTE)
from . import report                 # the module: report.report(G, cond, labels, judge, ...)
from .report import evaluate, Report
from . import verdicts
from .verdicts import PaperRow, paper_table, claim_verdict, reference_check
from .probes import read_probe, slope_per_doubling
