"""The write-back service's MongoDB collections behind named methods.

- `writeback_origins`: where each application lives in its ATS (provider, candidate id, the ATS's own refs).
- `writebacks`: one document per (tenant, application): its provider, the score to show (`desired`, newest
  `computed_at` wins), what was last written (`remote` ids in the ATS, `written_hash`, `written_at`, `outcome`),
  and the retry state (`due_at`, `attempts`, `lease_until`, `last_error`). `desired_rev` counts score changes, so a
  write that finishes after a newer score arrived leaves the record due.
- `writeback_configs`: each connection's opt-in configuration (secrets encrypted).
- `writeback_limits`: per connection, until when the ATS asked us to wait (shared by every worker process).
- `writeback_assessments`: Greenhouse Assessment tests sent to us (partner_interview_id -> tenant, application, the
  URL to PATCH when its result changes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.events import derive_id
from shared.mongo import due_by
from shared.tenants import TenantRepository
from shared.ttlcache import TTLCache

from services.writeback.clients import Origin
from services.writeback.config import SECRET_KEYS, WritebackConfig, default_config

_NO_ID = {"_id": False}
EPOCH = datetime.fromtimestamp(0, timezone.utc)


def utcnow() -> datetime:
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def application_key(tenant: str, application_id: str) -> str:
    """The _id of an application's origin and of its write-back record."""
    return f"{tenant}\x1f{application_id}"


@dataclass(frozen=True)
class OriginNote:
    """What an application event says of where the application lives: stored with `$set`, so a later note
    keeps an earlier one's candidate id (when it has none) and refs (of other kinds)."""
    tenant: str
    application_id: str
    provider: str
    candidate_id: str | None = None
    refs: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return application_key(self.tenant, self.application_id)

    def then(self, later: "OriginNote") -> "OriginNote":
        """The stored origin after this note and then `later`."""
        return OriginNote(self.tenant, self.application_id, later.provider,
                          later.candidate_id or self.candidate_id, {**self.refs, **later.refs})

    def fields(self) -> dict:
        fields: dict = {"tenant": self.tenant, "application_id": self.application_id, "provider": self.provider}
        if self.candidate_id:
            fields["candidate_id"] = self.candidate_id
        # A ref's kind has dots ("lever.opportunity"), which MongoDB would read as a path: stored with ":".
        fields.update({f"refs.{k.replace('.', ':')}": v for k, v in self.refs.items()})
        return fields


