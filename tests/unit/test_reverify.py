"""Re-checks: only what can change (status, expiry) is looked at again, and only a change is a new verdict."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.verification import stage
from services.verification.reverify import changed, recheck_report
from services.verification.verifier import Verifier
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.status_lists import credential_with_status, list_credential, status_entry
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
URL = "https://status.example/lists/9"




def first_verdict(token, host, settings=None):
    settings = settings or Settings()
    report = verify_credential(jwt=token, now=NOW, settings=settings, fetch=host, emails=["ada@example.org"])
    return report, stage.recheck_basis(stage.claimed_credential(jwt=token), report)


def test_the_basis_for_a_recheck_keeps_status_entries_and_dates_but_no_personal_data():
    issuer, host = Issuer.generate(), Host()
    host.routes[URL] = list_credential(issuer, url=URL, nbf=NOW - timedelta(days=1))
    token = credential_with_status(issuer, [status_entry(URL, 3)], subject_email="ada@example.org",
                                   nbf=NOW - timedelta(days=1))
    _, basis = first_verdict(token, host)
    assert basis["credential_status"]["statusListCredential"] == URL
    assert "ada@example.org" not in repr(basis) and "identityHash" not in repr(basis)


def test_a_flipped_bit_turns_the_stored_verified_report_into_a_failed_one_and_counts_as_a_change():
    issuer, host = Issuer.generate(), Host()
    host.routes[URL] = list_credential(issuer, url=URL, nbf=NOW - timedelta(days=1), ttl_ms=1000)
    token = credential_with_status(issuer, [status_entry(URL, 3)], subject_email="ada@example.org",
                                   nbf=NOW - timedelta(days=1))
    report, basis = first_verdict(token, host)
    host.routes[URL] = list_credential(issuer, url=URL, nbf=NOW - timedelta(days=1), set_bits=[3])
    later = recheck_report(report, basis, verifier=Verifier(Settings(), fetch=host), now=NOW + timedelta(seconds=5))
    assert (report["verdict"], later["verdict"]) == ("verified", "failed")
    assert next(c for c in later["checks"] if c["code"] == "recipient")["status"] == "passed"  # kept as it was
    assert changed(report, later)


def test_an_unchanged_recheck_is_not_a_change_even_though_it_was_checked_later():
    issuer, host = Issuer.generate(), Host()
    host.routes[URL] = list_credential(issuer, url=URL, nbf=NOW - timedelta(days=1))
    token = credential_with_status(issuer, [status_entry(URL, 3)], nbf=NOW - timedelta(days=1))
    report, basis = first_verdict(token, host)
    later = recheck_report(report, basis, verifier=Verifier(Settings(), fetch=host), now=NOW + timedelta(minutes=10))
    assert later["checked_at"] != report["checked_at"] and not changed(report, later)


def test_a_credential_past_its_expiry_fails_on_recheck():
    token = Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1), exp=NOW + timedelta(hours=1))
    report, basis = first_verdict(token, Host())
    later = recheck_report(report, basis, verifier=Verifier(Settings()), now=NOW + timedelta(hours=2))
    assert later["verdict"] == "failed" and later["recheck_at"] is None
    assert next(c for c in later["checks"] if c["code"] == "validity.expiry")["status"] == "failed"


def test_a_credential_that_can_never_change_is_not_scheduled():
    report, basis = first_verdict(Issuer.generate().vc_jwt(nbf=NOW - timedelta(days=1)), Host())
    assert report["recheck_at"] is None and basis is None


def test_the_recheck_thread_outlives_an_unexpected_error_in_one_pass():
    import threading
    from types import SimpleNamespace

    from services.verification.reverify import Rechecker

    passes, twice = [], threading.Event()

    class Repo:
        def unpublished(self, limit):
            passes.append(1)
            if len(passes) == 1:
                raise ValueError("a bug in the first pass")
            twice.set()
            return []

        def claim_due(self, now, *, limit, lease):
            return []

    verifier = SimpleNamespace(settings=Settings(recheck_interval_s=0.01))
    rechecker = Rechecker(repo=Repo(), publish=lambda batch: None, verifier=verifier).start()
    try:
        assert twice.wait(5), "re-checking stopped after the first error"
    finally:
        rechecker.stop()
