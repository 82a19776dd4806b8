"""The write-back worker's origins, written once per poll batch: merged as the stored `$set` would merge them, not
written again when an event repeats what this process wrote, and written before a score that will be written back."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from shared.events import new_event

from services.writeback.config import WritebackConfig
from services.writeback.handlers import OriginBatch, handle_application, handle_score
from services.writeback.repository import OriginNote
from tests.unit.writeback_fakes import FakeWritebackRepository

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def application(app="a1", *, candidate="c1", provider="lever", enrich=None, kind="application.received"):
    payload = {"provider": provider, "delivery_id": f"d-{app}", "application": {"id": app, "job_id": "job-1"},
               "candidate": {"id": candidate}, "enrich": enrich}
    if kind == "application.ready":
        payload["credential_ids"] = []
    return new_event(kind, tenant="t1", payload=payload)


def score(app="a1", *, minute=1):
    return new_event("score.computed", tenant="t1", payload={
        "application_id": app, "role_id": "job-1", "status": "scored", "score": 80, "score_version": "v",
        "computed_at": NOW.replace(minute=minute).isoformat(), "reason": "1 of 1 met",
        "requirements": [{"id": "r0", "competency": "Python", "status": "met", "reason": "Met"}]})


@pytest.fixture
def repo():
    return FakeWritebackRepository()


@pytest.fixture
def batch(repo):
    return OriginBatch(repo, clock=lambda: NOW)


def test_a_batchs_origins_are_written_once_at_its_end_merged_as_the_store_merges_them(repo, batch):
    handle_application(application(candidate="pending:x", enrich={"kind": "lever.opportunity", "ref": "opp-1"}),
                       repo=repo, batch=batch)
    handle_application(application(candidate="c1", kind="application.ready"), repo=repo, batch=batch)
    handle_application(application("a2"), repo=repo, batch=batch)
    assert repo.origins == {} and repo.writes == []
    batch.flush()
    assert repo.writes == [2]
    a1 = repo.origin("t1", "a1")
    assert (a1.provider, a1.candidate_id, a1.refs) == ("lever", "c1", {"lever.opportunity": "opp-1"})
    assert repo.origin("t1", "a2").candidate_id == "c1"


def test_an_event_repeating_what_this_process_wrote_is_not_written_again_but_a_change_is(repo, batch):
    handle_application(application(), repo=repo, batch=batch)
    batch.flush()
    handle_application(application(kind="application.ready"), repo=repo, batch=batch)
    batch.flush()
    assert repo.writes == [1, 0]
    handle_application(application(enrich={"kind": "lever.opportunity", "ref": "opp-9"}), repo=repo, batch=batch)
    batch.flush()
    assert repo.writes == [1, 0, 1] and repo.origin("t1", "a1").refs == {"lever.opportunity": "opp-9"}


def test_what_it_remembers_is_bounded_and_a_forgotten_origin_is_written_again(repo):
    batch = OriginBatch(repo, clock=lambda: NOW, remember=2)
    for app in ("a1", "a2", "a3"):
        handle_application(application(app), repo=repo, batch=batch)
        batch.flush()
    handle_application(application("a1"), repo=repo, batch=batch)
    batch.flush()
    assert repo.writes == [1, 1, 1, 1]


def test_a_failed_write_forgets_nothing_it_did_not_store_so_the_batch_read_again_writes_it(repo, batch):
    def away(notes, *, now):
        raise ConnectionError("MongoDB away")
    store = repo.record_origins
    repo.record_origins = away
    handle_application(application(), repo=repo, batch=batch)
    with pytest.raises(ConnectionError):
        batch.flush()
    repo.record_origins = store
    handle_application(application(), repo=repo, batch=batch)  # the consumer loop handles the batch again
    batch.flush()
    assert repo.writes == [1] and repo.origin("t1", "a1") is not None


def test_a_score_finds_its_provider_from_the_batch_and_the_origin_is_stored_before_the_score(repo, batch):
    repo.save_config(WritebackConfig(tenant="t1", provider="lever", enabled=True))
    handle_application(application(), repo=repo, batch=batch)
    reads = []
    repo.origin = lambda *a: reads.append(a)  # type: ignore[method-assign]
    order = []
    handle_score(score(), repo=repo, wake=lambda: order.append(("woken", dict(repo.origins))), batch=batch)
    assert reads == []
    assert order and ("t1", "a1") in order[0][1]  # the dispatcher, once woken, finds the origin
    assert repo.records[("t1", "a1")]["provider"] == "lever"


def test_a_score_for_a_provider_that_does_not_write_back_is_not_stored_and_costs_no_origin_read(repo, batch):
    handle_application(application(provider="generic"), repo=repo, batch=batch)
    batch.flush()
    repo.origin = lambda *a: pytest.fail("read the origin this process wrote")  # type: ignore[method-assign]
    handle_score(score(), repo=repo, wake=lambda: pytest.fail("woken"), batch=batch)
    assert repo.records == {}


def test_a_score_whose_origin_another_process_wrote_reads_it(repo, batch):
    repo.record_origin("t1", "a1", provider="lever", candidate_id="c1", refs={})
    repo.save_config(WritebackConfig(tenant="t1", provider="lever", enabled=True))
    handle_score(score(), repo=repo, wake=lambda: None, batch=batch)
    assert repo.records[("t1", "a1")]["provider"] == "lever"


def test_without_a_batch_an_origin_is_written_at_once_and_wakes_a_record_waiting_for_it(repo):
    repo.records[("t1", "a1")] = {"_id": ("t1", "a1"), "tenant": "t1", "application_id": "a1",
                                  "outcome": "awaiting_origin", "due_at": None}
    handle_application(application(), repo=repo, clock=lambda: NOW)
    assert repo.records[("t1", "a1")]["due_at"] == NOW and repo.records[("t1", "a1")]["provider"] == "lever"


def test_a_later_note_keeps_the_earlier_candidate_when_it_has_none():
    first = OriginNote("t1", "a1", "lever", "c1", {"a": "1"})
    assert first.then(OriginNote("t1", "a1", "lever", None, {"b": "2"})) == \
        OriginNote("t1", "a1", "lever", "c1", {"a": "1", "b": "2"})
