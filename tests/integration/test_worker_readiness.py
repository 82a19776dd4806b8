"""A worker's /readyz on the real broker: 503 until its group has assigned it partitions, then 200 naming them."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

from shared import events
from shared.consumer import ConsumerLoop
from shared.kafka import Publisher
from shared.worker_http import serve
from tests.support.waiting import wait_for


def _readyz(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _worker(settings, group: str):
    loop = ConsumerLoop(settings=settings, group_id=group, publisher=Publisher(settings),
                        handlers={events.SCORES_COMPUTED: lambda event: None})
    server = serve(0, "127.0.0.1", readiness=loop.readiness)
    return loop, server, f"http://127.0.0.1:{server.server_address[1]}"


def test_a_worker_is_not_ready_before_it_joins_and_ready_once_assigned_every_partition_of_its_topic(settings):
    loop, server, base = _worker(settings, f"ready-{uuid.uuid4().hex[:8]}")
    assert _readyz(base)[0] == 503  # the endpoint is up before the consumer has joined
    thread = threading.Thread(target=loop.run, kwargs={"install_signals": False})
    thread.start()
    try:
        body = wait_for(lambda: (r := _readyz(base))[0] == 200 and r[1], timeout_s=60, what="the worker to be ready",
                        every_s=0.2)
        assert body["partitions"] == [f"{events.SCORES_COMPUTED}/{p}" for p in range(settings.kafka_topic_partitions)]
    finally:
        loop.stop()
        thread.join(timeout=30)
        server.shutdown()
        server.server_close()


def test_two_replicas_share_the_partitions_and_both_say_which_they_hold(settings):
    group = f"ready-{uuid.uuid4().hex[:8]}"
    workers = [_worker(settings, group) for _ in range(2)]
    threads = [threading.Thread(target=loop.run, kwargs={"install_signals": False}) for loop, _, _ in workers]
    for t in threads:
        t.start()
    try:
        def shared_out():
            answers = [_readyz(base) for _, _, base in workers]
            held = [p for status, body in answers if status == 200 for p in body["partitions"]]
            return all(status == 200 for status, _ in answers) and len(held) == settings.kafka_topic_partitions
        wait_for(shared_out, timeout_s=60, what="both replicas ready with the partitions split", every_s=0.2)
    finally:
        for loop, _, _ in workers:
            loop.stop()
        for t in threads:
            t.join(timeout=30)
        for _, server, _ in workers:
            server.shutdown()
            server.server_close()
