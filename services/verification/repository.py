"""The `verdicts` collection: one stored report per (tenant, credential_id), and when it is due a re-check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dataclasses import dataclass

from pymongo import ASCENDING
from pymongo.database import Database

from shared import mongo
from shared.mongo import due_by

_NO_ID = {"_id": False}


@dataclass(frozen=True)
class Verdict:
    """One verdict to store: what the first delivery of a credential found (no personal data)."""
    tenant: str
    credential_id: str
    application_id: str
    candidate_id: str
    source_event_id: str
    report: dict
    recheck_basis: dict | None = None

    def document(self, now: datetime) -> dict:
        """The document as stored and as read back (without _id)."""
        return {"tenant": self.tenant, "credential_id": self.credential_id, "application_id": self.application_id,
                "candidate_id": self.candidate_id, "source_event_id": self.source_event_id, "report": self.report,
                "stored_at": now, "revision": 0, "recheck_basis": self.recheck_basis,
                "recheck_at": _moment(self.report)}


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
        return self.save_many([Verdict(tenant=tenant, credential_id=credential_id, application_id=application_id,
                                       candidate_id=candidate_id, source_event_id=source_event_id, report=report,
                                       recheck_basis=recheck_basis)])[0]

    def save_many(self, verdicts: list["Verdict"]) -> list[dict]:
        """Stores a poll batch's verdicts in one insert; returns, in order, the verdict stored for each.

        An insert per verdict (the unique (tenant, credential_id) key refuses a second) and no read-back of what it
        inserted: the stored document is the one written. Only a verdict that was already there (a redelivery, a
        race with another worker, the same credential twice in the batch) is read, all in one query per tenant, and
        the first write wins. Not findAndModify: it costs O(collection) on secantusdb
        (bench/repro/secantusdb_find_and_modify.py); an insert and an $in stay flat.
        """
        if not verdicts:
            return []
        now = _now()
        docs = [v.document(now) for v in verdicts]
        insertion = mongo.insert_new(self.verdicts, docs)
        insertion.raise_refused()
        lost = {(d["tenant"], d["credential_id"]) for i, d in enumerate(docs) if i in insertion.duplicates}
        stored = self._get_many(lost)
        if len(stored) < len(lost):  # verdicts are never deleted: a refused duplicate not read back is the server's fault
            raise RuntimeError("a verdict the unique key refused as already stored could not be read back")
        return [stored[(d["tenant"], d["credential_id"])] if i in insertion.duplicates else d for i, d in enumerate(docs)]

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """The stored verdicts of these (tenant, credential_id) keys: one query per tenant."""
        return self._get_many(set(keys))

    def _get_many(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        by_tenant: dict[str, list[str]] = {}
        for tenant, credential_id in sorted(keys):
            by_tenant.setdefault(tenant, []).append(credential_id)
        found = {}
        for tenant, ids in by_tenant.items():
            for doc in self.verdicts.find({"tenant": tenant, "credential_id": {"$in": ids}}, projection=_NO_ID):
                found[(tenant, doc["credential_id"])] = doc
        return found

    def get(self, tenant: str, credential_id: str) -> dict | None:
        return self.verdicts.find_one({"tenant": tenant, "credential_id": credential_id}, projection=_NO_ID)

    def for_tenant(self, tenant: str, *, after: str = "", start: str | None = None, below: str | None = None,
                   limit: int) -> list[dict]:
        """The tenant's verdicts in credential-id order (the unique key's own order: a walk, not a scan): after
        `after` if given, else from `start` (inclusive) if given, and below `below` if given. A range bounded at
        both ends costs that range on any server (secantusdb reads a whole open range before applying the limit:
        bench/repro/secantusdb_sort_limit.py)."""
        bounds: dict = {"$gt": after} if after else {"$gte": start or ""}
        if below is not None:
            bounds["$lt"] = below
        found = self.verdicts.find({"tenant": tenant, "credential_id": bounds}, projection=_NO_ID)
        return list(found.sort("credential_id", ASCENDING).limit(limit))

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
    # BSON dates hold milliseconds: truncated here, a verdict as written equals the verdict as read back.
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
