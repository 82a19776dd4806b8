"""How evenly one consumer drains a backlog spread over several partitions: the order kafka-python serves them in.

A backlog of records of one size is spread evenly over a topic's partitions; one consumer, configured as the
consumer loop (shared/consumer.py: 100 records a poll), reads it all. kafka-python hands out one partition's
fetched chunk (up to max_partition_fetch_bytes) before the next partition's, so with a backlog the partitions
are served in runs of about max_partition_fetch_bytes / record size records, and one partition can finish a
whole run's worth of work before another. At a constant rate of handling, a record's position in the order is
its time: the figures (position where each partition finished, longest run) do not depend on the machine.

Starts its own Apache Kafka. `python bench/partitions.py [--records 3000 --record-bytes 2048]` (under a minute).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
import pipeline  # noqa: E402,F401  (puts the repo and deploy/local on the path)
import stack  # noqa: E402
from kafka import KafkaConsumer, KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from shared.settings import Settings  # noqa: E402


def drain_order(bootstrap: str, *, partitions: int, records: int, record_bytes: int, fetch_bytes: int) -> list[int]:
    """The partition of each record, in the order one consumer read a backlog of `records`."""
    topic = f"drain-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, partitions, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    for i in range(records):
        producer.send(topic, value=b"x" * record_bytes, partition=i % partitions)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"g-{topic}", auto_offset_reset="earliest",
                             enable_auto_commit=False, max_poll_records=100, max_partition_fetch_bytes=fetch_bytes)
    order: list[int] = []
    while len(order) < records:
        for tp, recs in consumer.poll(timeout_ms=1000).items():
            order += [tp.partition] * len(recs)
    consumer.close()
    return order


def describe(order: list[int], partitions: int) -> str:
    finished = {p: max(i for i, q in enumerate(order) if q == p) + 1 for p in range(partitions)}
    runs, longest, current = 0, 0, 0
    for i, p in enumerate(order):
        current = current + 1 if i and order[i - 1] == p else 1
        runs += current == 1
        longest = max(longest, current)
    first = min(finished.values())
    return (f"partitions finished at record {', '.join(f'p{p} {n}' for p, n in sorted(finished.items()))} of "
            f"{len(order)}; first done at {first / len(order):.0%} of the work; runs of one partition: "
            f"{len(order) / runs:.0f} records on average, longest {longest}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--record-bytes", type=int, default=2048, help="about one credentials.submitted event")
    args = ap.parse_args()
    partitions = Settings().kafka_topic_partitions
    workdir = Path(tempfile.mkdtemp(prefix="credbridge-partitions-"))
    kafka = stack.KafkaServer(port=stack.free_port(), controller_port=stack.free_port(), data_dir=workdir / "kafka").start()
    try:
        for fetch_bytes in (1_048_576, Settings().consumer_partition_fetch_bytes):
            order = drain_order(kafka.bootstrap, partitions=partitions, records=args.records,
                                record_bytes=args.record_bytes, fetch_bytes=fetch_bytes)
            print(f"max_partition_fetch_bytes {fetch_bytes:>9,}: {describe(order, partitions)}", flush=True)
    finally:
        kafka.stop()


if __name__ == "__main__":
    main()
