"""Lever: a note on the opportunity and credbridge's tag, written as the configured `perform_as` user.

Source: https://hire.lever.co/developer/documentation — "Create a note" (POST /v1/opportunities/:opportunity/notes,
body `{"value": text}`, answers `{"data": {"noteId": …}}`), "Delete a note" (DELETE …/notes/:noteId, 204),
"Update opportunity tags" (POST /v1/opportunities/:opportunity/addTags and /removeTags, body `{"tags": [...]}`),
`perform_as` as a query parameter on each, HTTP Basic with the API key as user name; rate limit 10 requests per
second per key with bursts to 20, 429 beyond.

Lever notes cannot be edited: a changed score adds the new note first, then deletes the previous one, so the
opportunity never shows none; a retry after a cut-short attempt resumes from the checkpointed ids.
"""
from __future__ import annotations

from urllib.parse import quote, urlencode

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import basic_auth, replace_note, required_id, where_of
from services.writeback.content import Content
from services.writeback.http import field_of
from services.writeback.policy import Permanent

DEFAULT_BASE_URL = "https://api.lever.co"


class Lever:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        cfg = ctx.config
        self.base = (cfg.base_url or DEFAULT_BASE_URL).rstrip("/")
        key = cfg.secrets.get("api_key") or ""
        self.headers = basic_auth(key)
        self.query = ("?" + urlencode({"perform_as": cfg.acting_user})) if cfg.acting_user else ""

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        opportunity = origin.refs.get("lever.opportunity")
        if not opportunity:
            raise Permanent("not_found", "the Lever webhook named no opportunity for this application")
        opp = f"{self.base}/v1/opportunities/{quote(opportunity, safe='')}"
        remote = dict(remote)
        if content.note is not None:
            remote = replace_note(remote, content.note, checkpoint=checkpoint,
                                  create=lambda text: self._create_note(opp, text),
                                  delete=lambda note_id: self._delete_note(opp, note_id))
        remote = self._swap_tags(opp, set(content.tags), remote, checkpoint)
        remote["where"] = where_of(remote)
        return remote

    def _create_note(self, opp: str, text: str) -> str:
        answer = self.ctx.http.call("POST", f"{opp}/notes{self.query}", what="lever note", headers=self.headers,
                                    json_body={"value": text})
        return required_id(field_of(answer.doc, "data", "noteId"), "lever note")

    def _delete_note(self, opp: str, note_id: str) -> None:
        # 404: already gone (deleted by hand, or by an attempt that was cut short after deleting).
        self.ctx.http.call("DELETE", f"{opp}/notes/{quote(note_id, safe='')}{self.query}", what="lever note delete",
                           headers=self.headers, ok_statuses=(404,))

    def _swap_tags(self, opp: str, wanted: set[str], remote: dict, checkpoint: Checkpoint) -> dict:
        held = set(remote.get("tags", []))
        if wanted - held:
            self.ctx.http.call("POST", f"{opp}/addTags{self.query}", what="lever tags", headers=self.headers,
                               json_body={"tags": sorted(wanted - held)})
            remote = {**remote, "tags": sorted(held | wanted)}
            checkpoint(remote)
        if held - wanted:
            self.ctx.http.call("POST", f"{opp}/removeTags{self.query}", what="lever tags", headers=self.headers,
                               json_body={"tags": sorted(held - wanted)})
            remote = {**remote, "tags": sorted(wanted)}
            checkpoint(remote)
        return remote
