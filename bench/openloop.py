"""Open-loop pipeline benchmark: applications sent at fixed instants whatever the answers, timed to their *complete* score.

Tried as a real ATS would (issue 19): each application is a signed generic webhook with two credentials from one
trusted did:key issuer, issued to the applicant's email: an OB 3.0 VC-JWT (EdDSA) and an eddsa-rdfc-2022 Data
Integrity credential. Every fourth application's VC-JWT is tampered with, so a wrong verdict would show. An
application is done only when its score is complete (every credential has its verdict, no requirement pending),
and every verdict and score is checked against what was minted.

For each offered rate it prints: offered | accepted | drained | 202 -> complete p50/p99 | webhook p50/p99, how
late the sender itself was, the answers other than 202, how many were wrong, when each partition finished, and,
if the services export credbridge_mongo_operations_total, MongoDB operations per application. `--stored N,...`
then seeds that many applications (clones of one real application's documents, inserted with insert_many) and runs
at 10/s on top of them. `--cpu` adds each process's CPU per complete application, `--py-spy` py-spy's samples of
each Python process (bench/cpuprofile.py), `--replicas verification-worker=2` more processes of a Kafka worker.

Starts its own Apache Kafka, secantusdb and the services on free ports, and runs 15 s of untimed load at 10/s
first (`--warmup`), printing its row. A pipeline just started is cold for its first seconds of load, the broker
most (0.47 of a core at 10/s in its first 12 s, 0.21-0.25 after: its JVM compiling its hot paths, presumably), and
a first rate measured without the warm-up shows that instead of the steady state.

Prints figures; asserts nothing. The default run takes under two minutes; the issue's figures: `--seconds 60
--drain 300 --stored 0,10000,100000`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]
import cpuprofile  # noqa: E402  (bench/cpuprofile.py: each process's CPU, and py-spy's samples)
import dbprofile  # noqa: E402  (bench/dbprofile.py: the database's own CPU by command and collection)
import pipeline  # noqa: E402  (bench/pipeline.py: the servers, the score's completeness rule)
import requests  # noqa: E402
import stack  # noqa: E402
from bson import json_util  # noqa: E402
from kafka import KafkaConsumer  # noqa: E402
from kafka.partitioner.default import murmur2  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from pymongo.errors import BulkWriteError  # noqa: E402

from services.demo_issuer import Issuer, tamper  # noqa: E402
from services.ingest.signatures import sign_generic  # noqa: E402
from services.matching.assess import ESSENTIAL_MISSING_CAP  # noqa: E402
from services.verification.trust import TrustRepository  # noqa: E402
from shared import events, mongo  # noqa: E402
from shared.kafka import ensure_topics  # noqa: E402
from shared.settings import Settings  # noqa: E402
from shared.tenants import TenantRepository  # noqa: E402
from tests.support.di_signer import Signer, ob3_credential  # noqa: E402

ROLE = "job-openloop"
REQUIREMENTS = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1},
                {"id": "sql", "competency": "SQL Fundamentals", "importance": "essential", "weight": 1}]
MONGO_OPS = "credbridge_mongo_operations_total"


@dataclass(frozen=True)
class Minted:
    """One application as sent, and what its score must say."""
    app_id: str
    body: bytes
    forged: bool  # its VC-JWT was tampered with: that verdict must be "failed", Python not met

    def wrong(self, doc: dict) -> str | None:
        """Why the complete score `doc` disagrees with what was minted (None: it agrees)."""
        verdicts = sorted(c.get("verdict") for c in doc.get("credentials") or [])
        want = sorted(["failed" if self.forged else "verified", "verified"])
        if verdicts != want:
            return f"verdicts {verdicts}, expected {want}"
        met = {r["id"]: r.get("status") for r in doc.get("requirements") or []}
        want_met = {"py": "missing" if self.forged else "met", "sql": "met"}
        if met != want_met:
            return f"requirements {met}, expected {want_met}"
        # Half the weight met, but an essential requirement unmet caps the score (services/matching/assess.py).
        want_score = min(50, ESSENTIAL_MISSING_CAP) if self.forged else 100
        if doc.get("score") != want_score:
            return f"score {doc.get('score')}, expected {want_score}"
        return None


class Mint:
    """One issuer key, both formats: did:key trusted by the tenant, credentials issued to each applicant's email."""

    def __init__(self) -> None:
        self.signer = Signer()
        self.issuer = Issuer.from_private_key(self.signer.private)

    def application(self, prefix: str, i: int) -> Minted:
        email = f"applicant-{prefix}-{i}@example.org"
        token = self.issuer.vc_jwt(subject_email=email, achievement_name="Python Programming")
        forged = i % 4 == 3
        if forged:
            token = tamper(token, achievement_name="Python Programming (forged)")
        doc = ob3_credential(self.signer.did, id=f"urn:uuid:{uuid.uuid4()}")
        doc["credentialSubject"]["identifier"][0]["identityHash"] = email
        app_id = f"{prefix}-app-{i}"
        body = json.dumps({"event_id": f"{prefix}-{i}", "application": {"id": app_id, "job_id": ROLE},
                           "candidate": {"id": f"cand-{prefix}-{i}", "name": "Bench", "emails": [email]},
                           "credentials": [{"jwt": token}, {"document": self.signer.sign(doc)}]}).encode()
        return Minted(app_id=app_id, body=body, forged=forged)


