"""The matching service's MongoDB collections (roles, applications, evidence, scores) behind named methods."""
from __future__ import annotations

import contextlib
import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterable, Literal

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, InsertOne, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from shared import mongo
from shared.events import derive_id
from shared.mongo import due_by

HISTORY_LENGTH = 5  # previous scores kept on a score document, newest last
# How long a batch's announcement record is kept (settle_announcements): far longer than a batch's redelivery.
ANNOUNCEMENT_RETENTION_S = 30 * 24 * 3600
UNREAD = object()  # save_score: the current score was not read beforehand
_NO_ID = {"_id": False}
# One score per (tenant, application, role).
_SCORE_KEY = [("tenant", ASCENDING), ("application_id", ASCENDING), ("role_id", ASCENDING)]
_OLD_WALK_INDEX = "tenant_1_job_id_1_application_id_1"
WALK_WINDOW_S = 3600.0  # a new walk's first window, in seconds of ObjectId time; each page refits it
WALK_WINDOW_MAX_S = 400 * 86400.0
_OID_PER_S = 1 << 64  # an ObjectId is 4 bytes of seconds, then 8 bytes: 2**64 numbers to a second
_OID_UNIT_S = 1 / _OID_PER_S
_OID_MAX = (1 << 96) - 1
WALK_PROBES = 16  # empty windows one page looks through (doubling each) before it hands back


@dataclass(frozen=True)
class WalkPage:
    """A page of a re-scoring walk: the application ids, the position after them and the window to read next
    (for advance_rescoring), and whether the walk had nothing left to give."""
    application_ids: list[str]
    after: str
    window_s: float
    exhausted: bool


