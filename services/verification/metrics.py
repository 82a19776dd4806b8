"""The verification service's Prometheus metrics, declared once; labels only from small fixed sets."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

# format: verify.FORMATS; verdict: shared.events.VERDICTS. Never a credential, issuer or tenant id.
VERDICTS = Counter("credbridge_verification_verdicts_total", "Credentials verified, by format and verdict.",
                   ["format", "verdict"])
SECONDS = Histogram("credbridge_verification_seconds", "Time to verify one credential.", ["format"])


def record(fmt: str, verdict: str, seconds: float) -> None:
    VERDICTS.labels(format=fmt, verdict=verdict).inc()
    SECONDS.labels(format=fmt).observe(seconds)
