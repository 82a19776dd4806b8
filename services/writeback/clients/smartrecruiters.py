"""SmartRecruiters: credbridge's tag on the candidate and the explanation as a note shared on the candidate.

Sources: https://developers.smartrecruiters.com/reference (Candidates API: GET /candidates/{id}/tags answers
`{"tags": [...]}`, PUT /candidates/{id}/tags `{"tags": [...]}` replaces them all; Message API: POST /messages/shares
`{"content", "shareWith": {"openNote": true}}` posts a note on the candidate tagged in its content as
`#[CANDIDATE:<id>]`, answering its `id`; DELETE /messages/{id}), https://developers.smartrecruiters.com/docs/
(`X-SmartToken` header; 429 with Retry-After when over the limit). Request and answer shapes of the Message API are
checked against our fake only.

Tags are a set the recruiter shares with us, so credbridge reads them and puts back the recruiter's own plus ours:
only the previous credbridge tag goes. Notes credbridge owns are replaced: the new one added, the old one deleted.
"""
from __future__ import annotations

from urllib.parse import quote

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import replace_note, required_id, where_of
from services.writeback.content import Content
from services.writeback.http import field_of
from services.writeback.policy import Permanent

DEFAULT_BASE_URL = "https://api.smartrecruiters.com"


class SmartRecruiters:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        self.base = (ctx.config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self.headers = {"X-SmartToken": ctx.config.secrets.get("api_key") or ""}

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        if not origin.candidate_id:
            raise Permanent("not_found", "SmartRecruiters has not named this application's candidate yet")
        cand_id = origin.candidate_id
        remote = dict(remote)
        if content.note is not None:
            remote = replace_note(remote, content.note, checkpoint=checkpoint,
                                  create=lambda text: self._share(cand_id, text), delete=self._unshare)
        remote = self._tags(cand_id, set(content.tags), remote, checkpoint)
        remote["where"] = where_of(remote)
        return remote

    def _share(self, cand_id: str, text: str) -> str:
        answer = self.ctx.http.call("POST", f"{self.base}/messages/shares", what="smartrecruiters note",
                                    headers=self.headers, json_body={
                                        "content": f"{text}\n#[CANDIDATE:{cand_id}]", "shareWith": {"openNote": True}})
        return required_id(field_of(answer.doc, "id"), "smartrecruiters note")

    def _unshare(self, message_id: str) -> None:
        self.ctx.http.call("DELETE", f"{self.base}/messages/{quote(message_id, safe='')}",
                           what="smartrecruiters note delete", headers=self.headers, ok_statuses=(404,))

    def _tags(self, cand_id: str, wanted: set[str], remote: dict, checkpoint: Checkpoint) -> dict:
        ours = set(remote.get("tags", []))
        if ours == wanted:
            return remote
        url = f"{self.base}/candidates/{quote(cand_id, safe='')}/tags"
        current = field_of(self.ctx.http.call("GET", url, what="smartrecruiters tags", headers=self.headers).doc, "tags")
        theirs = {t for t in current if isinstance(t, str)} - ours if isinstance(current, list) else set()
        self.ctx.http.call("PUT", url, what="smartrecruiters tags", headers=self.headers,
                           json_body={"tags": sorted(theirs | wanted)})
        remote = {**remote, "tags": sorted(wanted)}
        checkpoint(remote)
        return remote
