"""Writing audio-visual media: videos with an audio track, WAV files and images (PyAV,
soundfile, Pillow).  SynthAV writes its corpus and the builder its pairs through these; the
tests write their odd containers and codecs with them.  Every file is written through
:func:`s2i_lib.cache.atomic_write`, so a reader never sees half a file.  Reading is
:mod:`s2i_lib.data.media`, which re-exports these writers."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Optional

import numpy as np

from ..cache import atomic_write

_CONTAINER_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm",
                      ".avi": "avi", ".flv": "flv", ".ogv": "ogg", ".3gp": "3gp", ".ts": "mpegts",
                      ".mpg": "mpeg", ".mpeg": "mpeg"}


def write_video(path, frames: np.ndarray, fps: float, audio: Optional[np.ndarray] = None,
                sample_rate: int = 22050, *, video_codec: Optional[str] = None,
                audio_codec: Optional[str] = None, quality: int = 4) -> Path:
    """Write ``frames`` (T, H, W, 3 uint8) and optional ``audio`` ((C, N) or (N,) float in
    [-1, 1]) into one container chosen by the file extension.  Both streams start at 0.

    Default codecs by container: .mp4/.mov/.m4v -> mpeg4 + aac, .mkv -> mpeg4 + flac,
    .webm -> libvpx + libopus (when present), .avi -> mpeg4 + pcm_s16le.
    The file is written through :func:`s2i_lib.cache.atomic_write` (a unique temporary
    name, then a rename), so a killed writer never leaves a half file under the real name.
    """
    path = Path(path)
    ext = path.suffix.lower()
    defaults = {".mp4": ("mpeg4", "aac"), ".m4v": ("mpeg4", "aac"), ".mov": ("mpeg4", "aac"),
                ".mkv": ("mpeg4", "flac"), ".avi": ("mpeg4", "pcm_s16le"),
                ".webm": ("libvpx", "libopus")}
    vc_default, ac_default = defaults.get(ext, ("mpeg4", "aac"))
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"{path}: frames must be uint8 (T, H, W, 3), got {frames.dtype} {frames.shape}")
    atomic_write(path, lambda tmp: _write_container(tmp, _CONTAINER_FORMATS.get(ext, "mp4"), frames, fps, audio,
                                                    sample_rate, video_codec or vc_default,
                                                    audio_codec or ac_default, quality))
    return path


def _write_container(tmp: Path, fmt: str, frames, fps, audio, sample_rate, vcodec, acodec, quality) -> None:
    import av
    T, H, W, _ = frames.shape
    fps_frac = Fraction(fps).limit_denominator(1001)
    with av.open(str(tmp), mode="w", format=fmt) as out:
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
            layout = "mono" if audio.shape[0] == 1 else "stereo"
            if acodec == "libopus" and int(sample_rate) not in (8000, 12000, 16000, 24000, 48000):
                from .media import resample
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


def write_audio(path, audio: np.ndarray, sample_rate: int) -> Path:
    """Write float audio ((C, N) or (N,)) as 16-bit PCM wav, atomically."""
    import soundfile as sf
    audio = np.asarray(audio, dtype=np.float32)
    data = np.clip(audio.T if audio.ndim == 2 else audio, -1, 1)
    return atomic_write(path, lambda tmp: sf.write(str(tmp), data, int(sample_rate), subtype="PCM_16",
                                                   format="WAV"))


def write_image(path, image: np.ndarray) -> Path:
    """Write an RGB image (PNG for ``.png``, else the format its extension names), atomically."""
    from PIL import Image
    path = Path(path)
    ext = path.suffix.lower().lstrip(".")
    fmt = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "webp": "WEBP"}.get(ext, "PNG")
    img = Image.fromarray(np.asarray(image, dtype=np.uint8))
    return atomic_write(path, lambda tmp: img.save(tmp, format=fmt))
