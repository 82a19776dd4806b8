"""structure.schema and recipient on inputs that are not what they claim: a schema that is no schema or cannot be
read, a schema entry without an address, a recipient identity without a value. None of them passes.

JSON Schema 2020-12 §4.3.2 (true and false are schemas), OB 3.0 §B.1.9 / OB 2.0 §IdentityObject (identity, salt).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.verification import recipient, trust
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost as Host

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SCHEMA_URL = "https://schemas.example/badge.json"


def token_naming(entry: object) -> str:
    issuer = Issuer.generate()
    payload = issuer.claims(nbf=NOW - timedelta(days=1))
    payload["vc"]["credentialSchema"] = entry
    return issuer.sign(payload)


def schema_check(token: str, host: Host | None) -> dict:
    report = verify_credential(jwt=token, now=NOW, settings=Settings(), fetch=host)
    return next(c for c in report["checks"] if c["code"] == "structure.schema") | {"verdict": report["verdict"]}


def validator(url: object = SCHEMA_URL) -> dict:
    return {"id": url, "type": "1EdTechJsonSchemaValidator2019"}


@pytest.mark.parametrize("schema, status", [
    pytest.param("true", "passed", id="the true schema accepts everything"),
    pytest.param("false", "failed", id="the false schema accepts nothing"),
    pytest.param({"type": "object", "required": "credentialSubject"}, "indeterminate", id="an invalid schema"),
    pytest.param("<html>", "indeterminate", id="not JSON"),
    pytest.param([1, 2], "indeterminate", id="JSON but not a schema"),
])
def test_what_the_schema_url_serves_decides_the_check_and_only_a_real_pass_passes(schema, status):
    assert schema_check(token_naming([validator()]), Host({SCHEMA_URL: schema}))["status"] == status


@pytest.mark.parametrize("entry", [
    pytest.param({"type": "1EdTechJsonSchemaValidator2019"}, id="no id"),
    pytest.param("https://schemas.example/badge.json", id="a bare string"),
    pytest.param(validator("file:///etc/schema.json"), id="a non-http id"),
])
def test_a_schema_entry_the_verifier_cannot_follow_fails_without_a_fetch(entry):
    host = Host()
    check = schema_check(token_naming(entry), host)
    assert (check["status"], check["verdict"], host.hits) == ("failed", "failed", 0)


def test_without_network_access_a_named_schema_is_unsupported_not_passed():
    check = schema_check(token_naming(validator()), None)
    assert (check["status"], check["verdict"]) == ("unsupported", "unsupported")


@pytest.mark.parametrize("node, problem", [
    pytest.param({"type": "email", "hashed": False, "identity": ""}, "a recipient identity has no value", id="empty"),
    pytest.param({"type": "email", "hashed": True, "identity": "sha256$ab", "salt": 7},
                 "a recipient identity's salt is not a string", id="a numeric salt"),
])
def test_a_malformed_recipient_identity_fails_the_recipient_check_and_says_why(node, problem):
    check = recipient.check({"recipient": node}, ["ada@example.org"])
    assert (check.status, check.message) == ("failed", problem)


def test_a_credential_that_is_not_an_object_names_no_recipient_and_so_cannot_be_the_applicants():
    check = recipient.check(["not", "a", "credential"], ["ada@example.org"])
    assert (check.status, "it names no recipient" in check.message) == ("indeterminate", True)


def test_a_registry_lookup_for_a_credential_without_an_issuer_fails_rather_than_matching_nothing():
    registry = trust.Registry(entries=frozenset({("domain", "academy.example")}), policy="flag")
    assert trust.check(None, registry).status == "failed"


def test_a_false_schema_says_so_rather_than_naming_no_rule():
    check = schema_check(token_naming([validator()]), Host({SCHEMA_URL: "false"}))
    assert check["message"].endswith("(false schema rule)")
