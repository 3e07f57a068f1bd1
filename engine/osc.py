"""OSC over UDP as an input source (engine/input_sources.py): what TouchDesigner, Max/MSP, Pure Data or
a phone's OSC app send becomes the same actions keys make, so a scene's checks apply to them as to keys.

    app.input.add_source(OscSource(9000))            # listens on 127.0.0.1:9000

The address space (`ADDRESSES`; arguments are OSC ints or floats unless said otherwise):

    /latentwalk/select i          select data-set point i                 -> "select_index", value i
    /latentwalk/walk/t f          put the walk at f (0: start, 1: end)    -> "walk_t", value f
    /latentwalk/play 0|1          pause (0) or play (1) the walk; OSC True / False too -> "set_playing"
    /latentwalk/orbit dx dy       turn the view by dx degrees to the right and dy up
                                                                          -> "orbit_by", delta in radians
    /latentwalk/highlight c       show class c alone; -1: every class     -> "highlight_class", value c
    /latentwalk/screenshot [PATH] save the window as a PNG at PATH (a string; never over an existing
                                  file: a free numbered name beside it), or without PATH in the
                                  screenshot folder                        -> "screenshot", text PATH
    /latentwalk/presence          a person is here (a sensor), no action: a kiosk hands over to a visitor

Bundles are unpacked and their messages taken on arrival (time tags are not waited for). Every message
taken counts as a person's input (`inputs`).

Threads: a daemon thread receives datagrams and only parses them and queues actions, in a bounded
queue that drops its oldest entry when full (the newest fader position is the one that matters). The
main thread takes at most `per_frame` actions in `poll()`, so a flood costs a frame no more than that
and the rest waits for the next frames. What cannot be used is dropped and counted, never raised:
`malformed` (not OSC, or arguments of the wrong number or type), `unknown` (an address outside the
space), `dropped` (the queue was full); `received` counts the messages queued, `handled` those taken.
"""
from __future__ import annotations

import logging
import math
import socket
import threading
from collections import deque
from typing import Callable

from latentwalk.engine.errors import EngineError
from latentwalk.engine.input import Action
from latentwalk.engine.input_sources import InputSource

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"  # this machine only: another interface must be named on purpose
QUEUE_SIZE = 1024
PER_FRAME = 64
MAX_DATAGRAM = 65536
STOP_POLL_SECONDS = 0.05  # how often the receiving thread looks whether it should stop


class MalformedMessage(ValueError):
    """A message whose arguments do not fit its address."""


def _numbers(params, count: int, *, flags: bool = False) -> list[float]:
    if len(params) != count:
        raise MalformedMessage(f"expected {count} argument(s), got {len(params)}")
    values = []
    for value in params:
        if isinstance(value, bool) and not flags:
            raise MalformedMessage("expected a number, got a true/false")
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            raise MalformedMessage(f"expected a finite number, got {value!r}")
        values.append(float(value))
    return values


def _whole(value: float) -> float:
    if not value.is_integer():
        raise MalformedMessage(f"expected a whole number, got {value!r}")
    return value


def _select(params) -> Action:
    return Action("select_index", value=_whole(_numbers(params, 1)[0]))


def _walk_t(params) -> Action:
    return Action("walk_t", value=_numbers(params, 1)[0])


def _play(params) -> Action:
    (playing,) = _numbers(params, 1, flags=True)
    if playing not in (0.0, 1.0):
        raise MalformedMessage(f"expected 0 or 1, got {playing!r}")
    return Action("set_playing", value=playing)


def _orbit(params) -> Action:
    dx, dy = _numbers(params, 2)
    return Action("orbit_by", delta=(math.radians(dx), math.radians(dy)))


def _highlight(params) -> Action:
    return Action("highlight_class", value=_whole(_numbers(params, 1)[0]))


def _screenshot(params) -> Action:
    if not params:
        return Action("screenshot")
    if len(params) != 1 or not isinstance(params[0], str) or not params[0].strip() or "\0" in params[0]:
        raise MalformedMessage("expected one path (a string)")
    return Action("screenshot", text=params[0])


def _presence(params) -> None:
    return None


# address -> fn(arguments) -> the Action (None: presence alone); raises MalformedMessage
ADDRESSES: dict[str, Callable[[list], Action | None]] = {
    "/latentwalk/select": _select,
    "/latentwalk/walk/t": _walk_t,
    "/latentwalk/play": _play,
    "/latentwalk/orbit": _orbit,
    "/latentwalk/highlight": _highlight,
    "/latentwalk/screenshot": _screenshot,
    "/latentwalk/presence": _presence,
}


class OscSource(InputSource):
    """Listens on UDP `host:port` (port 0: any free one; `address` says which once started)."""

    name = "osc"

    def __init__(self, port: int, host: str = DEFAULT_HOST, *, addresses=None, queue_size: int = QUEUE_SIZE,
                 per_frame: int = PER_FRAME) -> None:
        super().__init__()
        self.host, self.port = host, int(port)
        self.addresses = dict(ADDRESSES if addresses is None else addresses)
        self.queue_size, self.per_frame = int(queue_size), int(per_frame)
        self.address: tuple[str, int] | None = None
        self.received = self.malformed = self.unknown = self.dropped = self.handled = 0
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._socket is not None:
            return
        try:
            from pythonosc.osc_packet import OscPacket
        except ImportError:
            raise EngineError("OSC needs the python-osc package (pip install python-osc)") from None
        self._packet = OscPacket
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            raise EngineError(f"OSC: cannot open a UDP socket ({exc.strerror or exc})") from None
        try:
            sock.bind((self.host, self.port))
        except (OSError, OverflowError) as exc:
            sock.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise EngineError(f"OSC: cannot listen on {self.host}:{self.port} ({reason})") from None
        sock.settimeout(STOP_POLL_SECONDS)
        self._socket = sock
        self.address = sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._serve, name=f"osc:{self.address[1]}", daemon=True)
        self._thread.start()
        log.info("OSC: listening on %s:%s", *self.address)

    # -- the receiving thread: parse and queue, nothing else -------------------------------------
    def _serve(self) -> None:
        sock = self._socket
        while not self._stop.is_set():
            try:
                data = sock.recv(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            self._take(data)

    def _take(self, data: bytes) -> None:
        try:
            messages = [timed.message for timed in self._packet(data).messages]
        except Exception:  # noqa: BLE001 - anything that is not OSC (also bundles nested past recursion)
            self.malformed += 1
            return
        for message in messages:
            parse = self.addresses.get(message.address)
            if parse is None:
                self.unknown += 1
                continue
            try:
                action = parse(list(message.params))
            except (MalformedMessage, TypeError, ValueError):
                self.malformed += 1
                continue
            with self._lock:
                if len(self._queue) >= self.queue_size:
                    self._queue.popleft()
                    self.dropped += 1
                self._queue.append(action)
            self.received += 1

    # -- the main thread ----------------------------------------------------------------------
    def poll(self) -> list[Action]:
        with self._lock:
            count = min(len(self._queue), self.per_frame)
            taken = [self._queue.popleft() for _ in range(count)]
        self.handled += count
        self.inputs += count
        return [action for action in taken if action is not None]

    def pending(self) -> int:
        """Messages queued and not yet taken."""
        with self._lock:
            return len(self._queue)

    def status_line(self) -> str:
        where = f"{self.address[0]}:{self.address[1]}" if self.address else f"{self.host}:{self.port}"
        return (f"osc {where}  {self.handled:,} taken, {self.malformed:,} malformed, "
                f"{self.unknown:,} unknown, {self.dropped:,} dropped")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
