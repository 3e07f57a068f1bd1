"""A generic batching background worker: requests in, results out, latest wins, errors as values.

The caller's thread (the render loop) only ever takes a short lock: `submit` queues and returns,
`poll` hands back whatever finished. One daemon thread runs `batch_fn` over everything queued
(up to `max_batch` payloads per call). It sleeps on a Condition rather than polling, because a
waking Python thread steals the GIL from a PyOpenGL-heavy render loop.

- Channels: a `latest_only` channel (hover) keeps only its newest request; a newer submit
  drops the older one if it has not run yet, and a superseded result that was already running
  is cached but not delivered. Other channels (filmstrip) get every result.
- A key queued or running is not computed twice; each channel that asked gets its own result.
- Successful values are kept in an LRU cache; submitting a cached key answers on the next poll.
- An exception in `batch_fn` becomes an error result for each request of that batch, and the
  thread carries on. If the thread itself dies (e.g. `setup` raised), every waiting request and
  every later submit gets an error result; `alive` turns False. Nothing is raised in the caller.
- `replace_fn` starts a new generation (another model): queued work is dropped, running work is
  discarded when it finishes, the cache is cleared, and a dead thread is started afresh.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

BatchFn = Callable[[list], list]
SetupFn = Callable[[], object]


@dataclass(frozen=True)
class WorkResult:
    key: Hashable
    channel: str
    value: Any  # None when error is set
    error: str | None  # one line, "ExceptionType: message"
    generation: int
    seconds: float = 0.0  # wall time of the batch that produced it (0 for a cache hit)
    batch_size: int = 0  # payloads in that batch (0 for a cache hit or a refused request)
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class WorkerStats:
    requests: int = 0
    batches: int = 0
    items: int = 0  # payloads computed by batch_fn
    coalesced: int = 0  # submits joined to an identical key already queued or running
    dropped_stale: int = 0  # latest_only requests superseded before their result was delivered
    cache_hits: int = 0
    errors: int = 0  # error results handed out
    discarded_generation: int = 0  # requests dropped or results thrown away by replace_fn
    batch_seconds_total: float = 0.0
    wakeups: int = 0  # times the thread woke while waiting for work: stays small when idle, unless it spins

    @property
    def mean_batch_seconds(self) -> float:
        return self.batch_seconds_total / self.batches if self.batches else 0.0


@dataclass
class _Request:
    key: Hashable
    payload: Any
    generation: int
    channels: dict[str, None] = field(default_factory=dict)  # an ordered set


def one_line_error(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


class BatchWorker:
    def __init__(
        self,
        batch_fn: BatchFn,
        *,
        max_batch: int = 256,
        cache_size: int = 2048,
        name: str = "decoder",
        setup: SetupFn | None = None,
        idle_wait_s: float = 1.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"worker {name!r}: max_batch must be at least 1, got {max_batch}")
        self.name = name
        self.max_batch = max_batch
        self.cache_size = cache_size
        self._idle_wait_s = idle_wait_s  # a safety net only: every state change notifies
        self._fn = batch_fn
        self._setup = setup
        self._generation = 0
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._results_ready = threading.Condition(self._lock)
        self._pending: OrderedDict[Hashable, _Request] = OrderedDict()
        self._running: dict[Hashable, _Request] = {}
        self._latest: dict[str, Hashable] = {}  # latest_only channel -> key it waits for
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._results: deque[WorkResult] = deque()
        self._thread: threading.Thread | None = None
        self._thread_running = False
        self._crash: str | None = None
        self._closed = False
        self._last_error: str | None = None
        self._stats = WorkerStats()

    # ----------------------------------------------------------------- caller side
    def start(self) -> BatchWorker:
        with self._lock:
            self._ensure_thread()
        return self

    def submit(self, key: Hashable, payload: Any, *, channel: str = "default", latest_only: bool = False) -> None:
        """Queue a request and return at once; its result (or error) arrives through poll()."""
        with self._lock:
            self._stats.requests += 1
            refusal = self._refusal()
            if refusal is not None:
                self._deliver_error(key, channel, refusal)
                return
            if latest_only:
                self._supersede(channel, key)
            if key in self._cache:
                self._cache.move_to_end(key)
                self._stats.cache_hits += 1
                self._results.append(WorkResult(key, channel, self._cache[key], None, self._generation, cached=True))
                self._results_ready.notify_all()
                return
            request = self._pending.get(key) or self._running.get(key)
            if request is not None:
                if channel not in request.channels:
                    request.channels[channel] = None
                self._stats.coalesced += 1
            else:
                self._pending[key] = _Request(key, payload, self._generation, {channel: None})
                self._work_ready.notify()
            if latest_only:
                self._latest[channel] = key
            self._ensure_thread()

    def poll(self, timeout: float = 0.0, channels: tuple[str, ...] | None = None) -> list[WorkResult]:
        """Everything finished since the last poll. With a timeout, wait that long for the first one.
        With `channels`, only their results: the others wait for the next poll."""
        def taken(result: WorkResult) -> bool:
            return channels is None or result.channel in channels

        with self._lock:
            if timeout > 0 and not any(taken(result) for result in self._results):
                self._results_ready.wait_for(lambda: any(taken(result) for result in self._results), timeout)
            out = [result for result in self._results if taken(result)]
            if channels is None:
                self._results.clear()
            else:
                kept = [result for result in self._results if not taken(result)]
                self._results.clear()
                self._results.extend(kept)
            return out

    def cached(self, key: Hashable) -> Any | None:
        """A recent successful value for key, or None; does not run anything."""
        with self._lock:
            if key not in self._cache:
                return None
            self._cache.move_to_end(key)
            return self._cache[key]

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is queued or running (tests, benchmarks, shutdown); True if so."""
        with self._lock:
            return self._results_ready.wait_for(
                lambda: not (self._pending or self._running) or not self._thread_running, timeout
            )

    def replace_fn(self, batch_fn: BatchFn, setup: SetupFn | None = None) -> int:
        """Switch to another function (model); returns the new generation."""
        with self._lock:
            self._generation += 1
            self._stats.discarded_generation += len(self._pending)
            self._pending.clear()
            self._running.clear()  # still computing, but no longer joinable by new submits
            self._latest.clear()
            self._cache.clear()
            self._fn, self._setup = batch_fn, setup
            self._crash = None
            self._work_ready.notify_all()
            self._results_ready.notify_all()
            if self._thread is not None:
                self._ensure_thread()
            return self._generation

    def close(self, timeout: float = 5.0) -> bool:
        """Stop the thread and join it; True when it has ended. Queued requests are dropped."""
        with self._lock:
            self._closed = True
            self._pending.clear()
            self._work_ready.notify_all()
            self._results_ready.notify_all()
            thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def __enter__(self) -> BatchWorker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        with self._lock:
            return self._thread_running and self._crash is None and not self._closed

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def stats(self) -> WorkerStats:
        with self._lock:
            return WorkerStats(**vars(self._stats))

    @property
    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending) + len(self._running)

    # ----------------------------------------------------------------- shared helpers (lock held)
    def _refusal(self) -> str | None:
        if self._closed:
            return f"RuntimeError: worker {self.name!r} is closed"
        return self._crash

    def _ensure_thread(self) -> None:
        if self._thread_running or self._closed or self._crash is not None:
            return
        self._thread_running = True
        self._thread = threading.Thread(target=self._run, name=f"worker-{self.name}", daemon=True)
        self._thread.start()

    def _supersede(self, channel: str, key: Hashable) -> None:
        old = self._latest.pop(channel, None)
        if old is None or old == key:
            return
        request = self._pending.get(old) or self._running.get(old)
        if request is None or channel not in request.channels:
            return
        del request.channels[channel]
        self._stats.dropped_stale += 1
        if not request.channels and old in self._pending:
            del self._pending[old]

    def _deliver_error(self, key: Hashable, channel: str, error: str) -> None:
        self._last_error = error
        self._stats.errors += 1
        self._results.append(WorkResult(key, channel, None, error, self._generation))
        self._results_ready.notify_all()

    # ----------------------------------------------------------------- worker thread
    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # the thread must report, never vanish silently
            self._die(f"worker {self.name!r} stopped: {one_line_error(exc)}")
        else:
            with self._lock:
                self._thread_running = False
                self._results_ready.notify_all()

    def _loop(self) -> None:
        set_up_generation: int | None = None
        while True:
            with self._lock:
                if self._closed:
                    return
                generation, setup = self._generation, self._setup
            if set_up_generation != generation:
                if setup is not None:
                    try:
                        setup()
                    except Exception:
                        if generation == self._generation:
                            raise
                        continue  # a newer model arrived meanwhile: set that one up instead
                set_up_generation = generation
            with self._lock:
                while not self._pending and not self._closed and self._generation == generation:
                    self._work_ready.wait(self._idle_wait_s)
                    self._stats.wakeups += 1
                if self._closed:
                    return
                if self._generation != generation:
                    continue  # run the new generation's setup first
                batch = []
                while self._pending and len(batch) < self.max_batch:
                    _, request = self._pending.popitem(last=False)
                    self._running[request.key] = request
                    batch.append(request)
                fn = self._fn
            self._run_batch(fn, batch, generation)

    def _run_batch(self, fn: BatchFn, batch: list[_Request], generation: int) -> None:
        started = time.perf_counter()
        try:
            values = list(fn([request.payload for request in batch]))
            if len(values) != len(batch):
                raise ValueError(f"batch_fn returned {len(values)} results for {len(batch)} payloads")
            error = None
        except Exception as exc:
            values, error = [None] * len(batch), one_line_error(exc)
        seconds = time.perf_counter() - started
        with self._lock:
            for request in batch:
                if self._running.get(request.key) is request:
                    del self._running[request.key]
            if self._closed or generation != self._generation:
                self._stats.discarded_generation += len(batch)
                self._results_ready.notify_all()
                return
            self._stats.batches += 1
            self._stats.items += len(batch)
            self._stats.batch_seconds_total += seconds
            if error is not None:
                self._last_error = error
            for request, value in zip(batch, values):
                if error is None:
                    self._remember(request.key, value)
                for channel in request.channels:
                    if self._latest.get(channel) == request.key:
                        del self._latest[channel]
                    if error is not None:
                        self._stats.errors += 1
                    self._results.append(
                        WorkResult(request.key, channel, value, error, generation, seconds, len(batch))
                    )
            self._results_ready.notify_all()

    def _remember(self, key: Hashable, value: Any) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _die(self, error: str) -> None:
        with self._lock:
            self._crash = error
            self._thread_running = False
            waiting = list(self._pending.values()) + list(self._running.values())
            self._pending.clear()
            self._running.clear()
            self._latest.clear()
            for request in waiting:
                for channel in request.channels:
                    self._deliver_error(request.key, channel, error)
            self._last_error = error
            self._results_ready.notify_all()
