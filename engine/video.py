"""Frame sinks: H.264 MP4, WebM (VP9, else VP8) and GIF through PyAV, or a folder of PNGs; frames are
encoded on a writer thread fed by a bounded queue, so encoding runs beside rendering.

Decisions:
- `check_video_target` runs before any frame is rendered: a known extension, an encoder this PyAV build
  has, a folder that takes a real temporary file (not os.access, which root and read-only mounts fool),
  an even width and height for the 4:2:0 codecs. Any problem is one VideoError line naming the file.
- MP4 is written fragmented (a fragment per keyframe, a keyframe every second): a file cut short by a
  full disk or a killed process still plays up to its last whole fragment, and one closed normally
  knows its duration. WebM clusters and GIF frames survive truncation by themselves.
- The queue is bounded: when encoding falls behind, rendering waits instead of piling frames up in
  memory. `write` copies the frame, so a caller may reuse its array at once.
- An encoder or disk error (ENOSPC) stops the thread; the next `write` or `close` raises it as one
  VideoError line that says how many frames the file holds. `close` encodes what was queued, flushes
  and closes the container, so it belongs in a `finally` (Ctrl+C, SIGTERM).
"""
from __future__ import annotations

import os
import queue
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentwalk.engine.errors import EngineError

FOLDER_PATTERN = "frame_{:06d}.png"
# Measured on the 3-d view with the camera turning (bench/bench_record.py's case): at 1080p "veryfast"
# encodes 18 fps, "superfast" 43 fps for 1.5x the bytes at the same crf. Rendering on llvmpipe takes
# both cores, so the encoder's CPU shows up in the wall time: the cheaper preset keeps it near the render.
X264_PRESET = "superfast"
QUEUE_FRAMES = 8
WAIT_SECONDS = 0.1  # how often a blocked producer or consumer looks at the other side's state


class VideoError(EngineError):
    """A video could not be written; the message names the file."""


@dataclass(frozen=True)
class VideoFormat:
    container: str
    codecs: tuple[str, ...]  # the first one this PyAV build can encode is used
    pix_fmt: str
    even_size: bool
    container_options: dict = field(default_factory=dict)


FORMATS = {
    ".mp4": VideoFormat("mp4", ("libx264", "libopenh264"), "yuv420p", True,
                        {"movflags": "frag_keyframe+empty_moov+default_base_moof"}),
    ".webm": VideoFormat("webm", ("libvpx-vp9", "libvpx"), "yuv420p", True),
    ".gif": VideoFormat("gif", ("gif",), "pal8", False),
}
KNOWN_TARGETS = ", ".join([*FORMATS, "or a folder (PNG frames)"])


@dataclass(frozen=True)
class VideoTarget:
    path: Path
    size: tuple[int, int]
    fps: float
    format: VideoFormat | None  # None: a folder of PNG frames
    codec: str  # "png" for a folder

    @property
    def is_folder(self) -> bool:
        return self.format is None


@dataclass(frozen=True)
class VideoSummary:
    path: Path
    frames: int
    fps: float
    size: tuple[int, int]
    codec: str
    bytes: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    def line(self) -> str:
        return (f"{self.path}: {self.frames} frames, {self.seconds:.2f} s at {self.fps:g} fps, "
                f"{self.size[0]}x{self.size[1]} {self.codec}, {_human_bytes(self.bytes)}")


def is_folder_target(path: str | os.PathLike) -> bool:
    """A folder means a PNG sequence: an existing folder, a name ending in a separator, or no extension."""
    text = os.fspath(path)
    return Path(text).is_dir() or text.endswith(("/", os.sep)) or not Path(text).suffix


