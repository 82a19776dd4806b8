"""Re-scoring in batches on a real MongoDB server: the same scores, history and announcements as one application at
a time, compare-and-swap kept under concurrent writers, in a handful of round trips per batch."""
from __future__ import annotations

import pytest
from pymongo import MongoClient, monitoring

from services.matching import service
from services.matching.batch_scoring import rescore_applications
from services.matching.repository import MatchingRepository
from services.matching.rescorer import rescore_role

pytestmark = pytest.mark.integration

ROLE = [{"id": "py", "competency": "Python programming", "importance": "essential", "weight": 2},
        {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1}]
NAMES = ("Python (computer programming)", "SQL", "Agile")


class Commands(monitoring.CommandListener):
    def __init__(self):
        self.names: list[str] = []

    def started(self, event):
        self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


@pytest.fixture
def world(servers, settings):
    commands = Commands()
    client = MongoClient(servers.mongo.uri, tz_aware=True, event_listeners=[commands])
    repo = MatchingRepository(client[settings.mongo_db])
    repo.ensure_indexes()
    yield repo, commands
    client.drop_database(settings.mongo_db)
    client.close()


def seed(repo: MatchingRepository, count: int, *, job: str = "job-1") -> list[str]:
    ids = []
    for i in range(count):
        app_id = f"app-{i:03d}"
        creds = [f"{app_id}-c{k}" for k in range(i % 3 + 1)]
        for k, cid in enumerate(creds):
            repo.record_evidence("t1", cid, application_id=app_id, candidate_id=f"cand-{i}", report={
                "verdict": "verified", "format": "vc-jwt", "checks": [], "checked_at": "2026-11-25T00:00:00Z",
                "achievement": {"name": NAMES[(i + k) % 3]}, "issuer": {"id": "did:key:z", "name": "Academy"}})
        repo.record_application("t1", app_id, job_id=job, candidate_id=f"cand-{i}", credential_ids=creds)
        ids.append(app_id)
    return ids


def stored(repo: MatchingRepository) -> dict:
    keep = ("role_id", "status", "score", "rank_score", "rank_level", "input_revision", "fingerprint",
            "published_fingerprint", "pending_publish", "requirements")
    return {d["application_id"]: {k: d.get(k) for k in keep} | {"history": [h["score"] for h in d["history"]]}
            for d in repo.scores.find({"tenant": "t1"})}


def test_a_batch_stores_announces_and_marks_what_one_application_at_a_time_would(servers, settings, world):
    batch_repo, _ = world
    single_client = MongoClient(servers.mongo.uri, tz_aware=True)
    single_repo = MatchingRepository(single_client[settings.mongo_db + "_single"])
    single_repo.ensure_indexes()
    try:
        published: dict[str, list] = {"batch": [], "single": []}
        for name, repo in (("batch", batch_repo), ("single", single_repo)):
            ids = seed(repo, 12)
            for round_ in range(3):  # before the role exists (unscored), against it (moves), again (no change)
                if round_ == 1:
                    repo.put_role("t1", "job-1", title="Engineer", requirements=ROLE, job_ids=[])
                apps = [repo.bump_application("t1", a) for a in ids]
                if name == "batch":
                    rescore_applications("t1", apps, repo=repo, publish=published[name].extend)
                else:
                    for a in apps:
                        service.rescore_application("t1", a, repo=repo, publish=published[name].extend)
        assert stored(batch_repo) == stored(single_repo)
        announced = {name: [{k: v for k, v in e.payload.items() if k != "computed_at"} | {"id": e.event_id}
                            for e in events] for name, events in published.items()}
        assert announced["batch"] == announced["single"] and len(announced["batch"]) == 24
        assert {d["score"] for d in stored(batch_repo).values()} == {33, 67, 100}
        assert all(d["history"] == [None, d["score"]] for d in stored(batch_repo).values())
        assert all(d["pending_publish"] is False for d in stored(batch_repo).values())
    finally:
        single_client.drop_database(settings.mongo_db + "_single")
        single_client.close()


def test_a_score_written_meanwhile_at_a_newer_revision_is_never_overwritten_by_the_batch(world):
    repo, _ = world
    ids = seed(repo, 4)
    repo.put_role("t1", "job-1", title="Engineer", requirements=ROLE, job_ids=[])
    rescore_applications("t1", repo.bump_applications("t1", ids), repo=repo, publish=lambda events: None)
    older = repo.bump_applications("t1", ids)
    newer = repo.bump_application("t1", "app-001")
    original = repo._bulk

    def a_concurrent_worker_lands_first(writes):  # between the batch's read of the scores and its bulk write
        service.rescore_application("t1", newer, repo=repo, publish=lambda events: None)
        return original(writes)

    repo._bulk = a_concurrent_worker_lands_first  # type: ignore[method-assign]
    stored_docs = rescore_applications("t1", older, repo=repo, publish=lambda events: None)
    assert sorted(d["application_id"] for d in stored_docs) == ["app-000", "app-002", "app-003"]
    assert repo.latest_score("t1", "app-001")["input_revision"] == newer["revision"]


