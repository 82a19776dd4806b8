"""Ingest's worker turns an accepted delivery into one credentials.submitted each and one applications.ready."""
from __future__ import annotations

import pytest

from services.ingest.handlers import handle_application_received
from services.ingest.model import Application, CredentialRef, received_event
from shared.consumer import PermanentError
from shared.events import APPLICATIONS_READY, CREDENTIALS_SUBMITTED


def delivery(**overrides) -> Application:
    base = dict(tenant="t1", provider="generic", delivery_id="d1", application_id="a1", job_id="j1",
                candidate_id="c1", name="Ada", emails=("ada@example.org",),
                credentials=(CredentialRef("webhook.credentials[0]", jwt="h.p.s"),
                             CredentialRef("webhook.credentials[1]", document={"b": 1, "a": 2})))
    return Application(**{**base, **overrides})


def resolve(app: Application):
    published = []
    handle_application_received(received_event(app, trace_id="tr"), publish=published.extend)
    return published


def test_each_credential_becomes_one_submitted_event_and_the_ready_event_names_them_all():
    out = resolve(delivery())
    submitted = [e for e in out if e.topic == CREDENTIALS_SUBMITTED]
    [ready] = [e for e in out if e.topic == APPLICATIONS_READY]
    assert ready.payload["credential_ids"] == [e.payload["credential_id"] for e in submitted]
    assert submitted[0].payload["jwt"] == "h.p.s" and submitted[1].payload["document"] == {"b": 1, "a": 2}
    assert submitted[0].payload["candidate"]["emails"] == ["ada@example.org"]
    assert submitted[0].payload["candidate"]["name"] is None  # the verifier needs emails, not names
    assert out[-1] is ready  # credentials first, so matching never waits on an id nobody will verify
    assert {e.trace_id for e in out} == {"tr"}


def test_resolving_the_same_delivery_twice_publishes_the_same_event_ids():
    assert [e.event_id for e in resolve(delivery())] == [e.event_id for e in resolve(delivery())]


def test_the_same_credential_twice_in_one_delivery_is_one_credential():
    twice = (CredentialRef("webhook.credentials[0]", jwt="h.p.s"), CredentialRef("webhook.credentials[1]", jwt="h.p.s"))
    [ready] = [e for e in resolve(delivery(credentials=twice)) if e.topic == APPLICATIONS_READY]
    assert len(ready.payload["credential_ids"]) == 1


def test_a_credential_id_does_not_depend_on_key_order_in_a_document():
    a = resolve(delivery(credentials=(CredentialRef("x", document={"a": 1, "b": 2}),)))
    b = resolve(delivery(credentials=(CredentialRef("x", document={"b": 2, "a": 1}),)))
    assert a[0].payload["credential_id"] == b[0].payload["credential_id"]


def test_the_same_credential_in_two_applications_gets_two_ids():
    a = resolve(delivery())[0].payload["credential_id"]
    b = resolve(delivery(application_id="a2", delivery_id="d2"))[0].payload["credential_id"]
    assert a != b


def test_a_thin_delivery_is_refused_plainly_when_no_enrichment_is_bound():
    with pytest.raises(PermanentError, match="not supported yet"):
        resolve(delivery(enrich={"kind": "lever.opportunity", "ref": "o1"}))
