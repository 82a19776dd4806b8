"""Ashby webhooks: `Ashby-Signature: sha256=<hex>` = HMAC-SHA256(secret token, raw body); ping on create/edit.

Source: https://developers.ashbyhq.com/docs/authenticating-webhooks (signature),
https://developers.ashbyhq.com/docs/setting-up-webhooks (secret token), https://developers.ashbyhq.com/docs/retries
(at most 10 attempts, (2^n - 1) x 10 s; 401/403/404/405/410 are not retried),
https://developers.ashbyhq.com/reference/pingwebhook and .../applicationsubmitwebhook (payloads).
"""
from __future__ import annotations

from services.ingest.model import Application, Link
from services.ingest.providers import DAY, Ack, Adapter, Delivery
from services.ingest.providers.collect import emails, ident, indexed, links, listed, mapping, optional_ident
from services.ingest.signatures import AuthError, content_digest, hmac_sha256_hex, verify_hex_hmac
from shared.settings import Settings

NEW_APPLICATION = "applicationSubmit"
PING = "ping"


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    algorithm, _, presented = (delivery.headers.get("Ashby-Signature") or "").partition("=")
    if algorithm.strip().lower() != "sha256":
        raise AuthError("missing or malformed Ashby-Signature header")
    verify_hex_hmac(secrets=secrets, presented=presented, message=delivery.body)


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    action = doc.get("action")
    if action == PING:
        return Ack(200, "ping")
    if action != NEW_APPLICATION:
        return Ack(200, "event not used")
    app = mapping(mapping(doc.get("data")).get("application"))
    cand = mapping(app.get("candidate"))
    return Application(
        tenant=delivery.tenant, provider="ashby", delivery_id=_delivery_id(delivery, doc),
        application_id=ident(app.get("id"), "data.application.id"),
        job_id=optional_ident(mapping(app.get("job")).get("id")),
        candidate_id=ident(cand.get("id"), "data.application.candidate.id"),
        name=cand.get("name") if isinstance(cand.get("name"), str) else None,
        emails=emails([cand.get("primaryEmailAddress"), *listed(cand.get("emailAddresses"))]), links=_links(cand))


def _delivery_id(delivery: Delivery, doc: dict) -> str:
    # webhookActionId is the same on every retry of one action, so it is the dedupe key.
    action_id = doc.get("webhookActionId") or mapping(doc.get("data")).get("webhookActionId")
    return optional_ident(action_id) or content_digest(delivery.body)


def _links(cand: dict) -> tuple[Link, ...]:
    pairs = indexed("ashby.socialLinks", cand.get("socialLinks"), "url")
    pairs += indexed("ashby.fileHandles", cand.get("fileHandles"), "url")
    pairs.append(("ashby.resumeFileHandle", mapping(cand.get("resumeFileHandle")).get("url")))
    return links(pairs)


def sign(secret: str, body: bytes) -> dict[str, str]:
    """The headers Ashby sends (for tests and local demos)."""
    return {"Ashby-Signature": "sha256=" + hmac_sha256_hex(secret, body), "Content-Type": "application/json"}


# Up to 10 attempts, (2^n - 1) x 10 s apart: about 5.7 hours in all; two days of dedupe covers it.
ADAPTER = Adapter(name="ashby", success_status=200, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=2 * DAY)
