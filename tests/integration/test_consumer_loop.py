"""The consumer loop on the real broker: commit after handling, stop cleanly mid-stream, dead-letter poison."""
from __future__ import annotations

import threading
import time
import uuid


from shared import events
from shared.consumer import ConsumerLoop
from shared.kafka import Publisher, PublishError, group_lag, message_key
from tests.support.kafka_probe import TopicReader


def ready_event(tenant: str, i: int) -> events.Event:
    # One application id for all, so every message shares a key and a partition: order is observable.
    return events.new_event("application.ready", tenant=tenant, payload={
        "provider": "generic", "delivery_id": f"d{i}", "application": {"id": "app-x", "job_id": "j"},
        "candidate": {"id": "c", "emails": []}, "credential_ids": [f"cred-{i}"]})


def lag(settings, group: str, topic: str) -> int:
    return group_lag(settings.kafka_bootstrap_servers, group, [topic])


def test_stopping_mid_stream_finishes_the_message_in_hand_and_commits_exactly_what_was_handled(settings):
    tenant, group = f"t-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    publisher = Publisher(settings)
    batch = [ready_event(tenant, i) for i in range(6)]
    publisher.publish(batch)
    handled = []
    loop = None

    def handler(event):
        if event.tenant != tenant:
            return
        handled.append(event.payload["delivery_id"])
        if len(handled) == 3:
            loop.stop()  # what SIGTERM does, arriving while message 3 is in hand

    loop = ConsumerLoop(settings=settings, group_id=group, handlers={events.APPLICATIONS_READY: handler},
                        publisher=publisher)
    runner = threading.Thread(target=loop.run, kwargs={"install_signals": False, "idle_exit_after_s": 15})
    runner.start()
    runner.join(30)
    assert not runner.is_alive()
    assert handled == ["d0", "d1", "d2"]

    # A new member of the group resumes right after the last handled message: nothing lost, nothing redone.
    resumed = []
    loop2 = ConsumerLoop(settings=settings, group_id=group, publisher=publisher, handlers={
        events.APPLICATIONS_READY: lambda e: resumed.append(e.payload["delivery_id"]) if e.tenant == tenant else None})
    loop2.run(install_signals=False, idle_exit_after_s=3)
    assert resumed == ["d3", "d4", "d5"]
    publisher.close()


def test_a_poison_message_is_dead_lettered_with_its_error_and_its_offset_committed(settings, servers):
    group = f"g-{uuid.uuid4().hex[:8]}"
    publisher = Publisher(settings)
    reader = TopicReader(servers.kafka.bootstrap, events.dlq_topic(events.APPLICATIONS_READY))
    key = f"poison-{uuid.uuid4().hex}".encode()
    publisher.publish_raw(events.APPLICATIONS_READY, key=key, value=b'{"not": "an envelope"}', headers=[])
    loop = ConsumerLoop(settings=settings, group_id=group, publisher=publisher,
                        handlers={events.APPLICATIONS_READY: lambda e: None})
    loop.run(install_signals=False, idle_exit_after_s=3)
    reader.read(until=lambda s: any(r.key == key for r in s[events.dlq_topic(events.APPLICATIONS_READY)]))
    [dead] = [r for r in reader.seen[events.dlq_topic(events.APPLICATIONS_READY)] if r.key == key]
    headers = dict(dead.headers)
    assert dead.value == b'{"not": "an envelope"}'
    assert b"invalid envelope" in headers["error"] and headers["original_topic"] == b"applications.ready"
    assert lag(settings, group, events.APPLICATIONS_READY) == 0
    reader.close()
    publisher.close()


def test_a_broker_restart_while_a_message_is_in_hand_neither_stops_the_loop_nor_loses_a_message(servers):
    # The broker goes away long enough for the group's session to lapse, so the commit of the batch in hand
    # is refused when it returns (kafka-python: CommitFailedError), the case that used to end the worker.
    settings = servers.settings(consumer_session_timeout_ms=6000, consumer_max_attempts=2, consumer_pause_max_s=1.0)
    tenant, group = f"t-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    publisher = Publisher(settings)
    publisher.publish([ready_event(tenant, i) for i in range(40)])
    handled, in_hand, broker_down = [], threading.Event(), threading.Event()

    def output():
        return events.new_event("score.computed", tenant=tenant, payload={
            "application_id": "app-x", "role_id": "j", "status": "unscored", "score": None, "score_version": "v",
            "computed_at": "2026-01-01T00:00:00+00:00"})

    def handler(event):
        if event.tenant != tenant:
            return
        if event.payload["delivery_id"] == "d5" and not broker_down.is_set():
            in_hand.set()
            broker_down.wait(60)
        publisher.publish([output()])
        handled.append(event.payload["delivery_id"])

    loop = ConsumerLoop(settings=settings, group_id=group, handlers={events.APPLICATIONS_READY: handler},
                        publisher=publisher)
    failure = []

    def run():
        try:
            loop.run(install_signals=False)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion below
            failure.append(exc)

    def publish_steadily():
        # Other work sharing the publisher, in flight as the broker shuts down: some of its batches are
        # sent, refused (NotLeaderForPartition) and expire, which wedges kafka-python's idempotent producer.
        while not stop_publishing.is_set():
            try:
                publisher.publish([output()])
            except PublishError:
                pass
            time.sleep(0.005)

    stop_publishing = threading.Event()
    background = [threading.Thread(target=publish_steadily, daemon=True) for _ in range(3)]
    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    try:
        assert in_hand.wait(60)
        for t in background:
            t.start()
        time.sleep(1)
        servers.kafka.stop()
        broker_down.set()
        time.sleep(8)  # longer than the session timeout and the publisher's delivery timeout
    finally:
        servers.kafka.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (set(handled) >= {f"d{i}" for i in range(40)}
                                               and lag(settings, group, events.APPLICATIONS_READY) == 0):
        assert runner.is_alive(), f"the loop ended: {failure}"
        time.sleep(0.5)
    stop_publishing.set()
    loop.stop()
    runner.join(30)
    assert failure == []
    assert set(handled) == {f"d{i}" for i in range(40)}  # redeliveries allowed, losses not
    assert lag(settings, group, events.APPLICATIONS_READY) == 0
    publisher.close()


def test_the_message_key_keeps_one_applications_events_on_one_partition():
    a = ready_event("t1", 1)
    b = events.new_event("credential.verified", tenant="t1", payload={
        "credential_id": "c", "application_id": "app-x", "candidate_id": "c",
        "report": {"verdict": "failed", "format": "vc-jwt", "checks": [], "checked_at": "now"}})
    assert message_key(a) == message_key(b) == b"t1:app-x"
