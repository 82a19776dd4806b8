"""A consumer's membership of its group, as its rebalance callbacks report it: what a worker's /readyz answers."""
from __future__ import annotations

import logging
import threading

from kafka import ConsumerRebalanceListener, TopicPartition


log = logging.getLogger(__name__)


class Membership(ConsumerRebalanceListener):
    """Joined or not, and the partitions assigned. A worker is ready once its group has assigned it partitions:
    before that, a record published now waits for the join (and a first assignment made before the broker's
    topic metadata reached the consumer is empty, then redone). During a rebalance it is not ready again."""

    def __init__(self, group: str) -> None:
        self.group = group
        self._lock = threading.Lock()
        self._assigned: frozenset[TopicPartition] | None = None  # None: not a member yet, or being rebalanced
        self.rebalances = 0

    def on_partitions_revoked(self, revoked) -> None:
        with self._lock:
            self._assigned = None

    def on_partitions_assigned(self, assigned) -> None:
        with self._lock:
            self._assigned = frozenset(assigned)
            self.rebalances += 1
        log.info("partitions assigned", extra={"group": self.group, "partitions": len(assigned)})

    def readiness(self) -> tuple[bool, dict]:
        """(ready, the body of /readyz)."""
        with self._lock:
            assigned = self._assigned
        if assigned is None:
            return False, {"status": "not ready", "group": self.group, "detail": "not a member of its consumer group yet"}
        body = {"group": self.group, "partitions": sorted(f"{tp.topic}/{tp.partition}" for tp in assigned)}
        if not assigned:
            # Also a replica beyond the partition count: it stands by, and takes partitions if another one leaves.
            return False, {"status": "not ready", **body, "detail": "joined, but assigned no partitions"}
        return True, {"status": "ready", **body}
