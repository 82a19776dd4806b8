"""Matching handlers: idempotent storage, verdicts before applications, stale writes, and score events."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.events import SCORES_COMPUTED, derive_id, new_event
from shared.kafka import PublishError

from services.matching import service
from services.matching.handlers import (Rescores, handle_application_ready, handle_credential_unavailable,
                                         handle_credential_verified)
from tests.unit.matching_fakes import FakeMatchingRepository, RecordingPublisher

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)


class Clock:
    """Ticks a second per call, so each computation has its own time."""

    def __init__(self):
        self.now = T0

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def world():
    repo, publish, clock = FakeMatchingRepository(), RecordingPublisher(), Clock()
    repo.clock = clock  # credentials count as listed on the scoring clock
    rescores = Rescores(repo=repo, publish=publish, clock=clock)

    class World:
        def application(self, app_id="a1", *, job_id="job-1", credential_ids=("c1",), tenant="t1"):
            event = new_event("application.ready", tenant=tenant, payload={
                "provider": "generic", "delivery_id": f"d-{app_id}", "application": {"id": app_id, "job_id": job_id},
                "candidate": {"id": "cand-1", "name": "Ada Lovelace", "emails": ["ada@example.test"]},
                "credential_ids": list(credential_ids)})
            handle_application_ready(event, repo=repo, rescores=rescores)
            rescores.flush()  # each event its own batch, as at low load
            return event

        def verdict(self, credential_id, name, *, verdict="verified", app_id="a1", tenant="t1"):
            event = new_event("credential.verified", tenant=tenant, payload={
                "credential_id": credential_id, "application_id": app_id, "candidate_id": "cand-1",
                "report": {"verdict": verdict, "format": "ob3-vc-jwt", "checks": [], "checked_at": T0.isoformat(),
                           "achievement": {"id": f"urn:ach:{name}", "name": name, "type": "Course"},
                           "issuer": {"id": "did:web:example.edu", "name": "Example University"}}})
            handle_credential_verified(event, repo=repo, rescores=rescores)
            rescores.flush()
            return event

        def role(self, role_id="job-1", *requirements, job_ids=(), tenant="t1"):
            reqs = [{"id": f"r{i}", "competency": c, "importance": imp, "weight": w}
                    for i, (c, imp, w) in enumerate(requirements)]
            return repo.put_role(tenant, role_id, title="Backend engineer", requirements=reqs, job_ids=list(job_ids))[0]

        def view(self, app_id="a1", tenant="t1"):
            return service.score_view(tenant, app_id, repo=repo)

    w = World()
    w.repo, w.publish, w.clock = repo, publish, clock
    return w


def test_an_application_with_verified_credentials_is_scored_against_its_role(world):
    world.role("job-1", ("Python", "essential", 3), ("SQL", "preferred", 1))
    world.verdict("c1", "Python")
    world.application()
    view = world.view()
    assert (view["status"], view["score"], view["role_id"]) == ("scored", 75, "job-1")
    assert [r["status"] for r in view["requirements"]] == ["met", "missing"]
    assert [(c["credential_id"], c["verdict"]) for c in view["credentials"]] == [("c1", "verified")]


def test_a_verdict_arriving_before_its_application_is_kept_and_counted_once_the_application_arrives(world):
    world.role("job-1", ("Python", "essential", 1))
    world.verdict("c1", "Python")
    assert world.view()["status"] == "awaiting_application"
    assert world.view()["credentials"][0]["verdict"] == "verified"
    assert world.publish.events == []  # nothing to score yet

    world.application()
    assert (world.view()["status"], world.view()["score"]) == ("scored", 100)


def test_a_verdict_arriving_after_its_application_rescores_it(world):
    world.role("job-1", ("Python", "essential", 1), ("SQL", "preferred", 1))
    world.application(credential_ids=("c1", "c2"))
    assert (world.view()["status"], world.view()["score"]) == ("pending", None)
    world.verdict("c2", "SQL")
    assert (world.view()["status"], world.view()["reason"]) == ("pending", "1 credential being verified; 1 of 2 "
                                                                           "requirements met so far by verified credentials")
    world.verdict("c1", "python")
    assert (world.view()["status"], world.view()["score"]) == ("scored", 100)
    assert [e.payload["score"] for e in world.publish.events] == [100]  # nothing provisional was announced


def test_an_application_whose_role_does_not_exist_yet_is_unscored_not_zero(world):
    world.verdict("c1", "Python")
    world.application()
    view = world.view()
    assert (view["status"], view["score"], view["reason"]) == ("unscored", None, "role has no requirements")


def test_a_role_covering_extra_job_ids_scores_their_applications(world):
    world.role("backend", ("Python", "essential", 1), job_ids=["job-7"])
    world.verdict("c1", "Python")
    world.application(job_id="job-7")
    view = world.view()
    assert (view["role_id"], view["score"]) == ("backend", 100)


def test_a_redelivered_application_event_leaves_one_score_and_publishes_once(world):
    world.role("job-1", ("Python", "essential", 1))
    world.verdict("c1", "Python")
    world.application()
    world.application()  # the same message again after a crash
    assert len(world.repo.scores_of("t1", "a1")) == 1
    assert [e.payload["score"] for e in world.publish.events] == [100]


def test_a_redelivered_verdict_does_not_publish_a_second_score_event(world):
    world.role("job-1", ("Python", "essential", 1))
    world.application()
    world.verdict("c1", "Python")
    world.verdict("c1", "Python")
    assert [e.payload["score"] for e in world.publish.events] == [100]


def test_a_score_event_carries_the_score_and_an_id_derived_from_the_application_revision(world):
    world.role("job-1", ("Python", "essential", 1))
    world.application(credential_ids=())
    event = world.publish.events[-1]
    revision = world.repo.get_application("t1", "a1")["revision"]
    assert event.topic == SCORES_COMPUTED and event.type == "score.computed"
    assert event.event_id == derive_id("score", "t1", "a1", str(revision))
    explanation = {"reason": event.payload["reason"], "requirements": event.payload["requirements"]}
    assert {k: v for k, v in event.payload.items() if k not in explanation} == {
        "application_id": "a1", "role_id": "job-1", "status": "scored", "score": 0,
        "score_version": service.scoring.SCORE_VERSION, "computed_at": world.clock.now.isoformat()}
    # The explanation travels too, so the ATS write-back can show it without reading matching's collections.
    assert explanation["reason"] and [(r["id"], r["competency"], r["status"]) for r in explanation["requirements"]] \
        == [("r0", "Python", "missing")]


def test_a_score_event_lost_to_a_broker_outage_is_published_when_the_message_is_redelivered(world):
    world.role("job-1", ("Python", "essential", 1))
    world.verdict("c1", "Python")
    world.publish.failures.append(PublishError("KafkaTimeoutError"))
    with pytest.raises(PublishError):  # the consumer loop retries this message
        world.application()
    assert world.publish.events == []
    world.application()
    assert [e.payload["score"] for e in world.publish.events] == [100]


def test_an_older_computation_cannot_replace_a_newer_score(world):
    world.role("job-1", ("Python", "essential", 1))
    world.application()
    stale = world.repo.get_application("t1", "a1")  # a worker read revision 1 ...
    world.verdict("c1", "Python")                  # ... another stored revision 2 meanwhile
    published = len(world.publish.events)
    assert service.rescore_application("t1", stale, repo=world.repo, publish=world.publish, clock=world.clock) is None
    assert world.view()["score"] == 100
    assert len(world.publish.events) == published


def test_moving_an_application_to_another_job_leaves_only_the_new_roles_score(world):
    world.role("job-1", ("Python", "essential", 1))
    world.role("job-2", ("Go", "essential", 1))
    world.application(job_id="job-1")
    world.application(job_id="job-2")
    assert [s["role_id"] for s in world.repo.scores_of("t1", "a1")] == ["job-2"]
    assert world.view()["role_id"] == "job-2"


def test_evidence_and_applications_are_kept_apart_per_tenant(world):
    world.role("job-1", ("Python", "essential", 1), tenant="t1")
    world.role("job-1", ("Python", "essential", 1), tenant="t2")
    world.verdict("c1", "Python", tenant="t1")
    world.application(tenant="t1")
    world.application(tenant="t2")
    assert world.view(tenant="t1")["score"] == 100
    assert (world.view(tenant="t2")["status"], world.view(tenant="t2")["score"]) == ("pending", None)


def test_another_tenants_application_is_not_found(world):
    world.application(tenant="t1")
    with pytest.raises(service.NotFound):
        world.view(tenant="t2")


def test_no_candidate_name_or_email_is_stored(world):
    world.application()
    world.verdict("c1", "Python")
    stored = repr([world.repo.applications, world.repo.evidence, world.repo.scores])
    assert "Ada" not in stored and "ada@example.test" not in stored


def unavailable(world, provenance="candidate.links[0]", *, app_id="a1"):
    handle_credential_unavailable(new_event("credential.unavailable", tenant="t1", payload={
        "application_id": app_id, "candidate_id": "cand-1", "provenance": provenance,
        "reason": "could not be retrieved after retrying: timeout"}), repo=world.repo)


def test_a_credential_that_could_not_be_retrieved_is_shown_to_the_recruiter_and_changes_nothing_scored(world):
    world.role("job-1", ("Python", "essential", 1))
    world.application(credential_ids=("c1",))
    world.verdict("c1", "Python")
    before = world.view()
    published = len(world.publish.events)
    unavailable(world)
    after = world.view()
    assert after["unretrieved"] == [{"provenance": "candidate.links[0]", "status": "could not be retrieved",
                                     "reason": "could not be retrieved after retrying: timeout"}]
    assert after["score"] == before["score"] == 100
    assert after["requirements"] == before["requirements"]
    assert len(world.publish.events) == published


def test_an_unavailable_credential_arriving_before_its_application_is_kept(world):
    world.role("job-1", ("Python", "essential", 1))
    unavailable(world, "ats.api")
    world.application(credential_ids=())
    assert [u["provenance"] for u in world.view()["unretrieved"]] == ["ats.api"]
    assert world.view()["score"] == 0


def test_a_redelivered_unavailable_event_is_listed_once(world):
    world.application(credential_ids=())
    unavailable(world)
    unavailable(world)
    assert len(world.view()["unretrieved"]) == 1


# --- one score per application per poll batch ---------------------------------------------------
def _ready(app_id, credential_ids=("c1",)):
    return new_event("application.ready", tenant="t1", payload={
        "provider": "generic", "delivery_id": f"d-{app_id}", "application": {"id": app_id, "job_id": "job-1"},
        "candidate": {"id": "cand-1", "name": "Ada", "emails": []}, "credential_ids": list(credential_ids)})


def _verified(credential_id, app_id, name="Python"):
    return new_event("credential.verified", tenant="t1", payload={
        "credential_id": credential_id, "application_id": app_id, "candidate_id": "cand-1",
        "report": {"verdict": "verified", "format": "ob3-vc-jwt", "checks": [], "checked_at": T0.isoformat(),
                   "achievement": {"id": "urn:ach:1", "name": name, "type": "Course"},
                   "issuer": {"id": "did:web:example.edu", "name": "Example University"}}})


def test_an_applications_events_in_one_batch_are_scored_once_from_all_of_them(world):
    world.role("job-1", ("Python", "essential", 1))
    rescores = Rescores(repo=world.repo, publish=world.publish, clock=world.clock)
    handle_credential_verified(_verified("c1", "a1"), repo=world.repo, rescores=rescores)
    handle_application_ready(_ready("a1"), repo=world.repo, rescores=rescores)
    handle_application_ready(_ready("a2", ()), repo=world.repo, rescores=rescores)
    assert world.publish.events == []  # nothing is scored before the batch ends
    assert rescores.flush() == 2
    assert sorted((e.payload["application_id"], e.payload["score"]) for e in world.publish.events) == [
        ("a1", 100), ("a2", 0)]
    assert rescores.flush() == 0


def test_a_batch_bumps_an_applications_revision_once_however_many_of_its_verdicts_it_holds(world, monkeypatch):
    world.role("job-1", ("Python", "essential", 1), ("SQL", "essential", 1))
    world.application("a1", credential_ids=("c1", "c2"))
    world.application("a2", credential_ids=("c3",))
    held = []
    write_inputs = world.repo.write_inputs
    monkeypatch.setattr(world.repo, "write_inputs", lambda writes: (held.append(list(writes)), write_inputs(writes)))
    rescores = Rescores(repo=world.repo, publish=world.publish, clock=world.clock)
    revision = world.repo.get_application("t1", "a1")["revision"]
    for event in (_verified("c1", "a1"), _verified("c2", "a1", "SQL"), _verified("c3", "a2")):
        handle_credential_verified(event, repo=world.repo, rescores=rescores)
    handle_application_ready(_ready("a3"), repo=world.repo, rescores=rescores)
    handle_credential_verified(_verified("c4", "a3"), repo=world.repo, rescores=rescores)
    assert rescores.flush() == 3
    touched = [(w.method, w.args[1]) for w in held[0] if w.method != "record_evidence"]
    assert touched == [("touch_application", "a1"), ("touch_application", "a2"), ("record_application", "a3")]
    assert world.repo.get_application("t1", "a1")["revision"] == revision + 1
    assert world.view("a1")["score"] == 100  # both verdicts count
    # The next batch bumps again.
    handle_credential_verified(_verified("c1", "a1"), repo=world.repo, rescores=rescores)
    rescores.flush()
    assert world.repo.get_application("t1", "a1")["revision"] == revision + 2


def test_an_outage_while_scoring_propagates_so_the_batch_is_read_again(world):
    world.role("job-1", ("Python", "essential", 1))
    rescores = Rescores(repo=world.repo, publish=world.publish, clock=world.clock)
    handle_application_ready(_ready("a1", ()), repo=world.repo, rescores=rescores)
    world.publish.failures.append(PublishError("KafkaTimeoutError"))
    with pytest.raises(PublishError):
        rescores.flush()
    handle_application_ready(_ready("a1", ()), repo=world.repo, rescores=rescores)  # the batch, read again
    rescores.flush()
    assert [e.payload["application_id"] for e in world.publish.events] == ["a1"]


def test_one_applications_scoring_bug_is_counted_and_the_others_are_still_scored(world, monkeypatch):
    from prometheus_client import REGISTRY
    world.role("job-1", ("Python", "essential", 1))
    rescores = Rescores(repo=world.repo, publish=world.publish, clock=world.clock)
    for app_id in ("a1", "a2"):
        handle_application_ready(_ready(app_id, ()), repo=world.repo, rescores=rescores)
    real = service.rescore_application

    def broken_for_a1(tenant, application, **kw):
        if application["application_id"] == "a1":
            raise KeyError("a bug")
        return real(tenant, application, **kw)

    monkeypatch.setattr("services.matching.handlers.rescore_application", broken_for_a1)
    before = REGISTRY.get_sample_value("credbridge_matching_score_failures_total") or 0.0
    rescores.flush()
    assert [e.payload["application_id"] for e in world.publish.events] == ["a2"]
    assert REGISTRY.get_sample_value("credbridge_matching_score_failures_total") == before + 1
