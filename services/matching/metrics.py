"""The matching service's Prometheus metrics, declared once; labels come from small fixed sets only."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SCORES_COMPUTED = Counter("credbridge_matching_scores_computed_total", "Scores stored, by status.", ["status"])
SCORE = Histogram("credbridge_matching_score", "Distribution of stored scores (scored applications only).",
                  buckets=tuple(range(0, 101, 10)))
ROLES_RESCORED = Counter("credbridge_matching_rescore_batches_total",
                         "Batches of applications re-scored after a role change, by outcome.", ["outcome"])
RESCORE_FAILURES = Counter("credbridge_matching_score_failures_total",
                           "Applications whose scoring raised an unexpected error (logged; scored again with their next event).")
# Set by the one re-scorer thread per worker process; the latest write is the backlog.
RESCORE_BACKLOG = Gauge("credbridge_matching_rescore_backlog_roles", "Roles whose applications await re-scoring.",
                        multiprocess_mode="mostrecent")


def record_score(*, status: str, score: int | None) -> None:
    SCORES_COMPUTED.labels(status=status).inc()
    if score is not None:
        SCORE.observe(score)
