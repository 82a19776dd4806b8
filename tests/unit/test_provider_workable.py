"""Workable: `X-Workable-Signature` = hex HMAC-SHA256 of the raw body; candidate_created carries the candidate."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, workable
from services.ingest.signatures import AuthError
from shared.settings import Settings

BODY = (Path(__file__).parents[1] / "fixtures" / "providers" / "workable_candidate_created.json").read_bytes()


def deliver(body=BODY, *, secret="account-token", secrets=("account-token",), headers=None):
    h = Headers(workable.sign(secret, body) if headers is None else headers)
    delivery = Delivery(tenant="t1", headers=h, body=body, now=1_800_000_000)
    doc = json.loads(body)
    workable.authenticate(delivery, doc, secrets=secrets, options={}, settings=Settings())
    return workable.normalise(delivery, doc)


def test_the_signature_is_the_documented_hex_hmac_of_the_body():
    assert workable.sign("k", BODY)["X-Workable-Signature"] == hmac.new(b"k", BODY, hashlib.sha256).hexdigest()


def test_a_signed_candidate_created_becomes_an_application_for_the_candidates_job():
    app = deliver()
    assert isinstance(app, Application)
    assert (app.application_id, app.candidate_id, app.job_id) == ("ce4da98", "ce4da98", "GROOV005")
    assert app.name == "Lakita Marrero" and app.emails == ("lakita_marrero@example.com",)
    assert app.delivery_id == "candidate_created:ce4da98"


def test_resume_profiles_letters_and_answers_become_links():
    by_prov = {lk.provenance: lk for lk in deliver().links}
    assert by_prov["workable.resume_url"].url == "https://workable.s3.amazonaws.com/resume.pdf"
    assert by_prov["workable.social_profiles[0]"].url == "https://www.linkedin.com/in/lakita"
    assert by_prov["workable.answers[0]"].url == "https://portfolio.example.org/lakita"
    assert "assertions/9.json" in by_prov["workable.cover_letter"].text


def test_unicode_escapes_are_verified_as_raw_bytes():
    assert b"\\u003c" in BODY
    assert "<and>" in {lk.provenance: lk for lk in deliver().links}["workable.summary"].text
    with pytest.raises(AuthError):
        deliver(json.dumps(json.loads(BODY), ensure_ascii=False).encode(), headers=workable.sign("account-token", BODY))


def test_a_tampered_body_fails():
    with pytest.raises(AuthError):
        deliver(BODY.replace(b"GROOV005", b"GROOV006"), headers=workable.sign("account-token", BODY))


def test_the_same_json_reserialised_fails():
    with pytest.raises(AuthError):
        deliver(json.dumps(json.loads(BODY), indent=1).encode(), headers=workable.sign("account-token", BODY))


def test_another_key_fails_and_both_keys_verify_during_rotation():
    with pytest.raises(AuthError):
        deliver(secret="other")
    for secret in ("old", "new"):
        assert isinstance(deliver(secret=secret, secrets=("new", "old")), Application)


def test_an_unsigned_delivery_fails():
    with pytest.raises(AuthError, match="missing"):
        deliver(headers={"Content-Type": "application/json"})


def test_a_replayed_delivery_has_the_same_delivery_id():
    assert deliver().delivery_id == deliver().delivery_id


def test_events_other_than_candidate_created_succeed_with_nothing_to_publish():
    # Workable documents no ping; any other subscribed event is acknowledged with 200 and ignored.
    doc = {**json.loads(BODY), "eventType": "candidate_moved"}
    ack = deliver(json.dumps(doc).encode())
    assert isinstance(ack, Ack) and ack.status == 200
