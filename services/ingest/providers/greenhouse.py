"""Greenhouse Recruiting web hooks: `Signature: sha256 <hex>` over the raw body; 200 is the only success.

Source: https://developers.greenhouse.io/webhooks.html (Authentication; Greenhouse-Event-ID header; retries;
"Candidate has submitted application" = action `new_candidate_application`; the ping sent when a hook is saved).
"""
from __future__ import annotations

from services.ingest.model import Application, Link
from services.ingest.providers import DAY, Ack, Adapter, Delivery
from services.ingest.providers.collect import emails, full_name, ident, indexed, links, listed, mapping
from services.ingest.signatures import AuthError, content_digest, verify_hex_hmac
from shared.settings import Settings

NEW_APPLICATION = "new_candidate_application"
PING = "ping"


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    # "the SHA algorithm used to generate the signature, a space, and the signature"; no timestamp is signed,
    # so replays are stopped by dedupe alone, on the signed body (Greenhouse-Event-ID is not signed).
    algorithm, _, presented = (delivery.headers.get("Signature") or "").partition(" ")
    if algorithm.lower() != "sha256":
        raise AuthError("missing or malformed Signature header")
    verify_hex_hmac(secrets=secrets, presented=presented.strip(), message=delivery.body)


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    action = doc.get("action")
    if action == PING:
        return Ack(200, "ping")  # a failed ping leaves the hook disabled in Greenhouse
    if action != NEW_APPLICATION:
        return Ack(200, "event not used")
    app = mapping(mapping(doc.get("payload")).get("application"))
    cand = mapping(app.get("candidate"))
    jobs = listed(app.get("jobs"))
    return Application(
        tenant=delivery.tenant, provider="greenhouse", delivery_id=_delivery_id(delivery),
        application_id=ident(app.get("id"), "payload.application.id"),
        job_id=ident(mapping(jobs[0]).get("id"), "payload.application.jobs[0].id") if jobs else None,
        candidate_id=ident(cand.get("id"), "payload.application.candidate.id"),
        name=full_name(cand.get("first_name"), cand.get("last_name")),
        emails=emails(listed(cand.get("email_addresses"))), links=_links(app, cand))


def _delivery_id(delivery: Delivery) -> str:
    # A retry re-sends the same body; a replay under a fresh Greenhouse-Event-ID header is the same delivery.
    return content_digest(delivery.body)


def _links(app: dict, cand: dict) -> tuple[Link, ...]:
    # Attachment URLs are signed S3 links that expire after 7 days: the worker must pull them promptly.
    pairs = indexed("greenhouse.attachments", cand.get("attachments"), "url")
    pairs += indexed("greenhouse.website_addresses", cand.get("website_addresses"))
    pairs += indexed("greenhouse.social_media_addresses", cand.get("social_media_addresses"))
    for where, fields in (("candidate", cand.get("custom_fields")), ("application", app.get("custom_fields"))):
        pairs += [(f"greenhouse.{where}.custom_fields.{k}", mapping(v).get("value"))
                  for k, v in mapping(fields).items()]
    pairs += indexed("greenhouse.answers", app.get("answers"), "answer")
    return links(pairs)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The headers Greenhouse sends (for tests and local demos)."""
    from services.ingest.signatures import hmac_sha256_hex
    return {"Signature": "sha256 " + hmac_sha256_hex(secret, body), "Content-Type": "application/json"}


# The developer docs list retries over ~15 hours, but the help centre says the retry count is configurable
# per hook (default 25, https://support.greenhouse.io/hc/en-us/articles/360005574531): a week of dedupe.
ADAPTER = Adapter(name="greenhouse", success_status=200, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=7 * DAY)
