"""The training engine, checkpoints and the model store."""

from . import engine
from .engine import (History, device_of, save_atomic, train_loop, fc_l2, predict, accuracy, augment_images,
    fit_classifier, fit_distillation, train_autoencoder, canonical, config_key, file_sha256,
    Trained, ModelStore)
from . import gan
from .gan import (GANConfig, GANData, GANRun, save_grid, train_gan, cached_gan, generate, LADDER, ladder_rung)
