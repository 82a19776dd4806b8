"""The verification service's Prometheus metrics, declared once; labels only from small fixed sets."""
from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Histogram

# format: verify.FORMATS; verdict: shared.events.VERDICTS. Never a credential, issuer or tenant id.
VERDICTS = Counter("credbridge_verification_verdicts_total", "Credentials verified, by format and verdict.",
                   ["format", "verdict"])
SECONDS = Histogram("credbridge_verification_seconds", "Time to verify one credential.", ["format"])


# code: the fixed check codes in report.py; status: failed or indeterminate (what an operator chases).
CHECKS_NOT_PASSED = Counter("credbridge_verification_checks_not_passed_total",
                            "Checks that failed or were indeterminate, by check code.", ["code", "status"])



def record(fmt: str, verdict: str, seconds: float, *, checks: Sequence[dict] = ()) -> None:
    VERDICTS.labels(format=fmt, verdict=verdict).inc()
    SECONDS.labels(format=fmt).observe(seconds)
    for check in checks:
        if check["status"] in ("failed", "indeterminate"):
            CHECKS_NOT_PASSED.labels(code=check["code"], status=check["status"]).inc()


# kind: status_list / ob2 / json_schema; outcome: ok / refused / failed / http_error / budget. Never a URL.
FETCHES = Counter("credbridge_verification_fetches_total", "External fetches while verifying, by kind and outcome.",
                  ["kind", "outcome"])
CACHE = Counter("credbridge_verification_cache_total", "Verifier cache look-ups, by kind and result (hit/miss).",
                ["kind", "result"])
RECHECKS = Counter("credbridge_verification_rechecks_total", "Scheduled re-checks, by whether the verdict changed.",
                   ["changed"])


def fetch(kind: str, outcome: str) -> None:
    FETCHES.labels(kind=kind, outcome=outcome).inc()


def cache(kind: str, *, hit: bool) -> None:
    CACHE.labels(kind=kind, result="hit" if hit else "miss").inc()
