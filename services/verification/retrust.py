"""Re-judging stored verdicts when a tenant's trust registry changes, so their scores change without a new webhook.

`credbridge trust add/remove/policy` plans it (TrustRepository.plan_retrust); the verification worker's Retruster
walks the tenant's verdicts in credential-id order, RETRUST_BATCH at a time, redoing what the registry decides —
the issuer.trusted check (and so the verdict under the "fail" policy), the issuer.unregistered flag, and each
verified endorsement's `endorser_trusted` — and nothing else (proof, recipient, status are as stored). A report that
changed is stored as the verdict's next revision and published on credentials.verified, whose handler in matching
re-scores its application (the score stamped with the current score_version, its explanation naming the new tier).

A walk goes through the id space in SLICES ranges, each bounded at both ends (credential ids are hex digests, so
each holds about 1/256 of the tenant's verdicts; any other id falls in the range its order puts it in): a batch
then costs at most its slice on any server, where an open `$gt cursor` range with a limit costs the whole rest of
the tenant's verdicts on secantusdb (bench/repro/secantusdb_sort_limit.py) and held the local database for
seconds per batch at 10,000 applications (docs/performance.md).

Two walks: the first at once, the second once SETTLE_S have passed since the change, for verdicts whose verification
read the old registry while the first walk passed them. A registry that cannot be read leaves the plan for the next
pass; a change during a walk starts it over.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from services.verification import trust
from services.verification.handlers import Publish, publishable, verified_event
from services.verification.periodic import PeriodicPass
from services.verification.report import SKIPPED, VERIFIED, Check, verdict
from services.verification.repository import VerdictRepository
from shared.settings import Settings

RETRUST_BATCH = 200
INTERVAL_S = 1.0
EXTRA_SETTLE_S = 30.0  # beyond the fetch budget's seconds: a verification in flight during a change has ended by then
BOUNDS = [f"{i:02x}" for i in range(1, 256)]  # slice k is [BOUNDS[k-1], BOUNDS[k]), the first and last open-ended
SLICES = len(BOUNDS) + 1


def slice_range(k: int) -> tuple[str | None, str | None]:
    """Slice k of the credential-id space: (inclusive start, exclusive end), None where it is open."""
    return (BOUNDS[k - 1] if k > 0 else None), (BOUNDS[k] if k < len(BOUNDS) else None)


def retrusted(report: dict, registry: trust.Registry) -> dict | None:
    """The report with what `registry` decides redone; None when that changes nothing (or was never decided:
    a credential whose own proof failed got no trust check, and needs none)."""
    checks = report.get("checks") or []
    if not any(c.get("code") == trust.ISSUER_TRUSTED for c in checks):
        return None
    decided = trust.check((report.get("issuer") or {}).get("id"), registry)
    new_checks = [decided.to_dict() if c["code"] == trust.ISSUER_TRUSTED else c for c in checks]
    flags = [f for f in report.get("flags") or [] if f != trust.UNREGISTERED_FLAG]
    if decided.status == SKIPPED:
        flags.append(trust.UNREGISTERED_FLAG)
    endorsed = [_endorsement(e, registry) for e in report.get("endorsements") or []]
    new = {**report, "checks": new_checks, "flags": flags, "endorsements": endorsed,
           "verdict": verdict(Check(c["code"], c["status"], c["message"]) for c in new_checks)}
    keys = ("checks", "flags", "endorsements", "verdict")
    return new if any(new[k] != report.get(k) for k in keys) else None


def _endorsement(entry: dict, registry: trust.Registry) -> dict:
    endorser = (entry.get("endorser") or {}).get("id") if isinstance(entry, dict) else None
    if not isinstance(entry, dict) or entry.get("verdict") != VERIFIED or not isinstance(endorser, str):
        return entry
    return {**entry, "endorser_trusted": trust.matching_kind(endorser, registry.entries) is not None}


def retrust_pass(*, trust_repo: trust.TrustRepository, verdicts: VerdictRepository, publish: Publish,
                 settings: Settings, now: datetime, batch: int = RETRUST_BATCH) -> int:
    """One batch of every planned walk that is due; returns how many new verdicts were published."""
    published = 0
    for plan in trust_repo.retrust_plans():
        if _aware(plan["not_before"]) <= now:
            published += _walk_batch(plan, trust_repo=trust_repo, verdicts=verdicts, publish=publish,
                                     settings=settings, now=now, batch=batch)
    return published


def _walk_batch(plan: dict, *, trust_repo: trust.TrustRepository, verdicts: VerdictRepository, publish: Publish,
                settings: Settings, now: datetime, batch: int) -> int:
    tenant, revision = plan["tenant"], plan["revision"]
    registry = trust_repo.registry(tenant)
    if not isinstance(registry, trust.Registry):
        return 0  # unreachable: never read as empty, try again next pass
    k: int = plan.get("slice", 0)
    cursor: str = plan["cursor"]
    docs: list[dict] = []
    done = False
    while True:  # up to `batch` verdicts from this slice on, each query bounded by its slice
        start, below = slice_range(k)
        found = verdicts.for_tenant(tenant, after=cursor, start=start, below=below, limit=batch - len(docs))
        docs += found
        if len(docs) == batch:
            cursor = found[-1]["credential_id"]  # this slice may hold more: go on from here next pass
            break
        if k == SLICES - 1:
            done = True
            break
        k, cursor = k + 1, ""
    published = 0
    for doc in docs:
        report = retrusted(doc["report"], registry)
        stored = verdicts.replace_report(doc, report) if report is not None else None
        # None: unchanged, or another writer (the re-check) stored a revision first; the second walk sees it.
        if stored is not None:
            publish([verified_event(publishable(stored, settings))])
            verdicts.mark_published(stored)
            published += 1
    if not done:
        trust_repo.advance_retrust(tenant, revision=revision, cursor=cursor, slice_=k)
    else:
        settle = timedelta(seconds=settings.verify_fetch_budget_s + EXTRA_SETTLE_S)
        trust_repo.finish_walk(tenant, revision=revision, walks_left=max(0, plan.get("walks", 1) - 1),
                               not_before=_aware(plan["changed_at"]) + settle)
    return published


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # BSON dates come back naive


class Retruster(PeriodicPass):
    """The verification worker's thread re-judging verdicts after registry changes, every INTERVAL_S. With the
    database or broker away, the plan stays where it was and the next pass goes on from there."""

    def __init__(self, *, trust_repo: trust.TrustRepository, verdicts: VerdictRepository, publish: Publish,
                 settings: Settings, interval_s: float = INTERVAL_S,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        super().__init__(name="retrust", interval_s=interval_s)
        self.trust_repo, self.verdicts, self.publish, self.settings = trust_repo, verdicts, publish, settings
        self.clock = clock

    def run_pass(self) -> None:
        retrust_pass(trust_repo=self.trust_repo, verdicts=self.verdicts, publish=self.publish,
                     settings=self.settings, now=self.clock())
