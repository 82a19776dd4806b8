"""Issuer impersonation (issue 11): credentials minted with an attacker's own key in the name of a trusted
university must fail, while the university's own credentials still verify.

Each attack is built as an attacker would: the attacker publishes what it can publish (its own DID document,
a JWK set in a user directory on the university's web server) and signs with its own key. The university is
in the tenant's trust registry by domain, so before the fix each forgery read `verified` with
`issuer.trusted passed`.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.verification import keys, trust
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.di_signer import Signer, ob3_credential
from tests.support.issuer import Issuer
from tests.support.web_issuers import (Network, controller_document, did_document, json_web_key_method, jwk_of,
                                       multikey_method)

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
UNIVERSITY = "did:web:trusted-university.edu"
UNIVERSITY_DOC = "https://trusted-university.edu/.well-known/did.json"
ATTACKER = "did:web:attacker.example"
ATTACKER_DOC = "https://attacker.example/.well-known/did.json"
REGISTRY = trust.Registry(entries=frozenset({("domain", "trusted-university.edu")}), policy="fail")


@pytest.fixture
def network(monkeypatch) -> Network:
    """The web as the verifier sees it, with the university's genuine DID document published."""
    net = Network()
    monkeypatch.setitem(keys._RESOLVERS, SETTINGS, net.resolver())
    return net


SETTINGS = Settings(clock_skew_s=61)  # a settings value of its own, so its resolver is this test's


@pytest.fixture
def university(network) -> Signer:
    signer = Signer()
    network.publish(UNIVERSITY_DOC, did_document(
        UNIVERSITY, multikey_method(f"{UNIVERSITY}#key-1", signer.multikey, controller=UNIVERSITY)))
    return signer


def report(*, document: dict | None = None, jwt: str | None = None, emails=()) -> dict:
    return verify_credential(document=document, jwt=jwt, now=NOW, settings=SETTINGS, registry=REGISTRY,
                             emails=list(emails))


def outcome(result: dict) -> tuple[str, dict[str, str]]:
    return result["verdict"], {c["code"]: c["status"] for c in result["checks"] if c["status"] not in ("passed", "skipped")}


def message(result: dict, code: str) -> str:
    return next(c["message"] for c in result["checks"] if c["code"] == code)


# --- the genuine issuer ------------------------------------------------------------------------

def test_the_universitys_own_credential_verifies_and_its_domain_is_trusted(university):
    result = report(document=university.sign(ob3_credential(UNIVERSITY), vm=f"{UNIVERSITY}#key-1"))
    assert outcome(result) == ("verified", {})


# --- 1. did:web controller ---------------------------------------------------------------------

def test_a_key_in_the_attackers_did_document_that_names_the_university_as_its_controller_is_not_the_universitys(
        network, university):
    attacker = Signer()
    network.publish(ATTACKER_DOC, did_document(
        ATTACKER, multikey_method(f"{ATTACKER}#key-1", attacker.multikey, controller=UNIVERSITY)))
    forged = attacker.sign(ob3_credential(UNIVERSITY), vm=f"{ATTACKER}#key-1")
    result = report(document=forged)
    assert outcome(result) == ("failed", {"issuer.matches_key": "failed"})
    assert "assertionMethod" in message(result, "issuer.matches_key")


def test_a_vc_jwt_whose_kid_is_the_attackers_method_claiming_the_university_as_controller_fails(network, university):
    attacker = Issuer.generate(name="Trusted University")
    network.publish(ATTACKER_DOC, did_document(
        ATTACKER, multikey_method(f"{ATTACKER}#key-1", attacker.did.removeprefix("did:key:"), controller=UNIVERSITY)))
    token = attacker.sign(attacker.claims(issuer_override=UNIVERSITY, nbf=NOW - timedelta(days=1)),
                          header={"kid": f"{ATTACKER}#key-1"})
    assert outcome(report(jwt=token)) == ("failed", {"issuer.matches_key": "failed"})


