"""The matching score: verified evidence only, weights, the essential cap, and explanations in words."""
from __future__ import annotations

import itertools
import random
from datetime import datetime, timezone

import pytest

from services.matching.scoring import (ESSENTIAL_MISSING_CAP, MET, MISSING, NO_REQUIREMENTS, NO_VERIFIED_CREDENTIALS,
                                       PENDING, SCORE_VERSION, SCORED, UNSCORED, Credential, Requirement,
                                       normalise_label, score_application)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def req(competency: str, *, weight: float = 1, importance: str = "preferred", id_: str | None = None) -> Requirement:
    return Requirement(id=id_ or competency.lower(), competency=competency, importance=importance, weight=weight)


def cred(achievement: str | None, *, verdict: str | None = "verified", id_: str | None = None,
         issuer_name: str | None = "Example University", issuer_id: str | None = "did:web:example.edu") -> Credential:
    return Credential(credential_id=id_ or f"urn:{achievement}:{verdict}", verdict=verdict, achievement=achievement,
                      issuer_id=issuer_id, issuer_name=issuer_name)


def score(requirements, credentials):
    return score_application(requirements=requirements, credentials=credentials, computed_at=NOW)


def by_id(result, requirement_id):
    return next(r for r in result.requirements if r.requirement.id == requirement_id)


# --- the number ------------------------------------------------------------------------------------
def test_all_requirements_met_by_verified_credentials_scores_100():
    result = score([req("Python", importance="essential"), req("SQL")], [cred("Python"), cred("SQL")])
    assert (result.status, result.score) == (SCORED, 100)
    assert [r.status for r in result.requirements] == [MET, MET]


def test_weights_decide_how_much_each_requirement_counts():
    requirements = [req("Python", weight=3), req("SQL", weight=1)]
    assert score(requirements, [cred("Python")]).score == 75
    assert score(requirements, [cred("SQL")]).score == 25


def test_a_preferred_requirement_adds_its_share_of_the_weight():
    requirements = [req("Python", importance="essential", weight=2), req("Docker", weight=2)]
    without = score(requirements, [cred("Python")]).score
    with_docker = score(requirements, [cred("Python"), cred("Docker")]).score
    assert (without, with_docker) == (50, 100)


def test_the_score_rounds_halves_up_not_to_even():
    # 1 of 8 equal weights is 12.5 and 5 of 8 is 62.5; round() would give 12 and 62.
    requirements = [req(f"Skill {i}") for i in range(8)]
    assert score(requirements, [cred("Skill 0")]).score == 13
    assert score(requirements, [cred(f"Skill {i}") for i in range(5)]).score == 63


def test_two_thirds_of_the_weight_rounds_to_67():
    requirements = [req("A", weight=1), req("B", weight=1), req("C", weight=1)]
    assert score(requirements, [cred("A"), cred("B")]).score == 67


def test_an_essential_requirement_missing_caps_the_score():
    requirements = [req("Kubernetes", importance="essential", weight=1), req("Go", weight=4), req("SQL", weight=5)]
    result = score(requirements, [cred("Go"), cred("SQL")])
    assert result.score == ESSENTIAL_MISSING_CAP == 40  # 90 without the cap
    assert result.capped and "capped at 40" in result.reason and "'Kubernetes'" in result.reason


def test_the_cap_does_not_raise_a_score_that_is_already_below_it():
    requirements = [req("Kubernetes", importance="essential", weight=4), req("Go", weight=1)]
    result = score(requirements, [cred("Go")])
    assert result.score == 20 and not result.capped


def test_a_missing_preferred_requirement_does_not_cap_the_score():
    requirements = [req("Python", importance="essential", weight=9), req("Go", weight=1)]
    result = score(requirements, [cred("Python")])
    assert result.score == 90 and not result.capped


