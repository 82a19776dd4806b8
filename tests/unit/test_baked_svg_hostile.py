"""SVG badges are parsed as XML, whatever their encoding, without a DTD: no entity is expanded, no file or URL read."""
from __future__ import annotations

import json
import time

import pytest

from services.ingest.baked import BakedError, unbake_svg
from tests.support.credential_host import baked_svg

ASSERTION = json.dumps({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://example.org/a/1"})
SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"'


def utf16(text: str) -> bytes:
    """The document in UTF-16 with its byte-order mark, as an XML processor must accept (XML 1.0 §4.3.3)."""
    return ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")


def with_entities(declarations: str, body: str) -> str:
    return f'<!DOCTYPE svg [{declarations}]><svg {SVG_NS}><openbadges:assertion>{body}</openbadges:assertion></svg>'


BILLION_LAUGHS = with_entities(
    '<!ENTITY a "lol">' + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)),
    "&j;")
EXTERNAL = with_entities('<!ENTITY secret SYSTEM "file:///etc/hostname">', "&secret;")
PARAMETER = with_entities('<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;', "x")


def test_a_utf16_svg_gives_its_embedded_assertion():
    svg = baked_svg(ASSERTION, verify="https://example.org/a/1").decode()
    text, verify = unbake_svg(utf16(svg))
    assert json.loads(text) == json.loads(ASSERTION) and verify == "https://example.org/a/1"


@pytest.mark.parametrize("encode", [str.encode, utf16], ids=["utf-8", "utf-16"])
@pytest.mark.parametrize("document", [with_entities('<!ENTITY a "aaaa">', "&a;"), BILLION_LAUGHS, EXTERNAL, PARAMETER],
                         ids=["internal entity", "billion laughs", "external entity", "external parameter entity"])
def test_an_svg_declaring_entities_is_refused_in_any_encoding(document, encode):
    started = time.process_time()
    with pytest.raises(BakedError, match="DOCTYPE"):
        unbake_svg(encode(document))
    assert time.process_time() - started < 0.5


def test_an_entity_hidden_in_utf16_is_not_expanded_into_the_assertion():
    # The byte pattern "<!ENTITY" does not occur in UTF-16, so a byte search cannot be what stops it.
    document = utf16(with_entities('<!ENTITY id "https://attacker.example/a/1">', "&id;"))
    assert b"<!ENTITY" not in document
    with pytest.raises(BakedError):
        unbake_svg(document)


def test_a_document_that_is_not_xml_in_its_declared_encoding_is_rejected():
    with pytest.raises(BakedError, match="well-formed"):
        unbake_svg(b'<?xml version="1.0" encoding="UTF-16"?><svg/>')
