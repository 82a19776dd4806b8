"""The `verdicts` collection: one stored report per (tenant, credential_id), and when it is due a re-check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.mongo import due_by

_NO_ID = {"_id": False}


class VerdictRepository:
    def __init__(self, db: Database):
        self.verdicts = db["verdicts"]

    def ensure_indexes(self) -> None:
        # The natural key: a redelivered credentials.submitted event finds the verdict already there.
        self.verdicts.create_index([("tenant", ASCENDING), ("credential_id", ASCENDING)], unique=True,
                                   name="tenant_credential_unique")
        self.verdicts.create_index([("recheck_at", ASCENDING)], name="recheck_at")
        self.verdicts.create_index([("unpublished", ASCENDING)], name="unpublished", sparse=True)

    def save(self, *, tenant: str, credential_id: str, application_id: str, candidate_id: str,
             source_event_id: str, report: dict, recheck_basis: dict | None = None) -> dict:
        """Upserts the verdict and returns the one stored.

        The first write wins ($setOnInsert): if two deliveries race, both publish the stored report, so
        one derived event id never carries two different payloads. `recheck_basis` (status entries,
        validity end; no personal data) is what the scheduled re-check looks at again.
        """
        key = {"tenant": tenant, "credential_id": credential_id}
        fields = {"application_id": application_id, "candidate_id": candidate_id,
                  "source_event_id": source_event_id, "report": report, "stored_at": _now(), "revision": 0,
                  "recheck_basis": recheck_basis, "recheck_at": _moment(report)}
        # An upsert on the natural key, then a read of what is stored: findAndModify costs O(collection) on
        # secantusdb (bench/repro/secantusdb_find_and_modify.py), these two stay flat.
        try:
            self.verdicts.update_one(key, {"$setOnInsert": fields}, upsert=True)
        except DuplicateKeyError:
            pass  # two concurrent upserts on one unique key: the loser reads what the winner stored
        stored = self.get(tenant, credential_id)
        if stored is None:  # verdicts are never deleted: an upsert not read back is the server's fault
            raise RuntimeError("an upserted verdict could not be read back")
        return stored

    def get(self, tenant: str, credential_id: str) -> dict | None:
        return self.verdicts.find_one({"tenant": tenant, "credential_id": credential_id}, projection=_NO_ID)

    # --- re-verification ---------------------------------------------------------------------
    def claim_due(self, now: datetime, *, limit: int, lease: timedelta) -> list[dict]:
        """Up to `limit` verdicts whose re-check is due, each pushed `lease` ahead so no other worker takes it."""
        # The due ones first, then each claimed by a conditional update on its _id and the moment read: a
        # worker that claimed it meanwhile moved recheck_at, so this update matches nothing (not
        # findAndModify, O(collection) on secantusdb: bench/repro/secantusdb_find_and_modify.py).
        due = self.verdicts.find({"recheck_at": due_by(now)}).sort("recheck_at", ASCENDING).limit(limit)
        claimed = []
        for doc in list(due):
            taken = self.verdicts.update_one({"_id": doc["_id"], "recheck_at": doc["recheck_at"]},
                                             {"$set": {"recheck_at": now + lease}})
            if taken.modified_count == 1:
                doc.pop("_id")
                claimed.append(doc)
        return claimed

    def replace_report(self, doc: dict, report: dict) -> dict | None:
        """Stores a changed report as the next revision, marked unpublished; None if another writer got there first."""
        key = {"tenant": doc["tenant"], "credential_id": doc["credential_id"], "revision": doc.get("revision", 0)}
        # A compare-and-swap on the revision whose matched count says whether it applied (not findAndModify).
        swapped = self.verdicts.update_one(
            key, {"$set": {"report": report, "revision": doc.get("revision", 0) + 1, "recheck_at": _moment(report),
                           "rechecked_at": _now(), "unpublished": True}})
        return self.get(doc["tenant"], doc["credential_id"]) if swapped.modified_count == 1 else None

    def reschedule(self, doc: dict, report: dict) -> None:
        """An unchanged verdict: keep the stored report, look again when the new one says."""
        self.verdicts.update_one({"tenant": doc["tenant"], "credential_id": doc["credential_id"]},
                                 {"$set": {"recheck_at": _moment(report), "rechecked_at": _now()}})

    def unpublished(self, *, limit: int) -> list[dict]:
        """Re-checked verdicts whose event did not reach the broker yet (published before they are marked)."""
        return list(self.verdicts.find({"unpublished": True}, projection=_NO_ID).limit(limit))

    def mark_published(self, doc: dict) -> None:
        self.verdicts.update_one({"tenant": doc["tenant"], "credential_id": doc["credential_id"],
                                  "revision": doc["revision"]}, {"$unset": {"unpublished": ""}})


def _moment(report: dict) -> datetime | None:
    raw = report.get("recheck_at")
    return datetime.fromisoformat(raw) if raw else None


def _now() -> datetime:
    return datetime.now(timezone.utc)
