"""The matching service's MongoDB collections (roles, applications, evidence, scores) behind named methods."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.events import derive_id
from shared.mongo import due_by

HISTORY_LENGTH = 5  # previous scores kept on a score document, newest last
_NO_ID = {"_id": False}
# One score per (tenant, application, role).
_SCORE_KEY = [("tenant", ASCENDING), ("application_id", ASCENDING), ("role_id", ASCENDING)]


@dataclass(frozen=True)
class SaveOutcome:
    """Whether a score write applied, the document it replaced (None for the first score), and the stored
    score's _id when it applied."""
    applied: bool
    previous: dict | None = None
    score_id: object = None


def role_coverage(role_id: str, job_ids: Iterable[str]) -> list[str]:
    """The job ids a role scores: its own id (the ATS job id) and any extra ones it names."""
    return sorted({role_id, *job_ids})


class MatchingRepository:
    def __init__(self, db: Database):
        self.roles: Collection = db["roles"]
        self.applications: Collection = db["applications"]
        self.evidence: Collection = db["evidence"]
        self.scores: Collection = db["scores"]
        self.synonyms: Collection = db["synonyms"]
        self.credibility: Collection = db["credibility"]

    def ensure_indexes(self) -> None:
        self.roles.create_index([("tenant", ASCENDING), ("role_id", ASCENDING)], unique=True)
        self.roles.create_index([("tenant", ASCENDING), ("job_ids", ASCENDING)])
        self.roles.create_index([("rescoring.active", ASCENDING)])
        self.applications.create_index([("tenant", ASCENDING), ("application_id", ASCENDING)], unique=True)
        self.applications.create_index([("tenant", ASCENDING), ("job_id", ASCENDING), ("application_id", ASCENDING)])
        self.evidence.create_index([("tenant", ASCENDING), ("credential_id", ASCENDING)], unique=True)
        self.evidence.create_index([("tenant", ASCENDING), ("application_id", ASCENDING)])
        # Also serves GET score by (tenant, application_id) through its prefix.
        self.scores.create_index(_SCORE_KEY, unique=True)
        # The ranked-candidates query walks this index in order (queries.RecruiterQueries.ranked).
        self.scores.create_index([("tenant", ASCENDING), ("role_id", ASCENDING), ("rank_score", DESCENDING),
                                  ("application_id", ASCENDING)])
        self.scores.create_index([("tenant", ASCENDING), ("role_id", ASCENDING), ("ranked_at", ASCENDING)])
        # The deadline sweep (scores_past_deadline): pending scores by when an awaited verdict is due.
        self.scores.create_index([("pending_until", ASCENDING)])
        self.evidence.create_index([("tenant", ASCENDING), ("candidate_id", ASCENDING)])
        self.applications.create_index([("tenant", ASCENDING), ("candidate_id", ASCENDING)])
        self.synonyms.create_index([("tenant", ASCENDING)], unique=True)
        self.credibility.create_index([("tenant", ASCENDING)], unique=True)

    # --- roles -------------------------------------------------------------------------------
    def put_role(self, tenant: str, role_id: str, *, title: str, requirements: list[dict],
                 job_ids: list[str], description: str | None = None,
                 credibility: dict | None = None) -> tuple[dict, bool]:
        """Creates or replaces a role; returns it and whether it is new (or revived after a delete)."""
        fields = {"title": title, "requirements": requirements, "job_ids": sorted(set(job_ids)),
                  "description": description, "credibility": credibility, "deleted": False}
        return self._change_role(tenant, role_id, fields=fields, new_coverage=role_coverage(role_id, job_ids))

    def delete_role(self, tenant: str, role_id: str) -> bool:
        """Leaves a tombstone, so the revision keeps counting up and the role's applications get re-scored."""
        if self.get_role(tenant, role_id) is None:
            return False
        self._change_role(tenant, role_id, fields={"requirements": [], "job_ids": [], "deleted": True}, new_coverage=[])
        return True

    def _change_role(self, tenant: str, role_id: str, *, fields: dict, new_coverage: list[str]) -> tuple[dict, bool]:
        # Compare-and-swap on the revision: the rescoring plan must cover the jobs of the version
        # being replaced, so the read and the write cannot interleave with another PUT.
        doc: dict | None
        while True:
            current = self.roles.find_one({"tenant": tenant, "role_id": role_id})
            now = _now()
            if current is None:
                doc = {"tenant": tenant, "role_id": role_id, **fields, "revision": 1, "created_at": now,
                       "updated_at": now, "rescoring": _rescoring_plan(new_coverage)}
                try:
                    self.roles.insert_one(doc)
                except DuplicateKeyError:
                    continue  # another writer created it first; replace that version instead
                doc.pop("_id", None)
                return doc, True
            plan = _rescoring_plan(sorted(set(new_coverage) | set(_pending_coverage(current))))
            # A conditional update whose matched count says whether the swap applied (not findAndModify:
            # see _write_then_read).
            swapped = self.roles.update_one(
                {"_id": current["_id"], "revision": current["revision"]},
                {"$set": {**fields, "updated_at": now, "rescoring": plan}, "$inc": {"revision": 1}})
            if swapped.matched_count == 1:
                stored = self.roles.find_one({"_id": current["_id"]}, _NO_ID)
                if stored is not None:
                    return stored, bool(current.get("deleted"))

    def get_role(self, tenant: str, role_id: str) -> dict | None:
        # Deleted roles are filtered here: a predicate beyond the unique key makes secantusdb scan the
        # collection (bench/repro/secantusdb_extra_predicate_collscan.py).
        found = self.roles.find_one({"tenant": tenant, "role_id": role_id}, _NO_ID)
        return found if found is not None and not found.get("deleted") else None

    def role_for_rescoring(self, tenant: str, role_id: str) -> dict | None:
        """The role document even when deleted: its tombstone still drives the re-scoring of its applications."""
        return self.roles.find_one({"tenant": tenant, "role_id": role_id}, _NO_ID)

    def list_roles(self, tenant: str, *, after: str, limit: int) -> list[dict]:
        cursor = self.roles.find({"tenant": tenant, "deleted": False, "role_id": {"$gt": after}}, _NO_ID)
        return list(cursor.sort("role_id", ASCENDING).limit(limit))

    def resolve_role(self, tenant: str, job_id: str) -> dict | None:
        """The role scoring a job: the one whose id is the job id, else the first (by id) that lists it."""
        exact = self.get_role(tenant, job_id)
        if exact is not None:
            return exact
        found = self.roles.find({"tenant": tenant, "job_ids": job_id}, _NO_ID).sort("role_id", ASCENDING)
        return next((r for r in found if not r.get("deleted")), None)

    def roles_to_rescore(self, *, limit: int = 100) -> list[tuple[str, str]]:
        docs = self.roles.find({"rescoring.active": True}, {"_id": False, "tenant": True, "role_id": True})
        return [(d["tenant"], d["role_id"]) for d in docs.limit(limit)]

    def advance_rescoring(self, tenant: str, role_id: str, *, revision: int, cursor: str, new_cursor: str,
                          done: int) -> bool:
        """Moves the role's re-scoring cursor on, unless the role changed or another worker moved it first."""
        result = self.roles.update_one(
            {"tenant": tenant, "role_id": role_id, "revision": revision, "rescoring.cursor": cursor},
            {"$set": {"rescoring.cursor": new_cursor}, "$inc": {"rescoring.done": done}})
        return result.modified_count == 1

    def finish_rescoring(self, tenant: str, role_id: str, *, revision: int, cursor: str) -> bool:
        result = self.roles.update_one(
            {"tenant": tenant, "role_id": role_id, "revision": revision, "rescoring.cursor": cursor},
            {"$set": {"rescoring.active": False}})
        return result.modified_count == 1

    # --- applications ------------------------------------------------------------------------
    def record_application(self, tenant: str, application_id: str, *, job_id: str, candidate_id: str,
                           credential_ids: list[str]) -> dict:
        """Stores what the application event says and bumps its revision; returns the stored document.

        `credentials_seen` keeps when each credential was first listed ($min: a redelivery keeps the first
        moment), from which its verification deadline runs (deadlines.py).
        """
        now = _now()
        # Credential ids are derive_id hex, safe as field names.
        seen = {f"credentials_seen.{cid}": now for cid in dict.fromkeys(credential_ids)}
        return self._upsert_then_read(
            {"tenant": tenant, "application_id": application_id},
            {"$set": {"job_id": job_id, "candidate_id": candidate_id, "credential_ids": list(credential_ids),
                      "updated_at": now},
             "$inc": {"revision": 1}, "$setOnInsert": {"created_at": now}, **({"$min": seen} if seen else {})})

    def touch_application(self, tenant: str, application_id: str, *, candidate_id: str) -> dict:
        """Bumps the revision for a new verdict; creates a stub (no job yet) if the application is unknown."""
        now = _now()
        return self._upsert_then_read(
            {"tenant": tenant, "application_id": application_id},
            {"$set": {"updated_at": now}, "$inc": {"revision": 1},
             "$setOnInsert": {"job_id": None, "candidate_id": candidate_id, "credential_ids": [], "created_at": now}})

    def record_unretrieved(self, tenant: str, application_id: str, *, candidate_id: str, provenance: str,
                           reason: str) -> None:
        """Remembers a credential ingest could not retrieve, keyed by where it was found (idempotent).

        No revision bump: nothing verified changed, so the score stands; the recruiter's view shows it.
        """
        now = _now()
        key = derive_id("unretrieved", provenance)  # provenance may hold '.' or '$', not valid in a field name
        _upsert(lambda: self.applications.update_one(
            {"tenant": tenant, "application_id": application_id},
            {"$set": {f"unretrieved.{key}": {"provenance": provenance, "reason": reason}, "updated_at": now},
             "$setOnInsert": {"job_id": None, "candidate_id": candidate_id, "credential_ids": [], "revision": 0,
                              "created_at": now}},
            upsert=True))

    def bump_application(self, tenant: str, application_id: str) -> dict | None:
        """Bumps the revision of an existing application whose role changed; None if it is gone."""
        return self._write_then_read({"tenant": tenant, "application_id": application_id},
                                     {"$set": {"updated_at": _now()}, "$inc": {"revision": 1}}, upsert=False)

    def _upsert_then_read(self, key: dict, update: dict) -> dict:
        found = self._write_then_read(key, update, upsert=True)
        if found is None:  # nothing deletes applications: an upsert not read back is the server's fault
            raise RuntimeError("an upserted application could not be read back")
        return found

    def _write_then_read(self, key: dict, update: dict, *, upsert: bool) -> dict | None:
        """Updates (or upserts) the application by its unique key, then reads it back; None if none matched.

        Not findAndModify: secantusdb's costs O(collection) however well indexed, while update_one and
        find_one by the key stay flat (bench/repro/secantusdb_find_and_modify.py). The read may already
        show a concurrent writer's later revision, which is safe: every input is read after it, so this
        computation has seen all that preceded that revision too, and save_score lets one per revision land.
        """
        written = _upsert(lambda: self.applications.update_one(key, update, upsert=upsert))
        if written.matched_count == 0 and written.upserted_id is None:
            return None
        return self.applications.find_one(key, _NO_ID)

    def get_application(self, tenant: str, application_id: str) -> dict | None:
        return self.applications.find_one({"tenant": tenant, "application_id": application_id}, _NO_ID)

    def applications_for_jobs(self, tenant: str, job_ids: list[str], *, after: str, limit: int) -> list[str]:
        docs = self.applications.find(_jobs_filter(tenant, job_ids, after), {"_id": False, "application_id": True})
        return [d["application_id"] for d in docs.sort("application_id", ASCENDING).limit(limit)]

    def count_applications_for_jobs(self, tenant: str, job_ids: list[str], *, after: str) -> int:
        return self.applications.count_documents(_jobs_filter(tenant, job_ids, after))

    # --- evidence ----------------------------------------------------------------------------
    def record_evidence(self, tenant: str, credential_id: str, *, application_id: str, candidate_id: str,
                        report: dict) -> None:
        now = _now()
        _upsert(lambda: self.evidence.update_one(
            {"tenant": tenant, "credential_id": credential_id},
            {"$set": {"application_id": application_id, "candidate_id": candidate_id, "report": report,
                      "updated_at": now},
             "$setOnInsert": {"created_at": now}},
            upsert=True))

    def evidence_for(self, tenant: str, application_id: str, *, credential_ids: list[str]) -> list[dict]:
        """Evidence for the credentials an application lists, and for any verified on its behalf."""
        # Two exact index lookups rather than one $or: each is an index scan on any server, and secantusdb
        # plans a $or beside tenant as a collection scan (bench/repro/secantusdb_extra_predicate_collscan.py).
        found = {d["credential_id"]: d for d in self.evidence.find({"tenant": tenant, "application_id": application_id},
                                                                   _NO_ID)}
        missing = [c for c in dict.fromkeys(credential_ids) if c not in found]
        if missing:
            found.update((d["credential_id"], d)
                         for d in self.evidence.find({"tenant": tenant, "credential_id": {"$in": missing}}, _NO_ID))
        return list(found.values())

    # --- synonyms ----------------------------------------------------------------------------
    def get_synonyms(self, tenant: str) -> list[list[str]]:
        doc = self.synonyms.find_one({"tenant": tenant}, _NO_ID)
        return doc["groups"] if doc else []

    def put_synonyms(self, tenant: str, groups: list[list[str]]) -> None:
        self.synonyms.update_one({"tenant": tenant}, {"$set": {"groups": groups, "updated_at": _now()}}, upsert=True)

    # --- the tenant's credibility list (credibility.py) ---------------------------------------
    def get_credibility(self, tenant: str) -> list[dict]:
        doc = self.credibility.find_one({"tenant": tenant}, _NO_ID)
        return doc["issuers"] if doc else []

    def put_credibility(self, tenant: str, issuers: list[dict]) -> None:
        self.credibility.update_one({"tenant": tenant}, {"$set": {"issuers": issuers, "updated_at": _now()}},
                                    upsert=True)

    # --- scores ------------------------------------------------------------------------------
    def save_score(self, doc: dict) -> SaveOutcome:
        """Stores a score unless one computed from the same or a newer application revision is there.

        Concurrent workers may compute one application at different revisions; only the newest may
        land. The write is a compare-and-swap on the stored `input_revision`, so the replaced score
        can be pushed onto `history` exactly; losing the race to an older writer just retries.
        """
        key = {k: doc[k] for k in ("tenant", "application_id", "role_id")}
        while True:
            current = self.scores.find_one(key, {"history": False})
            current_id = current.pop("_id") if current is not None else None
            if current is not None and current["input_revision"] >= doc["input_revision"]:
                return SaveOutcome(applied=False, previous=current)
            doc = {**doc, "ranked_at": ranked_at(doc, current)}
            if current is None:
                try:
                    inserted = self.scores.insert_one({**doc, "history": []})
                except DuplicateKeyError:
                    continue  # a concurrent first write; compare against it
                return SaveOutcome(applied=True, score_id=inserted.inserted_id)
            result = self.scores.update_one(
                {"_id": current_id, "input_revision": current["input_revision"]},
                {"$set": doc, "$push": {"history": {"$each": [_history_entry(current)], "$slice": -HISTORY_LENGTH}}})
            if result.modified_count == 1:
                return SaveOutcome(applied=True, previous=current, score_id=current_id)

    def mark_published(self, *, tenant: str, application_id: str, role_id: str, input_revision: int,
                       fingerprint: str | None, score_id: object = None) -> None:
        """Records that the score of this revision was announced; a newer revision written meanwhile is left alone.

        `fingerprint` None: the score needs no announcing (pending); the last announced one is kept.

        Addressed by _id (the one save_score returned, else found through the unique key): secantusdb's
        planner would otherwise pick a ranking index (both start with tenant, role_id) and walk every score
        of the role.
        """
        if score_id is None:
            found = self.scores.find_one({"tenant": tenant, "application_id": application_id, "role_id": role_id},
                                         {"_id": True})
            if found is None:
                return
            score_id = found["_id"]
        done = {"pending_publish": False} if fingerprint is None else \
            {"published_fingerprint": fingerprint, "pending_publish": False}
        self.scores.update_one({"_id": score_id, "input_revision": input_revision}, {"$set": done})

    def drop_superseded_scores(self, tenant: str, application_id: str, *, role_id: str, input_revision: int) -> None:
        """Removes scores against a role the application no longer belongs to, computed before this one."""
        # Found through the (tenant, application_id) index, then deleted by _id: a delete filtering on
        # $ne/$lt directly is a collection scan on secantusdb (~200 ms at a few thousand scores).
        held = self.scores.find({"tenant": tenant, "application_id": application_id},
                                {"_id": True, "role_id": True, "input_revision": True})
        stale = [d["_id"] for d in held if d["role_id"] != role_id and d["input_revision"] < input_revision]
        if stale:
            self.scores.delete_many({"_id": {"$in": stale}})

    def scores_past_deadline(self, now: datetime, *, limit: int) -> list[tuple[str, str]]:
        """(tenant, application_id) of pending scores whose awaited verdict is overdue, most overdue first."""
        docs = self.scores.find({"pending_until": due_by(now)}, {"_id": False, "tenant": True, "application_id": True})
        return [(d["tenant"], d["application_id"]) for d in docs.sort("pending_until", ASCENDING).limit(limit)]

    def latest_score(self, tenant: str, application_id: str) -> dict | None:
        found = self.scores.find({"tenant": tenant, "application_id": application_id}, {"_id": False, "history": False})
        return next(iter(found.sort("input_revision", DESCENDING).limit(1)), None)

    def scored_at_revision(self, tenant: str, role_id: str, *, application_ids: list[str],
                           role_revision: int) -> set[str]:
        """Which of these applications already have a score from this role revision (or newer), announced."""
        # Filtered here rather than in the query so that the (tenant, application_id, ...) index is the
        # only one that fits: secantusdb would otherwise walk a ranking index over every score of the role.
        docs = self.scores.find({"tenant": tenant, "application_id": {"$in": list(application_ids)}},
                                {"_id": False, "application_id": True, "role_id": True, "role_revision": True,
                                 "pending_publish": True})
        return {d["application_id"] for d in docs if d["role_id"] == role_id
                and d.get("role_revision", 0) >= role_revision and d.get("pending_publish") is False}