# --- which credentials count -----------------------------------------------------------------------
def test_a_failed_credential_counts_for_nothing_and_is_named_in_the_explanation():
    result = score([req("Python", weight=1), req("SQL", weight=1)],
                   [cred("Python", verdict="failed", id_="urn:bad"), cred("SQL")])
    python = by_id(result, "python")
    assert result.score == 50
    assert python.status == MISSING
    assert python.reason == "A credential claiming 'Python' failed verification; it counts for nothing"
    assert [(c.credential_id, c.verdict) for c in python.credentials] == [("urn:bad", "failed")]


def test_an_unsupported_credential_counts_for_nothing_and_says_it_cannot_be_verified():
    result = score([req("Python")], [cred("Python", verdict="unsupported")])
    python = by_id(result, "python")
    assert (result.score, python.status) == (0, MISSING)
    assert "cannot be verified (unsupported)" in python.reason


def test_an_indeterminate_credential_makes_the_requirement_pending():
    result = score([req("Python", weight=1), req("SQL", weight=1)], [cred("Python", verdict="indeterminate"), cred("SQL")])
    python = by_id(result, "python")
    assert python.status == PENDING
    assert "could not be verified yet" in python.reason and "'Python'" in python.reason
    assert result.score == 50  # pending is not met


def test_a_pending_essential_requirement_still_caps_the_score():
    requirements = [req("Python", importance="essential", weight=1), req("SQL", weight=9)]
    result = score(requirements, [cred("Python", verdict="indeterminate"), cred("SQL")])
    assert result.score == ESSENTIAL_MISSING_CAP and result.capped


def test_a_verified_credential_meets_the_requirement_even_beside_a_failed_or_indeterminate_one():
    result = score([req("Python")], [cred("Python", verdict="failed"), cred("Python", verdict="indeterminate"),
                                     cred("Python", verdict="verified")])
    python = by_id(result, "python")
    assert (python.status, result.score) == (MET, 100)
    assert [c.verdict for c in python.credentials] == ["verified", "indeterminate", "failed"]


def test_a_credential_still_awaiting_its_verdict_keeps_the_application_pending_with_no_score():
    result = score([req("Python")], [cred("Python", verdict=None)])
    assert (by_id(result, "python").status, result.status, result.score) == (PENDING, PENDING, None)


def test_a_verified_credential_without_an_achievement_meets_nothing_but_is_listed():
    result = score([req("Python")], [cred(None, id_="urn:blank")])
    assert by_id(result, "python").status == MISSING
    assert [c.credential_id for c in result.credentials] == ["urn:blank"]


# --- label matching --------------------------------------------------------------------------------
@pytest.mark.parametrize("achievement", ["python programming", "PYTHON PROGRAMMING", "  Python   Programming ",
                                         "Python\tProgramming"])
def test_labels_match_ignoring_case_and_surrounding_or_repeated_whitespace(achievement):
    result = score([req("Python Programming")], [cred(achievement)])
    assert result.requirements[0].status == MET


@pytest.mark.parametrize("achievement", ["Python", "Python Programming II", "PythonProgramming"])
def test_a_label_that_is_only_similar_does_not_meet_the_requirement(achievement):
    assert score([req("Python Programming")], [cred(achievement)]).requirements[0].status == MISSING


def test_normalised_labels_fold_case_beyond_ascii():
    assert normalise_label("  STRASSE  Bau ") == normalise_label("straße bau")


# --- explanations ----------------------------------------------------------------------------------
def test_a_met_requirement_names_the_credential_and_its_issuer():
    result = score([req("python programming")], [cred("Python Programming")])
    assert result.requirements[0].reason == "Met by 'Python Programming' from Example University (verified)"


def test_a_met_requirement_counts_further_verified_credentials():
    result = score([req("Python")], [cred("Python", id_="a"), cred("python", id_="b"), cred("PYTHON", id_="c")])
    assert result.requirements[0].reason.endswith("(verified) and 2 more verified credentials")


def test_an_issuer_without_a_name_is_named_by_its_id():
    result = score([req("Python")], [cred("Python", issuer_name=None, issuer_id="did:web:acme.test")])
    assert result.requirements[0].reason == "Met by 'Python' from did:web:acme.test (verified)"