@dataclass(frozen=True)
class SaveOutcome:
    """Whether a score write applied, the document it replaced (None for the first score), and the stored
    score's _id when it applied."""
    applied: bool
    previous: dict | None = None
    score_id: object = None
    marked: bool = False  # stored already marked published (save_scores' `settled`): no mark_published to follow
    announcement: object = None  # stored under this batch's announcement token: record_announcement marks it


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
        self.rank_histograms: Collection = db["rank_histograms"]  # rank_histogram.py
        self.announcements: Collection = db["score_announcements"]  # record_announcement

    def ensure_indexes(self) -> None:
        self.roles.create_index([("tenant", ASCENDING), ("role_id", ASCENDING)], unique=True)
        self.roles.create_index([("tenant", ASCENDING), ("job_ids", ASCENDING)])
        self.roles.create_index([("rescoring.active", ASCENDING)])
        self.applications.create_index([("tenant", ASCENDING), ("application_id", ASCENDING)], unique=True)
        # The re-scoring walk's windows of a job's applications by when they were stored (walk_applications).
        self.applications.create_index([("tenant", ASCENDING), ("job_id", ASCENDING), ("_id", ASCENDING)])
        if _OLD_WALK_INDEX in self.applications.index_information():  # the walk by application id, before
            with contextlib.suppress(OperationFailure):  # another process dropped it first
                self.applications.drop_index(_OLD_WALK_INDEX)
        self.evidence.create_index([("tenant", ASCENDING), ("credential_id", ASCENDING)], unique=True)
        self.evidence.create_index([("tenant", ASCENDING), ("application_id", ASCENDING)])
        # Also serves GET score by (tenant, application_id) through its prefix.
        self.scores.create_index(_SCORE_KEY, unique=True)
        # A ranked page reads score buckets through this index, each read a bounded range (ranking.py) ...
        self.scores.create_index([("tenant", ASCENDING), ("role_id", ASCENDING), ("rank_score", DESCENDING),
                                  ("application_id", ASCENDING)])
        # ... and a large bucket's fences through this one, which holds only the fences (1 score in 64).
        self.scores.create_index([("tenant", ASCENDING), ("role_id", ASCENDING), ("rank_score", ASCENDING),
                                  ("rank_level", ASCENDING), ("application_id", ASCENDING)],
                                 partialFilterExpression={"rank_level": {"$gte": 1}})
        self.rank_histograms.create_index([("tenant", ASCENDING), ("role_id", ASCENDING)], unique=True)
        # moved_since_start, and the histograms' readers counting what was ranked since they last looked.
        self.scores.create_index([("tenant", ASCENDING), ("role_id", ASCENDING), ("ranked_at", ASCENDING)])
        # The deadline sweep (scores_past_deadline): pending scores by when an awaited verdict is due.
        self.scores.create_index([("pending_until", ASCENDING)])
        self.evidence.create_index([("tenant", ASCENDING), ("candidate_id", ASCENDING)])
        self.applications.create_index([("tenant", ASCENDING), ("candidate_id", ASCENDING)])
        self.synonyms.create_index([("tenant", ASCENDING)], unique=True)
        self.credibility.create_index([("tenant", ASCENDING)], unique=True)
        self.announcements.create_index("at", expireAfterSeconds=ANNOUNCEMENT_RETENTION_S)

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
                          done: int, window_s: float = WALK_WINDOW_S) -> bool:
        """Moves the role's re-scoring cursor on, unless the role changed or another worker moved it first."""
        result = self.roles.update_one(
            {"tenant": tenant, "role_id": role_id, "revision": revision, "rescoring.cursor": cursor},
            {"$set": {"rescoring.cursor": new_cursor, "rescoring.window_s": window_s}, "$inc": {"rescoring.done": done}})
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
        return self._upsert_then_read(*_application_record(tenant, application_id, job_id=job_id,
                                                           candidate_id=candidate_id, credential_ids=credential_ids))

    def touch_application(self, tenant: str, application_id: str, *, candidate_id: str) -> dict:
        """Bumps the revision for a new verdict; creates a stub (no job yet) if the application is unknown."""
        return self._upsert_then_read(*_application_touch(tenant, application_id, candidate_id=candidate_id))

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

    def walk_applications(self, tenant: str, job_ids: list[str], *, after: str, window_s: float, limit: int,
                          until: datetime) -> WalkPage:
        """The next page of the re-scoring walk through the tenant's applications to any of these jobs: at most
        `limit` ids, in the order the applications were stored (their ObjectId), after the position `after`
        ("" for the start).

        Each read is a window of ObjectIds bounded at both ends, on the (tenant, job_id, _id) index, one read per
        job (an equality: secantusdb plans a $in beside a range as a collection scan,
        bench/repro/secantusdb_in_beside_range_collscan.py). A window is a span of ObjectIds read as 96-bit numbers,
        measured in seconds of their timestamp, and it adapts to hold about a page: a full page's window shrinks to
        the span the page took (below a second too: ids stored in one second by one client differ in their
        counter), a page that emptied its window doubles it. So a page costs about a page on any server, where the
        open range `application_id > cursor` made secantusdb read the rest of the role's applications for every
        page (bench/repro/secantusdb_sort_limit.py), the square of the role's size for a whole walk. The window
        that reaches `until` is left open above, so what was stored meanwhile is walked too."""
        start = _walk_start(after)
        if start is None:
            firsts = self._stored_in(tenant, job_ids, span=None, limit=1)
            if not firsts:
                return WalkPage([], after, window_s, exhausted=True)
            start = _oid_number(firsts[0][0]) - 1
        end = _oid_number(ObjectId.from_datetime(until))
        window = max(min(window_s, WALK_WINDOW_MAX_S), _OID_UNIT_S)
        for _probe in range(WALK_PROBES):
            upper = start + max(int(window * _OID_PER_S), 1)
            last = upper >= end
            span: dict = {"$gt": _oid(start)} if last else {"$gt": _oid(start), "$lt": _oid(upper)}
            rows = self._stored_in(tenant, job_ids, span=span, limit=limit)
            if len(rows) >= limit:  # the window held a page or more: take a page, and fit the window to it
                page = rows[:limit]
                spanned = _oid_number(page[-1][0]) - start
                return WalkPage([a for _, a in page], str(page[-1][0]), spanned / _OID_PER_S, exhausted=False)
            if last:  # everything stored up to the read is walked
                ids = [a for _, a in rows]
                return WalkPage(ids, str(rows[-1][0]) if rows else str(_oid(start)), window, exhausted=not ids)
            start, window = upper - 1, min(window * 2, WALK_WINDOW_MAX_S)
            if rows:
                return WalkPage([a for _, a in rows], str(_oid(start)), window, exhausted=False)
        return WalkPage([], str(_oid(start)), window, exhausted=False)  # empty windows: the next pass goes on

    def _stored_in(self, tenant: str, job_ids: list[str], *, span: dict | None, limit: int) -> list[tuple]:
        """(_id, application_id) of the first `limit` applications to each job in the `_id` span (None: any), all
        of them in `_id` order: one read per job, an equality and a range on the (tenant, job_id, _id) index."""
        return sorted((d["_id"], d["application_id"]) for job_id in dict.fromkeys(job_ids)
                      for d in self.applications.find({"tenant": tenant, "job_id": job_id,
                                                       **({"_id": span} if span is not None else {})},
                                                      {"_id": True, "application_id": True})
                      .sort("_id", ASCENDING).limit(limit))

    def count_applications_for_jobs(self, tenant: str, job_ids: list[str], *, after: str) -> int:
        """How many of the walk's applications are after the position `after` (counted, so it reads them)."""
        start = _walk_start(after)
        span = {} if start is None else {"_id": {"$gt": _oid(start)}}
        return sum(self.applications.count_documents({"tenant": tenant, "job_id": job_id, **span})
                   for job_id in dict.fromkeys(job_ids))

    # --- evidence ----------------------------------------------------------------------------
    def record_evidence(self, tenant: str, credential_id: str, *, application_id: str, candidate_id: str,
                        report: dict) -> None:
        key, update = _evidence_record(tenant, credential_id, application_id=application_id,
                                       candidate_id=candidate_id, report=report)
        _upsert(lambda: self.evidence.update_one(key, update, upsert=True))

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

    # --- a poll batch at once (services/matching/batch.py) -------------------------------------
    def write_inputs(self, writes: list[InputWrite]) -> None:
        """A batch's record_evidence, record_application and touch_application, in order: one bulk write per
        collection (evidence first, so every application read after it sees its evidence)."""
        for name in ("evidence", "applications"):
            upserts = [(*_INPUT_UPDATES[w.method](*w.args, **w.kwargs), w.method != "touch_application")
                       for w in writes if _INPUT_COLLECTION[w.method] == name]
            if upserts:
                _insert_then_upsert(getattr(self, name), upserts)

    def applications_by_id(self, tenant: str, application_ids: list[str]) -> dict[str, dict]:
        found = self.applications.find({"tenant": tenant, "application_id": {"$in": sorted(set(application_ids))}},
                                       _NO_ID)
        return {d["application_id"]: d for d in found}

    def evidence_for_many(self, tenant: str, applications: list[dict]) -> dict[str, list[dict]]:
        """evidence_for of each application, in two queries for all of them (each an exact index lookup)."""
        app_ids = sorted({a["application_id"] for a in applications})
        found = {d["credential_id"]: d for d in self.evidence.find({"tenant": tenant, "application_id": {"$in": app_ids}},
                                                                   _NO_ID)}
        missing = sorted({c for a in applications for c in a.get("credential_ids") or [] if c not in found})
        if missing:
            found.update((d["credential_id"], d)
                         for d in self.evidence.find({"tenant": tenant, "credential_id": {"$in": missing}}, _NO_ID))
        return {a["application_id"]: [e for cid, e in found.items()
                                      if e["application_id"] == a["application_id"] or cid in (a.get("credential_ids") or [])]
                for a in applications}

    def scores_for(self, tenant: str, application_ids: list[str]) -> list[dict]:
        """Every score of these applications (with _id, without history): what save_score and drop_superseded_scores
        would each read, read once for the batch."""
        return self.settle_announcements(list(self.scores.find(
            {"tenant": tenant, "application_id": {"$in": sorted(set(application_ids))}}, {"history": False})))

    def insert_scores(self, docs: list[dict]) -> list[tuple[str, str]]:
        """Inserts first scores (each with its _id) in one round trip; returns the (tenant, application_id) of those
        another writer inserted first (the unique key refused them), for the caller to score again."""
        insertion = mongo.insert_new(self.scores, docs)
        insertion.raise_refused()
        return [(docs[i]["tenant"], docs[i]["application_id"]) for i in sorted(insertion.duplicates)]

    def replace_scores(self, replacements: list[tuple[dict, dict]]) -> list[tuple[str, str]]:
        """save_score's compare-and-swap for each (score, stored score as read, with its _id; ranked_at set), in one
        round trip; returns the (tenant, application_id) whose stored score another writer changed first."""
        if not replacements:
            return []
        ops = [UpdateOne(*_replacement(doc, {k: v for k, v in current.items() if k != "_id"}, current["_id"]))
               for doc, current in replacements]
        if self.scores.bulk_write(ops, ordered=False).modified_count == len(ops):
            return []
        # Some swap found another revision: read back which (the stored revision is not this computation's).
        ours = {current["_id"]: doc["input_revision"] for doc, current in replacements}
        stored = {d["_id"]: d["input_revision"] for d in self.scores.find({"_id": {"$in": list(ours)}},
                                                                          {"input_revision": True})}
        return [(doc["tenant"], doc["application_id"]) for doc, current in replacements
                if stored.get(current["_id"]) != doc["input_revision"]]

    def mark_published_many(self, marks: list[dict]) -> None:
        """mark_published for each of a batch's scores (keyword arguments of mark_published, score_id included):
        one unordered bulk write; a mark without a score_id is marked on its own."""
        ops = []
        for m in marks:
            if m.get("score_id") is None:
                self.mark_published(**m)
                continue
            ops.append(UpdateOne({"_id": m["score_id"], "input_revision": m["input_revision"]},
                                 {"$set": published_fields(m["fingerprint"])}))
        if ops:
            self.scores.bulk_write(ops, ordered=False)

    def record_announcement(self, token: ObjectId) -> None:
        """Marks published, in one small insert, every score written with this announcement token (save_scores'
        `announce`): a batch's outbox mark, after its events were published, instead of an update of each score.

        Until settle_announcements reads it back a stored score keeps pending_publish and the fingerprint
        announced before; a crash before this insert leaves the token unrecorded, and the next computation
        announces the score, as a crash before a per-score mark did."""
        self.announcements.insert_one({"_id": token, "at": _now()})

    def settle_announcements(self, scores: list[dict]) -> list[dict]:
        """Folds into each stored score as read (in place) whether the announcement it was written under was
        recorded: then it reads as marked published, with its own fingerprint announced. One read for them all.

        A token older than ANNOUNCEMENT_RETENTION_S whose record the TTL removed counts as recorded: an unrecorded
        one (a crash between the write and the publish) is overwritten when its batch is redelivered, minutes
        later, since that batch's offsets were never committed."""
        waiting = {s["announcement"] for s in scores
                   if s.get("announcement") is not None and s.get("pending_publish") is not False}
        if not waiting:
            return scores
        recorded = {d["_id"] for d in self.announcements.find({"_id": {"$in": list(waiting)}}, {"_id": True})}
        horizon = datetime.now(timezone.utc) - timedelta(seconds=ANNOUNCEMENT_RETENTION_S)
        for score in scores:
            token = score.get("announcement")
            if isinstance(token, ObjectId) and token in waiting and (token in recorded or token.generation_time < horizon):
                score.update(published_fields(score.get("fingerprint")))
        return scores

    def delete_scores(self, score_ids: list) -> None:
        if score_ids:
            self.scores.delete_many({"_id": {"$in": score_ids}})

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
    def save_score(self, doc: dict, *, current: dict | None | object = UNREAD) -> SaveOutcome:
        """Stores a score unless one computed from the same or a newer application revision is there.

        Concurrent workers may compute one application at different revisions; only the newest may
        land. The write is a compare-and-swap on the stored `input_revision`, so the replaced score
        can be pushed onto `history` exactly; losing the race to an older writer just retries.

        `current`, if given, is the stored score as read earlier (scores_for, with its _id): the first attempt
        compares against it instead of reading; a race lost reads again.
        """
        key = {k: doc[k] for k in ("tenant", "application_id", "role_id")}
        held = current
        while True:
            current = self._settled(self.scores.find_one(key, {"history": False})) if held is UNREAD \
                else copy.copy(held)
            held = UNREAD
            assert current is None or isinstance(current, dict)
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
            result = self.scores.update_one(*_replacement(doc, current, current_id))
            if result.modified_count == 1:
                return SaveOutcome(applied=True, previous=current, score_id=current_id)

    def _settled(self, score: dict | None) -> dict | None:
        return None if score is None else self.settle_announcements([score])[0]

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
        self.scores.update_one({"_id": score_id, "input_revision": input_revision}, {"$set": published_fields(fingerprint)})

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

    def latest_score(self, tenant: str, application_id: str, *, settled: bool = False) -> dict | None:
        """The application's newest score as served; `settled` also reads whether its announcement was recorded
        (settle_announcements), for a reader that decides on pending_publish: one more query."""
        found = self.scores.find({"tenant": tenant, "application_id": application_id}, {"_id": False, "history": False})
        newest = next(iter(found.sort("input_revision", DESCENDING).limit(1)), None)
        return self._settled(newest) if settled else newest

    def scored_at_revision(self, tenant: str, role_id: str, *, application_ids: list[str],
                           role_revision: int) -> set[str]:
        """Which of these applications already have a score from this role revision (or newer), announced."""
        # Filtered here rather than in the query so that the (tenant, application_id, ...) index is the
        # only one that fits: secantusdb would otherwise walk a ranking index over every score of the role.
        docs = self.settle_announcements(list(self.scores.find(
            {"tenant": tenant, "application_id": {"$in": list(application_ids)}},
            {"_id": False, "application_id": True, "role_id": True, "role_revision": True, "pending_publish": True,
             "announcement": True})))
        return {d["application_id"] for d in docs if d["role_id"] == role_id
                and d.get("role_revision", 0) >= role_revision and d.get("pending_publish") is False}


    # --- batches: many applications at once, one read or bulk write each (the rescorer's) -------------
    # The same guarantees as the single-application methods above, at a handful of round trips per batch.

    def bump_applications(self, tenant: str, application_ids: list[str]) -> list[dict]:
        """bump_application for each: one update of them all, then one read; those that are gone are left out."""
        key = {"tenant": tenant, "application_id": {"$in": list(application_ids)}}
        self.applications.update_many(key, {"$set": {"updated_at": _now()}, "$inc": {"revision": 1}})
        found = {d["application_id"]: d for d in self.applications.find(key, _NO_ID)}
        return [found[a] for a in application_ids if a in found]

    def save_scores(self, docs: list[dict], *, settled: Callable[[dict, dict | None], bool] | None = None,
                    announce: ObjectId | None = None) -> list[SaveOutcome]:
        """save_score then drop_superseded_scores for each score (of one tenant); the outcomes in order.

        One read of the applications' stored scores, one unordered bulk write, and a delete of superseded ones.
        Each write carries a token, so a compare-and-swap that lost to a concurrent writer is told apart from one
        that landed; those that lost are retried one by one (save_score compares again). A score for which
        `settled(doc, stored)` holds (it needs no announcing) is written marked published, saving that write; the
        others carry the `announce` token, if given, for record_announcement to mark them all at once.
        """
        if not docs:
            return []
        held = self.settle_announcements(list(self.scores.find(
            {"tenant": docs[0]["tenant"], "application_id": {"$in": [d["application_id"] for d in docs]}},
            {"history": False})))
        current = {(h["application_id"], h["role_id"]): h for h in held}
        outcomes: dict[int, SaveOutcome] = {}
        writes: list[_Write] = []
        for i, doc in enumerate(docs):
            stored = current.get((doc["application_id"], doc["role_id"]))
            if stored is not None and stored["input_revision"] >= doc["input_revision"]:
                outcomes[i] = SaveOutcome(applied=False, previous=_without_id(stored))
                continue
            written = {**doc, "ranked_at": ranked_at(doc, stored), "write_id": uuid.uuid4().hex}
            if settled is not None and settled(doc, _without_id(stored)):
                written["pending_publish"] = False
            elif announce is not None:
                written["announcement"] = announce
            writes.append(_Write(i, stored, written))
        lost = self._bulk(writes)
        for w in writes:
            outcomes[w.index] = self.save_score(docs[w.index]) if w.index in lost else \
                SaveOutcome(applied=True, previous=_without_id(w.stored), score_id=w.score_id,
                            marked=w.written.get("pending_publish") is False,
                            announcement=w.written.get("announcement"))
        ordered = [outcomes[i] for i in range(len(docs))]
        self._drop_superseded([d for d, o in zip(docs, ordered, strict=True) if o.applied], held)
        return ordered

    def _bulk(self, writes: list[_Write]) -> set[int]:
        """Runs the writes in one unordered bulk; returns the indexes of those that did not land."""
        if not writes:
            return set()
        lost: set[int] = set()
        try:
            modified = self.scores.bulk_write([w.op() for w in writes], ordered=False).modified_count
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != mongo.DUPLICATE_KEY for e in errors):
                raise
            lost = {writes[e["index"]].index for e in errors}  # a concurrent first write: compare against it
            modified = exc.details.get("nModified", 0)
        updates = [w for w in writes if w.stored is not None]
        if modified < len(updates):
            landed = {d["_id"]: d.get("write_id") for d in self.scores.find(
                {"_id": {"$in": [w.score_id for w in updates]}}, {"write_id": True})}
            lost |= {w.index for w in updates if landed.get(w.score_id) != w.written["write_id"]}
        return lost

    def _drop_superseded(self, applied: list[dict], held: list[dict]) -> None:
        newest = {d["application_id"]: d for d in applied}
        stale = [h["_id"] for h in held if (d := newest.get(h["application_id"])) is not None
                 and h["role_id"] != d["role_id"] and h["input_revision"] < d["input_revision"]]
        if stale:
            self.scores.delete_many({"_id": {"$in": stale}})


