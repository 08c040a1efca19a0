"""Training: one engine every model trains through, its checkpoints and the model store.

- :mod:`.engine`       :func:`fit`, :class:`Task`, the batch plans (notebooks 02-04 and later)
- :mod:`.checkpoint`   the one checkpoint format (every network, optimiser, scheduler, RNG)
- :mod:`.callbacks`    EMA, evaluation, sample grids, log files
- :mod:`.tasks`        the supervised trainings of notebook 02 (classifiers, distillation,
  regression probes, the stacked autoencoder) and :func:`predict`
- :mod:`.gan`          conditional-GAN training (notebooks 03, 04) and :func:`generate`
- :mod:`.pix2pix`      map-to-map conditional GANs, the stacked GANs of notebook 05
- :mod:`.multimodal`   the multimodal layers of notebook 05 (three inputs, the ablated loss)
- :mod:`.contrastive`  SimCLR and the audio-to-visual alignment of notebook 06
- :mod:`.augment`      image augmentation drawn per sample on the images' device
- :mod:`.store`        the model store (cache keyed by data, recipe and settings)
- :mod:`.parallel`     several trainings at once, one core each (:func:`in_workers`)
- :mod:`.distributed`  one training over several processes (GPUs): DistributedDataParallel under torchrun
"""
from .engine import ENGINE_VERSION, PRECISIONS, Batches, EpochBatches, RandomBatches, Task, device_of, fit, precision
from .callbacks import EMA, Callback, Evaluate, LogFiles, SampleGrid, save_grid, write_log
from .augment import augment_images, simclr_views
from .tasks import (SupervisedTask, accuracy, cosine_factor, fit_classifier, fit_distillation, fit_multilabel, fit_regression,
                    predict, train_autoencoder)
from .gan import (GANConfig, GANData, GANRun, GANTask, at_noise_scale, cached_gan, generate, knn_partners,
                  mean_over_evaluations, train_gan)
from .pix2pix import Pix2PixConfig, Pix2PixTask, cached_pix2pix, tensor_digest, train_pix2pix
from .multimodal import MultimodalTask, fit_multimodal
from .contrastive import ALIGN_LOSSES, AlignTask, SimCLRTask, alignment_loss, fit_alignment, fit_simclr
from .store import ModelStore, Trained
from .parallel import default_workers, in_workers, one_thread
from . import distributed
from ..losses import fc_l2
from ..cache import cache_key as config_key
