"""The checks every format shares once its proof is known: recipient, issuer trust, status; and when to look again."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.verification import credential, endorsements, recipient, schema_check, status, trust, vcjwt
from services.verification.fetching import Fetch
from services.verification.report import FAILED, INDETERMINATE, RECIPIENT, SKIPPED, VERIFIED, Check, verdict
from shared.settings import Settings


@dataclass
class Caches:
    """Long-lived caches a process hands every verification (the worker, the API app, one CLI run)."""
    status_lists: status.ListCache = field(default_factory=status.ListCache)
    schemas: schema_check.SchemaCache = field(default_factory=schema_check.SchemaCache)

    @classmethod
    def sized(cls, settings: Settings) -> "Caches":
        return cls(status_lists=status.ListCache(max_bytes=settings.verify_status_cache_bytes))


@dataclass(frozen=True)
class Inputs:
    """What the shared stage needs beyond the credential: who applied, the tenant's registry, the network."""
    emails: tuple[str, ...] = ()
    registry: trust.Registry | trust.Unreachable | None = None
    fetch: Fetch | None = None
    caches: Caches | None = None


def claimed_credential(*, jwt: str | None = None, document: object = None, url: str | None = None) -> dict | None:
    """The credential as submitted (the `vc` claim, a VC-JOSE-COSE payload, or the JSON document); a URL gives None."""
    if isinstance(document, dict) and isinstance(document.get("jwt"), str) and len(document) == 1:
        jwt, document = document["jwt"], None
    if jwt is not None:
        try:
            payload = vcjwt.parse_compact(jwt.strip())
        except (vcjwt.DecodeError, AttributeError):
            return None
        vc = payload.payload.get("vc")
        return vc if isinstance(vc, dict) else (payload.payload if credential.is_credential(payload.payload) else None)
    return document if isinstance(document, dict) else None


def recheck_basis(claimed: dict | None, report: dict) -> dict | None:
    """What a re-check needs to see whether the verdict changed: the status entries and the validity end.

    Neither the credential nor the applicant's emails are kept: the proof and the recipient cannot
    change later, only status and time can.
    """
    if report.get("recheck_at") is None or not isinstance(claimed, dict):
        return None
    credential_id = claimed.get("id")
    return {"credential_status": claimed.get("credentialStatus"), "valid_until": report.get("valid_until"),
            "credential_id": credential_id if isinstance(credential_id, str) else None,
            "issuer_id": (report.get("issuer") or {}).get("id")}


def apply(report: dict, *, claimed: dict | None, inputs: Inputs, verify_list: status.VerifyList,
          now: datetime, settings: Settings) -> dict:
    """The format step's report with recipient, trust and status checks added, the verdict recomputed.

    Only a credential whose format step verified (or could not decide) gets them: a forged or
    unsupported one is already settled, and fetching its status list would let a forger make us
    fetch any URL.
    """
    if claimed is None or report["verdict"] not in (VERIFIED, INDETERMINATE):
        return {**report, "status": None, "flags": [], "recheck_at": None, "endorsements": []}
    checks = [Check(c["code"], c["status"], c["message"]) for c in report["checks"] if c["code"] != RECIPIENT]
    issuer_id = (report.get("issuer") or {}).get("id")
    checks.append(recipient.check(claimed, inputs.emails))
    schema = schema_check.check(claimed, fetch=inputs.fetch, cache=(inputs.caches or Caches()).schemas, now=now)
    if schema is not None:
        checks.append(schema)
    if inputs.registry is not None:
        checks.append(trust.check(issuer_id, inputs.registry))
    outcome = _status(report, claimed=claimed, issuer_id=issuer_id, inputs=inputs, verify_list=verify_list,
                      now=now, settings=settings)
    checks.extend(outcome.checks)
    result = verdict(checks)
    return {**report, "verdict": result, "checks": [c.to_dict() for c in checks],
            "status": outcome.state or None,
            "flags": _flags(checks, inputs),
            # Reported beside the verdict, never part of it (endorsements.py).
            "endorsements": endorsements.check(claimed, registry=inputs.registry, verify=verify_list),
            "recheck_at": recheck_at(result, outcome, valid_until=report.get("valid_until"), settings=settings)}


def _status(report: dict, *, claimed: dict, issuer_id: str | None, inputs: Inputs,
            verify_list: status.VerifyList, now: datetime, settings: Settings) -> status.Outcome:
    if claimed.get("credentialStatus") is None:
        return status.Outcome(checks=[], expires_at=None, state={})
    ctx = status.Context(fetch=inputs.fetch, verify_list=verify_list,
                         cache=(inputs.caches or Caches()).status_lists, now=now,
                         default_ttl=timedelta(seconds=settings.status_ttl_s))
    return status.check(claimed, issuer_id=issuer_id, ctx=ctx)


def _flags(checks: list[Check], inputs: Inputs) -> list[str]:
    """Findings that do not change the verdict but a recruiter should see."""
    if inputs.registry is None:
        return [trust.NOT_CHECKED_FLAG]  # no tenant: nobody said which issuers to trust
    trusted = next((c for c in checks if c.code == trust.ISSUER_TRUSTED), None)
    return [trust.UNREGISTERED_FLAG] if trusted is not None and trusted.status == SKIPPED else []


def recheck_at(result: str, outcome: status.Outcome, *, valid_until: str | None, settings: Settings) -> str | None:
    """When this verdict may change: a list's TTL ends, the credential expires. None: it cannot change."""
    if result == FAILED and outcome.state.get("suspended") is not True:
        return None  # forged, revoked, expired, someone else's: a later look cannot make it valid
    moments = [outcome.expires_at] if outcome.expires_at is not None else []
    if valid_until is not None and result != FAILED:
        # validity.expiry fails once now - skew >= validUntil: look just after that.
        moments.append(datetime.fromisoformat(valid_until) + timedelta(seconds=settings.clock_skew_s + 1))
    return min(moments).isoformat() if moments else None
