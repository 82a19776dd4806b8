"""Discovery (pure): which links and texts may hold credentials, and what a fetched body holds."""
from __future__ import annotations

import json

from services.ingest.discovery import (classify, credly_assertion_url, credly_badge_id, leads_in_link, leads_in_text,
                                       looks_like_credential_url)
from tests.support.credential_host import baked_png, baked_svg, tiny_png
from tests.support.issuer import Issuer

CREDLY_ID = "0f8c9a4e-2b1d-4c3e-9f7a-1234567890ab"
TOKEN = Issuer.generate().vc_jwt(subject_email="ada@example.org")


def test_a_credly_badge_page_maps_to_credlys_documented_obi_assertion_endpoint():
    assert credly_badge_id(f"https://www.credly.com/badges/{CREDLY_ID}/public_url") == CREDLY_ID
    assert credly_badge_id(f"https://credly.com/badges/{CREDLY_ID.upper()}") == CREDLY_ID
    assert credly_assertion_url(CREDLY_ID) == f"https://api.credly.com/v1/obi/v2/badge_assertions/{CREDLY_ID}"
    assert credly_badge_id("https://www.credly.com/users/ada") is None
    assert credly_badge_id(f"https://credly.com.evil.example/badges/{CREDLY_ID}") is None


def test_only_links_that_look_like_credentials_are_pulled():
    yes = ["https://example.org/a/1.json", "https://badges.example.org/assertions/42", "https://x.org/b.png",
           "https://x.org/me/badge.svg", f"https://www.credly.com/badges/{CREDLY_ID}", "https://x.org/credentials/7"]
    no = ["https://www.linkedin.com/in/ada", "https://github.com/ada", "https://ada.dev/", "https://x.org/badgers-den"]
    assert all(looks_like_credential_url(u) for u in yes)
    assert not any(looks_like_credential_url(u) for u in no)


def test_a_link_url_becomes_one_lead_with_the_links_provenance():
    assert leads_in_link({"provenance": "candidate.links[2]", "url": "https://x.org/b.png"})[0].url == "https://x.org/b.png"
    assert leads_in_link({"provenance": "candidate.links[3]", "url": "https://github.com/ada"}) == []


def test_vc_jwts_and_credential_urls_are_found_in_free_text_each_with_where_it_was_found():
    text = (f"Hi! My cert: {TOKEN}. Badge: https://www.credly.com/badges/{CREDLY_ID}, "
            "portfolio https://ada.dev/ and https://x.org/assertions/9.json.")
    leads = leads_in_text(text, "custom_fields.certs")
    assert [(lead.jwt is not None, lead.url) for lead in leads] == [
        (True, None), (False, f"https://www.credly.com/badges/{CREDLY_ID}"), (False, "https://x.org/assertions/9.json")]
    assert leads[0].jwt == TOKEN
    assert leads[0].provenance == "custom_fields.certs -> VC-JWT in text [0]"
    assert leads[2].provenance == "custom_fields.certs -> URL in text [1]"


def test_text_that_merely_resembles_a_jwt_is_not_taken_for_one():
    assert leads_in_text("version 1.2.3 and abc.def.ghi and eyJ.eyJ.x", "note") == []


def test_a_hosted_json_document_is_a_credential_document():
    found = classify("application/ld+json", json.dumps({"type": ["VerifiableCredential"]}).encode())
    assert (found.label, found.document) == ("hosted JSON", {"type": ["VerifiableCredential"]})
    assert classify("application/json", b"[1, 2]").problem == "the JSON is not an object"
    assert classify("application/json", b"{oops").problem == "the JSON does not parse"


def test_a_hosted_vc_jwt_is_a_jwt_credential():
    assert classify("application/vc+jwt", TOKEN.encode() + b"\n").jwt == TOKEN
    assert classify("text/plain", b"hello").problem is not None


def test_a_baked_png_gives_its_baked_jwt_or_assertion():
    assert classify("image/png", baked_png(TOKEN, keyword="openbadgecredential")).jwt == TOKEN
    found = classify("image/png", baked_png('{"type": "Assertion"}'))
    assert (found.label, found.document) == ("baked PNG", {"type": "Assertion"})


def test_a_baked_image_holding_only_a_url_is_followed():
    assert classify("image/png", baked_png("https://x.org/assertions/1")).follow == "https://x.org/assertions/1"
    svg = baked_svg("", verify="https://x.org/assertions/2")
    assert classify("image/svg+xml", svg).follow == "https://x.org/assertions/2"


def test_a_baked_svg_gives_its_credential():
    found = classify("image/svg+xml", baked_svg(TOKEN, version=3))
    assert (found.label, found.jwt) == ("baked SVG", TOKEN)


def test_an_image_with_nothing_baked_and_a_broken_image_say_why():
    assert classify("image/png", tiny_png()).problem == "the image carries no baked credential"
    assert classify("image/png", b"not a png").problem == "not a PNG image"


def test_a_web_page_yields_the_credly_badges_and_jwts_it_shows():
    page = f'<a href="https://www.credly.com/badges/{CREDLY_ID}">my badge</a> <a href="/about">about</a>'.encode()
    found = classify("text/html", page)
    assert [lead.url for lead in found.leads] == [f"https://www.credly.com/badges/{CREDLY_ID}"]
    assert classify("text/html", b"<p>nothing here</p>").problem == "the page names no credential"