def test_a_missing_requirement_says_no_verified_credential_shows_it():
    result = score([req("Kubernetes"), req("Python")], [cred("Python")])
    assert by_id(result, "kubernetes").reason == "No verified credential shows 'Kubernetes'"
    assert by_id(result, "kubernetes").credentials == ()


def test_the_summary_counts_the_requirements_met():
    result = score([req("Kubernetes"), req("Python")], [cred("Python")])
    assert result.reason == "1 of 2 requirements met by verified credentials"


# --- the edges that must not look like judgements ----------------------------------------------------
@pytest.mark.parametrize("requirements", [None, []])
def test_an_application_for_a_role_without_requirements_is_unscored_not_zero(requirements):
    result = score(requirements, [cred("Python")])
    assert result.status == UNSCORED
    assert result.score is None
    assert result.reason == NO_REQUIREMENTS == "role has no requirements"
    assert [c.credential_id for c in result.credentials] == ["urn:Python:verified"]


def test_empty_profile_scores_zero_with_no_verified_credentials():
    result = score([req("Python", importance="essential")], [])
    assert (result.status, result.score, result.reason) == (SCORED, 0, NO_VERIFIED_CREDENTIALS)
    assert result.reason == "no verified credentials"


def test_only_unverified_credentials_also_score_zero_with_no_verified_credentials():
    result = score([req("Python")], [cred("Python", verdict="failed"), cred("Go", verdict="indeterminate")])
    assert (result.score, result.reason) == (0, NO_VERIFIED_CREDENTIALS)


def test_every_credential_of_the_application_is_listed_with_its_verdict():
    held = [cred("Python", id_="c3"), cred("SQL", verdict="failed", id_="c1"), cred(None, verdict=None, id_="c2")]
    result = score([req("Python")], held)
    assert [(c.credential_id, c.verdict) for c in result.credentials] == [("c1", "failed"), ("c2", None), ("c3", "verified")]


# --- determinism and invariants ---------------------------------------------------------------------
def test_the_result_carries_the_score_version_and_the_given_computation_time():
    result = score([req("Python")], [cred("Python")])
    assert result.score_version == SCORE_VERSION and SCORE_VERSION
    assert result.computed_at == NOW
    assert result.to_dict()["computed_at"] == NOW and result.to_dict()["score_version"] == SCORE_VERSION


def test_scoring_is_deterministic_whatever_order_the_credentials_arrive_in():
    requirements = [req("Python", importance="essential", weight=2), req("SQL", weight=1), req("Go", weight=1)]
    held = [cred("Python", id_="a"), cred("python", verdict="failed", id_="b"), cred("Go", verdict="indeterminate", id_="c"),
            cred("Rust", id_="d")]
    results = {repr(score(requirements, list(order)).to_dict()) for order in itertools.permutations(held)}
    assert len(results) == 1


def test_adding_a_verified_credential_never_lowers_the_score_and_the_score_stays_within_0_to_100():
    rng = random.Random(20261125)
    skills = [f"Skill {i}" for i in range(6)]
    for _ in range(300):
        requirements = [req(s, weight=rng.choice([0.5, 1, 2, 5]), importance=rng.choice(["essential", "preferred"]))
                        for s in rng.sample(skills, rng.randint(1, 6))]
        # Every verdict in (an awaited one makes the application pending, with no score to compare).
        held = [cred(s, verdict=rng.choice(["verified", "failed", "indeterminate"])) for s in rng.sample(skills, 3)]
        before = score(requirements, held).score
        after = score(requirements, held + [cred(rng.choice(skills), id_="urn:extra")]).score
        assert 0 <= before <= after <= 100


@pytest.mark.parametrize("weight", [0, -1, float("nan"), float("inf")])
def test_a_requirement_needs_a_finite_positive_weight(weight):
    with pytest.raises(ValueError):
        Requirement(id="r", competency="Python", importance="preferred", weight=weight)


def test_a_requirement_needs_a_known_importance():
    with pytest.raises(ValueError):
        Requirement(id="r", competency="Python", importance="nice to have", weight=1)
