"""RDFC-1.0 through pyoxigraph and through pyld agree, contexts come only from the offline bundle, safe mode holds."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.verification import canonical, jsonld_contexts
from tests.support.di_signer import ob3_credential

VECTORS = Path(__file__).parents[1] / "fixtures" / "vectors" / "vc-di-eddsa"
V1 = "https://www.w3.org/2018/credentials/v1"


def unsecured(name: str) -> dict:
    document = json.loads((VECTORS / name).read_text())
    document.pop("proof")
    return document


def documents() -> list[dict]:
    control = ob3_credential("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp")
    control["credentialSubject"]["achievement"]["description"] = "tab\there, bell\a, quote \" and back\\slash"
    return [unsecured("eddsa-rdfc-2022.json"), unsecured("ed25519signature2020.json"),
            ob3_credential("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"), control]


@pytest.mark.parametrize("document", documents())
def test_pyoxigraph_and_pyld_give_the_same_rdfc_canonical_form(document):
    assert canonical.rdfc(document, engine="oxigraph") == canonical.rdfc(document, engine="pyld")


def test_rdfc_escapes_control_characters_where_the_legacy_urdna2015_form_leaves_them_raw():
    document = documents()[-1]
    rdfc = canonical.rdfc(document)
    assert 'tab\\there, bell\\u0007' in rdfc
    legacy = canonical.urdna2015(document)
    assert 'tab\there, bell\a' in legacy
    assert 'back\\\\slash' in legacy  # an escaped backslash stays escaped
    assert legacy == canonical.legacy_escaping(rdfc)  # here the labelling does not depend on the escaping


def test_a_document_without_control_characters_has_one_canonical_form():
    rdfc = canonical.rdfc(documents()[0])
    assert canonical.legacy_escaping(rdfc) == rdfc and canonical.urdna2015(documents()[0]) == rdfc


def test_the_canonical_form_of_the_published_vector_is_the_published_one_line_for_line():
    # vc-di-eddsa TestVectors/eddsa-rdfc-2022 canonDocDataInt: the alumni credential's quads.
    rdfc = canonical.rdfc(unsecured("eddsa-rdfc-2022.json"))
    assert '<did:example:abcdefgh> <https://www.w3.org/ns/credentials/examples#alumniOf> "The School of Examples" .\n' in rdfc
    assert rdfc.count("\n") == 8


@pytest.mark.parametrize("engine", canonical.ENGINES)
def test_a_context_outside_the_bundle_is_never_fetched_and_says_so(engine):
    document = {**documents()[0], "@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx"]}
    with pytest.raises(canonical.UnknownContext):
        canonical.rdfc(document, engine=engine)
    with pytest.raises(canonical.UnknownContext):
        canonical.check_terms(document)


def test_a_term_no_context_defines_fails_safe_mode():
    document = {"@context": [V1], "type": ["VerifiableCredential"], "issuer": "did:example:1",
                "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:2", "degree": "BSc"}}
    with pytest.raises(canonical.UndefinedTerm, match="degree"):
        canonical.check_terms(document)


def test_a_type_no_context_defines_fails_safe_mode():
    document = {"@context": [V1], "type": ["VerifiableCredential", "MadeUpCredential"], "issuer": "did:example:1",
                "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:2"}}
    with pytest.raises(canonical.UndefinedTerm, match="MadeUpCredential"):
        canonical.check_terms(document)


def test_safe_mode_accepts_an_open_badge_whose_every_term_is_defined():
    canonical.check_terms(documents()[2])


def test_every_bundled_context_names_where_its_bytes_came_from_and_loads():
    for url, source in jsonld_contexts.sources().items():
        assert source.startswith(("npm ", "github ")), url
        assert "@context" in jsonld_contexts.load(url)


def test_jcs_sorts_members_and_writes_numbers_per_rfc_8785():
    assert canonical.jcs({"b": 1.0, "a": [1e21, "é"]}) == '{"a":[1e+21,"é"],"b":1}'.encode()


def test_an_issuer_given_as_a_relative_iri_fails_safe_mode():
    document = {"@context": [V1], "type": ["VerifiableCredential"], "issuer": "academy",
                "issuanceDate": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:2"}}
    with pytest.raises(canonical.UndefinedTerm, match="relative"):
        canonical.check_terms(document)


def _inlined_oxigraph(document: dict) -> str:
    return canonical._canonical_nquads(json.dumps(jsonld_contexts.inline(document)).encode())


@pytest.mark.parametrize("document", documents())
def test_the_template_fast_path_gives_the_same_form_as_oxigraph_with_inlined_contexts(document):
    assert canonical.rdfc(document) == _inlined_oxigraph(document)


def test_two_credentials_of_one_shape_keep_their_own_values_through_the_template_cache():
    first, second = documents()[2], documents()[2]
    second["credentialSubject"]["achievement"]["name"] = "Advanced SQL"
    second["issuer"]["id"] = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    one, two = canonical.rdfc(first), canonical.rdfc(second)
    assert one != two
    assert two == canonical.rdfc(second, engine="pyld") and "Advanced SQL" in two and "Advanced SQL" not in one


def test_values_whose_meaning_depends_on_the_context_are_expanded_by_it_not_copied():
    document = documents()[2]
    document["credentialSubject"]["achievement"]["achievementType"] = "Certificate"  # an OB 3.0 enumeration
    document["credentialSubject"]["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": "SQL", "targetUrl": "https://skills.example/sql",
         "targetType": "ceterms:Skill"}]
    assert canonical.rdfc(document) == _inlined_oxigraph(document) == canonical.rdfc(document, engine="pyld")


def test_legacy_urdna2015_orders_blank_nodes_by_hashes_of_its_own_escaping_not_by_rdfcs():
    # Two blank nodes told apart only by a literal with a tab: which is _:c14n0 depends on the escaping.
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
                "type": ["VerifiableCredential"], "issuer": "did:example:1",
                "credentialSubject": {"id": "did:example:2", "items": [{"label": "a\tc"}, {"label": "ac"}]}}
    rdfc = canonical.rdfc(document)
    assert canonical.urdna2015(document) != canonical.legacy_escaping(rdfc)  # re-escaping alone is not enough
    assert sorted(canonical.urdna2015(document).replace("\t", "\\t").splitlines()) != sorted(rdfc.splitlines())
