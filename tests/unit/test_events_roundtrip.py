"""An event's payload is what its consumer decodes: new_event validates once (no second pass through the schema) and
what it built survives encode/decode unchanged, defaults filled in, for every event type."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from shared import events

CANDIDATE = {"id": "cand-1", "name": "Ada", "emails": ["ada@example.com"]}
REPORT = {"verdict": "verified", "format": "vc-jwt", "checked_at": "2026-12-07T00:00:00Z",
          "checks": [{"code": "proof.signature", "status": "passed", "message": "the proof verifies"}],
          "achievement": {"name": "Python"}, "issuer": {"id": "did:key:z6Mk", "name": "U"}, "extra": "ignored"}
PAYLOADS = {
    "application.received": {"provider": "generic", "delivery_id": "d1", "application": {"id": "a1"},
                             "candidate": CANDIDATE, "credentials": [{"provenance": "webhook", "jwt": "e.y.j"}]},
    "application.ready": {"provider": "generic", "delivery_id": "d1", "application": {"id": "a1", "job_id": "j1"},
                          "candidate": CANDIDATE, "credential_ids": ["c1", "c2"]},
    "credential.unavailable": {"application_id": "a1", "candidate_id": "cand-1", "provenance": "url", "reason": "404"},
    "credential.submitted": {"credential_id": "c1", "application_id": "a1", "candidate": CANDIDATE,
                             "provenance": "webhook", "document": {"type": ["VerifiableCredential"]}},
    "credential.verified": {"credential_id": "c1", "application_id": "a1", "candidate_id": "cand-1", "report": REPORT},
    "score.computed": {"application_id": "a1", "role_id": "j1", "status": "scored", "score": 80, "score_version": "3",
                       "computed_at": "2026-12-07T00:00:00Z", "requirements": [{"id": "py", "status": "met"}]},
    "job.described": {"provider": "lever", "job_id": "j1", "text": "Python", "source": "lever.postings",
                      "fetched_at": "2026-12-07T00:00:00Z"},
}


def test_every_event_type_has_a_payload_here():
    assert set(PAYLOADS) == set(events.EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(PAYLOADS))
def test_a_payload_survives_encode_and_decode_as_new_event_built_it(event_type):
    event = events.new_event(event_type, tenant="t1", payload=PAYLOADS[event_type])
    _, schema = events.EVENT_TYPES[event_type]
    assert event.payload == schema.dump(schema.load(PAYLOADS[event_type]))  # what the two passes used to give
    decoded = events.decode(events.encode(event))
    assert decoded.payload == event.payload
    assert (decoded.event_id, decoded.type, decoded.tenant) == (event.event_id, event_type, "t1")


def test_defaults_are_filled_and_unknown_fields_dropped():
    event = events.new_event("credential.verified", tenant="t1", payload=PAYLOADS["credential.verified"])
    assert event.payload["report"]["flags"] == [] and event.payload["report"]["status"] is None
    assert "extra" not in event.payload["report"]


def test_an_invalid_payload_is_refused_before_it_is_published():
    bad = {**PAYLOADS["credential.verified"], "report": {**REPORT, "verdict": "probably"}}
    with pytest.raises(ValidationError):
        events.new_event("credential.verified", tenant="t1", payload=bad)
