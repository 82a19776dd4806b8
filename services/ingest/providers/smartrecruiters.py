"""SmartRecruiters webhooks: activation echo of X-Hook-Secret, `smartrecruiters-signature: v1=<hex>[;v1=…]`, 202.

Source: https://developers.smartrecruiters.com/reference/subscriptionsgeneratesecretkey-1 (signature: HMAC-SHA256
over timestamp.body.event-id.event-name.event-version.link, a missing header is ""; up to 16 live keys, an old
key lives 24 h; the worked example is tests/unit/test_provider_smartrecruiters.py's published vector),
https://developers.smartrecruiters.com/docs/webhooks-security (answer 202), and
https://github.com/smartrecruiters/sr-webhooks-client (handshake: 200 with the same X-Hook-Secret within 20 s).
"""
from __future__ import annotations

from werkzeug.datastructures import Headers

from services.ingest.model import Application
from services.ingest.providers import DAY, Ack, Adapter, Delivery, EnrichError, Get
from services.ingest.providers.api import fetch_json, path_part, require_connection_api
from services.ingest.providers.collect import emails, full_name, ident, links, mapping, optional_ident
from services.ingest.signatures import AuthError, check_timestamp, hmac_sha256_hex, matches_any
from shared.settings import Settings
from shared.tenants import Connection

NEW_APPLICATION = "application.created"
DEFAULT_BASE_URL = "https://api.smartrecruiters.com"
SIGNED_HEADERS = ("event-id", "event-name", "event-version", "link")
MAX_LIVE_KEYS = 16


def handshake(delivery: Delivery) -> Ack | None:
    secret = delivery.headers.get("X-Hook-Secret")
    if secret is None:
        return None
    # Echoing what the caller sent proves only that we are listening; it grants nothing, so it is unsigned.
    return Ack(200, "activation", headers={"X-Hook-Secret": secret[:512]})


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    # The timestamp is the request's own (a retry is signed afresh), so the ordinary window applies.
    ts = check_timestamp(delivery.headers.get("smartrecruiters-timestamp"), now=delivery.now,
                         window_s=settings.webhook_replay_window_s)
    presented = _v1_signatures(delivery.headers.get("smartrecruiters-signature"))
    if not presented:
        raise AuthError("missing or malformed smartrecruiters-signature header")
    message = signed_message(delivery.headers, delivery.body, timestamp=str(ts))
    expected = [hmac_sha256_hex(s, message) for s in secrets]
    # Every (presented, expected) pair is compared: several live keys each add a v1 entry.
    ok = False
    for value in presented:
        ok |= matches_any(expected, value)
    if not ok:
        raise AuthError("signature does not match")


def _v1_signatures(header: str | None) -> list[str]:
    """`v1=<hex>;v1=<hex>;v2=…` -> the v1 values; schemes we do not know yet are skipped, as the docs intend."""
    segments = (seg.strip().partition("=") for seg in (header or "").split(";"))
    return [value for scheme, _, value in segments if scheme == "v1" and value]


def signed_message(headers: Headers | dict[str, str], body: bytes, *, timestamp: str) -> bytes:
    return b".".join([timestamp.encode(), body, *((headers.get(h) or "").encode() for h in SIGNED_HEADERS)])


def normalise(delivery: Delivery, doc: dict) -> Application | Ack:
    if delivery.headers.get("event-name") != NEW_APPLICATION:
        return Ack(202, "event not used")
    event_id = ident(delivery.headers.get("event-id"), "event-id header")
    cand = optional_ident(doc.get("candidate_id") or doc.get("candidateId"))
    job = optional_ident(doc.get("job_id") or doc.get("jobId"))
    # SmartRecruiters names an application by its job and candidate; ":" joins them because recruiters read the
    # score at /v1/applications/<id>/score, where a "/" would split the path segment.
    app_id = optional_ident(doc.get("id")) or (f"{job}:{cand}" if cand and job else None)
    app_id = ident(app_id, "id")
    return Application(
        tenant=delivery.tenant, provider="smartrecruiters", delivery_id=event_id, application_id=app_id,
        job_id=job, candidate_id=cand or f"pending:{app_id}", name=None, emails=(),
        enrich={"kind": "smartrecruiters.application",
                "ref": {"link": _link_url(delivery.headers.get("link")), "job_id": job, "candidate_id": cand}})


def _link_url(value: str | None) -> str | None:
    """`<https://api…/jobs/j/candidates/c>; rel=self` -> the URL (RFC 8288 link-value)."""
    if not value or "<" not in value or ">" not in value:
        return None
    return value[value.index("<") + 1:value.index(">")].strip() or None


def enrich(application: dict, *, connection: Connection, get: Get) -> dict:
    """Follows the application's Link (only when it is on the connection's API) and reads the candidate."""
    base, key = require_connection_api(connection, default_base_url=DEFAULT_BASE_URL)
    headers = {"X-SmartToken": key, "Accept": "application/json"}
    ref = application["enrich"]["ref"]
    job, cand_id = ref.get("job_id"), ref.get("candidate_id")
    # Our API key goes only to the configured API, never to a URL a webhook named.
    url = ref.get("link") if (ref.get("link") or "").startswith(base + "/") else (
        f"{base}/jobs/{path_part(job)}/candidates/{path_part(cand_id)}" if job and cand_id else None)
    if url:
        app_doc = fetch_json(get, url, headers=headers)
        cand_id = cand_id or optional_ident(mapping(app_doc.get("candidate")).get("id"))
        job = job or optional_ident(mapping(app_doc.get("job")).get("id"))
    if not cand_id:
        raise EnrichError("the SmartRecruiters application names no candidate", retryable=False)
    cand = fetch_json(get, f"{base}/candidates/{path_part(cand_id)}", headers=headers)
    job = job or optional_ident(mapping(mapping(cand.get("primaryAssignment")).get("job")).get("id"))
    web = mapping(cand.get("web"))
    return {"application": {"id": application["application"]["id"], "job_id": job},
            "candidate": {"id": cand_id, "name": full_name(cand.get("firstName"), cand.get("lastName")),
                          "emails": list(emails([cand.get("email")]))},
            "links": [lk.__dict__ for lk in links((f"smartrecruiters.web.{k}", v) for k, v in web.items())],
            "credentials": []}


def sign(secrets: list[str], body: bytes, *, timestamp: int, headers: dict) -> dict[str, str]:
    """The headers SmartRecruiters sends, one v1 entry per live key (for tests and local demos)."""
    message = signed_message(headers, body, timestamp=str(timestamp))
    return {**headers, "Content-Type": "application/json", "smartrecruiters-timestamp": str(timestamp),
            "smartrecruiters-signature": ";".join("v1=" + hmac_sha256_hex(s, message) for s in secrets)}


# Retries run from 1 minute up to 24 hours: three days of dedupe on event-id.
ADAPTER = Adapter(name="smartrecruiters", success_status=202, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=3 * DAY, handshake=handshake, enrich=enrich)
