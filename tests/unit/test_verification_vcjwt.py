"""VC-JWT verification: EdDSA, ES256 and RS256 by did:key / did:jwk issuers, both token shapes, the rest reported honestly."""
from __future__ import annotations

import base64
import json
import random
from datetime import datetime, timedelta, timezone

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer, did_key_for, tamper

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
P256_DID = "did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv"  # did:key spec test vector


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return Issuer.generate()


@pytest.fixture(scope="module")
def other() -> Issuer:
    return Issuer.generate(name="Someone Else")


def claims(issuer: Issuer, **kw) -> dict:
    kw.setdefault("nbf", NOW - timedelta(days=30))
    return issuer.claims(**kw)


def mint(issuer: Issuer, **kw) -> str:
    return issuer.sign(claims(issuer, **kw))


def verify(token: str, *, now: datetime = NOW, skew: int = 60) -> dict:
    return verify_credential(jwt=token, now=now, settings=Settings(clock_skew_s=skew))


def statuses(report: dict) -> dict[str, str]:
    return {c["code"]: c["status"] for c in report["checks"]}


def check(report: dict, code: str) -> dict:
    return next(c for c in report["checks"] if c["code"] == code)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def sign_raw(issuer: Issuer, header_json: str, payload_json: str) -> str:
    """A token over exact JSON text, for shapes a JWT library would refuse to produce."""
    enc = [base64.urlsafe_b64encode(part.encode()).rstrip(b"=").decode() for part in (header_json, payload_json)]
    signing_input = ".".join(enc).encode()
    signature = base64.urlsafe_b64encode(issuer.private_key.sign(signing_input)).rstrip(b"=").decode()
    return f"{signing_input.decode()}.{signature}"


# --- the supported case ------------------------------------------------------------------------

def test_a_genuine_open_badge_vc_jwt_from_a_did_key_issuer_is_verified_with_every_check_reported(issuer):
    report = verify(mint(issuer))
    assert report["verdict"] == "verified"
    assert report["format"] == "vc-jwt"
    assert statuses(report) == {
        "jwt.decode": "passed", "jwt.alg": "passed", "issuer.key": "passed", "proof.signature": "passed",
        "issuer.matches_key": "passed", "issuer.key_purpose": "passed", "validity.not_before": "passed",
        "validity.expiry": "passed", "structure.vc": "passed", "recipient": "skipped"}


def test_a_verified_report_carries_the_achievement_issuer_and_validity_the_credential_states(issuer):
    report = verify(mint(issuer, achievement_name="Data Analysis", exp=NOW + timedelta(days=365)))
    assert report["achievement"]["name"] == "Data Analysis"
    assert report["achievement"]["id"] == "https://academy.example/achievements/data-analysis"
    assert report["achievement"]["type"] == ["Achievement"]
    assert report["achievement"]["criteria"] == "Passed the Data Analysis final assessment."
    assert report["issuer"] == {"id": issuer.did, "name": issuer.name}
    assert report["valid_from"] == (NOW - timedelta(days=30)).isoformat()
    assert report["valid_until"] == (NOW + timedelta(days=365)).isoformat()
    assert report["checked_at"] == NOW.isoformat()


def test_a_vc_jwt_signed_with_the_did_key_specs_seed_zero_key_verifies_under_its_published_did():
    # W3C CCG did:key test-vectors/ed25519-x25519.json: seed 00..00 is did:key:z6MkiTBz1ymu...DooWp.
    spec_issuer = Issuer.from_private_key(Ed25519PrivateKey.from_private_bytes(bytes(32)))
    assert spec_issuer.did == "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
    report = verify(mint(spec_issuer))
    assert report["verdict"] == "verified"
    assert report["issuer"]["id"] == "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"


def test_alignments_and_the_achieved_level_are_extracted_from_the_open_badge(issuer):
    payload = claims(issuer)
    subject = payload["vc"]["credentialSubject"]
    subject["achievement"]["alignment"] = [{
        "type": ["Alignment"], "targetUrl": "https://esco.example/skill/python", "targetCode": "S1.2",
        "targetFramework": "ESCO", "targetName": "Python (computer programming)", "targetType": "ceterms:Skill"}]
    subject["result"] = [{"type": ["Result"], "achievedLevel": "https://academy.example/levels/advanced"}]
    report = verify(issuer.sign(payload))
    assert report["verdict"] == "verified"
    assert report["achievement"]["alignments"] == [{
        "targetUrl": "https://esco.example/skill/python", "targetCode": "S1.2", "targetFramework": "ESCO",
        "targetName": "Python (computer programming)", "targetType": "ceterms:Skill"}]
    assert report["achievement"]["achieved_level"] == "https://academy.example/levels/advanced"


