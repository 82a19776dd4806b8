"""Re-scoring a role's applications after the role changes: batches, progress, deletes, and the thread."""
from __future__ import annotations

import pytest

from shared.kafka import PublishError

from services.matching import service
from services.matching.rescorer import Rescorer, rescore_role
from tests.unit.matching_fakes import FakeMatchingRepository, RecordingPublisher

PYTHON = {"id": "r1", "competency": "Python", "importance": "essential", "weight": 1}
GO = {"id": "r2", "competency": "Go", "importance": "essential", "weight": 1}


@pytest.fixture
def repo():
    return FakeMatchingRepository()


@pytest.fixture
def publish():
    return RecordingPublisher()


def seed(repo, publish, *, tenant="t1", job_id="job-1", apps=("a1", "a2", "a3")):
    """Applications each holding a verified Python credential, scored before their role existed."""
    for app_id in apps:
        repo.record_evidence(tenant, f"{app_id}-c", application_id=app_id, candidate_id="p",
                             report={"verdict": "verified", "achievement": {"name": "Python"}, "issuer": None})
        application = repo.record_application(tenant, app_id, job_id=job_id, candidate_id="p",
                                              credential_ids=[f"{app_id}-c"])
        service.rescore_application(tenant, application, repo=repo, publish=publish)


def put(repo, role_id="job-1", requirements=(PYTHON,), tenant="t1", job_ids=()):
    return repo.put_role(tenant, role_id, title="Engineer", requirements=list(requirements), job_ids=list(job_ids))[0]


def run_to_completion(repo, publish, tenant="t1", role_id="job-1", batch_size=100):
    passes = 0
    while not rescore_role(tenant, role_id, repo=repo, publish=publish, batch_size=batch_size).complete:
        passes += 1
    return passes


def test_changing_a_role_rescores_its_applications_in_batches_and_reports_progress(repo, publish):
    seed(repo, publish)
    assert service.score_view("t1", "a1", repo=repo)["status"] == "unscored"
    put(repo)
    assert service.get_role("t1", "job-1", repo=repo)["rescoring"] == {"pending": 3, "done": 0}

    rescore_role("t1", "job-1", repo=repo, publish=publish, batch_size=2)
    assert service.get_role("t1", "job-1", repo=repo)["rescoring"] == {"pending": 1, "done": 2}
    assert [service.score_view("t1", a, repo=repo)["score"] for a in ("a1", "a2", "a3")] == [100, 100, None]

    assert run_to_completion(repo, publish, batch_size=2) == 1
    assert service.get_role("t1", "job-1", repo=repo)["rescoring"] == {"pending": 0, "done": 3}
    assert [service.score_view("t1", a, repo=repo)["score"] for a in ("a1", "a2", "a3")] == [100, 100, 100]
    assert repo.roles_to_rescore() == []


def test_a_role_change_rescores_against_the_new_requirements(repo, publish):
    seed(repo, publish, apps=("a1",))
    put(repo)
    run_to_completion(repo, publish)
    put(repo, requirements=(PYTHON, GO))
    run_to_completion(repo, publish)
    view = service.score_view("t1", "a1", repo=repo)
    assert view["score"] == 40 and [r["competency"] for r in view["requirements"]] == ["Python", "Go"]
    assert [e.payload["score"] for e in publish.events] == [None, 100, 40]


def test_an_application_already_scored_at_the_current_role_revision_is_left_alone(repo, publish):
    put(repo)
    seed(repo, publish, apps=("a1",))  # the handler scored it against revision 1 already
    revision = repo.get_application("t1", "a1")["revision"]
    run_to_completion(repo, publish)
    assert repo.get_application("t1", "a1")["revision"] == revision
    assert len(publish.events) == 1


def test_deleting_a_role_makes_its_applications_unscored(repo, publish):
    put(repo)
    seed(repo, publish, apps=("a1",))
    repo.delete_role("t1", "job-1")
    run_to_completion(repo, publish)
    view = service.score_view("t1", "a1", repo=repo)
    assert (view["status"], view["score"], view["reason"]) == ("unscored", None, "role has no requirements")


def test_dropping_an_extra_job_id_rescores_that_jobs_applications_without_the_role(repo, publish):
    put(repo, role_id="backend", job_ids=["job-7"])
    seed(repo, publish, job_id="job-7", apps=("a1",))
    assert service.score_view("t1", "a1", repo=repo)["score"] == 100
    put(repo, role_id="backend", job_ids=[])
    run_to_completion(repo, publish, role_id="backend")
    assert service.score_view("t1", "a1", repo=repo)["status"] == "unscored"


def test_a_role_changed_mid_rescoring_starts_over_for_the_new_revision(repo, publish):
    seed(repo, publish)
    put(repo)
    rescore_role("t1", "job-1", repo=repo, publish=publish, batch_size=2)
    put(repo, requirements=(PYTHON, GO))
    assert service.get_role("t1", "job-1", repo=repo)["rescoring"] == {"pending": 3, "done": 0}
    run_to_completion(repo, publish, batch_size=2)
    assert [service.score_view("t1", a, repo=repo)["score"] for a in ("a1", "a2", "a3")] == [40, 40, 40]


