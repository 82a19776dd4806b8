"""Scores that tell the truth while verification is in flight (issue 19, part 1), on the running services.

Between the webhook's 202 and the last verdict an application is `pending`, never a provisional 0; it is
not ranked among the scored and nothing provisional is announced on scores.computed. A credential whose
verdict never comes is `unavailable` once its verification deadline passes, and the rest is scored.
"""
from __future__ import annotations

import time
import uuid

import requests

from services.ingest.model import CredentialRef, resolved_events
from shared.events import SCORES_COMPUTED
from shared.kafka import Publisher

from tests.support.gated_host import GatedHost
from tests.support.issuer import Issuer
from tests.support.kafka_probe import TopicReader
from tests.support.status_lists import credential_with_status, list_credential, status_entry

REQUIREMENTS = [
    {"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1},
    {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1},
]
SETTLE_S = 2.1  # the ranking lists what was ranked before the walk began (recruiter.SETTLE_S)


def complete(doc: dict) -> bool:
    return doc.get("status") == "scored" and all(c.get("verdict") for c in doc["credentials"]) \
        and all(r["status"] != "pending" for r in doc["requirements"])


def listed(api, tenant: dict, role_id: str, status: str | None) -> list[str]:
    query = f"?status={status}" if status else ""
    page = requests.get(f"{api.matching}/v1/roles/{role_id}/candidates{query}", headers=api.auth(tenant), timeout=10)
    assert page.status_code == 200, page.text
    return [c["application_id"] for c in page.json()["candidates"]]


def test_the_score_is_pending_from_the_202_until_the_last_verdict_and_correct_after_it(api, e2e_settings):
    tenant, issuer = api.new_tenant(), Issuer.generate()
    assert api.put_role(tenant, "job-pend-1", REQUIREMENTS).status_code == 201
    reader = TopicReader(e2e_settings.kafka_bootstrap_servers, SCORES_COMPUTED)
    # The SQL credential names a status list on a host that holds its answer until the test opens it, so
    # verification really is slow for that one credential (the verifier's read timeout is 10 s).
    with GatedHost(max_hold_s=8) as host:
        url = host.serve("/lists/1", list_credential(issuer, url=host.url("/lists/1")))
        slow = credential_with_status(issuer, [status_entry(url, 7)], subject_email="ada@example.org",
                                      achievement_name="SQL")
        quick = issuer.vc_jwt(achievement_name="Python Programming")
        try:
            assert api.send(tenant, application_id="app-pend-1", job_id="job-pend-1",
                            credentials=[{"jwt": quick}, {"jwt": slow}]).status_code == 202
            seen, give_up = [], time.monotonic() + 30
            while not (seen and seen[-1]["status"] == "pending" and host.requested.is_set()):
                assert time.monotonic() < give_up, f"never seen pending while held; seen: {seen[-3:]}"
                resp = api.score(tenant, "app-pend-1")
                assert resp.status_code in (200, 404), resp.text  # 404 until matching has the application
                if resp.status_code == 200:
                    seen.append(resp.json())
                time.sleep(0.05)
            time.sleep(SETTLE_S)
            assert api.score(tenant, "app-pend-1").json()["status"] == "pending"  # still held: the list is not ranked
            ranked, scored_only, pending = (listed(api, tenant, "job-pend-1", s) for s in (None, "scored", "pending"))
            during = api.score(tenant, "app-pend-1").json()
            host.open()
            final = api.wait_score(tenant, "app-pend-1", until=complete)
            reader.read(until=lambda _: any(e.payload["application_id"] == "app-pend-1"
                                            for e in reader.events(SCORES_COMPUTED)))
            time.sleep(1)
            reader.read(timeout_s=1)
            announced = [(e.payload["status"], e.payload["score"]) for e in reader.events(SCORES_COMPUTED)
                         if e.payload["application_id"] == "app-pend-1"]
        finally:
            reader.close()

    for doc in seen + [during]:
        assert (doc["status"], doc["score"]) == ("pending", None), doc
        assert doc["reason"] == "scoring in progress" or "being verified" in doc["reason"]
        assert "no verified credentials" not in doc["reason"]
        assert {r["status"] for r in doc["requirements"]} <= {"met", "pending"}
    assert during["reason"] == "1 credential being verified; 1 of 2 requirements met so far by verified credentials"
    assert (ranked, scored_only, pending) == ([], [], ["app-pend-1"])

    assert (final["status"], final["score"], final["reason"]) == ("scored", 100, "2 of 2 requirements met by "
                                                                                "verified credentials")
    assert [c["verdict"] for c in final["credentials"]] == ["verified", "verified"]
    assert announced == [("scored", 100)]  # the only announcement is the final score


def test_a_credential_whose_verdict_never_comes_is_unavailable_after_the_deadline_and_the_rest_is_scored(
        api, running, e2e_settings):
    deadline_s = float(running.env["MATCHING_VERIFY_DEADLINE_SECONDS"])
    tenant, issuer = api.new_tenant(), Issuer.generate()
    assert api.put_role(tenant, "job-pend-2", REQUIREMENTS).status_code == 201
    # What ingest publishes for an application with two credentials; the SQL one's submission is lost on
    # the way (a dead-lettered or dropped message), so verification never sees it and no verdict comes.
    python, sql = (CredentialRef(provenance=f"credentials[{i}]", jwt=issuer.vc_jwt(achievement_name=name))
                   for i, name in enumerate(("Python Programming", "SQL")))
    submitted_python, _lost, ready = resolved_events(
        tenant=tenant["tenant"], provider="generic", delivery_id=uuid.uuid4().hex,
        application={"id": "app-pend-2", "job_id": "job-pend-2"},
        candidate={"id": "cand-app-pend-2", "name": "Ada", "emails": ["ada@example.org"]},
        credentials=[python, sql], trace_id=uuid.uuid4().hex)
    publisher = Publisher(e2e_settings, client_id="e2e-lost-submission")
    try:
        sent = time.monotonic()
        publisher.publish([submitted_python, ready])
    finally:
        publisher.close()

    waiting = api.wait_score(tenant, "app-pend-2", until=lambda d: d["status"] == "pending"
                             and d["reason"].startswith("1 credential being verified"))
    assert time.monotonic() - sent < deadline_s  # seen pending well before the deadline
    final = api.wait_score(tenant, "app-pend-2", until=lambda d: d["status"] == "scored", timeout_s=deadline_s + 30)
    assert time.monotonic() - sent >= deadline_s - 0.5  # the deadline, not a verdict, ended the wait

    assert waiting["score"] is None and [r["status"] for r in waiting["requirements"]] == ["met", "pending"]
    assert (final["score"], final["reason"]) == (50, "1 of 2 requirements met by verified credentials; "
                                                     "1 credential unavailable (no verdict in time)")
    by_status = {c["status"]: c for c in final["credentials"]}
    assert set(by_status) == {"verified", "unavailable"}
    assert by_status["unavailable"]["verdict"] is None
    assert by_status["unavailable"]["reason"].startswith("no verification verdict within 20 seconds")
    assert [r["status"] for r in final["requirements"]] == ["met", "missing"]
