"""An application whose verdicts are still coming is pending, never a provisional score; the deadline ends the wait."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shared.events import new_event

from services.matching import deadlines, service
from services.matching.handlers import Rescores, handle_application_ready, handle_credential_verified
from services.matching.rescorer import Rescorer, rescore_overdue
from services.matching.scoring import (MET, NO_VERIFIED_CREDENTIALS, PENDING, SCORED, Credential,
                                       Requirement, score_application)
from tests.unit.matching_fakes import FakeMatchingRepository, RecordingPublisher

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
DEADLINE_S = 600.0


def req(competency: str, *, importance: str = "preferred", weight: float = 1) -> Requirement:
    return Requirement(id=competency.lower(), competency=competency, importance=importance, weight=weight)


def verified(achievement: str, id_: str) -> Credential:
    return Credential(credential_id=id_, verdict="verified", achievement=achievement, issuer_name="Uni")


def awaited(id_: str, *, due: datetime | None = None) -> Credential:
    return Credential(credential_id=id_, awaited_until=due)


# --- the assessment -------------------------------------------------------------------------------
def test_an_application_whose_credentials_all_await_their_verdict_is_pending_not_zero():
    result = score_application(requirements=[req("Python", importance="essential"), req("SQL")],
                               credentials=[awaited("c1"), awaited("c2")], computed_at=NOW)
    assert (result.status, result.score) == (PENDING, None)
    assert result.reason == "2 credentials being verified"
    assert result.reason != NO_VERIFIED_CREDENTIALS
    assert [r.status for r in result.requirements] == [PENDING, PENDING]
    assert result.requirements[0].reason == "No verified credential shows 'Python'; pending: 2 credentials being verified"


def test_a_requirement_already_met_stays_met_while_the_others_wait_for_the_outstanding_verdict():
    result = score_application(requirements=[req("Python"), req("SQL"), req("Go")],
                               credentials=[verified("Python", "c1"), awaited("c2")], computed_at=NOW)
    assert (result.status, result.score) == (PENDING, None)
    assert [r.status for r in result.requirements] == [MET, PENDING, PENDING]
    assert result.reason == "1 credential being verified; 1 of 3 requirements met so far by verified credentials"


def test_a_partly_met_requirement_is_pending_while_a_verdict_could_still_meet_it_fully():
    python = Requirement(id="py", competency="Python", importance="preferred", weight=1, min_level="Advanced")
    result = score_application(requirements=[python], credentials=[verified("Python", "c1"), awaited("c2")],
                               computed_at=NOW)
    [assessed] = result.requirements
    assert (assessed.status, assessed.credit) == (PENDING, 0.5)
    assert assessed.reason.startswith("Partly met by 'Python'")


def test_a_pending_result_names_the_first_deadline_the_sweep_must_act_on():
    early, late = NOW + timedelta(minutes=1), NOW + timedelta(minutes=5)
    result = score_application(requirements=[req("Python")], credentials=[awaited("c1", due=late),
                                                                          awaited("c2", due=early)], computed_at=NOW)
    assert result.pending_until == early
    scored = score_application(requirements=[req("Python")], credentials=[verified("Python", "c1")], computed_at=NOW)
    assert scored.pending_until is None


def test_once_every_verdict_is_in_the_application_is_scored_as_before():
    result = score_application(requirements=[req("Python"), req("SQL")],
                               credentials=[verified("Python", "c1"), Credential("c2", verdict="failed")],
                               computed_at=NOW)
    assert (result.status, result.score, [r.status for r in result.requirements]) == (SCORED, 50, [MET, "missing"])


# --- the deadline ---------------------------------------------------------------------------------
def test_a_credential_listed_longer_than_the_deadline_without_a_verdict_is_unavailable_and_says_why():
    since = NOW - timedelta(seconds=DEADLINE_S)
    gone = deadlines.awaited("c2", since=since, now=NOW, deadline_s=DEADLINE_S)
    assert gone.standing == "unavailable"
    assert gone.reason.startswith("no verification verdict within 10 minutes of its submission")
    still = deadlines.awaited("c2", since=since + timedelta(seconds=1), now=NOW, deadline_s=DEADLINE_S)
    assert (still.standing, still.awaited_until) == ("unverified", NOW + timedelta(seconds=1))


def test_past_the_deadline_the_application_is_scored_on_what_it_has_and_names_the_unavailable_credential():
    application = {"application_id": "a1", "credential_ids": ["c1", "c2"],
                   "credentials_seen": {"c1": NOW - timedelta(hours=1), "c2": NOW - timedelta(hours=1)}}
    evidence = [{"credential_id": "c1", "report": {"verdict": "verified", "achievement": {"name": "Python"}}}]
    held = service.credentials_of(application, evidence, now=NOW, deadline_s=DEADLINE_S)
    result = score_application(requirements=[req("Python"), req("SQL")], credentials=held, computed_at=NOW)
    assert (result.status, result.score) == (SCORED, 50)
    assert result.reason == "1 of 2 requirements met by verified credentials; 1 credential unavailable (no verdict in time)"
    assert [(c["credential_id"], c["status"]) for c in result.to_dict()["credentials"]] == [
        ("c1", "verified"), ("c2", "unavailable")]
    assert "reason" in result.to_dict()["credentials"][1] and "reason" not in result.to_dict()["credentials"][0]


def test_the_deadline_reads_in_the_largest_whole_unit():
    assert [deadlines.duration(s) for s in (900, 3600, 7200, 90, 1)] == [
        "15 minutes", "1 hour", "2 hours", "90 seconds", "1 second"]


# --- through the handlers, the sweep and the announcements ----------------------------------------------
class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class World:
    def __init__(self):
        self.repo, self.publish, self.clock = FakeMatchingRepository(), RecordingPublisher(), Clock()
        self.repo.clock = self.clock
        self.rescores = Rescores(repo=self.repo, publish=self.publish, clock=self.clock, verify_deadline_s=DEADLINE_S)
        self.repo.put_role("t1", "job-1", title="Engineer", job_ids=[], requirements=[
            {"id": "py", "competency": "Python", "importance": "essential", "weight": 1},
            {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1}])

    def ready(self, *credential_ids: str) -> None:
        handle_application_ready(new_event("application.ready", tenant="t1", payload={
            "provider": "generic", "delivery_id": "d-1", "application": {"id": "a1", "job_id": "job-1"},
            "candidate": {"id": "cand-1", "name": "Ada", "emails": []}, "credential_ids": list(credential_ids)}),
            repo=self.repo, rescores=self.rescores)
        self.rescores.flush()

    def verdict(self, credential_id: str, name: str) -> None:
        handle_credential_verified(new_event("credential.verified", tenant="t1", payload={
            "credential_id": credential_id, "application_id": "a1", "candidate_id": "cand-1",
            "report": {"verdict": "verified", "format": "vc-jwt", "checks": [], "checked_at": NOW.isoformat(),
                       "achievement": {"name": name}, "issuer": {"id": "did:key:z6Mk", "name": "Uni"}}}),
            repo=self.repo, rescores=self.rescores)
        self.rescores.flush()

    def view(self) -> dict:
        return service.score_view("t1", "a1", repo=self.repo)

    def announced(self) -> list:
        return [(e.payload["status"], e.payload["score"]) for e in self.publish.events]


def test_an_application_ready_with_credentials_but_no_verdict_yet_is_pending_and_not_announced():
    world = World()
    world.ready("c1", "c2")  # ingest says two credentials are coming; no credential event has arrived
    view = world.view()
    assert (view["status"], view["score"], view["reason"]) == ("pending", None, "2 credentials being verified")
    assert [r["status"] for r in view["requirements"]] == ["pending", "pending"]
    assert [c["status"] for c in view["credentials"]] == ["unverified", "unverified"]
    assert world.announced() == []


def test_the_score_is_announced_once_the_last_verdict_is_in():
    world = World()
    world.ready("c1", "c2")
    world.verdict("c1", "Python")
    assert (world.view()["status"], world.announced()) == ("pending", [])
    world.verdict("c2", "SQL")
    assert (world.view()["status"], world.view()["score"]) == ("scored", 100)
    assert world.announced() == [("scored", 100)]


def test_the_sweep_scores_an_application_whose_verdict_never_comes_once_its_deadline_passes():
    world = World()
    world.ready("c1", "c2")
    world.verdict("c1", "Python")
    world.clock.now = NOW + timedelta(seconds=DEADLINE_S - 1)
    assert rescore_overdue(repo=world.repo, publish=world.publish, clock=world.clock,
                           verify_deadline_s=DEADLINE_S) == 0
    assert world.view()["status"] == "pending"

    world.clock.now = NOW + timedelta(seconds=DEADLINE_S)
    Rescorer(repo=world.repo, publish=world.publish, clock=world.clock, verify_deadline_s=DEADLINE_S).tick()
    view = world.view()
    assert (view["status"], view["score"]) == ("scored", 50)
    assert [(c["credential_id"], c["status"]) for c in view["credentials"]] == [("c1", "verified"), ("c2", "unavailable")]
    assert world.announced() == [("scored", 50)]
    assert rescore_overdue(repo=world.repo, publish=world.publish, clock=world.clock,
                           verify_deadline_s=DEADLINE_S) == 0  # nothing left waiting


def test_a_verdict_arriving_after_the_deadline_still_counts():
    world = World()
    world.ready("c1", "c2")
    world.verdict("c1", "Python")
    world.clock.now = NOW + timedelta(seconds=DEADLINE_S)
    rescore_overdue(repo=world.repo, publish=world.publish, clock=world.clock, verify_deadline_s=DEADLINE_S)
    world.verdict("c2", "SQL")
    assert (world.view()["status"], world.view()["score"]) == ("scored", 100)
    assert world.announced() == [("scored", 50), ("scored", 100)]


def test_a_redelivered_application_event_does_not_restart_a_credentials_deadline():
    world = World()
    world.ready("c1", "c2")
    world.clock.now = NOW + timedelta(seconds=DEADLINE_S - 10)
    world.ready("c1", "c2")  # the same message again, later
    world.clock.now = NOW + timedelta(seconds=DEADLINE_S)
    rescore_overdue(repo=world.repo, publish=world.publish, clock=world.clock, verify_deadline_s=DEADLINE_S)
    assert world.view()["status"] == "scored"


def test_a_score_that_goes_pending_again_is_not_announced_until_it_is_final():
    world = World()
    world.ready("c1")
    world.verdict("c1", "Python")
    world.ready("c1", "c3")  # the ATS re-sent the application with one more credential
    assert world.view()["status"] == "pending"
    world.verdict("c3", "SQL")
    assert world.announced() == [("scored", 50), ("scored", 100)]
