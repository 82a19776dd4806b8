"""Teamtailor company webhooks: `TT-Signature` = Base64("t=<unix>,v2=<hex>"), hex = HMAC-SHA256(key, "<t>." + body).

Source: https://partner.teamtailor.com/company_webhooks (event `job_application.create`, payload
{"payload": {"event_name", "data"}, "signature"}, signature key shown once; a failed delivery is only logged,
never retried) and https://docs.teamtailor.com (GET /v1/job-applications/:id, `Authorization: Token token=…`,
`X-Api-Version`). The deprecated v1 body `signature` (Base64 of hex HMAC over data.id only) is accepted only
when the connection opts in with options.teamtailor_v1 = true, because it leaves the rest of the body unsigned.
"""
from __future__ import annotations

import base64

from services.ingest.model import Application
from services.ingest.providers import DAY, Ack, Adapter, Delivery, EnrichError, Get
from services.ingest.providers.api import fetch_json, path_part, require_connection_api
from services.ingest.providers.collect import emails, full_name, ident, links, listed, mapping, optional_ident
from services.ingest.signatures import AuthError, check_timestamp, hmac_sha256_hex, matches_any, verify_hex_hmac
from shared.settings import Settings
from shared.tenants import Connection

NEW_APPLICATION = "job_application.create"
DEFAULT_BASE_URL = "https://api.teamtailor.com"
API_VERSION = "20240404"


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    header = delivery.headers.get("TT-Signature")
    if header:
        return _verify_v2(header, delivery, secrets=secrets, window_s=settings.webhook_replay_window_s)
    if options.get("teamtailor_v1") is True:
        return _verify_v1(doc, secrets=secrets)
    raise AuthError("missing TT-Signature header (the v1 body signature is not enabled for this connection)")


def _verify_v2(header: str, delivery: Delivery, *, secrets: tuple[str, ...], window_s: int) -> None:
    try:
        decoded = base64.b64decode(header, validate=True).decode("ascii")
    except ValueError:  # not Base64 (binascii.Error), not ASCII before or after decoding (a header is latin-1)
        raise AuthError("TT-Signature is not Base64") from None
    parts = dict(p.partition("=")[::2] for p in decoded.split(","))
    # Teamtailor never retries, so the ordinary replay window is enough and dedupe backs it up.
    ts = check_timestamp(parts.get("t"), now=delivery.now, window_s=window_s)
    verify_hex_hmac(secrets=secrets, presented=parts.get("v2"), message=f"{ts}.".encode() + delivery.body)


def _verify_v1(doc: dict, *, secrets: tuple[str, ...]) -> None:
    data_id = optional_ident(_data(doc).get("id"))
    presented = doc.get("signature")
    if data_id is None or not isinstance(presented, str):
        raise AuthError("missing v1 signature or data.id")
    try:
        hex_sig = base64.b64decode(presented, validate=True).decode("ascii")
    except ValueError:
        raise AuthError("the v1 signature is not Base64") from None
    if not matches_any((hmac_sha256_hex(s, data_id.encode()) for s in secrets), hex_sig):
        raise AuthError("signature does not match")


def _data(doc: dict) -> dict:
    return mapping(mapping(doc.get("payload")).get("data") or doc.get("data"))


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    event = mapping(doc.get("payload")).get("event_name") or doc.get("event_name")
    if event != NEW_APPLICATION:
        return Ack(200, "event not used")  # includes the dashboard's test delivery
    data = _data(doc)
    app_id = ident(data.get("id"), "payload.data.id")
    cand = optional_ident(mapping(mapping(mapping(data.get("relationships")).get("candidate")).get("data")).get("id"))
    job = optional_ident(mapping(mapping(mapping(data.get("relationships")).get("job")).get("data")).get("id"))
    # The application names no candidate: the worker fetches it, so the id here is a marked placeholder.
    return Application(
        tenant=delivery.tenant, provider="teamtailor", delivery_id=f"{NEW_APPLICATION}:{app_id}",
        application_id=app_id, job_id=job, candidate_id=cand or f"pending:{app_id}", name=None, emails=(),
        enrich={"kind": "teamtailor.job_application", "ref": app_id})


def enrich(application: dict, *, connection: Connection, get: Get) -> dict:
    """Completes a job application from GET /v1/job-applications/{id}?include=candidate,job."""
    base, key = require_connection_api(connection, default_base_url=DEFAULT_BASE_URL)
    doc = fetch_json(get, f"{base}/v1/job-applications/{path_part(application['enrich']['ref'])}?include=candidate,job",
                     headers={"Authorization": f"Token token={key}", "X-Api-Version": API_VERSION,
                              "Accept": "application/vnd.api+json"})
    rel = mapping(mapping(doc.get("data")).get("relationships"))
    cand_id = optional_ident(mapping(mapping(rel.get("candidate")).get("data")).get("id"))
    job_id = optional_ident(mapping(mapping(rel.get("job")).get("data")).get("id"))
    cand = next((mapping(i) for i in listed(doc.get("included"))
                 if mapping(i).get("type") == "candidates" and str(mapping(i).get("id")) == cand_id), None)
    if cand_id is None or cand is None:
        raise EnrichError("Teamtailor's job application names no candidate", retryable=False)
    attrs = mapping(cand.get("attributes"))
    pairs = [(f"teamtailor.candidate.{k}", attrs.get(k)) for k in ("linkedin-url", "resume", "pitch")]
    return {"application": {"id": application["application"]["id"], "job_id": job_id},
            "candidate": {"id": cand_id, "name": full_name(attrs.get("first-name"), attrs.get("last-name")),
                          "emails": list(emails([attrs.get("email")]))},
            "links": [lk.__dict__ for lk in links(pairs)], "credentials": []}


def sign(secret: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """The headers Teamtailor sends with v2 signing (for tests and local demos)."""
    raw = f"t={timestamp},v2={hmac_sha256_hex(secret, f'{timestamp}.'.encode() + body)}"
    return {"TT-Signature": base64.b64encode(raw.encode()).decode(), "Content-Type": "application/json"}


def sign_v1(secret: str, data_id: str) -> str:
    return base64.b64encode(hmac_sha256_hex(secret, data_id.encode()).encode()).decode()


# No retries: dedupe only has to catch a re-sent or replayed delivery; a week, like the generic format.
ADAPTER = Adapter(name="teamtailor", success_status=200, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=7 * DAY, enrich=enrich)
