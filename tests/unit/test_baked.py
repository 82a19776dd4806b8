"""Unbaking badge images built byte by byte as the Open Badges baking specs describe (see tests/support/credential_host.py)."""
from __future__ import annotations

import json
import zlib

import pytest

from services.ingest.baked import BakedError, unbake_png, unbake_svg
from tests.support.credential_host import baked_png, baked_svg, itxt, png_chunk, tiny_png

ASSERTION = json.dumps({"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "https://example.org/a/1"})


def test_the_openbadges_itxt_chunk_of_a_png_gives_its_assertion():
    assert json.loads(unbake_png(baked_png(ASSERTION))) == json.loads(ASSERTION)


def test_a_compressed_itxt_chunk_is_inflated():
    assert unbake_png(baked_png(ASSERTION, compressed=True)) == ASSERTION


def test_the_open_badges_3_keyword_is_read_too():
    assert unbake_png(baked_png("eyJhbGciOi.eyJpc3Mi.c2ln", keyword="openbadgecredential")) == "eyJhbGciOi.eyJpc3Mi.c2ln"


def test_other_text_chunks_are_ignored_and_a_plain_png_has_nothing_baked():
    png = tiny_png(itxt("Comment", "made by hand"), png_chunk(b"tEXt", b"openbadges\0not iTXt"))
    assert unbake_png(png) is None


def test_a_png_with_a_corrupt_chunk_is_rejected():
    png = bytearray(baked_png(ASSERTION))
    png[60] ^= 0xFF  # inside the iTXt chunk: its CRC no longer matches
    with pytest.raises(BakedError, match="CRC"):
        unbake_png(bytes(png))


def test_a_truncated_png_and_a_non_png_are_rejected():
    with pytest.raises(BakedError):
        unbake_png(baked_png(ASSERTION)[:40])
    with pytest.raises(BakedError, match="not a PNG"):
        unbake_png(b"GIF89a...")


def test_a_compressed_text_that_inflates_beyond_the_limit_is_refused():
    bomb = zlib.compress(b"0" * 5_000_000)
    chunk = png_chunk(b"iTXt", b"openbadges\0\x01\x00\0\0" + bomb)
    with pytest.raises(BakedError, match="too large"):
        unbake_png(tiny_png(chunk))


def test_the_openbadges_assertion_element_of_an_svg_gives_its_text_and_verify_url():
    text, verify = unbake_svg(baked_svg(ASSERTION, verify="https://example.org/a/1"))
    assert json.loads(text) == json.loads(ASSERTION) and verify == "https://example.org/a/1"


def test_the_open_badges_3_credential_element_of_an_svg_is_read():
    assert unbake_svg(baked_svg("eyJh.eyJp.c2ln", version=3)) == ("eyJh.eyJp.c2ln", None)


def test_an_svg_without_a_baked_element_has_nothing():
    assert unbake_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>') == (None, None)


def test_an_svg_declaring_entities_is_not_parsed():
    bomb = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>'
    with pytest.raises(BakedError, match="DOCTYPE"):
        unbake_svg(bomb)


def test_malformed_xml_and_non_svg_xml_are_rejected():
    with pytest.raises(BakedError):
        unbake_svg(b"<svg><unclosed></svg>")
    with pytest.raises(BakedError, match="not an SVG"):
        unbake_svg(b"<html xmlns='http://www.w3.org/1999/xhtml'/>")
