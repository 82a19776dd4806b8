"""Rescores with a batch store: a first score another writer stores meanwhile is scored again, never lost or
announced twice; the batch's inputs and first scores go to the repository in one call each."""
from __future__ import annotations

from services.matching.handlers import Rescores, handle_application_ready, handle_credential_verified
from tests.unit.matching_fakes import FakeMatchingRepository, RecordingPublisher
from tests.unit.test_matching_handlers import _ready, _verified


class Racing(FakeMatchingRepository):
    """Another writer (the rescorer, a second replica) stores a1's first score right after the batch read its scores."""

    def __init__(self):
        super().__init__()
        self.calls: list[str] = []

    def scores_for(self, tenant, application_ids):
        found = super().scores_for(tenant, application_ids)
        self.save_score({"tenant": tenant, "application_id": "a1", "role_id": "job-1", "input_revision": 1,
                         "status": "scored", "score": 0, "rank_score": 0, "computed_at": None, "fingerprint": "old",
                         "pending_publish": True})
        return found

    def write_inputs(self, writes):
        self.calls.append("write_inputs")
        super().write_inputs(writes)

    def insert_scores(self, docs):
        self.calls.append(f"insert_scores:{len(docs)}")
        return super().insert_scores(docs)


def role(repo):
    repo.put_role("t1", "job-1", title="Engineer", job_ids=[], requirements=[
        {"id": "py", "competency": "Python", "importance": "essential", "weight": 1}])


def test_a_first_score_stored_by_another_writer_meanwhile_is_scored_again_and_announced_once():
    repo, publish = Racing(), RecordingPublisher()
    role(repo)
    rescores = Rescores(repo=repo, publish=publish)
    handle_credential_verified(_verified("c1", "a1"), repo=repo, rescores=rescores)
    handle_application_ready(_ready("a1"), repo=repo, rescores=rescores)
    handle_application_ready(_ready("a2", ()), repo=repo, rescores=rescores)
    assert rescores.flush() == 2
    assert repo.calls == ["write_inputs", "insert_scores:2"]
    assert sorted((e.payload["application_id"], e.payload["score"]) for e in publish.events) == [("a1", 100),
                                                                                                  ("a2", 0)]
    [a1] = repo.scores_of("t1", "a1")
    assert (a1["score"], a1["input_revision"], a1["pending_publish"]) == (100, 2, False)
    assert [h["score"] for h in a1["history"]] == [0]  # the other writer's score, replaced by the newer one
