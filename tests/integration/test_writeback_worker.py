"""The write-back worker on the real broker and database, writing into a fake ATS served on loopback."""
from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from functools import partial

import pytest
from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

from services.writeback.config import WritebackConfig, check
from services.writeback.connector import Connector
from services.writeback.dispatcher import Dispatcher
from services.writeback.handlers import OriginBatch, handle_application, handle_score
from services.writeback.repository import OriginNote, WritebackRepository
from services.writeback.service import Policy
from shared import events
from shared.consumer import ConsumerLoop
from shared.fetch import Fetcher
from shared.kafka import Publisher
from shared.tenants import TenantRepository
from tests.support.fake_ats_write import FakeAtsWrites
from tests.support.kafka_probe import TopicReader
from tests.support.waiting import wait_for

TOPICS = (events.APPLICATIONS_RECEIVED, events.APPLICATIONS_READY, events.SCORES_COMPUTED)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def tenants(db, settings):
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    return repo


@pytest.fixture
def repo(db, tenants):
    r = WritebackRepository(db, tenants)
    r.ensure_indexes()
    return r


@pytest.fixture
def ats():
    with FakeAtsWrites() as fake:
        yield fake


# --- the repository on secantusdb ------------------------------------------------------------------
def test_only_a_newer_score_replaces_the_one_stored(repo):
    assert repo.want("t1", "a1", provider="lever", desired={"score": 50}, computed_at=NOW, now=NOW)
    assert not repo.want("t1", "a1", provider="lever", desired={"score": 99}, computed_at=NOW - timedelta(seconds=1),
                         now=NOW)
    assert repo.want("t1", "a1", provider="lever", desired={"score": 40}, computed_at=NOW + timedelta(seconds=1),
                     now=NOW)
    assert repo.get("t1", "a1")["desired"] == {"score": 40}


def test_origins_of_a_batch_are_upserted_together_and_wake_only_the_records_waiting_for_them(repo, db):
    repo.record_origin("t1", "a1", provider="lever", candidate_id="c1", refs={"lever.opportunity": "o1"})
    for app, outcome in (("a1", "awaiting_origin"), ("a2", "awaiting_origin"), ("a3", "written")):
        repo.want("t1", app, provider=None, desired={"score": 1}, computed_at=NOW, now=NOW)
        db["writebacks"].update_one({"application_id": app}, {"$set": {"outcome": outcome, "due_at": None}})
    later = NOW + timedelta(minutes=5)
    repo.record_origins([OriginNote("t1", "a1", "lever", None, {"lever.other": "x"}),
                         OriginNote("t1", "a2", "greenhouse", "c2"), OriginNote("t1", "a3", "lever", "c3")], now=later)
    a1 = repo.origin("t1", "a1")
    assert (a1.candidate_id, a1.refs) == ("c1", {"lever.opportunity": "o1", "lever.other": "x"})
    assert repo.origin("t1", "a2").provider == "greenhouse"
    assert (repo.get("t1", "a1")["provider"], repo.get("t1", "a1")["due_at"]) == ("lever", later)
    assert (repo.get("t1", "a2")["provider"], repo.get("t1", "a2")["due_at"]) == ("greenhouse", later)
    assert repo.get("t1", "a3")["due_at"] is None  # not waiting for its origin: left alone


def test_a_connections_configuration_is_reused_within_its_ttl_and_this_processs_change_is_seen_at_once(db, tenants):
    cached = WritebackRepository(db, tenants, config_ttl_s=60)
    assert not cached.config("t1", "lever").enabled
    other = WritebackRepository(db, tenants)
    other.save_config(WritebackConfig(tenant="t1", provider="lever", enabled=True))
    assert not cached.config("t1", "lever").enabled  # another process's change: seen within the TTL
    cached.save_config(WritebackConfig(tenant="t1", provider="lever", enabled=True, note=False))
    assert cached.config("t1", "lever").enabled and not cached.config("t1", "lever").note


def test_a_due_record_is_leased_to_one_process_only(repo):
    repo.want("t1", "a1", provider="lever", desired={}, computed_at=NOW, now=NOW)
    [record] = repo.due(now=NOW, limit=10)
    lease = NOW + timedelta(seconds=60)
    assert repo.claim(record, now=NOW, lease_until=lease) is not None
    assert repo.claim(record, now=NOW, lease_until=lease) is None
    assert repo.due(now=NOW, limit=10) == []


