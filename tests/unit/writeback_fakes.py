"""An in-memory stand-in for the write-back repository, for unit tests that run no servers."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from shared.events import derive_id

from services.writeback.clients import Origin
from services.writeback.config import WritebackConfig, default_config

EPOCH = datetime.fromtimestamp(0, timezone.utc)


class FakeWritebackRepository:
    """Same methods and guarantees as WritebackRepository, over dicts (secrets kept as given)."""

    def __init__(self):
        self.origins: dict[tuple, Origin] = {}
        self.records: dict[tuple, dict] = {}
        self.configs: dict[tuple, WritebackConfig] = {}
        self.limits: dict[tuple, datetime] = {}
        self.assessments: dict[str, dict] = {}
        self.writes: list[int] = []  # record_origins calls: how many origins each wrote

    def record_origin(self, tenant, application_id, *, provider, candidate_id, refs):
        old = self.origins.get((tenant, application_id))
        self.origins[(tenant, application_id)] = Origin(
            tenant=tenant, application_id=application_id, provider=provider,
            candidate_id=candidate_id or (old.candidate_id if old else None), refs={**(old.refs if old else {}), **refs})

    def origin(self, tenant, application_id):
        return self.origins.get((tenant, application_id))

    def want(self, tenant, application_id, *, provider, desired, computed_at, now):
        rec = self.records.get((tenant, application_id))
        if rec is not None and rec.get("desired_at") is not None and rec["desired_at"] >= computed_at:
            return False
        rec = rec or {"_id": (tenant, application_id), "tenant": tenant, "application_id": application_id}
        rec.update(desired=copy.deepcopy(desired), desired_at=computed_at, due_at=now, attempts=0, outcome="pending",
                   last_error=None, desired_rev=rec.get("desired_rev", 0) + 1)
        if provider:
            rec["provider"] = provider
        self.records[(tenant, application_id)] = rec
        return True

    def record_origins(self, notes, *, now):
        self.writes.append(len(notes))
        for n in notes:
            self.record_origin(n.tenant, n.application_id, provider=n.provider, candidate_id=n.candidate_id,
                               refs=n.refs)
            rec = self.records.get((n.tenant, n.application_id))
            if rec is not None and rec.get("outcome") == "awaiting_origin":
                rec.update(due_at=now, provider=n.provider)

    def due(self, *, now, limit, skip=None):
        skip = set(skip or []) | set(self.blocked_connections(now))
        found = sorted((r for r in self.records.values() if r.get("due_at") is not None and r["due_at"] <= now
                        and (r["tenant"], r.get("provider")) not in skip
                        and (r.get("lease_until") or EPOCH) <= now), key=lambda r: r["due_at"])
        return [copy.deepcopy(r) for r in found[:limit]]

    def claim(self, record, *, now, lease_until):
        rec = self.records[record["_id"]]
        if rec.get("desired_rev") != record.get("desired_rev") or rec.get("lease_until") != record.get("lease_until"):
            return None
        rec["lease_until"] = lease_until
        return copy.deepcopy(rec)

    def checkpoint(self, record, remote):
        self.records[record["_id"]]["remote"] = copy.deepcopy(remote)

    def finish(self, record, *, fields, due_at):
        rec = self.records[record["_id"]]
        rec.update(copy.deepcopy(fields), lease_until=None)
        if rec.get("desired_rev") == record.get("desired_rev"):
            rec["due_at"] = due_at

    def replay(self, tenant, *, now, application_id=None, provider=None):
        hits = [r for r in self.records.values() if r["tenant"] == tenant and r.get("outcome") == "failed"
                and application_id in (None, r["application_id"]) and provider in (None, r.get("provider"))]
        for rec in hits:
            rec.update(due_at=now, attempts=0, outcome="pending", replayed_at=now)
        return len(hits)

    def rewrite(self, tenant, application_id, *, now):
        rec = self.records.get((tenant, application_id))
        if rec is not None and "desired" in rec:
            rec.update(due_at=now, written_hash=None, attempts=0)

    def get(self, tenant, application_id):
        rec = self.records.get((tenant, application_id))
        return copy.deepcopy(rec) if rec else None

    def config(self, tenant, provider):
        return self.configs.get((tenant, provider)) or default_config(tenant, provider)

    def save_config(self, config):
        self.configs[(config.tenant, config.provider)] = config

    def start_assessment(self, tenant, application_id, *, test_id, url, now):
        interview_id = derive_id("greenhouse.assessment", tenant, application_id, test_id)
        self.assessments[interview_id] = {"_id": interview_id, "tenant": tenant, "application_id": application_id,
                                          "test_id": test_id, "url": url, "sent_at": now}
        return interview_id

    def assessment(self, tenant, interview_id):
        found = self.assessments.get(interview_id)
        return found if found and found["tenant"] == tenant else None

    def block(self, tenant, provider, *, until):
        self.limits[(tenant, provider)] = max(until, self.limits.get((tenant, provider), until))

    def blocked_connections(self, now):
        return [k for k, until in self.limits.items() if until > now]

    def blocked_until(self, tenant, provider):
        return self.limits.get((tenant, provider))
