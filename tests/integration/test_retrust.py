"""A trust-registry change re-scores at once, over the real database: the stored verdict is re-judged under the new
registry, its new revision is published, and matching's handler re-scores the application; no webhook is sent."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.matching.handlers import Rescores, handle_credential_verified
from services.matching.repository import MatchingRepository
from services.matching import service
from services.verification.handlers import handle_credential_submitted
from services.verification.repository import VerdictRepository
from services.verification.retrust import EXTRA_SETTLE_S, SLICES, retrust_pass
from services.verification.trust import TrustRepository
from services.verification.verifier import Verifier
from shared import events
from tests.support.issuer import Issuer

pytestmark = pytest.mark.integration

ROLE = {"title": "Analyst", "credibility": {"essential_minimum": "recognised"},
        "requirements": [{"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 1}]}


@pytest.fixture
def world(settings, db):
    verdicts, trust, matching = VerdictRepository(db), TrustRepository(db), MatchingRepository(db)
    for repo in (verdicts, trust, matching):
        repo.ensure_indexes()
    verifier = Verifier(settings, registries=trust.registry)
    wire: list[events.Event] = []

    def publish(batch: list[events.Event]) -> None:
        wire.extend(events.decode(events.encode(e)) for e in batch)  # as Kafka carries them

    def deliver() -> None:
        """matching's worker reading what verification published since the last delivery."""
        rescores = Rescores(repo=matching, publish=lambda batch: None)
        while wire:
            event = wire.pop(0)
            if event.type == "credential.verified":
                handle_credential_verified(event, repo=matching, rescores=rescores)
        rescores.flush()

    def apply(tenant: str, application_id: str, token: str) -> None:
        matching.put_role(tenant, "job-1", title=ROLE["title"], requirements=ROLE["requirements"], job_ids=[],
                          credibility=ROLE["credibility"])
        credential_id = f"cred-{application_id}"
        handle_credential_submitted(events.new_event("credential.submitted", tenant=tenant, payload={
            "credential_id": credential_id, "application_id": application_id, "provenance": "test",
            "candidate": {"id": "cand-1", "emails": ["ada@example.org"]}, "jwt": token}),
            repo=verdicts, publish=publish, verifier=verifier)
        application = matching.record_application(tenant, application_id, job_id="job-1", candidate_id="cand-1",
                                                  credential_ids=[credential_id])
        deliver()
        service.rescore_application(tenant, application, repo=matching, publish=lambda batch: None)

    def score(tenant: str, application_id: str) -> dict:
        return service.score_view(tenant, application_id, repo=matching)

    def pass_(now: datetime | None = None, batch: int = 200) -> int:
        published = retrust_pass(trust_repo=trust, verdicts=verdicts, publish=publish, settings=settings,
                                 now=now or datetime.now(timezone.utc), batch=batch)
        deliver()
        return published

    return apply, score, pass_, trust, settings


def test_trusting_the_issuer_re_scores_the_application_without_a_new_webhook(world):
    apply, score, pass_, trust, _ = world
    issuer = Issuer.generate(name="Bootcamp")
    apply("t1", "app-1", issuer.vc_jwt(subject_email="ada@example.org"))
    before = score("t1", "app-1")
    assert before["score"] == 0 and "issuer not in your registry" in before["requirements"][0]["reason"]
    trust.add("t1", "did", issuer.did)
    assert pass_() == 1
    after = score("t1", "app-1")
    assert after["score"] == 100 and "in your trust registry" in after["requirements"][0]["reason"]
    assert after["score_version"] == before["score_version"]
    # Removing it again takes the credit away again, and a pass with nothing changed publishes nothing more.
    trust.remove("t1", "did", issuer.did)
    assert pass_() == 1 and score("t1", "app-1")["score"] == 0
    assert pass_() == 0


