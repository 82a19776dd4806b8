"""The consumer loop's per-message policy: handle, retry what is transient, dead-letter the rest."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from kafka import TopicPartition
from kafka.errors import CommitFailedError, KafkaConnectionError
from prometheus_client import REGISTRY
from pymongo.errors import AutoReconnect

from shared import consumer as consumer_module
from shared import events
from shared.consumer import ConsumerLoop, DependencyUnavailable, PermanentError
from shared.kafka import PublishError
from shared.settings import Settings


class RecordingPublisher:
    def __init__(self):
        self.raw = []

    def publish_raw(self, topic, *, key, value, headers):
        self.raw.append((topic, key, value, dict(headers)))


def application_event() -> bytes:
    return events.encode(events.new_event("application.received", tenant="t1", payload={
        "provider": "generic", "delivery_id": "d1", "application": {"id": "a1", "job_id": "j1"},
        "candidate": {"id": "c1", "emails": []}}))


def loop(handler, attempts=3):
    pub = RecordingPublisher()
    sleeps = []
    lp = ConsumerLoop(settings=Settings(consumer_max_attempts=attempts, consumer_backoff_s=0.1), group_id="g",
                      handlers={events.APPLICATIONS_RECEIVED: handler}, publisher=pub, sleep=sleeps.append)
    return lp, pub, sleeps


def test_a_handled_message_is_not_dead_lettered():
    seen = []
    lp, pub, _ = loop(seen.append)
    assert lp.process(events.APPLICATIONS_RECEIVED, b"k", application_event()).handled
    assert seen[0].payload["application"]["id"] == "a1" and pub.raw == []


def test_a_message_that_is_not_json_goes_to_the_dead_letter_topic_with_its_error():
    lp, pub, _ = loop(lambda e: None)
    out = lp.process(events.APPLICATIONS_RECEIVED, b"k", b"{not json")
    assert out.dead_lettered
    topic, key, value, headers = pub.raw[0]
    assert topic == "applications.received.dlq" and key == b"k" and value == b"{not json"
    assert b"invalid envelope" in headers["error"] and headers["original_topic"] == b"applications.received"


def test_an_envelope_whose_payload_breaks_its_schema_is_dead_lettered_without_calling_the_handler():
    called = []
    lp, pub, _ = loop(called.append)
    bad = application_event().replace(b'"job_id":"j1"', b'"job_id":""')
    assert lp.process(events.APPLICATIONS_RECEIVED, None, bad).dead_lettered
    assert called == []


def test_an_event_on_the_wrong_topic_is_dead_lettered():
    lp, pub, _ = loop(lambda e: None)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, _score_event()).dead_lettered


def _score_event():
    return events.encode(events.new_event("score.computed", tenant="t", payload={
        "application_id": "a", "status": "scored", "score": 1, "score_version": "v", "computed_at": "now"}))


def test_a_transient_failure_is_retried_with_doubling_backoff_and_then_succeeds():
    calls = []

    def flaky(event):
        calls.append(event)
        if len(calls) < 3:
            raise AutoReconnect("db blip")

    lp, pub, sleeps = loop(flaky, attempts=5)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).handled
    assert len(calls) == 3 and sleeps == [0.1, 0.2] and pub.raw == []


def test_an_outage_that_outlasts_every_attempt_is_never_dead_lettered():
    def down(event):
        raise AutoReconnect("db down")

    lp, pub, sleeps = loop(down, attempts=3)
    with pytest.raises(DependencyUnavailable) as caught:
        lp.process(events.APPLICATIONS_RECEIVED, None, application_event())
    assert caught.value.dependency == "database" and len(sleeps) == 2 and pub.raw == []


def test_a_dead_letter_the_broker_cannot_take_leaves_the_message_to_be_read_again():
    class BrokerAway(RecordingPublisher):
        def publish_raw(self, topic, *, key, value, headers):
            raise PublishError("KafkaTimeoutError")

    lp = ConsumerLoop(settings=Settings(), group_id="g", handlers={events.APPLICATIONS_RECEIVED: lambda e: None},
                      publisher=BrokerAway(), sleep=lambda s: None)
    with pytest.raises(DependencyUnavailable) as caught:
        lp.process(events.APPLICATIONS_RECEIVED, None, b"{not json")
    assert caught.value.dependency == "broker"


def test_a_permanent_error_is_dead_lettered_at_once():
    def refuse(event):
        raise PermanentError("cannot ever work")

    lp, pub, sleeps = loop(refuse)
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).dead_lettered
    assert sleeps == []


def test_a_bug_in_a_handler_dead_letters_the_message_instead_of_wedging_the_partition():
    lp, pub, sleeps = loop(lambda e: {}["missing"])
    assert lp.process(events.APPLICATIONS_RECEIVED, None, application_event()).dead_lettered
    assert b"KeyError" in pub.raw[0][3]["error"]


# --- the loop over a partitioned log ------------------------------------------------------------
A, B = TopicPartition(events.APPLICATIONS_RECEIVED, 0), TopicPartition(events.APPLICATIONS_RECEIVED, 1)


class FakeLog:
    """A consumer over an in-memory log with Kafka's position semantics: poll returns records from each
    partition's position and moves it past them; seek moves it back; commit stores offsets (or fails)."""

    def __init__(self, records: dict[TopicPartition, list[bytes]], *, commit_failures: int = 0, max_records=3):
        self.log = records
        self.position = {tp: 0 for tp in records}
        self.committed: dict[TopicPartition, int] = {}
        self.commit_failures, self.max_records = commit_failures, max_records
        self.loop: ConsumerLoop | None = None
        self.closed = False

    def __call__(self, *topics, **config):  # stands in for the KafkaConsumer class
        return self

    def subscribe(self, topics, listener):
        listener.on_partitions_assigned(set(self.log))  # joined at once, every partition this log has

    def poll(self, timeout_ms):
        batch = {}
        for tp, values in self.log.items():
            start = self.position[tp]
            records = [SimpleNamespace(offset=o, key=None, value=values[o], headers=[])
                       for o in range(start, min(start + self.max_records, len(values)))]
            if records:
                batch[tp] = records
                self.position[tp] = records[-1].offset + 1
        if not batch and all(self.committed.get(tp) == len(v) for tp, v in self.log.items()):
            self.loop.stop()  # everything handled and committed: end the run
        return batch

    def seek(self, tp, offset):
        self.position[tp] = offset

    def assignment(self):
        return set(self.log)

    def commit(self, offsets):
        if self.commit_failures:
            self.commit_failures -= 1
            # As after a rebalance: the partition's owner starts again from the last committed offset.
            self.position = {tp: self.committed.get(tp, 0) for tp in self.log}
            raise CommitFailedError("the group rebalanced")
        self.committed.update({tp: meta.offset for tp, meta in offsets.items()})

    def close(self, autocommit):
        self.closed = True


