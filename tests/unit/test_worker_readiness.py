"""A worker is ready once its consumer group has assigned it partitions, and its own HTTP endpoint says so."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from kafka import TopicPartition

from shared.membership import Membership
from shared.worker_http import serve

P0, P1 = TopicPartition("applications.ready", 0), TopicPartition("credentials.verified", 2)


def test_a_consumer_that_has_not_joined_its_group_is_not_ready():
    ready, body = Membership("matching").readiness()
    assert not ready and body["detail"] == "not a member of its consumer group yet"


def test_a_consumer_assigned_partitions_is_ready_and_names_them():
    m = Membership("matching")
    m.on_partitions_assigned({P0, P1})
    assert m.readiness() == (True, {"status": "ready", "group": "matching",
                                    "partitions": ["applications.ready/0", "credentials.verified/2"]})


def test_joined_with_no_partitions_is_not_ready():
    # What a first assignment made before the topics' metadata arrived looks like (and a standby replica).
    m = Membership("matching")
    m.on_partitions_assigned(set())
    ready, body = m.readiness()
    assert not ready and body["partitions"] == [] and "no partitions" in body["detail"]


def test_a_rebalance_in_progress_is_not_ready_until_partitions_are_assigned_again():
    m = Membership("ingest")
    m.on_partitions_assigned({P0})
    m.on_partitions_revoked({P0})
    assert m.readiness()[0] is False
    m.on_partitions_assigned({P0})
    assert m.readiness()[0] is True and m.rebalances == 2


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_worker_endpoint_answers_readyz_from_membership_and_serves_health_and_metrics():
    m = Membership("verification")
    server = serve(0, "127.0.0.1", readiness=m.readiness)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, body = _get(f"{base}/readyz")
        assert status == 503 and json.loads(body)["status"] == "not ready"
        m.on_partitions_assigned({P0})
        status, body = _get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["partitions"] == ["applications.ready/0"]
        assert _get(f"{base}/healthz") == (200, b'{"status": "alive"}')
        status, body = _get(f"{base}/metrics")
        assert status == 200 and b"credbridge_" in body
        assert _get(f"{base}/nothing")[0] == 404
    finally:
        server.shutdown()
        server.server_close()