def encoder_available(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception:  # PyAV raises UnknownCodecError or ValueError depending on the version
        return False
    return True


def check_video_target(path: str | os.PathLike, size: tuple[int, int], fps: float) -> VideoTarget:
    """Everything that can be known before rendering: refuse now, in one line, what would fail later."""
    path = Path(path)
    width, height = int(size[0]), int(size[1])
    if not (fps > 0 and np.isfinite(fps)):
        raise VideoError(f"{path}: frame rate must be a positive number, got {fps}")
    if width < 2 or height < 2:
        raise VideoError(f"{path}: frame size {width}x{height} is too small")
    if is_folder_target(path):
        if path.exists() and not path.is_dir():
            raise VideoError(f"{path}: exists and is not a folder")
        if not path.parent.is_dir():
            raise VideoError(f"{path}: folder {path.parent} does not exist")
        if path.is_dir() and any(path.glob("frame_*.png")):
            raise VideoError(f"{path}: already holds frame_*.png files; choose an empty or new folder")
        _probe_writable(path if path.is_dir() else path.parent, path)
        return VideoTarget(path, (width, height), float(fps), None, "png")
    video_format = FORMATS.get(path.suffix.lower())
    if video_format is None:
        raise VideoError(f"{path}: unknown video type {path.suffix!r} (use {KNOWN_TARGETS})")
    codec = next((name for name in video_format.codecs if encoder_available(name)), None)
    if codec is None:
        raise VideoError(f"{path}: this PyAV build has no {' or '.join(video_format.codecs)} encoder for "
                         f"{path.suffix} files (try another type: {KNOWN_TARGETS})")
    if video_format.even_size and (width % 2 or height % 2):
        raise VideoError(f"{path}: {codec} needs an even width and height, got {width}x{height}")
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise VideoError(f"{path}: is a folder (a video needs a file name)")
    if not parent.is_dir():
        raise VideoError(f"{path}: folder {parent} does not exist")
    _probe_writable(parent, path)
    if path.exists() and not os.access(path, os.W_OK):
        raise VideoError(f"{path}: not writable")
    return VideoTarget(path, (width, height), float(fps), video_format, codec)


def _probe_writable(folder: Path, path: Path) -> None:
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".latentwalk-probe-")
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        raise VideoError(f"{path}: cannot write in {folder} ({exc.strerror or exc})") from None


class _AvSink:
    """One PyAV output container with one video stream."""

    def __init__(self, target: VideoTarget, crf: float | None, preset: str | None) -> None:
        import av

        fmt = target.format
        self.container = av.open(str(target.path), "w", format=fmt.container, options=dict(fmt.container_options))
        fps = round(target.fps) if float(target.fps).is_integer() else _fraction(target.fps)
        self.stream = self.container.add_stream(target.codec, rate=fps)
        self.stream.width, self.stream.height = target.size
        self.stream.pix_fmt = fmt.pix_fmt
        options = {}
        if target.codec == "libx264":
            options = {"crf": f"{23 if crf is None else crf:g}", "preset": preset or X264_PRESET}
            self.stream.codec_context.gop_size = max(1, round(target.fps))  # a fragment a second
        elif target.codec.startswith("libvpx"):
            options = {"crf": f"{32 if crf is None else crf:g}", "b": "0", "deadline": "realtime",
                       "cpu-used": "8"}
        self.stream.options = options
        self.is_gif = fmt.container == "gif"

    def write(self, image: np.ndarray) -> None:
        import av

        if self.is_gif:
            frame = av.VideoFrame.from_ndarray(_palette_image(image), format="pal8")
        else:
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        try:
            for packet in self.stream.encode(None):
                self.container.mux(packet)
        finally:
            self.container.close()


class _PngSink:
    def __init__(self, target: VideoTarget) -> None:
        self.folder = target.path
        self.folder.mkdir(exist_ok=True)
        self.count = 0

    def write(self, image: np.ndarray) -> None:
        from PIL import Image

        path = self.folder / FOLDER_PATTERN.format(self.count)
        partial = path.with_name(f".{path.name}.partial")
        try:
            Image.fromarray(image).save(partial, format="PNG", compress_level=1)
            os.replace(partial, path)
        except OSError:
            partial.unlink(missing_ok=True)
            raise
        self.count += 1

    def close(self) -> None:
        pass