def test_a_method_of_the_universitys_document_whose_controller_points_elsewhere_needs_that_controllers_word(network):
    keyholder, signer = "did:web:keys.trusted-university.edu", Signer()
    vm = f"{UNIVERSITY}#delegated"
    network.publish(UNIVERSITY_DOC, did_document(UNIVERSITY, multikey_method(vm, signer.multikey,
                                                                             controller=keyholder)))
    network.publish("https://keys.trusted-university.edu/.well-known/did.json", did_document(keyholder))
    credential = signer.sign(ob3_credential(UNIVERSITY), vm=vm)
    result = report(document=credential)
    assert outcome(result) == ("failed", {"issuer.matches_key": "failed"})
    assert keyholder in message(result, "issuer.matches_key")
    network.publish("https://keys.trusted-university.edu/.well-known/did.json",
                    did_document(keyholder, assertion=[vm]))
    keys._RESOLVERS[SETTINGS] = network.resolver()  # a fresh cache: the controller has now confirmed the key
    assert outcome(report(document=credential)) == ("verified", {})


def test_a_key_of_another_did_listed_by_reference_under_the_universitys_assertion_method_is_the_universitys(network):
    signer = Signer()
    network.publish(UNIVERSITY_DOC, did_document(UNIVERSITY, assertion=[signer.vm]))
    assert outcome(report(document=signer.sign(ob3_credential(UNIVERSITY), vm=signer.vm))) == ("verified", {})



def test_a_method_the_university_embeds_under_another_dids_id_counts_only_with_the_key_the_university_gave(network):
    attacker, university_key = Signer(), Signer()
    vm = f"{ATTACKER}#key-1"
    network.publish(UNIVERSITY_DOC, did_document(UNIVERSITY, multikey_method(vm, university_key.multikey,
                                                                             controller=ATTACKER)))
    network.publish(ATTACKER_DOC, did_document(ATTACKER, multikey_method(vm, attacker.multikey, controller=ATTACKER)))
    result = report(document=attacker.sign(ob3_credential(UNIVERSITY), vm=vm))
    assert outcome(result) == ("failed", {"issuer.matches_key": "failed"})

# --- 3. did:web host parsing -------------------------------------------------------------------

@pytest.mark.parametrize("smuggler", ["%23", "%3F", "%5C", "%2F"])
def test_a_did_web_that_smuggles_the_attackers_host_past_the_trusted_domain_fails(network, university, smuggler):
    did = f"did:web:attacker.example{smuggler}.trusted-university.edu"
    attacker = Signer()
    # What the attacker serves at https://attacker.example/ (what a client fetching the parsed URL reaches).
    for path in ("/", f"/{smuggler}.trusted-university.edu/.well-known/did.json"):
        network.publish(f"https://attacker.example{path}",
                        did_document(did, multikey_method(f"{did}#key-1", attacker.multikey, controller=did)))
    result = report(document=attacker.sign(ob3_credential(did), vm=f"{did}#key-1"))
    assert result["verdict"] == "failed"
    assert outcome(result)[1].get("issuer.key") == "failed"
    assert "host" in message(result, "issuer.key")
    assert trust.issuer_domain(did) is None


def test_a_did_web_with_a_percent_encoded_port_keeps_its_host_for_both_fetch_and_trust():
    assert keys.did_web_url("did:web:trusted-university.edu%3A8443:issuers:1") == \
        "https://trusted-university.edu:8443/issuers/1/did.json"
    assert trust.issuer_domain("did:web:trusted-university.edu%3A8443:issuers:1") == "trusted-university.edu"


@pytest.mark.parametrize("did", ["did:web:trusted-university.edu%3Aabc", "did:web:a%40trusted-university.edu",
                                 "did:web:trusted-university.edu:..", "did:web:trusted-university.edu:a%2Fb",
                                 "did:web:trusted-university.edu:a%23b", "did:web:Trusted-University.edu%20"])
def test_a_did_web_whose_host_or_path_is_not_plain_names_no_document(did):
    with pytest.raises(keys.KeyNotFound):
        keys.did_web_url(did)


@pytest.mark.parametrize("issuer", ["https://attacker.example%23.trusted-university.edu/",
                                    "https://attacker.example\\@trusted-university.edu/",
                                    "https://mallory@trusted-university.edu/"])
def test_an_https_issuer_whose_host_is_not_a_plain_host_name_matches_no_trusted_domain(issuer):
    assert trust.issuer_domain(issuer) is None


# --- 4. key URLs on the issuer's origin --------------------------------------------------------

HTTPS_ISSUER = "https://trusted-university.edu/issuers/1"


