"""Which credential meets which requirement and for how much: concepts, aliases, synonyms, vocabulary, levels, stacks, age."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.matching import evidence, service
from services.matching.evidence import ConceptRef, Credential, Lexicon, Target, standing_of
from services.matching.scoring import (ESSENTIAL_MISSING_CAP, LEVEL_BELOW_CREDIT, MET, MISSING, PARTIAL, Requirement,
                                       Stack, score_application)
from services.matching.terms import Synonyms, normalise, starter_vocabulary

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
PYTHON_URI = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
LEXICON = Lexicon(vocabulary=starter_vocabulary())


def req(competency="Python", *, importance="preferred", weight=1.0, id_=None, **kwargs) -> Requirement:
    return Requirement(id=id_ or competency.lower(), competency=competency, importance=importance, weight=weight,
                       **kwargs)


def cred(achievement="Python", *, id_=None, standing=None, verdict="verified", **kwargs) -> Credential:
    return Credential(credential_id=id_ or f"urn:{achievement}", verdict=verdict, standing=standing,
                      achievement=achievement, issuer_name="Test Academy", **kwargs)


def score(requirements, credentials, lexicon=LEXICON):
    return score_application(requirements=requirements, credentials=credentials, computed_at=NOW, lexicon=lexicon)


# --- how a credential shows a competency -----------------------------------------------------------
def test_an_alignment_to_the_requirements_concept_meets_it_whatever_the_badge_is_called():
    concept = ConceptRef("ESCO", uri=PYTHON_URI)
    aligned = cred("Scientific scripting bootcamp", alignments=({"targetUrl": PYTHON_URI},))
    result = score([req("Python", concept=concept)], [aligned])
    assert (result.score, result.requirements[0].used[0].match) == (100, evidence.ALIGNMENT)


def test_alignment_beats_label_when_both_credentials_meet_the_requirement():
    concept = ConceptRef("O*NET", code="2.B.3.e")
    by_label = cred("Programming", id_="a-label")
    by_alignment = cred("Course 101", id_="z-aligned",
                        alignments=({"targetCode": "2.b.3.e", "targetFramework": "onet"},))
    used = score([req("Programming", concept=concept)], [by_label, by_alignment]).requirements[0].used
    assert [(u.credential.credential_id, u.match) for u in used] == [("z-aligned", "alignment"), ("a-label", "label")]


def test_a_code_in_another_framework_is_not_the_requirements_concept():
    concept = ConceptRef("ESCO", code="2.B.3.e")
    other = cred("Course 101", alignments=({"targetCode": "2.B.3.e", "targetFramework": "O*NET"},))
    assert score([req("Ruby", concept=concept)], [other]).requirements[0].status == MISSING


def test_an_alias_meets_the_requirement_after_case_punctuation_and_plurals_are_normalised():
    result = score([req("Relational databases", aliases=("SQL databases",))], [cred("sql-Database")])
    assert (result.requirements[0].status, result.requirements[0].used[0].match) == (MET, evidence.ALIAS)


def test_an_alignments_target_name_counts_like_the_achievement_name():
    result = score([req("Kubernetes")], [cred("Course 7", alignments=({"targetName": "kubernetes"},))])
    assert result.requirements[0].status == MET


def test_the_tenants_synonyms_meet_a_requirement_no_label_or_alias_does():
    synonyms = Lexicon(synonyms=Synonyms.from_groups([["k8s", "Kubernetes"]]))
    assert score([req("Kubernetes")], [cred("K8s")], lexicon=Lexicon()).requirements[0].status == MISSING
    result = score([req("Kubernetes")], [cred("K8s")], lexicon=synonyms)
    assert result.requirements[0].used[0].match == evidence.SYNONYM and "your synonyms" in result.requirements[0].reason


def test_the_starter_vocabulary_lets_python_programming_find_python_computer_programming():
    result = score([req("Python programming")], [cred("Python (computer programming)")])
    assert (result.score, result.requirements[0].used[0].match) == (100, evidence.VOCABULARY)
    assert "by the skills vocabulary" in result.requirements[0].reason


def test_narrower_evidence_meets_a_broader_requirement_but_not_the_reverse():
    assert score([req("computer programming")], [cred("Python 3")]).requirements[0].status == MET
    assert score([req("Python")], [cred("Computer programming")]).requirements[0].status == MISSING


def test_a_label_only_similar_to_the_competency_does_not_meet_it():
    assert score([req("Java")], [cred("JavaScript")]).requirements[0].status == MISSING


def test_normalisation_keeps_c_plus_plus_and_c_sharp_apart_from_c():
    assert len({normalise("C++"), normalise("C#"), normalise("C")}) == 3
    assert normalise("Data-Technologies!") == normalise("data technology")


# --- what evidence counts --------------------------------------------------------------------------
def test_a_revoked_credential_removes_its_evidence_and_lowers_the_score():
    requirements = [req("Python", weight=1), req("SQL", weight=1)]
    before = score(requirements, [cred("Python", id_="p"), cred("SQL", id_="s")])
    after = score(requirements, [cred("Python", id_="p"), cred("SQL", id_="s", verdict="failed", standing="revoked")])
    assert (before.score, after.score) == (100, 50)
    sql = after.requirements[1]
    assert sql.status == MISSING and sql.reason == "A credential claiming 'SQL' was revoked by its issuer; it counts for nothing"
    assert [u.credential.standing for u in sql.used] == ["revoked"]


@pytest.mark.parametrize("standing,words", [("suspended", "is suspended"), ("expired", "has expired")])
def test_suspended_and_expired_credentials_are_named_as_such_and_count_for_nothing(standing, words):
    result = score([req("SQL")], [cred("SQL", verdict="verified" if standing == "expired" else "failed", standing=standing)])
    assert result.score == 0 and words in result.requirements[0].reason


def test_a_verdict_is_refined_to_revoked_suspended_or_expired_from_the_report():
    # Shapes as verification makes them; tests/unit/test_matching_report_contract.py has the reports themselves.
    failed = {"verdict": "failed", "status": {"revoked": True},
              "checks": [{"code": "status.revocation", "status": "failed", "message": "the issuer has revoked this credential"}]}
    assert standing_of(failed, now=NOW) == "revoked"
    assert standing_of({**failed, "status": {"suspended": True}, "checks": []}, now=NOW) == "suspended"
    expired = {"verdict": "failed", "valid_until": (NOW - timedelta(days=1)).isoformat(),
               "checks": [{"code": "validity.expiry", "status": "failed", "message": "expired at ..."}]}
    assert standing_of(expired, now=NOW) == "expired"
    assert standing_of({**expired, "valid_until": None}, now=NOW) == "failed"  # an unreadable date, not an expiry
    lapsed = {"verdict": "verified", "valid_until": (NOW - timedelta(days=1)).isoformat(), "checks": []}
    assert standing_of(lapsed, now=NOW) == "expired"
    assert standing_of({"verdict": "indeterminate"}, now=NOW) == "indeterminate"
    assert standing_of(None, now=NOW) == "unverified"


# --- partial credit --------------------------------------------------------------------------------
def test_a_level_below_the_minimum_in_the_credentials_rubric_order_is_partial():
    rubric = ("novice", "intermediate", "expert")
    result = score([req("SQL", min_level="expert", weight=1), req("Python", weight=1)],
                   [cred("SQL", achieved_level="intermediate", levels=rubric), cred("Python")])
    sql = result.requirements[0]
    assert (sql.status, sql.credit) == (PARTIAL, LEVEL_BELOW_CREDIT)
    assert result.score == 75 and "below the 'expert' asked" in sql.reason


def test_a_level_at_or_above_the_minimum_meets_it_by_rubric_or_number():
    rubric = (("lvl-1", "Novice"), ("lvl-2", "Expert"))
    assert score([req("SQL", min_level="Novice")], [cred("SQL", achieved_level="lvl-2", levels=rubric)]).score == 100
    assert score([req("SQL", min_level=70)], [cred("SQL", achieved_level="82")]).score == 100
    assert score([req("SQL", min_level=90)], [cred("SQL", achieved_level="82")]).requirements[0].status == PARTIAL


def test_a_credential_stating_no_comparable_level_is_partial_not_met():
    assert score([req("SQL", min_level="expert")], [cred("SQL")]).requirements[0].status == PARTIAL


def test_a_stack_with_two_of_three_wanted_achievements_is_partial():
    stack = Stack(count=3, of=(Target("AWS"), Target("GCP"), Target("Azure")))
    result = score([req("Cloud", any_of=stack)], [cred("AWS"), cred("Azure")])
    cloud = result.requirements[0]
    assert (cloud.status, result.score) == (PARTIAL, 67)
    assert "2 of 3" in cloud.reason


def test_one_credential_counts_for_only_one_item_of_a_stack():
    stack = Stack(count=2, of=(Target("SQL"), Target("Databases", aliases=("SQL",))))
    assert score([req("Data", any_of=stack)], [cred("SQL")]).requirements[0].credit == 0.5


def test_a_stack_assigns_credentials_so_that_as_many_items_as_possible_are_shown():
    # "SQL" fits both items and is the first item's best match, but the only fit for the second:
    # a greedy pick would show one item; giving the first item "Databases" shows both.
    stack = Stack(count=2, of=(Target("SQL", aliases=("Databases",)), Target("SQL databases", aliases=("SQL",))))
    result = score([req("Data", any_of=stack)], [cred("SQL", id_="a"), cred("Databases", id_="b")])
    assert result.requirements[0].status == MET


def test_an_essential_requirement_met_only_in_part_does_not_trigger_the_cap():
    result = score([req("SQL", importance="essential", min_level=90), req("Go", weight=3)],
                   [cred("SQL", achieved_level="50"), cred("Go")])
    assert result.score == 88 and not result.capped  # (0.5 × 1 + 1 × 3) / 4 = 87.5


def test_an_essential_requirement_with_no_evidence_still_caps_a_score_of_partial_credit():
    result = score([req("SQL", importance="essential", weight=1), req("Go", weight=9)], [cred("Go")])
    assert result.score == ESSENTIAL_MISSING_CAP and result.capped


def test_evidence_older_than_max_age_decays_by_half_every_further_max_age():
    two_years = NOW - timedelta(days=24 * 30.44)
    result = score([req("SQL", max_age_months=12)], [cred("SQL", issued_at=two_years)])
    assert (result.requirements[0].status, result.score) == (PARTIAL, 50)
    assert "24 months old" in result.requirements[0].reason
    fresh = score([req("SQL", max_age_months=12)], [cred("SQL", issued_at=NOW - timedelta(days=100))])
    assert fresh.score == 100


def test_the_best_verified_credential_is_the_one_cited_first():
    old = cred("SQL", id_="a-old", issued_at=NOW - timedelta(days=800))
    new = cred("SQL", id_="b-new", issued_at=NOW - timedelta(days=10))
    result = score([req("SQL", max_age_months=12)], [old, new])
    assert result.requirements[0].used[0].credential.credential_id == "b-new" and result.score == 100


# --- reading reports -------------------------------------------------------------------------------
def test_a_verification_report_becomes_a_credential_with_alignments_levels_and_issue_date():
    report = {"verdict": "verified", "valid_from": "2026-01-01T00:00:00Z", "checks": [],
              "issuer": {"id": "did:key:z6Mk", "name": "Academy"},
              "achievement": {"name": "SQL", "achieved_level": "b", "alignments": [{"targetUrl": PYTHON_URI}],
                              "levels": [{"id": "a", "name": "Novice"}, {"id": "b", "name": "Expert"}]}}
    [c] = service.credentials_of({"credential_ids": ["x"]}, [{"credential_id": "x", "report": report}], now=NOW)
    assert (c.standing, c.achieved_level, c.levels) == ("verified", "b", (("a", "Novice"), ("b", "Expert")))
    assert c.issued_at == datetime(2026, 1, 1, tzinfo=timezone.utc) and c.alignments[0]["targetUrl"] == PYTHON_URI
    assert score([req("SQL", min_level="Expert")], [c]).score == 100


def test_the_starter_vocabulary_names_its_sources_and_licences_and_stays_small():
    vocabulary = starter_vocabulary()
    assert 5 <= len(vocabulary.concepts) <= 200
    data = __import__("json").loads(__import__("services.matching.terms", fromlist=["x"]).VOCABULARY_FILE.read_text())
    assert {s["framework"] for s in data["sources"]} == {"ESCO", "O*NET"} and all(s["licence"] for s in data["sources"])
