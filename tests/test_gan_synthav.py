"""A short, smoke-size GAN run on SynthAV: conditioned on the S2I-C sound encoding of test
sounds, the generator's images are labelled correctly by the domain classifier well above
chance (the whole path: pairs -> encoders -> GAN toolkit -> training loop -> metrics)."""
from __future__ import annotations

import numpy as np
import torch

from s2i_lib import course, models, synthav
from s2i_lib.data.framing import downsample
from s2i_lib import eval as ev
from s2i_lib.course.profiles import SynthAVSize
from s2i_lib.data import BuildConfig, build, datasets
from s2i_lib.train import GANConfig, GANData, generate, train_gan

CLASSES = ("dog", "drum", "plane")


def test_short_gan_training_on_synthav_generates_recognisable_classes(tmp_path):
    size = SynthAVSize(clips_per_class=12, clip_seconds=3.0, fps=8, frame_size=32, classes=CLASSES, defect_rate=0.3)
    corpus = synthav.generate_corpus("scenes", size, out=tmp_path / "corpus", seed=1, workers=1, progress=False)
    pairs, data = tmp_path / "pairs", tmp_path / "data"
    build(corpus, "synthav", pairs, BuildConfig(segment=0.5, image_size=32, test_fraction=0.25, seed=1), progress=False)
    arr = datasets.load_arrays(pairs, progress=False)
    fast = dict(width=8, batch_size=16, progress=False, profile="smoke", data_dir=data, arrays=arr)
    img = course.image_classifier(pairs, epochs=8, **fast)
    snd = course.audio_classifier(pairs, "logmel", depth=4, epochs=10, max_train=None, **fast)
    cond = course.audio_embedding(snd, arr.wave_tensor())
    cond = cond / (cond.norm(dim=1, keepdim=True) + 1e-8)
    images = downsample(arr.image_tensor(), 32) * 2 - 1
    tr, te = arr.index("train"), arr.index("test")
    train = GANData(images[tr], cond[tr], arr.label_tensor(tr), groups=arr.df["video_id"].to_numpy()[tr])
    torch.manual_seed(0)
    G = models.CondGenerator(128, z_dim=32, proj_dim=32, out_shape=(32, 32), width=16)
    D = models.CondDiscriminator(128, in_shape=(32, 32), width=16, cond="projection", sn=True, norm="none")
    # the course's CPU recipe (GANSize): Adam 1e-3 with betas (0, 0.9), sampled from an EMA of G
    run = train_gan(G, D, train, GANConfig(loss="hinge", steps=400, batch_size=32, lr_g=1e-3, lr_d=1e-3,
                                           betas=(0.0, 0.9), ema=0.99, sample_every=0, log_every=100),
                    progress=False)
    fake = generate(run.sampler, cond[te], seed=0)
    result = ev.evaluate(ev.FeatureExtractor.from_trained(img), fake, arr.labels[te])
    chance = 1 / len(CLASSES)
    assert result["accuracy"] > chance + 0.2, result
    assert "Inception stand-in" in result["extractor"]
    # not one image for every sound: the generated images are judged to be of several classes
    # (all three for torch seeds 1-3; seed 0 draws no dog among the 51 at 65% accuracy)
    assert len(np.unique(ev.FeatureExtractor.from_trained(img)(fake)["probs"].argmax(1))) >= 2