def test_a_rate_limited_connection_is_left_out_of_the_due_records_and_other_tenants_are_not(repo):
    repo.want("t1", "a1", provider="lever", desired={}, computed_at=NOW, now=NOW)
    repo.want("t2", "b1", provider="lever", desired={}, computed_at=NOW, now=NOW)
    repo.block("t1", "lever", until=NOW + timedelta(seconds=30))
    assert [r["application_id"] for r in repo.due(now=NOW, limit=10)] == ["b1"]


def test_a_write_that_finishes_after_a_newer_score_arrived_leaves_the_record_due(repo):
    repo.want("t1", "a1", provider="lever", desired={"score": 50}, computed_at=NOW, now=NOW)
    [record] = repo.due(now=NOW, limit=10)
    claimed = repo.claim(record, now=NOW, lease_until=NOW + timedelta(seconds=60))
    repo.want("t1", "a1", provider="lever", desired={"score": 40}, computed_at=NOW + timedelta(seconds=1), now=NOW)
    repo.finish(claimed, fields={"outcome": "written"}, due_at=None)
    assert repo.get("t1", "a1")["due_at"] is not None


def test_write_back_secrets_are_stored_encrypted_and_read_back(repo, db):
    repo.save_config(WritebackConfig(tenant="t1", provider="lever", enabled=True, score=False,
                                     secrets={"api_key": "lever-secret-value"}))
    raw = db["writeback_configs"].find_one({"tenant": "t1"})
    assert "lever-secret-value" not in str(raw)
    assert repo.config("t1", "lever").secrets == {"api_key": "lever-secret-value"}


# --- the worker --------------------------------------------------------------------------------------
def start_group_at_end(bootstrap: str, group: str) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    parts = [TopicPartition(t, p) for t in TOPICS for p in consumer.partitions_for_topic(t)]
    consumer.assign(parts)
    consumer.seek_to_end()
    consumer.commit({tp: OffsetAndMetadata(consumer.position(tp), "", -1) for tp in parts})
    consumer.close()


class Worker:
    """services/writeback/worker.py's wiring, in threads, on the real broker and database."""

    def __init__(self, settings, *, repo, tenants):
        self.publisher = Publisher(settings, client_id="writeback-test")
        self.fetcher = Fetcher(settings)
        self.dispatcher = Dispatcher(repo=repo, connect=Connector(repo=repo, tenants=tenants, fetcher=self.fetcher),
                                     policy_=Policy(max_attempts=3, backoff_s=0.2), poll_s=0.1)
        group = f"writeback-test-{uuid.uuid4().hex[:8]}"
        start_group_at_end(settings.kafka_bootstrap_servers, group)
        origins = OriginBatch(repo)
        self.loop = ConsumerLoop(settings=settings, group_id=group, publisher=self.publisher,
                                 batch_end=origins.flush, handlers={
            events.APPLICATIONS_RECEIVED: partial(handle_application, repo=repo, batch=origins),
            events.APPLICATIONS_READY: partial(handle_application, repo=repo, batch=origins),
            events.SCORES_COMPUTED: partial(handle_score, repo=repo, wake=self.dispatcher.wake, batch=origins)})
        self.thread = threading.Thread(target=self.loop.run, kwargs={"install_signals": False}, daemon=True)

    def __enter__(self):
        self.dispatcher.start()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.loop.stop()
        self.thread.join(timeout=20)
        self.dispatcher.stop()
        self.dispatcher.join(timeout=20)
        self.publisher.close()
        self.fetcher.close()


def score_event(tenant: str, application_id: str, score: int, *, met: int, minute: int) -> events.Event:
    reqs = [{"id": f"r{i}", "competency": f"Skill {i}", "status": "met" if i < met else "missing", "reason": "…"}
            for i in range(4)]
    return events.new_event("score.computed", tenant=tenant, payload={
        "application_id": application_id, "role_id": "job-1", "status": "scored", "score": score,
        "score_version": "2026-11.2", "computed_at": (NOW + timedelta(minutes=minute)).isoformat(),
        "reason": f"{met} of 4 met", "requirements": reqs})


