"""VC-JOSE-COSE (the credential itself as the JWS payload) with the W3C test-suite inputs in tests/fixtures/vectors/vc-jose-cose."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import jwt as pyjwt
import pytest

from services.verification import keys, vcjwt

INPUTS = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-jose-cose"
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
CREDENTIAL = json.loads((INPUTS / "credential-minimal.json").read_text())
PRIVATE_JWK = json.loads((INPUTS / "p256-jwk.json").read_text())
ISSUER = CREDENTIAL["issuer"]
KID = f"{ISSUER}#{PRIVATE_JWK['kid']}"


class SuiteIssuer(keys.Resolver):
    """The suite's issuer publishes its key out of band; here it is the suite's P-256 key, as assertionMethod."""

    def resolve_jwk_url(self, url):
        if url != KID:
            raise keys.KeyNotFound("not the suite's key")
        public = {k: v for k, v in PRIVATE_JWK.items() if k != "d"}
        return keys.Method(id=url, controller=ISSUER, key=keys.jwk_key(public), purposes=frozenset({keys.ASSERTION}))

    def document(self, identifier):
        # The controller document the suite's issuer would publish at its URL (VC-JOSE-COSE §4.2).
        if identifier != ISSUER:
            raise keys.KeyNotFound("not the suite's issuer")
        return keys.read_document({"id": ISSUER, "assertionMethod": [KID]}, ISSUER)


def issue(payload: dict, **header) -> str:
    key = pyjwt.algorithms.ECAlgorithm.from_jwk(json.dumps(PRIVATE_JWK))
    return pyjwt.encode(payload, key, algorithm="ES256", headers={"kid": KID, "typ": "vc+jwt", "cty": "vc", **header})


def not_passed(token: str) -> dict[str, str]:
    result = vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=SuiteIssuer())
    return {c.code: c.status for c in result.checks if c.status != "passed"}


def test_the_suites_minimal_credential_secured_with_its_p256_key_verifies_as_vc_jose_cose():
    assert not_passed(issue(CREDENTIAL)) == {}


def test_an_iss_claim_that_is_not_the_credentials_issuer_fails():
    assert not_passed(issue({**CREDENTIAL, "iss": "https://other.example"})) == {"issuer.matches_key": "failed"}


def test_a_changed_subject_claim_fails_the_signature():
    token = issue(CREDENTIAL)
    header, payload, signature = token.split(".")
    forged = issue({**CREDENTIAL, "credentialSubject": {**CREDENTIAL["credentialSubject"], "id": "did:example:666"}})
    assert not_passed(f"{header}.{forged.split('.')[1]}.{signature}") == {"proof.signature": "failed"}


@pytest.mark.parametrize("claim, code", [("exp", "validity.expiry"), ("nbf", "validity.not_before")])
def test_jwt_exp_and_nbf_bound_a_vc_jose_cose_credential_too(claim, code):
    moment = 1767225600 if claim == "exp" else 1798761600  # 2026-01-01 / 2027-01-01
    assert not_passed(issue({**CREDENTIAL, claim: moment})) == {code: "failed"}


def test_the_suites_bad_signature_input_is_never_verified():
    token = (INPUTS / "credential-jose-bad-signature.txt").read_text().strip()
    result = vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=SuiteIssuer())
    statuses = {c.code: c.status for c in result.checks}
    assert statuses["proof.signature"] != "passed"
    assert result.credential["issuer"] == ISSUER  # the claimed credential is still handed on for the report
