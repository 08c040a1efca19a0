"""Networks of the course: classifiers, audio encoders, GAN generators and discriminators."""

from . import networks
from .networks import (MODEL_VERSION, Standardize, AudioClassifier, ImageClassifier, SoundNet1D, AudioAutoencoder,
    ARCHS, from_config, count_parameters)
from . import gan
from .gan import (LOSSES, CondGenerator, CondDiscriminator, d_real_term, d_fake_term, g_loss, gan_cls_d_loss,
    gradient_penalty, clip_weights, WrongPairSampler, largest_singular_value, spectral_norms)
