"""Decoding and writing media: containers, codecs, frame rates, sample rates, channels,
and the errors for bad files."""
import numpy as np
import pytest

from s2i_lib.data import media as avio
from conftest import make_audio, make_frames


@pytest.mark.parametrize("ext,vcodec,acodec", [
    (".mp4", "mpeg4", "aac"),
    (".mp4", "libx264", "aac"),
    (".mkv", "mpeg4", "flac"),
    (".avi", "mpeg4", "pcm_s16le"),
    (".mov", "mjpeg", "pcm_s16le"),
    (".webm", "libvpx", "libopus"),
])
def test_containers_and_codecs_roundtrip(tmp_path, ext, vcodec, acodec):
    frames = make_frames(2.0, 10)
    audio = make_audio(2.0, 22050, freq=500.0)
    p = avio.write_video(tmp_path / f"v{ext}", frames, 10, audio, 22050, video_codec=vcodec, audio_codec=acodec)
    clip = avio.read_video(p, sample_rate=22050)
    assert clip.frames.shape == frames.shape
    np.testing.assert_allclose(clip.frame_times, np.arange(20) / 10, atol=1e-3)
    assert clip.sample_rate == 22050
    assert abs(clip.audio.shape[1] / 22050 - 2.0) < 0.1
    # the picture survives lossy coding: the moving square is where it was put
    err = np.abs(clip.frames.astype(int) - frames.astype(int)).mean()
    assert err < 12, err
    # the tone survives: its spectrum peaks at 500 Hz
    spec = np.abs(np.fft.rfft(clip.mono()[:22050]))
    assert abs(np.argmax(spec) * 22050 / 22050 - 500) < 3


@pytest.mark.parametrize("fps", [5, 12.5, 24, 29.97])
def test_frame_rates(tmp_path, fps):
    frames = make_frames(1.6, fps)
    p = avio.write_video(tmp_path / "v.mp4", frames, fps, make_audio(1.6, 16000), 16000)
    clip = avio.read_video(p)
    assert clip.num_frames == len(frames)
    assert abs(clip.fps - fps) < 0.01
    assert np.all(np.diff(clip.frame_times) > 0)
    # the counter in the corner shows frames come back in order
    counter = clip.frames[:, 2:6, 2:6].mean(axis=(1, 2, 3))
    assert np.all(np.diff(counter) >= -2)


@pytest.mark.parametrize("sr_in,channels", [(8000, 1), (16000, 2), (44100, 1), (48000, 2), (22050, 2)])
def test_sample_rates_and_channels(tmp_path, sr_in, channels):
    audio = make_audio(1.0, sr_in, freq=300.0, channels=channels)
    p = avio.write_video(tmp_path / "v.mkv", make_frames(1.0, 8), 8, audio, sr_in)
    raw = avio.read_video(p)
    assert raw.sample_rate == sr_in and raw.audio.shape[0] == channels
    clip = avio.read_video(p, sample_rate=22050)
    assert clip.sample_rate == 22050
    assert abs(clip.audio.shape[1] - 22050) < 2400
    mono = clip.mono()
    assert mono.ndim == 1
    spec = np.abs(np.fft.rfft(mono[:22050]))
    assert abs(np.argmax(spec) * 22050 / len(mono[:22050]) - 300) < 3


def test_resample_keeps_a_tone():
    x = make_audio(1.0, 44100, freq=1000.0)
    y = avio.resample(x, 44100, 16000)
    assert y.shape == (16000,)
    assert abs(np.argmax(np.abs(np.fft.rfft(y))) - 1000) <= 1


@pytest.mark.parametrize("content,reason", [
    (b"", "empty file"),
    (b"\x00\x01garbage" * 100, "corrupt"),
])
def test_bad_files_name_file_and_problem(tmp_path, content, reason):
    p = tmp_path / "bad.mp4"
    p.write_bytes(content)
    with pytest.raises(avio.MediaError) as e:
        avio.read_video(p)
    assert str(p) in str(e.value) and reason in str(e.value)


def test_missing_truncated_and_streamless(tmp_path):
    with pytest.raises(avio.MediaError, match="missing file"):
        avio.read_video(tmp_path / "nope.mp4")
    good = avio.write_video(tmp_path / "good.mp4", make_frames(2.0, 8), 8, make_audio(2.0, 22050), 22050)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(avio.MediaError, match="cut.mp4"):
        avio.read_video(cut)
    mute = avio.write_video(tmp_path / "mute.mp4", make_frames(1.0, 8), 8, None)
    with pytest.raises(avio.MediaError, match="no audio stream"):
        avio.read_video(mute)
    assert avio.read_video(mute, need_audio=False).audio is None
    wav = avio.write_audio(tmp_path / "a.wav", make_audio(1.0, 22050), 22050)
    with pytest.raises(avio.MediaError, match="no video stream"):
        avio.read_video(wav)


def test_truncated_mkv_keeps_what_decoded(tmp_path):
    good = avio.write_video(tmp_path / "g.mkv", make_frames(4.0, 8), 8, make_audio(4.0, 22050), 22050)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(good.read_bytes()[: int(good.stat().st_size * 0.6)])
    clip = avio.read_video(cut)  # a streamable container: the head still decodes
    assert 0 < clip.num_frames < 32


def test_resize_square_center_crops():
    img = np.zeros((240, 320, 3), np.uint8)
    img[:, :40] = 255  # a stripe that the centre crop removes
    out = avio.resize_square(img, 64)
    assert out.shape == (64, 64, 3) and out.max() == 0
