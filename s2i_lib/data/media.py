"""Reading and writing audio-visual media: the only module that talks to PyAV and soundfile.

Every notebook reaches media through these functions, so a clip from SynthAV and a clip
from a real corpus take exactly the same path.  Frames come back as ``uint8`` arrays of
shape ``(T, H, W, 3)`` with a presentation time for each, audio as ``float32`` of shape
``(channels, samples)`` in [-1, 1].

Problems with a file (missing, empty, truncated, not decodable, no audio stream) raise
:class:`MediaError`, whose message names the file and says what is wrong; the data
builder catches it and records the reason instead of stopping.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Optional

import numpy as np

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".mpg", ".mpeg", ".flv", ".ogv", ".3gp", ".ts")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac", ".opus")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")


def _short(e: Exception) -> str:
    """An exception's message without the file name and errno that PyAV repeats."""
    import re
    msg = str(e)
    msg = re.sub(r"\[Errno -?\d+\]\s*", "", msg)
    msg = re.sub(r":\s*'[^']*'\s*$", "", msg)
    return f"{type(e).__name__}: {msg.strip()}"


class MediaError(RuntimeError):
    """A media file could not be used.  ``reason`` is a short machine-friendly tag."""

    def __init__(self, path, reason: str, detail: str = ""):
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        msg = f"{self.path}: {reason}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)


@dataclass
class Clip:
    """A decoded clip: frames and audio on one time axis (seconds from the start)."""
    path: str
    frames: np.ndarray            # (T, H, W, 3) uint8
    frame_times: np.ndarray       # (T,) float64, seconds
    fps: float
    audio: Optional[np.ndarray]   # (C, N) float32, or None when the file has no audio
    sample_rate: int
    duration: float

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    def mono(self) -> np.ndarray:
        """The audio as one channel (mean of the channels), shape ``(N,)``."""
        if self.audio is None:
            raise MediaError(self.path, "no audio stream")
        return to_mono(self.audio)


def to_mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        return audio
    return audio.mean(axis=0).astype(np.float32)


