"""Greenhouse as an Assessment partner: tell Greenhouse a result changed by PATCHing the URL its send_test gave.

Greenhouse then calls credbridge's `test_status` (services/writeback/api.py), which answers `partner_status`,
`partner_score` and `partner_profile_url` from the current score (services/writeback/assessment.py). So a
re-score, a revocation included, shows in Greenhouse without credbridge ever holding Harvest credentials. Until a
recruiter has sent the test there is no URL: nothing is written, and send_test makes the record due at once.
The PATCH carries the partner key as HTTP Basic, and goes only to Greenhouse's own hosts (or the connection's
`--base-url`, for a sandbox or a test), never to whatever host a request named. The PATCH's shape (no body) is
checked against our fake only.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import basic_auth
from services.writeback.content import Content
from services.writeback.policy import Permanent

ASSESSMENT_REF = "greenhouse.assessment_url"
GREENHOUSE_HOSTS = ("greenhouse.io",)


class GreenhouseAssessment:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        self.headers = basic_auth(ctx.config.secrets.get("api_key") or "")

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        url = origin.refs.get(ASSESSMENT_REF)
        if not url:
            return {**remote, "where": [{"kind": "assessment", "status": "waiting for Greenhouse's send_test"}]}
        if not self._ours(url):
            raise Permanent("refused", "the assessment URL is not on Greenhouse's hosts")
        self.ctx.http.call("PATCH", url, what="greenhouse assessment", headers=self.headers)
        remote = {**remote, "assessment_url": url, "partner_score": content.summary.get("score")}
        checkpoint(remote)
        return {**remote, "where": [{"kind": "assessment", "status": "complete",
                                     "partner_score": remote["partner_score"]}]}

    def _ours(self, url: str) -> bool:
        base = self.ctx.config.base_url
        if base and url.startswith(base.rstrip("/") + "/"):
            return True
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and any(host == h or host.endswith("." + h) for h in GREENHOUSE_HOSTS)