def published_fields(fingerprint: str | None) -> dict:
    """What mark_published sets: announced (with the fingerprint announced, for a final score)."""
    return {"pending_publish": False} if fingerprint is None else \
        {"published_fingerprint": fingerprint, "pending_publish": False}


@dataclass(frozen=True)
class InputWrite:
    """One of record_application, touch_application, record_evidence with its arguments, held for write_inputs."""
    method: Literal["record_application", "touch_application", "record_evidence"]
    args: tuple
    kwargs: dict


def _application_record(tenant: str, application_id: str, *, job_id: str, candidate_id: str,
                        credential_ids: list[str]) -> tuple[dict, dict]:
    now = _now()
    # Credential ids are derive_id hex, safe as field names.
    seen = {f"credentials_seen.{cid}": now for cid in dict.fromkeys(credential_ids)}
    return ({"tenant": tenant, "application_id": application_id},
            {"$set": {"job_id": job_id, "candidate_id": candidate_id, "credential_ids": list(credential_ids),
                      "updated_at": now},
             "$inc": {"revision": 1}, "$setOnInsert": {"created_at": now}, **({"$min": seen} if seen else {})})


def _application_touch(tenant: str, application_id: str, *, candidate_id: str) -> tuple[dict, dict]:
    now = _now()
    return ({"tenant": tenant, "application_id": application_id},
            {"$set": {"updated_at": now}, "$inc": {"revision": 1},
             "$setOnInsert": {"job_id": None, "candidate_id": candidate_id, "credential_ids": [], "created_at": now}})


