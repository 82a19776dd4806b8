"""Workable webhooks: `X-Workable-Signature` = hex HMAC-SHA256 of the body (account token or OAuth app secret).

Source: https://workable.readme.io/reference/webhooks and
https://workable.readme.io/reference/webhook-subscriptions-candidates-employees (event `candidate_created`;
Workable POSTs the candidate object; "Response status should be 200"; signature header and key).
"""
from __future__ import annotations

from services.ingest.model import Application, Link
from services.ingest.providers import DAY, Ack, Adapter, Delivery
from services.ingest.providers.collect import emails, full_name, ident, indexed, links, listed, mapping, optional_ident
from services.ingest.signatures import AuthError, hmac_sha256_hex, verify_hex_hmac
from shared.settings import Settings

NEW_CANDIDATE = "candidate_created"


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    presented = delivery.headers.get("X-Workable-Signature")
    if not presented:
        raise AuthError("missing X-Workable-Signature header")
    verify_hex_hmac(secrets=secrets, presented=presented, message=delivery.body)


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    event = doc.get("event_type") or doc.get("eventType")
    if event != NEW_CANDIDATE:
        return Ack(200, "event not used")
    cand = mapping(doc.get("data"))
    cand_id = ident(cand.get("id"), "data.id")
    # A Workable candidate belongs to one job, so the candidate is the application.
    return Application(
        tenant=delivery.tenant, provider="workable",
        # No delivery id is documented; a candidate is created once, and its id is inside the signed body.
        delivery_id=f"{NEW_CANDIDATE}:{cand_id}", application_id=cand_id,
        job_id=optional_ident(mapping(cand.get("job")).get("shortcode")), candidate_id=cand_id,
        name=full_name(cand.get("name")) or full_name(cand.get("firstname"), cand.get("lastname")),
        emails=emails([cand.get("email")]), links=_links(cand))


def _links(cand: dict) -> tuple[Link, ...]:
    pairs = [("workable.resume_url", cand.get("resume_url"))]
    pairs += indexed("workable.social_profiles", cand.get("social_profiles"), "url")
    pairs += [("workable.cover_letter", cand.get("cover_letter")), ("workable.summary", cand.get("summary"))]
    for i, a in enumerate(listed(cand.get("answers"))):
        answer = mapping(mapping(a).get("answer"))
        pairs.append((f"workable.answers[{i}]", answer.get("body")))
        pairs += [(f"workable.answers[{i}].file", answer.get("file_url"))]
    return links(pairs)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The headers Workable sends (for tests and local demos)."""
    return {"X-Workable-Signature": hmac_sha256_hex(secret, body), "Content-Type": "application/json"}


# Workable documents replays but no schedule: a week of dedupe, like the generic format.
ADAPTER = Adapter(name="workable", success_status=200, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=7 * DAY)