def _palette_image(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGB -> (indices, BGRA palette) for GIF: an adaptive 256-colour palette per frame, no dithering
    (dither noise makes GIFs larger and flicker frame to frame)."""
    from PIL import Image

    quantized = Image.fromarray(image).quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    colors = np.asarray(quantized.getpalette(), np.uint8).reshape(-1, 3)
    palette = np.zeros((256, 4), np.uint8)
    palette[:, 0] = 255  # PyAV takes pal8 palettes as (A, R, G, B) rows (measured: decoded back exactly)
    palette[:len(colors), 1:] = colors
    return np.asarray(quantized, np.uint8), palette


def _fraction(fps: float):
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """`write(frame)` for each (H, W, 3) uint8 frame, then `close()`; a context manager closes it too."""

    def __init__(self, path: str | os.PathLike, size: tuple[int, int], fps: float = 30.0, *,
                 crf: float | None = None, preset: str | None = None, queue_frames: int = QUEUE_FRAMES,
                 target: VideoTarget | None = None) -> None:
        self.target = target or check_video_target(path, size, fps)
        try:
            self._sink = _PngSink(self.target) if self.target.is_folder else _AvSink(self.target, crf, preset)
        except (OSError, ValueError) as exc:
            raise VideoError(f"{self.target.path}: cannot open for writing ({_reason(exc)})") from None
        self.frames_written = 0  # handed to the encoder without error
        self._queue: queue.Queue = queue.Queue(maxsize=max(1, queue_frames))
        self._error: BaseException | None = None
        self._closed = False
        self._summary: VideoSummary | None = None
        self._thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
        self._thread.start()

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close(raise_error=exc[0] is None)

    @property
    def size(self) -> tuple[int, int]:
        return self.target.size

    def write(self, image: np.ndarray) -> None:
        width, height = self.target.size
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise VideoError(f"{self.target.path}: expected ({height}, {width}, 3) uint8 frames, "
                             f"got {image.shape} {image.dtype}")
        self._raise_error()
        frame = np.array(image, copy=True)
        while True:
            try:
                self._queue.put(frame, timeout=WAIT_SECONDS)
                return
            except queue.Full:
                self._raise_error()

    def close(self, raise_error: bool = True) -> VideoSummary:
        """Encode what is queued, flush, close the file; idempotent. Raises the thread's error (after
        closing) unless `raise_error` is False."""
        if not self._closed:
            self._closed = True
            while self._thread.is_alive():
                try:
                    self._queue.put(None, timeout=WAIT_SECONDS)
                    break
                except queue.Full:
                    continue
            self._thread.join()
            self._summary = VideoSummary(self.target.path, self.frames_written, self.target.fps,
                                         self.target.size, self.target.codec, _size_on_disk(self.target.path))
        if raise_error:
            self._raise_error()
        return self._summary

    def _raise_error(self) -> None:
        if self._error is not None:
            raise VideoError(f"{self.target.path}: writing stopped after {self.frames_written} frames "
                             f"({_reason(self._error)}); the file plays up to where it stopped") from None

    def _run(self) -> None:
        try:
            while (frame := self._queue.get()) is not None:
                self._sink.write(frame)
                self.frames_written += 1
        except BaseException as exc:  # noqa: BLE001 -- reported to the producer, never lost in a thread
            self._error = exc
            self._drain()
        finally:
            try:
                self._sink.close()
            except Exception as exc:  # noqa: BLE001
                self._error = self._error or exc

    def _drain(self) -> None:
        """After an error: take frames until close() sends None, so no producer blocks on a full queue."""
        while self._queue.get() is not None:
            pass


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _size_on_disk(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.glob("frame_*.png"))
    return path.stat().st_size if path.exists() else 0


def _human_bytes(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count} B"


def read_video(path: str | os.PathLike) -> tuple[list[np.ndarray], str, tuple[int, int]]:
    """Decode a written video (or PNG folder) back: (frames as RGB arrays, codec, (width, height)).
    Frames after a damaged tail are not returned; the ones before it are."""
    path = Path(path)
    if path.is_dir():
        from PIL import Image

        frames = [np.asarray(Image.open(f).convert("RGB")) for f in sorted(path.glob("frame_*.png"))]
        size = (frames[0].shape[1], frames[0].shape[0]) if frames else (0, 0)
        return frames, "png", size
    import av

    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        codec, size = stream.codec_context.name, (stream.codec_context.width, stream.codec_context.height)
        try:
            for frame in container.decode(stream):
                frames.append(frame.to_ndarray(format="rgb24"))
        except av.error.FFmpegError:  # a truncated tail: keep what decoded
            pass
    return frames, codec, size