def test_a_first_score_written_meanwhile_makes_the_batch_compare_against_it(world):
    repo, _ = world
    ids = seed(repo, 3)
    repo.put_role("t1", "job-1", title="Engineer", requirements=ROLE, job_ids=[])
    older = repo.bump_applications("t1", ids)
    newer = repo.bump_application("t1", "app-002")
    original = repo._bulk

    def a_concurrent_first_write(writes):
        service.rescore_application("t1", newer, repo=repo, publish=lambda events: None)
        return original(writes)

    repo._bulk = a_concurrent_first_write  # type: ignore[method-assign]
    stored_docs = rescore_applications("t1", older, repo=repo, publish=lambda events: None)
    assert sorted(d["application_id"] for d in stored_docs) == ["app-000", "app-001"]
    assert repo.latest_score("t1", "app-002")["input_revision"] == newer["revision"]


def test_re_scoring_a_role_costs_a_handful_of_round_trips_per_batch_not_per_application(world):
    repo, commands = world
    seed(repo, 60)
    repo.put_role("t1", "job-1", title="Engineer", requirements=ROLE, job_ids=[])
    commands.names.clear()
    rescore_role("t1", "job-1", repo=repo, publish=lambda events: None, batch_size=60)
    assert len(stored(repo)) == 60
    # 15 measured for the 60: role, ids, done, bump and its read, role resolved, evidence (2), credibility,
    # synonyms, stored scores, one bulk of scores, the announcement that marks them, progress; against ~10 per
    # application before.
    assert len(commands.names) <= 16, commands.names
    # Updates: the bump and the progress; inserts: the 60 first scores in one bulk write, and one announcement
    # that marks all 60 published (an update of each score before).
    assert (commands.names.count("update"), commands.names.count("insert")) == (2, 2), commands.names


def test_scores_that_did_not_change_are_stored_marked_in_the_same_write_and_not_announced(world):
    repo, commands = world
    ids = seed(repo, 20)
    repo.put_role("t1", "job-1", title="Engineer", requirements=ROLE, job_ids=[])
    rescore_applications("t1", repo.bump_applications("t1", ids), repo=repo, publish=lambda events: None)
    announced: list = []
    commands.names.clear()
    rescore_applications("t1", repo.bump_applications("t1", ids), repo=repo, publish=announced.extend)
    assert announced == []
    assert commands.names.count("update") == 2  # the bump and the scores' bulk write: no marks after it
    assert all(d["pending_publish"] is False and d["published_fingerprint"] == d["fingerprint"]
               for d in stored(repo).values())


class ApplicationReads(monitoring.CommandListener):
    """The filters of the reads of `applications` (finds and counts)."""

    def __init__(self):
        self.filters: list[dict] = []

    def started(self, event):
        if event.command_name in ("find", "aggregate") and event.command.get(event.command_name) == "applications":
            self.filters.append(event.command.get("filter")
                                or next((s["$match"] for s in event.command.get("pipeline", []) if "$match" in s), {}))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def test_the_walk_goes_through_a_roles_jobs_in_id_order_reading_only_their_applications(servers, settings):
    reads = ApplicationReads()
    client = MongoClient(servers.mongo.uri, tz_aware=True, event_listeners=[reads])
    repo = MatchingRepository(client[settings.mongo_db])
    repo.ensure_indexes()
    try:
        # Two jobs of the role, interleaved in id order; another tenant's applications to the same job id, and this
        # tenant's to another job: 50 of the 290 applications are the role's.
        ours = {f"app-{i:03d}": "job-a" if i % 3 else "job-b" for i in range(50)}
        repo.applications.insert_many(
            [{"tenant": "t1", "application_id": a, "job_id": job} for a, job in ours.items()]
            + [{"tenant": "t2", "application_id": f"app-{i:03d}", "job_id": "job-a"} for i in range(200)]
            + [{"tenant": "t1", "application_id": f"app-{i:03d}", "job_id": "job-c"} for i in range(50, 90)])
        assert repo.count_applications_for_jobs("t1", ["job-b", "job-a"], after="app-010") == 39
        walked, cursor = [], ""
        while batch := repo.applications_for_jobs("t1", ["job-b", "job-a", "job-a"], after=cursor, limit=7):
            walked += batch
            cursor = batch[-1]
        assert walked == sorted(ours)
        # Each read is a range of one job's index entries: on secantusdb a $in on job_id beside the range read
        # every application of every tenant (bench/repro/secantusdb_in_beside_range_collscan.py).
        assert reads.filters and all(isinstance(f["job_id"], str) for f in reads.filters), reads.filters
        for f in reads.filters:
            stats = client[settings.mongo_db].command("explain", {"find": "applications", "filter": f},
                                                      verbosity="executionStats")["executionStats"]
            assert stats["totalDocsExamined"] <= sum(1 for job in ours.values() if job == f["job_id"]), (f, stats)
    finally:
        client.drop_database(settings.mongo_db)
        client.close()
