"""The write-back service's Prometheus metrics, declared once; labels come from small fixed sets only."""
from __future__ import annotations

from prometheus_client import Counter, Histogram

# provider: shared.tenants.PROVIDERS; outcome: written, unchanged, retrying, rate_limited, failed, disabled,
# awaiting_origin, superseded.
WRITES = Counter("credbridge_writeback_writes_total", "Write-back attempts, by provider and outcome.",
                 ["provider", "outcome"])
WRITE_SECONDS = Histogram("credbridge_writeback_write_seconds", "Time one write-back attempt took, by provider.",
                          ["provider"])
SCORES = Counter("credbridge_writeback_scores_total",
                 "scores.computed events handled, by whether a write-back was scheduled.", ["result"])
