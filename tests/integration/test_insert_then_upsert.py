"""The matching worker's batch inputs, written mostly as inserts, end exactly as the same writes as upserts would
(on a real MongoDB-protocol server): new keys, keys already stored, one key written twice in a batch, and a touch
that arrives before the application's record."""
from __future__ import annotations

import pytest
from pymongo import ASCENDING, UpdateOne

from services.matching import repository as r
from shared import mongo

pytestmark = pytest.mark.integration


def batch() -> list[tuple[str, tuple[dict, dict]]]:
    return [
        ("applications", r._application_touch("t1", "early", candidate_id="p1")),  # its verdict came first
        ("applications", r._application_record("t1", "early", job_id="j1", candidate_id="p1",
                                               credential_ids=["c1", "c2"])),
        ("applications", r._application_record("t1", "new", job_id="j1", candidate_id="p2", credential_ids=["c3"])),
        ("applications", r._application_record("t1", "new", job_id="j2", candidate_id="p2", credential_ids=["c4"])),
        ("applications", r._application_touch("t1", "stored", candidate_id="p3")),
        ("applications", r._application_record("t1", "stored", job_id="j1", candidate_id="p3", credential_ids=["c5"])),
        ("evidence", r._evidence_record("t1", "c1", application_id="early", candidate_id="p1", report={"v": 1})),
        ("evidence", r._evidence_record("t1", "c1", application_id="early", candidate_id="p1", report={"v": 2})),
        ("evidence", r._evidence_record("t1", "c5", application_id="stored", candidate_id="p3", report={"v": 3})),
    ]


def contents(db, name: str) -> list[dict]:
    return sorted(db[name].find({}, {"_id": False}), key=lambda d: sorted((k, str(v)) for k, v in d.items()))


def test_inserting_first_ends_as_the_upserts_would(db):
    other = db.client[f"{db.name}_upserts"]
    try:
        # Already stored before the batch: one application and one credential's evidence.
        stored_application = r._application_record("t1", "stored", job_id="j0", candidate_id="p3", credential_ids=["c5"])
        stored_evidence = r._evidence_record("t1", "c5", application_id="stored", candidate_id="p3", report={"v": 0})
        for target in (db, other):
            target["applications"].create_index([("tenant", ASCENDING), ("application_id", ASCENDING)], unique=True)
            target["evidence"].create_index([("tenant", ASCENDING), ("credential_id", ASCENDING)], unique=True)
            target["applications"].update_one(*stored_application, upsert=True)
            target["evidence"].update_one(*stored_evidence, upsert=True)
        writes = batch()
        for name in ("applications", "evidence"):
            # As write_inputs marks them: a touch is not likely new, a record is.
            mine = [(key, update, "credential_ids" not in update.get("$setOnInsert", {}))
                    for n, (key, update) in writes if n == name]
            r._insert_then_upsert(db[name], mine)
            r._bulk_upsert(other[name], [UpdateOne(key, update, upsert=True) for n, (key, update) in writes if n == name])
            assert contents(db, name) == contents(other, name)
        early = db["applications"].find_one({"application_id": "early"})
        assert (early["job_id"], early["revision"], sorted(early["credentials_seen"])) == ("j1", 2, ["c1", "c2"])
        assert db["evidence"].find_one({"credential_id": "c1"})["report"] == {"v": 2}
    finally:
        db.client.drop_database(other.name)


def test_the_document_an_upsert_creates_is_the_one_inserted(db):
    for key, update in (upsert for _, upsert in batch()):
        db["created"].delete_many({})
        db["created"].update_one(key, update, upsert=True)
        assert db["created"].find_one({}, {"_id": False}) == mongo.upserted_document(key, update)


def test_an_operator_without_a_new_document_rule_is_refused():
    with pytest.raises(ValueError, match=r"\$push"):
        mongo.upserted_document({"k": 1}, {"$push": {"xs": 1}})
