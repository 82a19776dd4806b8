"""credbridge's own applicant format (documented in README): HMAC over timestamp and raw body."""
from __future__ import annotations

from services.ingest.model import Application, CredentialRef
from services.ingest.providers import DAY, Adapter, Delivery
from services.ingest.schemas import GenericWebhookSchema
from services.ingest.signatures import verify_generic
from shared.settings import Settings

_SCHEMA = GenericWebhookSchema()


def authenticate(delivery: Delivery, doc: dict, *, secrets: tuple[str, ...], options: dict, settings: Settings) -> None:
    verify_generic(secrets=secrets, timestamp=delivery.headers.get("X-Credbridge-Timestamp"),
                   signature=delivery.headers.get("X-Credbridge-Signature"), body=delivery.body,
                   now=delivery.now, window_s=settings.webhook_replay_window_s)


def normalise(delivery: Delivery, doc: dict) -> Application:
    data = _SCHEMA.load(doc)
    creds = tuple(CredentialRef(provenance=f"webhook.credentials[{i}]", document=c["document"], jwt=c["jwt"], url=c["url"])
                  for i, c in enumerate(data["credentials"]))
    cand, appl = data["candidate"], data["application"]
    return Application(tenant=delivery.tenant, provider="generic", delivery_id=data["event_id"],
                       application_id=appl["id"], job_id=appl["job_id"], candidate_id=cand["id"],
                       name=cand["name"], emails=tuple(e.lower() for e in cand["emails"]), credentials=creds)


ADAPTER = Adapter(name="generic", success_status=202, authenticate=authenticate, normalise=normalise,
                  dedupe_ttl_s=7 * DAY)
