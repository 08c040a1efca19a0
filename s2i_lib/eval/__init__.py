"""Evaluation: feature extractors and scores."""

from . import scores
from .scores import (FeatureExtractor, inception_score, feature_stats, frechet_from_stats, frechet_distance,
    class_accuracy, topk_overlap, recall_at_k, diversity, evaluate)
