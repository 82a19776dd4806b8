"""The matching worker's poll batch on the real servers: inputs in one bulk write per collection, each application
scored once from all of its events, duplicates harmless, and a poisoned record dead-lettered alone."""
from __future__ import annotations

import uuid

import pytest

from services.matching.handlers import Rescores, handle_application_ready, handle_credential_verified
from services.matching.repository import MatchingRepository
from shared import events
from shared.consumer import ConsumerLoop
from shared.kafka import Publisher
from tests.integration.test_batched_writes import operations
from tests.support.kafka_probe import TopicReader

pytestmark = pytest.mark.integration


class Outbox:
    def __init__(self):
        self.calls: list[list[events.Event]] = []

    def publish(self, batch):
        self.calls.append(list(batch))


def ready(tenant: str, app_id: str, *, delivery: str = "d1") -> events.Event:
    return events.new_event("application.ready", tenant=tenant, payload={
        "provider": "generic", "delivery_id": f"{delivery}-{app_id}", "application": {"id": app_id, "job_id": "job-1"},
        "candidate": {"id": "cand", "emails": []}, "credential_ids": [f"cred-{app_id}"]})


def verified(tenant: str, app_id: str) -> events.Event:
    return events.new_event("credential.verified", tenant=tenant, payload={
        "credential_id": f"cred-{app_id}", "application_id": app_id, "candidate_id": "cand",
        "report": {"verdict": "verified", "format": "vc-jwt", "checks": [], "checked_at": "2026-11-25T00:00:00+00:00",
                   "achievement": {"name": "Python Programming"}, "issuer": {"id": "did:web:academy.example"}}})