def test_without_a_kid_the_key_is_resolved_from_the_did_key_in_iss(issuer):
    token = issuer.sign(claims(issuer), header={"kid": None})
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")).get("kid") is None
    assert verify(token)["verdict"] == "verified"


def test_a_kid_that_is_only_a_fragment_is_resolved_against_the_issuer_did(issuer):
    fragment = "#" + issuer.did.removeprefix("did:key:")
    assert verify(issuer.sign(claims(issuer), header={"kid": fragment}))["verdict"] == "verified"


def test_without_an_applicant_email_the_recipient_is_reported_as_not_checked_and_does_not_change_the_verdict(issuer):
    report = verify(mint(issuer, subject_email="ada@example.org"))
    assert check(report, "recipient") == {"code": "recipient", "status": "skipped",
                                          "message": "not checked: no applicant email was given"}
    assert report["verdict"] == "verified"


# --- signatures and issuers --------------------------------------------------------------------

def test_a_vc_jwt_whose_payload_was_changed_after_signing_fails_the_signature_check(issuer):
    report = verify(tamper(mint(issuer)))
    assert report["verdict"] == "failed"
    failing = {code for code, status in statuses(report).items() if status == "failed"}
    assert failing == {"proof.signature"}


def test_a_vc_jwt_signed_by_another_key_while_its_kid_names_the_issuer_fails_the_signature_check(issuer, other):
    token = issuer.sign(claims(issuer), key=other.private_key)
    report = verify(token)
    assert report["verdict"] == "failed"
    assert check(report, "proof.signature")["status"] == "failed"


def test_a_credential_whose_iss_is_not_the_did_that_owns_the_signing_key_fails(issuer, other):
    report = verify(mint(issuer, issuer_override=other.did))
    assert report["verdict"] == "failed"
    assert check(report, "proof.signature")["status"] == "passed"
    assert check(report, "issuer.matches_key")["status"] == "failed"
    assert "iss" in check(report, "issuer.matches_key")["message"]


def test_a_credential_whose_vc_issuer_differs_from_the_key_owner_fails_even_when_iss_matches(issuer, other):
    payload = claims(issuer)
    payload["vc"]["issuer"]["id"] = other.did
    report = verify(issuer.sign(payload))
    assert report["verdict"] == "failed"
    assert check(report, "issuer.matches_key")["message"].startswith("vc.issuer")


def test_a_credential_that_names_no_issuer_in_iss_fails(issuer):
    payload = claims(issuer)
    del payload["iss"]
    report = verify(issuer.sign(payload))
    assert check(report, "issuer.matches_key")["status"] == "failed"
    assert report["verdict"] == "failed"


def test_a_kid_whose_fragment_names_a_different_key_than_its_did_fails_key_resolution(issuer, other):
    kid = f"{issuer.did}#{other.did.removeprefix('did:key:')}"
    report = verify(issuer.sign(claims(issuer), header={"kid": kid}))
    assert check(report, "issuer.key")["status"] == "failed"
    assert report["verdict"] == "failed"


# --- validity ----------------------------------------------------------------------------------

def test_an_expired_credential_fails_the_expiry_check(issuer):
    report = verify(mint(issuer, exp=NOW - timedelta(hours=1)))
    assert report["verdict"] == "failed"
    assert check(report, "validity.expiry")["status"] == "failed"


def test_a_credential_not_valid_until_later_fails_the_not_before_check(issuer):
    report = verify(mint(issuer, nbf=NOW + timedelta(hours=1)))
    assert report["verdict"] == "failed"
    assert check(report, "validity.not_before")["status"] == "failed"


def test_the_credentials_own_valid_until_counts_even_when_the_jwt_has_no_exp(issuer):
    payload = claims(issuer)
    payload["vc"]["validUntil"] = (NOW - timedelta(days=1)).isoformat()
    report = verify(issuer.sign(payload))
    assert check(report, "validity.expiry")["status"] == "failed"