def https_token(signer: Issuer, *, kid: str, issuer: str = HTTPS_ISSUER) -> str:
    return signer.sign(signer.claims(issuer_override=issuer, nbf=NOW - timedelta(days=1)), header={"kid": kid})


@pytest.fixture
def https_university(network) -> Issuer:
    """The university's https issuer: its controller document lists its JWK set's key for assertionMethod."""
    signer = Issuer.generate(name="Trusted University")
    network.publish("https://trusted-university.edu/keys.json", {"keys": [jwk_of(signer.private_key, kid="2026")]})
    network.publish(HTTPS_ISSUER, controller_document(
        HTTPS_ISSUER, assertion=["https://trusted-university.edu/keys.json#2026"]))
    return signer


def test_the_universitys_https_issuer_verifies_with_the_key_its_controller_document_lists(https_university):
    token = https_token(https_university, kid="https://trusted-university.edu/keys.json#2026")
    assert outcome(report(jwt=token)) == ("verified", {})


def test_a_jwks_in_a_user_directory_on_the_universitys_origin_does_not_speak_for_the_university(
        network, https_university):
    mallory = Issuer.generate(name="Trusted University")
    network.publish("https://trusted-university.edu/~mallory/jwks.json",
                    {"keys": [jwk_of(mallory.private_key, kid="k")]})
    result = report(jwt=https_token(mallory, kid="https://trusted-university.edu/~mallory/jwks.json#k"))
    assert outcome(result) == ("failed", {"issuer.matches_key": "failed"})
    assert "does not list" in message(result, "issuer.matches_key")


def test_a_key_url_binds_to_no_https_issuer_that_publishes_no_controller_document(network):
    mallory = Issuer.generate(name="Trusted University")
    network.publish("https://trusted-university.edu/~mallory/jwks.json",
                    {"keys": [jwk_of(mallory.private_key, kid="k")]})
    result = report(jwt=https_token(mallory, kid="https://trusted-university.edu/~mallory/jwks.json#k"))
    assert outcome(result) == ("failed", {"issuer.matches_key": "failed"})
    assert HTTPS_ISSUER in message(result, "issuer.matches_key")



def test_a_document_redirected_to_another_host_answers_for_no_one(https_university):
    def redirected(url, **_):
        from tests.support.memory_host import Response
        return Response(200, b'{"id": "%s", "assertionMethod": []}' % url.encode(), {}, "https://attacker.example/x")
    with pytest.raises(keys.KeyNotFound, match="redirected"):
        keys.Resolver(fetch=keys.document_fetch(redirected)).document(HTTPS_ISSUER)

# --- VC-JOSE-COSE key discovery (§4.1.2 iss, §4.2 controlled identifier documents) --------------

def jose_cose_token(signer: Issuer, *, kid: str, iss: str | None = HTTPS_ISSUER) -> str:
    vc = signer.claims(issuer_override=HTTPS_ISSUER, nbf=NOW - timedelta(days=1))["vc"]
    vc["issuer"] = HTTPS_ISSUER
    payload = {**vc, **({"iss": iss} if iss else {})}
    return signer.sign(payload, header={"kid": kid, "typ": "vc+jwt", "cty": "vc"})


@pytest.fixture
def jose_university(network) -> Issuer:
    signer = Issuer.generate(name="Trusted University")
    network.publish(HTTPS_ISSUER, controller_document(HTTPS_ISSUER, methods=(
        json_web_key_method(f"{HTTPS_ISSUER}#key-1", signer.private_key, controller=HTTPS_ISSUER),)))
    return signer


@pytest.mark.parametrize("iss", [HTTPS_ISSUER, None], ids=["with-iss", "without-iss"])
def test_a_vc_jose_cose_kid_that_names_a_method_of_the_issuers_controller_document_verifies(jose_university, iss):
    token = jose_cose_token(jose_university, kid=f"{HTTPS_ISSUER}#key-1", iss=iss)
    assert outcome(report(jwt=token)) == ("verified", {})


def test_a_bare_kid_is_looked_up_in_the_controller_document_published_at_iss(jose_university):
    assert outcome(report(jwt=jose_cose_token(jose_university, kid="key-1"))) == ("verified", {})


def test_the_issuers_controller_document_is_fetched_once_and_then_cached(network, jose_university):
    token = jose_cose_token(jose_university, kid=f"{HTTPS_ISSUER}#key-1")
    for _ in range(3):
        assert report(jwt=token)["verdict"] == "verified"
    assert network.hits == 1


