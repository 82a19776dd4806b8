"""A hostile credential cannot pin a worker through the JSON Schema it names (issue 11: hostile credentials cost little).

The attacker signs with their own did:key and hosts the schema; the schema's regular expressions and its
shape are theirs. `^(a+)+$` against n a's and a "!" makes a backtracking engine try 2^n ways.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from services.verification import schema_budget, schema_regex
from services.verification.schema_check import SchemaCache
from services.verification.stage import Caches
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost as Host
from tests.unit.test_schema_check import NOW, SCHEMA_URL, schema_check, verify

DRAFT = "https://json-schema.org/draft/2020-12/schema"
CATASTROPHIC = "^(a+)+$"
# Well under the 0.6 s Python's re takes at 24 characters, with room for a busy machine; RE2 takes about 10 ms.
QUICK_S = 0.25


def attack(length: int) -> str:
    return "a" * length + "!"


def credential(name: str = "Cloud Practitioner", **subject: object) -> str:
    """A VC-JWT signed with the attacker's own did:key, naming the attacker's schema."""
    issuer = Issuer.generate()
    payload = issuer.claims(nbf=NOW - timedelta(days=1))
    payload["vc"]["credentialSchema"] = [{"id": SCHEMA_URL, "type": "JsonSchema"}]
    payload["vc"]["credentialSubject"]["achievement"]["name"] = name
    payload["vc"]["credentialSubject"].update(subject)
    return issuer.sign(payload)


def on_subject(rules: dict, **root: object) -> dict:
    return {"$schema": DRAFT, **root, "properties": {"credentialSubject": rules}}


def on_name(rules: dict) -> dict:
    return on_subject({"properties": {"achievement": {"properties": {"name": rules}}}})


def judged(jwt: str, schema: object) -> tuple[dict, float]:
    """The report and the CPU seconds it took (CPU, not wall-clock time: other processes' load does not count)."""
    started = time.process_time()
    report = verify(jwt, Host({SCHEMA_URL: schema}))
    return report, time.process_time() - started


def test_the_attack_is_real_pythons_re_takes_a_tenth_of_a_second_at_22_characters():
    started = time.process_time()
    assert re.search(CATASTROPHIC, attack(22)) is None
    assert time.process_time() - started > 0.1


def test_a_catastrophic_pattern_is_judged_in_milliseconds_through_verify_credential():
    # 24 characters take Python's re about 0.6 s (and each one more doubles it).
    report, took = judged(credential(attack(24)), on_name({"pattern": CATASTROPHIC}))
    assert took < QUICK_S
    assert report["verdict"] == "failed"
    assert schema_check(report)["message"] == (
        "the credential does not match its JSON Schema at credentialSubject/achievement/name (pattern rule)")


def test_a_catastrophic_pattern_against_40_characters_is_matched_in_well_under_a_second():
    # Days for a backtracking engine; RE2 is linear in the text.
    with schema_budget.spending(schema_budget.Budget()):
        started = time.process_time()
        assert not schema_regex.search(CATASTROPHIC, attack(40))
        assert schema_regex.search(CATASTROPHIC, "a" * 40)
    assert time.process_time() - started < 0.05


@pytest.mark.parametrize("schema", [
    on_subject({"patternProperties": {CATASTROPHIC: {"type": "string"}}}),
    on_subject({"patternProperties": {CATASTROPHIC: {}}, "additionalProperties": False}),
    on_subject({"propertyNames": {"pattern": CATASTROPHIC}}),
], ids=["patternProperties", "additionalProperties", "propertyNames"])
def test_a_catastrophic_pattern_on_property_names_is_judged_in_milliseconds(schema):
    report, took = judged(credential(**{attack(24): "x"}), schema)
    assert took < QUICK_S
    assert schema_check(report)["status"] in ("passed", "failed")


def test_an_ordinary_schema_with_patterns_still_passes_a_credential_that_keeps_to_it():
    schema = on_subject({"properties": {"achievement": {"properties": {"name": {"pattern": "^[A-Z][a-z]+ [A-Z]"}}}},
                         "patternProperties": {"^x-[a-z]+$": {"type": "string", "pattern": "\\d{4}-\\d{2}-\\d{2}"}},
                         "propertyNames": {"pattern": "^[A-Za-z-]+$"}})
    report, _ = judged(credential("Cloud Practitioner", **{"x-issued": "on 2026-02-28"}), schema)
    assert schema_check(report)["status"] == "passed"
    assert report["verdict"] == "verified"


@pytest.mark.parametrize("subject, where", [
    ({"x-issued": "yesterday"}, "credentialSubject/x-issued (pattern rule)"),
    ({"x_issued": "2026-02-28"}, "credentialSubject (pattern rule)"),  # the pattern propertyNames applies
])
def test_an_ordinary_schema_with_patterns_still_fails_a_credential_that_breaks_it(subject, where):
    schema = on_subject({"patternProperties": {"^x-[a-z]+$": {"type": "string", "pattern": "\\d{4}-\\d{2}-\\d{2}"}},
                         "propertyNames": {"pattern": "^[A-Za-z-]+$"}})
    report, _ = judged(credential(**subject), schema)
    assert report["verdict"] == "failed"
    assert schema_check(report)["message"] == f"the credential does not match its JSON Schema at {where}"


def test_additional_properties_beside_pattern_properties_still_fails_an_unexpected_property():
    schema = on_subject({"properties": {"achievement": {}, "id": {}, "type": {}, "email": {}, "identifier": {}},
                         "patternProperties": {"^x-": {}}, "additionalProperties": False})
    assert schema_check(judged(credential(**{"x-ok": 1}), schema)[0])["status"] == "passed"
    assert schema_check(judged(credential(**{"y-not": 1}), schema)[0])["message"] == (
        "the credential does not match its JSON Schema at credentialSubject (additionalProperties rule)")


def test_an_ecma_262_unicode_escape_in_a_pattern_means_that_character():
    schema = on_name({"pattern": "^Caf\\u00e9 \\uD83D\\uDE00$"})
    assert schema_check(judged(credential("Café 😀"), schema)[0])["status"] == "passed"
    assert schema_check(judged(credential("Cafe 😀"), schema)[0])["status"] == "failed"


@pytest.mark.parametrize("feature, schema", [
    ("backreference", on_name({"pattern": "^(a)\\1$"})),
    ("lookahead", on_name({"pattern": "^(?=a)a+$"})),
    ("lookbehind in patternProperties", on_subject({"patternProperties": {"(?<=a)b": {}}})),
])
def test_a_pattern_re2_cannot_run_in_linear_time_is_indeterminate_not_failed(feature, schema):
    report, took = judged(credential("aa"), schema)
    assert took < 0.5
    assert report["verdict"] == "indeterminate"
    assert schema_check(report)["status"] == "indeterminate"
    assert schema_check(report)["message"].startswith(
        "the schema uses a regular expression feature that cannot be evaluated in linear time")


def test_a_schema_whose_anyof_refs_double_at_each_level_stops_at_the_budget():
    # 2^18 paths: jsonschema alone takes about ten seconds; a few more levels, years.
    defs = {f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]} for i in range(18)}
    defs["d18"] = {"type": "number"}
    report, took = judged(credential(), {"$schema": DRAFT, "$defs": defs, "$ref": "#/$defs/d0"})
    assert took < 2  # half a second of CPU here
    assert schema_check(report)["status"] == "indeterminate"
    assert schema_check(report)["message"].startswith("the credential was not checked against its JSON Schema: ")


