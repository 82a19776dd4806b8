"""Teamtailor: the score in a candidate custom field and the explanation as a note, through its JSON:API.

Sources: https://docs.teamtailor.com (every call: `Authorization: Token token=<key>`, `X-Api-Version`,
`Content-Type: application/vnd.api+json`; POST /v1/custom-field-values with `attributes.value` and the
relationships `custom-field` and `owner` (a candidate), PATCH /v1/custom-field-values/{id}; POST /v1/notes with
`attributes.note` and the relationships `candidate` and `user`, DELETE /v1/notes/{id}; errors as JSON:API
`{"errors": [{"status", "title", "detail"}]}`; a rate limit per key over 10 s with `X-Rate-Limit-Limit` /
`-Remaining` / `-Reset`, 429 beyond). The key needs admin scope with write access (candidates, notes, custom fields).
The resource names and the X-Api-Version header are from those docs; the exact relationship names in the bodies
(`custom-field`, `owner`, `candidate`, `user`) are checked against our fake only.

The custom-field value is created once and then PATCHed in place (its id is kept); if someone deleted it, it is
created again. Notes credbridge owns are replaced: the new one added, then the old one deleted.
"""
from __future__ import annotations

from urllib.parse import quote

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import replace_note, required_id, where_of
from services.writeback.content import Content
from services.writeback.http import Answer, field_of
from services.writeback.policy import Permanent, WriteError

DEFAULT_BASE_URL = "https://api.teamtailor.com"
API_VERSION = "20240404"
JSON_API = "application/vnd.api+json"


class Teamtailor:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        self.base = (ctx.config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.headers = {"Authorization": f"Token token={ctx.config.secrets.get('api_key') or ''}",
                        "X-Api-Version": API_VERSION, "Content-Type": JSON_API, "Accept": JSON_API}

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        if not origin.candidate_id:
            raise Permanent("not_found", "Teamtailor has not named this application's candidate yet")
        cand_id = origin.candidate_id
        remote = dict(remote)
        if content.score is not None:
            remote = self._field(cand_id, content.score, remote, checkpoint)
        if content.note is not None:
            remote = replace_note(remote, content.note, checkpoint=checkpoint,
                                  create=lambda text: self._note(cand_id, text), delete=self._delete_note)
        remote["where"] = where_of(remote)
        return remote

    def _field(self, cand_id: str, score: int, remote: dict, checkpoint: Checkpoint) -> dict:
        field = self.ctx.config.score_field
        if remote.get("field_key") == field and remote.get("field_value") == score:
            return remote
        value_id = remote.get("field_value_id") if remote.get("field_key") == field else None
        answer = self._patch_value(value_id, score) if value_id else None
        if answer is None:   # none yet, or it was deleted in Teamtailor
            answer = self._call("POST", "/v1/custom-field-values", "teamtailor custom field", {"data": {
                "type": "custom-field-values", "attributes": {"value": score}, "relationships": {
                    "custom-field": {"data": {"type": "custom-fields", "id": field}},
                    "owner": {"data": {"type": "candidates", "id": cand_id}}}}})
        remote = {**remote, "field_key": field, "field_value": score,
                  "field_value_id": required_id(field_of(answer.doc, "data", "id"), "teamtailor custom field")}
        checkpoint(remote)
        return remote

    def _patch_value(self, value_id: str, score: int) -> Answer | None:
        try:
            return self._call("PATCH", f"/v1/custom-field-values/{quote(value_id, safe='')}", "teamtailor custom field",
                              {"data": {"id": value_id, "type": "custom-field-values", "attributes": {"value": score}}})
        except WriteError as exc:
            if exc.reason == "not_found":
                return None
            raise

    def _note(self, cand_id: str, text: str) -> str:
        answer = self._call("POST", "/v1/notes", "teamtailor note", {"data": {
            "type": "notes", "attributes": {"note": text}, "relationships": {
                "candidate": {"data": {"type": "candidates", "id": cand_id}},
                "user": {"data": {"type": "users", "id": self.ctx.config.acting_user}}}}})
        return required_id(field_of(answer.doc, "data", "id"), "teamtailor note")

    def _delete_note(self, note_id: str) -> None:
        self.ctx.http.call("DELETE", f"{self.base}/v1/notes/{quote(note_id, safe='')}", what="teamtailor note delete",
                           headers=self.headers, ok_statuses=(404,))

    def _call(self, method: str, path: str, what: str, body: dict) -> Answer:
        return self.ctx.http.call(method, f"{self.base}{path}", what=what, headers=self.headers, json_body=body)
