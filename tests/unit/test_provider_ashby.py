"""Ashby: `Ashby-Signature: sha256=<hex>` over the raw body; webhookActionId dedupes retries; ping succeeds."""
from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, ashby
from services.ingest.signatures import AuthError
from shared.settings import Settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
BODY = (FIXTURES / "ashby_application_submit.json").read_bytes()


def deliver(body=BODY, *, secret="ashby-secret", secrets=("ashby-secret",), headers=None):
    h = Headers(ashby.sign(secret, body) if headers is None else headers)
    delivery = Delivery(tenant="t1", headers=h, body=body, now=1_800_000_000)
    doc = json.loads(body)
    ashby.authenticate(delivery, doc, secrets=secrets, options={}, settings=Settings())
    return ashby.normalise(delivery, doc)


def test_the_signature_is_the_documented_sha256_equals_hex_hmac_of_the_body():
    assert ashby.sign("k", BODY)["Ashby-Signature"] == "sha256=" + hmac.new(b"k", BODY, hashlib.sha256).hexdigest()


def test_a_signed_application_submit_becomes_an_application():
    app = deliver()
    assert isinstance(app, Application)
    assert app.application_id == "3ae2b801-19f6-41ef-ad28-214bd731948f"
    assert app.job_id == "6bd2e8c6-7a04-4a4c-a0ad-4f0d8e3c8b40"
    assert app.candidate_id == "5b591aed-88e3-4395-b9c6-7e6b1d0a7d84"
    assert app.emails == ("adam@example.com",) and app.name == "Adam Hart"
    assert [lk.url for lk in app.links] == ["https://linkedin.com/in/adam", "https://badges.example.org/assertions/5.json"]


def test_retries_of_one_action_share_the_webhook_action_id_so_they_dedupe():
    assert deliver().delivery_id == "5a1d6c4e-1b7e-4c56-9c3a-0f8f2d4b7a11"


def test_a_tampered_body_fails():
    with pytest.raises(AuthError):
        deliver(BODY.replace(b"Adam Hart", b"Eve Hart"), headers=ashby.sign("ashby-secret", BODY))


def test_the_same_json_reserialised_fails():
    with pytest.raises(AuthError):
        deliver(json.dumps(json.loads(BODY), separators=(",", ":")).encode(), headers=ashby.sign("ashby-secret", BODY))


def test_unicode_escaped_bytes_are_what_is_verified():
    escaped = BODY.replace(b"Adam Hart", b"Adam \\u003cHart\\u003e")
    app = deliver(escaped)
    assert app.name == "Adam <Hart>"
    with pytest.raises(AuthError):
        deliver(escaped.replace(b"\\u003c", b"<").replace(b"\\u003e", b">"), headers=ashby.sign("ashby-secret", escaped))


def test_another_secret_fails_and_both_secrets_verify_during_rotation():
    with pytest.raises(AuthError):
        deliver(secret="other")
    for secret in ("old", "new"):
        assert isinstance(deliver(secret=secret, secrets=("new", "old")), Application)


@pytest.mark.parametrize("header", [None, "sha256", "sha1=abc", "sha256 abc"])
def test_a_missing_or_malformed_header_fails(header):
    with pytest.raises(AuthError):
        deliver(headers={"Ashby-Signature": header} if header else {})


def test_the_ping_on_create_or_edit_succeeds_with_200():
    ack = deliver((FIXTURES / "ashby_ping.json").read_bytes())
    assert isinstance(ack, Ack) and ack.status == 200
