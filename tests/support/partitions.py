"""Which partition a key lands on, as kafka-python's default partitioner computes it (murmur2 of the key)."""
from __future__ import annotations

from kafka.partitioner.default import murmur2


def partition_of(key: bytes, partitions: int) -> int:
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def same_partition(tenant: str, application_id: str, *, partitions: int = 3) -> str:
    """Another application id whose events land on the same partition as `application_id`'s (key tenant:app)."""
    def part(app_id: str) -> int:
        return partition_of(f"{tenant}:{app_id}".encode(), partitions)
    return next(f"{application_id}-next-{i}" for i in range(1000) if part(f"{application_id}-next-{i}") == part(application_id))
