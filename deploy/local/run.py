"""`make run`: start the local broker and database, create topics, run every service, say where to send requests."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stack  # noqa: E402
import prometheus_local  # noqa: E402

sys.path.insert(0, str(stack.ROOT))
from shared.kafka import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402

BANNER = """
credbridge is running.
  ingest        http://127.0.0.1:{p.ingest}    POST /v1/webhooks/<provider>/<tenant>
  verification  http://127.0.0.1:{p.verification}    POST /v1/verify, POST /credentials/verify (VC-API)
  matching      http://127.0.0.1:{p.matching}    PUT /v1/roles/<role_id>, GET /v1/applications/<id>/score
  recruiters    http://127.0.0.1:{p.matching}/app/    the recruiters' web page (sign in with the api_key)
  write-back    http://127.0.0.1:{p.writeback}    Greenhouse Assessment partner calls /v1/assessments/greenhouse/<tenant>/…
  Kafka         {kafka}        MongoDB {mongo}
  logs          .local/run/          stop with Ctrl-C or `make stop`

Try it (in another terminal):
  export CREDBRIDGE_ENV=development                               # a local run: the development secrets key
  .venv/bin/credbridge tenant create "Acme"                       # note the tenant id and api_key
  .venv/bin/credbridge connection add <tenant> generic            # note the secret
  .venv/bin/credbridge demo-webhook <tenant> --secret <secret>    # prints and sends a signed webhook
  curl -H "Authorization: Bearer <api_key>" http://127.0.0.1:{p.matching}/v1/applications/app-1/score
"""


def _interrupt(*_args):
    raise KeyboardInterrupt  # `make stop` sends SIGTERM: shut down exactly as for Ctrl-C


def _start_prometheus(ports: stack.Ports):
    """A local Prometheus with credbridge's alert rules, scraping every local service (deploy/local/prometheus_local.py)."""
    if not prometheus_local.installed():
        print("Prometheus not started: install Debian's `prometheus` package (apt-get install -y prometheus).", flush=True)
        return None
    server = prometheus_local.PrometheusServer(port=int(os.environ.get("LOCAL_PROMETHEUS_PORT", 9090)),
                                               data_dir=stack.LOCAL / "prometheus",
                                               targets=prometheus_local.scrape_targets(ports))
    try:
        server.start()
    except (RuntimeError, TimeoutError) as exc:  # e.g. the port is taken: credbridge itself runs on without it
        print(f"Prometheus did not start: {exc}", flush=True)
        server.stop()
        return None
    print(f"  Prometheus    {server.url}    targets: {server.url}/targets   alerts: {server.url}/alerts", flush=True)
    return server


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    stack.RUN_DIR.mkdir(parents=True, exist_ok=True)
    (stack.RUN_DIR / "run.pid").write_text(str(os.getpid()))
    kafka, mongo = stack.up()
    ports = stack.Ports()
    settings = Settings.from_env(kafka_bootstrap_servers=kafka.bootstrap, mongo_uri=mongo.uri)
    created = ensure_topics(settings)
    print(f"topics ready ({len(created)} created)", flush=True)
    base_env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap, MONGO_URI=mongo.uri)
    base_env["CREDBRIDGE_FETCH_ALLOW_LOOPBACK"] = "1"  # local runs only: `make demo` serves its status list on 127.0.0.1
    procfile = stack.RUN_DIR / "Procfile"
    lines = []
    for name, argv in stack.service_commands(ports).items():
        env = stack.service_env(name, {}, metrics_root=stack.RUN_DIR / "metrics", ports=ports)
        stack.reset_metrics_dir(stack.Path(env["PROMETHEUS_MULTIPROC_DIR"]))
        lines.append(f"{name}: env {' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items())} {shlex.join(argv)}")
    procfile.write_text("\n".join(lines) + "\n")
    prometheus = None
    honcho = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "honcho"), "-f", str(procfile),
                               "-d", str(stack.ROOT), "start"], env=base_env)
    try:
        for name in ("ingest", "verification", "matching", "writeback"):
            port = getattr(ports, name)
            stack.wait_for(lambda port=port: stack._http_ok(f"http://127.0.0.1:{port}/readyz"), what=name, timeout_s=60,
                           proc=honcho)
        stack.wait_workers_ready(ports, proc=honcho)  # "running" means a webhook sent now is handled at once
        print(BANNER.format(p=ports, kafka=kafka.bootstrap, mongo=mongo.uri), flush=True)
        prometheus = _start_prometheus(ports)
        return honcho.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGTERM)  # honcho stops every service, then exits
            honcho.wait(timeout=60)
        if prometheus is not None:
            prometheus.stop()
        (stack.RUN_DIR / "run.pid").unlink(missing_ok=True)
        kafka.stop()
        mongo.stop()
        print("stopped Kafka and secantusdb", flush=True)


if __name__ == "__main__":
    sys.exit(main())
