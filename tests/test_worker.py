"""BatchWorker: ordering is made deterministic by a batch_fn that blocks on an Event."""

import threading
import time

import numpy as np
import pytest
import torch

from latentwalk.engine.worker import BatchWorker, WorkResult

WAIT = 5.0  # upper bound for anything to happen; tests normally pass in milliseconds


class Gate:
    """A batch_fn that records each batch and holds the first one until `release` is set."""

    def __init__(self, fn=lambda p: p * 10):
        self.fn = fn
        self.batches: list[list] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, payloads):
        self.batches.append(list(payloads))
        self.entered.set()
        assert self.release.wait(WAIT)
        return [self.fn(p) for p in payloads]


def collect(worker: BatchWorker, count: int) -> list[WorkResult]:
    results: list[WorkResult] = []
    deadline = time.monotonic() + WAIT
    while len(results) < count and time.monotonic() < deadline:
        results += worker.poll(timeout=deadline - time.monotonic())
    assert len(results) == count, results
    assert worker.wait_idle(WAIT)
    assert worker.poll() == []  # and nothing more than expected
    return results


@pytest.fixture
def gate():
    g = Gate()
    yield g
    g.release.set()  # never leave a worker thread blocked behind a failed test


def blocked_worker(gate: Gate, **kwargs) -> BatchWorker:
    """A started worker whose thread is inside batch_fn with payload 0 (key "first")."""
    worker = BatchWorker(gate, **kwargs)
    worker.submit("first", 0, channel="filmstrip")
    assert gate.entered.wait(WAIT)
    return worker


def test_requests_queued_while_busy_run_as_one_batch(gate):
    with blocked_worker(gate) as worker:
        for i in (1, 2, 3):
            worker.submit(f"k{i}", i, channel="filmstrip")
        gate.release.set()
        results = collect(worker, 4)
    assert gate.batches == [[0], [1, 2, 3]]
    assert {r.key: r.value for r in results} == {"first": 0, "k1": 10, "k2": 20, "k3": 30}
    assert all(r.ok and r.generation == 0 for r in results)
    assert [r.batch_size for r in results] == [1, 3, 3, 3]
    stats = worker.stats
    assert (stats.requests, stats.batches, stats.items) == (4, 2, 4)
    assert stats.mean_batch_seconds > 0


def test_max_batch_splits_the_queue(gate):
    with blocked_worker(gate, max_batch=2) as worker:
        for i in range(1, 6):
            worker.submit(i, i)
        gate.release.set()
        collect(worker, 6)
    assert gate.batches == [[0], [1, 2], [3, 4], [5]]


def test_latest_only_channel_drops_stale_hovers_and_keeps_every_filmstrip_frame(gate):
    with blocked_worker(gate) as worker:
        for i in (1, 2, 3):
            worker.submit(("hover", i), i, channel="hover", latest_only=True)
            worker.submit(("film", i), 100 + i, channel="filmstrip")
        gate.release.set()
        results = collect(worker, 5)
    assert gate.batches[1] == [101, 102, 3, 103]
    hovers = [r for r in results if r.channel == "hover"]
    assert [(r.key, r.value) for r in hovers] == [(("hover", 3), 30)]
    assert {r.key for r in results if r.channel == "filmstrip"} == {"first", ("film", 1), ("film", 2), ("film", 3)}
    assert worker.stats.dropped_stale == 2


def test_superseded_hover_already_running_is_cached_not_delivered(gate):
    worker = BatchWorker(gate)
    with worker:
        worker.submit("h1", 1, channel="hover", latest_only=True)
        assert gate.entered.wait(WAIT)
        worker.submit("h2", 2, channel="hover", latest_only=True)
        gate.release.set()
        results = collect(worker, 1)
        assert [(r.key, r.value) for r in results] == [("h2", 20)]
        assert worker.cached("h1") == 10  # hovering back over it is instant


