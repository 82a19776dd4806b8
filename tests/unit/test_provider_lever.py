"""Lever: the body's signature covers only token + triggeredAt, so the window and dedupe do the replay work."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, lever
from services.ingest.signatures import AuthError
from shared.settings import Settings

FIXTURE = json.loads((Path(__file__).parents[1] / "fixtures" / "providers" / "lever_application_created.json").read_bytes())
NOW = 1_800_000_000
DAY = 24 * 3600


def body(*, secret="lever-token-secret", token="wh-token-1", triggered_at_ms=NOW * 1000 - 5000, data=None, **extra):
    doc = {**FIXTURE, "token": token, "triggeredAt": triggered_at_ms,
           "signature": lever.sign(secret, token=token, triggered_at_ms=triggered_at_ms), **extra}
    if data is not None:
        doc["data"] = data
    return json.dumps(doc).encode()


def deliver(raw: bytes, *, secrets=("lever-token-secret",), now=NOW):
    delivery = Delivery(tenant="t1", headers=Headers({"Content-Type": "application/json"}), body=raw, now=now)
    doc = json.loads(raw)
    lever.authenticate(delivery, doc, secrets=secrets, options={}, settings=Settings())
    return lever.normalise(delivery, doc)


def test_the_signature_is_the_documented_hmac_of_token_then_triggered_at_with_no_separator():
    expected = hmac.new(b"k", b"abc1499986237391", hashlib.sha256).hexdigest()
    assert lever.sign("k", token="abc", triggered_at_ms=1499986237391) == expected


def test_a_signed_application_created_is_a_thin_application_to_enrich_from_the_opportunity():
    app = deliver(body())
    assert isinstance(app, Application)
    assert app.application_id == "9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c11"
    assert app.enrich == {"kind": "lever.opportunity", "ref": "9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c10"}
    assert app.job_id is None and app.emails == ()


def test_a_wrong_signature_token_fails():
    with pytest.raises(AuthError, match="does not match"):
        deliver(body(secret="someone-else"))


def test_both_signature_tokens_verify_during_rotation():
    for secret in ("old", "new"):
        assert isinstance(deliver(body(secret=secret), secrets=("new", "old")), Application)


def test_a_triggered_at_changed_after_signing_fails():
    doc = json.loads(body())
    doc["triggeredAt"] += 1
    with pytest.raises(AuthError):
        deliver(json.dumps(doc).encode())


def test_a_retry_days_later_still_verifies_because_lever_resends_the_original_triggered_at():
    assert isinstance(deliver(body(triggered_at_ms=(NOW - 2 * DAY) * 1000)), Application)


def test_a_triggered_at_older_than_the_window_or_from_the_future_fails():
    with pytest.raises(AuthError, match="replay window"):
        deliver(body(triggered_at_ms=(NOW - lever.REPLAY_WINDOW_S - 1) * 1000))
    with pytest.raises(AuthError, match="replay window"):
        deliver(body(triggered_at_ms=(NOW + 3600) * 1000))


def test_dedupe_outlives_the_replay_window_so_no_replay_is_ever_both_fresh_and_forgotten():
    assert lever.ADAPTER.dedupe_ttl_s > lever.REPLAY_WINDOW_S


def test_a_captured_signature_replayed_with_other_data_is_the_same_delivery():
    # The body outside token + triggeredAt is unsigned: dedupe must key on the signed part only.
    original = deliver(body())
    forged = deliver(body(data={**FIXTURE["data"], "opportunityId": "attacker-chosen"}))
    assert forged.delivery_id == original.delivery_id


def test_reserialising_the_body_keeps_verifying_because_lever_signs_fields_not_bytes():
    assert isinstance(deliver(json.dumps(json.loads(body()), indent=2).encode()), Application)


def test_unicode_escapes_in_unsigned_fields_do_not_matter_to_the_signature():
    raw = body().replace(b'"applicationCreated"', b'"application\\u0043reated"')
    assert isinstance(deliver(raw), Application)  # \u0043 is "C": same event once decoded


@pytest.mark.parametrize("field", ["token", "triggeredAt", "signature"])
def test_a_body_missing_a_signed_field_fails(field):
    doc = json.loads(body())
    del doc[field]
    with pytest.raises(AuthError):
        deliver(json.dumps(doc).encode())


def test_the_verify_button_post_without_an_opportunity_succeeds_and_names_no_application():
    ack = deliver(body(data={}))
    assert isinstance(ack, Ack) and ack.status == 200


def test_other_events_are_acknowledged_without_an_application():
    assert isinstance(deliver(body(event="candidateStageChange")), Ack)
