"""Reproduction: kafka-python 3.0.12's idempotent producer never sends again after an in-flight batch expires.

Four threads produce steadily (acks=all, delivery_timeout_ms=6000) to a single Apache Kafka 4.2.2 broker.
The broker is stopped (controlled shutdown: produce requests in flight come back NotLeaderForPartition and
are retried), stays down 10 s so the retried batches expire ("Expiring 1 record(s) ... 6000 ms has passed
since batch creation"), then starts again. With enable_idempotence=False the producer recovers within
seconds; with enable_idempotence=True every later send times out, for as long as the process lives.
A second producer created after the restart works at once, which is what credbridge's Publisher does
(shared/kafka.py: a producer whose publish went unacknowledged is replaced before the next publish).

Run: .venv/bin/python bench/repro/kafka_python_idempotent_wedge.py
Seen here (2026-11-25): idempotent: 0 of 20 sends acknowledged 10-30 s after the restart; a fresh producer:
acknowledged; non-idempotent: 9,013 of 9,013 acknowledged.
"""
from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from kafka import KafkaAdminClient, KafkaProducer  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402

PRODUCER = dict(acks="all", linger_ms=1, max_block_ms=5000, request_timeout_ms=4500, delivery_timeout_ms=6000,
                reconnect_backoff_max_ms=1000)


def trial(idempotent: bool) -> None:
    broker = stack.KafkaServer(port=stack.free_port(), controller_port=stack.free_port(),
                               data_dir=Path(tempfile.mkdtemp())).start()
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
        admin.create_topics([NewTopic("t", 3, 1)])
        admin.close()
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=idempotent, **PRODUCER)
        outcomes: list[tuple[float, bool]] = []
        stopping = threading.Event()

        def send_steadily():
            i = 0
            while not stopping.is_set():
                try:
                    producer.send("t", key=str(i % 7).encode(), value=b"x" * 100).get(timeout=6)
                    outcomes.append((time.monotonic(), True))
                except Exception:  # noqa: BLE001 - every failure is what is being counted
                    outcomes.append((time.monotonic(), False))
                i += 1
                time.sleep(0.005)

        threads = [threading.Thread(target=send_steadily) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(3)
        broker.stop()
        time.sleep(10)
        broker.start()
        back = time.monotonic()
        time.sleep(30)
        stopping.set()
        for t in threads:
            t.join(10)
        late = [ok for at, ok in outcomes if at > back + 10]
        print(f"enable_idempotence={idempotent}: {sum(late)} of {len(late)} sends acknowledged 10-30 s after the restart")
        if idempotent:
            fresh = KafkaProducer(bootstrap_servers=broker.bootstrap, enable_idempotence=True, **PRODUCER)
            fresh.send("t", value=b"y").get(timeout=10)
            print("  a producer created after the restart: acknowledged")
            fresh.close(timeout=5)
        producer.close(timeout=0)
    finally:
        broker.stop()


if __name__ == "__main__":
    logging.disable(logging.CRITICAL)  # the client logs every refused connection while the broker is down
    trial(idempotent=True)
    trial(idempotent=False)
