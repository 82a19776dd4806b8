"""Settings read from environment variables, with defaults that match `make run`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


class UnsafeSettings(ValueError):
    """A setting meant for local runs only, met in production: the process refuses to start."""


@dataclass(frozen=True)
class Settings:
    """Every server address and tunable lives here; nothing else reads the environment.

    Each field's default is what `make run` uses, so the CLI works beside it unconfigured.
    The README's settings table is generated from the `doc` metadata below.
    """

    kafka_bootstrap_servers: str = field(default="127.0.0.1:9092", metadata={"env": "KAFKA_BOOTSTRAP_SERVERS", "doc": "Kafka bootstrap servers, comma-separated."})
    kafka_topic_partitions: int = field(default=3, metadata={"env": "KAFKA_TOPIC_PARTITIONS", "doc": "Partitions per topic when credbridge creates its topics."})
    kafka_replication_factor: int = field(default=1, metadata={"env": "KAFKA_REPLICATION_FACTOR", "doc": "Replication factor for created topics, created with min.insync.replicas=2 from 3 up. Outside CREDBRIDGE_ENV=development, fewer than 3 is refused at start."})
    kafka_publish_timeout_s: float = field(default=5.0, metadata={"env": "KAFKA_PUBLISH_TIMEOUT_SECONDS", "doc": "How long a webhook waits for the broker's ack before answering 503."})
    kafka_max_record_bytes: int = field(default=1_048_576, metadata={"env": "KAFKA_MAX_RECORD_BYTES", "doc": "Largest Kafka record credbridge publishes (the producer's max_request_size; the broker's message.max.bytes must be at least this). A larger record is refused at once, never retried: a webhook answers 413, a worker dead-letters the message that produced it."})
    mongo_uri: str = field(default="mongodb://127.0.0.1:27017/?retryWrites=false", metadata={"env": "MONGO_URI", "doc": "MongoDB connection string."})
    mongo_db: str = field(default="credbridge", metadata={"env": "MONGO_DB", "doc": "MongoDB database name."})
    environment: str = field(default="production", metadata={"env": "CREDBRIDGE_ENV", "doc": "`development` allows what only a local run may: an empty CREDBRIDGE_SECRETS_KEY (a fixed key printed in the source). make sets it for run, demo, bench and test; anything else is production."})
    secrets_key: str = field(default="", metadata={"env": "CREDBRIDGE_SECRETS_KEY", "doc": "Fernet key encrypting webhook secrets at rest. Empty: refused at start, unless CREDBRIDGE_ENV=development (then a fixed development key)."})
    public_base_url: str = field(default="http://127.0.0.1:8001", metadata={"env": "CREDBRIDGE_PUBLIC_URL", "doc": "Public base URL of ingest, used to print webhook URLs."})
    webhook_replay_window_s: int = field(default=300, metadata={"env": "WEBHOOK_REPLAY_WINDOW_SECONDS", "doc": "Accepted age of a signed webhook timestamp."})
    webhook_max_body_bytes: int = field(default=1_048_576, metadata={"env": "WEBHOOK_MAX_BODY_BYTES", "doc": "Largest webhook body accepted (413 above)."})
    webhook_dedupe_ttl_s: int = field(default=7 * 24 * 3600, metadata={"env": "WEBHOOK_DEDUPE_TTL_SECONDS", "doc": "How long delivery ids are remembered for deduplication."})
    config_cache_ttl_s: float = field(default=5.0, metadata={"env": "CONFIG_CACHE_TTL_SECONDS", "doc": "How long a process reuses what its hot path reads of a tenant's configuration (ingest: its ATS connection and webhook secrets; verification: its trust registry; write-back: a connection's write-back configuration) before reading it again: a secret rotated out, a connection removed or a registry entry deleted stops counting within this (docs/operations.md). 0: read on every use. API keys are never cached."})
    ingest_queue_budget_s: float = field(default=1.0, metadata={"env": "INGEST_QUEUE_BUDGET_SECONDS", "doc": "Longest a webhook may wait in an ingest process's queue for a free thread; past it ingest is over capacity and answers 503 with Retry-After at once, accepting nothing (0: never refuse). Keeps answers within the ATS's timeout instead of queueing for seconds."})
    clock_skew_s: int = field(default=60, metadata={"env": "VERIFY_CLOCK_SKEW_SECONDS", "doc": "Clock skew tolerated on credential validity dates."})
    status_ttl_s: int = field(default=300, metadata={"env": "VERIFY_STATUS_TTL_SECONDS", "doc": "How long a status list is cached when it states no ttl (and how soon an unreachable one is tried again)."})
    recheck_interval_s: float = field(default=30.0, metadata={"env": "VERIFY_RECHECK_INTERVAL_SECONDS", "doc": "How often the verification worker looks for verdicts due a re-check (status list TTL, expiry)."})
    consumer_max_attempts: int = field(default=5, metadata={"env": "CONSUMER_MAX_ATTEMPTS", "doc": "Attempts at a transient failure (MongoDB or the broker away) before the loop pauses and reads the message again; an outage never dead-letters a message."})
    consumer_backoff_s: float = field(default=0.2, metadata={"env": "CONSUMER_BACKOFF_SECONDS", "doc": "First retry delay; doubles each attempt."})
    consumer_pause_max_s: float = field(default=30.0, metadata={"env": "CONSUMER_PAUSE_MAX_SECONDS", "doc": "Longest pause between re-reads while a dependency stays away (pauses double up to this)."})
    consumer_max_poll_interval_ms: int = field(default=300_000, metadata={"env": "CONSUMER_MAX_POLL_INTERVAL_MS", "doc": "Longest time between two polls before the group counts a worker as stuck and moves its partitions (Kafka's max.poll.interval.ms)."})
    consumer_batch_budget_s: float = field(default=60.0, metadata={"env": "CONSUMER_BATCH_BUDGET_SECONDS", "doc": "Time a worker spends on one poll batch; once spent it commits what it handled and leaves the rest for the next poll. This plus the longest single message (ingest: INGEST_PULL_BUDGET_SECONDS) must stay below CONSUMER_MAX_POLL_INTERVAL_MS, or the worker refuses to start."})
    consumer_session_timeout_ms: int = field(default=10_000, metadata={"env": "CONSUMER_SESSION_TIMEOUT_MS", "doc": "How soon a crashed consumer's partitions move to the survivors."})
    consumer_partition_fetch_bytes: int = field(default=65_536, metadata={"env": "CONSUMER_PARTITION_FETCH_BYTES", "doc": "Most bytes a worker fetches from one partition at a time (Kafka's max.partition.fetch.bytes; a larger record still comes whole). kafka-python hands out one partition's fetched bytes before the next one's, so with a backlog partitions are served in runs this size: small runs keep the partitions draining evenly (bench/partitions.py)."})
    worker_metrics_addr: str = field(default="127.0.0.1", metadata={"env": "WORKER_METRICS_ADDR", "doc": "Address a worker's /metrics binds to (0.0.0.0 in containers)."})
    worker_metrics_port: int = field(default=0, metadata={"env": "WORKER_METRICS_PORT", "doc": "Port a Kafka worker serves /metrics on (0: none)."})
    # An int, not a bool: from_env builds each value with type(default)(raw), and bool("0") is True.
    fetch_allow_loopback: int = field(default=0, metadata={"env": "CREDBRIDGE_FETCH_ALLOW_LOOPBACK", "doc": "1: outbound fetches may also use http:// and loopback addresses (local runs and tests only; private ranges stay refused). Refused at start unless CREDBRIDGE_PUBLIC_URL is itself on loopback."})
    fetch_connect_timeout_s: float = field(default=5.0, metadata={"env": "FETCH_CONNECT_TIMEOUT_SECONDS", "doc": "Connect timeout of an outbound fetch."})
    fetch_read_timeout_s: float = field(default=10.0, metadata={"env": "FETCH_READ_TIMEOUT_SECONDS", "doc": "Longest wait for the next bytes of an outbound fetch."})
    fetch_deadline_s: float = field(default=20.0, metadata={"env": "FETCH_DEADLINE_SECONDS", "doc": "Total time one outbound fetch may take, redirects included (cuts off slow drips)."})
    fetch_max_bytes: int = field(default=5 * 1024 * 1024, metadata={"env": "FETCH_MAX_BYTES", "doc": "Largest response body an outbound fetch reads."})
    fetch_max_redirects: int = field(default=5, metadata={"env": "FETCH_MAX_REDIRECTS", "doc": "Redirects an outbound fetch follows."})
    verify_fetch_budget: int = field(default=20, metadata={"env": "VERIFY_FETCH_BUDGET", "doc": "Most outbound fetches (DID documents, JWK sets, status lists, schemas, OB 2.0 documents) one credential's verification makes; past it the rest are not made and the verdict is indeterminate (`fetch.budget`)."})
    verify_fetch_budget_s: float = field(default=30.0, metadata={"env": "VERIFY_FETCH_BUDGET_SECONDS", "doc": "Total time one credential's verification spends fetching; each fetch's deadline is cut to what is left."})
    verify_status_cache_bytes: int = field(default=64 * 1024 * 1024, metadata={"env": "VERIFY_STATUS_CACHE_BYTES", "doc": "Memory the verifier's status-list cache may hold (per process); the least recently used list goes first, and a larger list is used but not kept."})
    key_cache_ttl_s: int = field(default=300, metadata={"env": "VERIFY_KEY_CACHE_TTL_SECONDS", "doc": "How long a fetched did:web document, controller document or JWK set is reused before it is fetched again."})
    matching_verify_deadline_s: float = field(default=900.0, metadata={"env": "MATCHING_VERIFY_DEADLINE_SECONDS", "doc": "How long matching keeps an application pending for a credential's verdict; past it the credential is unavailable and the application is scored without it (a later verdict re-scores it)."})
    ingest_pull_attempts: int = field(default=3, metadata={"env": "INGEST_PULL_ATTEMPTS", "doc": "Attempts at a transiently failing credential or ATS fetch before it is reported unavailable."})
    ingest_pull_backoff_s: float = field(default=1.0, metadata={"env": "INGEST_PULL_BACKOFF_SECONDS", "doc": "First delay between pull attempts; doubles each attempt."})
    credly_api_base: str = field(default="https://api.credly.com/v1", metadata={"env": "CREDLY_API_BASE", "doc": "Credly's API, where a Credly badge page's Open Badges assertion is fetched (tests point it at a local host)."})
    ingest_pull_budget_s: float = field(default=30.0, metadata={"env": "INGEST_PULL_BUDGET_SECONDS", "doc": "Total time ingest's worker spends pulling for one application before giving up on what is left."})
    ingest_max_document_bytes: int = field(default=262_144, metadata={"env": "INGEST_MAX_DOCUMENT_BYTES", "doc": "Largest credential (JSON document or JWT, as encoded in its event) ingest forwards for verification; a larger one is reported unavailable (\"too large\"), the rest of the application goes on."})
    ingest_max_credentials: int = field(default=50, metadata={"env": "INGEST_MAX_CREDENTIALS", "doc": "Most credentials verified for one application (after de-duplication); the rest are reported unavailable in one line, so one application's events stay a bounded batch."})
    verify_max_report_bytes: int = field(default=65_536, metadata={"env": "VERIFY_MAX_REPORT_BYTES", "doc": "Largest verification report stored and published; above it the claimed achievement and issuer are trimmed and the report flagged `report.truncated` (the verdict and checks are kept)."})
    rate_limit_webhooks_per_minute: int = field(default=12000, metadata={"env": "RATE_LIMIT_WEBHOOKS_PER_MINUTE", "doc": "Webhook deliveries one tenant's URL accepts a minute (across every worker and replica), counted before anything is decrypted; above it 429 with Retry-After (0: no limit). The default is twice the pipeline's design rate of 100 applications/s; Teamtailor never retries: keep it above your peak."})
    rate_limit_api_per_minute: int = field(default=600, metadata={"env": "RATE_LIMIT_API_PER_MINUTE", "doc": "Requests to the recruiters' API one tenant's keys may make a minute; above it 429 with Retry-After (0: no limit)."})
    rate_limit_verify_per_minute: int = field(default=120, metadata={"env": "RATE_LIMIT_VERIFY_PER_MINUTE", "doc": "POST /v1/verify calls one tenant's key may make a minute (0: no limit)."})
    rate_limit_verify_anonymous_per_minute: int = field(default=10, metadata={"env": "RATE_LIMIT_VERIFY_ANONYMOUS_PER_MINUTE", "doc": "POST /v1/verify calls without a key one client address may make a minute: the hardest limit, as each may fetch from the web (0: no limit)."})
    writeback_max_attempts: int = field(default=8, metadata={"env": "WRITEBACK_MAX_ATTEMPTS", "doc": "Attempts at a transiently failing ATS write-back before it is reported failed (`credbridge writeback status`)."})
    writeback_backoff_s: float = field(default=2.0, metadata={"env": "WRITEBACK_BACKOFF_SECONDS", "doc": "First delay before retrying an ATS write-back; doubles each attempt (at most an hour)."})
    writeback_pool_size: int = field(default=8, metadata={"env": "WRITEBACK_POOL_SIZE", "doc": "ATS writes one write-back worker process runs at once, over all connections."})
    writeback_poll_s: float = field(default=0.5, metadata={"env": "WRITEBACK_POLL_SECONDS", "doc": "How often the write-back worker looks for writes that became due (retries, rate-limit waits)."})
    build_commit: str = field(default="", metadata={"env": "CREDBRIDGE_COMMIT", "doc": "Git commit the image was built from, shown by credbridge_build_info."})

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f.metadata["env"])
            if raw is not None:
                values[f.name] = type(f.default)(raw)  # type: ignore[misc]  # each default is a str, int or float
        values.update(overrides)
        return cls(**values)


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) rows for the README."""
    return [(f.metadata["env"], str(f.default), f.metadata["doc"]) for f in fields(Settings)]