def with_role(db, tenant: str) -> MatchingRepository:
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    repo.put_role(tenant, "job-1", title="Engineer", job_ids=[], requirements=[
        {"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}])
    return repo


def test_a_batch_of_applications_costs_a_few_round_trips_each_and_scores_each_once_from_all_its_events(db):
    tenant, outbox = "t1", Outbox()
    repo = with_role(db, tenant)
    rescores = Rescores(repo=repo, publish=outbox.publish)
    apps = [f"a{i:02d}" for i in range(20)]
    for app_id in apps:
        handle_credential_verified(verified(tenant, app_id), repo=repo, rescores=rescores)
        handle_application_ready(ready(tenant, app_id), repo=repo, rescores=rescores)
    handle_application_ready(ready(tenant, "a00"), repo=repo, rescores=rescores)  # a redelivery in the same batch
    before = operations()
    assert rescores.flush() == 20
    spent = operations() - before
    # Per application one score write; for the batch: two bulk writes of inputs, and one read each of the
    # applications, their evidence, their scores, the role, the credibility list and the synonyms; one bulk mark.
    assert spent["update"] + spent["insert"] <= 20 + 3
    assert spent["find"] <= 6
    assert sum(spent.values()) <= 20 + 10
    [published] = outbox.calls  # the batch's scores in one publish call
    assert sorted(e.payload["application_id"] for e in published) == apps
    assert {e.payload["score"] for e in published} == {100}
    stored = repo.get_application(tenant, "a00")
    assert stored["revision"] == 3 and stored["job_id"] == "job-1"  # verdict, ready, ready again: all applied
    assert all(repo.latest_score(tenant, a, settled=True)["pending_publish"] is False for a in apps)


def test_a_second_batch_with_the_same_events_stores_newer_revisions_and_announces_nothing_new(db):
    tenant, outbox = "t1", Outbox()
    repo = with_role(db, tenant)
    revisions = []
    for _ in range(2):
        rescores = Rescores(repo=repo, publish=outbox.publish)
        handle_application_ready(ready(tenant, "a1"), repo=repo, rescores=rescores)
        handle_credential_verified(verified(tenant, "a1"), repo=repo, rescores=rescores)
        rescores.flush()
        revisions.append(repo.latest_score(tenant, "a1")["input_revision"])
    assert [len(c) for c in outbox.calls] == [1]  # the same score again is not announced again
    assert revisions == [1, 2]  # each batch bumps the application once, however many of its events it holds


def test_a_poisoned_record_in_the_middle_of_a_batch_is_dead_lettered_alone_and_the_others_are_scored(
        settings, servers, db):
    tenant, group = f"t-{uuid.uuid4().hex[:8]}", f"matching-{uuid.uuid4().hex[:8]}"
    repo = with_role(db, tenant)
    publisher = Publisher(settings)
    dlq = events.dlq_topic(events.APPLICATIONS_READY)
    reader = TopicReader(servers.kafka.bootstrap, dlq, events.SCORES_COMPUTED)
    key = f"{tenant}:a1".encode()  # one key: one partition, so the three records come in one batch, in order
    publisher.publish([ready(tenant, "a1")])
    publisher.publish_raw(events.APPLICATIONS_READY, key=key, value=b'{"type": "application.ready"}', headers=[])
    publisher.publish([ready(tenant, "a1", delivery="d2"), verified(tenant, "a1")])
    rescores = Rescores(repo=repo, publish=publisher.publish)
    loop = ConsumerLoop(settings=settings, group_id=group, publisher=publisher, batch_end=rescores.flush, handlers={
        events.APPLICATIONS_READY: lambda e: handle_application_ready(e, repo=repo, rescores=rescores)
        if e.tenant == tenant else None,
        events.CREDENTIALS_VERIFIED: lambda e: handle_credential_verified(e, repo=repo, rescores=rescores)
        if e.tenant == tenant else None})
    loop.run(install_signals=False, idle_exit_after_s=3)
    reader.read(until=lambda s: any(events.decode(r.value).tenant == tenant for r in s[events.SCORES_COMPUTED]))
    assert [r.value for r in reader.seen[dlq] if r.key == key] == [b'{"type": "application.ready"}']
    # Both application events applied (a verdict in the same batch as them adds no bump of its own) ...
    assert repo.get_application(tenant, "a1")["revision"] in (2, 3)
    assert repo.latest_score(tenant, "a1")["score"] == 100  # ... and so did the verdict
    reader.close()
    publisher.close()


class Racing(MatchingRepository):
    """Another writer (the rescorer, a second replica) stores a newer score of a1 right after the batch read its scores."""

    def scores_for(self, tenant, application_ids):
        found = super().scores_for(tenant, application_ids)
        stored = next(s for s in found if s["application_id"] == "a1")
        newer = {k: v for k, v in stored.items() if k not in ("_id", "ranked_at")}
        self.save_score({**newer, "input_revision": 10, "score": 42})
        return found


def test_a_score_another_writer_changed_after_the_batch_read_it_is_left_to_the_newer_writer(db):
    tenant, outbox = "t1", Outbox()
    with_role(db, tenant)
    repo = Racing(db)
    first = Rescores(repo=MatchingRepository(db), publish=outbox.publish)
    for app_id in ("a1", "a2"):
        handle_application_ready(ready(tenant, app_id), repo=repo, rescores=first)
    first.flush()  # pending scores of a1 and a2 (their verdicts are still to come)
    outbox.calls.clear()
    rescores = Rescores(repo=repo, publish=outbox.publish)
    for app_id in ("a1", "a2"):
        handle_credential_verified(verified(tenant, app_id), repo=repo, rescores=rescores)
    before = operations()
    assert rescores.flush() == 2
    # The new evidence is one insert, the applications' touches one bulk upsert; the other writer's swap and the
    # batch's one bulk swap; a2's mark is the batch's one announcement insert; a1's retry finds the newer score and
    # writes nothing.
    spent = operations() - before
    assert (spent["update"], spent["insert"]) == (3, 2)
    assert [[e.payload["application_id"] for e in call] for call in outbox.calls] == [["a2"]]
    assert (repo.latest_score(tenant, "a1")["input_revision"], repo.latest_score(tenant, "a1")["score"]) == (10, 42)
    assert repo.latest_score(tenant, "a2")["score"] == 100


def test_a_score_that_announces_nothing_is_written_already_marked_and_costs_no_second_update(db):
    tenant, outbox = "t1", Outbox()
    repo = with_role(db, tenant)
    rescores = Rescores(repo=repo, publish=outbox.publish)
    apps = [f"p{i}" for i in range(10)]
    for app_id in apps:  # verdicts outstanding: each score is pending, which is never announced
        handle_application_ready(ready(tenant, app_id), repo=repo, rescores=rescores)
    before = operations()
    rescores.flush()
    spent = operations() - before
    assert outbox.calls == []
    assert (spent["insert"], spent["update"]) == (2, 0)  # the applications' insert and the scores': no mark
    for app_id in apps:
        score = repo.latest_score(tenant, app_id, settled=True)
        assert score["status"] == "pending" and score["pending_publish"] is False
    # The verdicts make them final: swapped in, announced, and only then marked, so a crash before the mark
    # leaves them to be announced again.
    for app_id in apps:
        handle_credential_verified(verified(tenant, app_id), repo=repo, rescores=rescores)
    before = operations()
    rescores.flush()
    spent = operations() - before
    [published] = outbox.calls
    # The new evidence (one insert), the bumps (one bulk) and the swap; after the publish, one insert marks all ten
    # (the batch's announcement) instead of an update of each score.
    assert len(published) == 10 and (spent["update"], spent["insert"]) == (2, 2)
    for app_id in apps:
        score = repo.latest_score(tenant, app_id, settled=True)
        assert score["status"] == "scored" and score["pending_publish"] is False
        assert score["published_fingerprint"] == score["fingerprint"]


class BrokerDown(Exception):
    pass


def test_a_crash_between_the_publish_and_the_announcement_record_leaves_the_scores_to_be_announced_again(db):
    tenant = "t1"
    repo = with_role(db, tenant)
    rescores = Rescores(repo=repo, publish=Outbox().publish)
    for app_id in ("a1", "a2"):
        handle_application_ready(ready(tenant, app_id), repo=repo, rescores=rescores)
    rescores.flush()

    def down(batch):
        raise BrokerDown

    failing = Rescores(repo=repo, publish=down)
    for app_id in ("a1", "a2"):
        handle_credential_verified(verified(tenant, app_id), repo=repo, rescores=failing)
    with pytest.raises(BrokerDown):
        failing.flush()
    # Stored final, under a token nobody recorded: read as not yet announced, and nothing recorded it.
    for app_id in ("a1", "a2"):
        score = repo.latest_score(tenant, app_id, settled=True)
        assert score["status"] == "scored" and score["pending_publish"] is True
        assert score.get("published_fingerprint") is None
    assert db.score_announcements.count_documents({}) == 0
    # The batch redelivered: announced now, and marked by the one announcement record.
    outbox = Outbox()
    again = Rescores(repo=repo, publish=outbox.publish)
    for app_id in ("a1", "a2"):
        handle_credential_verified(verified(tenant, app_id), repo=repo, rescores=again)
    again.flush()
    assert sorted(e.payload["application_id"] for call in outbox.calls for e in call) == ["a1", "a2"]
    assert db.score_announcements.count_documents({}) == 1
    for app_id in ("a1", "a2"):
        score = repo.latest_score(tenant, app_id, settled=True)
        assert score["pending_publish"] is False and score["published_fingerprint"] == score["fingerprint"]
    # Once settled, an unchanged recomputation announces nothing, is written marked, and forgets the token.
    quiet = Outbox()
    last = Rescores(repo=repo, publish=quiet.publish)
    handle_credential_verified(verified(tenant, "a1"), repo=repo, rescores=last)
    last.flush()
    assert quiet.calls == []
    raw = db.scores.find_one({"tenant": tenant, "application_id": "a1"})
    assert raw["announcement"] is None and raw["pending_publish"] is False
    assert raw["published_fingerprint"] == raw["fingerprint"]
