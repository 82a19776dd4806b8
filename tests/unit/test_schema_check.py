"""structure.schema: a credential is validated against the JSON Schema its credentialSchema names."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.verification.stage import Caches
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SCHEMA_URL = "https://schemas.example/badge.json"
SCHEMA = {"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "object",
          "required": ["credentialSubject"],
          "properties": {"credentialSubject": {"type": "object", "required": ["achievement"],
                                               "properties": {"achievement": {"required": ["name", "criteria"]}}}}}




def token(schema_type="1EdTechJsonSchemaValidator2019", drop_criteria=False):
    issuer = Issuer.generate()
    payload = issuer.claims(nbf=NOW - timedelta(days=1))
    payload["vc"]["credentialSchema"] = [{"id": SCHEMA_URL, "type": schema_type}]
    if drop_criteria:
        del payload["vc"]["credentialSubject"]["achievement"]["criteria"]
    return issuer.sign(payload)


def schema_check(report):
    return next(c for c in report["checks"] if c["code"] == "structure.schema")


def verify(jwt, host, caches=None):
    return verify_credential(jwt=jwt, now=NOW, settings=Settings(), fetch=host, caches=caches)


def test_a_credential_matching_its_schema_passes_and_the_schema_is_fetched_once():
    host, caches = Host({SCHEMA_URL: SCHEMA}), Caches()
    assert schema_check(verify(token(), host, caches))["status"] == "passed"
    assert verify(token(), host, caches)["verdict"] == "verified"
    assert host.hits == 1


def test_a_credential_missing_a_field_its_schema_requires_fails_naming_the_place_not_the_values():
    report = verify(token(drop_criteria=True), Host({SCHEMA_URL: SCHEMA}))
    assert report["verdict"] == "failed"
    assert schema_check(report)["message"] == (
        "the credential does not match its JSON Schema at credentialSubject/achievement (required rule)")


def test_an_unreachable_schema_is_indeterminate():
    assert schema_check(verify(token(), Host({})))["status"] == "indeterminate"


def test_a_schema_with_a_remote_ref_is_not_followed_and_is_indeterminate():
    remote = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "https://elsewhere.example/s.json"}
    assert schema_check(verify(token(), Host({SCHEMA_URL: remote})))["status"] == "indeterminate"


def test_an_unknown_schema_type_is_unsupported():
    assert schema_check(verify(token(schema_type="ZkpSchema"), Host({SCHEMA_URL: SCHEMA})))["status"] == "unsupported"