def _evidence_record(tenant: str, credential_id: str, *, application_id: str, candidate_id: str,
                     report: dict) -> tuple[dict, dict]:
    now = _now()
    return ({"tenant": tenant, "credential_id": credential_id},
            {"$set": {"application_id": application_id, "candidate_id": candidate_id, "report": report,
                      "updated_at": now},
             "$setOnInsert": {"created_at": now}})


_INPUT_UPDATES: dict[str, Callable[..., tuple[dict, dict]]] = {
    "record_application": _application_record, "touch_application": _application_touch,
    "record_evidence": _evidence_record}
_INPUT_COLLECTION = {"record_application": "applications", "touch_application": "applications",
                     "record_evidence": "evidence"}


def _insert_then_upsert(collection: Collection, upserts: list[tuple[dict, dict, bool]]) -> None:
    """Applies (key, update, likely new) upserts in order, most of them as inserts: the first write of each key in
    the batch, if it is likely new, is tried as an insert of the document its upsert would create, and what is left
    (later writes of a key, first writes not likely new, and those whose key was already stored, as the unique key
    says) goes as upserts, in order, after it. The outcome is the upserts' own; on secantusdb an insert costs half an
    upsert or less (docs/performance.md), and a verdict's evidence and an application's record are mostly new, while
    an application's touch (a verdict for it arrived) almost never is, so it is not tried."""
    first: dict[tuple, int] = {}
    for i, (key, _, _) in enumerate(upserts):
        first.setdefault(tuple(sorted(key.items())), i)
    tried = sorted(i for i in first.values() if upserts[i][2])
    insertion = mongo.insert_new(collection, [mongo.upserted_document(*upserts[i][:2]) for i in tried])
    insertion.raise_refused()
    inserted = {tried[j] for j in range(len(tried)) if j not in insertion.duplicates}
    rest = [UpdateOne(key, update, upsert=True) for i, (key, update, _) in enumerate(upserts) if i not in inserted]
    if rest:
        _bulk_upsert(collection, rest)


