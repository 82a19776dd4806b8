"""Greenhouse Harvest v3: the score in an application custom field, a note on the candidate, credbridge's tag.

Sources: https://harvestdocs.greenhouse.io/docs/authentication (custom integrations: OAuth 2.0 client credentials, the token
request and its cache in shared/oauth.py; then `Authorization: Bearer <access_token>`);
https://harvestdocs.greenhouse.io/docs/pagination and the API reference (every v3 route under
https://harvest.greenhouse.io/v3/, the DEFAULT_BASE_URL);
https://harvestdocs.greenhouse.io/docs/write-endpoint-migration-guide (PATCH /v3/applications/{id};
notes are the v3 resource that replaced the v1 activity feed); https://harvestdocs.greenhouse.io/docs/api-rate-limiting
(X-RateLimit-Limit/-Remaining per rolling window, 429 with Retry-After).
The note, tag and custom-field bodies follow the v1 shapes (`body`/`visibility`/`user_id`; `custom_fields` items
with `name_key` and `value`; a candidate tag by id) under the v3 routes; checked against our fake only.

Greenhouse notes are history and are not edited: a changed score adds a note (the custom field and the tag always
show the current one); identical content writes nothing.
A connection configured with `--assessment` uses the Assessment partner shape instead (greenhouse_assessment.py).
"""
from __future__ import annotations

from urllib.parse import quote

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import append_note, required_id, set_value, where_of
from services.writeback.content import Content
from services.writeback.http import Answer, field_of
from services.writeback.policy import Permanent, WriteError
from shared.oauth import GREENHOUSE_AUTH_URL, ClientCredentials, Token, TokenError, read_token, token_request

DEFAULT_BASE_URL = "https://harvest.greenhouse.io"
DEFAULT_AUTH_URL = GREENHOUSE_AUTH_URL


class Greenhouse:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        cfg = ctx.config
        self.base = (cfg.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.creds = ClientCredentials(auth_url=cfg.auth_url or DEFAULT_AUTH_URL,
                                       client_id=cfg.secrets.get("client_id") or "",
                                       client_secret=cfg.secrets.get("client_secret") or "", sub=cfg.acting_user)
        self.tokens = ctx.tokens

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        if not origin.candidate_id:
            raise Permanent("not_found", "the Greenhouse webhook named no candidate for this application")
        remote = dict(remote)
        app_id, cand_id = quote(origin.application_id, safe=""), quote(origin.candidate_id, safe="")
        key = self.ctx.config.score_field
        if content.score is not None:
            remote = set_value(remote, key, content.score, checkpoint=checkpoint, write=lambda: self._call(
                "PATCH", f"{self.base}/v3/applications/{app_id}", what="greenhouse custom field",
                json_body={"custom_fields": [{"name_key": key, "value": content.score}]}))
        if content.note is not None:
            remote = append_note(remote, content.note, checkpoint=checkpoint,
                                 create=lambda text: self._create_note(origin, text))
        remote = self._swap_tags(cand_id, set(content.tags), remote, checkpoint)
        remote["where"] = where_of(remote)
        return remote

    def _create_note(self, origin: Origin, text: str) -> str:
        answer = self._call("POST", f"{self.base}/v3/notes", what="greenhouse note", json_body={
            "candidate_id": origin.candidate_id, "application_id": origin.application_id,
            "user_id": self.ctx.config.acting_user, "body": text, "visibility": "private"})
        return required_id(field_of(answer.doc, "id"), "greenhouse note")

    def _swap_tags(self, cand_id: str, wanted: set[str], remote: dict, checkpoint: Checkpoint) -> dict:
        held: dict[str, str] = dict(remote.get("tag_ids", {}))   # tag name -> Greenhouse tag id
        for name in sorted(wanted - set(held)):
            answer = self._call("POST", f"{self.base}/v3/tags", what="greenhouse tag", json_body={"name": name})
            tag_id = required_id(field_of(answer.doc, "id"), "greenhouse tag")
            self._call("PUT", f"{self.base}/v3/candidates/{cand_id}/tags/{quote(str(tag_id), safe='')}",
                       what="greenhouse candidate tag")
            held[name] = str(tag_id)
            remote = {**remote, "tag_ids": dict(held)}
            checkpoint(remote)
        for name in sorted(set(held) - wanted):
            self._call("DELETE", f"{self.base}/v3/candidates/{cand_id}/tags/{quote(held[name], safe='')}",
                       what="greenhouse candidate tag", ok_statuses=(404,))
            held.pop(name)
            remote = {**remote, "tag_ids": dict(held)}
            checkpoint(remote)
        return remote

    def _call(self, method: str, url: str, *, what: str, json_body: object = None,
              ok_statuses: tuple[int, ...] = ()) -> Answer:
        for fresh in (False, True):
            headers = {"Authorization": f"Bearer {self._token(fresh=fresh)}"}
            try:
                return self.ctx.http.call(method, url, what=what, headers=headers, json_body=json_body,
                                          ok_statuses=ok_statuses)
            except WriteError as exc:
                # A token can expire early (revoked, rotated): one retry with a new one, then it is the credentials.
                if exc.reason != "unauthorized" or fresh:
                    raise
        raise AssertionError("unreachable")

    def _token(self, *, fresh: bool) -> str:
        return self.tokens.bearer(self.creds, fetch=self._fetch_token, fresh=fresh)

    def _fetch_token(self, creds: ClientCredentials) -> Token:
        headers, form = token_request(creds)
        answer = self.ctx.http.call("POST", creds.auth_url, what="greenhouse token", headers=headers, form=form)
        try:
            return read_token(answer.doc, now=self.tokens.clock())
        except TokenError as exc:
            raise Permanent("unauthorized", f"Greenhouse: {exc}") from None
