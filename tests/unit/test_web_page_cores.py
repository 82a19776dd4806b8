"""The web page's pure cores: verdicts and checks in plain words, bands and tiers, the role form both ways."""
from __future__ import annotations

from marshmallow import ValidationError

from services.matching import schemas
from services.matching.web import roleform, words

ROLE_SCHEMA = schemas.RoleSchema()


def failed(code: str) -> dict:
    return {"code": code, "status": "failed", "message": "..."}


def test_each_reason_a_credential_does_not_count_has_its_own_headline():
    assert words.failure_headline("revoked", [failed("status.revocation")]).startswith("Revoked")
    assert words.failure_headline("suspended", []).startswith("Suspended")
    assert words.failure_headline("expired", [failed("validity.expiry")]).startswith("Expired")
    assert words.failure_headline("failed", [failed("proof.signature")]).startswith("Forged or altered")
    assert words.failure_headline("failed", [failed("ob2.hosted")]).startswith("Forged or altered")
    assert words.failure_headline("failed", [failed("recipient")]).startswith("Issued to someone else")
    assert words.failure_headline("failed", [failed("issuer.matches_key")]) == "Not signed by the issuer it names"
    assert words.failure_headline("failed", [failed("issuer.trusted")]).startswith("Issuer not in your registry")
    assert words.failure_headline("failed", [failed("structure.vc")]) == (
        "Failed verification: is it a well-formed credential")
    assert words.failure_headline("recipient_unconfirmed", []).startswith("Not shown to be issued to this candidate")
    assert words.failure_headline("indeterminate", [{"code": "status.revocation", "status": "indeterminate"}]) == (
        "Could not be verified: status.revocation undecided")
    assert words.failure_headline("unavailable", []) == "No verdict in time; not counted"
    assert words.failure_headline(None, []) == "Awaiting verification"


def test_an_issuer_outside_the_registry_is_told_by_the_reports_flag_or_failed_check_not_its_message():
    assert words.unregistered({"flags": ["issuer.unregistered"], "checks": []})
    assert words.unregistered({"checks": [failed("issuer.trusted")]})
    assert not words.unregistered({"checks": [{"code": "issuer.trusted", "status": "skipped",
                                               "message": "flagged: the issuer is not in the tenant's trust registry"}]})


def test_every_check_code_verification_gives_is_asked_as_a_question_and_unknown_ones_shown_as_themselves():
    assert words.check_question("proof.signature").endswith("(not forged or altered)?")
    assert words.check_question("some.new_check") == "some.new_check"


def test_bands_put_an_unmet_essential_requirement_before_the_score():
    assert words.band(status="scored", score=100, essential_unmet=False) == "strong"
    assert words.band(status="scored", score=60, essential_unmet=False) == "fair"
    assert words.band(status="scored", score=20, essential_unmet=False) == "weak"
    assert words.band(status="scored", score=40, essential_unmet=True) == "essential requirement missing"
    assert words.band(status="pending", score=None, essential_unmet=True) == "pending verification"
    assert words.band(status="unscored", score=None, essential_unmet=False) == "not scored"


def test_tiers_are_summed_up_best_first():
    assert words.tier_summary(["unknown", "accredited", "unknown", None]) == "accredited ×1, unknown ×2"
    assert words.tier_summary([]) == "no verified credentials"


ROLE = {"role_id": "r", "title": "Data", "description": "Python", "job_ids": ["j2", "j1"],
        "credibility": {"weights": {"unknown": 0.5}, "essential_minimum": "known"},
        "requirements": [
            {"id": "py", "competency": "Python", "importance": "essential", "weight": 2.0, "aliases": ["py3"],
             "concept": {"framework": "ESCO", "uri": "http://data.europa.eu/esco/skill/x", "code": None},
             "min_level": "Advanced", "max_age_months": 24.0, "any_of": None, "narrower": None},
            {"id": "cloud", "competency": "Cloud", "importance": "preferred", "weight": 1.5, "aliases": [],
             "concept": None, "min_level": None, "max_age_months": None, "narrower": None,
             "any_of": {"count": 1, "of": [{"label": "AWS", "aliases": ["Amazon"], "concept": None},
                                           {"label": "Azure", "aliases": [], "concept": None}]}},
            {"id": "prog", "competency": "Programming", "importance": "preferred", "weight": 1.0, "aliases": [],
             "concept": None, "min_level": 3, "max_age_months": None, "any_of": None, "narrower": {"count": 2}}]}


def posted(state: dict) -> dict:
    """The form as a browser posts it back."""
    form = {k: state[k] for k in ("role_id", "title", "description", "job_ids", "essential_minimum")}
    form |= {f"weight-{t}": v for t, v in state["weights"].items()}
    for n, row in enumerate(state["rows"]):
        form |= {f"r-{n}-{f}": row[f] for f in roleform.ROW_FIELDS}
    return form


def test_a_stored_role_goes_through_the_form_and_back_unchanged():
    body, origin = roleform.body_from_form(roleform.form_from_post(posted(roleform.form_from_role(ROLE))))
    loaded = ROLE_SCHEMA.load(body)
    assert origin == [0, 1, 2]
    assert loaded["requirements"] == ROLE_SCHEMA.load({"title": "x", "requirements": ROLE["requirements"]})["requirements"]
    assert loaded["credibility"] == ROLE["credibility"] and sorted(loaded["job_ids"]) == ["j1", "j2"]


def test_the_schemas_messages_land_on_the_rows_they_belong_to_skipping_blank_rows():
    state = roleform.form_from_post({"title": "", "r-0-id": "", "r-0-competency": "", "r-0-weight": "1",
                                     "r-1-id": "", "r-1-competency": "SQL", "r-1-importance": "essential",
                                     "r-1-weight": "-2", "r-1-stack": "narrower", "r-1-stack_count": "two"})
    body, origin = roleform.body_from_form(state)
    assert origin == [1] and body["requirements"][0]["id"] == "sql"
    try:
        ROLE_SCHEMA.load(body)
    except ValidationError as exc:
        roleform.errors_onto_form(state, exc.messages, origin)
    assert "Must not be blank." in state["errors"]["title"]
    assert state["rows"][0]["errors"] == {}
    assert state["rows"][1]["errors"]["weight"] == "Must be a number greater than 0."
    assert state["rows"][1]["errors"]["stack"] == "count: Not a valid integer."


def test_numbers_are_read_as_numbers_and_anything_else_left_for_the_schema_to_refuse():
    assert roleform._number("3") == 3 and roleform._number("1.5") == 1.5 and roleform._number("Advanced") == "Advanced"
    assert roleform._integer("2") == 2 and roleform._integer("2.5") == "2.5"
    assert roleform.slug("Python (computer programming)") == "python-computer-programming"
