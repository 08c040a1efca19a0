"""Losses of the classifiers and encoders of notebook 02."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def fc_l2(model: nn.Module) -> torch.Tensor:
    """Half the sum of squared FC weights of a classifier head (TensorFlow's ``l2_loss``;
    Chen et al. (2017), Sec. 3, weight it by 0.015).  Taught in notebook 02."""
    return sum(0.5 * (w ** 2).sum() for w in model.head.fc_weights())


def distillation_kl(student_logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """KL divergence from the teacher's class distribution to the student's, averaged over the
    batch: how SoundNet (Aytar et al. 2016) learns from an image network with no sound labels.
    Taught in notebook 02."""
    return F.kl_div(F.log_softmax(student_logits, dim=1), teacher_probs, reduction="batchmean")
