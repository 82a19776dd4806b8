"""Re-judging a stored report under a changed trust registry: only what the registry decides is redone."""
from __future__ import annotations

from datetime import datetime, timezone

from services.verification.retrust import retrusted
from services.verification.trust import Registry
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.unit.test_endorsements import credential_with, endorsement_jwt

NOW = datetime.now(timezone.utc)
EMPTY = Registry(frozenset())


def report_of(token: str, registry: Registry) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(), emails=["ada@example.org"], registry=registry)


def trusted(report: dict) -> str:
    return next(c["status"] for c in report["checks"] if c["code"] == "issuer.trusted")


def test_an_issuer_added_to_the_registry_passes_and_loses_its_unregistered_flag():
    issuer = Issuer.generate()
    stored = report_of(issuer.vc_jwt(subject_email="ada@example.org"), EMPTY)
    assert (trusted(stored), stored["flags"]) == ("skipped", ["issuer.unregistered"])
    again = retrusted(stored, Registry(frozenset({("did", issuer.did)})))
    assert (trusted(again), again["flags"], again["verdict"]) == ("passed", [], "verified")
    others = [[c for c in r["checks"] if c["code"] != "issuer.trusted"] for r in (stored, again)]
    assert others[0] == others[1]  # the proof, recipient and status checks stand as they were


def test_under_the_fail_policy_a_removed_issuer_fails_and_trusting_it_again_restores_the_verdict():
    issuer = Issuer.generate()
    registered = Registry(frozenset({("did", issuer.did)}), policy="fail")
    stored = report_of(issuer.vc_jwt(subject_email="ada@example.org"), registered)
    removed = retrusted(stored, Registry(frozenset(), policy="fail"))
    assert (removed["verdict"], trusted(removed)) == ("failed", "failed")
    assert retrusted(removed, registered)["verdict"] == "verified"


def test_an_endorser_added_to_the_registry_is_now_trusted_on_the_endorsement():
    council, bootcamp = Issuer.generate(name="Council"), Issuer.generate(name="Bootcamp")
    stored = report_of(credential_with(bootcamp, endorsement_jwt(council)), EMPTY)
    assert stored["endorsements"][0]["endorser_trusted"] is False
    again = retrusted(stored, Registry(frozenset({("domain", "nowhere.example"), ("did", council.did)})))
    assert again["endorsements"][0]["endorser_trusted"] is True and trusted(again) == "skipped"


def test_nothing_changes_for_an_unchanged_registry_or_a_report_that_was_never_judged_for_trust():
    issuer = Issuer.generate()
    stored = report_of(issuer.vc_jwt(subject_email="ada@example.org"), EMPTY)
    assert retrusted(stored, EMPTY) is None
    forged = {"verdict": "failed", "checks": [{"code": "proof.signature", "status": "failed", "message": "x"}],
              "issuer": {"id": issuer.did}, "flags": [], "endorsements": []}
    assert retrusted(forged, Registry(frozenset({("did", issuer.did)}))) is None


def test_the_retrust_thread_runs_its_passes_until_stopped_and_outlives_a_failing_one():
    import threading

    from services.verification.retrust import Retruster

    calls, twice = [], threading.Event()

    class Plans:
        def retrust_plans(self):
            calls.append(1)
            if len(calls) == 1:
                raise ValueError("a bug in the first pass")
            twice.set()
            return []

    retruster = Retruster(trust_repo=Plans(), verdicts=None, publish=lambda batch: None, settings=Settings(),
                          interval_s=0.01).start()
    try:
        assert twice.wait(5), "re-judging stopped after the first error"
    finally:
        retruster.stop()
