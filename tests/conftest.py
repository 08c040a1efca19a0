"""Shared fixtures: small media files made on the fly, so the I/O and builder tests do
not depend on the SynthAV generator."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from s2i_lib.data import media as avio


def make_frames(seconds: float, fps: float, size=(48, 64), color=(200, 40, 40), seed=0):
    """Frames with a coloured square that moves right over time and a frame counter
    drawn as a grey level in the top-left corner (so tests can tell frames apart)."""
    h, w = size
    n = int(round(seconds * fps))
    frames = np.zeros((n, h, w, 3), np.uint8)
    frames[:] = (30, 30, 60)
    for i in range(n):
        x = int((w - 16) * i / max(1, n - 1))
        frames[i, h // 2 - 8: h // 2 + 8, x: x + 16] = color
        frames[i, :8, :8] = min(255, 8 * i)
    return frames


def make_audio(seconds: float, sr: int, freq=440.0, amp=0.3, channels=1, silent=()):
    """A tone with the given ``silent`` intervals (start, end) set to zero."""
    t = np.arange(int(round(seconds * sr))) / sr
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    for s, e in silent:
        x[int(s * sr): int(e * sr)] = 0.0
    if channels == 2:
        return np.stack([x, 0.5 * x])
    return x


@pytest.fixture
def video_factory(tmp_path):
    def make(name="clip.mp4", seconds=2.0, fps=8, sr=22050, channels=1, silent=(), color=(200, 40, 40),
             freq=440.0, audio=True, size=(48, 64), **kw):
        frames = make_frames(seconds, fps, size=size, color=color)
        a = make_audio(seconds, sr, freq=freq, channels=channels, silent=silent) if audio else None
        return avio.write_video(tmp_path / name, frames, fps, a, sr, **kw)
    return make


@pytest.fixture
def folder_corpus(tmp_path):
    """A corpus in the ``folder`` layout: 2 classes x 3 videos, plus bad inputs."""
    root = tmp_path / "corpus"
    rows = []
    for label, color, freq in (("red", (220, 30, 30), 330.0), ("blue", (30, 30, 220), 660.0)):
        for k in range(3):
            rel = f"{label}/{label}_{k}.mp4"
            silent = [(1.0, 1.5)] if k == 0 else []
            avio.write_video(root / rel, make_frames(2.0, 8, color=color), 8,
                             make_audio(2.0, 22050, freq=freq, silent=silent), 22050)
            rows.append({"file": rel, "label": label})
    # bad inputs, each must be skipped with its reason
    (root / "bad").mkdir(parents=True)
    (root / "bad" / "empty.mp4").write_bytes(b"")
    good = (root / "red" / "red_1.mp4").read_bytes()
    (root / "bad" / "truncated.mp4").write_bytes(good[: len(good) // 3])
    (root / "bad" / "garbage.mkv").write_bytes(b"\x00not a video\xff" * 64)
    avio.write_video(root / "bad" / "mute.mp4", make_frames(2.0, 8), 8, None)
    avio.write_audio(root / "bad" / "audio_only.wav", make_audio(2.0, 22050), 22050)
    for name in ("empty.mp4", "truncated.mp4", "garbage.mkv", "mute.mp4", "audio_only.wav"):
        rows.append({"file": f"bad/{name}", "label": "red"})
    rows.append({"file": "bad/does_not_exist.mp4", "label": "red"})
    (root / "bad" / "dangling.mp4").symlink_to(root / "bad" / "gone.mp4")   # an unreadable path
    rows.append({"file": "bad/dangling.mp4", "label": "red"})
    avio.write_video(root / "unlisted.mp4", make_frames(1.0, 8), 8, make_audio(1.0, 22050), 22050)
    with open(root / "labels.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["file", "label"])
        w.writeheader()
        w.writerows(rows)
    return root


def synthav_build(root, suite: str, classes, clips: int, seconds: float = 3.0, frame_size: int = 64,
                  defect_rate: float = 0.0, seed: int = 0, segment: float = 0.5, image_size: int = 64,
                  test_fraction: float = 0.25):
    """Generate a tiny SynthAV ``suite`` corpus under ``root/corpus`` and build its pairs in
    ``root/pairs`` (one worker, no progress bars); returns ``(corpus, pairs)``."""
    from s2i_lib import synthav
    from s2i_lib.data.building import BuildConfig, build
    from s2i_lib.course.profiles import SynthAVSize
    size = SynthAVSize(clips_per_class=clips, clip_seconds=seconds, fps=8, frame_size=frame_size,
                       classes=tuple(classes), defect_rate=defect_rate)
    corpus = synthav.generate_corpus(suite, size, out=root / "corpus", seed=seed, workers=1, progress=False)
    pairs = root / "pairs"
    build(corpus, "synthav", pairs, BuildConfig(segment=segment, image_size=image_size, test_fraction=test_fraction,
                                                seed=seed), progress=False)
    return corpus, pairs