@dataclass
class Run:
    rate: int
    seconds: float
    offered: int = 0
    sent_at: dict[str, float] = field(default_factory=dict)  # app id -> its 202
    answers: dict[int, int] = field(default_factory=dict)  # status -> count
    webhook_s: list[float] = field(default_factory=list)
    late_s: list[float] = field(default_factory=list)  # how far behind its fixed instant each send started
    complete_at: dict[str, float] = field(default_factory=dict)
    wrong: dict[str, str] = field(default_factory=dict)
    start: float = 0.0
    mongo_ops: float | None = None
    mongo_time: str = ""  # where MongoDB time went, per complete application
    partitions: dict[str, int] = field(default_factory=dict)
    incomplete: dict[str, int] = field(default_factory=dict)  # why accepted applications were not complete: count
    score_reads: int = 0  # the bench's own reads of scores over HTTP (load on the matching API and the database)

    def row(self) -> str:
        accepted = len(self.sent_at)
        done = [self.complete_at[a] - self.sent_at[a] for a in self.complete_at]
        # The rate complete scores came at, first to last: a short run's startup and tail do not dilute it.
        at = sorted(self.complete_at.values())
        drained = (len(at) - 1) / (at[-1] - at[0]) if len(at) > 1 and at[-1] > at[0] else 0.0
        return (f"| {self.rate}/s | {accepted / self.seconds:.1f}/s | {drained:.1f}/s | {_ms(done, 50)} / {_ms(done, 99)} "
                f"| {_ms(self.webhook_s, 50)} / {_ms(self.webhook_s, 99)} |")

    def notes(self) -> str:
        answers = ", ".join(f"{n}×{s}" for s, n in sorted(self.answers.items()))
        ops = f"; MongoDB ops/application {self.mongo_ops:.1f}" if self.mongo_ops is not None else ""
        ops += f"; the bench's score reads/application {self.score_reads / max(len(self.complete_at), 1):.2f}"
        return (f"  {self.rate}/s: offered {self.offered}, answers {answers}; complete {len(self.complete_at)} of "
                f"{len(self.sent_at)} accepted; wrong {len(self.wrong)} {list(self.wrong.values())[:1]}; sender late p99 {_ms(self.late_s, 99)}"
                f"{ops}\n  partitions finished (s after the first send): {self.partition_finish()}"
                f"\n  MongoDB per complete application: {self.mongo_time}"
                + (f"\n  not complete when the drain ended: {self.incomplete}" if self.incomplete else ""))

    def partition_finish(self) -> str:
        last: dict[int, float] = {}
        count: dict[int, int] = {}
        for app, at in self.complete_at.items():
            p = self.partitions.get(app, -1)
            last[p] = max(last.get(p, 0.0), at - self.start)
            count[p] = count.get(p, 0) + 1
        return ", ".join(f"p{p}: {count[p]} apps by {last[p]:.1f}" for p in sorted(last))


def _ms(values: list[float], pct: int) -> str:
    if not values:
        return "n/a"
    v = statistics.quantiles(values, n=100)[pct - 1] if len(values) > 1 else values[0]
    return f"{v:.1f} s" if v >= 10 else f"{v * 1000:.0f} ms"