def test_duplicate_keys_are_computed_once_and_answered_per_channel(gate):
    with blocked_worker(gate) as worker:
        worker.submit("k", 7, channel="filmstrip")
        worker.submit("k", 7, channel="filmstrip")
        worker.submit("k", 7, channel="hover", latest_only=True)
        worker.submit("first", 0, channel="preview")  # joins the request already running
        gate.release.set()
        results = collect(worker, 4)
    assert gate.batches == [[0], [7]]
    assert sorted((r.key, r.channel) for r in results) == [
        ("first", "filmstrip"), ("first", "preview"), ("k", "filmstrip"), ("k", "hover"),
    ]
    assert worker.stats.coalesced == 3


def test_cached_key_answers_without_running_batch_fn():
    calls: list[list] = []

    def batch_fn(payloads):
        calls.append(payloads)
        return [p + 1 for p in payloads]

    with BatchWorker(batch_fn, cache_size=2) as worker:
        for key in ("a", "b", "c"):
            worker.submit(key, ord(key))
            collect(worker, 1)
        assert len(calls) == 3
        worker.submit("c", ord("c"))
        (hit,) = collect(worker, 1)
        assert hit.cached and hit.value == ord("c") + 1
        assert len(calls) == 3
        assert worker.cached("b") == ord("b") + 1
        assert worker.cached("a") is None  # least recently used, evicted
        assert worker.stats.cache_hits == 1


def test_exception_becomes_error_values_and_worker_carries_on():
    def batch_fn(payloads):
        if "bad" in payloads:
            raise ValueError("latent out of range\nsecond line of detail")
        return [p.upper() for p in payloads]

    with BatchWorker(batch_fn) as worker:
        worker.submit("x", "bad")
        (failed,) = collect(worker, 1)
        assert failed.value is None and failed.error == "ValueError: latent out of range"
        assert worker.last_error == failed.error
        assert worker.cached("x") is None  # errors are not cached: a retry runs again
        worker.submit("y", "fine")
        (after,) = collect(worker, 1)
        assert after.ok and after.value == "FINE"
        assert worker.alive


def test_one_failing_batch_fails_every_request_in_it(gate):
    def fn(p):
        if p == 2:
            raise KeyError("missing")
        return p

    gate.fn = fn
    with blocked_worker(gate) as worker:
        worker.submit("a", 1)
        worker.submit("b", 2)
        gate.release.set()
        results = {r.key: r for r in collect(worker, 3)}
    assert results["first"].ok
    assert results["a"].error == results["b"].error == "KeyError: 'missing'"
    assert worker.stats.errors == 2


def test_wrong_result_count_is_an_error_value():
    with BatchWorker(lambda payloads: payloads[:-1]) as worker:
        worker.submit("a", 1)
        (result,) = collect(worker, 1)
    assert result.error == "ValueError: batch_fn returned 0 results for 1 payloads"


def test_setup_failure_reports_errors_without_raising_and_replace_revives():
    def broken_setup():
        raise RuntimeError("CUDA device not found")

    worker = BatchWorker(lambda ps: ps, setup=broken_setup)
    worker.submit("a", 1, channel="hover", latest_only=True)
    (result,) = collect(worker, 1)
    assert result.error == "worker 'decoder' stopped: RuntimeError: CUDA device not found"
    assert not worker.alive
    assert worker.last_error == result.error
    worker.submit("b", 2)  # a dead worker answers at once, with the reason
    (refused,) = worker.poll()
    assert refused.key == "b" and refused.error == result.error

    generation = worker.replace_fn(lambda ps: [p * 3 for p in ps], setup=lambda: None)
    worker.submit("c", 5)
    (revived,) = collect(worker, 1)
    assert (revived.value, revived.generation, generation) == (15, 1, 1)
    assert worker.alive
    assert worker.close()


