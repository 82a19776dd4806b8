"""Scale-out on Kafka's own mechanism: two replicas of each worker share a consumer group; one stops, the other takes over."""
from __future__ import annotations

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from kafka import KafkaAdminClient
from pymongo import MongoClient

from tests.support.issuer import Issuer
from tests.support.waiting import wait_for

ROLE = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]
WORKERS = ["ingest-worker", "verification-worker", "matching-worker"]


def _groups_of_two(settings) -> bool:
    """Each worker's consumer group has two members and has finished rebalancing, so each owns partitions."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, client_id="scale-out-test")
    try:
        groups = admin.describe_groups([w.removesuffix("-worker") for w in WORKERS])
    finally:
        admin.close()
    return all(len(g["members"]) == 2 and g["group_state"] == "Stable" for g in groups.values())


def _handled(running, name: str) -> int:
    log = running.log_dir / f"{name}.log"
    return log.read_text(errors="replace").count('"msg": "event handled"') if log.exists() else 0


class Pipeline:
    def __init__(self, api, running, settings):
        self.api, self.running = api, running
        self.tenant = api.new_tenant()
        api.put_role(self.tenant, "job-scale", ROLE)
        self.issuer = Issuer.generate()
        self.db = MongoClient(settings.mongo_uri)[settings.mongo_db]
        self.sent: list[str] = []

    def send(self, app_ids: list[str]) -> None:
        def one(app_id):
            r = self.api.send(self.tenant, application_id=app_id, job_id="job-scale",
                              credentials=[{"jwt": self.issuer.vc_jwt(achievement_name="Python Programming")}])
            assert r.status_code == 202, r.text
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, app_ids))
        self.sent += app_ids

    def all_scored(self, *, timeout_s: float = 90) -> None:
        t = self.tenant["tenant"]

        def done():
            docs = list(self.db.scores.find({"tenant": t, "score": 100}, {"application_id": 1}))
            return len(docs) == len(self.sent)
        wait_for(done, timeout_s=timeout_s, what=f"{len(self.sent)} scores")

    def assert_exactly_once(self) -> None:
        t = self.tenant["tenant"]
        per_app = Counter(d["application_id"] for d in self.db.scores.find({"tenant": t}, {"application_id": 1}))
        assert set(per_app) == set(self.sent) and set(per_app.values()) == {1}
        verdicts = Counter(d["credential_id"] for d in self.db.verdicts.find({"tenant": t}, {"credential_id": 1}))
        assert len(verdicts) == len(self.sent) and set(verdicts.values()) == {1}


def test_a_replica_stopped_mid_stream_hands_its_partitions_to_the_survivor_and_nothing_is_lost_or_doubled(
        api, running, e2e_settings):
    pipeline = Pipeline(api, running, e2e_settings)
    replicas = [running.start_replica(w, 2) for w in WORKERS]
    try:
        wait_for(lambda: _groups_of_two(e2e_settings), timeout_s=60, what="the second replicas to join their groups")
        # SIGTERM: the second replicas finish what is in hand, commit, and leave the group.
        pipeline.send([f"app-scale-a{i:02d}" for i in range(30)])
        wait_for(lambda: all(_handled(running, r) for r in replicas), timeout_s=60,
              what="both replicas of every worker to share the work")
        running.stop(replicas, sig=signal.SIGTERM)
        pipeline.send([f"app-scale-b{i:02d}" for i in range(30)])
        pipeline.all_scored()  # only the first replicas are left, so they took over every partition

        # SIGKILL: the first replicas die holding uncommitted work; the session timeout moves it on.
        replicas = [running.start_replica(w, 3) for w in WORKERS]
        wait_for(lambda: _groups_of_two(e2e_settings), timeout_s=60, what="the new replicas to join their groups")
        pipeline.send([f"app-scale-c{i:02d}" for i in range(30)])
        running.stop(WORKERS, sig=signal.SIGKILL)
        pipeline.send([f"app-scale-d{i:02d}" for i in range(30)])
        pipeline.all_scored(timeout_s=120)
        assert all(_handled(running, r) for r in replicas)
        pipeline.assert_exactly_once()
    finally:
        running.stop([r for r in replicas if r in running.procs])
        running.start([w for w in WORKERS if w not in running.procs])