class Bench:
    def __init__(self, *, settings: Settings, ports: stack.Ports, tenant: str, secret: str, api_key: str,
                 mint: Mint, partitions: int) -> None:
        self.settings, self.ports, self.tenant, self.mint = settings, ports, tenant, mint
        self.webhook = f"http://127.0.0.1:{ports.ingest}/v1/webhooks/generic/{tenant}"
        self.secret = secret
        self.scores = f"http://127.0.0.1:{ports.matching}/v1/applications"
        self.auth = {"Authorization": f"Bearer {api_key}"}
        self.n_partitions = partitions

    def applications(self, rate: int, *, seconds: float) -> list[Minted]:
        """What one run sends, minted beforehand (signing is the bench's work, not the pipeline's)."""
        prefix = uuid.uuid4().hex[:6]
        return [self.mint.application(prefix, i) for i in range(int(rate * seconds))]

    def run(self, rate: int, *, seconds: float, drain_s: float, minted: list[Minted] | None = None) -> Run:
        minted = self.applications(rate, seconds=seconds) if minted is None else minted
        by_id = {m.app_id: m for m in minted}
        run = Run(rate=rate, seconds=seconds, offered=len(minted))
        run.partitions = {m.app_id: self.partition(m.app_id) for m in minted}
        scrape_before = self.scrape()
        watcher = Watcher(self, by_id, run)
        watcher.start()
        local = threading.local()

        def send(m: Minted, due: float) -> None:
            run.late_s.append(max(time.monotonic() - due, 0.0))
            http = getattr(local, "http", None)
            if http is None:
                http = local.http = requests.Session()
            t0 = time.monotonic()
            try:
                r = http.post(self.webhook, data=m.body, headers=sign_generic(self.secret, m.body, int(time.time())),
                              timeout=60)
                status = r.status_code
            except requests.RequestException:
                status = 0  # no answer at all
            t1 = time.monotonic()
            run.webhook_s.append(t1 - t0)
            run.answers[status] = run.answers.get(status, 0) + 1
            if status == 202:
                run.sent_at[m.app_id] = t1

        # Enough threads that a slow answer never delays the next send (sender lateness is printed to show it).
        with ThreadPoolExecutor(max_workers=min(max(rate * 12, 16), 1200)) as pool:
            run.start = time.monotonic()
            for i, m in enumerate(minted):
                due = run.start + i / rate
                if (delay := due - time.monotonic()) > 0:
                    time.sleep(delay)
                pool.submit(send, m, due)
        watcher.finish(drain_s)
        run.incomplete = self.why_incomplete([a for a in run.sent_at if a not in run.complete_at])
        if run.complete_at:
            run.mongo_ops, run.mongo_time = self.scrape().per_application(scrape_before, len(run.complete_at))
        return run

    def why_incomplete(self, apps: list[str]) -> dict[str, int]:
        """What the recruiters' API says of each accepted application whose score was not complete: a tally."""
        why: dict[str, int] = {}
        with requests.Session() as http:
            for app in apps:
                r = http.get(f"{self.scores}/{app}/score", headers=self.auth, timeout=30)
                if not r.ok:
                    key = f"HTTP {r.status_code}"
                else:
                    doc = r.json()
                    waiting = sum(1 for c in doc.get("credentials") or [] if not c.get("verdict"))
                    key = f"{doc.get('status')}, {waiting} of {len(doc.get('credentials') or [])} credentials without a verdict"
                    if pipeline.complete(doc):
                        key = "complete, but after the drain or its score event was missed"
                why[key] = why.get(key, 0) + 1
        return why

    def partition(self, app_id: str) -> int:
        # The producer's default partitioner over shared/kafka.py's message key (murmur2, positive, modulo).
        return (murmur2(f"{self.tenant}:{app_id}".encode()) & 0x7FFFFFFF) % self.n_partitions

    def scrape(self) -> Scrape:
        """MongoDB figures summed from every process's /metrics: operations (if exported) and time by command."""
        p = self.ports
        out = Scrape()
        for proc, port in (("ingest", p.ingest), ("verification", p.verification), ("matching", p.matching),
                           ("ingest-worker", p.ingest_worker_metrics),
                           ("verification-worker", p.verification_worker_metrics),
                           ("matching-worker", p.matching_worker_metrics),
                           ("writeback-worker", p.writeback_worker_metrics)):
            try:
                text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except requests.RequestException:
                continue
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == MONGO_OPS:
                        out.ops = (out.ops or 0.0) + sample.value
                    elif sample.name in ("credbridge_mongo_command_seconds_sum", "credbridge_mongo_command_seconds_count"):
                        key = (proc, sample.labels.get("command", "?"), sample.name.rsplit("_", 1)[1])
                        out.commands[key] = out.commands.get(key, 0.0) + sample.value
        return out