def test_a_change_walks_every_verdict_of_its_tenant_in_batches_and_no_other_tenants(world):
    apply, score, pass_, trust, _ = world
    issuer = Issuer.generate()
    for n in range(3):
        apply("t1", f"app-{n}", issuer.vc_jwt(subject_email="ada@example.org"))
    apply("t2", "app-9", issuer.vc_jwt(subject_email="ada@example.org"))
    trust.add("t1", "domain", "nowhere.example")  # a change that decides nothing for these: nothing published
    assert pass_(batch=2) + pass_(batch=2) == 0
    trust.add("t1", "did", issuer.did)
    assert [pass_(batch=2) for _ in range(3)] == [2, 1, 0]
    assert [score("t1", f"app-{n}")["score"] for n in range(3)] == [100, 100, 100]
    assert score("t2", "app-9")["score"] == 0


def test_the_walk_runs_once_more_after_the_change_settles_and_then_ends(world):
    apply, _, pass_, trust, settings = world
    apply("t1", "app-1", Issuer.generate().vc_jwt(subject_email="ada@example.org"))
    trust.set_policy("t1", "fail")
    assert pass_() == 1  # the unregistered issuer now fails
    (plan,) = trust.retrust_plans()
    assert plan["walks"] == 1  # the second walk waits for verifications that read the old registry
    later = datetime.now(timezone.utc) + timedelta(seconds=settings.verify_fetch_budget_s + EXTRA_SETTLE_S + 1)
    assert pass_(now=later) == 0 and trust.retrust_plans() == []
    trust.set_policy("t1", "fail")  # no change: no walk
    assert trust.retrust_plans() == []


def test_a_walk_visits_every_verdict_once_through_ranges_bounded_at_both_ends(settings, db, monkeypatch):
    verdicts, trust_repo = VerdictRepository(db), TrustRepository(db)
    for repo in (verdicts, trust_repo):
        repo.ensure_indexes()
    issuer, now = "did:key:z6MkWalkTestIssuer", datetime.now(timezone.utc)
    # Hex digests spread over the id space, ids equal to a slice's bound, and ids no digest would be.
    ids = [events.derive_id("walk", str(n)) for n in range(40)] + ["01", "0", "ff", "fg", "", "ZZ", "~end", "Ünï"]
    for cid in ids:
        verdicts.save(tenant="t-walk", credential_id=cid, application_id=f"app-{cid}", candidate_id="c",
                      source_event_id="e", report={"verdict": "verified", "flags": ["issuer.unregistered"],
                                                   "format": "vc-jwt", "checked_at": now.isoformat(),
                                                   "issuer": {"id": issuer}, "checks": [
                                                       {"code": "issuer.trusted", "status": "skipped",
                                                        "message": "not in the registry"}]})
    queried = []
    walk = verdicts.for_tenant
    monkeypatch.setattr(verdicts, "for_tenant", lambda tenant, **kw: (queried.append(kw), walk(tenant, **kw))[1])
    published: list[events.Event] = []
    trust_repo.add("t-walk", "did", issuer)
    passes = [retrust_pass(trust_repo=trust_repo, verdicts=verdicts, publish=published.extend, settings=settings,
                           now=datetime.now(timezone.utc), batch=7) for _ in range(10)]
    assert sum(passes) == len(ids) and passes[-1] == 0
    assert sorted(e.payload["credential_id"] for e in published) == sorted(ids)  # each once
    ranges = [(q.get("start"), q.get("below")) for q in queried if not q.get("after")]
    assert ranges[0][0] is None and ranges[-1][1] is None  # the first and last slices are the open-ended ones
    assert all(start is not None and below is not None for start, below in ranges[1:-1])
    # They tile the id space: no gap, no overlap.
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert len(ranges) == SLICES
    # Every read is bounded above but the last slice's, so none costs the rest of the tenant's verdicts.
    assert all(q.get("below") is not None for q in queried if q.get("start") != ranges[-1][0])
