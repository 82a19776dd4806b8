"""A least-recently-used cache bounded by the memory its values hold, each value kept until its expiry.

The verifier keeps fetched documents (status lists, JSON Schemas, key documents) that an attacker can size, so a
bound on their count is no bound at all: each put says what its value costs, and the cache holds at most
`max_bytes` of them.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class SizedLru(Generic[V]):
    """Values by key, at most `max_bytes` of them (as their puts state), the least recently used evicted first.

    A value past its expiry is a miss (and dropped); a value larger than the whole cache is not kept. `now` and
    `expires` are any comparable clock readings (datetimes, monotonic seconds), the same kind for one cache.
    Safe to share between threads.
    """

    def __init__(self, max_bytes: int):
        self._items: OrderedDict[str, tuple[Any, V, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._max, self._bytes = max_bytes, 0

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str, now: Any) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= now:
                self._remove(key)
                return None
            self._items.move_to_end(key)
            return found[1]

    def put(self, key: str, value: V, *, size: int, expires: Any) -> None:
        with self._lock:
            if key in self._items:
                self._remove(key)
            if size > self._max:
                return
            while self._items and self._bytes + size > self._max:
                self._remove(next(iter(self._items)))  # the least recently used
            self._items[key] = (expires, value, size)
            self._bytes += size

    def _remove(self, key: str) -> None:
        self._bytes -= self._items.pop(key)[2]