@dataclass
class Scrape:
    ops: float | None = None
    commands: dict[tuple[str, str, str], float] = field(default_factory=dict)  # (process, command, sum|count)

    def per_application(self, before: "Scrape", n: int) -> tuple[float | None, str]:
        """Operations per application (if exported), and where MongoDB time went: each (process, command) sent at
        least once per 20 applications, most time first."""
        ops = (self.ops - before.ops) / n if self.ops is not None and before.ops is not None else None
        spent = {}
        for (proc, command, kind), value in self.commands.items():
            if kind == "sum":
                delta = value - before.commands.get((proc, command, kind), 0.0)
                calls = self.commands.get((proc, command, "count"), 0.0) - before.commands.get((proc, command, "count"), 0.0)
                spent[(proc, command)] = (delta, calls)
        top = [kv for kv in sorted(spent.items(), key=lambda kv: -kv[1][0]) if kv[1][1] / n >= 0.05]
        return ops, ", ".join(f"{proc} {command} {calls / n:.1f}×/app {1000 * secs / max(calls, 1):.1f} ms"
                              for (proc, command), (secs, calls) in top if calls)


class Watcher(threading.Thread):
    """Reads scores.computed; a scored event with no requirement pending is confirmed over HTTP, as a recruiter sees
    it, until complete (a credential may still await its verdict when no requirement does: such a score is re-read
    at most once every REREAD_S). A pending score is not read: its resolution is announced by another event. The
    bench's reads are load on the pipeline too, so it reads about once per application, not at every poll."""

    REREAD_S = 1.0

    def __init__(self, bench: Bench, minted: dict[str, Minted], run: Run) -> None:
        super().__init__(daemon=True)
        self.bench, self.minted, self.run_ = bench, minted, run
        self.until: float | None = None
        self.consumer = KafkaConsumer(events.SCORES_COMPUTED,
                                      bootstrap_servers=bench.settings.kafka_bootstrap_servers.split(","),
                                      group_id=f"openloop-{uuid.uuid4().hex[:6]}", auto_offset_reset="latest",
                                      enable_auto_commit=False)
        self.consumer.poll(timeout_ms=1000)  # joined before the first send: no score event is missed
        self.http = requests.Session()
        self.unsettled: dict[str, float] = {}  # application -> when it was last read incomplete

    def run(self) -> None:
        run = self.run_
        while True:
            for records in self.consumer.poll(timeout_ms=200).values():
                for r in records:
                    payload = json.loads(r.value)["payload"]
                    app = payload.get("application_id")
                    if app in self.minted and app not in run.complete_at and payload.get("status") == "scored" and \
                            all(q.get("status") != "pending" for q in payload.get("requirements") or []):
                        self.settle(app)
            due = time.monotonic() - self.REREAD_S
            for app in [a for a, at in self.unsettled.items() if at <= due]:
                self.settle(app)
            if self.until is not None and (len(run.complete_at) >= len(run.sent_at) or time.monotonic() > self.until):
                return

    def settle(self, app: str) -> None:
        r = self.http.get(f"{self.bench.scores}/{app}/score", headers=self.bench.auth, timeout=30)
        self.run_.score_reads += 1
        if r.ok and pipeline.complete(doc := r.json()):
            self.run_.complete_at[app] = time.monotonic()
            self.unsettled.pop(app, None)
            if (why := self.minted[app].wrong(doc)) is not None:
                self.run_.wrong[app] = why
        else:
            self.unsettled[app] = time.monotonic()

    def finish(self, drain_s: float) -> None:
        self.until = time.monotonic() + drain_s
        self.join()
        self.consumer.close()


# Documents that name an application, by collection: what one application leaves in the database.
SEEDED = ("webhook_deliveries", "applications", "evidence", "scores", "verdicts")