class WritebackRepository:
    def __init__(self, db: Database, tenants: TenantRepository, *, config_ttl_s: float = 0.0):
        """`config_ttl_s`: how long `config` reuses what it read (the worker's score path; 0 reads every time).
        This process's own changes are seen at once; another's within the TTL."""
        self.origins = db["writeback_origins"]
        self.records = db["writebacks"]
        self.configs = db["writeback_configs"]
        self.limits = db["writeback_limits"]
        self.assessments = db["writeback_assessments"]
        self.tenants = tenants
        self._configs: TTLCache[WritebackConfig] = TTLCache(ttl_s=config_ttl_s)

    def ensure_indexes(self) -> None:
        self.records.create_index([("tenant", ASCENDING), ("application_id", ASCENDING)], unique=True)
        self.records.create_index([("due_at", ASCENDING)])
        self.records.create_index([("tenant", ASCENDING), ("outcome", ASCENDING)])
        self.configs.create_index([("tenant", ASCENDING), ("provider", ASCENDING)], unique=True)

    # --- origins ------------------------------------------------------------------------------
    def record_origin(self, tenant: str, application_id: str, *, provider: str, candidate_id: str | None,
                      refs: dict) -> None:
        note = OriginNote(tenant, application_id, provider, candidate_id, refs)
        self.origins.update_one({"_id": note.key}, {"$set": note.fields()}, upsert=True)

    def record_origins(self, notes: list[OriginNote], *, now: datetime) -> None:
        """record_origin then wake for each (one note per application): one bulk upsert, one update per provider."""
        if not notes:
            return
        self.origins.bulk_write([UpdateOne({"_id": n.key}, {"$set": n.fields()}, upsert=True) for n in notes],
                                ordered=False)
        for provider in {n.provider for n in notes}:
            keys = [n.key for n in notes if n.provider == provider]
            self.records.update_many({"_id": {"$in": keys}, "outcome": "awaiting_origin"},
                                     {"$set": {"due_at": now, "provider": provider}})

    def origin(self, tenant: str, application_id: str) -> Origin | None:
        doc = self.origins.find_one({"_id": application_key(tenant, application_id)})
        if doc is None:
            return None
        return Origin(tenant=tenant, application_id=application_id, provider=doc["provider"],
                      candidate_id=doc.get("candidate_id"),
                      refs={k.replace(":", "."): v for k, v in (doc.get("refs") or {}).items()})

    # --- records -------------------------------------------------------------------------------
    def want(self, tenant: str, application_id: str, *, provider: str | None, desired: dict,
             computed_at: datetime, now: datetime) -> bool:
        """Stores the score to show if it is newer than the one stored; returns whether it was."""
        key = application_key(tenant, application_id)
        fields: dict = {"tenant": tenant, "application_id": application_id, "desired": desired,
                        "desired_at": computed_at, "due_at": now, "attempts": 0, "outcome": "pending",
                        "last_error": None}
        if provider:
            fields["provider"] = provider
        update = {"$set": fields, "$inc": {"desired_rev": 1}}
        try:
            result = self.records.update_one(
                {"_id": key, "$or": [{"desired_at": {"$lt": computed_at}}, {"desired_at": None}]}, update, upsert=True)
        except DuplicateKeyError:
            return False  # a newer score is stored already
        return result.matched_count + (1 if result.upserted_id is not None else 0) > 0

    def due(self, *, now: datetime, limit: int, skip: list[tuple[str, str]] | None = None) -> list[dict]:
        """Records due now, oldest first, leaving out the connections in `skip` and those the ATS asked to wait."""
        skip = [*(skip or []), *self.blocked_connections(now)]
        query: dict = {"due_at": due_by(now)}
        if skip:
            query["$nor"] = [{"tenant": t, "provider": p} for t, p in skip]
        found = self.records.find(query).sort("due_at", ASCENDING).limit(limit)
        return [doc for doc in found if (doc.get("lease_until") or EPOCH) <= now]

    def claim(self, record: dict, *, now: datetime, lease_until: datetime) -> dict | None:
        """Leases a due record to this process; None when another process took it first."""
        return self.records.find_one_and_update(
            {"_id": record["_id"], "desired_rev": record.get("desired_rev"),
             "lease_until": record.get("lease_until")},
            {"$set": {"lease_until": lease_until}}, return_document=ReturnDocument.AFTER)

    def checkpoint(self, record: dict, remote: dict) -> None:
        self.records.update_one({"_id": record["_id"]}, {"$set": {"remote": remote}})

    def finish(self, record: dict, *, fields: dict, due_at: datetime | None) -> None:
        """Stores an attempt's result and releases the lease; stays due if a newer score arrived meanwhile."""
        self.records.update_one({"_id": record["_id"]}, {"$set": {**fields, "lease_until": None}})
        self.records.update_one({"_id": record["_id"], "desired_rev": record.get("desired_rev")},
                                {"$set": {"due_at": due_at}})

    def replay(self, tenant: str, *, now: datetime, application_id: str | None = None,
               provider: str | None = None) -> int:
        """Makes a tenant's failed write-backs due again with fresh attempts; returns how many.

        Only failed records: one waiting or retrying is due already, and a written one has nothing to replay.
        """
        query: dict = {"tenant": tenant, "outcome": "failed"}
        if application_id is not None:
            query["application_id"] = application_id
        if provider is not None:
            query["provider"] = provider
        result = self.records.update_many(query, {"$set": {"due_at": now, "attempts": 0, "outcome": "pending",
                                                          "replayed_at": now}})
        return result.modified_count

    def rewrite(self, tenant: str, application_id: str, *, now: datetime) -> None:
        """The ATS needs the current result again (a new assessment URL): due now, even if it was written."""
        self.records.update_one({"_id": application_key(tenant, application_id), "desired": {"$exists": True}},
                                {"$set": {"due_at": now, "written_hash": None, "attempts": 0}})

    def get(self, tenant: str, application_id: str) -> dict | None:
        return self.records.find_one({"_id": application_key(tenant, application_id)}, _NO_ID)

    def summary(self, tenant: str, *, failures: int = 20) -> dict:
        counts: dict[str, dict[str, int]] = {}
        for doc in self.records.find({"tenant": tenant}, {"provider": 1, "outcome": 1}):
            by = counts.setdefault(doc.get("provider") or "unknown", {})
            by[doc.get("outcome") or "pending"] = by.get(doc.get("outcome") or "pending", 0) + 1
        bad = self.records.find({"tenant": tenant, "outcome": {"$in": ["failed", "retrying", "rate_limited",
                                                                      "awaiting_origin"]}},
                                {"_id": 0, "application_id": 1, "provider": 1, "outcome": 1, "attempts": 1,
                                 "last_error": 1, "due_at": 1, "written_at": 1}).limit(failures)
        return {"counts": counts, "not_written": list(bad)}

    # --- configuration ------------------------------------------------------------------------
    def config(self, tenant: str, provider: str) -> WritebackConfig:
        return self._configs.get((tenant, provider), lambda: self._read_config(tenant, provider))

    def _read_config(self, tenant: str, provider: str) -> WritebackConfig:
        doc = self.configs.find_one({"tenant": tenant, "provider": provider}, _NO_ID)
        if doc is None:
            return default_config(tenant, provider)
        sealed = doc.pop("secrets", {}) or {}
        return WritebackConfig(**{**doc, "secrets": {k: self.tenants.unseal(v) for k, v in sealed.items()}})

    def configs_of(self, tenant: str) -> list[WritebackConfig]:
        return [self.config(tenant, d["provider"]) for d in self.configs.find({"tenant": tenant}, {"provider": 1})]

    def save_config(self, config: WritebackConfig) -> None:
        doc = config.public()
        doc.pop("secrets_stored")
        doc["secrets"] = {k: self.tenants.seal(v) for k, v in config.secrets.items() if k in SECRET_KEYS and v}
        self.configs.replace_one({"tenant": config.tenant, "provider": config.provider}, doc, upsert=True)
        self._configs.forget((config.tenant, config.provider))

    # --- Greenhouse assessments -------------------------------------------------------------------
    def start_assessment(self, tenant: str, application_id: str, *, test_id: str, url: str, now: datetime) -> str:
        """Stores a sent test; the same test sent again for the same application keeps its id."""
        interview_id = derive_id("greenhouse.assessment", tenant, application_id, test_id)
        self.assessments.update_one({"_id": interview_id}, {"$set": {
            "tenant": tenant, "application_id": application_id, "test_id": test_id, "url": url, "sent_at": now}},
            upsert=True)
        return interview_id

    def assessment(self, tenant: str, interview_id: str) -> dict | None:
        return self.assessments.find_one({"_id": interview_id, "tenant": tenant})

    # --- rate limits ---------------------------------------------------------------------------
    def block(self, tenant: str, provider: str, *, until: datetime) -> None:
        self.limits.update_one({"_id": f"{tenant}\x1f{provider}"},
                               {"$max": {"blocked_until": until}, "$set": {"tenant": tenant, "provider": provider}},
                               upsert=True)

    def blocked_connections(self, now: datetime) -> list[tuple[str, str]]:
        return [(d["tenant"], d["provider"]) for d in self.limits.find({"blocked_until": {"$gt": now}})]

    def blocked_until(self, tenant: str, provider: str) -> datetime | None:
        doc = self.limits.find_one({"_id": f"{tenant}\x1f{provider}"})
        return doc.get("blocked_until") if doc else None
