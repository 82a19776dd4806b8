"""docker-compose.yml is valid (`docker-compose config`) and agrees with the code: commands, settings, scrape targets.

No Docker engine runs here, so nothing is started: Debian's docker-compose 1.29.2 resolves and validates the file.
"""
from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CREDBRIDGE = {"ingest", "verification", "matching", "writeback", "ingest-worker", "verification-worker",
              "matching-worker", "writeback-worker"}
BROKERS = ("kafka-1", "kafka-2", "kafka-3")
# Read by deploy/gunicorn.conf.py and the image's entrypoint rather than by Settings.
PROCESS_ENV = {"GUNICORN_WORKERS", "GUNICORN_THREADS", "PROMETHEUS_MULTIPROC_DIR"}

pytestmark = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs docker-compose (Debian's package)")


def _config(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CREDBRIDGE_SECRETS_KEY", "GRAFANA_ADMIN_PASSWORD")}
    return subprocess.run(["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def compose() -> dict:
    result = _config(CREDBRIDGE_SECRETS_KEY="k" * 44, GRAFANA_ADMIN_PASSWORD="pw")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_the_stack_has_kafka_mongo_every_credbridge_process_prometheus_and_grafana(compose):
    assert set(compose["services"]) == CREDBRIDGE | set(BROKERS) | {"mongo", "prometheus", "grafana"}
    assert all(compose["services"][b]["image"].startswith("apache/kafka:") for b in BROKERS)


def test_every_service_restarts_and_has_a_health_check(compose):
    for name, svc in compose["services"].items():
        assert svc.get("restart") == "unless-stopped", name
        assert svc.get("healthcheck", {}).get("test"), name


def test_data_lives_in_named_volumes(compose):
    mounts = {name: " ".join(v if isinstance(v, str) else v.get("source", "") for v in svc.get("volumes", []))
              for name, svc in compose["services"].items()}
    for name, volume in [*((b, f"{b}-data") for b in BROKERS), ("mongo", "mongo-data"),
                         ("prometheus", "prometheus-data"), ("grafana", "grafana-data")]:
        assert volume in mounts[name] and volume in compose["volumes"], name


def test_mongo_runs_as_the_replica_set_the_services_connect_to(compose):
    assert compose["services"]["mongo"]["command"][:2] == ["--replSet", "rs0"]
    assert "rs.initiate" in " ".join(compose["services"]["mongo"]["healthcheck"]["test"])
    for name in CREDBRIDGE:
        assert "replicaSet=rs0" in compose["services"][name]["environment"]["MONGO_URI"]


def test_every_variable_given_to_a_credbridge_process_is_one_the_code_reads(compose):
    known = {f.metadata["env"] for f in fields(Settings)} | PROCESS_ENV
    for name in CREDBRIDGE:
        env = compose["services"][name]["environment"]
        assert set(env) <= known, (name, set(env) - known)
        assert {"KAFKA_BOOTSTRAP_SERVERS", "MONGO_URI", "CREDBRIDGE_SECRETS_KEY"} <= set(env), name


def test_each_http_command_names_an_app_factory_that_exists(compose):
    for name in ("ingest", "verification", "matching", "writeback"):
        cmd = compose["services"][name]["command"]
        assert cmd[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"] and (ROOT / cmd[2]).exists()
        assert cmd[cmd.index("-b") + 1] == "0.0.0.0:8000"
        module, factory = cmd[-1].removesuffix("()").split(":")
        assert module == f"services.{name}.app" and callable(getattr(importlib.import_module(module), factory))


def test_each_worker_command_runs_a_worker_main_with_its_metrics_port_and_two_replicas(compose):
    for name in ("ingest-worker", "verification-worker", "matching-worker", "writeback-worker"):
        svc = compose["services"][name]
        assert svc["command"] == ["python", "-m", f"services.{name.removesuffix('-worker')}.worker"]
        assert callable(importlib.import_module(svc["command"][2]).main)
        assert svc["environment"]["WORKER_METRICS_PORT"] == "9100"
        assert svc["environment"]["WORKER_METRICS_ADDR"] == "0.0.0.0"
        assert svc["deploy"]["replicas"] >= 2


def test_prometheus_scrapes_each_compose_service_on_the_port_it_listens_on(compose):
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())["scrape_configs"]
    targets = {sd["names"][0]: sd["port"] for job in scrape for sd in job.get("dns_sd_configs", [])}
    assert targets == {"ingest": 8000, "verification": 8000, "matching": 8000, "writeback": 8000,
                       "ingest-worker": 9100, "verification-worker": 9100, "matching-worker": 9100,
                       "writeback-worker": 9100}
    mounts = " ".join(compose["services"]["prometheus"]["volumes"])
    assert f"{ROOT}/deploy/prometheus:/etc/prometheus:ro" in mounts


def test_grafana_is_provisioned_with_the_prometheus_datasource_and_every_dashboard(compose):
    mounts = " ".join(compose["services"]["grafana"]["volumes"])
    assert f"{ROOT}/deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts
    assert f"{ROOT}/deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro" in mounts
    datasource = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/credbridge.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"
    assert len(list((ROOT / "deploy/grafana/dashboards").glob("*.json"))) == 4


def test_the_stack_refuses_to_start_without_a_secrets_key():
    result = _config(GRAFANA_ADMIN_PASSWORD="pw")
    assert result.returncode != 0 and "set a Fernet key" in result.stderr


def test_kafka_is_three_brokers_and_every_topic_is_replicated_three_times_with_two_in_sync(compose):
    brokers = [compose["services"][b]["environment"] for b in BROKERS]
    voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    assert [str(env["KAFKA_NODE_ID"]) for env in brokers] == ["1", "2", "3"]
    for env in brokers:
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters and env["CLUSTER_ID"] == brokers[0]["CLUSTER_ID"]
        # acks=all then means two brokers hold every acknowledged record: one may fail without losing any.
        assert str(env["KAFKA_MIN_INSYNC_REPLICAS"]) == "2" and str(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) == "3"
        assert str(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == "3"
        assert str(env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"]) == "3"
        assert str(env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"]) == "2"
    for name in CREDBRIDGE:
        env = compose["services"][name]["environment"]
        assert env["KAFKA_REPLICATION_FACTOR"] == "3", name
        assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092", name
        assert set(compose["services"][name]["depends_on"]) >= set(BROKERS), name


def test_the_published_prometheus_cannot_be_reloaded_or_shut_down_over_http(compose):
    prometheus = compose["services"]["prometheus"]
    assert prometheus["ports"] and "--web.enable-lifecycle" not in prometheus["command"]
