"""Issuer trust: a tenant's registry of trusted DIDs, issuer ids and domains, and the check it decides."""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timezone
import re
from typing import Callable
from urllib.parse import urlsplit

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, PyMongoError

from services.verification import didweb
from shared.ttlcache import TTLCache
from services.verification.report import Check, failed, indeterminate, passed, skipped

ISSUER_TRUSTED = "issuer.trusted"
UNREGISTERED_FLAG = "issuer.unregistered"  # the report's `flags` entry for a flagged issuer
NOT_CHECKED_FLAG = "issuer.trust_not_checked"  # no tenant registry was consulted at all
KINDS = ("did", "issuer", "domain")
POLICIES = ("flag", "fail")  # what an unregistered issuer gets; "flag" is the default
MAX_VALUE = 500
_NETLOC = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@dataclass(frozen=True)
class Registry:
    entries: frozenset[tuple[str, str]]
    policy: str = "flag"


class Unreachable:
    """The registry could not be read: different from "not in it", and never read as trusted."""


UNREACHABLE = Unreachable()


def check(issuer_id: str | None, registry: Registry | Unreachable | None) -> Check:
    """issuer.trusted: passed if registered; unregistered is failed or only flagged (skipped) by policy."""
    if isinstance(registry, Unreachable):
        return indeterminate(ISSUER_TRUSTED, "the tenant's trust registry is unreachable, so trust is unknown")
    if registry is None:
        return skipped(ISSUER_TRUSTED, "not checked: no tenant trust registry was consulted")
    if issuer_id is None:
        return failed(ISSUER_TRUSTED, "the credential names no issuer to look up in the trust registry")
    kind = matching_kind(issuer_id, registry.entries)
    if kind is not None:
        return passed(ISSUER_TRUSTED, f"the issuer is in the tenant's trust registry (by {kind})")
    if registry.policy == "fail":
        return failed(ISSUER_TRUSTED, "the issuer is not in the tenant's trust registry")
    return skipped(ISSUER_TRUSTED, "flagged: the issuer is not in the tenant's trust registry")


def matching_kind(issuer_id: str, entries: frozenset[tuple[str, str]]) -> str | None:
    """Which kind of entry ("issuer", "did", "domain") admits this issuer, or None."""
    if ("issuer", issuer_id) in entries:
        return "issuer"
    did = issuer_id.split("#", 1)[0] if issuer_id.startswith("did:") else None
    if did is not None and ("did", did) in entries:
        return "did"
    host = issuer_domain(issuer_id)
    if host and any(kind == "domain" and (host == value or host.endswith("." + value)) for kind, value in entries):
        return "domain"
    return None


def issuer_domain(issuer_id: str) -> str | None:
    """The DNS name an issuer id is anchored to: an https URL's host, or a did:web's domain.

    Read exactly as the fetch reads it (didweb.location for a did:web; for an https URL only a plain
    host[:port], no user info), so no id is fetched from one host and trusted for another.
    """
    if issuer_id.startswith(didweb.PREFIX):
        try:
            return didweb.location(issuer_id).host
        except didweb.InvalidDidWeb:
            return None
    if issuer_id.startswith("https://"):
        netloc = urlsplit(issuer_id).netloc
        return netloc.rsplit(":", 1)[0].lower() if _NETLOC.fullmatch(netloc) else None
    return None


def normalise(kind: str, value: str) -> str:
    """The stored form of an entry, or ValueError saying why it cannot be one."""
    value = value.strip()
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if not value or len(value) > MAX_VALUE:
        raise ValueError("the value is empty or too long")
    if kind == "did" and not value.startswith("did:"):
        raise ValueError("a DID starts with 'did:'")
    if kind == "domain":
        value = value.lower().rstrip(".")
        if "/" in value or ":" in value or "." not in value:
            raise ValueError("a domain is a bare DNS name such as academy.example")
    return value.split("#", 1)[0] if kind == "did" else value