def ranked_at(doc: dict, previous: dict | None) -> datetime:
    """When the application last moved in its role's ranking: kept while the rank score stays the same.

    Cursors over the ranking leave out what moved after the walk began (see queries.py)."""
    if previous is not None and previous.get("rank_score") == doc.get("rank_score") and previous.get("ranked_at"):
        return previous["ranked_at"]
    return doc["computed_at"]


def _rescoring_plan(job_ids: list[str]) -> dict:
    return {"active": True, "job_ids": job_ids, "cursor": "", "done": 0}


def _pending_coverage(role: dict) -> list[str]:
    """Jobs whose applications still need re-scoring for this role version: its own, and an unfinished plan's."""
    own = [] if role.get("deleted") else role_coverage(role["role_id"], role.get("job_ids", []))
    plan = role.get("rescoring") or {}
    return own + (plan.get("job_ids", []) if plan.get("active") else [])


def _jobs_filter(tenant: str, job_ids: list[str], after: str) -> dict:
    return {"tenant": tenant, "job_id": {"$in": list(job_ids)}, "application_id": {"$gt": after}}


def _history_entry(score: dict) -> dict:
    return {k: score.get(k) for k in ("status", "score", "score_version", "computed_at", "role_id",
                                      "input_revision", "role_revision")}


def _upsert(write: Callable):
    # Two concurrent upserts of one new key can both try to insert; the loser's retry then
    # finds the winner's document and updates it.
    try:
        return write()
    except DuplicateKeyError:
        return write()


def _now() -> datetime:
    # BSON dates hold milliseconds: truncating here makes what a write returns equal what a read does.
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
