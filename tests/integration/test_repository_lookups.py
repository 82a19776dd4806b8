"""Lookups by unique key on the real server: what a deleted, revoked or expired record answers.

These reads fetch by the unique key alone and judge the rest in code (see
bench/repro/secantusdb_extra_predicate_collscan.py for why), so their meaning is pinned here.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.ingest.repository import DeliveryRepository
from services.matching.repository import MatchingRepository
from shared.tenants import TenantRepository


def test_an_expired_delivery_counts_as_unseen_until_the_ttl_monitor_removes_it(db):
    deliveries = DeliveryRepository(db, ttl_s=3600)
    deliveries.ensure_indexes()
    deliveries.record(tenant="t1", provider="greenhouse", delivery_id="d1", application_id="a1", events=1)
    assert deliveries.seen(tenant="t1", provider="greenhouse", delivery_id="d1")
    assert not deliveries.seen(tenant="t2", provider="greenhouse", delivery_id="d1")  # another tenant's
    db.webhook_deliveries.update_one({"delivery_id": "d1"},
                                     {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    assert not deliveries.seen(tenant="t1", provider="greenhouse", delivery_id="d1")


def test_a_delivery_remembered_again_keeps_what_was_first_remembered(db):
    deliveries = DeliveryRepository(db, ttl_s=3600)
    deliveries.ensure_indexes()
    deliveries.record(tenant="t1", provider="lever", delivery_id="d1", application_id="a1", events=1)
    first = db.webhook_deliveries.find_one({"delivery_id": "d1"})
    deliveries.record(tenant="t1", provider="lever", delivery_id="d1", application_id="a2", events=3, ttl_s=60)
    deliveries.record(tenant="t1", provider="greenhouse", delivery_id="d1", application_id="a3", events=1)
    assert db.webhook_deliveries.count_documents({"delivery_id": "d1"}) == 2  # one per provider
    assert db.webhook_deliveries.find_one({"delivery_id": "d1", "provider": "lever"}) == first


def test_a_revoked_api_key_names_no_tenant(db, settings):
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    tenant, key = tenants.create_tenant("Acme")
    assert tenants.tenant_for_api_key(key) == tenant
    db.api_keys.update_many({"tenant": tenant}, {"$set": {"revoked": True}})
    assert tenants.tenant_for_api_key(key) is None
    assert tenants.tenant_for_api_key(key.rsplit(".", 1)[0] + ".wrong") is None


def test_a_deleted_role_is_neither_found_nor_resolved_and_a_job_resolves_to_the_first_live_role(db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    req = [{"id": "py", "competency": "Python", "importance": "essential", "weight": 1}]
    repo.put_role("t1", "role-a", title="A", requirements=req, job_ids=["job-9"])
    repo.put_role("t1", "role-b", title="B", requirements=req, job_ids=["job-9"])
    assert repo.resolve_role("t1", "job-9")["role_id"] == "role-a"
    assert repo.delete_role("t1", "role-a")
    assert repo.get_role("t1", "role-a") is None and repo.role_for_rescoring("t1", "role-a")["deleted"] is True
    assert repo.resolve_role("t1", "job-9")["role_id"] == "role-b"
    assert repo.resolve_role("t2", "job-9") is None  # another tenant's jobs are not ours
    assert not repo.delete_role("t1", "role-a")


def test_an_applications_evidence_is_what_was_verified_for_it_and_what_it_lists_never_another_tenants(db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    report = {"verdict": "verified"}
    repo.record_evidence("t1", "c-for-app", application_id="app-1", candidate_id="cand", report=report)
    repo.record_evidence("t1", "c-listed", application_id="app-0", candidate_id="cand", report=report)
    repo.record_evidence("t1", "c-other", application_id="app-2", candidate_id="cand", report=report)
    repo.record_evidence("t2", "c-listed-t2", application_id="app-1", candidate_id="cand", report=report)
    found = repo.evidence_for("t1", "app-1", credential_ids=["c-listed", "c-for-app", "c-listed", "c-absent"])
    assert sorted(e["credential_id"] for e in found) == ["c-for-app", "c-listed"]
    assert [e["credential_id"] for e in repo.evidence_for("t1", "app-1", credential_ids=[])] == ["c-for-app"]


def test_a_score_is_marked_announced_by_the_id_its_save_returned_and_never_a_newer_revision(db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    base = {"tenant": "t1", "application_id": "app-1", "role_id": "job-1", "job_id": "job-1", "status": "scored",
            "score": 50, "rank_score": 50, "computed_at": datetime.now(timezone.utc), "pending_publish": True}
    first = repo.save_score({**base, "input_revision": 1, "fingerprint": "f1"})
    assert first.applied and first.score_id is not None
    repo.mark_published(tenant="t1", application_id="app-1", role_id="job-1", input_revision=1, fingerprint="f1",
                        score_id=first.score_id)
    stored = db.scores.find_one({"_id": first.score_id})
    assert (stored["published_fingerprint"], stored["pending_publish"]) == ("f1", False)
    second = repo.save_score({**base, "input_revision": 2, "score": 80, "rank_score": 80, "fingerprint": "f2"})
    assert second.applied and second.score_id == first.score_id and second.previous["input_revision"] == 1
    # A late mark for revision 1 must not claim that revision 2 was announced.
    repo.mark_published(tenant="t1", application_id="app-1", role_id="job-1", input_revision=1, fingerprint="f1",
                        score_id=first.score_id)
    assert db.scores.find_one({"_id": first.score_id})["pending_publish"] is True
    repo.mark_published(tenant="t1", application_id="app-1", role_id="job-1", input_revision=2, fingerprint="f2")
    assert db.scores.find_one({"_id": first.score_id})["published_fingerprint"] == "f2"


def test_a_score_written_under_an_announcement_reads_as_announced_once_the_token_is_recorded_or_long_past(db):
    from bson import ObjectId

    from services.matching.repository import ANNOUNCEMENT_RETENTION_S
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    base = {"tenant": "t1", "role_id": "job-1", "job_id": "job-1", "status": "scored", "score": 50,
            "rank_score": 50, "computed_at": datetime.now(timezone.utc), "pending_publish": True, "input_revision": 1}
    long_ago = datetime.now(timezone.utc) - timedelta(seconds=ANNOUNCEMENT_RETENTION_S + 60)
    tokens = {"recorded": ObjectId(), "unrecorded": ObjectId(), "expired": ObjectId.from_datetime(long_ago)}
    for name, token in tokens.items():
        repo.save_score({**base, "application_id": name, "fingerprint": f"f-{name}", "announcement": token})
    repo.record_announcement(tokens["recorded"])
    read = {name: repo.latest_score("t1", name, settled=True) for name in tokens}
    assert {n: (s["pending_publish"], s.get("published_fingerprint")) for n, s in read.items()} == {
        "recorded": (False, "f-recorded"), "unrecorded": (True, None), "expired": (False, "f-expired")}
    # A newer score over the recorded one keeps what was announced, without the old token.
    repo.save_score({**base, "application_id": "recorded", "input_revision": 2, "score": 70, "fingerprint": "f2"})
    raw = db.scores.find_one({"application_id": "recorded"})
    assert (raw["announcement"], raw["published_fingerprint"], raw["pending_publish"]) == (None, "f-recorded", True)
    assert repo.scored_at_revision("t1", "job-1", application_ids=list(tokens), role_revision=0) == {"expired"}


def test_concurrent_delivery_lookups_and_records_share_round_trips_and_each_answers_for_its_own(db):
    import threading

    from tests.integration.test_batched_writes import operations
    deliveries = DeliveryRepository(db, ttl_s=3600)
    deliveries.ensure_indexes()
    deliveries.record(tenant="t1", provider="lever", delivery_id="old", application_id="a0", events=1)
    start, answers = threading.Barrier(24), {}

    def one(i: int) -> None:
        delivery_id = "old" if i == 0 else f"d{i % 20}"  # d1..d3 are recorded twice, concurrently
        start.wait()
        answers[i] = deliveries.seen(tenant="t1", provider="lever", delivery_id=delivery_id)
        deliveries.record(tenant="t1", provider="lever", delivery_id=delivery_id, application_id=f"a{i}", events=1)

    before = operations()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    spent = operations() - before
    assert answers[0] is True and not any(answers[i] for i in range(1, 24) if i % 20 > 3)
    assert {d["delivery_id"] for d in db.webhook_deliveries.find({})} == {"old", *(f"d{i}" for i in range(20))}
    assert db.webhook_deliveries.count_documents({}) == 21  # a repeat left the first record as it was
    # 24 lookups and 24 records in fewer round trips than one each (how few depends on the threads' timing).
    assert spent["find"] < 24 and spent["insert"] < 24, spent
    assert deliveries.seen(tenant="t1", provider="lever", delivery_id="d19")
    assert not deliveries.seen(tenant="t1", provider="greenhouse", delivery_id="d19")
