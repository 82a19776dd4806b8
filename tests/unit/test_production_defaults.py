"""Unsafe local conveniences refuse to start in production: the development secrets key, loopback fetching."""
from __future__ import annotations

from collections import defaultdict

import pytest

from shared.fetch import Fetcher
from shared.settings import Settings, UnsafeSettings
from shared.tenants import TenantRepository

PRODUCTION = {"environment": "production"}


def test_without_a_secrets_key_the_tenant_store_refuses_to_start_unless_in_development_mode():
    with pytest.raises(UnsafeSettings, match="CREDBRIDGE_SECRETS_KEY"):
        TenantRepository(defaultdict(dict), Settings(**PRODUCTION))
    TenantRepository(defaultdict(dict), Settings(environment="development"))
    TenantRepository(defaultdict(dict), Settings(secrets_key="k" * 43 + "=", **PRODUCTION))


def test_production_is_the_default_mode():
    assert Settings().environment == "production"


def test_loopback_fetching_is_refused_unless_credbridge_itself_is_served_on_loopback():
    with pytest.raises(UnsafeSettings, match="CREDBRIDGE_FETCH_ALLOW_LOOPBACK"):
        Fetcher(Settings(fetch_allow_loopback=1, public_base_url="https://credbridge.example.com"))
    for local in ("http://127.0.0.1:8001", "http://localhost:8001", "http://[::1]:8001"):
        Fetcher(Settings(fetch_allow_loopback=1, public_base_url=local)).close()
    Fetcher(Settings(public_base_url="https://credbridge.example.com")).close()


def test_production_refuses_topics_with_fewer_than_three_replicas_before_touching_the_broker():
    from shared.kafka import ensure_topics
    with pytest.raises(UnsafeSettings, match="KAFKA_REPLICATION_FACTOR=1"):
        ensure_topics(Settings(kafka_bootstrap_servers="192.0.2.1:9", **PRODUCTION))


def test_topics_are_created_so_that_acks_all_waits_for_two_replicas_once_there_are_three():
    from shared.kafka import topic_configs
    assert topic_configs(Settings(kafka_replication_factor=3)) == {"min.insync.replicas": "2"}
    assert topic_configs(Settings(kafka_replication_factor=1)) == {"min.insync.replicas": "1"}


def test_a_flood_of_webhooks_decrypts_each_stored_secret_once_not_once_per_request():
    class Connections:
        def __init__(self):
            self.doc = None

        def find_one(self, query):
            return self.doc
    db = defaultdict(dict, connections=Connections())
    repo = TenantRepository(db, Settings(environment="development"))
    db["connections"].doc = {"secrets": [repo._encrypt(f"s{i}") for i in range(16)], "api_key": repo._encrypt("k")}
    calls = []
    real = repo._fernet.decrypt
    repo._fernet.decrypt = lambda token: calls.append(token) or real(token)  # type: ignore[method-assign]
    for _ in range(100):
        conn = repo.connection("t1", "smartrecruiters")
    assert conn.secrets == tuple(f"s{i}" for i in range(16)) and conn.api_key == "k"
    assert len(calls) == 17  # sixteen secrets and one API key, each once
    db["connections"].doc["secrets"].append(repo._encrypt("rotated"))
    assert repo.connection("t1", "smartrecruiters").secrets[-1] == "rotated"  # a rotation is seen at once
