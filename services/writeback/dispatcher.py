"""The dispatcher: leases due write-back records and runs them on a small thread pool, fairly across connections.

Per connection (tenant, provider) at most `concurrency` writes run at once in this process; a connection that is
rate-limited or at its cap is left out of the query for due records, so its backlog never crowds out other
tenants'. Records are leased in MongoDB, so several worker processes never write the same record at once.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable

from shared.consumer import TRANSIENT

from services.writeback import metrics
from services.writeback.repository import WritebackRepository
from services.writeback.service import Connect, Policy, attempt

log = logging.getLogger(__name__)

Key = tuple[str, str]


class Dispatcher(threading.Thread):
    def __init__(self, *, repo: WritebackRepository, connect: Connect, policy_: Policy, pool_size: int = 8,
                 poll_s: float = 0.5, lease_s: float = 120.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        super().__init__(name="writeback-dispatcher", daemon=True)
        self.repo, self.connect, self.policy_, self.clock = repo, connect, policy_, clock
        self.pool_size, self.poll_s, self.lease_s = pool_size, poll_s, lease_s
        self._executor = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="writeback")
        self._inflight: dict[Key, int] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        self._executor.shutdown(wait=True, cancel_futures=True)

    def run(self) -> None:
        while not self._stopping:
            try:
                self.tick()
            except TRANSIENT as exc:
                log.warning("write-back dispatcher: database unavailable", extra={"error": type(exc).__name__})
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def tick(self) -> int:
        """Leases and submits what may run now; returns how many were submitted."""
        now = self.clock()
        submitted = 0
        for record in self.repo.due(now=now, limit=self.pool_size * 4, skip=self._saturated()):
            key = (record["tenant"], record.get("provider") or "unknown")
            with self._lock:
                if sum(self._inflight.values()) >= self.pool_size or self._inflight.get(key, 0) >= self._cap(key):
                    continue
                claimed = self.repo.claim(record, now=now, lease_until=now + timedelta(seconds=self.lease_s))
                if claimed is None:
                    continue   # another process leased it, or a newer score arrived: the next tick sees it
                self._inflight[key] = self._inflight.get(key, 0) + 1
            self._executor.submit(self._run, claimed, key)
            submitted += 1
        return submitted

    def run_until_idle(self, *, timeout_s: float = 10.0) -> None:
        """Ticks until nothing is due or running (tests and the CLI's one-shot runs)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.tick() == 0 and not any(self._inflight.values()):
                return
            time.sleep(0.02)

    def _run(self, record: dict, key: Key) -> None:
        try:
            attempt(record, repo=self.repo, connect=self.connect, policy_=self.policy_, clock=self.clock)
        except TRANSIENT as exc:
            # The database went away mid-attempt: the lease runs out and the record is tried again.
            log.warning("write-back attempt interrupted", extra={"error": type(exc).__name__})
        except Exception:  # noqa: BLE001 - one record's bug must not kill the pool; it is counted and logged
            metrics.WRITES.labels(provider=key[1], outcome="error").inc()
            log.exception("write-back attempt failed unexpectedly", extra={"provider": key[1]})
        finally:
            with self._lock:
                self._inflight[key] -= 1
            self._wake.set()

    def _saturated(self) -> list[Key]:
        with self._lock:
            return [k for k, n in self._inflight.items() if n >= self._cap(k)]

    def _cap(self, key: Key) -> int:
        if key[1] == "unknown":
            return 1
        return self.repo.config(*key).concurrency