def seed(db, *, template: str, credential_ids: list[str], total: int, batch: int = 2000) -> dict[str, int]:
    """Clones one real application's documents until `total` applications are stored, with insert_many.

    Honest about what it stores: every document the pipeline wrote for `template` (deliveries, application,
    evidence, score, verdicts), copied with the application, event and credential ids made unique (credential ids as
digests spread over the id space, like the ones ingest derives). Returns the
    documents inserted per collection (a clone a unique index refused is not counted).
    """
    docs = {c: [json_util.dumps(d) for d in db[c].find() if template in json_util.dumps(d)] for c in SEEDED}
    have = db["applications"].count_documents({})
    inserted = {c: 0 for c in SEEDED}
    for start in range(have, total, batch):
        for c, templates in docs.items():
            clones = []
            for k in range(start, min(start + batch, total)):
                for text in templates:
                    for cid in credential_ids:  # a digest, as ingest derives them, not the template's id + suffix
                        text = text.replace(cid, events.derive_id("seeded", cid, str(k)))
                    doc = json_util.loads(text.replace(template, f"{template}-s{k}"))
                    if not isinstance(doc["_id"], str):
                        doc.pop("_id")
                    elif f"-s{k}" not in doc["_id"]:  # a key that does not name the application
                        doc["_id"] = f"{doc['_id']}-s{k}"
                    clones.append(doc)
            if clones:
                try:
                    inserted[c] += len(db[c].insert_many(clones, ordered=False).inserted_ids)
                except BulkWriteError as exc:
                    inserted[c] += exc.details.get("nInserted", 0)
    return inserted


