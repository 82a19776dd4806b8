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
    consumer_max_attempts: int = field(default=5, metadata={"env": "CONSUMER_MAX_ATTEMPTS", "doc": "Attempts at a transient failure before a message is dead-lettered."})
    consumer_backoff_s: float = field(default=0.2, metadata={"env": "CONSUMER_BACKOFF_SECONDS", "doc": "First retry delay; doubles each attempt."})
    consumer_session_timeout_ms: int = field(default=10_000, metadata={"env": "CONSUMER_SESSION_TIMEOUT_MS", "doc": "How soon a crashed consumer's partitions move to the survivors."})
    worker_metrics_addr: str = field(default="127.0.0.1", metadata={"env": "WORKER_METRICS_ADDR", "doc": "Address a worker's /metrics binds to (0.0.0.0 in containers)."})
    worker_metrics_port: int = field(default=0, metadata={"env": "WORKER_METRICS_PORT", "doc": "Port a Kafka worker serves /metrics on (0: none)."})

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
