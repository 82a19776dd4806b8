"""The generic connection's write-back: a signed JSON callback to the URL the tenant configured.

Signed exactly like the generic webhook (README "The generic webhook"): `X-Credbridge-Timestamp` and
`X-Credbridge-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`, with the connection's
current webhook secret, so the receiver checks it with the code it already has. `event_id` is derived from the
content, so a re-sent callback is recognisably the same one; a changed score is a new event.
"""
from __future__ import annotations

import json
import time

from shared.events import derive_id
from shared.signing import sign_generic

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.content import Content
from services.writeback.policy import Permanent


class GenericCallback:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        url, secret = self.ctx.config.callback_url, self.ctx.webhook_secret
        if not url or not secret:
            raise Permanent("not_configured", "the generic connection has no callback URL or secret")
        event_id = derive_id("writeback", origin.tenant, origin.application_id, content.fingerprint)
        doc = {"event_id": event_id, "type": "score.written_back", "tenant": origin.tenant,
               **content.summary, "tags": list(content.tags), "note": content.note}
        body = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        self.ctx.http.call("POST", url, what="generic callback", raw=body,
                           headers=sign_generic(secret, body, int(time.time())))
        return {"callback_event_id": event_id, "where": [{"kind": "callback", "event_id": event_id}]}
