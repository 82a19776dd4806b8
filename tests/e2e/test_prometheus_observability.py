"""What ops see: a real Prometheus scrapes the running services; every dashboard panel has data; one trace_id runs through the logs.

Prometheus HTTP API as documented at https://prometheus.io/docs/prometheus/latest/querying/api/.
"""
from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

import prometheus_local
import stack
from shared import events
from shared.kafka import Publisher
from tests.support.issuer import Issuer

DASHBOARDS = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards"
ROLE = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]

pytestmark = pytest.mark.skipif(not prometheus_local.installed(), reason="needs Debian's prometheus package")


@pytest.fixture(scope="module")
def prometheus(running, tmp_path_factory):
    server = prometheus_local.PrometheusServer(port=stack.free_port(), data_dir=tmp_path_factory.mktemp("prometheus"),
                                               targets=prometheus_local.scrape_targets(running.ports), interval="1s")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def traffic(prometheus, running, e2e_settings):
    """One of everything a dashboard shows: scores, a failed credential, a duplicate, a bad signature, a dead letter."""
    from tests.e2e.conftest import Api
    api = Api(running, e2e_settings)
    tenant = api.new_tenant()
    issuer = Issuer.generate()
    api.put_role(tenant, "job-obs", ROLE)
    traced = api.send(tenant, application_id="app-obs-0", job_id="job-obs",
                      credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
    assert traced.status_code == 202, traced.text
    for i in range(1, 4):
        api.send(tenant, application_id=f"app-obs-{i}", job_id="job-obs",
                 credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
    api.send(tenant, application_id="app-obs-bad", job_id="job-obs", credentials=[{"jwt": "not.a.jwt"}])
    api.send(tenant, application_id="app-obs-dup", job_id="job-obs", credentials=[], event_id="evt-obs-dup")
    api.send(tenant, application_id="app-obs-dup", job_id="job-obs", credentials=[], event_id="evt-obs-dup")
    assert api.send({**tenant, "secret": "wrong"}, application_id="x", job_id="job-obs", credentials=[]).status_code == 401
    publisher = Publisher(e2e_settings)
    publisher.publish_raw(events.APPLICATIONS_READY, key=b"obs", value=b"{not an envelope", headers=[])
    publisher.close()
    for i in range(4):
        api.wait_score(tenant, f"app-obs-{i}", until=lambda d: d.get("score") == 100, timeout_s=60)
    api.put_role(tenant, "job-obs", ROLE, title="Engineer II")  # a changed role is re-scored in the background
    return {"trace_id": traced.headers["X-Trace-Id"]}


def _panel_queries() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            out += [(path.name, panel["title"], t["expr"]) for t in panel["targets"]]
    return out


def test_prometheus_scrapes_every_credbridge_process_and_finds_each_up(prometheus, traffic):
    deadline = time.monotonic() + 30
    while True:
        active = prometheus.get("/api/v1/targets")["data"]["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in active}
        if set(health.values()) == {"up"} or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert health == {job: "up" for job in prometheus_local.scrape_targets(prometheus_local.stack.Ports())}


def test_the_alert_rules_load_into_prometheus_without_error(prometheus):
    groups = prometheus.get("/api/v1/rules")["data"]["groups"]
    rules = {r["name"]: r["health"] for g in groups for r in g["rules"]}
    assert len(rules) == 10 and set(rules.values()) == {"ok"}, rules


def test_every_dashboard_panel_query_returns_data_from_the_running_services(prometheus, traffic):
    queries = _panel_queries()
    assert len(queries) >= 30
    deadline = time.monotonic() + 60
    while True:
        answers = {q: prometheus.query(q[2]) for q in queries}
        errors = {q: a.get("error") for q, a in answers.items() if a["status"] != "success"}
        assert not errors, errors  # a broken query never heals by waiting
        empty = [q for q, a in answers.items() if not a["data"]["result"]]
        if not empty or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert not empty, f"panels without data: {empty}"


def test_no_metric_label_holds_an_id_an_email_or_a_url(prometheus, traffic):
    series = prometheus.get("/api/v1/series?" + urllib.parse.urlencode({"match[]": '{__name__=~"credbridge_.*"}'}))["data"]
    values = {v for s in series for k, v in s.items() if k not in ("__name__", "instance", "job", "le")}
    assert not [v for v in values if "@" in v or "://" in v or "app-obs" in v or "cand-" in v]


def test_one_webhooks_trace_id_appears_in_ingest_verification_and_matching_logs(running, traffic):
    trace_id = traffic["trace_id"]
    assert uuid.UUID(hex=trace_id)
    seen: dict[str, set[str]] = {}
    for log in running.log_dir.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if trace_id in line:
                doc = json.loads(line)
                assert doc["trace_id"] == trace_id
                seen.setdefault(doc["service"], set()).add(doc["msg"])
    assert set(seen) >= {"ingest", "verification", "matching"}, seen
    logged = "\n".join(p.read_text(errors="replace") for p in running.log_dir.glob("*.log"))
    assert "ada@example.org" not in logged and '"Ada"' not in logged
