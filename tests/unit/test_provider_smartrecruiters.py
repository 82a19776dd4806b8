"""SmartRecruiters: the published signature vector, several live keys, the activation echo and a thin payload."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import Ack, Delivery, smartrecruiters
from services.ingest.signatures import AuthError
from shared.settings import Settings

# The worked example at https://developers.smartrecruiters.com/reference/subscriptionsgeneratesecretkey-1
BODY = (Path(__file__).parents[1] / "fixtures" / "providers" / "smartrecruiters_application_created.json").read_bytes().strip()
VECTOR_KEY = "HeBVky2bccvvkcXPimH8c"
VECTOR_TS = 1574080897
VECTOR = {"event-id": "123", "event-name": "application.created", "event-version": "v201910",
          "link": "<http://smartrecruiters.com/endpoint>; rel=self",
          "smartrecruiters-timestamp": str(VECTOR_TS), "Content-Type": "application/json",
          "smartrecruiters-signature": "v1=2e9291f10d44ca10204a4cd81b05d73b6a316b2b605d4e2e0e0b37b40198ce1f"}


def deliver(body=BODY, *, headers=VECTOR, secrets=(VECTOR_KEY,), now=VECTOR_TS + 10):
    delivery = Delivery(tenant="t1", headers=Headers(headers), body=body, now=now)
    doc = json.loads(body)
    smartrecruiters.authenticate(delivery, doc, secrets=secrets, options={}, settings=Settings())
    return smartrecruiters.normalise(delivery, doc)


def signed(keys, *, ts=VECTOR_TS, body=BODY):
    plain = {k: v for k, v in VECTOR.items() if not k.startswith("smartrecruiters-")}
    return smartrecruiters.sign(list(keys), body, timestamp=ts, headers=plain)


def test_the_published_example_verifies():
    app = deliver()
    assert isinstance(app, Application)


def test_our_signing_reproduces_the_published_example():
    assert signed([VECTOR_KEY])["smartrecruiters-signature"] == VECTOR["smartrecruiters-signature"]


def test_application_created_is_thin_and_keeps_the_link_for_enrichment():
    app = deliver()
    assert (app.application_id, app.job_id, app.candidate_id, app.delivery_id) == ("jid:cid", "jid", "cid", "123")
    assert app.enrich == {"kind": "smartrecruiters.application",
                          "ref": {"link": "http://smartrecruiters.com/endpoint", "job_id": "jid", "candidate_id": "cid"}}


def test_a_changed_signed_header_fails():
    for header in ("event-id", "event-name", "event-version", "link"):
        with pytest.raises(AuthError):
            deliver(headers={**VECTOR, header: VECTOR[header] + "x"})


def test_a_tampered_or_reserialised_body_fails():
    with pytest.raises(AuthError):
        deliver(BODY.replace(b"cid", b"cie"))
    with pytest.raises(AuthError):
        deliver(json.dumps(json.loads(BODY), indent=2).encode())


def test_unicode_escapes_are_verified_as_raw_bytes():
    escaped = b'{"job_id":"j\\u003c1","candidate_id":"cid"}'
    assert deliver(escaped, headers=signed([VECTOR_KEY], body=escaped)).job_id == "j<1"
    with pytest.raises(AuthError):
        deliver(b'{"job_id":"j<1","candidate_id":"cid"}', headers=signed([VECTOR_KEY], body=escaped))


def test_a_wrong_key_fails():
    with pytest.raises(AuthError):
        deliver(secrets=("another-key",))


def test_any_of_several_live_keys_verifies_and_several_v1_entries_are_each_tried():
    headers = signed(["retiring-key", "new-key"])
    assert headers["smartrecruiters-signature"].count("v1=") == 2
    assert isinstance(deliver(headers=headers, secrets=("new-key",)), Application)
    assert isinstance(deliver(headers=headers, secrets=("unrelated", "retiring-key")), Application)


def test_a_stale_or_future_timestamp_fails_even_when_signed():
    with pytest.raises(AuthError, match="replay window"):
        deliver(now=VECTOR_TS + 301)
    with pytest.raises(AuthError, match="replay window"):
        deliver(now=VECTOR_TS - 301)


def test_a_redelivery_keeps_its_event_id_so_it_dedupes():
    again = signed([VECTOR_KEY], ts=VECTOR_TS + 60)
    assert deliver(headers=again, now=VECTOR_TS + 60).delivery_id == deliver().delivery_id == "123"


def test_the_activation_request_is_answered_200_with_the_same_x_hook_secret():
    ack = smartrecruiters.handshake(Delivery(tenant="t1", headers=Headers({"X-Hook-Secret": "tmp-123"}), body=b"", now=0))
    assert ack == Ack(200, "activation", headers={"X-Hook-Secret": "tmp-123"})
    assert smartrecruiters.handshake(Delivery(tenant="t1", headers=Headers(VECTOR), body=BODY, now=0)) is None


def test_other_events_are_answered_202_with_nothing_to_publish():
    plain = {k: v for k, v in VECTOR.items() if not k.startswith("smartrecruiters-")} | {"event-name": "job.created"}
    ack = deliver(headers=smartrecruiters.sign([VECTOR_KEY], BODY, timestamp=VECTOR_TS, headers=plain))
    assert isinstance(ack, Ack) and ack.status == 202


def test_a_future_signature_scheme_beside_v1_is_skipped_not_refused():
    headers = {**VECTOR, "smartrecruiters-signature": "v2=f00d;" + VECTOR["smartrecruiters-signature"]}
    assert isinstance(deliver(headers=headers), Application)
    with pytest.raises(AuthError, match="malformed"):
        deliver(headers={**VECTOR, "smartrecruiters-signature": "v2=f00d"})
