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
    # the lazy reader gives the same frames, decoding only those asked for, scaled at decode
    tl = avio.open_video(p, sample_rate=22050)
    np.testing.assert_array_equal(tl.frame_times, clip.frame_times)
    np.testing.assert_array_equal(tl.frames_at(np.arange(tl.num_frames)), clip.frames)
    np.testing.assert_array_equal(tl.frames_at([5, 2, 5]), clip.frames[[5, 2, 5]])
    small = tl.frames_at([3], short_side=24)
    assert small.shape == (1, 24, 32, 3) and np.abs(small.astype(int) - avio.shrink(clip.frames[3], 24)).mean() < 8


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


# ----------------------------------------------------------------------------- one time axis
def _write_offset_clip(path, vcodec, acodec, *, audio_start=0.5, video_start=0.0, event=(1.6, 2.4),
                       seconds=3.0, fps=25, sr=48000):
    """A clip written with PyAV directly (not with media.write_video), whose picture turns
    white and whose sound plays a 1 kHz tone during ``event`` (presentation times), with
    the audio stream starting at ``audio_start`` s and the video stream at ``video_start`` s."""
    import av
    from fractions import Fraction
    with av.open(str(path), "w") as out:
        vs = out.add_stream(vcodec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        a_s = out.add_stream(acodec, rate=sr, layout="mono")
        first = int(round(video_start * fps))
        for i in range(first, int(round(seconds * fps))):
            lit = event[0] - 1e-9 <= i / fps < event[1] - 1e-9
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 255 if lit else 0, np.uint8), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, fps)
            for p in vs.encode(f):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        t = np.arange(int(round((seconds - audio_start) * sr))) / sr + audio_start
        x = np.where((t >= event[0]) & (t < event[1]), 0.8 * np.sin(2 * np.pi * 1000 * t), 0.0).astype(np.float32)
        fs = a_s.codec_context.frame_size or 1024
        fmt = a_s.codec_context.format.name
        for s in range(0, len(x), fs):
            chunk = np.zeros(fs, np.float32)
            chunk[: len(x[s:s + fs])] = x[s:s + fs]
            data = (chunk * 32767).astype(np.int16)[None] if fmt.startswith("s16") else chunk[None]
            fr = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
            fr.sample_rate, fr.pts, fr.time_base = sr, int(round(audio_start * sr)) + s, Fraction(1, sr)
            for p in a_s.encode(fr):
                out.mux(p)
        for p in a_s.encode():
            out.mux(p)
    return path


OFFSET_CASES = [(".mp4", "libx264", "aac", 0.5, 0.0), (".mkv", "libvpx-vp9", "libopus", 0.5, 0.0),
                (".webm", "libvpx", "libopus", 0.5, 0.0), (".mkv", "mpeg4", "flac", 0.0, 0.4),
                (".ts", "libx264", "mp2", 0.5, 0.0)]


@pytest.mark.parametrize("ext,vcodec,acodec,audio_start,video_start", OFFSET_CASES)
def test_sound_and_picture_share_one_time_axis(tmp_path, ext, vcodec, acodec, audio_start, video_start):
    p = _write_offset_clip(tmp_path / f"late{ext}", vcodec, acodec, audio_start=audio_start, video_start=video_start)
    clip = avio.read_video(p, sample_rate=22050)
    mono = clip.mono()
    heard = np.flatnonzero(np.abs(mono) > 0.1)[0] / clip.sample_rate
    seen = clip.frame_times[np.flatnonzero(clip.frames.mean(axis=(1, 2, 3)) > 128)[0]]
    assert abs(heard - seen) <= 1 / clip.fps, f"tone heard at {heard:.3f} s, white frame shown at {seen:.3f} s"
    assert abs(heard - 1.6) <= 1 / clip.fps
    # the convention: t = 0 is the earliest stream start; the late stream starts where it starts
    assert min(clip.frame_times[0], clip.audio_start) == pytest.approx(0.0, abs=1e-3)
    assert clip.frame_times[0] == pytest.approx(video_start, abs=1e-3)
    assert clip.audio_start == pytest.approx(audio_start, abs=0.03)
    # the lazy reader places both streams the same way and decodes only the frames asked for
    tl = avio.open_video(p, sample_rate=22050)
    np.testing.assert_allclose(tl.frame_times, clip.frame_times)
    np.testing.assert_array_equal(tl.audio, clip.audio)
    k = int(np.searchsorted(tl.frame_times, seen - 1e-6))
    two = tl.frames_at([k - 1, k])
    assert two.shape == (2, 48, 64, 3) and two[0].mean() < 40 and two[1].mean() > 215
