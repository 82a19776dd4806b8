"""In-memory stand-ins for the matching repository and tenant keys, for unit tests that run no servers."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from services.matching.repository import (HISTORY_LENGTH, SaveOutcome, WalkPage, _history_entry, _pending_coverage,
                                          _rescoring_plan, ranked_at, role_coverage)


class FakeMatchingRepository:
    """Same methods and guarantees as MatchingRepository, over dicts; returns copies like a database would."""

    def __init__(self):
        self.roles: dict[tuple, dict] = {}
        self.applications: dict[tuple, dict] = {}
        self.evidence: dict[tuple, dict] = {}
        self.scores: dict[tuple, dict] = {}
        self.synonyms: dict[str, list] = {}
        self.credibility: dict[str, list] = {}
        self.clock = _now  # when a credential counts as first listed (tests of the deadline set it)

    # --- roles ---------------------------------------------------------------------------------
    def put_role(self, tenant, role_id, *, title, requirements, job_ids, description=None, credibility=None):
        fields = {"title": title, "requirements": copy.deepcopy(requirements), "job_ids": sorted(set(job_ids)),
                  "description": description, "credibility": copy.deepcopy(credibility), "deleted": False}
        return self._change_role(tenant, role_id, fields, role_coverage(role_id, job_ids))

    def delete_role(self, tenant, role_id):
        if self.get_role(tenant, role_id) is None:
            return False
        self._change_role(tenant, role_id, {"requirements": [], "job_ids": [], "deleted": True}, [])
        return True

    def _change_role(self, tenant, role_id, fields, coverage):
        current = self.roles.get((tenant, role_id))
        now = _now()
        if current is None:
            doc = {"tenant": tenant, "role_id": role_id, **fields, "revision": 1, "created_at": now,
                   "updated_at": now, "rescoring": _rescoring_plan(coverage)}
            created = True
        else:
            plan = _rescoring_plan(sorted(set(coverage) | set(_pending_coverage(current))))
            doc = {**current, **fields, "revision": current["revision"] + 1, "updated_at": now, "rescoring": plan}
            created = bool(current.get("deleted"))
        self.roles[(tenant, role_id)] = doc
        return copy.deepcopy(doc), created

    def get_role(self, tenant, role_id):
        doc = self.roles.get((tenant, role_id))
        return copy.deepcopy(doc) if doc and not doc["deleted"] else None

    def role_for_rescoring(self, tenant, role_id):
        return copy.deepcopy(self.roles.get((tenant, role_id)))

    def list_roles(self, tenant, *, after, limit):
        live = sorted((r for (t, rid), r in self.roles.items() if t == tenant and not r["deleted"] and rid > after),
                      key=lambda r: r["role_id"])
        return copy.deepcopy(live[:limit])

    def resolve_role(self, tenant, job_id):
        exact = self.get_role(tenant, job_id)
        if exact is not None:
            return exact
        covering = sorted((r for (t, _), r in self.roles.items()
                           if t == tenant and not r["deleted"] and job_id in r["job_ids"]), key=lambda r: r["role_id"])
        return copy.deepcopy(covering[0]) if covering else None

    def roles_to_rescore(self, *, limit=100):
        return [k for k, r in self.roles.items() if r["rescoring"]["active"]][:limit]

    def advance_rescoring(self, tenant, role_id, *, revision, cursor, new_cursor, done, window_s=3600):
        role = self.roles.get((tenant, role_id))
        if role is None or role["revision"] != revision or role["rescoring"]["cursor"] != cursor:
            return False
        role["rescoring"]["cursor"] = new_cursor
        role["rescoring"]["done"] += done
        return True

    def finish_rescoring(self, tenant, role_id, *, revision, cursor):
        role = self.roles.get((tenant, role_id))
        if role is None or role["revision"] != revision or role["rescoring"]["cursor"] != cursor:
            return False
        role["rescoring"]["active"] = False
        return True

    # --- applications --------------------------------------------------------------------------
    def record_application(self, tenant, application_id, *, job_id, candidate_id, credential_ids):
        doc = self._application(tenant, application_id)
        doc.update(job_id=job_id, candidate_id=candidate_id, credential_ids=list(credential_ids))
        seen = doc.setdefault("credentials_seen", {})
        for cid in credential_ids:
            seen.setdefault(cid, self.clock())
        doc["revision"] += 1
        return copy.deepcopy(doc)

    def touch_application(self, tenant, application_id, *, candidate_id):
        doc = self._application(tenant, application_id, stub={"job_id": None, "candidate_id": candidate_id,
                                                              "credential_ids": []})
        doc["revision"] += 1
        return copy.deepcopy(doc)

    def record_unretrieved(self, tenant, application_id, *, candidate_id, provenance, reason):
        doc = self._application(tenant, application_id, stub={"job_id": None, "candidate_id": candidate_id,
                                                              "credential_ids": []})
        doc.setdefault("unretrieved", {})[provenance] = {"provenance": provenance, "reason": reason}

    def _application(self, tenant, application_id, stub=None):
        key = (tenant, application_id)
        if key not in self.applications:
            self.applications[key] = {"tenant": tenant, "application_id": application_id, "revision": 0,
                                      "created_at": _now(), **(stub or {})}
        return self.applications[key]

    def bump_application(self, tenant, application_id):
        doc = self.applications.get((tenant, application_id))
        if doc is None:
            return None
        doc["revision"] += 1
        return copy.deepcopy(doc)

    def get_application(self, tenant, application_id):
        return copy.deepcopy(self.applications.get((tenant, application_id)))

    def walk_applications(self, tenant, job_ids, *, after, window_s, limit, until):
        # In application id order, the id itself the position: the windows by storage time are the server's.
        page = self._for_jobs(tenant, job_ids, after)[:limit]
        return WalkPage(page, page[-1] if page else after, window_s, exhausted=not page)

    def count_applications_for_jobs(self, tenant, job_ids, *, after):
        return len(self._for_jobs(tenant, job_ids, after))

    def _for_jobs(self, tenant, job_ids, after):
        return sorted(a["application_id"] for (t, aid), a in self.applications.items()
                      if t == tenant and a.get("job_id") in job_ids and aid > after)

    # --- evidence ------------------------------------------------------------------------------
    def record_evidence(self, tenant, credential_id, *, application_id, candidate_id, report):
        self.evidence[(tenant, credential_id)] = {"tenant": tenant, "credential_id": credential_id,
                                                  "application_id": application_id, "candidate_id": candidate_id,
                                                  "report": copy.deepcopy(report)}

    def evidence_for(self, tenant, application_id, *, credential_ids):
        return [copy.deepcopy(e) for (t, cid), e in self.evidence.items()
                if t == tenant and (e["application_id"] == application_id or cid in credential_ids)]

    # --- scores --------------------------------------------------------------------------------
    def get_synonyms(self, tenant):
        return copy.deepcopy(self.synonyms.get(tenant, []))

    def put_synonyms(self, tenant, groups):
        self.synonyms[tenant] = copy.deepcopy(groups)

    def get_credibility(self, tenant):
        return copy.deepcopy(self.credibility.get(tenant, []))

    def put_credibility(self, tenant, issuers):
        self.credibility[tenant] = copy.deepcopy(issuers)

    def save_score(self, doc, *, current=None):
        key = (doc["tenant"], doc["application_id"], doc["role_id"])  # `current` read earlier: read again here
        current = self.scores.get(key)
        if current is not None and current["input_revision"] >= doc["input_revision"]:
            return SaveOutcome(applied=False, previous=_without_history(current))
        doc = {**doc, "ranked_at": ranked_at(doc, current)}
        history = [] if current is None else (current["history"] + [_history_entry(current)])[-HISTORY_LENGTH:]
        kept = {"published_fingerprint": current["published_fingerprint"]} if current and "published_fingerprint" in current else {}
        self.scores[key] = {**kept, **copy.deepcopy(doc), "history": history}
        return SaveOutcome(applied=True, previous=_without_history(current) if current else None)

    def mark_published(self, *, tenant, application_id, role_id, input_revision, fingerprint, score_id=None):
        doc = self.scores.get((tenant, application_id, role_id))
        if doc is not None and doc["input_revision"] == input_revision:
            doc.update(pending_publish=False, **({} if fingerprint is None else {"published_fingerprint": fingerprint}))

    def drop_superseded_scores(self, tenant, application_id, *, role_id, input_revision):
        for key in [k for k, s in self.scores.items() if k[:2] == (tenant, application_id)
                    and k[2] != role_id and s["input_revision"] < input_revision]:
            del self.scores[key]

    # --- batches, as the single-application methods above one by one ----------------------------
    def bump_applications(self, tenant, application_ids):
        return [a for a in (self.bump_application(tenant, i) for i in application_ids) if a is not None]

    def save_scores(self, docs, *, settled=None, announce=None):  # always marked afterwards, as save_score is
        outcomes = [self.save_score(d) for d in docs]
        for d, o in zip(docs, outcomes, strict=True):
            if o.applied:
                self.drop_superseded_scores(d["tenant"], d["application_id"], role_id=d["role_id"],
                                            input_revision=d["input_revision"])
        return outcomes

    def scores_past_deadline(self, now, *, limit):
        due = sorted((s["pending_until"], k[:2]) for k, s in self.scores.items()
                     if s.get("pending_until") is not None and s["pending_until"] <= now)
        return [key for _, key in due][:limit]

    def latest_score(self, tenant, application_id, *, settled=False):
        mine = [s for k, s in self.scores.items() if k[:2] == (tenant, application_id)]
        return _without_history(max(mine, key=lambda s: s["input_revision"])) if mine else None

    def scored_at_revision(self, tenant, role_id, *, application_ids, role_revision):
        return {aid for (t, aid, rid), s in self.scores.items()
                if t == tenant and rid == role_id and aid in application_ids and s["role_revision"] >= role_revision
                and s["pending_publish"] is False}

    # --- a poll batch at once ---------------------------------------------------------------------
    def write_inputs(self, writes):
        for w in writes:
            getattr(self, w.method)(*w.args, **w.kwargs)

    def applications_by_id(self, tenant, application_ids):
        return {a: copy.deepcopy(self.applications[(tenant, a)]) for a in application_ids
                if (tenant, a) in self.applications}

    def evidence_for_many(self, tenant, applications):
        return {a["application_id"]: self.evidence_for(tenant, a["application_id"],
                                                       credential_ids=a.get("credential_ids") or [])
                for a in applications}

    def scores_for(self, tenant, application_ids):
        return [{**_without_history(s), "_id": k} for k, s in self.scores.items()
                if k[0] == tenant and k[1] in application_ids]

    def insert_scores(self, docs):
        lost = []
        for doc in docs:
            key = (doc["tenant"], doc["application_id"], doc["role_id"])
            if key in self.scores:
                lost.append(key[:2])
            else:
                self.scores[key] = {k: copy.deepcopy(v) for k, v in doc.items() if k != "_id"}
        return lost

    def replace_scores(self, replacements):
        lost = []
        for doc, current in replacements:
            key = (doc["tenant"], doc["application_id"], doc["role_id"])
            if self.scores.get(key, {}).get("input_revision") != current["input_revision"]:
                lost.append(key[:2])
            else:
                self.save_score({k: v for k, v in doc.items() if k != "ranked_at"})
        return lost

    def mark_published_many(self, marks):
        for m in marks:
            self.mark_published(**m)

    def record_announcement(self, token):
        for doc in self.scores.values():
            if doc.get("announcement") == token:
                doc.update(pending_publish=False, published_fingerprint=doc["fingerprint"])

    def delete_scores(self, score_ids):
        for key in score_ids:
            self.scores.pop(key, None)

    def scores_of(self, tenant, application_id) -> list[dict]:
        """Test helper: every stored score of one application."""
        return [copy.deepcopy(s) for k, s in self.scores.items() if k[:2] == (tenant, application_id)]


class FakeTenants:
    """Answers TenantRepository.tenant_for_api_key from a fixed key -> tenant map."""

    def __init__(self, keys: dict[str, str]):
        self.keys = keys

    def tenant_for_api_key(self, presented: str) -> str | None:
        return self.keys.get(presented)


class RecordingPublisher:
    """A `publish` callable that keeps what it was given, and can be told to fail the next calls."""

    def __init__(self):
        self.events = []
        self.failures: list[Exception] = []

    def __call__(self, batch) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.events.extend(batch)


def _without_history(doc):
    return {k: copy.deepcopy(v) for k, v in doc.items() if k != "history"}


def _now():
    return datetime.now(timezone.utc)


# --- the API over these fakes, for tests of routes -----------------------------------------------
KEY_T1, KEY_T2 = "cbk_one.secret", "cbk_two.secret"


def api_client(repo: FakeMatchingRepository):
    """A test client of the matching app over `repo`, with API keys KEY_T1 (tenant t1) and KEY_T2 (t2)."""
    from services.matching.app import build_app
    return build_app(repo=repo, tenants=FakeTenants({KEY_T1: "t1", KEY_T2: "t2"}), ready_checks={}).test_client()


def bearer(key: str = KEY_T1) -> dict:
    return {"Authorization": f"Bearer {key}"}
