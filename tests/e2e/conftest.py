"""The running credbridge: every service as its own process (gunicorn apps, Kafka workers) on the real servers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

import stack
from services.ingest.signatures import sign_generic


@pytest.fixture(scope="session")
def e2e_settings(servers):
    return servers.settings(mongo_db="credbridge_e2e")


@pytest.fixture(scope="session")
def running(servers, e2e_settings, tmp_path_factory):
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=e2e_settings.kafka_bootstrap_servers,
               MONGO_URI=e2e_settings.mongo_uri, MONGO_DB=e2e_settings.mongo_db,
               CONSUMER_BACKOFF_SECONDS="0.05", CONSUMER_SESSION_TIMEOUT_MS="6000", GUNICORN_WORKERS="2",
               CREDBRIDGE_FETCH_ALLOW_LOOPBACK="1", VERIFY_RECHECK_INTERVAL_SECONDS="0.5",
               WRITEBACK_POLL_SECONDS="0.2", WRITEBACK_BACKOFF_SECONDS="0.2",
               # Short enough for test_pending_scores to see a deadline pass; long past any verification here.
               MATCHING_VERIFY_DEADLINE_SECONDS="20")
    ports = stack.Ports(ingest=stack.free_port(), verification=stack.free_port(), matching=stack.free_port(),
                        writeback=stack.free_port(),
                        ingest_worker_metrics=stack.free_port(),
                        verification_worker_metrics=stack.free_port(), matching_worker_metrics=stack.free_port(),
                        writeback_worker_metrics=stack.free_port())
    services = stack.Services(env=env, ports=ports, log_dir=tmp_path_factory.mktemp("services")).start()
    yield services
    services.stop()


class Api:
    """A recruiter's and an ATS's view of the running services."""

    def __init__(self, running, settings):
        self.running, self.settings = running, settings
        p = running.ports
        self.ingest = f"http://127.0.0.1:{p.ingest}"
        self.verification = f"http://127.0.0.1:{p.verification}"
        self.matching = f"http://127.0.0.1:{p.matching}"

    def cli(self, *args: str) -> dict:
        env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=self.settings.kafka_bootstrap_servers,
                   MONGO_URI=self.settings.mongo_uri, MONGO_DB=self.settings.mongo_db,
                   CREDBRIDGE_PUBLIC_URL=self.ingest)
        out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "credbridge"), *args],
                             capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout)

    def new_tenant(self) -> dict:
        tenant = self.cli("tenant", "create", f"Employer {uuid.uuid4().hex[:6]}")
        conn = self.cli("connection", "add", tenant["tenant"], "generic")
        return {**tenant, **conn}

    def send(self, tenant: dict, *, application_id: str, job_id: str, credentials: list[dict],
             emails=("ada@example.org",), event_id: str | None = None) -> requests.Response:
        body = json.dumps({"event_id": event_id or uuid.uuid4().hex,
                           "application": {"id": application_id, "job_id": job_id},
                           "candidate": {"id": f"cand-{application_id}", "name": "Ada", "emails": list(emails)},
                           "credentials": credentials}).encode()
        return requests.post(tenant["webhook_url"], data=body,
                             headers=sign_generic(tenant["secret"], body, int(time.time())), timeout=30)

    def auth(self, tenant: dict) -> dict:
        return {"Authorization": f"Bearer {tenant['api_key']}"}

    def put_role(self, tenant: dict, role_id: str, requirements: list[dict], title="Engineer") -> requests.Response:
        return requests.put(f"{self.matching}/v1/roles/{role_id}", json={"title": title, "requirements": requirements},
                            headers=self.auth(tenant), timeout=10)

    def score(self, tenant: dict, application_id: str) -> requests.Response:
        return requests.get(f"{self.matching}/v1/applications/{application_id}/score", headers=self.auth(tenant), timeout=10)

    def wait_score(self, tenant: dict, application_id: str, *, until=lambda doc: True, timeout_s: float = 30) -> dict:
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            resp = self.score(tenant, application_id)
            if resp.status_code == 200:
                last = resp.json()
                if until(last):
                    return last
            time.sleep(0.2)
        raise AssertionError(f"no score for {application_id} within {timeout_s}s; last: {last}")


@pytest.fixture
def api(running, e2e_settings):
    return Api(running, e2e_settings)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def services_still_running(request):
    """Every service process must be up when a test starts: one that ended is named with its last log lines
    at once, instead of every later test timing out waiting for work it would have done."""
    if "running" not in request.fixturenames:
        yield
        return
    running = request.getfixturevalue("running")
    ended = {name: proc.returncode for name, proc in running.procs.items() if proc.poll() is not None}
    if ended:
        tails = "\n".join(f"----- {name}.log -----\n" + "\n".join(
            (running.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-30:]) for name in ended)
        pytest.fail(f"service processes ended before this test: {ended}\n{tails}")
    yield


@pytest.fixture(autouse=True)
def service_logs_on_failure(request):
    """When an end-to-end test fails, show what the services logged: the cause is usually there."""
    yield
    report = getattr(request.node, "rep_call", None)
    running = request.getfixturevalue("running") if report is not None and report.failed else None
    if running is not None:
        for log in sorted(running.log_dir.glob("*.log")):
            print(f"\n----- {log.name} (last 40 lines) -----")
            print("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
