"""The pose probe of notebook 03 on a tiny performances build: it learns the player's true
pose (set by the note played) from real player crops well beyond a constant guess, and it
is stored and reloaded like every other model."""
from __future__ import annotations

import numpy as np
import pytest

from s2i_lib import datasets, encoders, synthav
from s2i_lib.building import BuildConfig, build
from s2i_lib.profiles import SynthAVSize


@pytest.fixture(scope="module")
def perf(tmp_path_factory):
    root = tmp_path_factory.mktemp("pose")
    size = SynthAVSize(clips_per_class=24, clip_seconds=4.0, fps=8, frame_size=96, classes=("cello", "violin"),
                       defect_rate=0.0)
    corpus = synthav.generate_corpus("performances", size, out=root / "corpus", seed=2, workers=1, progress=False)
    pairs = root / "pairs"
    build(corpus, "synthav", pairs, BuildConfig(segment=0.25, image_size=64, test_fraction=0.25, seed=2),
          progress=False)
    return pairs, root / "data", datasets.load_arrays(pairs, progress=False)


def test_pose_probe_reads_the_true_pose_from_player_crops(perf):
    pairs, data, arr = perf
    probe = encoders.pose_probe(pairs, framing="player", profile="smoke", data_dir=data, arrays=arr, progress=False,
                                epochs=25, width=16, batch_size=16)
    m = probe.metrics
    assert m["test_r"] > 0.4, m                         # 0.78 when written
    assert m["test_mae"] < 0.85 * m["baseline_mae"], m
    again = encoders.pose_probe(pairs, framing="player", profile="smoke", data_dir=data, arrays=arr, progress=False,
                                epochs=25, width=16, batch_size=16)
    assert again.loaded and again.metrics == m
    crops = encoders.framed_images(pairs, arr, "player", 32)
    assert np.isfinite(encoders.predict_pose(again.model, crops[:5])).all()