class TrustRepository:
    """`trust_entries` (tenant, kind, value) and `trust_policies` (one per tenant).

    Every change plans the re-judging of the tenant's stored verdicts under the new registry: the policy document
    gains a `retrust` plan (a revision, a cursor over credential ids), which the verification worker's Retruster
    walks (retrust.py). A change during a walk bumps the revision, and the walk starts over.
    """

    def __init__(self, db: Database):
        self.entries = db["trust_entries"]
        self.policies = db["trust_policies"]

    def ensure_indexes(self) -> None:
        self.entries.create_index([("tenant", ASCENDING), ("kind", ASCENDING), ("value", ASCENDING)],
                                  unique=True, name="tenant_kind_value_unique")
        # The retruster's every-second look for planned walks reads this index, not every tenant's policy.
        self.policies.create_index([("retrust.active", ASCENDING)], name="retrust_active", sparse=True)

    def add(self, tenant: str, kind: str, value: str) -> dict:
        doc = {"tenant": tenant, "kind": kind, "value": normalise(kind, value)}
        try:
            self.entries.insert_one({**doc, "added_at": datetime.now(timezone.utc)})
        except DuplicateKeyError:
            return doc  # adding twice is adding once
        self.plan_retrust(tenant)
        return doc

    def remove(self, tenant: str, kind: str, value: str) -> bool:
        result = self.entries.delete_one({"tenant": tenant, "kind": kind, "value": normalise(kind, value)})
        if result.deleted_count == 1:
            self.plan_retrust(tenant)
        return result.deleted_count == 1

    def list(self, tenant: str) -> list[dict]:
        return list(self.entries.find({"tenant": tenant}, {"_id": False, "kind": True, "value": True})
                    .sort([("kind", ASCENDING), ("value", ASCENDING)]))

    def set_policy(self, tenant: str, policy: str) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}")
        if self.policy(tenant) != policy:
            self.policies.update_one({"_id": tenant}, {"$set": {"unregistered": policy}}, upsert=True)
            self.plan_retrust(tenant)

    # --- re-judging stored verdicts after a change (retrust.py walks the plan) ------------------
    def plan_retrust(self, tenant: str) -> None:
        self.policies.update_one({"_id": tenant}, {"$inc": {"retrust.revision": 1}, "$set": {
            "retrust.active": True, "retrust.cursor": "", "retrust.slice": 0, "retrust.walks": 2,
            "retrust.changed_at": datetime.now(timezone.utc), "retrust.not_before": datetime.now(timezone.utc)}},
            upsert=True)

    def retrust_plans(self) -> builtins.list[dict]:  # `list` here is the method above
        """(tenant, plan) of every tenant whose stored verdicts are still to be re-judged."""
        return [{"tenant": d["_id"], **d["retrust"]} for d in self.policies.find({"retrust.active": True})]

    def advance_retrust(self, tenant: str, *, revision: int, cursor: str, slice_: int = 0) -> bool:
        """Moves the walk on (to `cursor` within slice `slice_` of the id space, services/verification/retrust.py);
        False when the registry changed meanwhile (the new plan starts over)."""
        done = self.policies.update_one({"_id": tenant, "retrust.revision": revision},
                                        {"$set": {"retrust.cursor": cursor, "retrust.slice": slice_}})
        return done.modified_count == 1 or done.matched_count == 1

    def finish_walk(self, tenant: str, *, revision: int, walks_left: int, not_before: datetime) -> None:
        fields = ({"retrust.cursor": "", "retrust.slice": 0, "retrust.walks": walks_left,
                   "retrust.not_before": not_before}
                  if walks_left else {"retrust.active": False})
        self.policies.update_one({"_id": tenant, "retrust.revision": revision}, {"$set": fields})

    def policy(self, tenant: str) -> str:
        doc = self.policies.find_one({"_id": tenant})
        return doc["unregistered"] if doc and doc.get("unregistered") in POLICIES else "flag"

    def registry(self, tenant: str) -> Registry | Unreachable:
        """The tenant's registry, or UNREACHABLE when the database cannot be read (never an empty registry)."""
        try:
            return self._read_registry(tenant)
        except PyMongoError:
            return UNREACHABLE

    def cached_registry(self, *, ttl_s: float) -> Callable[[str], Registry | Unreachable]:
        """`registry`, each tenant's reused for `ttl_s` (the worker's hot path: two reads per credential otherwise).

        An entry removed (or a policy tightened) counts from the next read, at most `ttl_s` later; an unreachable
        database is never cached, so it is not remembered as an empty registry either.
        """
        cache: TTLCache[Registry] = TTLCache(ttl_s=ttl_s)

        def registry(tenant: str) -> Registry | Unreachable:
            try:
                return cache.get(tenant, lambda: self._read_registry(tenant))
            except PyMongoError:
                return UNREACHABLE
        return registry

    def _read_registry(self, tenant: str) -> Registry:
        entries = frozenset((d["kind"], d["value"]) for d in self.list(tenant))
        return Registry(entries=entries, policy=self.policy(tenant))
