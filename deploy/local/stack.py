"""Starts and stops the local Apache Kafka and secantusdb servers and credbridge's own processes.

Used by `make run` / `make stop` (as a script) and by the test suite (imported), so both run the
very same servers and commands. Every server is pinned, listens on 127.0.0.1 only, keeps its data
in a git-ignored folder and is stopped by the PID this module recorded.
"""
from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# What starts these local servers (make run, the benches, the tests) is a local run: the fixed development secrets
# key and single-broker topics are allowed unless the caller says otherwise.
os.environ.setdefault("CREDBRIDGE_ENV", "development")

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
KAFKA_VERSION = "4.2.2"  # keep in step with deploy/local/kafka/pom.xml
KAFKA_LIB = LOCAL / "kafka" / f"lib-{KAFKA_VERSION}"
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, *, what: str, timeout_s: float, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting:\n{tail}")
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - any failure here just means "not ready yet"
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not become ready within {timeout_s}s")


def _spawn(argv: list[str], *, log: Path, env: dict | None = None, cwd: Path = ROOT) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = open(log, "ab")
    # Own session: a Ctrl-C in the terminal does not race our orderly shutdown.
    return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)


def stop_pid(pid: int, *, timeout_s: float = 20.0, sig: int = signal.SIGTERM, group: bool = True) -> None:
    """Signals a process (by default its whole process group, as _spawn made it), then waits; SIGKILL after timeout."""
    try:
        os.killpg(pid, sig) if group else os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            pass
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL) if group else os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def fetch_kafka() -> Path:
    """Copies the pinned broker jars from Maven Central (Maven caches them after the first time)."""
    stamp = KAFKA_LIB / ".complete"
    if not stamp.exists():
        subprocess.run(["mvn", "-q", "-B", "-f", str(ROOT / "deploy/local/kafka/pom.xml"),
                        "dependency:copy-dependencies", f"-DoutputDirectory={KAFKA_LIB}", "-DincludeScope=runtime"],
                       check=True)
        stamp.touch()
    return KAFKA_LIB


