"""s2i_lib: the thin shared library of the s2i course on generating images from sound.

Modules (one concern each):

- :mod:`s2i_lib.profiles`  run profiles (smoke / course / paper) and class lists
- :mod:`s2i_lib.avio`      decoding and writing audio, video and images (PyAV, soundfile)
- :mod:`s2i_lib.synthav`   the SynthAV corpus generator (embedded default data)
- :mod:`s2i_lib.layouts`   readers for real corpus layouts (VEGAS, VGGSound, UCF-101, Sub-URMP, folder)
- :mod:`s2i_lib.building`  the paired-data builder (segments, frame strategies, loudness filter, splits)
- :mod:`s2i_lib.datasets`  torch datasets over a build, and a whole build as arrays
- :mod:`s2i_lib.audio`     audio representations (STFT, MS, LMS, CQT, MFCC, fbank) and manipulations
- :mod:`s2i_lib.models`    network architectures (classifiers, autoencoder, SoundNet-style)
- :mod:`s2i_lib.training`  training loops with resume, and the model store (cache keyed by data + config)
- :mod:`s2i_lib.encoders`  the course's trained encoders, loaded from the store or trained on demand
- :mod:`s2i_lib.cleaning`  cleaning pairs by classifier agreement, scored against ground truth
- :mod:`s2i_lib.gan`       conditional generators and discriminators, GAN losses, wrong-pair samplers
- :mod:`s2i_lib.gan_training`  the GAN training loop (n_D/n_G, EMA, checkpoints with exact resume)
- :mod:`s2i_lib.metrics`   evaluation: Inception-style score, Frechet distance, accuracy, R@k, diversity
- :mod:`s2i_lib.runs`      paths, seeding, provenance and metrics files of notebook runs
- :mod:`s2i_lib.plots`     figure helpers and widgets that degrade to static output
- :mod:`s2i_lib.cli`       the ``s2i`` command line

Submodules are imported on demand so that ``import s2i_lib`` stays cheap.
"""
__version__ = "0.1.0"