def test_a_lever_score_is_written_back_and_a_lower_one_replaces_it_and_bad_events_are_dead_lettered(
        settings, repo, tenants, ats, servers):
    settings = replace(settings, fetch_allow_loopback=1, fetch_deadline_s=3)
    tenant = f"t_{uuid.uuid4().hex[:6]}"
    tenants.tenants.insert_one({"_id": tenant, "name": "Acme"})
    tenants.add_connection(tenant, "lever", secret="tok", api_key="lever-key")
    repo.save_config(check(WritebackConfig(tenant=tenant, provider="lever", enabled=True, score=False,
                                           base_url=ats.base_url, acting_user="u-1",
                                           secrets={"api_key": "lever-key"})))
    dlq = TopicReader(servers.kafka.bootstrap, events.dlq_topic(events.SCORES_COMPUTED))
    with Worker(settings, repo=repo, tenants=tenants) as worker:
        worker.publisher.publish([events.new_event("application.received", tenant=tenant, payload={
            "provider": "lever", "delivery_id": "d1", "application": {"id": "app-1", "job_id": None},
            "candidate": {"id": "contact-1"}, "enrich": {"kind": "lever.opportunity", "ref": "opp-1"}})])
        worker.publisher.publish([score_event(tenant, "app-1", 75, met=3, minute=1)])
        wait_for(lambda: ats.lever_tags.get("opp-1") == {"credbridge: verified 3/4"}, timeout_s=30,
                 what="the first score in Lever")
        worker.publisher.publish([score_event(tenant, "app-1", 50, met=2, minute=2)])
        wait_for(lambda: ats.lever_tags.get("opp-1") == {"credbridge: verified 2/4"}
                 and len(ats.lever_notes["opp-1"]) == 1, timeout_s=30, what="the lower score replacing the first")
        worker.publisher.publish_raw(events.SCORES_COMPUTED, key=b"k", value=b"not an envelope", headers=[])
        seen = dlq.read(until=lambda s: s.get(events.dlq_topic(events.SCORES_COMPUTED)))
    dlq.close()
    [note] = ats.lever_notes["opp-1"].values()
    assert "50/100" in note["value"]
    assert seen[events.dlq_topic(events.SCORES_COMPUTED)][0].value == b"not an envelope"
    record = repo.get(tenant, "app-1")
    assert record["outcome"] == "written" and record["written_score"] is None
    assert {w["kind"] for w in record["remote"]["where"]} == {"note", "tag"}


# --- the command line --------------------------------------------------------------------------------
def run_cli(monkeypatch, capsys, settings, *argv: str) -> tuple[int, dict | str]:
    import json

    from services.cli import main
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else err


def test_the_cli_opts_a_connection_in_refuses_what_cannot_work_and_status_names_failures(
        monkeypatch, capsys, settings, repo, tenants):
    tenants.tenants.insert_one({"_id": "t_cli", "name": "Acme"})
    tenants.add_connection("t_cli", "greenhouse", secret="s")
    code, err = run_cli(monkeypatch, capsys, settings, "connection", "writeback", "t_cli", "greenhouse", "--enable")
    assert code == 2 and "needs client_id, client_secret, acting_user" in err
    code, doc = run_cli(monkeypatch, capsys, settings, "connection", "writeback", "t_cli", "greenhouse", "--enable",
                        "--client-id", "cid", "--client-secret", "csecret-value", "--acting-user", "4080",
                        "--no-tags", "--score-field", "verified_score")
    assert code == 0 and doc["writeback"]["enabled"] and not doc["writeback"]["tags"]
    assert doc["writeback"]["secrets_stored"] == ["client_id", "client_secret"] and "csecret-value" not in str(doc)
    code, err = run_cli(monkeypatch, capsys, settings, "connection", "writeback", "t_cli", "lever", "--enable")
    assert code == 2 and "no lever connection" in err
    code, err = run_cli(monkeypatch, capsys, settings, "connection", "writeback", "t_cli", "greenhouse", "--no-score",
                        "--no-note")
    assert code == 2 and "at least one" in err
    repo.want("t_cli", "a9", provider="greenhouse", desired={}, computed_at=NOW, now=NOW)
    repo.finish(repo.get("t_cli", "a9") | {"_id": "t_cli\x1fa9"}, fields={"outcome": "failed", "last_error": "nope"},
                due_at=None)
    code, doc = run_cli(monkeypatch, capsys, settings, "writeback", "status", "t_cli")
    assert doc["counts"] == {"greenhouse": {"failed": 1}}
    assert doc["not_written"][0]["application_id"] == "a9" and doc["not_written"][0]["last_error"] == "nope"
    assert doc["connections"][0]["score_field"] == "verified_score"