def _cluster_id() -> str:
    """A KRaft cluster id: 22 url-safe base64 chars. Like Kafka's own Uuid.randomUuid, never one starting
    with '-', which StorageTool's argument parser would take for an option (1 run in 64 otherwise)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


@dataclass
class KafkaServer:
    port: int
    controller_port: int
    data_dir: Path
    proc: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _properties(self) -> str:
        return "\n".join([
            "process.roles=broker,controller", "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            f"log.dirs={self.data_dir / 'logs'}",
            "auto.create.topics.enable=false",
            # One node: internal topics must not ask for replicas that cannot exist, or groups hang.
            "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=3",
            "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "num.partitions=1",
        ]) + "\n"

    def start(self, *, timeout_s: float = 90) -> "KafkaServer":
        lib = fetch_kafka()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        props = self.data_dir / "server.properties"
        props.write_text(self._properties())
        classpath = f"{lib}/*"
        log = self.data_dir / "kafka.log"
        if not (self.data_dir / "logs" / "meta.properties").exists():
            cluster_id = _cluster_id()
            with open(log, "ab") as out:
                subprocess.run(["java", "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                                "-c", str(props)], check=True, stdout=out, stderr=subprocess.STDOUT)
        self.proc = _spawn(["java", "-Xmx1g", "-Xms256m", "-cp", classpath, "kafka.Kafka", str(props)], log=log)
        (self.data_dir / "kafka.pid").write_text(str(self.proc.pid))
        wait_for(self.ready, what="Kafka", timeout_s=timeout_s, proc=self.proc, log=log)
        return self

    def ready(self) -> bool:
        # A metadata call from the client, not a log line.
        from kafka import KafkaAdminClient
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=2000, client_id="stack-ready")
        try:
            admin.describe_cluster()
            return True
        finally:
            admin.close()

    def stop(self) -> None:
        _stop_recorded(self.data_dir / "kafka.pid", self.proc)
        self.proc = None


@dataclass
class MongoServer:
    port: int
    storage: str  # a folder, or ":memory:"
    log_dir: Path
    proc: subprocess.Popen | None = None
    command: list[str] | None = None  # what runs the server (its arguments follow); None: the pinned secantusd-py

    @property
    def uri(self) -> str:
        # retryWrites=false: secantusdb's single writes slow several-fold with retryable writes on.
        return f"mongodb://127.0.0.1:{self.port}/?retryWrites=false"

    def start(self, *, timeout_s: float = 60) -> "MongoServer":
        if self.storage != ":memory:":
            Path(self.storage).mkdir(parents=True, exist_ok=True)
        command = self.command or [shutil.which("secantusd-py", path=str(Path(PY).parent)) or "secantusd-py"]
        log = self.log_dir / "mongo.log"
        self.proc = _spawn([*command, "--host", "127.0.0.1", "--port", str(self.port), "--storage-path", self.storage,
                            "--log-level", "WARNING"], log=log)
        (self.log_dir / "mongo.pid").write_text(str(self.proc.pid))
        wait_for(self.ready, what="secantusdb", timeout_s=timeout_s, proc=self.proc, log=log)
        return self

    def ready(self) -> bool:
        from pymongo import MongoClient
        client = MongoClient(self.uri, serverSelectionTimeoutMS=1000)
        try:
            client.admin.command("ping")
            return True
        finally:
            client.close()

    def stop(self) -> None:
        _stop_recorded(self.log_dir / "mongo.pid", self.proc)
        self.proc = None


def _stop_recorded(pid_file: Path, proc: subprocess.Popen | None) -> None:
    if proc is None and pid_file.exists():
        stop_pid(int(pid_file.read_text()))
    elif proc is not None:
        stop_pid(proc.pid)
        proc.wait(timeout=5)
    pid_file.unlink(missing_ok=True)


@dataclass
class Ports:
    ingest: int = 8001
    verification: int = 8002
    matching: int = 8003
    writeback: int = 8004
    ingest_worker_metrics: int = 9101
    verification_worker_metrics: int = 9102
    matching_worker_metrics: int = 9103
    writeback_worker_metrics: int = 9104


def service_commands(ports: Ports) -> dict[str, list[str]]:
    """Every credbridge process: HTTP apps under gunicorn, each Kafka consumer its own process."""
    gunicorn = [PY, "-m", "gunicorn", "-c", str(ROOT / "deploy/gunicorn.conf.py")]
    return {
        "ingest": gunicorn + ["-b", f"127.0.0.1:{ports.ingest}", "services.ingest.app:create_app()"],
        "verification": gunicorn + ["-b", f"127.0.0.1:{ports.verification}", "services.verification.app:create_app()"],
        "matching": gunicorn + ["-b", f"127.0.0.1:{ports.matching}", "services.matching.app:create_app()"],
        "writeback": gunicorn + ["-b", f"127.0.0.1:{ports.writeback}", "services.writeback.app:create_app()"],
        "ingest-worker": [PY, "-m", "services.ingest.worker"],
        "verification-worker": [PY, "-m", "services.verification.worker"],
        "matching-worker": [PY, "-m", "services.matching.worker"],
        "writeback-worker": [PY, "-m", "services.writeback.worker"],
    }


def service_env(name: str, base: dict, *, metrics_root: Path, ports: Ports) -> dict:
    """One multiprocess-metrics folder per process group (gunicorn's workers share one; each worker its own)."""
    service = name.removesuffix("-worker")
    env = dict(base, PROMETHEUS_MULTIPROC_DIR=str(metrics_root / name), PYTHONUNBUFFERED="1")
    if name.endswith("-worker"):
        env["WORKER_METRICS_PORT"] = str(getattr(ports, f"{service}_worker_metrics"))
    return env


def reset_metrics_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


@dataclass
class Services:
    """The five credbridge processes, started from `service_commands` (tests and `make run` alike)."""
    env: dict
    ports: Ports
    log_dir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, names: list[str] | None = None) -> "Services":
        for name, argv in service_commands(self.ports).items():
            if names is not None and name not in names:
                continue
            env = service_env(name, self.env, metrics_root=self.log_dir / "metrics", ports=self.ports)
            reset_metrics_dir(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
            self.procs[name] = _spawn(argv, log=self.log_dir / f"{name}.log", env=env)
        for name in ("ingest", "verification", "matching", "writeback"):
            if name in self.procs:
                port = getattr(self.ports, name)
                wait_for(lambda port=port: _http_ok(f"http://127.0.0.1:{port}/healthz"), what=name, timeout_s=60,
                         proc=self.procs[name], log=self.log_dir / f"{name}.log")
        return self

    def stop(self, names: list[str] | None = None, *, sig: int = signal.SIGTERM) -> None:
        for name in list(self.procs):
            if names is None or name in names:
                stop_pid(self.procs[name].pid, sig=sig)
                self.procs.pop(name).wait(timeout=10)

    def start_replica(self, name: str, replica: int) -> str:
        """One more process of a Kafka worker, in the same consumer group; returns its name for stop()."""
        key = f"{name}-{replica}"
        # Its own metrics folder and port: a replica's /metrics must not also report its sibling's counts.
        env = service_env(name, self.env, metrics_root=self.log_dir / "metrics" / key, ports=self.ports)
        env["WORKER_METRICS_PORT"] = str(free_port())
        reset_metrics_dir(Path(env["PROMETHEUS_MULTIPROC_DIR"]))
        self.procs[key] = _spawn(service_commands(self.ports)[name], log=self.log_dir / f"{key}.log", env=env)
        return key


WORKERS = ("ingest-worker", "verification-worker", "matching-worker", "writeback-worker")


def wait_workers_ready(ports: Ports, *, timeout_s: float = 120, proc: subprocess.Popen | None = None) -> None:
    """Until every worker's /readyz says it joined its consumer group and was assigned partitions (a record
    published before that waits for the join)."""
    for name in WORKERS:
        port = getattr(ports, f"{name.removesuffix('-worker')}_worker_metrics")
        wait_for(lambda port=port: _http_ok(f"http://127.0.0.1:{port}/readyz"), what=f"{name} (joined, partitions "
                 "assigned)", timeout_s=timeout_s, proc=proc)


def _http_ok(url: str) -> bool:
    import urllib.request
    with urllib.request.urlopen(url, timeout=2) as r:
        return r.status == 200


# --- `make run` / `make stop` -----------------------------------------------------------------
RUN_DIR = LOCAL / "run"


def up() -> tuple[KafkaServer, MongoServer]:
    kafka = KafkaServer(port=int(os.environ.get("LOCAL_KAFKA_PORT", 9092)),
                        controller_port=int(os.environ.get("LOCAL_KAFKA_CONTROLLER_PORT", 9093)),
                        data_dir=LOCAL / "kafka-data")
    mongo = MongoServer(port=int(os.environ.get("LOCAL_MONGO_PORT", 27017)), storage=str(LOCAL / "mongo-data"),
                        log_dir=RUN_DIR)
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    print(f"starting Apache Kafka {KAFKA_VERSION} (KRaft) on {kafka.bootstrap} ...", flush=True)
    kafka.start()
    print(f"starting secantusdb on 127.0.0.1:{mongo.port} ...", flush=True)
    mongo.start()
    return kafka, mongo


def down() -> None:
    """`make stop`: ask `make run` to shut down in order (services, then servers); clean up what is left."""
    run_pid = RUN_DIR / "run.pid"
    if run_pid.exists():
        stop_pid(int(run_pid.read_text()), group=False, timeout_s=60)
        run_pid.unlink(missing_ok=True)
    for pid_file in (LOCAL / "kafka-data" / "kafka.pid", RUN_DIR / "mongo.pid", LOCAL / "prometheus" / "prometheus.pid"):
        if pid_file.exists():
            stop_pid(int(pid_file.read_text()))
            pid_file.unlink(missing_ok=True)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "down":
        down()
    else:
        sys.exit("usage: stack.py down   (make run starts everything via deploy/local/run.py)")
