"""credbridge_kafka_committed_total counts what a group committed past: the rate its backlog drains at (lag alerts)."""
from __future__ import annotations

from tests.unit.test_consumer_policy import A, FakeLog, _app, _counter, run_over

COMMITTED = "credbridge_kafka_committed_total"


def test_records_count_as_committed_once_their_commit_succeeds_and_a_refused_commit_counts_nothing(monkeypatch):
    before = _counter(COMMITTED, group="g", topic=A.topic)
    # Batches of three; the first commit is refused, so a0-a2 are handled twice but committed once.
    run_over(monkeypatch, FakeLog({A: [_app(i) for i in range(5)]}, commit_failures=1), lambda event: None)
    assert _counter(COMMITTED, group="g", topic=A.topic) == before + 5


class ConfigSeen(FakeLog):
    def __call__(self, *topics, **config):
        self.config = config
        return self


def test_the_consumer_fetches_small_runs_of_each_partition_so_a_backlogs_partitions_drain_together(monkeypatch):
    # kafka-python serves one partition's fetched bytes before the next's: 1 MiB of 2 KiB events was a run of 500
    # records of one partition, and the first partition finished at 67% of a backlog (bench/partitions.py).
    fake = ConfigSeen({A: [_app(0)]})
    run_over(monkeypatch, fake, lambda event: None)
    assert fake.config["max_partition_fetch_bytes"] == 65_536 and fake.config["max_poll_records"] == 100
