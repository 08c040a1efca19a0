"""s2i_lib: the thin shared library of the s2i course on generating images from sound.

Subpackages, one concern each (the rule for what goes where is in the README):

- :mod:`s2i_lib.data`     media I/O (the only code that talks to PyAV and soundfile), corpus
  layouts, the paired-data builder and its shards, datasets, framing, cleaning
- :mod:`s2i_lib.synthav`  SynthAV, the generated audio-visual corpus: one definition per class
  (sound, plan, drawing) found through a registry
- :mod:`s2i_lib.audio`    representations (STFT, MS, LMS, CQT, MFCC, fbank), operations on
  waveforms, Griffin-Lim inversion
- :mod:`s2i_lib.models`   every network, buildable from its config through one registry
- :mod:`s2i_lib.losses`   adversarial losses, GAN-CLS, classification and distillation losses
- :mod:`s2i_lib.train`    the one training engine, its checkpoints and callbacks, the model store
- :mod:`s2i_lib.eval`     feature extractors, scores (IS, FD, KID, accuracy, R@k, diversity),
  one report, verdicts against the papers
- :mod:`s2i_lib.course`   profiles, runs, progress, plots, execution, studies, the recipes of
  the course's trained models and probes, Wan et al.'s ladder, references
- :mod:`s2i_lib.cache`    the one cache-key helper and the one atomic writer
- :mod:`s2i_lib.cli`      the ``s2i`` command line

Each subpackage re-exports its public names, so notebooks write ``data.build(...)``,
``train.fit(...)``, ``course.image_classifier(...)``.  Subpackages are imported on demand
so that ``import s2i_lib`` stays cheap.
"""
__version__ = "0.2.0"
