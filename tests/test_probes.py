"""The attribute probes on tiny SynthAV builds: the pose probe of notebook 03 learns the
player's true pose (set by the note played) from real player crops, and the size probe of
notebook 04 recovers the sounding object's true size on screen from real frames, both well
beyond a constant guess; both are stored and reloaded like every other model."""
from __future__ import annotations

import numpy as np
import pytest

from s2i_lib.data import datasets
from s2i_lib import course, eval as ev
from s2i_lib.data.framing import framed_images

from conftest import synthav_build


@pytest.fixture(scope="module")
def perf(tmp_path_factory):
    root = tmp_path_factory.mktemp("pose")
    _, pairs = synthav_build(root, "performances", ("cello", "violin"), clips=24, seconds=4.0, frame_size=96,
                             seed=2, segment=0.25)
    return pairs, root / "data", datasets.load_arrays(pairs, progress=False)


def test_pose_probe_reads_the_true_pose_from_player_crops(perf):
    pairs, data, arr = perf
    probe = course.pose_probe(pairs, framing="player", profile="smoke", data_dir=data, arrays=arr, progress=False,
                                epochs=25, width=16, batch_size=16)
    m = probe.metrics
    assert m["test_r"] > 0.4, m                         # 0.78 when written
    assert m["test_mae"] < 0.85 * m["baseline_mae"], m
    again = course.pose_probe(pairs, framing="player", profile="smoke", data_dir=data, arrays=arr, progress=False,
                                epochs=25, width=16, batch_size=16)
    assert again.loaded and again.metrics == m
    crops = framed_images(pairs, arr, "player", 32)
    assert np.isfinite(ev.read_probe(again.model, crops[:5])).all()


@pytest.fixture(scope="module")
def scenes(tmp_path_factory):
    root = tmp_path_factory.mktemp("size")
    _, pairs = synthav_build(root, "scenes", ("dog", "drum", "plane"), clips=24, seed=3, segment=0.25)
    return pairs, root / "data", datasets.load_arrays(pairs, progress=False)


def test_size_probe_recovers_true_sizes_on_real_frames(scenes):
    pairs, data, arr = scenes
    sizes = course.true_sizes(pairs, arr.df)
    assert sizes.shape == (len(arr),) and np.all((sizes > 0) & (sizes <= 1.5))
    assert np.std(sizes) > 0.02                 # distances differ between clips, so sizes do
    probe = course.size_probe(pairs, profile="smoke", data_dir=data, arrays=arr, progress=False,
                                epochs=25, width=16, batch_size=16)
    m = probe.metrics
    assert m["test_r"] > 0.4, m                         # 0.56 when written (0.73 on the course data)
    te = arr.index("test")
    pred = ev.read_probe(probe.model, framed_images(pairs, arr, "full", 32)[te])
    assert np.corrcoef(pred, sizes[te])[0, 1] == pytest.approx(m["test_r"], abs=0.15)
