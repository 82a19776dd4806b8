"""Teamtailor: TT-Signature v2 over "<t>." + body, the v1 body signature only on opt-in, thin applications."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, teamtailor
from services.ingest.signatures import AuthError
from shared.settings import Settings

BODY = (Path(__file__).parents[1] / "fixtures" / "providers" / "teamtailor_job_application_create.json").read_bytes()
NOW = 1_800_000_000


def deliver(body=BODY, *, secret="tt-key", secrets=("tt-key",), ts=NOW, headers=None, options=None, now=NOW):
    h = Headers(teamtailor.sign(secret, body, timestamp=ts) if headers is None else headers)
    delivery = Delivery(tenant="t1", headers=h, body=body, now=now)
    doc = json.loads(body)
    teamtailor.authenticate(delivery, doc, secrets=secrets, options=options or {}, settings=Settings())
    return teamtailor.normalise(delivery, doc)


def test_the_header_is_base64_of_t_and_v2_hmac_of_timestamp_dot_body():
    hexsig = hmac.new(b"k", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    header = teamtailor.sign("k", BODY, timestamp=NOW)["TT-Signature"]
    assert base64.b64decode(header).decode() == f"t={NOW},v2={hexsig}"


def test_a_signed_job_application_create_is_thin_and_names_its_application_for_enrichment():
    app = deliver()
    assert isinstance(app, Application)
    assert (app.application_id, app.job_id) == ("44", "2")
    assert app.candidate_id == "pending:44"  # the webhook names no candidate; enrichment supplies it
    assert app.enrich == {"kind": "teamtailor.job_application", "ref": "44"}
    assert app.delivery_id == "job_application.create:44"


def test_a_tampered_or_reserialised_body_fails():
    good = teamtailor.sign("tt-key", BODY, timestamp=NOW)
    with pytest.raises(AuthError):
        deliver(BODY.replace(b'"44"', b'"45"'), headers=good)
    with pytest.raises(AuthError):
        deliver(json.dumps(json.loads(BODY)).encode(), headers=good)


def test_unicode_escapes_are_verified_as_raw_bytes():
    assert b"\\u003c" in BODY
    with pytest.raises(AuthError):
        deliver(BODY.replace(b"\\u003c", b"<"), headers=teamtailor.sign("tt-key", BODY, timestamp=NOW))


def test_a_wrong_key_fails_and_both_keys_verify_during_rotation():
    with pytest.raises(AuthError):
        deliver(secret="other")
    for secret in ("old", "new"):
        assert isinstance(deliver(secret=secret, secrets=("new", "old")), Application)


def test_a_stale_timestamp_fails_because_teamtailor_signs_each_send_afresh():
    with pytest.raises(AuthError, match="replay window"):
        deliver(ts=NOW - 301)


def test_a_timestamp_moved_after_signing_fails():
    raw = base64.b64decode(teamtailor.sign("tt-key", BODY, timestamp=NOW)["TT-Signature"]).decode()
    moved = base64.b64encode(raw.replace(f"t={NOW}", f"t={NOW + 1}").encode()).decode()
    with pytest.raises(AuthError):
        deliver(headers={"TT-Signature": moved})


@pytest.mark.parametrize("header", ["not base64!", base64.b64encode(b"v2=abc").decode()])
def test_a_malformed_header_fails(header):
    with pytest.raises(AuthError):
        deliver(headers={"TT-Signature": header})


def v1_body(secret="tt-key", data_id="44"):
    doc = json.loads(BODY)
    doc["signature"] = teamtailor.sign_v1(secret, data_id)
    return json.dumps(doc).encode()


def test_the_deprecated_v1_body_signature_is_refused_unless_the_connection_opts_in():
    with pytest.raises(AuthError, match="v1"):
        deliver(v1_body(), headers={})
    assert isinstance(deliver(v1_body(), headers={}, options={"teamtailor_v1": True}), Application)


def test_a_v1_signature_for_another_application_fails_even_when_opted_in():
    with pytest.raises(AuthError):
        deliver(v1_body(data_id="45"), headers={}, options={"teamtailor_v1": True})


def test_a_replayed_delivery_has_the_same_delivery_id():
    assert deliver(ts=NOW).delivery_id == deliver(ts=NOW + 5).delivery_id


def test_the_test_delivery_and_other_events_succeed_with_nothing_to_publish():
    body = json.dumps({"payload": {"event_name": "job.update", "data": {"id": "2"}}}).encode()
    ack = deliver(body)
    assert isinstance(ack, Ack) and 200 <= ack.status < 300
