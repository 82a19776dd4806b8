"""Role bodies: what PUT /v1/roles/<id> accepts, and the field errors it answers 422 with."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from services.matching.schemas import RoleListQuerySchema, RoleSchema

ROLE = RoleSchema()


def body(**overrides):
    doc = {"title": "Backend engineer", "requirements": [
        {"id": "py", "competency": "Python Programming", "importance": "essential", "weight": 3},
        {"id": "k8s", "competency": "Kubernetes", "importance": "preferred", "weight": 0.5}]}
    doc.update(overrides)
    return doc


def requirement(**overrides):
    return {"id": "r", "competency": "Go", "importance": "preferred", "weight": 1, **overrides}


def errors_of(doc) -> dict:
    with pytest.raises(ValidationError) as exc:
        ROLE.load(doc)
    return exc.value.messages


def test_a_valid_role_loads_with_weights_as_numbers_and_no_extra_job_ids():
    role = ROLE.load(body())
    assert [r["weight"] for r in role["requirements"]] == [3.0, 0.5]
    assert role["job_ids"] == []


def test_a_role_may_name_extra_job_ids_it_covers():
    assert ROLE.load(body(job_ids=["job-2", "job-3"]))["job_ids"] == ["job-2", "job-3"]


def test_a_role_without_requirements_is_accepted_and_will_leave_its_applications_unscored():
    assert ROLE.load(body(requirements=[]))["requirements"] == []


def test_a_competency_label_is_stored_trimmed_with_single_spaces():
    role = ROLE.load(body(requirements=[requirement(competency="  Python   Programming ")]))
    assert role["requirements"][0]["competency"] == "Python Programming"


def test_repeated_requirement_ids_are_refused():
    errors = errors_of(body(requirements=[requirement(id="a"), requirement(id="a", competency="SQL")]))
    assert "requirements" in errors and "repeated: a" in str(errors["requirements"])


@pytest.mark.parametrize("weight", [0, -1, "2", True, None, float("nan"), float("inf")])
def test_a_weight_must_be_a_number_above_zero(weight):
    errors = errors_of(body(requirements=[requirement(weight=weight)]))
    assert "weight" in errors["requirements"][0]


@pytest.mark.parametrize("importance", ["Essential", "required", "", None])
def test_importance_is_essential_or_preferred(importance):
    assert "importance" in errors_of(body(requirements=[requirement(importance=importance)]))["requirements"][0]


@pytest.mark.parametrize("competency", ["", "   ", "x" * 201])
def test_a_competency_must_be_a_non_blank_label_of_reasonable_length(competency):
    assert "competency" in errors_of(body(requirements=[requirement(competency=competency)]))["requirements"][0]


@pytest.mark.parametrize("missing", ["title", "requirements"])
def test_title_and_requirements_are_required(missing):
    doc = body()
    del doc[missing]
    assert missing in errors_of(doc)


@pytest.mark.parametrize("missing", ["id", "competency", "importance", "weight"])
def test_each_requirement_field_is_required(missing):
    req = requirement()
    del req[missing]
    assert missing in errors_of(body(requirements=[req]))["requirements"][0]


def test_unknown_fields_are_refused_rather_than_silently_dropped():
    assert "minimum_level" in errors_of(body(requirements=[requirement(minimum_level=3)]))["requirements"][0]


def test_listing_defaults_to_the_first_hundred_roles_and_caps_the_page_size():
    assert RoleListQuerySchema().load({}) == {"after": "", "limit": 100}
    with pytest.raises(ValidationError):
        RoleListQuerySchema().load({"limit": "501"})
