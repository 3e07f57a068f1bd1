"""Frame sinks: H.264 MP4, WebM (VP9, else VP8) and GIF through PyAV, or a folder of PNGs; frames are
encoded on a writer thread fed by a bounded queue, so encoding runs beside rendering.

Decisions:
- `check_video_target` runs before any frame is rendered: a known extension, an encoder this PyAV build
  has, a folder that takes a real temporary file (not os.access, which root and read-only mounts fool),
  an even width and height for the 4:2:0 codecs. Any problem is one VideoError line naming the file.
- MP4 is written fragmented (a fragment per keyframe, a keyframe every second): a file cut short by a
  full disk or a killed process still plays up to its last whole fragment, and one closed normally
  knows its duration. WebM is written a cluster a second, each flushed to the disk as it closes, so it
  survives a kill the same way; GIF frames survive truncation by themselves.
- The queue is bounded: when encoding falls behind, rendering waits instead of piling frames up in
  memory. `write` copies the frame, so a caller may reuse its array at once.
- An encoder or disk error (ENOSPC) stops the thread; the next `write` or `close` raises it as one
  VideoError line that says how many frames the file holds. `close` encodes what was queued, flushes
  and closes the container, so it belongs in a `finally` (Ctrl+C, SIGTERM).
- FFmpeg's own file layer forgets write errors (a full disk looked like a finished file, and most of a
  short clip, a WebM or a GIF is written at close), so the container writes through `_DiskFile`, whose
  every failed write is kept and reported. After an error the encoder is not flushed into the broken
  container (that crashed FFmpeg), and the summary counts the frames read back from the file itself
  (packets, not decoded: cheap), so what it says is what is on disk. A video file is created new
  (O_EXCL, no symlink followed): a writer never replaces anything.
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
    # a cluster a second, each handed to the disk whole: a killed WebM plays up to its last second too
    ".webm": VideoFormat("webm", ("libvpx-vp9", "libvpx"), "yuv420p", True,
                         {"cluster_time_limit": "1000", "flush_packets": "1"}),
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
    """A folder means a PNG sequence: a name ending in a separator, else an existing folder or a name
    without an extension; a video's extension (x.mp4) always names a file, even where a folder is."""
    text = os.fspath(path)
    if text.endswith(("/", os.sep)):
        return True
    if Path(text).suffix.lower() in FORMATS:
        return False
    return Path(text).is_dir() or not Path(text).suffix


