"""Reading audio-visual media: with :mod:`s2i_lib.data.writers` (re-exported here), the only
code that talks to PyAV and soundfile.

Every notebook reaches media through these functions, so a clip from SynthAV and a clip
from a real corpus take exactly the same path (notebook 01 shows one).  Frames come back
as ``uint8`` arrays of shape ``(T, H, W, 3)`` with a presentation time for each, audio as
``float32`` of shape ``(channels, samples)`` in [-1, 1].

**One time axis.**  Sound and picture are placed on the container's timeline from their
timestamps (PTS x time base), never by counting samples from zero, so a clip whose audio
stream starts later than its video (a trimmed upload, AAC priming, an edit list) still
puts each sound with the picture shown at the same moment.  The convention: ``t = 0`` is
the earliest start of the video and audio streams (first frame or first decoded sample);
``frame_times`` are the frames' presentation times on that axis; ``audio[:, i]`` plays at
``i / sample_rate``, a stream that starts late being padded with silence before
``audio_start`` (a gap inside it likewise).  The builder uses only the span where both
streams play (:meth:`Timeline.span`), never that padding.

**Decode only what is needed.**  :func:`read_video` decodes every frame (notebook 01's
clip explorer, short clips).  :func:`open_video` reads the timeline -- frame times from
the packets, without decoding a picture, and the whole audio track -- and
:meth:`Timeline.frames_at` decodes once more, converting only the frames asked for,
scaled down at decode (``short_side``).

Problems with a file (missing, empty, truncated, not decodable, no audio stream) raise
:class:`MediaError`, whose message names the file and says what is wrong; the data
builder records the reason instead of stopping.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np


VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mkv", ".webm", ".avi", ".mov", ".mpg", ".mpeg", ".flv", ".ogv", ".3gp", ".ts")
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac", ".opus")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
_AUDIO_TOLERANCE = 0.005   # seconds: timestamps of audio frames this close to contiguous are contiguous


def _short(e: Exception) -> str:
    """An exception's message without the file name and errno that PyAV repeats."""
    msg = str(e)
    msg = re.sub(r"\[Errno -?\d+\]\s*", "", msg)
    msg = re.sub(r":\s*'[^']*'\s*$", "", msg)
    return f"{type(e).__name__}: {msg.strip()}"


class MediaError(RuntimeError):
    """A media file could not be used.  ``reason`` is a short machine-friendly tag."""

    def __init__(self, path, reason: str, detail: str = ""):
        self.path, self.reason, self.detail = str(path), reason, detail
        super().__init__(f"{self.path}: {reason}" + (f" ({detail})" if detail else ""))


