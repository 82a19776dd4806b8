"""Status lists: revocation and suspension bits, the list's own proof, caching per TTL, and failing closed.

The bitstring tests use lists built per W3C Bitstring Status List v1.0 §3.1; SPEC_ALL_CLEAR is the
encodedList of the spec's own example BitstringStatusListCredential (W3C Bitstring Status List v1.0,
§2.2 "Example: BitstringStatusListCredential"): 16 KiB, every entry clear.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.verification import status
from services.verification.fetching import FetchFailed, FetchRefused
from services.verification.stage import Caches
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential
from tests.support.issuer import Issuer
from tests.support.status_lists import credential_with_status, encode_bits, list_credential, status_entry
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=30)
URL = "https://status.example/lists/1"
SPEC_ALL_CLEAR = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"




@pytest.fixture(scope="module")
def issuer():
    return Issuer.generate()


@pytest.fixture
def host():
    return Host()


def verify(token, host, *, caches=None, now=NOW, emails=()):
    return verify_credential(jwt=token, now=now, settings=Settings(), fetch=host, caches=caches, emails=emails)


def check(report, code):
    return next(c for c in report["checks"] if c["code"] == code)


def credential(issuer, *entries, **kw):
    return credential_with_status(issuer, list(entries) or [status_entry(URL, 42)], nbf=LONG_AGO, **kw)


def publish(host, issuer, *, url=URL, **kw):
    host.routes[url] = list_credential(issuer, url=url, nbf=LONG_AGO, **kw)


def test_a_credential_whose_revocation_bit_is_clear_is_verified(issuer, host):
    publish(host, issuer, set_bits=[41, 43])
    report = verify(credential(issuer), host)
    assert report["verdict"] == "verified"
    assert check(report, "status.revocation")["status"] == "passed"
    assert report["status"] == {"revoked": False}


def test_a_credential_whose_revocation_bit_is_set_fails_as_revoked(issuer, host):
    publish(host, issuer, set_bits=[42])
    report = verify(credential(issuer), host)
    assert report["verdict"] == "failed"
    assert check(report, "status.revocation") == {
        "code": "status.revocation", "status": "failed", "message": "the issuer has revoked this credential"}
    assert report["status"] == {"revoked": True}
    assert report["recheck_at"] is None  # revocation is final


def test_a_suspended_credential_fails_and_is_looked_at_again_when_the_list_expires(issuer, host):
    publish(host, issuer, purpose="suspension", set_bits=[7], ttl_ms=60_000)
    report = verify(credential(issuer, status_entry(URL, 7, purpose="suspension")), host)
    assert report["verdict"] == "failed"
    assert check(report, "status.suspension")["message"] == "the issuer has suspended this credential"
    assert report["recheck_at"] == (NOW + timedelta(seconds=60)).isoformat()


def test_revocation_and_suspension_entries_on_two_lists_are_both_checked(issuer, host):
    suspension_url = "https://status.example/lists/s"
    publish(host, issuer)
    publish(host, issuer, url=suspension_url, purpose="suspension", set_bits=[42])
    report = verify(credential(issuer, status_entry(URL, 42), status_entry(suspension_url, 42, purpose="suspension")),
                    host)
    assert (check(report, "status.revocation")["status"], check(report, "status.suspension")["status"]) == (
        "passed", "failed")
    assert report["status"] == {"revoked": False, "suspended": True}


def test_a_status_list_2021_entry_is_read_from_a_list_without_the_multibase_prefix(issuer, host):
    publish(host, issuer, kind="statuslist2021", set_bits=[42])
    report = verify(credential(issuer, status_entry(URL, 42, kind="statuslist2021")), host)
    assert check(report, "status.revocation")["status"] == "failed"


def test_the_spec_example_list_decodes_to_sixteen_kibibytes_all_clear():
    bits = status.decode_bits(SPEC_ALL_CLEAR, kind="bitstring")
    assert len(bits) == 16384 and not any(bits)


def test_our_encoding_sets_the_most_significant_bit_first():
    bits = status.decode_bits(encode_bits([0, 9]), kind="bitstring")
    assert bits[:2] == bytes([0b1000_0000, 0b0100_0000])


@pytest.mark.parametrize("failure", [FetchFailed("timeout", "timed out"),
                                     FetchRefused("address", "a private address")])
def test_an_unreachable_or_refused_status_list_makes_the_verdict_indeterminate_never_verified(issuer, host, failure):
    host.routes[URL] = failure
    report = verify(credential(issuer), host)
    assert report["verdict"] == "indeterminate"
    assert check(report, "status.revocation")["status"] == "indeterminate"
    assert report["status"] == {"revoked": None}
    assert report["recheck_at"] is not None  # look again: the host may come back


def test_a_status_list_answering_404_makes_the_verdict_indeterminate(issuer, host):
    assert verify(credential(issuer), host)["verdict"] == "indeterminate"


def test_without_a_fetcher_status_is_unsupported_not_verified(issuer):
    report = verify_credential(jwt=credential(issuer), now=NOW, settings=Settings(), fetch=None)
    assert report["verdict"] == "unsupported"


def test_a_status_list_whose_signature_does_not_verify_is_not_trusted(issuer, host):
    token = list_credential(issuer, url=URL, nbf=LONG_AGO)
    header, payload, signature = token.split(".")
    host.routes[URL] = f"{header}.{payload}.{signature[:-4]}AAAA"
    report = verify(credential(issuer), host)
    assert report["verdict"] == "indeterminate"
    assert "does not verify" in check(report, "status.revocation")["message"]


def test_a_status_list_signed_by_another_issuer_is_not_trusted(issuer, host):
    publish(host, Issuer.generate(name="Mallory"))
    report = verify(credential(issuer), host)
    assert check(report, "status.revocation")["message"] == "the status list was not issued by the credential's issuer"
    assert report["verdict"] == "indeterminate"


def test_a_list_for_another_purpose_fails_the_entry(issuer, host):
    publish(host, issuer, purpose="suspension")
    report = verify(credential(issuer), host)
    assert check(report, "status.revocation")["status"] == "failed"
    assert report["status"] == {"revoked": None}  # unusable, not a revocation: the label must not say revoked


def test_a_list_shorter_than_the_spec_minimum_fails(issuer, host):
    publish(host, issuer, encoded=encode_bits(size_bytes=1024))
    assert check(verify(credential(issuer), host), "status.revocation")["status"] == "failed"


def test_an_index_beyond_the_end_of_the_list_fails(issuer, host):
    publish(host, issuer)
    report = verify(credential(issuer, status_entry(URL, 16384 * 8)), host)
    assert check(report, "status.revocation")["message"] == "statusListIndex is beyond the end of the status list"


def test_a_list_is_fetched_once_while_its_ttl_lasts_and_again_after(issuer, host):
    publish(host, issuer, ttl_ms=10_000)
    caches = Caches()
    token = credential(issuer)
    verify(token, host, caches=caches)
    verify(token, host, caches=caches, now=NOW + timedelta(seconds=9))
    assert host.hits == 1
    publish(host, issuer, ttl_ms=10_000, set_bits=[42])
    report = verify(token, host, caches=caches, now=NOW + timedelta(seconds=11))
    assert host.hits == 2 and report["verdict"] == "failed"


def test_a_failed_fetch_is_not_cached(issuer, host):
    caches, token = Caches(), credential(issuer)
    host.routes[URL] = FetchFailed("connection", "down")
    assert verify(token, host, caches=caches)["verdict"] == "indeterminate"
    publish(host, issuer)
    assert verify(token, host, caches=caches)["verdict"] == "verified"


def test_a_forged_credential_never_makes_the_verifier_fetch_its_status_list(issuer, host):
    publish(host, issuer)
    header, payload, signature = credential(issuer).split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert verify(forged, host)["verdict"] == "failed"
    assert host.hits == 0


def test_an_unknown_status_type_is_unsupported(issuer, host):
    report = verify(credential(issuer, {"id": URL, "type": "CredentialStatusList2017"}), host)
    assert report["verdict"] == "unsupported"


def test_a_1edtech_revocation_list_naming_the_credential_revokes_it(issuer, host):
    import json
    host.routes[URL] = json.dumps({"id": URL, "issuer": issuer.did,
                                   "revokedCredentials": [{"id": "urn:uuid:revoked-1", "revocationReason": "fraud"}]})
    entry = {"id": URL, "type": "1EdTechRevocationList"}
    revoked = verify(credential(issuer, entry, credential_id="urn:uuid:revoked-1"), host)
    fine = verify(credential(issuer, entry, credential_id="urn:uuid:fine-2"), host)
    assert (revoked["verdict"], fine["verdict"]) == ("failed", "verified")


def test_a_verified_credential_with_a_status_list_is_due_a_recheck_when_the_list_expires(issuer, host):
    publish(host, issuer, ttl_ms=120_000)
    report = verify(credential(issuer, exp=NOW + timedelta(days=10)), host)
    assert report["recheck_at"] == (NOW + timedelta(seconds=120)).isoformat()


def test_a_verified_credential_without_status_is_due_a_recheck_just_after_it_expires(issuer):
    token = issuer.vc_jwt(nbf=LONG_AGO, exp=NOW + timedelta(days=1))
    report = verify_credential(jwt=token, now=NOW, settings=Settings(clock_skew_s=60))
    assert report["recheck_at"] == (NOW + timedelta(days=1, seconds=61)).isoformat()


# W3C vc-bitstring-status-list-test-suite, fixtures/status-credentials/single-purpose-ok.jsonld and
# short-encoded-list-fail.jsonld (commit 25c06363), with fixtures/should-be-revoked.jsonld naming index 201.
# The suite's lists predate the multibase 'u' prefix; they are re-signed here as the issuer's VC-JWT list.
W3C_SINGLE_PURPOSE_OK = ("H4sIACbOo2YC_-3QMREAMAgEsGerLPyrQgFjB-4SCUkWHQAAAAAAAOCwpwAAAADgrFIAAAAAAAAAAAAAAAAA"
                         "3wxvOeOvqGEAAA")
W3C_SHORT_ENCODED_LIST = "H4sIAN7Lo2YC_2NgwAEAjw7P6RkAAAA"


def test_the_w3c_test_suites_should_be_revoked_credential_is_revoked_and_its_neighbour_is_not(issuer, host):
    publish(host, issuer, encoded=W3C_SINGLE_PURPOSE_OK)
    assert check(verify(credential(issuer, status_entry(URL, 201)), host), "status.revocation")["status"] == "failed"
    assert check(verify(credential(issuer, status_entry(URL, 200)), host), "status.revocation")["status"] == "passed"


def test_the_w3c_test_suites_short_encoded_list_fails(issuer, host):
    publish(host, issuer, encoded=W3C_SHORT_ENCODED_LIST)
    report = verify(credential(issuer, status_entry(URL, 1)), host)
    assert check(report, "status.revocation")["message"] == "the status list has fewer than 131072 entries"


def test_an_encoded_list_that_is_not_base64url_gzip_fails(issuer, host):
    publish(host, issuer, encoded="uThisIsNotGzip")
    assert check(verify(credential(issuer), host), "status.revocation")["status"] == "failed"


# --- a status list secured with a Data Integrity proof rather than as a VC-JWT -------------------
def _di_list(signer, *, set_bits=(), url=URL) -> dict:
    return signer.sign({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": signer.did,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_bits(set_bits)}})


def _di_credential(signer, index: int) -> dict:
    return signer.sign(ob3_credential(signer.did, credentialStatus=status_entry(URL, index)))


def _verify_document(document, host):
    return verify_credential(document=document, now=NOW, settings=Settings(), fetch=host, emails=["ada@example.org"])


def test_a_status_list_secured_with_eddsa_rdfc_2022_revokes_the_credentials_it_marks(host):
    signer = Signer()
    host.routes[URL] = _di_list(signer, set_bits=[7])
    revoked, clear = _verify_document(_di_credential(signer, 7), host), _verify_document(_di_credential(signer, 8), host)
    assert revoked["verdict"] == "failed" and revoked["status"] == {"revoked": True}
    assert clear["verdict"] == "verified" and check(clear, "status.revocation")["status"] == "passed"


def test_a_data_integrity_status_list_whose_bits_were_changed_after_signing_is_not_trusted(host):
    signer = Signer()
    forged = _di_list(signer, set_bits=[7])
    forged["credentialSubject"]["encodedList"] = encode_bits([])  # clears the revocation without the issuer's key
    host.routes[URL] = forged
    report = _verify_document(_di_credential(signer, 7), host)
    assert report["verdict"] == "indeterminate"
    assert "does not verify" in check(report, "status.revocation")["message"]