def resample(audio: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Resample along the last axis with a polyphase filter (deterministic, exact ratio)."""
    audio = np.asarray(audio, dtype=np.float32)
    if int(sr_in) == int(sr_out):
        return audio
    from scipy.signal import resample_poly
    g = math.gcd(int(sr_in), int(sr_out))
    up, down = int(sr_out) // g, int(sr_in) // g
    return resample_poly(audio, up, down, axis=-1).astype(np.float32)


def _check_file(path: Path) -> None:
    if not path.exists():
        raise MediaError(path, "missing file")
    if not os.access(path, os.R_OK):
        raise MediaError(path, "unreadable file", "permission denied")
    if path.is_dir():
        raise MediaError(path, "not a file", "is a directory")
    if path.stat().st_size == 0:
        raise MediaError(path, "empty file", "zero bytes")


def _audio_frame_to_array(frame) -> np.ndarray:
    """One decoded PyAV audio frame as float32 (C, n)."""
    arr = frame.to_ndarray()
    fmt = frame.format
    channels = len(frame.layout.channels)
    if fmt.is_planar:
        arr = arr.reshape(channels, -1)
    else:
        arr = arr.reshape(-1, channels).T
    if arr.dtype == np.int16:
        arr = arr.astype(np.float32) / 32768.0
    elif arr.dtype == np.int32:
        arr = arr.astype(np.float32) / 2147483648.0
    elif arr.dtype == np.uint8:
        arr = (arr.astype(np.float32) - 128.0) / 128.0
    return arr.astype(np.float32, copy=False)


def probe(path) -> dict:
    """Container-level facts without decoding: streams, duration, rates."""
    import av
    path = Path(path)
    _check_file(path)
    try:
        with av.open(str(path)) as container:
            info = {"path": str(path), "format": container.format.name,
                    "duration": (container.duration / 1e6) if container.duration else None,
                    "video": None, "audio": None}
            if container.streams.video:
                vs = container.streams.video[0]
                info["video"] = {"codec": vs.codec_context.name, "width": vs.codec_context.width,
                                 "height": vs.codec_context.height,
                                 "fps": float(vs.average_rate) if vs.average_rate else None,
                                 "frames": vs.frames}
            if container.streams.audio:
                a = container.streams.audio[0]
                info["audio"] = {"codec": a.codec_context.name, "sample_rate": a.codec_context.sample_rate,
                                 "channels": a.codec_context.channels if hasattr(a.codec_context, "channels")
                                 else len(a.codec_context.layout.channels)}
            return info
    except MediaError:
        raise
    except Exception as e:  # PyAV raises many kinds
        raise MediaError(path, "not decodable", _short(e)) from None


def read_video(path, *, need_audio: bool = True, need_video: bool = True,
               sample_rate: Optional[int] = None, max_seconds: Optional[float] = None) -> Clip:
    """Decode a video file's frames and its first audio stream.

    ``sample_rate`` resamples the audio; ``max_seconds`` stops decoding early.
    Raises :class:`MediaError` for a missing/empty/corrupt file, for a file without a
    video stream when ``need_video``, and without an audio stream when ``need_audio``.
    """
    import av
    path = Path(path)
    _check_file(path)
    try:
        container = av.open(str(path))
    except Exception as e:
        raise MediaError(path, "corrupt, truncated or not a media file", _short(e)) from None
    try:
        has_v = bool(container.streams.video)
        has_a = bool(container.streams.audio)
        if need_video and not has_v:
            raise MediaError(path, "no video stream", "audio-only file" if has_a else "no streams")
        if need_audio and not has_a:
            raise MediaError(path, "no audio stream")
        frames, times, chunks = [], [], []
        sr_in = None
        fps = 0.0
        streams = []
        if has_v:
            vs = container.streams.video[0]
            vs.thread_type = "AUTO"
            fps = float(vs.average_rate) if vs.average_rate else 0.0
            streams.append(vs)
        if has_a:
            a_stream = container.streams.audio[0]
            sr_in = a_stream.codec_context.sample_rate
            streams.append(a_stream)
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    t = float(frame.time) if frame.time is not None else None
                    if packet.stream.type == "video":
                        if t is None:
                            t = len(frames) / fps if fps else 0.0
                        if max_seconds is not None and t >= max_seconds:
                            continue
                        frames.append(frame.to_ndarray(format="rgb24"))
                        times.append(t)
                    elif packet.stream.type == "audio":
                        chunks.append(_audio_frame_to_array(frame))
        except (av.error.InvalidDataError, av.error.EOFError, ValueError) as e:
            # A truncated file: keep what decoded if it is substantial, else refuse.
            if not frames and not chunks:
                raise MediaError(path, "corrupt or truncated", _short(e)) from None
        except av.error.FFmpegError as e:
            raise MediaError(path, "not decodable", _short(e)) from None
    finally:
        container.close()

    if need_video and not frames:
        raise MediaError(path, "no decodable video frames", "corrupt or truncated")
    audio = None
    if chunks:
        audio = np.concatenate(chunks, axis=1)
        if max_seconds is not None:
            audio = audio[:, : int(round(max_seconds * sr_in))]
        if sample_rate is not None and sr_in != sample_rate:
            audio = resample(audio, sr_in, sample_rate)
            sr_in = sample_rate
        audio = np.clip(audio, -1.0, 1.0).astype(np.float32)
    elif need_audio:
        raise MediaError(path, "no decodable audio", "corrupt or truncated")

    if frames:
        order = np.argsort(np.asarray(times), kind="stable")
        frame_arr = np.stack([frames[i] for i in order])
        time_arr = np.asarray(times, dtype=np.float64)[order]
        time_arr -= time_arr[0] if time_arr[0] < 0 else 0.0
        if not fps and len(time_arr) > 1:
            fps = 1.0 / float(np.median(np.diff(time_arr)))
    else:
        frame_arr = np.zeros((0, 0, 0, 3), np.uint8)
        time_arr = np.zeros(0)
    dur_v = float(time_arr[-1] + 1.0 / fps) if len(time_arr) and fps else 0.0
    dur_a = audio.shape[1] / sr_in if audio is not None else 0.0
    duration = max(dur_v, dur_a)
    return Clip(str(path), frame_arr, time_arr, float(fps), audio, int(sr_in or (sample_rate or 0)), duration)


def write_video(path, frames: np.ndarray, fps: float, audio: Optional[np.ndarray] = None,
                sample_rate: int = 22050, *, video_codec: Optional[str] = None,
                audio_codec: Optional[str] = None, quality: int = 4) -> Path:
    """Write ``frames`` (T, H, W, 3 uint8) and optional ``audio`` ((C, N) or (N,) float in
    [-1, 1]) into one container chosen by the file extension.

    Default codecs by container: .mp4/.mov/.m4v -> mpeg4 + aac, .mkv -> mpeg4 + flac,
    .webm -> libvpx + libopus (when present), .avi -> mpeg4 + pcm_s16le.
    The file is written to a temporary name and renamed, so a killed writer never
    leaves a half file under the real name.
    """
    import av
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower()
    defaults = {".mp4": ("mpeg4", "aac"), ".m4v": ("mpeg4", "aac"), ".mov": ("mpeg4", "aac"),
                ".mkv": ("mpeg4", "flac"), ".avi": ("mpeg4", "pcm_s16le"),
                ".webm": ("libvpx", "libopus")}
    vc_default, ac_default = defaults.get(ext, ("mpeg4", "aac"))
    vcodec = video_codec or vc_default
    acodec = audio_codec or ac_default
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{path}: frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    T, H, W, _ = frames.shape
    tmp = path.with_name(path.stem + ".partial" + path.suffix)
    fps_frac = Fraction(fps).limit_denominator(1001)
    with av.open(str(tmp), mode="w") as out:
        vs = out.add_stream(vcodec, rate=fps_frac)
        vs.width, vs.height = W, H
        vs.pix_fmt = "yuvj420p" if vcodec == "mjpeg" else "yuv420p"
        if vcodec == "mpeg4":
            vs.codec_context.qmax = quality
            vs.codec_context.qmin = 1
        as_ = None
        if audio is not None:
            audio = np.asarray(audio, dtype=np.float32)
            if audio.ndim == 1:
                audio = audio[None, :]
            channels = audio.shape[0]
            layout = "mono" if channels == 1 else "stereo"
            if acodec == "libopus" and int(sample_rate) not in (8000, 12000, 16000, 24000, 48000):
                audio = resample(audio, int(sample_rate), 48000)   # Opus only takes these rates
                sample_rate = 48000
            as_ = out.add_stream(acodec, rate=int(sample_rate), layout=layout)
        for i in range(T):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frames[i]), format="rgb24")
            for packet in vs.encode(vf):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if as_ is not None:
            _encode_audio(out, as_, audio, int(sample_rate))
    os.replace(tmp, path)
    return path


def _encode_audio(out, stream, audio: np.ndarray, sample_rate: int) -> None:
    import av
    channels = audio.shape[0]
    layout = "mono" if channels == 1 else "stereo"
    codec_fmt = stream.codec_context.format
    fmt_name = codec_fmt.name if codec_fmt is not None else "fltp"
    frame_size = stream.codec_context.frame_size or 1024
    n = audio.shape[1]
    pts = 0
    for start in range(0, n, frame_size):
        chunk = audio[:, start:start + frame_size]
        if chunk.shape[1] < frame_size and stream.codec_context.frame_size:
            pad = np.zeros((channels, frame_size - chunk.shape[1]), np.float32)
            chunk = np.concatenate([chunk, pad], axis=1)
        chunk = np.clip(chunk, -1.0, 1.0)
        if fmt_name.startswith("s16"):
            data = (chunk * 32767.0).round().astype(np.int16)
        elif fmt_name.startswith("s32"):
            data = (chunk * 2147483647.0).round().astype(np.int32)
        else:
            data = chunk.astype(np.float32)
        planar = fmt_name.endswith("p")
        if not planar:
            data = data.T.reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data), format=fmt_name, layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = pts
        pts += chunk.shape[1]
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def read_audio(path, sample_rate: Optional[int] = None) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (C, N) and its rate; wav/flac/ogg via soundfile, other
    formats through PyAV."""
    path = Path(path)
    _check_file(path)
    try:
        import soundfile as sf
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
        audio = data.T
    except Exception:
        try:
            clip = read_video(path, need_video=False, need_audio=True)
        except MediaError:
            raise
        audio, sr = clip.audio, clip.sample_rate
    if audio.size == 0:
        raise MediaError(path, "empty audio", "no samples")
    if sample_rate is not None and sr != sample_rate:
        audio = resample(audio, sr, sample_rate)
        sr = sample_rate
    return audio.astype(np.float32), int(sr)


def write_audio(path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write float audio ((C, N) or (N,)) as 16-bit PCM wav, atomically."""
    import soundfile as sf
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = np.asarray(audio, dtype=np.float32)
    data = audio.T if audio.ndim == 2 else audio
    tmp = path.with_name(path.stem + ".partial" + path.suffix)
    sf.write(str(tmp), np.clip(data, -1, 1), int(sample_rate), subtype="PCM_16", format="WAV")
    os.replace(tmp, path)
    return path


def read_image(path) -> np.ndarray:
    """An image file as uint8 (H, W, 3)."""
    from PIL import Image
    path = Path(path)
    _check_file(path)
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except Exception as e:
        raise MediaError(path, "not decodable", _short(e)) from None


def resize_square(image: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop to a square, then resize to ``size`` x ``size`` (antialiased)."""
    from PIL import Image
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = image[top:top + s, left:left + s]
    if s == size:
        return np.ascontiguousarray(crop)
    return np.asarray(Image.fromarray(crop).resize((size, size), Image.BICUBIC if size > s else Image.LANCZOS))


def write_image(path, image: np.ndarray) -> Path:
    from PIL import Image
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".partial" + path.suffix)
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(tmp, format="PNG" if path.suffix.lower() == ".png" else None)
    os.replace(tmp, path)
    return path
