"""A local Prometheus (Debian's `prometheus` package) scraping the local services, for `make run` and the tests.

It loads the very rules in deploy/prometheus/rules/ and uses the same job names as deploy/prometheus/prometheus.yml,
with static 127.0.0.1 targets instead of the compose DNS names.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import stack

RULES = stack.ROOT / "deploy" / "prometheus" / "rules"


def scrape_targets(ports: stack.Ports) -> dict[str, list[str]]:
    """job name -> host:port, one job per credbridge process kind (as in deploy/prometheus/prometheus.yml)."""
    return {
        "credbridge-ingest": [f"127.0.0.1:{ports.ingest}"],
        "credbridge-verification": [f"127.0.0.1:{ports.verification}"],
        "credbridge-matching": [f"127.0.0.1:{ports.matching}"],
        "credbridge-writeback": [f"127.0.0.1:{ports.writeback}"],
        "credbridge-ingest-worker": [f"127.0.0.1:{ports.ingest_worker_metrics}"],
        "credbridge-verification-worker": [f"127.0.0.1:{ports.verification_worker_metrics}"],
        "credbridge-matching-worker": [f"127.0.0.1:{ports.matching_worker_metrics}"],
        "credbridge-writeback-worker": [f"127.0.0.1:{ports.writeback_worker_metrics}"],
    }


def config(targets: dict[str, list[str]], *, interval: str = "15s") -> dict:
    # JSON is YAML, so no YAML library is needed to write Prometheus's config.
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(RULES / "*.yml")],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": hosts}]} for job, hosts in targets.items()],
    }


def installed() -> bool:
    return shutil.which("prometheus") is not None


@dataclass
class PrometheusServer:
    port: int
    data_dir: Path
    targets: dict[str, list[str]]
    interval: str = "15s"
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout_s: float = 60) -> "PrometheusServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cfg = self.data_dir / "prometheus.yml"
        cfg.write_text(json.dumps(config(self.targets, interval=self.interval), indent=2))
        log = self.data_dir / "prometheus.log"
        self.proc = stack._spawn([shutil.which("prometheus") or "prometheus", f"--config.file={cfg}",
                                  f"--storage.tsdb.path={self.data_dir / 'tsdb'}",
                                  f"--web.listen-address=127.0.0.1:{self.port}"], log=log)
        (self.data_dir / "prometheus.pid").write_text(str(self.proc.pid))
        stack.wait_for(lambda: stack._http_ok(f"{self.url}/-/ready"), what="Prometheus", timeout_s=timeout_s,
                       proc=self.proc, log=log)
        return self

    def query(self, promql: str) -> dict:
        """The HTTP API's answer to an instant query ({"status": ..., "data": {"result": [...]}})."""
        url = f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as exc:  # 400/422 carry the error as JSON too
            return json.load(exc)

    def get(self, path: str) -> dict:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=10) as r:
            return json.load(r)

    def stop(self) -> None:
        if self.proc is not None:
            stack.stop_pid(self.proc.pid)
            self.proc.wait(timeout=10)
            self.proc = None
        (self.data_dir / "prometheus.pid").unlink(missing_ok=True)