def test_generation_switch_discards_old_work_and_cache(gate):
    with blocked_worker(gate) as worker:
        worker.submit("queued", 1)
        generation = worker.replace_fn(lambda ps: [f"new{p}" for p in ps])
        worker.submit("first", 0)  # same key as the running old-model request: must not join it
        gate.release.set()
        results = collect(worker, 1)
        assert [(r.key, r.value, r.generation) for r in results] == [("first", "new0", generation)]
        assert gate.batches == [[0]]  # the old function never saw the queued request
        assert worker.cached("first") == "new0"
        worker.replace_fn(lambda ps: ps)
        assert worker.cached("first") is None
        assert worker.stats.discarded_generation == 2


def test_close_joins_deterministically(gate):
    worker = blocked_worker(gate)
    assert worker.close(timeout=0.05) is False  # still inside batch_fn
    gate.release.set()
    assert worker.close(timeout=WAIT) is True
    assert not worker.alive
    assert not any(t.name == "worker-decoder" for t in threading.enumerate())
    assert worker.poll() == []  # the in-flight result of a closed worker is dropped
    worker.submit("late", 1)
    (late,) = worker.poll()
    assert late.error == "RuntimeError: worker 'decoder' is closed"


def test_context_manager_starts_and_closes():
    with BatchWorker(lambda ps: ps, name="ctx") as worker:
        assert worker.alive
        assert any(t.name == "worker-ctx" and t.daemon for t in threading.enumerate())
    assert not worker.alive
    assert not any(t.name == "worker-ctx" for t in threading.enumerate())


def test_idle_worker_does_not_spin():
    with BatchWorker(lambda ps: ps) as worker:
        worker.submit("a", 1)
        collect(worker, 1)
        before = worker.stats.wakeups
        time.sleep(0.2)  # an idle spell: nothing submitted, nothing polled
        woke = worker.stats.wakeups - before
        worker.submit("b", 2)  # and a submit still wakes it
        assert [r.value for r in collect(worker, 1)] == [2]
    # Asleep on the Condition it wakes only for the idle_wait_s safety net (once a second) or a notify;
    # a loop that polled or busy-waited would count thousands here.
    assert woke <= 3


class TinyDecoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 16), torch.nn.Sigmoid())

    def forward(self, z):
        return self.net(z).reshape(-1, 4, 4)


def test_torch_decoder_end_to_end_with_one_thread_in_setup():
    model = TinyDecoder().eval()
    seen = {}
    threads_before = torch.get_num_threads()

    def setup():
        torch.set_num_threads(1)  # process-wide: the renderer keeps the other core
        seen["thread"] = threading.current_thread().name
        seen["threads"] = torch.get_num_threads()

    def decode(latents):
        with torch.no_grad():
            images = model(torch.as_tensor(np.stack(latents), dtype=torch.float32))
        return list(images.numpy())

    latents = np.random.default_rng(1).normal(size=(20, 2)).astype(np.float32)
    try:
        with BatchWorker(decode, setup=setup, max_batch=8) as worker:
            for i, z in enumerate(latents):
                worker.submit(i, z, channel="filmstrip")
            results = collect(worker, len(latents))
    finally:
        torch.set_num_threads(threads_before)
    assert seen == {"thread": "worker-decoder", "threads": 1}
    assert all(r.ok for r in results) and max(r.batch_size for r in results) <= 8
    images = np.stack([r.value for r in sorted(results, key=lambda r: r.key)])
    with torch.no_grad():
        expected = model(torch.from_numpy(latents)).numpy()
    assert images.shape == (20, 4, 4)
    np.testing.assert_allclose(images, expected, rtol=1e-5, atol=1e-6)


def test_a_poll_for_some_channels_leaves_the_others_for_the_next_poll():
    with BatchWorker(lambda payloads: [p * 10 for p in payloads]) as worker:
        worker.submit("strip", 1, channel="filmstrip")
        assert worker.wait_idle(WAIT)
        worker.submit("hover", 2, channel="hover", latest_only=True)
        hover = worker.poll(timeout=WAIT, channels=("hover",))  # waits for the hover's, not the strip's
        assert [(r.key, r.value) for r in hover] == [("hover", 20)]
        assert [(r.key, r.value) for r in worker.poll()] == [("strip", 10)]  # kept, in order, for the next poll
        assert worker.poll() == []