def _bulk_upsert(collection: Collection, ops: list[UpdateOne]) -> None:
    """Applies upserts in order in one round trip. Two writers' concurrent upserts of one new key may fail one with
    a duplicate key: ordered, the bulk stops there, and what is left is applied again (the winner's document now
    exists, so the second attempt updates it)."""
    while ops:
        try:
            collection.bulk_write(ops, ordered=True)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if not errors or errors[0].get("code") != mongo.DUPLICATE_KEY:
                raise
            failed = errors[0]["index"]
            collection.bulk_write([ops[failed]], ordered=True)
            ops = ops[failed + 1:]


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


def _walk_start(after: str) -> int | None:
    """The exclusive lower bound a walk position names, as a number; None for the start (and for a position stored
    by the walk by application id before, which is then walked again from the start: re-scoring is idempotent)."""
    return _oid_number(ObjectId(after)) if ObjectId.is_valid(after) else None


def _oid_number(oid: ObjectId) -> int:
    """An ObjectId as the 96-bit number whose order is the server's order of ObjectIds (bytewise)."""
    return int.from_bytes(oid.binary, "big")


def _oid(number: int) -> ObjectId:
    return ObjectId(min(max(number, 0), _OID_MAX).to_bytes(12, "big"))


def _replacement(doc: dict, current: dict, current_id: object) -> tuple[dict, dict]:
    """The compare-and-swap that replaces `current` (as read, without _id) by `doc`, keeping it in `history`."""
    return ({"_id": current_id, "input_revision": current["input_revision"]},
            {"$set": {**_carried(current), **doc},
             "$push": {"history": {"$each": [_history_entry(current)], "$slice": -HISTORY_LENGTH}}})


def _carried(current: dict) -> dict:
    """What a replacement sets besides the new score: the last fingerprint announced, as settle_announcements read
    it (so it holds once the token it was announced under is overwritten), and no token unless the new one has."""
    return {"published_fingerprint": current.get("published_fingerprint"), "announcement": None}


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


@dataclass
class _Write:
    """One score of a batch to insert (no stored score) or compare-and-swap over the stored one."""
    index: int
    stored: dict | None
    written: dict
    new_id: ObjectId = field(default_factory=ObjectId)

    @property
    def score_id(self) -> object:
        return self.stored["_id"] if self.stored is not None else self.new_id

    def op(self) -> InsertOne | UpdateOne:
        if self.stored is None:
            return InsertOne({**self.written, "_id": self.new_id, "history": []})
        return UpdateOne({"_id": self.stored["_id"], "input_revision": self.stored["input_revision"]},
                         {"$set": {**_carried(self.stored), **self.written},
                          "$push": {"history": {"$each": [_history_entry(self.stored)], "$slice": -HISTORY_LENGTH}}})


def _without_id(doc: dict | None) -> dict | None:
    return None if doc is None else {k: v for k, v in doc.items() if k != "_id"}
