"""Recipient binding: OB 2.0 recipient and OB 3.0 identifier against the applicant's emails, plain and hashed."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import pytest

from services.verification import recipient
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def ob2(identity: str, *, hashed: bool, salt: str | None = None) -> dict:
    node = {"type": "email", "hashed": hashed, "identity": identity}
    if salt is not None:
        node["salt"] = salt
    return {"recipient": node}


def ob3(identity_hash: str, *, hashed: bool, salt: str | None = None) -> dict:
    node = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": hashed, "identityHash": identity_hash}
    if salt is not None:
        node["salt"] = salt
    return {"credentialSubject": {"identifier": [node]}}


def digest(name: str, text: str) -> str:
    return f"{name}${hashlib.new(name, text.encode()).hexdigest()}"


@pytest.mark.parametrize("credential", [
    ob2("ada@example.org", hashed=False),
    ob2(digest("sha256", "ada@example.orgdeadsea"), hashed=True, salt="deadsea"),
    ob2(digest("md5", "ada@example.orgdeadsea"), hashed=True, salt="deadsea"),
    ob2(digest("sha256", "ada@example.org"), hashed=True),
    ob3("ada@example.org", hashed=False),
    ob3(digest("sha256", "ada@example.orgpepper"), hashed=True, salt="pepper"),
    ob3(digest("md5", "ada@example.orgpepper"), hashed=True, salt="pepper"),
], ids=["ob2-plain", "ob2-sha256-salt", "ob2-md5-salt", "ob2-sha256-unsalted", "ob3-plain", "ob3-sha256-salt",
        "ob3-md5-salt"])
def test_a_credential_naming_the_applicants_email_passes(credential):
    assert recipient.check(credential, ["someone@else.example", "ada@example.org"]).status == "passed"


@pytest.mark.parametrize("credential", [
    ob2("eve@example.org", hashed=False),
    ob2(digest("sha256", "eve@example.orgdeadsea"), hashed=True, salt="deadsea"),
    ob2(digest("md5", "eve@example.orgdeadsea"), hashed=True, salt="deadsea"),
    ob2(digest("sha256", "ada@example.orgdeadsea"), hashed=True, salt="another-salt"),
    ob3("eve@example.org", hashed=False),
    ob3(digest("sha256", "eve@example.orgpepper"), hashed=True, salt="pepper"),
    ob3(digest("md5", "eve@example.orgpepper"), hashed=True, salt="pepper"),
], ids=["ob2-plain", "ob2-sha256-salt", "ob2-md5-salt", "ob2-wrong-salt", "ob3-plain", "ob3-sha256-salt",
        "ob3-md5-salt"])
def test_a_credential_naming_someone_else_fails(credential):
    result = recipient.check(credential, ["ada@example.org"])
    assert result.status == "failed"
    assert "someone else" in result.message


def test_an_address_hashed_after_lower_casing_matches_an_applicant_email_in_mixed_case():
    credential = ob3(digest("sha256", "ada@example.orgs"), hashed=True, salt="s")
    assert recipient.check(credential, ["Ada@Example.org"]).status == "passed"


def test_without_an_applicant_email_the_recipient_is_not_checked():
    assert recipient.check(ob2("ada@example.org", hashed=False), []).message == "not checked: no applicant email was given"


def test_a_credential_identifying_its_recipient_only_by_did_is_indeterminate_rather_than_passed():
    credential = {"credentialSubject": {"id": "did:example:ada", "identifier": [
        {"type": "IdentityObject", "identityType": "did", "hashed": False, "identityHash": "did:example:ada"}]}}
    result = recipient.check(credential, ["ada@example.org"])
    assert result.status == "indeterminate"
    assert result.message.startswith("cannot confirm the credential was issued to this applicant")


def test_a_hash_with_an_unknown_algorithm_fails_rather_than_being_ignored():
    result = recipient.check(ob2("sha1$abcdef", hashed=True), ["ada@example.org"])
    assert result.status == "failed"


def test_a_verified_vc_jwt_for_another_applicant_fails_the_whole_verdict():
    token = Issuer.generate().vc_jwt(subject_email="eve@example.org", nbf=NOW - timedelta(days=1))
    report = verify_credential(jwt=token, now=NOW, settings=Settings(), emails=["ada@example.org"])
    assert report["verdict"] == "failed"
    assert next(c for c in report["checks"] if c["code"] == "recipient")["status"] == "failed"


def test_a_verified_vc_jwt_for_this_applicant_is_verified():
    token = Issuer.generate().vc_jwt(subject_email="ada@example.org", nbf=NOW - timedelta(days=1))
    report = verify_credential(jwt=token, now=NOW, settings=Settings(), emails=["ada@example.org"])
    assert report["verdict"] == "verified"
    assert next(c for c in report["checks"] if c["code"] == "recipient")["status"] == "passed"


def test_the_open_badges_3_specifications_identity_hash_example_matches_its_address():
    # Open Badges 3.0 §B.3 IdentityHash: 'sha256$b5809d8a…ef399' is SHA-256 of 'a@example.com' salted 'Kosher'.
    credential = ob3("sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399", hashed=True,
                     salt="Kosher")
    assert recipient.check(credential, ["a@example.com"]).status == "passed"
    assert recipient.check(credential, ["b@example.com"]).status == "failed"


def test_a_hashed_identity_without_an_algorithm_matches_no_one_rather_than_raising():
    identity = recipient.Identity(value=hashlib.sha256(b"ada@example.org").hexdigest(), hashed=True)
    assert recipient._matches(identity, "ada@example.org") is False