def encoder_available(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception:  # PyAV raises UnknownCodecError or ValueError depending on the version
        return False
    return True


def check_video_target(path: str | os.PathLike, size: tuple[int, int], fps: float) -> VideoTarget:
    """Everything that can be known before rendering: refuse now, in one line, what would fail later."""
    text = os.fspath(path)
    if not text.strip():
        raise VideoError("the output path is empty (name a video file or a folder for PNG frames)")
    if text.endswith(("/", os.sep)) and Path(text).suffix.lower() in FORMATS:
        raise VideoError(f"{text}: names a {Path(text).suffix} video but ends in a separator "
                         f"(drop the {text[-1]!r} for a video, or the extension for a folder of PNG frames)")
    path = Path(text)
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
    if os.path.lexists(path) and not path.is_file():
        raise VideoError(f"{path}: is a link to nothing, a loop or a special file, not a video file")
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


class _DiskFile:
    """The file a container writes through: created new, and every failed write kept in `error` (FFmpeg
    only marks its buffer and carries on). A write after a failure fails at once."""

    def __init__(self, path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        self.fd: int | None = os.open(path, flags, 0o666)
        self.error: OSError | None = None

    def write(self, data) -> int:
        if self.error is not None:
            raise self.error
        view = memoryview(data).cast("B")
        try:
            while view:
                view = view[os.write(self.fd, view):]
        except OSError as exc:
            self.error = exc
            raise
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return os.lseek(self.fd, offset, whence)

    def tell(self) -> int:
        return os.lseek(self.fd, 0, os.SEEK_CUR)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        pass

    def close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            try:
                os.close(fd)  # network file systems report a failed write here
            except OSError as exc:
                self.error = self.error or exc


class _AvSink:
    """One PyAV output container with one video stream, writing through a `_DiskFile`."""

    def __init__(self, target: VideoTarget, crf: float | None, preset: str | None) -> None:
        import av

        fmt = target.format
        self.file = _DiskFile(target.path)
        try:
            self.container = av.open(self.file, "w", format=fmt.container, options=dict(fmt.container_options))
        except BaseException:
            self.file.close()
            target.path.unlink(missing_ok=True)
            raise
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
        self._raise_write_error()

    def _raise_write_error(self) -> None:
        if self.file.error is not None:
            raise self.file.error

    def close(self) -> None:
        try:
            if self.file.error is None:  # flushing the encoder into a container that failed to write crashes
                for packet in self.stream.encode(None):
                    self.container.mux(packet)
        finally:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 -- the trailer's write error is the file's, raised below
                if self.file.error is None:
                    raise
            finally:
                self.file.close()
        self._raise_write_error()

    def frames_on_disk(self, path: Path) -> int | None:
        return count_video_frames(path, decode=self.file.error is not None)


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

    def frames_on_disk(self, path: Path) -> int | None:
        return len(list(path.glob("frame_*.png")))


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
            self._summary = self._read_back()
        if raise_error:
            self._raise_error()
        return self._summary

    @property
    def error(self) -> str | None:
        """The one line of what went wrong writing, once closed (None: every frame is on disk)."""
        if self._error is None:
            return None
        return self._error_line()

    def _read_back(self) -> VideoSummary:
        """What the file holds, read back from the disk; a file that holds fewer frames than were
        handed over is an error even when no write reported one. A file of ours that holds nothing
        playable is removed."""
        path = self.target.path
        on_disk = self._sink.frames_on_disk(path) if os.path.lexists(path) else 0
        frames = self.frames_written if on_disk is None else on_disk
        if frames < self.frames_written and self._error is None:
            self._error = OSError(f"the file holds {frames} of the {self.frames_written} frames written")
        if frames == 0 and self._error is not None and not self.target.is_folder:
            path.unlink(missing_ok=True)
        self.frames_on_disk = frames
        return VideoSummary(path, frames, self.target.fps, self.target.size, self.target.codec, _size_on_disk(path))

    def _error_line(self) -> str:
        if self._closed and self._summary is not None:
            held = self._summary.frames
            kept = ("nothing playable was kept" if held == 0 and not self.target.is_folder
                    else f"it holds {held} frames, {_human_bytes(self._summary.bytes)}, and plays them")
            return (f"{self.target.path}: writing stopped after {self.frames_written} frames "
                    f"({_reason(self._error)}); {kept}")
        return (f"{self.target.path}: writing stopped after {self.frames_written} frames "
                f"({_reason(self._error)}); the file plays up to where it stopped")

    def _raise_error(self) -> None:
        if self._error is not None:
            raise VideoError(self._error_line()) from None

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


# Reading a file back to count its frames: demuxing (packets) is cheap below the first size, decoding
# (needed after a failed write, where the last packets may be cut) below the second; larger: not read.
READ_BACK_MAX_BYTES = 256 << 20
DECODE_BACK_MAX_BYTES = 32 << 20


def count_video_frames(path: Path, decode: bool = False) -> int | None:
    """The frames a video file holds, up to a damaged tail: its packets, or with `decode` the frames that
    decode; None when the file is too large to read back cheaply."""
    import av

    try:
        if path.stat().st_size > (DECODE_BACK_MAX_BYTES if decode else READ_BACK_MAX_BYTES):
            return None
        count = 0
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            try:
                if decode:
                    stream.thread_type = "AUTO"
                    for _ in container.decode(stream):
                        count += 1
                else:
                    for packet in container.demux(stream):
                        count += packet.size > 0
            except av.error.FFmpegError:
                pass
        return count
    except (OSError, av.error.FFmpegError, IndexError):
        return 0


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
