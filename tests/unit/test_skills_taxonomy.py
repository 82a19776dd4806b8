"""The ESCO index and how a credential meets a requirement through it: alignment, labels, then fuzzy, saying how sure."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from marshmallow import ValidationError

from services.matching import evidence
from services.matching.evidence import ConceptRef, Credential, Lexicon
from services.matching.schemas import RequirementSchema
from services.matching.scoring import MET, MISSING, Requirement, score_application
from services.matching.skills.build import build_index
from services.matching.skills.taxonomy import esco_taxonomy
from services.matching.terms import starter_vocabulary

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
ESCO = "http://data.europa.eu/esco/skill/"
PYTHON = ESCO + "ccd0a1d9-afda-43d9-b901-96344886e14d"
PROGRAMMING = ESCO + "21d2f96d-35f7-4e3f-9745-c533d2dd6e97"
CYBER_SECURITY = ESCO + "8088750d-8388-4170-a76f-48354c469c44"
LEXICON = Lexicon.with_taxonomy(esco_taxonomy())


def req(competency: str, **kwargs) -> Requirement:
    return Requirement(id="r1", competency=competency, importance="essential", weight=1.0, **kwargs)


def cred(achievement: str, **kwargs) -> Credential:
    return Credential(credential_id=f"urn:{achievement}", verdict="verified", achievement=achievement,
                      issuer_name="Test Academy", **kwargs)


def assessed(requirement: Requirement, credential: Credential, lexicon: Lexicon = LEXICON):
    return score_application(requirements=[requirement], credentials=[credential], computed_at=NOW,
                             lexicon=lexicon).requirements[0]


# --- the index -----------------------------------------------------------------------------------
def test_the_build_keeps_each_concept_once_with_its_alternative_labels_and_its_place_in_the_hierarchy():
    rows = ('id,description,hierarchy_levels,type\n'
            'u1,Python (computer programming),"[[\'K\', \'K06\', \'K061\', \'K0613\']]",preferredLabel\n'
            'u1,Python3,"[[\'K\', \'K06\', \'K061\', \'K0613\']]",altLabels\n'
            'K0613,software and applications development and analysis,,level_3\n')
    index = build_index(rows, '{"K06": "information and communication technologies"}')
    assert index["concepts"] == [["u1", "Python (computer programming)", ["Python3"], ["K0613"]]]
    assert index["groups"]["K0613"] == ["software and applications development and analysis", ["K061"]]
    assert index["groups"]["K061"][1] == ["K06"]


def test_the_bundled_index_is_esco_with_its_uris_labels_and_groups():
    taxonomy = esco_taxonomy()
    assert len(taxonomy.preferred) > 13000
    assert taxonomy.preferred[PYTHON] == "Python (computer programming)"
    assert "esco-group:S5.6.1" in taxonomy.groups[PYTHON]
    assert taxonomy.concept_ref("esco-group:K0613") == {"framework": "ESCO", "code": "K0613"}
    assert "ESCO" in taxonomy.source["name"] and "2011/833/EU" in taxonomy.source["licence"]


def test_the_starter_vocabularys_onet_codes_and_links_are_kept_on_the_esco_concepts():
    vocabulary = esco_taxonomy().vocabulary
    assert vocabulary.concept_for_code("O*NET", code="2.B.3.e") == PROGRAMMING
    assert PROGRAMMING in vocabulary.broader_closure(PYTHON)


def test_a_term_names_the_concept_it_is_the_preferred_label_of_before_those_it_is_an_alternative_label_of():
    # "SQL" is also an alternative label of "database management systems".
    assert [esco_taxonomy().preferred[c] for c in esco_taxonomy().vocabulary.concepts_for_term("sql")] == ["SQL"]


# --- matching through it -------------------------------------------------------------------------
def test_an_alignment_to_an_esco_uri_meets_a_requirement_naming_that_concept():
    result = assessed(req("Python", concept=ConceptRef("ESCO", uri=PYTHON)),
                      cred("Scientific scripting", alignments=({"targetUrl": PYTHON},)))
    assert (result.status, result.used[0].match, result.used[0].confidence) == (MET, evidence.ALIGNMENT, 1.0)


def test_an_esco_alternative_label_meets_the_concept_which_the_starter_vocabulary_alone_did_not():
    requirement, credential = req("Python (computer programming)"), cred("Python3")
    assert assessed(requirement, credential, Lexicon(vocabulary=starter_vocabulary())).status == MISSING
    result = assessed(requirement, credential)
    assert (result.status, result.used[0].match) == (MET, evidence.VOCABULARY)


def test_a_label_found_inside_a_longer_title_is_a_fuzzy_match_that_says_how_sure_it_is():
    result = assessed(req("cyber security", concept=ConceptRef("ESCO", uri=CYBER_SECURITY)),
                      cred("Google Cyber Security Professional Certificate"))
    used = result.used[0]
    assert (result.status, used.match) == (MET, evidence.FUZZY)
    assert 0.5 <= used.confidence < 1
    assert "close match in the skills taxonomy to 'cyber security'" in result.reason and "% sure" in result.reason


def test_a_misspelt_title_meets_the_requirement_by_similarity_above_the_threshold():
    result = assessed(req("Kubernetes administration"), cred("Certified Kubernetes Administraton"))
    assert (result.status, result.used[0].match) == (MET, evidence.FUZZY)
    assert result.used[0].confidence < 0.85


def test_a_title_about_something_else_does_not_meet_the_requirement():
    assert assessed(req("Python (computer programming)"), cred("Forklift Operator Licence")).status == MISSING
    assert assessed(req("cyber security"), cred("Certificate in Food Safety")).status == MISSING


def test_one_credential_inside_an_esco_group_does_not_meet_the_whole_group():
    group = req("software and applications development and analysis", concept=ConceptRef("ESCO", code="K0613"))
    assert assessed(group, cred("Python (computer programming)")).status == MISSING


# --- credentials stack up to a broader concept ---------------------------------------------------
SOFTWARE_GROUP = ConceptRef("ESCO", code="K0613")  # software and applications development and analysis


def stacked(count: int, *achievements: str):
    requirement = req("software development knowledge", concept=SOFTWARE_GROUP, narrower_count=count)
    return score_application(requirements=[requirement], credentials=[cred(a) for a in achievements],
                             computed_at=NOW, lexicon=LEXICON).requirements[0]


def test_three_narrower_credentials_together_meet_a_group_that_asks_for_three():
    result = stacked(3, "Python (computer programming)", "JavaScript", "SQL")
    assert (result.status, result.credit) == (MET, 1.0)
    assert "3 of 3" in result.reason and "'JavaScript'" in result.reason


def test_two_of_three_narrower_credentials_earn_two_thirds():
    result = stacked(3, "Python3", "JavaScript", "Forklift Operator Licence")
    assert (result.status, round(result.credit, 2)) == ("partial", 0.67)


def test_two_credentials_of_one_narrower_concept_count_once():
    result = stacked(2, "Python3", "Python (computer programming)")
    assert (result.status, result.credit) == ("partial", 0.5)


def test_a_role_can_ask_for_narrower_credentials_but_not_next_to_an_any_of_list():
    body = {"id": "r", "competency": "software", "importance": "essential", "weight": 1, "narrower": {"count": 2}}
    assert RequirementSchema().load(body)["narrower"] == {"count": 2}
    with pytest.raises(ValidationError) as refused:
        RequirementSchema().load({**body, "any_of": {"count": 1, "of": [{"label": "Python"}]}})
    assert "narrower" in refused.value.messages


def test_the_build_refuses_a_wheel_that_is_not_the_pinned_one(tmp_path):
    from services.matching.skills import build
    fake = tmp_path / build.WHEEL
    fake.write_bytes(b"PK not the wheel")
    with pytest.raises(SystemExit, match="refusing to build"):
        build.main(["--wheel", str(fake), "--output", str(tmp_path / "index.json.gz")])
    assert not (tmp_path / "index.json.gz").exists()


def test_the_written_index_is_the_same_bytes_every_time(tmp_path):
    from services.matching.skills.build import write_index
    index = {"concepts": [["u1", "SQL", [], []]], "groups": {}, "skill_uri": ESCO, "source": {}}
    write_index(index, tmp_path / "a.json.gz")
    write_index(index, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
