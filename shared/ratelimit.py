"""Per-tenant rate limits, shared by every gunicorn worker and replica: fixed one-minute windows counted in MongoDB."""
from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.metrics import RATE_LIMITED
from shared.problems import Problem

WINDOW_S = 60
# A process admits up to 1/LOCAL_SHARE of a limit on its own count before adding them to the shared counter in one
# `$inc`: at 100 webhooks/s one round trip per 1% of the limit instead of one per request. Limits under LOCAL_SHARE
# a minute are counted exactly, request by request.
LOCAL_SHARE = 100


@dataclass(frozen=True)
class Limit:
    scope: str        # webhooks | api | verify | verify_anonymous: a small fixed set (a metric label)
    per_minute: int   # 0: no limit


class RateLimiter:
    """One counter document per (scope, key, minute), expired by a TTL index soon after its minute ends.

    A fixed window admits up to twice the rate across a window boundary; that is the price of one atomic
    `$inc` per count and no clock agreement between replicas beyond MongoDB's own document.

    Each process counts ahead locally: after reading the shared count it admits up to `per_minute // LOCAL_SHARE`
    further requests before adding them to the counter, and once the shared count says the limit is reached it
    answers 429 until the minute ends without asking again. So N processes admit at most N% over a limit (none
    under LOCAL_SHARE a minute), and a flood over the limit costs no round trips.
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time):
        self.counters = db["rate_limits"]
        self._clock = clock
        self._lock = threading.Lock()
        self._window = -1
        self._tallies: dict[str, _Tally] = {}  # this window's counters as this process knows them

    def ensure_indexes(self) -> None:
        self.counters.create_index("expires_at", expireAfterSeconds=0, name="rate_limit_ttl")

    def check(self, limit: Limit, key: str) -> None:
        """Counts one request against `key` (a tenant id, or a client address); a 429 problem once over the limit."""
        if limit.per_minute <= 0:
            return
        now = self._clock()
        window = int(now // WINDOW_S)
        counter_id = f"{limit.scope}:{key[:128]}:{window}"
        admitted, uncounted = self._ahead(counter_id, window, limit)
        if admitted is None:
            count = self._count(counter_id, by=uncounted + 1, expires=(window + 2) * WINDOW_S)
            with self._lock:
                tally = self._tallies.setdefault(counter_id, _Tally())
                tally.known = max(count, tally.known)
            admitted = count <= limit.per_minute
        if admitted:
            return
        RATE_LIMITED.labels(scope=limit.scope).inc()
        retry_after = max(1, math.ceil((window + 1) * WINDOW_S - now))
        raise Problem(429, "Too Many Requests", f"At most {limit.per_minute} requests a minute are accepted here; "
                                                f"retry in {retry_after} s.", headers={"Retry-After": str(retry_after)})

    def _ahead(self, counter_id: str, window: int, limit: Limit) -> tuple[bool | None, int]:
        """(True/False: decided here without a round trip, or None: count it, with how many this process admitted
        that the shared counter has not seen yet)."""
        with self._lock:
            if window != self._window:
                self._window, self._tallies = window, {}  # last minute's counters are done with
            tally = self._tallies.get(counter_id)
            if tally is None:
                return None, 0
            if tally.known >= limit.per_minute:
                return False, 0  # the shared count only rises within a minute: over stays over
            if tally.uncounted < limit.per_minute // LOCAL_SHARE and \
                    tally.known + tally.uncounted + 1 <= limit.per_minute:
                tally.uncounted += 1
                return True, 0
            uncounted, tally.uncounted = tally.uncounted, 0
            return None, uncounted

    def _count(self, counter_id: str, *, by: int, expires: float) -> int:
        update = {"$inc": {"count": by},
                  "$setOnInsert": {"expires_at": datetime.fromtimestamp(expires, tz=timezone.utc)}}
        for _ in range(2):
            try:
                doc = self.counters.find_one_and_update({"_id": counter_id}, update, upsert=True,
                                                        return_document=ReturnDocument.AFTER)
                return int(doc["count"]) if doc is not None else by
            except DuplicateKeyError:
                continue  # two first requests of a window raced to insert: the loser increments the winner's
        raise AssertionError("unreachable: the second upsert finds the document")  # pragma: no cover


@dataclass
class _Tally:
    known: int = 0       # the shared count as last read
    uncounted: int = 0   # admitted here since, not yet added to it


def client_key(address: str | None) -> str:
    """A client address as a counter key: hashed, so no address is stored."""
    return hashlib.sha256((address or "unknown").encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Guard:
    """A limiter bound to one limit: what an entry point is handed (None where no limit applies, as in unit tests)."""
    limiter: RateLimiter
    limit: Limit

    def check(self, key: str) -> None:
        self.limiter.check(self.limit, key)
