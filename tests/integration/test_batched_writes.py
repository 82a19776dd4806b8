"""The batch writes on a real MongoDB-protocol server: one bulk write per poll batch, the first write still wins,
and the round trips are counted by credbridge_mongo_operations_total."""
from __future__ import annotations

from collections import Counter

import pytest
from prometheus_client import REGISTRY

from services.verification.repository import Verdict, VerdictRepository

pytestmark = pytest.mark.integration

COMMANDS = ("find", "insert", "update", "delete", "findAndModify", "aggregate", "getMore")


def operations() -> Counter:
    return Counter({c: REGISTRY.get_sample_value("credbridge_mongo_operations_total", {"command": c}) or 0.0
                    for c in COMMANDS})


def verdict(credential_id: str, verdict: str = "verified", *, tenant: str = "t1", event: str = "e1") -> Verdict:
    return Verdict(tenant=tenant, credential_id=credential_id, application_id="a1", candidate_id="p",
                   source_event_id=event, report={"verdict": verdict, "format": "vc-jwt", "checks": []})


def test_a_batch_of_new_verdicts_is_one_insert_and_nothing_is_read_back(db):
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    before = operations()
    stored = repo.save_many([verdict(f"c{i}") for i in range(20)])
    assert operations() - before == Counter({"insert": 1})
    assert all("_id" not in s for s in stored)
    assert stored == [repo.get("t1", f"c{i}") for i in range(20)]  # as written is as read back


def test_in_one_insert_the_first_verdict_wins_over_a_stored_one_and_a_duplicate_in_the_batch(db):
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    repo.save_many([verdict("old", "verified", event="e0")])
    before = operations()
    stored = repo.save_many([verdict("new", "verified", event="e1"), verdict("old", "failed", event="e2"),
                             verdict("new", "failed", event="e3"), verdict("other", "failed", tenant="t2")])
    assert [(s["tenant"], s["credential_id"], s["report"]["verdict"], s["source_event_id"]) for s in stored] == [
        ("t1", "new", "verified", "e1"), ("t1", "old", "verified", "e0"), ("t1", "new", "verified", "e1"),
        ("t2", "other", "failed", "e1")]
    # One insert for the batch, and one read of the verdicts that were already there (one tenant's).
    assert operations() - before == Counter({"insert": 1, "find": 1})
    assert db["verdicts"].count_documents({}) == 3