def run_over(monkeypatch, fake: FakeLog, handler, **settings) -> ConsumerLoop:
    monkeypatch.setattr(consumer_module, "KafkaConsumer", fake)
    monkeypatch.setattr(consumer_module, "LagTracker", lambda group: SimpleNamespace(update=lambda c: None))
    lp = ConsumerLoop(settings=Settings(consumer_backoff_s=0.01, **settings), group_id="g",
                      handlers={events.APPLICATIONS_RECEIVED: handler}, publisher=RecordingPublisher(),
                      sleep=lambda s: None)
    fake.loop = lp
    lp.run(install_signals=False)
    return lp


def _app(i: int) -> bytes:
    return events.encode(events.new_event("application.received", tenant="t1", payload={
        "provider": "generic", "delivery_id": f"d{i}", "application": {"id": f"a{i}", "job_id": "j1"},
        "candidate": {"id": "c1", "emails": []}}))


def _counter(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_commit_the_broker_refuses_does_not_stop_the_loop_and_the_records_are_handled_again(monkeypatch):
    fake = FakeLog({A: [_app(i) for i in range(5)]}, commit_failures=1)
    seen = []
    before = _counter("credbridge_kafka_commit_failures_total", group="g")
    run_over(monkeypatch, fake, lambda event: seen.append(event.payload["application"]["id"]))
    # The first batch's commit was refused and the group handed the partition back from offset 0.
    assert seen == ["a0", "a1", "a2", "a0", "a1", "a2", "a3", "a4"]
    assert fake.committed[A] == 5 and fake.closed
    assert _counter("credbridge_kafka_commit_failures_total", group="g") == before + 1


def test_an_outage_mid_batch_rewinds_every_partition_to_its_first_unhandled_record_and_loses_nothing(monkeypatch):
    fake = FakeLog({A: [_app(i) for i in range(4)], B: [_app(10 + i) for i in range(4)]})
    handled, down = [], {"a1": 7}  # a1 meets a database outage lasting seven attempts
    pauses = _counter("credbridge_kafka_dependency_pauses_total", topic=A.topic, dependency="database")

    def handler(event):
        app = event.payload["application"]["id"]
        if down.get(app, 0) > 0:
            down[app] -= 1
            raise AutoReconnect("db away")
        handled.append(app)

    run_over(monkeypatch, fake, handler, consumer_max_attempts=3)
    # Every record handled exactly once, in partition order, and all of them committed.
    assert [h for h in handled if h in {"a0", "a1", "a2", "a3"}] == ["a0", "a1", "a2", "a3"]
    assert sorted(handled) == sorted(["a0", "a1", "a2", "a3", "a10", "a11", "a12", "a13"])
    assert fake.committed == {A: 4, B: 4}
    assert _counter("credbridge_kafka_dependency_pauses_total", topic=A.topic, dependency="database") == pauses + 2


def test_pauses_double_up_to_the_configured_ceiling(monkeypatch):
    fake = FakeLog({A: [_app(0)]})
    down = {"left": 6}

    def handler(event):
        if down["left"] > 0:
            down["left"] -= 1
            raise PublishError("KafkaTimeoutError")

    monkeypatch.setattr(consumer_module, "KafkaConsumer", fake)
    monkeypatch.setattr(consumer_module, "LagTracker", lambda group: SimpleNamespace(update=lambda c: None))
    sleeps = []
    lp = ConsumerLoop(settings=Settings(consumer_backoff_s=1.0, consumer_max_attempts=1, consumer_pause_max_s=4.0),
                      group_id="g", handlers={events.APPLICATIONS_RECEIVED: handler},
                      publisher=RecordingPublisher(), sleep=sleeps.append)
    fake.loop = lp
    lp.run(install_signals=False)
    assert sleeps == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0] and fake.committed == {A: 1}


