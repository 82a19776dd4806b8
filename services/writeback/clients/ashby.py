"""Ashby: the score in an application custom field (`customField.setValue`), the explanation as a candidate note.

Sources: https://developers.ashbyhq.com/docs/customfieldsetvalue (POST https://api.ashbyhq.com/customField.setValue,
`{"objectType", "objectId", "fieldId", "fieldValue"}`, a Number field takes a number; permission `candidatesWrite`),
https://developers.ashbyhq.com/reference/candidatecreatenote (POST …/candidate.createNote, `{"candidateId", "note":
{"type": "text/html", "value"}, "sendNotifications"}`; the note's HTML is a small subset: b, i, u, a, ul, ol, li,
code, pre, p; permission `candidatesWrite`), https://developers.ashbyhq.com/docs/authentication (HTTP Basic, the API
key as user name). Ashby answers `{"success": true, "results": …}`, and a refused request often comes back as HTTP
200 with `{"success": false, "errors": [...]}`: that is a failure here, never a success. 429 with Retry-After.

Ashby's API has no call that edits or deletes a note: notes are history. A changed explanation adds a note (the
custom field always shows the current score); identical content writes nothing.
"""
from __future__ import annotations

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import append_note, basic_auth, required_id, set_value, where_of
from services.writeback.content import Content
from services.writeback.http import field_of
from services.writeback.policy import Permanent

DEFAULT_BASE_URL = "https://api.ashbyhq.com"


class Ashby:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        self.base = (ctx.config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.headers = basic_auth(ctx.config.secrets.get("api_key") or "")

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        if not origin.candidate_id:
            raise Permanent("not_found", "the Ashby webhook named no candidate for this application")
        remote = dict(remote)
        field = self.ctx.config.score_field
        if content.score is not None:
            remote = set_value(remote, field, content.score, checkpoint=checkpoint, write=lambda: self._rpc(
                "customField.setValue", {"objectType": "Application", "objectId": origin.application_id,
                                         "fieldId": field, "fieldValue": content.score}))
        html = content.note_html()
        if content.note is not None and html is not None:
            remote = append_note(remote, content.note, checkpoint=checkpoint, create=lambda _text: required_id(
                field_of(self._rpc("candidate.createNote", {
                    "candidateId": origin.candidate_id, "note": {"type": "text/html", "value": html},
                    "sendNotifications": False}), "results", "id"), "ashby note"))
        remote["where"] = where_of(remote)
        return remote

    def _rpc(self, method: str, body: dict) -> object:
        answer = self.ctx.http.call("POST", f"{self.base}/{method}", what=f"ashby {method}", headers=self.headers,
                                    json_body=body)
        if field_of(answer.doc, "success") is not True:
            errors = field_of(answer.doc, "errors")
            detail = "; ".join(str(e) for e in errors[:3]) if isinstance(errors, list) else "no success flag"
            raise Permanent("rejected", f"ashby {method}: Ashby refused it ({detail[:300]})")
        return answer.doc