# ----------------------------------------------------------------------------- clips
@dataclass
class Timeline:
    """A clip's frame times and audio on one time axis (seconds; see the module
    docstring), without its pictures: :meth:`frames_at` decodes the ones asked for."""
    path: str
    frame_times: np.ndarray       # (T,) float64, presentation times in seconds
    fps: float
    audio: Optional[np.ndarray]   # (C, N) float32 on the same axis, or None when the file has no audio
    sample_rate: int
    duration: float               # the end of the later-ending stream
    audio_start: float = 0.0      # where the audio stream's first sample lies (silence before it)
    origin: float = 0.0           # the container time of t = 0 (seconds)

    @property
    def num_frames(self) -> int:
        return int(len(self.frame_times))

    def mono(self) -> np.ndarray:
        """The audio as one channel (mean of the channels), shape ``(N,)``."""
        if self.audio is None:
            raise MediaError(self.path, "no audio stream")
        return to_mono(self.audio)

    def span(self) -> Tuple[float, float]:
        """``(start, end)``: where both the picture and the sound play."""
        starts, ends = [], []
        if len(self.frame_times):
            starts.append(float(self.frame_times[0]))
            ends.append(float(self.frame_times[-1]) + (1.0 / self.fps if self.fps else 0.0))
        if self.audio is not None:
            starts.append(float(self.audio_start))
            ends.append(self.audio.shape[-1] / self.sample_rate)
        return (max(starts), max(max(starts), min(ends))) if starts else (0.0, 0.0)

    def frames_at(self, indices: Sequence[int], short_side: Optional[int] = None) -> np.ndarray:
        """The frames ``indices`` (into :attr:`frame_times`) as ``(len(indices), H, W, 3)``
        uint8, decoded in one pass over the video stream; only these frames are converted
        to RGB, each scaled down at decode so that its shorter side is at most
        ``short_side`` pixels (None keeps the full size)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_frames):
            raise IndexError(f"{self.path}: frame indices must be in [0, {self.num_frames}), got {idx.min()}..{idx.max()}")
        return _decode_at(self, self.frame_times[idx], short_side)

    def load(self, short_side: Optional[int] = None) -> "Clip":
        """Every frame in memory (at most ``short_side`` pixels on the shorter side)."""
        frames = self.frames_at(np.arange(self.num_frames), short_side)
        return Clip(**{**self.__dict__, "frames": frames})


@dataclass
class Clip(Timeline):
    """A decoded clip: a :class:`Timeline` with every frame in memory."""
    frames: Optional[np.ndarray] = None   # (T, H, W, 3) uint8

    def frames_at(self, indices: Sequence[int], short_side: Optional[int] = None) -> np.ndarray:
        sel = self.frames[np.asarray(indices, dtype=np.int64).reshape(-1)]
        if short_side is None or not sel.size or min(sel.shape[1:3]) <= short_side:
            return sel
        return np.stack([shrink(f, short_side) for f in sel])

    def load(self, short_side: Optional[int] = None) -> "Clip":
        if short_side is None or self.frames is None or not self.frames.size or min(self.frames.shape[1:3]) <= short_side:
            return self
        return replace(self, frames=self.frames_at(np.arange(self.num_frames), short_side))


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


def _scaled_size(h: int, w: int, short_side: Optional[int]) -> Tuple[int, int]:
    if not short_side or min(h, w) <= short_side:
        return h, w
    s = short_side / min(h, w)
    return max(1, int(round(h * s))), max(1, int(round(w * s)))


def _to_rgb(frame, short_side: Optional[int]) -> np.ndarray:
    """A decoded PyAV video frame as RGB uint8, scaled down at conversion (area filter)."""
    h, w = _scaled_size(frame.height, frame.width, short_side)
    if (h, w) == (frame.height, frame.width):
        return frame.to_ndarray(format="rgb24")
    return frame.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")


def shrink(image: np.ndarray, short_side: int) -> np.ndarray:
    """An RGB image scaled down (area filter, as at decode) so that its shorter side is at
    most ``short_side``."""
    import av
    h, w = _scaled_size(image.shape[0], image.shape[1], short_side)
    if (h, w) == image.shape[:2]:
        return image
    vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    return vf.to_ndarray(format="rgb24", width=w, height=h, interpolation="AREA")


# ----------------------------------------------------------------------------- reading
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
    """Container-level facts without decoding: streams, duration, rates, start times."""
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
                                 "frames": vs.frames, "start": _stream_start(vs)}
            if container.streams.audio:
                a = container.streams.audio[0]
                info["audio"] = {"codec": a.codec_context.name, "sample_rate": a.codec_context.sample_rate,
                                 "channels": a.codec_context.channels if hasattr(a.codec_context, "channels")
                                 else len(a.codec_context.layout.channels), "start": _stream_start(a)}
            return info
    except MediaError:
        raise
    except Exception as e:  # PyAV raises many kinds
        raise MediaError(path, "not decodable", _short(e)) from None


def _stream_start(stream) -> Optional[float]:
    if stream.start_time is None or stream.time_base is None:
        return None
    return float(stream.start_time * stream.time_base)


def _open(path: Path):
    import av
    _check_file(path)
    try:
        return av.open(str(path))
    except Exception as e:
        raise MediaError(path, "corrupt, truncated or not a media file", _short(e)) from None


@dataclass
class _Scan:
    """What one pass over a file collected, in container time (before placing on the axis)."""
    video_times: List[float] = field(default_factory=list)   # container seconds, one per frame
    frames: List[np.ndarray] = field(default_factory=list)   # RGB, when the pass decoded pictures
    chunks: List[Tuple[Optional[float], np.ndarray]] = field(default_factory=list)   # (start, (C, n)) audio
    sr_in: Optional[int] = None
    fps: float = 0.0
    has_video: bool = False
    has_audio: bool = False
    video_pts_missing: bool = False


def _frame_time(obj, k: int, fps: float) -> float:
    """Presentation time of a packet or frame; without a timestamp, its rank at ``fps``."""
    t = obj.pts * obj.time_base if obj.pts is not None and obj.time_base is not None else None
    return float(t) if t is not None else (k / fps if fps else 0.0)


def _scan(path: Path, *, video: str, short_side: Optional[int], max_seconds: Optional[float]) -> _Scan:
    """Demux the first video and audio streams once.  Audio is always decoded.  ``video``
    is ``"frames"`` (decode and keep every picture), ``"times"`` (decode, keep only the
    times) or ``"packets"`` (the times of the packets, no decoding at all)."""
    import av
    container = _open(path)
    sc = _Scan()
    try:
        streams = []
        if container.streams.video:
            vs = container.streams.video[0]
            vs.thread_type = "AUTO"
            sc.has_video, sc.fps = True, float(vs.average_rate) if vs.average_rate else 0.0
            streams.append(vs)
        if container.streams.audio:
            a_stream = container.streams.audio[0]
            sc.has_audio, sc.sr_in = True, a_stream.codec_context.sample_rate
            streams.append(a_stream)
        if streams:
            _demux(container, streams, sc, video, short_side, max_seconds)
    except (av.error.InvalidDataError, av.error.EOFError, ValueError) as e:
        # A truncated file: keep what decoded if there is any, else refuse.
        if not sc.video_times and not sc.chunks:
            raise MediaError(path, "corrupt or truncated", _short(e)) from None
    except av.error.FFmpegError as e:
        raise MediaError(path, "not decodable", _short(e)) from None
    finally:
        container.close()
    return sc


def _demux(container, streams, sc: _Scan, video: str, short_side, max_seconds) -> None:
    first = None                     # the earliest container time seen, for max_seconds
    for packet in container.demux(*streams):
        is_video = packet.stream.type == "video"
        if is_video and video == "packets":
            if packet.size == 0 or packet.is_discard:     # flush packets; ones an edit list cuts away
                continue
            if packet.pts is None:
                sc.video_pts_missing = True
            t = _frame_time(packet, len(sc.video_times), sc.fps)
            first = t if first is None else min(first, t)
            if max_seconds is None or t - first < max_seconds:
                sc.video_times.append(t)
            continue
        for frame in packet.decode():
            if is_video:
                t = _frame_time(frame, len(sc.video_times), sc.fps)
                first = t if first is None else min(first, t)
                if max_seconds is not None and t - first >= max_seconds:
                    continue
                sc.video_times.append(t)
                if video == "frames":
                    sc.frames.append(_to_rgb(frame, short_side))
            else:
                t = float(frame.time) if frame.time is not None else None
                if t is not None:
                    first = t if first is None else min(first, t)
                sc.chunks.append((t, _audio_frame_to_array(frame)))


def _place_audio(chunks, sr: int, origin: float) -> Tuple[np.ndarray, float]:
    """Lay decoded audio frames at their timestamps on the axis whose zero is ``origin``:
    silence before the first one and in gaps, overlaps trimmed (one array, filled in place)."""
    tol = int(_AUDIO_TOLERANCE * sr) + 1
    spans, pos = [], None             # (position on the axis, first sample of the chunk to use)
    for t, arr in chunks:
        at = pos if t is None else int(round((t - origin) * sr))
        if pos is None:
            pos = max(0, at if at is not None else 0)
        elif at - pos > tol:
            pos = at
        skip = pos - at if at is not None and pos - at > tol else 0
        spans.append((pos, skip))
        pos += max(0, arr.shape[1] - skip)
    audio = np.zeros((chunks[0][1].shape[0], pos), np.float32)
    for (at, skip), (_, arr) in zip(spans, chunks):
        piece = arr[:, skip:]
        audio[:, at: at + piece.shape[1]] = piece
    return audio, spans[0][0] / sr


def _timeline(path: Path, sc: _Scan, *, need_audio: bool, need_video: bool, sample_rate: Optional[int],
              max_seconds: Optional[float]) -> Tuple[Timeline, np.ndarray]:
    """Place a scan on one axis; returns the timeline and the order of its frames."""
    if need_video and not sc.has_video:
        raise MediaError(path, "no video stream", "audio-only file" if sc.has_audio else "no streams")
    if need_audio and not sc.has_audio:
        raise MediaError(path, "no audio stream")
    if need_video and not sc.video_times:
        raise MediaError(path, "no decodable video frames", "corrupt or truncated")
    if need_audio and not sc.chunks:
        raise MediaError(path, "no decodable audio", "corrupt or truncated")
    starts = [min(sc.video_times)] if sc.video_times else []
    audio_first = next((t for t, _ in sc.chunks if t is not None), None)
    if audio_first is not None:
        starts.append(audio_first)
    origin = min(starts) if starts else 0.0
    order = np.argsort(np.asarray(sc.video_times), kind="stable")
    times = np.asarray(sc.video_times, dtype=np.float64)[order] - origin
    fps = sc.fps
    if not fps and len(times) > 1:
        fps = 1.0 / float(np.median(np.diff(times)))
    audio, audio_start, sr = None, 0.0, int(sc.sr_in or (sample_rate or 0))
    if sc.chunks:
        if audio_first is None and len(times):
            sc.chunks[0] = (origin + float(times[0]), sc.chunks[0][1])   # no timestamps: start with the picture
        audio, audio_start = _place_audio(sc.chunks, sc.sr_in, origin)
        sc.chunks = []                # free the decoded frames before resampling
        if max_seconds is not None:
            audio = audio[:, : int(round(max_seconds * sc.sr_in))]
        if sample_rate is not None and sc.sr_in != sample_rate:
            audio, sr = resample(audio, sc.sr_in, sample_rate), int(sample_rate)
        audio = np.clip(audio, -1.0, 1.0, out=audio)
    dur_v = float(times[-1] + 1.0 / fps) if len(times) and fps else (float(times[-1]) if len(times) else 0.0)
    dur_a = audio.shape[1] / sr if audio is not None else 0.0
    return Timeline(str(path), times, float(fps), audio, sr, max(dur_v, dur_a), float(audio_start),
                    float(origin)), order


def open_video(path, *, need_audio: bool = True, need_video: bool = True, sample_rate: Optional[int] = None,
               max_seconds: Optional[float] = None) -> Timeline:
    """A video's :class:`Timeline`: frame times (from the packets; no picture is decoded)
    and the whole audio track, resampled to ``sample_rate``.  Decode frames with
    :meth:`Timeline.frames_at`.  Raises :class:`MediaError` as :func:`read_video` does."""
    path = Path(path)
    sc = _scan(path, video="packets", short_side=None, max_seconds=max_seconds)
    if sc.video_pts_missing:        # packets without timestamps: ask the decoder instead
        sc = _scan(path, video="times", short_side=None, max_seconds=max_seconds)
    tl, _ = _timeline(path, sc, need_audio=need_audio, need_video=need_video, sample_rate=sample_rate,
                      max_seconds=max_seconds)
    return tl


def read_video(path, *, need_audio: bool = True, need_video: bool = True, sample_rate: Optional[int] = None,
               max_seconds: Optional[float] = None, short_side: Optional[int] = None) -> Clip:
    """Decode a video file's frames and its first audio stream into a :class:`Clip`.

    Every frame is kept in memory (at most ``short_side`` pixels on the shorter side):
    meant for short clips; a build uses :func:`open_video` and decodes only the frames it
    pairs.  ``sample_rate`` resamples the audio; ``max_seconds`` stops early.  Raises
    :class:`MediaError` for a missing/empty/corrupt file, for a file without a video
    stream when ``need_video``, and without an audio stream when ``need_audio``.
    """
    path = Path(path)
    sc = _scan(path, video="frames", short_side=short_side, max_seconds=max_seconds)
    tl, order = _timeline(path, sc, need_audio=need_audio, need_video=need_video, sample_rate=sample_rate,
                          max_seconds=max_seconds)
    frames = np.stack([sc.frames[i] for i in order]) if sc.frames else np.zeros((0, 0, 0, 3), np.uint8)
    return Clip(**{**tl.__dict__, "frames": frames})


def _decode_at(tl: Timeline, wanted: np.ndarray, short_side: Optional[int]) -> np.ndarray:
    """The frames on screen at the times ``wanted`` (timeline seconds), in that order."""
    import av
    path = Path(tl.path)
    out: List[Optional[np.ndarray]] = [None] * len(wanted)
    if not len(wanted):
        return np.zeros((0, 0, 0, 3), np.uint8)
    order = np.argsort(wanted, kind="stable")
    eps = 0.25 / tl.fps if tl.fps else 1e-3
    j, k, prev, prev_rgb, prev_t = 0, 0, None, None, None

    def give(frame_rgb):
        nonlocal j
        out[order[j]] = frame_rgb
        j += 1

    container = _open(path)
    try:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        for frame in container.decode(vs):
            t = _frame_time(frame, k, tl.fps) - tl.origin
            k += 1
            while j < len(order) and wanted[order[j]] < t - eps and prev is not None:
                prev_rgb = prev_rgb if prev_rgb is not None else _to_rgb(prev, short_side)
                give(prev_rgb)
            if j == len(order):
                break
            prev, prev_rgb, prev_t = frame, None, t
    except (av.error.InvalidDataError, av.error.EOFError, ValueError):
        pass                          # truncated: what decoded is used, the rest refused below
    except av.error.FFmpegError as e:
        raise MediaError(path, "not decodable", _short(e)) from None
    finally:
        container.close()
    while j < len(order):
        if prev is None or wanted[order[j]] > prev_t + 1.5 / (tl.fps or 1.0):
            raise MediaError(path, "corrupt or truncated",
                             f"no decodable frame at {wanted[order[j]]:.3f} s")
        prev_rgb = prev_rgb if prev_rgb is not None else _to_rgb(prev, short_side)
        give(prev_rgb)
    return np.stack(out)


def read_audio(path, sample_rate: Optional[int] = None) -> tuple[np.ndarray, int]:
    """Read an audio file as float32 (C, N) and its rate; wav/flac/ogg via soundfile, other
    formats through PyAV (placed on the stream's timeline as :func:`read_video` does)."""
    path = Path(path)
    _check_file(path)
    try:
        import soundfile as sf
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
        audio = data.T
    except Exception:
        tl = open_video(path, need_video=False, need_audio=True)
        audio, sr = tl.audio, tl.sample_rate
    if audio.size == 0:
        raise MediaError(path, "empty audio", "no samples")
    if sample_rate is not None and sr != sample_rate:
        audio = resample(audio, sr, sample_rate)
        sr = sample_rate
    return audio.astype(np.float32), int(sr)


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


# the writers live in their own module; media is the one place callers reach both
from .writers import write_audio, write_image, write_video  # noqa: E402
