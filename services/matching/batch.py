"""One poll batch's scoring store: what rescore_application reads, read once for the batch; what it writes after
the score, written once for the batch.

Built by `Rescores.flush` after the batch's inputs are written (so every read here is after every bump, as
rescore_application requires). A role, credibility list and synonyms are read once per tenant (and job) per batch,
and forgotten with the batch: nothing is staler than it would be when read per application. Evidence and the
stored scores of all the batch's applications come in one query each; `save_score` compares against the score so
read; the batch's scores are held and written together before anything is published, first scores in one
insert_many and newer ones in one bulk compare-and-swap (one that another writer stored or changed meanwhile is
dropped from the batch and scored again the ordinary way). `mark_published` is held until the batch's scores are
published in one call, and then written in one bulk write: a crash in between leaves them pending_publish, as a
crash between publish and mark always did, and the next computation announces them. A score that announces
nothing (pending, or final and unchanged) is written already marked, so it costs no second update; one this batch
announces is written with the batch's announcement token, and one insert after the publish marks them all
(repository.record_announcement).
"""
from __future__ import annotations

from collections.abc import Callable

from bson import ObjectId

from services.matching.repository import MatchingRepository, SaveOutcome, published_fields, ranked_at
from shared.events import Event

Publish = Callable[[list[Event]], None]


class BatchStore:
    def __init__(self, repo: MatchingRepository, applications: list[tuple[str, dict]]):
        self.repo = repo
        self._roles: dict[tuple[str, str], dict | None] = {}
        self._credibility: dict[str, list[dict]] = {}
        self._synonyms: dict[str, list[list[str]]] = {}
        self._evidence: dict[tuple[str, str], list[dict]] = {}
        self._scores: dict[tuple[str, str, str], dict] = {}
        self._held_scores: dict[tuple[str, str], list[dict]] = {}
        self._marks: list[dict] = []
        self._stale: list = []
        self._inserts: list[dict] = []  # first scores, inserted together by finish()
        self._replacements: list[tuple[dict, dict]] = []  # newer scores over the ones read, swapped by finish()
        self.events: list[Event] = []
        self.announcement = ObjectId()  # the token of the scores this batch announces
        by_tenant: dict[str, list[dict]] = {}
        for tenant, application in applications:
            by_tenant.setdefault(tenant, []).append(application)
        for tenant, apps in by_tenant.items():
            scorable = [a for a in apps if a.get("job_id")]  # the others are not scored (no job yet)
            if not scorable:
                continue
            for app_id, found in repo.evidence_for_many(tenant, scorable).items():
                self._evidence[(tenant, app_id)] = found
            for score in repo.scores_for(tenant, [a["application_id"] for a in scorable]):
                self._scores[(tenant, score["application_id"], score["role_id"])] = score
                self._held_scores.setdefault((tenant, score["application_id"]), []).append(score)

    # --- what rescore_application reads ----------------------------------------------------------
    def resolve_role(self, tenant: str, job_id: str) -> dict | None:
        if (tenant, job_id) not in self._roles:
            self._roles[(tenant, job_id)] = self.repo.resolve_role(tenant, job_id)
        return self._roles[(tenant, job_id)]

    def evidence_for(self, tenant: str, application_id: str, *, credential_ids: list[str]) -> list[dict]:
        held = self._evidence.get((tenant, application_id))
        return held if held is not None else self.repo.evidence_for(tenant, application_id,
                                                                    credential_ids=credential_ids)

    def get_credibility(self, tenant: str) -> list[dict]:
        if tenant not in self._credibility:
            self._credibility[tenant] = self.repo.get_credibility(tenant)
        return self._credibility[tenant]

    def get_synonyms(self, tenant: str) -> list[list[str]]:
        if tenant not in self._synonyms:
            self._synonyms[tenant] = self.repo.get_synonyms(tenant)
        return self._synonyms[tenant]

    # --- what it writes ------------------------------------------------------------------------
    def save_score(self, doc: dict) -> SaveOutcome:
        if (doc["tenant"], doc["application_id"]) not in self._evidence:
            return self.repo.save_score(doc)  # not one of the batch's applications: read as usual
        current = self._scores.get((doc["tenant"], doc["application_id"], doc["role_id"]))
        if current is None:
            first = {**doc, "ranked_at": ranked_at(doc, None), "history": [], "_id": ObjectId()}
            self._inserts.append(first)
            return SaveOutcome(applied=True, score_id=first["_id"])
        if current["input_revision"] >= doc["input_revision"]:
            return self.repo.save_score(doc, current=current)  # not newer than what is stored: save_score says so
        previous = {k: v for k, v in current.items() if k != "_id"}
        self._replacements.append(({**doc, "ranked_at": ranked_at(doc, previous)}, current))
        return SaveOutcome(applied=True, previous=previous, score_id=current["_id"])

    def drop_superseded_scores(self, tenant: str, application_id: str, *, role_id: str, input_revision: int) -> None:
        self._stale += [s["_id"] for s in self._held_scores.get((tenant, application_id), [])
                        if s["role_id"] != role_id and s["input_revision"] < input_revision]

    def publish(self, batch: list[Event]) -> None:
        self.events += batch

    def mark_published(self, *, tenant: str, application_id: str, role_id: str, input_revision: int,
                       fingerprint: str | None, score_id: object = None) -> None:
        self._marks.append({"tenant": tenant, "application_id": application_id, "role_id": role_id,
                            "input_revision": input_revision, "fingerprint": fingerprint, "score_id": score_id})

    def finish(self, publish: Publish) -> list[tuple[str, str]]:
        """Inserts the batch's first scores and swaps in its newer ones (one round trip each), publishes its scores in
        one call, then marks them published and drops superseded ones. Returns the (tenant, application_id) whose
        score another writer stored or changed meanwhile: nothing of theirs was published, and they are to be scored
        again the ordinary way."""
        marks, announcing = self._fold_marks()
        lost = set(self.repo.insert_scores(self._inserts)) | set(self.repo.replace_scores(self._replacements))
        keep = [(e.tenant, e.payload["application_id"]) not in lost for e in self.events]
        events = [e for e, kept in zip(self.events, keep, strict=True) if kept]
        if events:
            publish(events)
        if announcing:
            self.repo.record_announcement(self.announcement)
        self.repo.mark_published_many([m for m in marks if (m["tenant"], m["application_id"]) not in lost])
        self.repo.delete_scores(self._stale)
        return sorted(lost)

    def _fold_marks(self) -> tuple[list[dict], bool]:
        """Writes the mark of each score this batch writes into the score itself: marked, if it announces nothing
        (nothing is published for it, so there is nothing for a crash to lose), else under the batch's announcement
        token. Returns the marks left to write after the publish, and whether any score carries the token."""
        announced = {(e.tenant, e.payload["application_id"]) for e in self.events}
        written = {d["_id"]: d for d in self._inserts} | {current["_id"]: doc for doc, current in self._replacements}
        left, announcing = [], False
        for m in self._marks:
            doc = written.get(m["score_id"]) if m.get("score_id") is not None else None
            if doc is None or doc["input_revision"] != m["input_revision"]:
                left.append(m)
            elif (m["tenant"], m["application_id"]) in announced:
                doc["announcement"], announcing = self.announcement, True
            else:
                doc.update(published_fields(m["fingerprint"]))
        return left, announcing
