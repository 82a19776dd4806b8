"""Group commit for request threads: what several threads ask of the database at once goes in one command.

A thread that submits while no batch is being run runs one itself, for everything queued by then; the threads
that submit meanwhile wait, and the first of them runs the next batch with whatever queued behind it. Nothing is
delayed when a thread is alone (its batch of one runs at once), and under concurrency N round trips become about
N / (threads waiting), each answered with exactly its own result or the batch's exception.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Waiting(Generic[Item, Result]):
    item: Item
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class Coalescer(Generic[Item, Result]):
    """Runs `run(items) -> results` (one result per item, in order) over the items threads submit concurrently."""

    def __init__(self, run: Callable[[list[Item]], Sequence[Result]], *, max_batch: int = 500):
        self._run = run
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiting[Item, Result]] = []
        self._running = False

    def submit(self, item: Item) -> Result:
        mine: _Waiting[Item, Result] = _Waiting(item)
        with self._lock:
            self._queue.append(mine)
            lead = not self._running
            if lead:
                self._running = True
        if not lead:
            mine.ready.wait()
            if not mine.done:  # the batch that was running when it queued has ended: this thread runs the next
                return self._lead(mine)
            return self._answer(mine)
        return self._lead(mine)

    def _lead(self, mine: _Waiting[Item, Result]) -> Result:
        """Runs batches until this thread's own item is answered, then hands the lead to a waiting thread."""
        while not mine.done:
            with self._lock:
                batch, self._queue = self._queue[:self._max_batch], self._queue[self._max_batch:]
            self._complete(batch)
        with self._lock:
            if self._queue:
                self._queue[0].ready.set()  # still running: the woken thread leads the next batch
            else:
                self._running = False
        return self._answer(mine)

    def _complete(self, batch: list[_Waiting[Item, Result]]) -> None:
        try:
            results = list(self._run([w.item for w in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"a coalesced batch of {len(batch)} answered {len(results)} results")
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        except BaseException as exc:  # every waiter of the batch gets the batch's failure
            for waiting in batch:
                waiting.error = exc
        for waiting in batch:
            waiting.done = True
            waiting.ready.set()

    @staticmethod
    def _answer(mine: _Waiting[Item, Result]) -> Result:
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]  # set with done, unless an error was
