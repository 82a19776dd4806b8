"""Fixtures that start the real local servers (Apache Kafka, secantusdb) once per test session, on free ports.

Unit tests never request them, so `pytest tests/unit` starts nothing.
"""
from __future__ import annotations

import os
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

# The tests run as a local run does: the fixed development secrets key is allowed (and inherited by the services,
# workers and CLI that the end-to-end tests start).
os.environ.setdefault("CREDBRIDGE_ENV", "development")

# The property and fuzz tests draw the same examples on every `make test` (a red CI run is then a regression, not an
# unlucky draw); `make fuzz` draws new ones (HYPOTHESIS_PROFILE=explore), and what it finds becomes a fixed test.
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("explore", derandomize=False, database=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "deploy" / "local"))
import stack  # noqa: E402

from shared import mongo  # noqa: E402
from shared.kafka import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402


class Servers:
    def __init__(self, root: Path):
        self.kafka = stack.KafkaServer(port=stack.free_port(), controller_port=stack.free_port(), data_dir=root / "kafka")
        self.mongo = stack.MongoServer(port=stack.free_port(), storage=str(root / "mongo"), log_dir=root)

    def settings(self, **overrides) -> Settings:
        base = dict(kafka_bootstrap_servers=self.kafka.bootstrap, mongo_uri=self.mongo.uri,
                    kafka_topic_partitions=3, consumer_backoff_s=0.05)
        return Settings.from_env(**{**base, **overrides})


@contextmanager
def _unmeasured():
    """Processes started inside run without coverage: `make test` hands its configuration to every Python process
    the tests start (pyproject.toml, [tool.coverage.run] patch), and the database server is not credbridge's
    code; traced, it slows every test."""
    saved = {k: os.environ.pop(k) for k in ("COVERAGE_PROCESS_CONFIG", "COVERAGE_PROCESS_START") if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    s = Servers(tmp_path_factory.mktemp("servers"))
    s.kafka.start()
    with _unmeasured():
        s.mongo.start()
    ensure_topics(s.settings())
    yield s
    s.kafka.stop()
    s.mongo.stop()


@pytest.fixture
def settings(servers) -> Settings:
    """Settings for one test: the session's servers and a database of its own."""
    return servers.settings(mongo_db=f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def db(settings):
    database = mongo.connect(settings)
    yield database
    database.client.drop_database(settings.mongo_db)
    database.client.close()