def test_a_vc_jose_cose_token_signed_by_a_key_the_issuers_document_does_not_list_fails(network, jose_university):
    mallory = Issuer.generate()
    network.publish("https://trusted-university.edu/~mallory/jwks.json",
                    {"keys": [jwk_of(mallory.private_key, kid="key-1")]})
    token = jose_cose_token(mallory, kid="https://trusted-university.edu/~mallory/jwks.json#key-1")
    assert outcome(report(jwt=token)) == ("failed", {"issuer.matches_key": "failed"})
    assert outcome(report(jwt=jose_cose_token(mallory, kid="key-1")))[1] == {"proof.signature": "failed"}


def test_a_controller_document_whose_id_is_not_its_url_binds_nothing(network):
    signer = Issuer.generate()
    network.publish(HTTPS_ISSUER, controller_document("https://attacker.example/issuer", methods=(
        json_web_key_method(f"{HTTPS_ISSUER}#key-1", signer.private_key, controller=HTTPS_ISSUER),)))
    result = report(jwt=jose_cose_token(signer, kid=f"{HTTPS_ISSUER}#key-1"))
    assert result["verdict"] == "failed"



def test_a_data_integrity_proof_by_an_https_issuer_resolves_its_method_from_the_issuers_controller_document(network):
    signer = Signer()
    vm = f"{HTTPS_ISSUER}#key-1"
    network.publish(HTTPS_ISSUER, controller_document(HTTPS_ISSUER, methods=(
        multikey_method(vm, signer.multikey, controller=HTTPS_ISSUER),)))
    assert outcome(report(document=signer.sign(ob3_credential(HTTPS_ISSUER), vm=vm))) == ("verified", {})
    forged = Signer().sign(ob3_credential(HTTPS_ISSUER), vm=vm)
    assert outcome(report(document=forged)) == ("failed", {"proof.signature": "failed"})

# --- 5. recipient ------------------------------------------------------------------------------

def test_a_credential_naming_its_subject_only_by_did_cannot_count_for_whoever_submits_it(university):
    credential = ob3_credential(UNIVERSITY)
    credential["credentialSubject"] = {**credential["credentialSubject"], "id": "did:example:someone"}
    del credential["credentialSubject"]["identifier"]
    result = report(document=university.sign(credential, vm=f"{UNIVERSITY}#key-1"), emails=["ada@example.org"])
    assert outcome(result) == ("indeterminate", {"recipient": "indeterminate"})
    assert "cannot confirm" in message(result, "recipient")


def test_the_same_credential_with_the_applicants_email_as_identifier_verifies(university):
    result = report(document=university.sign(ob3_credential(UNIVERSITY), vm=f"{UNIVERSITY}#key-1"),
                    emails=["ada@example.org"])
    assert outcome(result) == ("verified", {})



# --- the CLI and the HTTP API give the same verdicts -------------------------------------------

def test_credbridge_verify_and_post_v1_verify_give_the_same_verdict_for_each_attack(network, university,
                                                                                   https_university, tmp_path):
    import json

    from services.verification.api import bp
    from services.verification.cli import verify_file
    from shared.http import create_base_app

    attacker, mallory = Signer(), Issuer.generate(name="Trusted University")
    network.publish(ATTACKER_DOC, did_document(
        ATTACKER, multikey_method(f"{ATTACKER}#key-1", attacker.multikey, controller=UNIVERSITY)))
    network.publish("https://trusted-university.edu/~mallory/jwks.json",
                    {"keys": [jwk_of(mallory.private_key, kid="k")]})
    smuggled = "did:web:attacker.example%23.trusted-university.edu"
    unbound = ob3_credential(UNIVERSITY)
    unbound["credentialSubject"] = {"type": ["AchievementSubject"], "id": "did:example:someone",
                                    "achievement": unbound["credentialSubject"]["achievement"]}
    cases = {
        "genuine": (university.sign(ob3_credential(UNIVERSITY), vm=f"{UNIVERSITY}#key-1"), "verified"),
        "controller claim": (attacker.sign(ob3_credential(UNIVERSITY), vm=f"{ATTACKER}#key-1"), "failed"),
        "smuggled host": (attacker.sign(ob3_credential(smuggled), vm=f"{smuggled}#key-1"), "failed"),
        "jwks on origin": (https_token(mallory, kid="https://trusted-university.edu/~mallory/jwks.json#k"), "failed"),
        "unbound recipient": (university.sign(unbound, vm=f"{UNIVERSITY}#key-1"), "indeterminate"),
    }
    app = create_base_app("verification", ready_checks={})
    app.config["SETTINGS"] = SETTINGS
    app.register_blueprint(bp)
    client = app.test_client()
    for name, (credential, expected) in cases.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(credential if isinstance(credential, str) else json.dumps(credential))
        cli_report, _ = verify_file(path, email="ada@example.org", settings=SETTINGS)
        body = ({"data": credential, "content_type": "application/vc+jwt"} if isinstance(credential, str)
                else {"json": credential})
        api_report = client.post("/v1/verify?email=ada@example.org", **body).json
        assert (name, cli_report["verdict"], api_report["verdict"]) == (name, expected, expected)
        assert outcome(cli_report)[1] == outcome(api_report)[1]