def test_a_ref_to_a_meta_schema_is_evaluated_within_the_budget_too():
    # jsonschema would evaluate its own meta-schema with its stock validator: no budget (about 1.5 s here).
    subschemas = {f"p{i}": {"properties": {f"q{j}": {"type": "string", "description": "x"} for j in range(10)}}
                  for i in range(600)}
    schema = on_subject({"properties": {"extra": {"$ref": DRAFT}}})
    report, took = judged(credential(extra={"properties": subschemas}), schema)
    assert took < 2
    assert schema_check(report)["status"] == "indeterminate"


def test_a_schema_that_refers_to_itself_without_end_is_indeterminate():
    report, _ = judged(credential(), {"$schema": DRAFT, "$ref": "#"})
    check = schema_check(report)
    assert (check["code"], check["status"]) == ("structure.schema", "indeterminate")
    assert "nest more than" in check["message"]



def test_an_embedded_schema_resource_with_its_own_dialect_is_not_evaluated():
    # jsonschema would evaluate it with its stock validator: Python's re, no budget.
    embedded = {"$schema": DRAFT, "$id": "https://attacker.example/inner", "pattern": CATASTROPHIC}
    report, took = judged(credential(attack(24)), on_name(embedded))
    assert took < QUICK_S
    assert schema_check(report)["status"] == "unsupported"


def test_unevaluated_properties_beside_pattern_properties_is_not_evaluated():
    schema = on_subject({"patternProperties": {CATASTROPHIC: {}}, "unevaluatedProperties": False})
    report, took = judged(credential(**{attack(24): 1}), schema)
    assert took < QUICK_S
    assert schema_check(report)["status"] == "unsupported"


def test_a_lone_surrogate_in_the_credential_is_matched_without_error():
    report, _ = judged(credential("Cloud \ud800"), on_name({"pattern": "^Cloud .$"}))
    assert schema_check(report)["status"] == "passed"


def test_the_schema_cache_holds_a_bounded_number_of_bytes_and_evicts_the_least_recently_used():
    cache = SchemaCache(max_bytes=10_000)
    cache.put("https://a.example/s", {"a": 1}, text_bytes=1_000, now=NOW)
    cache.put("https://b.example/s", {"b": 1}, text_bytes=1_000, now=NOW)
    assert cache.get("https://a.example/s", NOW) == {"a": 1}  # a is now the more recently used
    cache.put("https://c.example/s", {"c": 1}, text_bytes=1_000, now=NOW)
    assert cache.bytes <= 10_000
    assert cache.get("https://b.example/s", NOW) is None
    assert cache.get("https://a.example/s", NOW) == {"a": 1}
    cache.put("https://huge.example/s", {"h": 1}, text_bytes=100_000, now=NOW)
    assert cache.get("https://huge.example/s", NOW) is None


def test_a_schema_is_kept_only_once_it_passed_its_own_check():
    host, caches = Host({SCHEMA_URL: on_name({"pattern": "^(a)\\1$"})}), Caches()
    verify(credential(), host, caches)
    verify(credential(), host, caches)
    assert host.hits == 2


def test_a_pattern_that_compiles_to_a_huge_program_is_refused():
    # Such alternations made RE2 fall back to its NFA: 80,000 instructions took 12 s against 10 KB.
    with pytest.raises(schema_regex.Unsupported, match="instructions"):
        schema_regex.compile_pattern("(?:" + "|".join(f"[ab]{{{i}}}c" for i in range(1, 100)) + ")")


def test_matching_more_text_than_the_budget_allows_stops():
    with schema_budget.spending(schema_budget.Budget(max_regex_work=10_000)):
        assert schema_regex.search("^[a-z]+$", "a" * 100)
        with pytest.raises(schema_budget.OverBudget):
            schema_regex.search("^[a-z]+$", "a" * 10_000)
