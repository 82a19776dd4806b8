"""Settings read from environment variables, with defaults that match `make run`."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Every server address and tunable lives here; nothing else reads the environment.

    Each field's default is what `make run` uses, so the CLI works beside it unconfigured.
    The README's settings table is generated from the `doc` metadata below.
    """

    kafka_bootstrap_servers: str = field(default="127.0.0.1:9092", metadata={"env": "KAFKA_BOOTSTRAP_SERVERS", "doc": "Kafka bootstrap servers, comma-separated."})
    kafka_topic_partitions: int = field(default=3, metadata={"env": "KAFKA_TOPIC_PARTITIONS", "doc": "Partitions per topic when credbridge creates its topics."})
    kafka_replication_factor: int = field(default=1, metadata={"env": "KAFKA_REPLICATION_FACTOR", "doc": "Replication factor for created topics (3 in production)."})
    kafka_publish_timeout_s: float = field(default=5.0, metadata={"env": "KAFKA_PUBLISH_TIMEOUT_SECONDS", "doc": "How long a webhook waits for the broker's ack before answering 503."})
    mongo_uri: str = field(default="mongodb://127.0.0.1:27017/?retryWrites=false", metadata={"env": "MONGO_URI", "doc": "MongoDB connection string."})
    mongo_db: str = field(default="credbridge", metadata={"env": "MONGO_DB", "doc": "MongoDB database name."})
    secrets_key: str = field(default="", metadata={"env": "CREDBRIDGE_SECRETS_KEY", "doc": "Fernet key encrypting webhook secrets at rest. Empty: a fixed development key (never in production)."})
    public_base_url: str = field(default="http://127.0.0.1:8001", metadata={"env": "CREDBRIDGE_PUBLIC_URL", "doc": "Public base URL of ingest, used to print webhook URLs."})
    webhook_replay_window_s: int = field(default=300, metadata={"env": "WEBHOOK_REPLAY_WINDOW_SECONDS", "doc": "Accepted age of a signed webhook timestamp."})
    webhook_max_body_bytes: int = field(default=1_048_576, metadata={"env": "WEBHOOK_MAX_BODY_BYTES", "doc": "Largest webhook body accepted (413 above)."})
    webhook_dedupe_ttl_s: int = field(default=7 * 24 * 3600, metadata={"env": "WEBHOOK_DEDUPE_TTL_SECONDS", "doc": "How long delivery ids are remembered for deduplication."})
    clock_skew_s: int = field(default=60, metadata={"env": "VERIFY_CLOCK_SKEW_SECONDS", "doc": "Clock skew tolerated on credential validity dates."})
    status_ttl_s: int = field(default=300, metadata={"env": "VERIFY_STATUS_TTL_SECONDS", "doc": "How long a status list is cached when it states no ttl (and how soon an unreachable one is tried again)."})
    recheck_interval_s: float = field(default=30.0, metadata={"env": "VERIFY_RECHECK_INTERVAL_SECONDS", "doc": "How often the verification worker looks for verdicts due a re-check (status list TTL, expiry)."})
    consumer_max_attempts: int = field(default=5, metadata={"env": "CONSUMER_MAX_ATTEMPTS", "doc": "Attempts at a transient failure (MongoDB or the broker away) before the loop pauses and reads the message again; an outage never dead-letters a message."})
    consumer_backoff_s: float = field(default=0.2, metadata={"env": "CONSUMER_BACKOFF_SECONDS", "doc": "First retry delay; doubles each attempt."})
    consumer_pause_max_s: float = field(default=30.0, metadata={"env": "CONSUMER_PAUSE_MAX_SECONDS", "doc": "Longest pause between re-reads while a dependency stays away (pauses double up to this)."})
    consumer_session_timeout_ms: int = field(default=10_000, metadata={"env": "CONSUMER_SESSION_TIMEOUT_MS", "doc": "How soon a crashed consumer's partitions move to the survivors."})
    worker_metrics_addr: str = field(default="127.0.0.1", metadata={"env": "WORKER_METRICS_ADDR", "doc": "Address a worker's /metrics binds to (0.0.0.0 in containers)."})
    worker_metrics_port: int = field(default=0, metadata={"env": "WORKER_METRICS_PORT", "doc": "Port a Kafka worker serves /metrics on (0: none)."})
    # An int, not a bool: from_env builds each value with type(default)(raw), and bool("0") is True.
    fetch_allow_loopback: int = field(default=0, metadata={"env": "CREDBRIDGE_FETCH_ALLOW_LOOPBACK", "doc": "1: outbound fetches may also use http:// and loopback addresses (local runs and tests only; private ranges stay refused)."})
    fetch_connect_timeout_s: float = field(default=5.0, metadata={"env": "FETCH_CONNECT_TIMEOUT_SECONDS", "doc": "Connect timeout of an outbound fetch."})
    fetch_read_timeout_s: float = field(default=10.0, metadata={"env": "FETCH_READ_TIMEOUT_SECONDS", "doc": "Longest wait for the next bytes of an outbound fetch."})
    fetch_deadline_s: float = field(default=20.0, metadata={"env": "FETCH_DEADLINE_SECONDS", "doc": "Total time one outbound fetch may take, redirects included (cuts off slow drips)."})
    fetch_max_bytes: int = field(default=5 * 1024 * 1024, metadata={"env": "FETCH_MAX_BYTES", "doc": "Largest response body an outbound fetch reads."})
    fetch_max_redirects: int = field(default=5, metadata={"env": "FETCH_MAX_REDIRECTS", "doc": "Redirects an outbound fetch follows."})
    key_cache_ttl_s: int = field(default=300, metadata={"env": "VERIFY_KEY_CACHE_TTL_SECONDS", "doc": "How long a fetched did:web document or JWK set is reused before it is fetched again."})
    ingest_pull_attempts: int = field(default=3, metadata={"env": "INGEST_PULL_ATTEMPTS", "doc": "Attempts at a transiently failing credential or ATS fetch before it is reported unavailable."})
    ingest_pull_backoff_s: float = field(default=1.0, metadata={"env": "INGEST_PULL_BACKOFF_SECONDS", "doc": "First delay between pull attempts; doubles each attempt."})
    credly_api_base: str = field(default="https://api.credly.com/v1", metadata={"env": "CREDLY_API_BASE", "doc": "Credly's API, where a Credly badge page's Open Badges assertion is fetched (tests point it at a local host)."})
    ingest_pull_budget_s: float = field(default=30.0, metadata={"env": "INGEST_PULL_BUDGET_SECONDS", "doc": "Total time ingest's worker spends pulling for one application before giving up on what is left."})
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
                values[f.name] = type(f.default)(raw)
        values.update(overrides)
        return cls(**values)


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) rows for the README."""
    return [(f.metadata["env"], str(f.default), f.metadata["doc"]) for f in fields(Settings)]
