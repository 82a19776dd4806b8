"""Greenhouse: `Signature: sha256 <hex>` over the raw body, new_candidate_application normalised, ping answered."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, greenhouse
from services.ingest.signatures import AuthError, content_digest
from shared.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
BODY = (FIXTURES / "greenhouse_new_candidate_application.json").read_bytes()
NOW = 1_800_000_000


def deliver(body=BODY, *, secret="gh-secret", secrets=("gh-secret",), headers=None):
    h = Headers(greenhouse.sign(secret, body) if headers is None else headers)
    h.setdefault("Greenhouse-Event-ID", "3ce5180d-9119-4ddc-9ef6-21edb6e76f8a")
    delivery = Delivery(tenant="t1", headers=h, body=body, now=NOW)
    doc = json.loads(body)
    greenhouse.authenticate(delivery, doc, secrets=secrets, options={}, settings=Settings())
    return greenhouse.normalise(delivery, doc)


def test_the_signature_is_the_documented_hmac_of_the_raw_body_after_sha256_and_a_space():
    expected = hmac.new(b"gh-secret", BODY, hashlib.sha256).hexdigest()
    assert greenhouse.sign("gh-secret", BODY)["Signature"] == f"sha256 {expected}"


def test_a_signed_new_application_becomes_an_application_with_its_job_candidate_and_emails():
    app = deliver()
    assert isinstance(app, Application)
    assert (app.application_id, app.job_id, app.candidate_id) == ("46194062", "371417", "35955844")
    assert app.name == "Johnny Smith" and app.emails == ("personal@example.com",)
    assert app.delivery_id == content_digest(BODY)  # the signed body, not the unsigned Greenhouse-Event-ID
    assert app.enrich is None


def test_attachments_websites_custom_fields_and_answers_become_links_for_the_worker_to_scan():
    by_prov = {lk.provenance: lk for lk in deliver().links}
    assert by_prov["greenhouse.attachments[0]"].url.startswith("https://prod-heroku.s3.amazonaws.com/")
    assert by_prov["greenhouse.candidate.custom_fields.badge_url"].url == "https://www.credly.com/badges/1d2b3c4d"
    assert by_prov["greenhouse.application.custom_fields.portfolio"].url == "https://portfolio.example.org/ada"
    assert by_prov["greenhouse.social_media_addresses[0]"].text == "linkedin.com/in/johnny"
    assert "badges.example.org/assertions/42.json" in by_prov["greenhouse.answers[1]"].text


def test_unicode_escapes_are_verified_as_sent_and_decoded_only_after():
    assert b"\\u003c" in BODY  # the fixture keeps Greenhouse's escapes as raw bytes
    by_prov = {lk.provenance: lk for lk in deliver().links}
    assert by_prov["greenhouse.answers[0]"].text == "A friend <they said> it's great & fun"
    decoded = json.dumps(json.loads(BODY), ensure_ascii=False).encode()
    with pytest.raises(AuthError):
        deliver(decoded, headers=greenhouse.sign("gh-secret", BODY))


def test_a_tampered_body_fails():
    with pytest.raises(AuthError, match="does not match"):
        deliver(BODY.replace(b"46194062", b"46194063"), headers=greenhouse.sign("gh-secret", BODY))


def test_the_same_json_reserialised_with_other_spacing_fails():
    reformatted = json.dumps(json.loads(BODY), indent=2).encode()
    with pytest.raises(AuthError):
        deliver(reformatted, headers=greenhouse.sign("gh-secret", BODY))


def test_a_body_signed_with_another_secret_fails():
    with pytest.raises(AuthError):
        deliver(secret="not-the-secret")


def test_both_secrets_verify_during_rotation():
    for secret in ("old-secret", "new-secret"):
        assert isinstance(deliver(secret=secret, secrets=("new-secret", "old-secret")), Application)


@pytest.mark.parametrize("header", ["", "sha256", "sha1 abc", "sha256=abc"])
def test_a_missing_or_malformed_signature_header_fails(header):
    with pytest.raises(AuthError):
        deliver(headers={"Signature": header} if header else {})


def test_a_redelivery_without_an_event_id_header_dedupes_on_the_signed_body():
    def without_event_id():
        h = Headers(greenhouse.sign("gh-secret", BODY))
        h["Greenhouse-Event-ID"] = ""
        return Delivery(tenant="t1", headers=h, body=BODY, now=NOW)
    ids = {greenhouse.normalise(without_event_id(), json.loads(BODY)).delivery_id for _ in range(2)}
    assert len(ids) == 1 and ids.pop().startswith("sha256:")


def test_the_ping_sent_when_a_hook_is_saved_succeeds_with_200_and_names_no_application():
    body = (FIXTURES / "greenhouse_ping.json").read_bytes()
    ack = deliver(body)
    assert isinstance(ack, Ack) and ack.status == 200


def test_other_events_are_acknowledged_without_an_application():
    body = json.dumps({"action": "candidate_hired", "payload": {}}).encode()
    assert isinstance(deliver(body), Ack)