# --- W3C vectors whose issuers publish nothing: refused, and the report says why -----------------

def test_a_w3c_vector_whose_issuer_publishes_no_controller_document_is_refused_at_issuer_matches_key_only():
    """The vc-di-eddsa vector (tests/fixtures/vectors/vc-di-eddsa, W3C vc-di-eddsa-test-suite) expects success from
    its key alone; a hiring decision needs the issuer to control the key, and nothing published says it does."""
    import json
    from pathlib import Path

    from services.verification import dataintegrity

    vectors = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-di-eddsa"
    signed = json.loads((vectors / "eddsa-rdfc-2022.json").read_text())
    key = json.loads((vectors / "key.json").read_text())["publicKeyMultibase"]
    vm, issuer = signed["proof"]["verificationMethod"], signed["issuer"]

    class KeyOnly(keys.Resolver):  # the key is known; the issuer's URL serves no controller document
        def resolve(self, vm_id):
            return keys.Method(id=vm, controller=issuer, key=keys.multikey(key), purposes=frozenset({keys.ASSERTION}),
                               document=issuer)
    resolver = KeyOnly(fetch=keys.document_fetch(Network()))
    checks = {c.code: c for c in dataintegrity.verify(signed, now=NOW, clock_skew_s=60, resolver=resolver).checks}
    assert {code for code, c in checks.items() if c.status != "passed"} == {"issuer.matches_key"}
    assert checks["issuer.matches_key"].message == (
        f"issuer does not name the controller of the signing key: nothing binds the signing key to {issuer}: "
        "the issuer's own document could not be read (the document is not there (HTTP 404))")


def test_the_w3c_vc_jose_cose_suites_credential_with_its_key_known_out_of_band_is_refused_at_issuer_matches_key():
    """The vc-jose-cose suite (tests/fixtures/vectors/vc-jose-cose) hands implementations its key out of band; its
    issuer URL publishes no controller document, so nothing says the issuer controls that key."""
    import json
    from pathlib import Path

    import jwt as pyjwt

    from services.verification import vcjwt

    inputs = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-jose-cose"
    credential = json.loads((inputs / "credential-minimal.json").read_text())
    private = json.loads((inputs / "p256-jwk.json").read_text())
    issuer, kid = credential["issuer"], f"{credential['issuer']}#{private['kid']}"

    class OutOfBand(keys.Resolver):
        def resolve_jwk_url(self, url):
            public = {k: v for k, v in private.items() if k != "d"}
            return keys.Method(id=url, controller=issuer, key=keys.jwk_key(public),
                               purposes=frozenset({keys.ASSERTION}), document=issuer)
    token = pyjwt.encode(credential, pyjwt.algorithms.ECAlgorithm.from_jwk(json.dumps(private)), algorithm="ES256",
                         headers={"kid": kid, "typ": "vc+jwt", "cty": "vc"})
    resolver = OutOfBand(fetch=keys.document_fetch(Network()))
    checks = {c.code: c for c in vcjwt.verify(token, now=NOW, clock_skew_s=60, resolver=resolver).checks}
    assert {code for code, c in checks.items() if c.status != "passed"} == {"issuer.matches_key"}
    assert checks["issuer.matches_key"].message == (
        f"issuer does not name the controller of the signing key: nothing binds the signing key to {issuer}: "
        "the issuer's own document could not be read (the document is not there (HTTP 404))")
