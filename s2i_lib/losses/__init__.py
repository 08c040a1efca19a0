"""Losses of the course, as small pure functions.

- :mod:`.adversarial`     BCE, hinge, Wasserstein terms, gradient penalty, weight clipping (03, 04)
- :mod:`.gan_cls`         Reed et al.'s GAN-CLS discriminator objective and wrong-pair sampler (03)
- :mod:`.classification`  Chen et al.'s l2 penalty on FC weights and the distillation KL (02)
- :mod:`.multimodal`      the terms that train the multimodal layers (05)
- :mod:`.contrastive`     SimCLR's NT-Xent, Sound2Scene's InfoNCE and its L2 baseline (06)
"""
from .adversarial import LOSSES, aux_classifier_loss, clip_weights, d_fake_term, d_real_term, g_loss, gradient_penalty
from .gan_cls import WrongPairSampler, gan_cls_d_loss
from .classification import distillation_kl, fc_l2
from .multimodal import hidden_cross_entropy, hidden_l1, multimodal_loss
from .contrastive import SIMILARITIES, info_nce, l2_alignment, nt_xent, pair_logits