def test_rescoring_one_tenants_role_leaves_another_tenants_applications_alone(repo, publish):
    seed(repo, publish, tenant="t1", apps=("a1",))
    seed(repo, publish, tenant="t2", apps=("a1",))
    put(repo, tenant="t1")
    run_to_completion(repo, publish, tenant="t1")
    assert service.score_view("t1", "a1", repo=repo)["score"] == 100
    assert service.score_view("t2", "a1", repo=repo)["status"] == "unscored"


def test_a_failing_role_does_not_stop_the_rescorer_working_on_the_others(repo, publish):
    seed(repo, publish, tenant="t1", apps=("a1",))
    seed(repo, publish, tenant="t2", apps=("a1",))
    put(repo, tenant="t1")
    put(repo, tenant="t2")
    publish.failures.append(PublishError("KafkaTimeoutError"))  # the first role's publish fails
    rescorer = Rescorer(repo=repo, publish=publish)
    for _ in range(3):
        rescorer.tick()
    assert repo.roles_to_rescore() == []
    assert {service.score_view(t, "a1", repo=repo)["score"] for t in ("t1", "t2")} == {100}
    # The score stored before the failed publish is announced on the retry, not skipped as done.
    assert sorted((e.tenant, e.payload["score"]) for e in publish.events if e.payload["score"] is not None) == [
        ("t1", 100), ("t2", 100)]


def run_thread_until_done(rescorer, repo):
    """Starts the thread, waits up to 5 s for every plan to finish, stops it; whether it ended at the stop."""
    rescorer.start()
    try:
        for _ in range(500):
            if not repo.roles_to_rescore():
                break
            rescorer.join(0.01)
    finally:
        rescorer.stop()
        rescorer.join(2)
    return not rescorer.is_alive()


def test_the_rescorer_thread_works_in_the_background_and_stops_when_asked(repo, publish):
    seed(repo, publish, apps=("a1",))
    put(repo)
    assert run_thread_until_done(Rescorer(repo=repo, publish=publish, interval_s=0.01), repo)
    assert service.score_view("t1", "a1", repo=repo)["score"] == 100


def test_a_pass_reports_whether_work_is_left_and_a_failing_role_counts_as_none(repo, publish):
    seed(repo, publish)
    put(repo)
    rescorer = Rescorer(repo=repo, publish=publish, batch_size=2)
    assert [rescorer.tick() for _ in range(3)] == [1, 1, 0]  # two batches, then the pass that finishes the plan
    put(repo, requirements=(GO,))
    publish.failures.append(PublishError("KafkaTimeoutError"))
    assert rescorer.tick() == 0  # retried after a whole interval, not at once
    assert repo.roles_to_rescore() == [("t1", "job-1")]


def test_while_a_rescoring_is_unfinished_the_thread_goes_on_without_waiting_an_interval(repo, publish):
    apps = tuple(f"a{i}" for i in range(9))
    seed(repo, publish, apps=apps)
    put(repo)
    # Five batches and the pass that finishes: 150 s if each pass waited the interval.
    rescorer = Rescorer(repo=repo, publish=publish, interval_s=30, batch_size=2)
    assert run_thread_until_done(rescorer, repo)  # a stop ends even the interval's wait at once
    assert repo.roles_to_rescore() == []
    assert {service.score_view("t1", a, repo=repo)["score"] for a in apps} == {100}


def test_a_pass_that_left_work_rests_only_while_the_consumer_loop_beside_it_is_busy(repo, publish):
    busy = [True]
    rescorer = Rescorer(repo=repo, publish=publish, interval_s=30, rest_ratio=1.0, busy=lambda: busy[0])
    assert rescorer.pause(left=1, took_s=0.2) == 0.2  # as long as the pass took: the loop keeps half
    assert rescorer.pause(left=1, took_s=90) == 30  # never more than an interval
    assert rescorer.pause(left=0, took_s=0.2) == 30  # nothing left: look again after an interval
    busy[0] = False
    assert rescorer.pause(left=1, took_s=0.2) == 0.0  # the loop waits for records: no need to leave it anything
    assert rescorer.pause(left=0, took_s=0.2) == 30


def test_beside_an_idle_consumer_loop_the_thread_rescores_without_resting(repo, publish):
    apps = tuple(f"a{i}" for i in range(9))
    seed(repo, publish, apps=apps)
    put(repo)
    # A rest of a million times each pass would be the whole 30 s interval after every batch of two.
    rescorer = Rescorer(repo=repo, publish=publish, interval_s=30, batch_size=2, rest_ratio=1e6, busy=lambda: False)
    assert run_thread_until_done(rescorer, repo)
    assert repo.roles_to_rescore() == []
