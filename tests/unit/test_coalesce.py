"""shared.coalesce: concurrent submissions share a batch, and each gets its own answer or its batch's failure."""
from __future__ import annotations

import threading
import time

import pytest

from shared.coalesce import Coalescer


class Gate:
    """A batch function whose first call waits until released, so that others queue behind it."""

    def __init__(self, fail_on: set[int] = frozenset()):  # type: ignore[assignment]
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fail_on = fail_on

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.release.wait(5)
        if self.fail_on & set(items):
            raise ValueError(f"refused {sorted(self.fail_on & set(items))}")
        return [i * 10 for i in items]


def submit_all(coalescer: Coalescer, items: list[int], results: dict, *, after_first: Gate) -> list[threading.Thread]:
    def one(i: int) -> None:
        try:
            results[i] = coalescer.submit(i)
        except ValueError as exc:
            results[i] = exc

    first = threading.Thread(target=one, args=(items[0],))
    first.start()
    assert after_first.entered.wait(5)
    rest = [threading.Thread(target=one, args=(i,)) for i in items[1:]]
    for t in rest:
        t.start()
    deadline = time.monotonic() + 5
    while len(coalescer._queue) < len(rest) and time.monotonic() < deadline:  # all queued behind the first batch
        time.sleep(0.001)
    after_first.release.set()
    for t in [first, *rest]:
        t.join(5)
    return [first, *rest]


def test_a_thread_alone_runs_its_batch_of_one_at_once():
    calls: list[list[str]] = []
    coalescer: Coalescer[str, str] = Coalescer(lambda items: calls.append(items) or [s.upper() for s in items])
    assert coalescer.submit("a") == "A" and coalescer.submit("b") == "B"
    assert calls == [["a"], ["b"]]


def test_what_queues_while_a_batch_runs_goes_in_one_next_batch_and_each_thread_gets_its_own_result():
    gate = Gate()
    results: dict[int, object] = {}
    submit_all(Coalescer(gate), list(range(9)), results, after_first=gate)
    assert results == {i: i * 10 for i in range(9)}
    assert gate.batches[0] == [0] and sorted(gate.batches[1]) == list(range(1, 9)) and len(gate.batches) == 2


def test_a_batch_that_fails_fails_each_of_its_waiters_and_no_other_batch():
    gate = Gate(fail_on={5})
    results: dict[int, object] = {}
    coalescer = Coalescer(gate)
    submit_all(coalescer, list(range(6)), results, after_first=gate)
    assert results[0] == 0
    assert all(isinstance(results[i], ValueError) for i in range(1, 6))
    assert coalescer.submit(7) == 70  # the failure is not remembered


def test_a_batch_is_at_most_max_batch_items_and_the_rest_follow():
    gate = Gate()
    results: dict[int, object] = {}
    submit_all(Coalescer(gate, max_batch=3), list(range(8)), results, after_first=gate)
    assert results == {i: i * 10 for i in range(8)}
    assert all(len(b) <= 3 for b in gate.batches) and sorted(i for b in gate.batches for i in b) == list(range(8))


def test_a_batch_function_that_answers_the_wrong_number_of_results_is_an_error_not_a_wrong_answer():
    coalescer: Coalescer[int, int] = Coalescer(lambda items: [])
    with pytest.raises(RuntimeError):
        coalescer.submit(1)


def test_many_threads_hammering_it_each_get_their_own_answer():
    coalescer: Coalescer[int, int] = Coalescer(lambda items: (time.sleep(0.001), [i + 1 for i in items])[1])
    results: dict[int, int] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, coalescer.submit(i))) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {i: i + 1 for i in range(200)}
    assert coalescer._running is False and coalescer._queue == []
