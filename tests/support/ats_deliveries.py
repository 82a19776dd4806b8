"""Signed webhook deliveries as each ATS sends them, built from the documented fixtures in tests/fixtures/providers.

Each provider's scheme is its adapter's own `sign` helper (the adapters cite the provider pages); the bodies are
the fixtures' raw bytes, so escapes such as Greenhouse's `\\u003c` stay exactly as the provider sends them.
"""
from __future__ import annotations

import json
from pathlib import Path

from services.ingest.providers import ashby, greenhouse, lever, smartrecruiters, teamtailor, workable
from services.ingest.signatures import sign_generic

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
SUCCESS = {"generic": 202, "greenhouse": 200, "lever": 200, "workable": 200, "ashby": 200,
           "smartrecruiters": 202, "teamtailor": 200}
NEW_APPLICATION = {"greenhouse": "greenhouse_new_candidate_application.json", "lever": "lever_application_created.json",
                   "workable": "workable_candidate_created.json", "ashby": "ashby_application_submit.json",
                   "smartrecruiters": "smartrecruiters_application_created.json",
                   "teamtailor": "teamtailor_job_application_create.json"}


def fixture(name: str, *, replace: dict[str, str] | None = None) -> bytes:
    """A fixture's raw bytes with literal substrings replaced (e.g. its example hosts by a local one)."""
    data = (FIXTURES / name).read_bytes().strip()
    for old, new in (replace or {}).items():
        data = data.replace(old.encode(), new.encode())
    return data


def signed(provider: str, secret: str, body: bytes, *, now: float, delivery_id: str = "evt-1",
           link: str | None = None, event_name: str = smartrecruiters.NEW_APPLICATION) -> tuple[bytes, dict]:
    """(body, headers) of one delivery signed at `now`; Lever's signature travels in the body, so it is rewritten.

    `delivery_id` goes where the provider carries one in a header (Greenhouse-Event-ID, SmartRecruiters event-id);
    `link` and `event_name` are SmartRecruiters' signed `link` and `event-name` headers.
    """
    now = int(now)
    if provider == "generic":
        return body, sign_generic(secret, body, now)
    if provider == "greenhouse":
        return body, {**greenhouse.sign(secret, body), "Greenhouse-Event-ID": delivery_id}
    if provider == "lever":
        doc = json.loads(body)
        # Lever signs token + triggeredAt (ms) only; a retry re-sends both unchanged.
        doc.update(token=f"wh-{delivery_id}", triggeredAt=now * 1000,
                   signature=lever.sign(secret, token=f"wh-{delivery_id}", triggered_at_ms=now * 1000))
        return json.dumps(doc).encode(), {"Content-Type": "application/json"}
    if provider == "workable":
        return body, workable.sign(secret, body)
    if provider == "ashby":
        return body, ashby.sign(secret, body)
    if provider == "smartrecruiters":
        plain = {"event-id": delivery_id, "event-name": event_name, "event-version": "v201910",
                 "link": link or "<https://api.smartrecruiters.com/jobs/jid/candidates/cid>; rel=self"}
        return body, smartrecruiters.sign([secret], body, timestamp=now, headers=plain)
    if provider == "teamtailor":
        return body, teamtailor.sign(secret, body, timestamp=now)
    raise ValueError(f"no signing scheme for {provider!r}")
