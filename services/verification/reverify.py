"""Re-verification: when a stored verdict is due, look again at what can change (status lists, expiry) and
publish a new verdict if it changed, so that matching re-scores the application."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable

from services.verification import fetch_budget, metrics, stage, status
from services.verification.handlers import Publish, publishable, verified_event
from services.verification.periodic import PeriodicPass
from services.verification.report import VALIDITY_EXPIRY, Check, failed, verdict
from services.verification.repository import VerdictRepository
from services.verification.verifier import Verifier
from services.verification.verify import verify_list_credential
from shared.settings import Settings

BATCH = 100


def recheck_report(report: dict, basis: dict, *, verifier: Verifier, now: datetime) -> dict:
    """The stored report with its expiry and status checks redone at `now`; every other check stands.

    The proof, structure and recipient of a credential cannot change after it was verified; its
    status list and the clock can (Bitstring Status List v1.0 §2.2 ttl; VC DM 2.0 §4.9 validUntil).
    """
    settings = verifier.settings
    checks = [Check(c["code"], c["status"], c["message"]) for c in report["checks"]
              if not c["code"].startswith(status.STATUS)]
    checks = [_expiry(c, basis.get("valid_until"), now=now, skew_s=settings.clock_skew_s) for c in checks]
    outcome = status.Outcome(checks=[], expires_at=None, state={})
    if basis.get("credential_status") is not None:
        ctx = status.Context(fetch=verifier.fetch, cache=verifier.caches.status_lists, now=now,
                             verify_list=partial(verify_list_credential, now=now, settings=settings),
                             default_ttl=timedelta(seconds=settings.status_ttl_s))
        claimed = {"credentialStatus": basis["credential_status"], "id": basis.get("credential_id")}
        with fetch_budget.opened(settings):  # a list past the budget is reported as not fetched
            outcome = status.check(claimed, issuer_id=basis.get("issuer_id"), ctx=ctx)
    checks += outcome.checks
    result = verdict(checks)
    return {**report, "verdict": result, "checks": [c.to_dict() for c in checks], "status": outcome.state or None,
            "recheck_at": stage.recheck_at(result, outcome, valid_until=basis.get("valid_until"), settings=settings),
            "checked_at": now.isoformat()}


def _expiry(check: Check, valid_until: str | None, *, now: datetime, skew_s: int) -> Check:
    if check.code != VALIDITY_EXPIRY or valid_until is None:
        return check
    end = datetime.fromisoformat(valid_until)
    if now - timedelta(seconds=skew_s) >= end:
        return failed(VALIDITY_EXPIRY, f"expired at {end.isoformat()}")
    return check


def changed(old: dict, new: dict) -> bool:
    """A new verdict is published when the verdict or what the status lists say has changed."""
    return old.get("verdict") != new["verdict"] or (old.get("status") or {}) != (new.get("status") or {})


def recheck_due(*, repo: VerdictRepository, publish: Publish, verifier: Verifier, now: datetime,
                lease: timedelta, limit: int = BATCH) -> int:
    """Re-checks every verdict due by `now` (up to `limit`); returns how many new verdicts were published."""
    _publish_pending(repo, publish, limit=limit, settings=verifier.settings)
    published = 0
    for doc in repo.claim_due(now, limit=limit, lease=lease):
        basis = doc.get("recheck_basis")
        report = recheck_report(doc["report"], basis, verifier=verifier, now=now) if basis else {"recheck_at": None}
        if basis is None or not changed(doc["report"], report):
            metrics.RECHECKS.labels(changed="no").inc()
            repo.reschedule(doc, report)
            continue
        stored = repo.replace_report(doc, report)
        if stored is not None:  # None: another worker stored this revision first, and publishes it
            publish([verified_event(publishable(stored, verifier.settings))])
            repo.mark_published(stored)
            published += 1
            metrics.RECHECKS.labels(changed="yes").inc()
    return published


def _publish_pending(repo: VerdictRepository, publish: Publish, *, limit: int, settings: Settings) -> None:
    # A new revision is stored before it is published; one whose publish failed is published here.
    for stored in repo.unpublished(limit=limit):
        publish([verified_event(publishable(stored, settings))])
        repo.mark_published(stored)


class Rechecker(PeriodicPass):
    """The verification worker's background re-check loop: every `recheck_interval_s`, until stopped. With the
    database or broker away, the claimed verdicts come due again after their lease."""

    def __init__(self, *, repo: VerdictRepository, publish: Publish, verifier: Verifier,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        super().__init__(name="recheck", interval_s=verifier.settings.recheck_interval_s)
        self.repo, self.publish, self.verifier, self.clock = repo, publish, verifier, clock
        # A lease longer than a pass: a worker that dies mid-pass leaves its claims for another to retry.
        self.lease = timedelta(seconds=max(60.0, 4 * self.interval))

    def run_pass(self) -> None:
        recheck_due(repo=self.repo, publish=self.publish, verifier=self.verifier, now=self.clock(), lease=self.lease)
