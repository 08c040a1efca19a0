"""One report on a conditional generator: sample conditions, generate, extract, score.

Notebooks 03 and 04 score every GAN the same way: generate images for a set of
conditions, run the feature extractor on them (and on real images), and compute the
Inception-style score, class accuracy, Fréchet distance, KID and the diversity of several
samples per condition.  :func:`report` does all of it in one call and returns a
:class:`Report` that names the extractor it used; :func:`evaluate` is the part that
scores images already generated.

Usage (notebook 04's rung scores)::

    real = judge(images[te])                       # extract the real test images once
    rep = report(G, COND["soundnet"][te], arr.labels[te], judge, real=real, seed=SEED)
    rep.inception_score, rep.frechet_distance, rep.kid, rep.accuracy, rep.diversity
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable, Mapping, Optional, Union

import numpy as np
import torch

from . import scores
from .extractors import FeatureExtractor

__all__ = ["evaluate", "Report", "report"]


def _extracted(extractor: FeatureExtractor, images_or_output, batch_size: int) -> Mapping:
    """The extractor's output for ``images_or_output``, which may already be one (a dict
    with ``features``, e.g. real images extracted once for many reports)."""
    if isinstance(images_or_output, Mapping):
        if "features" not in images_or_output:
            raise ValueError("a precomputed extractor output needs 'features'")
        name = images_or_output.get("extractor", extractor.name)
        if name != extractor.name:
            raise ValueError(f"real features come from {name!r}, the fakes from {extractor.name!r}")
        return images_or_output
    return extractor(images_or_output, batch_size=batch_size)


def evaluate(extractor: FeatureExtractor, fake_images, labels, real_images=None, splits: int = 10,
             seed: int = 0, batch_size: int = 256, kid_subsets: int = 100,
             kid_subset_size: Optional[int] = None) -> dict:
    """The standard scores of generated images ``fake_images`` made for class ``labels``:

    - ``extractor``: the name of the feature network (always present)
    - ``n_fake`` (and ``n_real``): how many images were scored
    - ``inception_score_mean`` / ``inception_score_std`` over ``splits`` groups (shuffled
      with ``seed``)
    - ``accuracy``: share of generated images classified as their condition's label
    - if ``real_images`` are given (images, or the extractor's output on them):
      ``frechet_distance`` between fake and real features, and ``kid_mean`` /
      ``kid_std`` (:func:`s2i_lib.eval.scores.kernel_inception_distance`, ``kid_subsets``
      subsets seeded with ``seed``).  FD is biased at these sample sizes and KID is not
      (:data:`s2i_lib.eval.scores.FD_BIAS_NOTE`).
    """
    fake = extractor(fake_images, batch_size=batch_size)
    is_mean, is_std = scores.inception_score(fake["probs"], splits=splits, seed=seed)
    out = {"extractor": extractor.name, "n_fake": int(len(fake["probs"])),
           "inception_score_mean": is_mean, "inception_score_std": is_std,
           "accuracy": scores.class_accuracy(fake["probs"], labels)}
    if real_images is not None:
        real = _extracted(extractor, real_images, batch_size)
        out["n_real"] = int(len(real["features"]))
        out["frechet_distance"] = scores.frechet_distance(fake["features"], real["features"])
        out["kid_mean"], out["kid_std"] = scores.kernel_inception_distance(
            fake["features"], real["features"], subsets=kid_subsets, subset_size=kid_subset_size, seed=seed)
    return out


@dataclass
class Report:
    """What :func:`report` measured.  ``inception_score_std`` is the spread over the
    splits of this one set of images (not over seeds); ``frechet_distance``, ``kid`` and
    ``kid_std`` are ``None`` without real images, ``diversity`` is ``None`` when it was
    not asked for.  ``samples`` holds the first generated images (condition-major, in
    [0, 1]) for a figure beside the numbers."""
    extractor: str
    n_conditions: int
    per_condition: int
    n_fake: int
    inception_score: float
    inception_score_std: float
    accuracy: float
    n_real: Optional[int] = None
    frechet_distance: Optional[float] = None
    kid: Optional[float] = None
    kid_std: Optional[float] = None
    diversity: Optional[float] = None
    seed: int = 0
    samples: Optional[torch.Tensor] = field(default=None, repr=False)

    def as_dict(self) -> dict:
        """The numbers and the extractor's name (not the samples), e.g. for a table row."""
        d = asdict(self)
        d.pop("samples")
        return d

    def __str__(self) -> str:
        parts = [f"IS {self.inception_score:.2f} ± {self.inception_score_std:.2f} (10-split std)",
                 f"accuracy {100 * self.accuracy:.1f}%"]
        if self.frechet_distance is not None:
            parts.append(f"FD {self.frechet_distance:.1f} and KID {self.kid:.4f} ± {self.kid_std:.4f} "
                         f"({self.n_fake} fake vs {self.n_real} real)")
        if self.diversity is not None:
            parts.append(f"diversity {self.diversity:.3f}")
        text = f"{'; '.join(parts)} [judge: {self.extractor}]"
        return text + ("\n" + scores.FD_BIAS_NOTE if self.frechet_distance is not None else "")


def report(G: torch.nn.Module, cond: torch.Tensor, labels, extractor: FeatureExtractor,
           real: Union[torch.Tensor, Mapping, None] = None, per_condition: int = 1, seed: int = 0,
           split_seed: Optional[int] = None, splits: int = 10, diversity_conditions: int = 8,
           diversity_per_condition: int = 16, n_samples: int = 16, batch_size: int = 256,
           kid_subsets: int = 100, generate: Optional[Callable] = None) -> Report:
    """Generate from ``G`` for every row of ``cond`` and score the images.

    - ``labels``: the class of each condition (one per row of ``cond``);
    - ``extractor``: the judge (:class:`s2i_lib.eval.extractors.FeatureExtractor`);
    - ``real``: real images to compare with (FD, KID), or the extractor's output on them
      (extract once, reuse for every model); as many as the generated images makes KID one
      exact computation, while sets of different sizes average ``kid_subsets`` random
      subsets, which costs seconds per call on a CPU;
    - ``per_condition`` images per condition, drawn with ``seed``
      (:func:`s2i_lib.train.gan.generate`, condition-major); the IS splits are shuffled
      with ``split_seed`` (default: ``seed``), and KID's subsets with ``split_seed`` too;
    - diversity: ``diversity_conditions`` conditions picked with
      ``np.random.default_rng(seed)``, ``diversity_per_condition`` samples each drawn with
      ``seed + 1``, mean pairwise cosine distance of their features
      (:func:`s2i_lib.eval.scores.diversity`); 0 turns it off.
    - ``generate(G, cond, per_condition, seed)`` can be replaced (default: the course's).
    """
    if generate is None:
        from s2i_lib.train.gan import generate
    labels = np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels)
    if len(labels) != len(cond):
        raise ValueError(f"{len(cond)} conditions but {len(labels)} labels")
    split_seed = seed if split_seed is None else split_seed
    fakes = generate(G, cond, per_condition, seed)
    ev = evaluate(extractor, fakes, np.repeat(labels, per_condition), real_images=real, splits=splits,
                  seed=split_seed, batch_size=batch_size, kid_subsets=kid_subsets)
    div = None
    if diversity_conditions and diversity_per_condition > 1:
        pick = np.random.default_rng(seed).permutation(len(cond))[:diversity_conditions]
        f = extractor(generate(G, cond[pick], diversity_per_condition, seed + 1), batch_size=batch_size)["features"]
        div = scores.diversity(f, np.repeat(np.arange(len(pick)), diversity_per_condition))
    return Report(extractor=extractor.name, n_conditions=len(cond), per_condition=per_condition, n_fake=ev["n_fake"],
                  inception_score=ev["inception_score_mean"], inception_score_std=ev["inception_score_std"],
                  accuracy=ev["accuracy"], n_real=ev.get("n_real"), frechet_distance=ev.get("frechet_distance"),
                  kid=ev.get("kid_mean"), kid_std=ev.get("kid_std"), diversity=div, seed=seed,
                  samples=fakes[:n_samples].clone())
