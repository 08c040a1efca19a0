"""Networks of the course, every one buildable from its config by :func:`from_config`.

- :mod:`.layers`          shared blocks (conv block, :class:`Standardize`, the classifier head)
- :mod:`.classifiers`     Chen et al.'s sound and image classifiers (notebook 02)
- :mod:`.audio_encoders`  the SoundNet-style waveform network and the S2I-A autoencoder (02)
- :mod:`.gan`             conditional generators and discriminators (03, 04)
- :mod:`.multimodal`      the multimodal layers shared by image and sound features (05)
- :mod:`.pix2pix`         U-Net generator, PatchGAN discriminator, vector <-> map (05)
- :mod:`.sound2scene`     the SimCLR image encoder and the ResNet-18 audio encoder (06)
- :mod:`.registry`        the architecture registry, :func:`from_config`, :func:`count_parameters`
"""
from .registry import ARCHS, count_parameters, from_config, register
from .layers import Standardize
from .classifiers import AudioClassifier, ImageClassifier
from .audio_encoders import AudioAutoencoder, SoundNet1D
from .gan import (CondDiscriminator, CondGenerator, largest_singular_value, projection_term, spectral_norm_switch,
                  spectral_norms)
from .multimodal import MultimodalLayers
from .pix2pix import PatchDiscriminator, UNetGenerator, map_side, map_to_vector, vector_to_map
from .sound2scene import AudioResNet18, SimCLREncoder