def test_a_retriable_poll_error_is_waited_out_and_any_other_kafka_error_stops_the_worker(monkeypatch):
    fake = FakeLog({A: [_app(0)]})
    real_poll, failures = fake.poll, {"left": 2}

    def flaky_poll(timeout_ms):
        if failures["left"]:
            failures["left"] -= 1
            raise KafkaConnectionError("broker restarting")
        return real_poll(timeout_ms)

    fake.poll = flaky_poll
    seen = []
    run_over(monkeypatch, fake, seen.append)
    assert len(seen) == 1 and fake.committed == {A: 1}

    class Fatal(KafkaConnectionError):
        retriable = False

    fake = FakeLog({A: [_app(0)]})
    fake.poll = lambda timeout_ms: (_ for _ in ()).throw(Fatal("not authorised"))
    with pytest.raises(Fatal):
        run_over(monkeypatch, fake, seen.append)
    assert fake.closed


def test_the_batch_end_runs_once_per_batch_before_its_commit_and_an_outage_there_reads_the_batch_again(monkeypatch):
    fake = FakeLog({A: [_app(i) for i in range(3)], B: [_app(10 + i) for i in range(3)]}, max_records=3)
    handled, ends = [], []
    down = {"left": 1}

    def batch_end():
        ends.append((len(handled), dict(fake.committed)))
        if down["left"]:
            down["left"] -= 1
            raise AutoReconnect("db away")

    monkeypatch.setattr(consumer_module, "KafkaConsumer", fake)
    monkeypatch.setattr(consumer_module, "LagTracker", lambda group: SimpleNamespace(update=lambda c: None))
    lp = ConsumerLoop(settings=Settings(consumer_backoff_s=0.01), group_id="g", publisher=RecordingPublisher(),
                      handlers={events.APPLICATIONS_RECEIVED: lambda e: handled.append(e.payload["application"]["id"])},
                      sleep=lambda s: None, batch_end=batch_end)
    fake.loop = lp
    lp.run(install_signals=False)
    # First batch: all six handled, the batch end fails, nothing committed, both partitions read again.
    assert ends[0] == (6, {}) and ends[1] == (12, {})
    assert sorted(handled) == sorted(2 * ["a0", "a1", "a2", "a10", "a11", "a12"])
    assert fake.committed == {A: 3, B: 3}


def test_the_batch_start_is_shown_every_raw_value_of_a_poll_batch_before_any_is_handled(monkeypatch):
    fake = FakeLog({A: [_app(i) for i in range(3)], B: [_app(10 + i) for i in range(2)]}, max_records=3)
    handled, starts = [], []
    monkeypatch.setattr(consumer_module, "KafkaConsumer", fake)
    monkeypatch.setattr(consumer_module, "LagTracker", lambda group: SimpleNamespace(update=lambda c: None))
    lp = ConsumerLoop(settings=Settings(consumer_backoff_s=0.01), group_id="g", publisher=RecordingPublisher(),
                      handlers={events.APPLICATIONS_RECEIVED: lambda e: handled.append(e.payload["application"]["id"])},
                      sleep=lambda s: None,
                      batch_start=lambda values: starts.append((len(handled), sorted(
                          events.decode(v).payload["application"]["id"] for v in values))))
    fake.loop = lp
    lp.run(install_signals=False)
    assert starts and all(before in (0, 3, 5) for before, _ in starts)  # each before its batch's first handler
    assert sorted(a for _, seen in starts for a in seen) == sorted(handled) == ["a0", "a1", "a10", "a11", "a2"]


def test_the_loop_is_busy_while_it_handles_a_batch_and_for_a_while_after_then_idle(monkeypatch):
    fake = FakeLog({A: [_app(i) for i in range(2)]}, max_records=3)
    now = [100.0]
    seen_during: list[bool] = []
    monkeypatch.setattr(consumer_module, "KafkaConsumer", fake)
    monkeypatch.setattr(consumer_module, "LagTracker", lambda group: SimpleNamespace(update=lambda c: None))
    lp = ConsumerLoop(settings=Settings(consumer_backoff_s=0.01), group_id="g", publisher=RecordingPublisher(),
                      handlers={events.APPLICATIONS_RECEIVED: lambda e: seen_during.append(lp.busy(within_s=1.0))},
                      sleep=lambda s: None, clock=lambda: now[0])
    assert not lp.busy()  # nothing handled yet
    fake.loop = lp
    lp.run(install_signals=False)
    assert seen_during == [True, True]
    assert lp.busy(within_s=1.0)  # the batch ended at 100.0
    now[0] = 100.5
    assert lp.busy(within_s=1.0) and not lp.busy(within_s=0.4)
    now[0] = 101.5
    assert not lp.busy(within_s=1.0)
