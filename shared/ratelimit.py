"""Per-tenant rate limits, shared by every gunicorn worker and replica: fixed one-minute windows counted in MongoDB."""
from __future__ import annotations

import hashlib
import math
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


@dataclass(frozen=True)
class Limit:
    scope: str        # webhooks | api | verify | verify_anonymous: a small fixed set (a metric label)
    per_minute: int   # 0: no limit


class RateLimiter:
    """One counter document per (scope, key, minute), expired by a TTL index soon after its minute ends.

    A fixed window admits up to twice the rate across a window boundary; that is the price of one atomic
    `$inc` per request and no clock agreement between replicas beyond MongoDB's own document.
    """

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time):
        self.counters = db["rate_limits"]
        self._clock = clock

    def ensure_indexes(self) -> None:
        self.counters.create_index("expires_at", expireAfterSeconds=0, name="rate_limit_ttl")

    def check(self, limit: Limit, key: str) -> None:
        """Counts one request against `key` (a tenant id, or a client address); a 429 problem once over the limit."""
        if limit.per_minute <= 0:
            return
        now = self._clock()
        window = int(now // WINDOW_S)
        if self._count(f"{limit.scope}:{key[:128]}:{window}", expires=(window + 2) * WINDOW_S) <= limit.per_minute:
            return
        RATE_LIMITED.labels(scope=limit.scope).inc()
        retry_after = max(1, math.ceil((window + 1) * WINDOW_S - now))
        raise Problem(429, "Too Many Requests", f"At most {limit.per_minute} requests a minute are accepted here; "
                                                f"retry in {retry_after} s.", headers={"Retry-After": str(retry_after)})

    def _count(self, counter_id: str, *, expires: float) -> int:
        update = {"$inc": {"count": 1},
                  "$setOnInsert": {"expires_at": datetime.fromtimestamp(expires, tz=timezone.utc)}}
        for _ in range(2):
            try:
                doc = self.counters.find_one_and_update({"_id": counter_id}, update, upsert=True,
                                                        return_document=ReturnDocument.AFTER)
                return int(doc["count"]) if doc is not None else 1
            except DuplicateKeyError:
                continue  # two first requests of a window raced to insert: the loser increments the winner's
        raise AssertionError("unreachable: the second upsert finds the document")  # pragma: no cover


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
