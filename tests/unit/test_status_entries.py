"""Status entries and lists the verifier cannot use: each one fails or is undecided, and none reads as not revoked.

An issuer revokes by setting a bit; a forger who can shape a credential's credentialStatus (or a list host that
answers something else) wants the check to pass without reading a real bit. Entries and lists follow W3C
Bitstring Status List v1.0 §2.1 / §2.2 / §3.2 and 1EdTech Revocation List Status Method 1.0.
"""
from __future__ import annotations

import base64
import gzip
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost as Host
from tests.support.status_lists import credential_with_status, list_credential, status_entry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=30)
URL = "https://status.example/lists/1"


@pytest.fixture(scope="module")
def issuer():
    return Issuer.generate()


def verify(token: str, host: Host) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(), fetch=host)


def revocation(report: dict) -> dict:
    return next(c for c in report["checks"] if c["code"] in ("status.revocation", "status"))


def with_entry(issuer, entry, **kw) -> str:
    return credential_with_status(issuer, [entry], nbf=LONG_AGO, **kw)


@pytest.mark.parametrize("index", ["-1", "4.2", "0x10", True, None])
def test_an_entry_whose_index_is_not_a_non_negative_integer_fails_without_fetching_the_list(issuer, index):
    host = Host({URL: list_credential(issuer, url=URL, nbf=LONG_AGO)})
    report = verify(with_entry(issuer, {**status_entry(URL, 1), "statusListIndex": index}), host)
    assert (report["verdict"], revocation(report)["status"]) == ("failed", "failed")
    assert host.hits == 0


@pytest.mark.parametrize("url", ["file:///etc/status", "ftp://status.example/1", 42])
def test_an_entry_naming_a_list_that_is_not_an_http_url_fails_without_fetching_it(issuer, url):
    host = Host()
    report = verify(with_entry(issuer, {**status_entry(URL, 1), "statusListCredential": url}), host)
    assert revocation(report)["message"] == "statusListCredential is not an http(s) URL"
    assert (report["verdict"], host.hits) == ("failed", 0)


def test_an_entry_that_is_not_an_object_fails(issuer):
    report = verify(with_entry(issuer, URL), Host())
    assert (report["verdict"], revocation(report)["status"]) == ("failed", "failed")


@pytest.mark.parametrize("entry", [
    pytest.param({"statusPurpose": "message"}, id="a message purpose"),
    pytest.param({"statusSize": 2}, id="two-bit entries"),
])
def test_an_entry_the_verifier_cannot_read_is_unsupported_never_verified(issuer, entry):
    host = Host({URL: list_credential(issuer, url=URL, nbf=LONG_AGO)})
    report = verify(with_entry(issuer, {**status_entry(URL, 1), **entry}), host)
    assert report["verdict"] == "unsupported"


def test_a_list_without_an_encoded_list_fails(issuer):
    token = list_credential(issuer, url=URL, nbf=LONG_AGO)
    host = Host({URL: _resigned(issuer, token, lambda subject: subject.pop("encodedList"))})
    report = verify(with_entry(issuer, status_entry(URL, 1)), host)
    assert revocation(report)["message"] == "the status list has no encodedList"


def test_a_bitstring_list_whose_encoded_list_is_neither_multibase_nor_gzip_base64_fails(issuer):
    raw = base64.urlsafe_b64encode(bytes(16 * 1024)).rstrip(b"=").decode()  # the bits, not GZIP'd, no 'u'
    host = Host({URL: list_credential(issuer, url=URL, nbf=LONG_AGO, encoded=raw)})
    report = verify(with_entry(issuer, status_entry(URL, 1)), host)
    assert revocation(report)["message"] == "encodedList is not multibase base64url (it must start with 'u')"


def test_a_list_that_inflates_past_the_verifiers_bound_is_undecided_not_read(issuer):
    bomb = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(16 * 1024 * 1024 + 1))).rstrip(b"=").decode()
    host = Host({URL: list_credential(issuer, url=URL, nbf=LONG_AGO, encoded=bomb)})
    report = verify(with_entry(issuer, status_entry(URL, 1)), host)
    assert revocation(report)["message"] == "the status list is larger than this verifier accepts"
    assert report["verdict"] == "indeterminate"


def test_another_credential_of_the_issuer_served_as_the_list_is_not_a_status_list(issuer):
    # A genuine credential of the same issuer, but not a BitstringStatusListCredential: its subject is no list.
    host = Host({URL: issuer.vc_jwt(nbf=LONG_AGO)})
    report = verify(with_entry(issuer, status_entry(URL, 1)), host)
    assert revocation(report)["message"] == "the status list credential is not a BitstringStatusListCredential"
    assert report["verdict"] == "failed"


def test_a_list_host_answering_with_broken_json_leaves_the_credential_undecided(issuer):
    report = verify(with_entry(issuer, status_entry(URL, 1)), Host({URL: "{not json"}))
    assert (report["verdict"], revocation(report)["message"]) == ("indeterminate", "the status list is not JSON")


# --- 1EdTech Revocation List -------------------------------------------------------------------------

REVOCATION_ENTRY = {"id": URL, "type": "1EdTechRevocationList"}


def test_a_1edtech_entry_whose_list_is_not_an_http_url_fails(issuer):
    report = verify(with_entry(issuer, {**REVOCATION_ENTRY, "id": "urn:uuid:list"}, credential_id="urn:uuid:c1"),
                    Host())
    assert revocation(report)["message"] == "the 1EdTechRevocationList id is not an http(s) URL"


def test_a_credential_without_an_id_on_a_1edtech_list_fails_because_the_list_cannot_name_it(issuer):
    token = issuer.sign(_without_id(issuer.claims(nbf=LONG_AGO), REVOCATION_ENTRY))
    report = verify(token, Host({URL: json.dumps({"issuer": issuer.did, "revokedCredentials": []})}))
    assert revocation(report)["message"] == "a credential on a revocation list needs an id, and it has none"
    assert report["verdict"] == "failed"


@pytest.mark.parametrize("body, verdict", [
    pytest.param("<html>maintenance</html>", "indeterminate", id="not JSON"),
    pytest.param(json.dumps({"issuer": "did:example:x", "revoked": ["urn:uuid:c1"]}), "failed",
                 id="no revokedCredentials"),
])
def test_a_1edtech_list_that_cannot_be_read_never_passes_the_credential(issuer, body, verdict):
    report = verify(with_entry(issuer, REVOCATION_ENTRY, credential_id="urn:uuid:c1"), Host({URL: body}))
    assert (report["verdict"], revocation(report)["status"]) == (verdict, verdict)


def test_a_1edtech_list_published_under_another_issuers_name_is_not_trusted(issuer):
    body = json.dumps({"issuer": "did:example:mallory", "revokedCredentials": []})
    report = verify(with_entry(issuer, REVOCATION_ENTRY, credential_id="urn:uuid:c1"), Host({URL: body}))
    assert report["verdict"] == "indeterminate"


def _resigned(issuer, token: str, change) -> str:
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    change(payload["vc"]["credentialSubject"])
    return issuer.sign(payload)


def _without_id(payload: dict, entry: dict) -> dict:
    payload["vc"].pop("id", None)
    payload.pop("jti", None)
    payload["vc"]["credentialStatus"] = entry
    return payload
