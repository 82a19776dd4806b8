"""shared.mongo.insert_new: the first write of a unique key wins; what else a server refuses is told apart."""
from __future__ import annotations

import pytest
from pymongo.errors import BulkWriteError, OperationFailure

from services.verification.repository import Verdict, VerdictRepository
from shared import mongo


class Collection:
    """insert_many as pymongo does it: `_id` added to the documents given, a BulkWriteError naming each refused."""

    def __init__(self, errors=()):
        self.errors, self.inserted = list(errors), []

    def insert_many(self, docs, ordered):
        assert ordered is False
        for d in docs:
            d.setdefault("_id", len(self.inserted))
        refused = {e["index"] for e in self.errors}
        self.inserted += [d for i, d in enumerate(docs) if i not in refused]
        if self.errors:
            raise BulkWriteError({"writeErrors": self.errors, "nInserted": len(docs) - len(refused)})


def test_duplicates_and_other_refusals_are_told_apart_and_the_callers_documents_are_left_alone():
    docs = [{"k": 1}, {"k": 2}, {"k": 3}]
    collection = Collection([{"index": 1, "code": mongo.DUPLICATE_KEY, "errmsg": "E11000"},
                             {"index": 2, "code": 121, "errmsg": "Document failed validation"}])
    insertion = mongo.insert_new(collection, docs)
    assert insertion.duplicates == {1}
    assert list(insertion.refused) == [2] and insertion.refused[2].code == 121
    assert docs == [{"k": 1}, {"k": 2}, {"k": 3}]
    assert [d["k"] for d in collection.inserted] == [1]


def test_nothing_refused_and_nothing_to_insert():
    assert mongo.insert_new(Collection(), [{"k": 1}]) == mongo.Insertion(frozenset(), {})
    assert mongo.insert_new(Collection(), []) == mongo.Insertion(frozenset(), {})


def test_a_verdict_the_server_refuses_for_another_reason_than_its_key_fails_the_batch():
    repo = VerdictRepository({"verdicts": Collection([{"index": 0, "code": 2, "errmsg": "bad value"}])})
    verdict = Verdict(tenant="t1", credential_id="c1", application_id="a1", candidate_id="p", source_event_id="e1",
                      report={"verdict": "verified", "format": "vc-jwt", "checks": []})
    with pytest.raises(OperationFailure, match="bad value"):
        repo.save_many([verdict])
