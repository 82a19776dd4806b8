"""Ingest's Prometheus metrics, declared once; labels are provider names and outcomes only."""
from prometheus_client import Counter

WEBHOOKS = Counter("credbridge_ingest_webhooks_total", "Webhook deliveries answered, by provider and outcome.",
                   ["provider", "outcome"])
SIGNATURE_FAILURES = Counter("credbridge_ingest_signature_failures_total", "Webhooks whose authentication failed.",
                             ["provider"])
DUPLICATES = Counter("credbridge_ingest_duplicates_total", "Redelivered webhooks answered without re-publishing.",
                     ["provider"])