@pytest.mark.parametrize("claim, offset_s, skew_s, expected", [
    ("nbf", +30, 60, "verified"),   # issuer's clock 30 s ahead: within a 60 s skew
    ("nbf", +30, 0, "failed"),
    ("nbf", +61, 60, "failed"),
    ("exp", -30, 60, "verified"),   # expired 30 s ago by our clock: within the skew
    ("exp", -30, 0, "failed"),
    ("exp", -60, 60, "failed"),     # RFC 7519 §4.1.4: at exp + leeway it is no longer valid
])
def test_validity_dates_are_compared_with_the_configured_clock_skew(issuer, claim, offset_s, skew_s, expected):
    moment = NOW + timedelta(seconds=offset_s)
    token = mint(issuer, **{claim: moment})
    assert verify(token, skew=skew_s)["verdict"] == expected


@pytest.mark.parametrize("claim", ["nbf", "exp"])
@pytest.mark.parametrize("value", ["2026-01-01", True, [1767225600], 1e300])
def test_a_validity_claim_that_is_not_a_usable_numeric_date_fails(issuer, claim, value):
    report = verify(issuer.sign(claims(issuer, extra_claims={claim: value})))
    code = "validity.not_before" if claim == "nbf" else "validity.expiry"
    assert report["verdict"] == "failed"
    assert check(report, code)["status"] == "failed"


def test_a_payload_using_json_constants_like_nan_fails_to_decode(issuer):
    payload = json.dumps(claims(issuer, extra_claims={"exp": float("nan")}))
    assert "NaN" in payload
    report = verify(sign_raw(issuer, json.dumps({"alg": "EdDSA", "kid": issuer.kid}), payload))
    assert [(c["code"], c["status"]) for c in report["checks"]] == [("jwt.decode", "failed")]


# --- algorithms and keys -----------------------------------------------------------------------

def _p256_issuer() -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    compressed = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    return key, did_key_for(compressed, multicodec=b"\x80\x24")  # 0x1200 p256-pub as a varint


def _did_jwk(public_jwk: dict) -> str:
    return "did:jwk:" + base64.urlsafe_b64encode(json.dumps(public_jwk).encode()).rstrip(b"=").decode()


def test_an_es256_vc_jwt_from_a_p256_did_key_is_verified(issuer):
    key, did = _p256_issuer()
    token = pyjwt.encode(claims(issuer, issuer_override=did), key, algorithm="ES256",
                         headers={"kid": f"{did}#{did[8:]}"})
    report = verify(token)
    assert report["verdict"] == "verified"
    assert check(report, "proof.signature")["message"] == "the ES256 signature verifies with the issuer's key"


def test_an_rs256_vc_jwt_from_a_did_jwk_rsa_issuer_is_verified(issuer):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    did = _did_jwk(json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())))
    token = pyjwt.encode(claims(issuer, issuer_override=did), key, algorithm="RS256", headers={"kid": f"{did}#0"})
    assert verify(token)["verdict"] == "verified"


def test_an_rs256_token_whose_kid_names_an_ed25519_key_fails_the_signature(issuer):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = pyjwt.encode(claims(issuer), key, algorithm="RS256", headers={"kid": issuer.kid})
    report = verify(token)
    assert report["verdict"] == "failed"
    assert check(report, "proof.signature")["message"] == "alg RS256 needs an RSA key; the issuer's key is not one"


def test_an_eddsa_header_whose_kid_is_a_p256_did_key_fails_the_signature(issuer):
    token = issuer.sign(claims(issuer, issuer_override=P256_DID), header={"kid": P256_DID})
    report = verify(token)
    assert report["verdict"] == "failed"
    assert "Ed25519" in check(report, "proof.signature")["message"]


def test_a_did_web_issuer_that_cannot_be_reached_is_indeterminate_never_verified(issuer):
    token = issuer.sign(claims(issuer, issuer_override="did:web:academy.invalid"),
                        header={"kid": "did:web:academy.invalid#key-1"})  # .invalid never resolves (RFC 6761)
    report = verify(token)
    assert check(report, "issuer.key")["status"] in ("indeterminate", "failed")
    assert report["verdict"] != "verified"


def test_a_kid_that_is_neither_a_did_nor_an_https_url_is_unsupported(issuer):
    # (With an https iss, such a kid names a key of iss's controller document: test_issuer_impersonation.py.)
    token = issuer.sign(claims(issuer), header={"kid": "key-1"})
    assert verify(token)["verdict"] == "unsupported"


