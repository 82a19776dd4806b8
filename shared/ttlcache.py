"""A small in-process cache of what a hot path reads from MongoDB again and again (a tenant's connection, its trust
registry): each entry is reused for at most `ttl_s`, so a change made elsewhere is seen within that bound."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """Thread-safe; bounded by `max_entries` (full: it starts over rather than grow). `ttl_s` 0 reads every time.

    A value absent from the database (None) is cached too, so a flood of requests for an unknown tenant costs one
    read per `ttl_s`, not one each. What `load` raises is not cached: the next call reads again.
    """

    def __init__(self, *, ttl_s: float, max_entries: int = 10_000, clock: Callable[[], float] | None = None):
        self.ttl_s, self.max_entries, self._clock = ttl_s, max_entries, clock or time.monotonic
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        if self.ttl_s <= 0:
            return load()
        now = self._clock()
        with self._lock:
            held = self._entries.get(key)
        if held is not None and now - held[0] < self.ttl_s:
            return held[1]
        value = load()
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self, key: Hashable) -> None:
        """Drops one entry: a change made by this process is seen by its next read at once."""
        with self._lock:
            self._entries.pop(key, None)
