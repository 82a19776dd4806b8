"""Faults: a consumer killed mid-stream, and the broker going away. Nothing accepted may be lost or doubled."""
from __future__ import annotations

import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from pymongo import MongoClient

from tests.support.issuer import Issuer
from tests.support.waiting import wait_for

ROLE = [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]


def _db(settings):
    return MongoClient(settings.mongo_uri)[settings.mongo_db]


def test_consumers_killed_mid_stream_and_restarted_leave_exactly_one_score_and_one_verdict_each(api, running, e2e_settings):
    tenant = api.new_tenant()
    api.put_role(tenant, "job-kill", ROLE)
    issuer = Issuer.generate()
    apps = [f"app-kill-{i:03d}" for i in range(200)]

    def send(app_id):
        r = api.send(tenant, application_id=app_id, job_id="job-kill",
                     credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
        assert r.status_code == 202, r.text

    workers = ["ingest-worker", "verification-worker", "matching-worker"]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(send, apps[:70]))
        running.stop(workers, sig=signal.SIGKILL)  # no chance to commit what is in hand
        list(pool.map(send, apps[70:140]))
        running.start(workers)
        list(pool.map(send, apps[140:]))

    db = _db(e2e_settings)
    t = tenant["tenant"]

    def all_scored():
        docs = list(db.scores.find({"tenant": t}, {"application_id": 1, "score": 1}))
        done = [d for d in docs if d.get("score") == 100]
        return docs if len(done) == len(apps) else None

    docs = wait_for(all_scored, timeout_s=120, what="200 scores")
    per_app = Counter(d["application_id"] for d in docs)
    assert set(per_app) == set(apps) and set(per_app.values()) == {1}
    verdicts = Counter(d["credential_id"] for d in db.verdicts.find({"tenant": t}, {"credential_id": 1}))
    assert len(verdicts) == len(apps) and set(verdicts.values()) == {1}


def test_with_the_broker_stopped_webhooks_answer_503_and_nothing_is_half_written_then_flow_again(
        api, servers, running, e2e_settings):
    tenant = api.new_tenant()
    api.put_role(tenant, "job-broker", ROLE)
    issuer = Issuer.generate()
    db = _db(e2e_settings)
    # Work in hand when the broker goes: the workers' commits are refused when it returns (their group
    # sessions lapsed meanwhile), which must not stop them.
    in_flight = [f"app-inflight-{i:02d}" for i in range(30)]
    with ThreadPoolExecutor(8) as pool:
        assert all(r.status_code == 202 for r in pool.map(
            lambda a: api.send(tenant, application_id=a, job_id="job-broker",
                               credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}]),
            in_flight))
    servers.kafka.stop()
    try:
        resp = api.send(tenant, application_id="app-down", job_id="job-broker", event_id="evt-down",
                        credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
        assert resp.status_code == 503, resp.text
        assert resp.headers["Content-Type"].startswith("application/problem+json")
        assert int(resp.headers["Retry-After"]) > 0
        assert db.webhook_deliveries.count_documents({"tenant": tenant["tenant"], "delivery_id": "evt-down"}) == 0
        time.sleep(8)  # longer than the workers' session timeout
    finally:
        servers.kafka.start()
    # The ATS retries the same delivery, and new ones arrive: both flow through to a score.
    retry = api.send(tenant, application_id="app-down", job_id="job-broker", event_id="evt-down",
                     credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
    assert retry.status_code == 202, retry.text
    fresh = api.send(tenant, application_id="app-after", job_id="job-broker",
                     credentials=[{"jwt": issuer.vc_jwt(achievement_name="Python Programming")}])
    assert fresh.status_code == 202, fresh.text
    for app_id in ("app-down", "app-after"):
        assert api.wait_score(tenant, app_id, until=lambda d: d.get("score") == 100, timeout_s=90)["score"] == 100
    wait_for(lambda: db.scores.count_documents({"tenant": tenant["tenant"], "score": 100}) == len(in_flight) + 2,
             timeout_s=90, what="every application accepted before the outage scored")
    stopped = {name: proc.returncode for name, proc in running.procs.items() if proc.poll() is not None}
    assert stopped == {}, f"workers ended during the outage: {stopped}"