def test_a_key_embedded_in_the_header_is_not_trusted(issuer):
    payload = claims(issuer)
    del payload["iss"]
    token = issuer.sign(payload, header={"kid": None, "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}})
    assert check(verify(token), "issuer.key")["status"] in ("unsupported", "failed")


def test_an_unsigned_alg_none_token_fails(issuer):
    token = f"{b64({'alg': 'none', 'kid': issuer.kid})}.{b64(claims(issuer))}.c2ln"
    report = verify(token)
    assert report["verdict"] == "failed"
    assert check(report, "jwt.alg")["status"] == "failed"


def test_a_shared_secret_hs256_token_fails_because_it_cannot_show_who_issued_it(issuer):
    token = pyjwt.encode(claims(issuer), "a-secret-key-that-is-long-enough-32b", algorithm="HS256",
                         headers={"kid": issuer.kid})
    assert check(verify(token), "jwt.alg")["status"] == "failed"


def test_a_critical_header_extension_is_unsupported_rather_than_ignored(issuer):
    token = issuer.sign(claims(issuer), header={"crit": ["exp"], "exp": 1})
    report = verify(token)
    assert report["verdict"] == "unsupported"
    assert "crit" in check(report, "jwt.alg")["message"]


# --- malformed tokens and bodies ---------------------------------------------------------------

@pytest.mark.parametrize("garbage", [
    "", "not a jwt", "a.b.c", "a..c", "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319",
    "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.!!!", "W10.W10.c2ln", "ZXlK.ZXlK.c2ln", "é.é.é",
])
def test_a_token_that_is_not_a_compact_jws_fails_jwt_decode_and_nothing_else_is_claimed(garbage):
    report = verify(garbage)
    assert report["verdict"] == "failed"
    assert [(c["code"], c["status"]) for c in report["checks"]] == [("jwt.decode", "failed")]
    assert report["achievement"] is None


def test_a_payload_with_duplicate_member_names_fails_to_decode_even_when_correctly_signed(issuer):
    payload = json.dumps(claims(issuer))
    duplicated = payload[:-1] + ', "iss": "did:key:z6MkSomebodyElse"}'
    report = verify(sign_raw(issuer, json.dumps({"alg": "EdDSA", "kid": issuer.kid}), duplicated))
    assert [(c["code"], c["status"]) for c in report["checks"]] == [("jwt.decode", "failed")]
    assert "duplicate" in report["checks"][0]["message"]


def test_a_signed_token_without_a_vc_claim_fails_the_structure_check(issuer):
    payload = claims(issuer)
    del payload["vc"]
    report = verify(issuer.sign(payload))
    assert check(report, "structure.vc")["status"] == "failed"
    assert report["verdict"] == "failed"


def test_a_vc_jose_cose_token_whose_payload_is_the_credential_itself_is_verified(issuer):
    payload = claims(issuer)
    vc = payload.pop("vc")
    report = verify(issuer.sign({**payload, **vc}, header={"kid": issuer.kid, "typ": "vc+jwt"}))
    assert check(report, "structure.vc")["status"] == "passed"
    assert report["verdict"] == "verified"


def test_a_vc_jose_cose_token_whose_iss_is_not_the_credentials_issuer_fails(issuer, other):
    payload = claims(issuer)
    vc = payload.pop("vc")
    report = verify(issuer.sign({**payload, **vc, "issuer": other.did}, header={"kid": issuer.kid, "typ": "vc+jwt"}))
    assert check(report, "issuer.matches_key")["status"] == "failed"


@pytest.mark.parametrize("breakage, expected_words", [
    (lambda vc: vc.update(type=["OpenBadgeCredential"]), "VerifiableCredential"),
    (lambda vc: vc.pop("credentialSubject"), "credentialSubject"),
    (lambda vc: vc["credentialSubject"].pop("achievement"), "achievement"),
    (lambda vc: vc.update({"@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]}),
     "@context"),
])
def test_a_signed_vc_that_breaks_the_credential_structure_fails_the_structure_check(issuer, breakage, expected_words):
    payload = claims(issuer)
    breakage(payload["vc"])
    report = verify(issuer.sign(payload))
    assert check(report, "structure.vc")["status"] == "failed"
    assert expected_words in check(report, "structure.vc")["message"]


def test_no_random_string_makes_the_verifier_raise_or_report_verified():
    rng = random.Random(1234)
    alphabet = "abcXYZ019-_.~=+/{}\":, é"
    for _ in range(500):
        token = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        assert verify(token)["verdict"] != "verified"