def main() -> None:
    import signal
    signal.signal(signal.SIGTERM, pipeline._interrupted)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="10,50,100", help="offered applications/s, one run each")
    ap.add_argument("--seconds", type=float, default=6, help="how long each rate is offered")
    ap.add_argument("--drain", type=float, default=20, help="how long to wait for complete scores after the last send")
    ap.add_argument("--stored", default="", help="e.g. 0,10000,100000: applications stored before a 10/s run")
    ap.add_argument("--stored-rate", type=int, default=10)
    ap.add_argument("--warmup", type=float, default=15,
                    help="seconds of untimed load at 10/s before the first rate, its row printed as the warm-up's: a rate "
                         "run right after start measures a cold broker (0: no warm-up beyond one application per "
                         "worker)")
    ap.add_argument("--db-profile", action="store_true",
                    help="run the database under bench/dbprofile.py and print its CPU per application by command and "
                         "collection after each run (the bench's own score reads included)")
    ap.add_argument("--cpu", action="store_true",
                    help="print each process's CPU per complete application after each run (from /proc)")
    ap.add_argument("--py-spy", action="store_true",
                    help="also record every Python process with py-spy during each run and print where its samples "
                         "fall (implies --cpu)")
    ap.add_argument("--replicas", default="", help="e.g. verification-worker=2,matching-worker=2: processes of a "
                    "Kafka worker in its consumer group (each topic has as many partitions as settings say)")
    args = ap.parse_args()
    args.cpu = args.cpu or args.py_spy
    workdir = Path(tempfile.mkdtemp(prefix="credbridge-openloop-"))
    profile = workdir / "dbprofile.json"

    def db_reading() -> dict:
        """The database's CPU account as of now (written every second); empty without --db-profile."""
        if not args.db_profile:
            return {}
        time.sleep(1.5)
        return dbprofile.read(profile)
    kafka = stack.KafkaServer(port=stack.free_port(), controller_port=stack.free_port(), data_dir=workdir / "kafka").start()
    db_server = stack.MongoServer(port=stack.free_port(), storage=str(workdir / "mongo"), log_dir=workdir,
                                  command=[stack.PY, str(Path(__file__).with_name("dbprofile.py")), str(profile)]
                                  if args.db_profile else None).start()
    services = None
    try:
        settings = Settings.from_env(kafka_bootstrap_servers=kafka.bootstrap, mongo_uri=db_server.uri, mongo_db="bench")
        ensure_topics(settings)
        db = mongo.connect(settings)
        tenants = TenantRepository(db, settings)
        tenants.ensure_indexes()
        tenant, api_key = tenants.create_tenant("Open loop")
        secret = tenants.add_connection(tenant, "generic")
        mint = Mint()
        trust = TrustRepository(db)
        trust.ensure_indexes()
        trust.add(tenant, "did", mint.signer.did)
        env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap, MONGO_URI=db_server.uri, MONGO_DB="bench",
                   RATE_LIMIT_WEBHOOKS_PER_MINUTE="0",  # one tenant sends the whole load: measure ingest, not the limiter
                   RATE_LIMIT_API_PER_MINUTE="0")  # and the bench reads every application's score (429s were missed scores)
        ports = stack.Ports(**{f: stack.free_port() for f in stack.Ports.__dataclass_fields__})
        services = stack.Services(env=env, ports=ports, log_dir=workdir / "services").start()
        for name, count in (spec.split("=") for spec in args.replicas.split(",") if spec):
            for replica in range(1, int(count)):
                services.start_replica(name, replica)
        bench = Bench(settings=settings, ports=ports, tenant=tenant, secret=secret, api_key=api_key, mint=mint,
                      partitions=settings.kafka_topic_partitions)
        requests.put(f"http://127.0.0.1:{ports.matching}/v1/roles/{ROLE}", headers=bench.auth, timeout=10,
                     json={"title": "Open loop", "requirements": REQUIREMENTS}).raise_for_status()
        warm = bench.run(1, seconds=2, drain_s=120)  # every worker joined and warm before anything is timed
        print(f"warm-up: {len(warm.complete_at)} of {warm.offered} complete, wrong {len(warm.wrong)} "
              f"{list(warm.wrong.values())[:1]}", flush=True)
        if args.warmup > 0:
            cold = bench.run(10, seconds=args.warmup, drain_s=args.drain)
            print(f"warm-up at 10/s for {args.warmup:.0f} s, untimed (a cold broker): {cold.row()}; "
                  f"complete {len(cold.complete_at)} of {len(cold.sent_at)}, wrong {len(cold.wrong)}", flush=True)
        print(f"machine: {os.cpu_count()} cores (shared); {args.seconds:.0f} s per rate, drain up to {args.drain:.0f} s")
        print("| offered | accepted | drained | 202 → complete p50 / p99 | webhook p50 / p99 |\n|---|---|---|---|---|",
              flush=True)
        python = {**{name: proc.pid for name, proc in services.procs.items()}, "secantusdb": db_server.proc.pid}
        roots = {**python, "kafka": kafka.proc.pid, "bench (the ATS and the score reads)": os.getpid()}
        runs, profiles = [], []
        for rate in [int(r) for r in args.rates.split(",") if r]:
            pipeline._drain(settings, cap_s=args.drain)  # a backlog left from the last rate: its notes show it
            spy = cpuprofile.Spy(python, workdir / f"py-spy-{rate}").start() if args.py_spy else None
            measured = {**roots, "py-spy (the profiler)": spy.pids()} if spy is not None else roots
            minted = bench.applications(rate, seconds=args.seconds)
            before, cpu_before, started = db_reading(), cpuprofile.reading(measured) if args.cpu else {}, \
                time.monotonic()
            runs.append(bench.run(rate, seconds=args.seconds, drain_s=args.drain, minted=minted))
            cpu = cpuprofile.table(cpu_before, cpuprofile.reading(measured), len(runs[-1].complete_at),
                                   time.monotonic() - started) if args.cpu else ""
            if spy is not None:
                spy.stop()
                cpu += "\n" + spy.report()
            profiles.append("\n".join(filter(None, [
                dbprofile.table(before, db_reading(), len(runs[-1].complete_at)) if args.db_profile else "", cpu])))
            print(runs[-1].row(), flush=True)
        for r, p in zip(runs, profiles, strict=True):
            print(r.notes())
            if p:
                print(p)
        if args.stored:
            template = next(iter(warm.complete_at))
            doc = requests.get(f"{bench.scores}/{template}/score", headers=bench.auth, timeout=10).json()
            cids = [c["credential_id"] for c in doc.get("credentials") or []]
            print("\nstored applications | drained at "
                  f"{args.stored_rate}/s | 202 → complete p50 / p99 | webhook p50 / p99\n|---|---|---|---|")
            for n in [int(s) for s in args.stored.split(",")]:
                t0 = time.monotonic()
                inserted = seed(db, template=template, credential_ids=cids, total=n)
                seeded_s = time.monotonic() - t0
                stored = db["applications"].count_documents({})
                pipeline._drain(settings, cap_s=args.drain)
                before = db_reading()
                r = bench.run(args.stored_rate, seconds=args.seconds, drain_s=args.drain)
                after = db_reading()
                cells = r.row().split("|")
                print(f"| {stored:,} |{cells[3]}|{cells[4]}|{cells[5]}|   (seeded {sum(inserted.values()):,} documents "
                      f"in {seeded_s:.0f} s; wrong {len(r.wrong)}; complete {len(r.complete_at)}/"
                      f"{len(r.sent_at)})", flush=True)
                print(f"    MongoDB per complete application: {r.mongo_time}", flush=True)
                if args.db_profile:
                    print(dbprofile.table(before, after, len(r.complete_at)), flush=True)
    finally:
        if services is not None:
            services.stop()
        kafka.stop()
        db_server.stop()


if __name__ == "__main__":
    main()
