"""Lever webhooks: a body `signature` = hex HMAC-SHA256(signature token, token + triggeredAt); thin payload.

Source: https://hire.lever.co/developer/documentation#webhooks ("Securing webhooks": token and triggeredAt
concatenated, no separator, triggeredAt in ms; event `applicationCreated`; the Verify button's test POST)
and https://hire.lever.co/developer/documentation#retrieve-a-single-opportunity (GET /v1/opportunities/:id,
HTTP Basic with the API key as user name).
"""
from __future__ import annotations

import base64

from services.ingest.model import Application, Link
from services.ingest.providers import DAY, Ack, Adapter, Delivery, EnrichError, Get
from services.ingest.providers.api import fetch_json, path_part, require_connection_api
from services.ingest.providers.collect import emails, ident, links, listed, mapping, optional_ident
from services.ingest.signatures import AuthError, content_digest, hmac_sha256_hex, verify_hex_hmac
from shared.settings import Settings
from shared.tenants import Connection

NEW_APPLICATION = "applicationCreated"
DEFAULT_BASE_URL = "https://api.lever.co"
# Only token + triggeredAt are signed and a retry re-sends both unchanged, so the signed time is the event's
# own: the window must outlast Lever's retries, and dedupe (kept longer than the window) stops replays inside it.
REPLAY_WINDOW_S = 3 * DAY
FUTURE_SKEW_S = 300


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    token, triggered_at = doc.get("token"), doc.get("triggeredAt")
    if not isinstance(token, str) or not token or isinstance(triggered_at, bool) or not isinstance(triggered_at, int):
        raise AuthError("missing token or triggeredAt")
    age_s = delivery.now - triggered_at / 1000
    if age_s > REPLAY_WINDOW_S or age_s < -FUTURE_SKEW_S:
        raise AuthError("triggeredAt outside the replay window")
    signature = doc.get("signature")
    verify_hex_hmac(secrets=secrets, presented=signature if isinstance(signature, str) else None,
                    message=f"{token}{triggered_at}".encode())


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    data = mapping(doc.get("data"))
    if doc.get("event") != NEW_APPLICATION:
        return Ack(200, "event not used")
    opportunity = optional_ident(data.get("opportunityId"))
    if opportunity is None:
        return Ack(200, "verify test")  # the Verify button posts a signed body naming no opportunity
    # Dedupe on what is signed: an attacker replaying a captured signature with other data is a duplicate.
    return Application(
        tenant=delivery.tenant, provider="lever", delivery_id=signed_id(delivery, doc),
        application_id=ident(data.get("applicationId") or opportunity, "data.applicationId"), job_id=None,
        candidate_id=ident(data.get("contactId") or opportunity, "data.contactId"), name=None, emails=(),
        enrich={"kind": "lever.opportunity", "ref": opportunity})


def signed_id(_delivery: Delivery, doc: dict) -> str:
    """What Lever signs, as the delivery's identity. Remembered for every authenticated delivery (Verify and
    unused events too), so a captured signature is never accepted again, whatever data it is sent with."""
    return content_digest(str(doc["token"]), str(doc["triggeredAt"]))


def enrich(application: dict, *, connection: Connection, get: Get) -> dict:
    """Completes a thin applicationCreated from GET /v1/opportunities/{id}?expand=applications."""
    base, key = require_connection_api(connection, default_base_url=DEFAULT_BASE_URL)
    ref = application["enrich"]["ref"]
    auth = base64.b64encode(f"{key}:".encode()).decode()
    doc = fetch_json(get, f"{base}/v1/opportunities/{path_part(ref)}?expand=applications",
                     headers={"Authorization": f"Basic {auth}", "Accept": "application/json"})
    opp = mapping(doc.get("data"))
    if not opp:
        raise EnrichError("Lever answered without an opportunity", retryable=False)
    apps = [mapping(a) for a in listed(opp.get("applications"))]
    claimed = application["application"]["id"]
    mine = next((a for a in apps if optional_ident(a.get("id")) == claimed), None)
    if mine is None and claimed != ref:
        # The application id is not signed: only one Lever itself lists on the opportunity is believed.
        raise EnrichError("the webhook's application is not one of the opportunity's applications", retryable=False)
    mine = mine or (apps[0] if apps else {})
    return {"application": {"id": application["application"]["id"], "job_id": optional_ident(mine.get("posting"))},
            "candidate": {"id": optional_ident(opp.get("contact")) or application["candidate"]["id"],
                          "name": opp.get("name") if isinstance(opp.get("name"), str) else None,
                          "emails": list(emails(listed(opp.get("emails"))))},
            "links": [lk.__dict__ for lk in _links(opp)], "credentials": []}


def _links(opp: dict) -> tuple[Link, ...]:
    pairs = [(f"lever.links[{i}]", u) for i, u in enumerate(listed(opp.get("links")))]
    pairs.append(("lever.headline", opp.get("headline")))
    return links(pairs)


def sign(secret: str, *, token: str, triggered_at_ms: int) -> str:
    """The body `signature` Lever computes (for tests and local demos)."""
    return hmac_sha256_hex(secret, f"{token}{triggered_at_ms}".encode())


ADAPTER = Adapter(name="lever", success_status=200, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=REPLAY_WINDOW_S + DAY, enrich=enrich, replay_key=signed_id)
