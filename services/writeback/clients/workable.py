"""Workable: the explanation as a comment on the candidate's timeline and the score as the member's rating.

Sources: https://workable.readme.io/docs/comment-on-candidate (POST /spi/v3/candidates/:id/comments, scope
`w_comments` or `w_candidates`, body `{"member_id", "comment": {"body", "policy"}}`),
https://workable.readme.io/docs/rate-candidate (POST /spi/v3/candidates/:id/ratings, scope `w_candidates`, body
`{"member_id", "comment", "score"}` with the thumbs scale `negative` / `positive` / `definitely`),
https://workable.readme.io/docs/rate-limits (10 requests per 10 s for an account token, 50 for OAuth; 429 beyond;
`X-Rate-Limit-Limit` / `-Remaining` / `-Reset` on every answer). The API lives on the account's own host,
`https://<subdomain>.workable.com`, so the connection names it with `--base-url`; `Authorization: Bearer <token>`.
Workable candidates are the applications (ingest uses the candidate id as the application id).

Workable's API documents neither editing nor deleting comments or ratings: they are history. A changed explanation
adds a comment and a changed rating adds a rating; identical content writes nothing. The answer's id for a comment
is not documented, so one is kept when Workable sends it.
"""
from __future__ import annotations

from urllib.parse import quote

from services.writeback.clients import Checkpoint, ConnectionContext, Origin
from services.writeback.clients.steps import append_note, where_of
from services.writeback.content import Content
from services.writeback.http import field_of
from services.writeback.policy import Permanent

# The thumbs scale, from the score (0-100): the number itself is in the comment and the rating's own comment.
DEFINITELY_FROM, POSITIVE_FROM = 75, 50


def rating_for(score: int) -> str:
    return "definitely" if score >= DEFINITELY_FROM else "positive" if score >= POSITIVE_FROM else "negative"


class Workable:
    def __init__(self, ctx: ConnectionContext):
        self.ctx = ctx
        cfg = ctx.config
        self.base = (cfg.base_url or "").rstrip("/")
        self.headers = {"Authorization": f"Bearer {cfg.secrets.get('api_key') or ''}"}

    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict:
        if not self.base:
            raise Permanent("not_configured", "the Workable connection has no --base-url (https://<subdomain>.workable.com)")
        cand = f"{self.base}/spi/v3/candidates/{quote(origin.candidate_id or origin.application_id, safe='')}"
        member = self.ctx.config.acting_user
        remote = dict(remote)
        if content.note is not None:
            remote = append_note(remote, content.note, checkpoint=checkpoint, create=lambda text: self._comment(cand, text))
        if content.score is not None and remote.get("rating") != rating_for(content.score):
            rating = rating_for(content.score)
            self.ctx.http.call("POST", f"{cand}/ratings", what="workable rating", headers=self.headers, json_body={
                "member_id": member, "score": rating,
                "comment": f"credbridge verified-credential score: {content.score}/100"})
            remote = {**remote, "rating": rating, "rated_score": content.score}
            checkpoint(remote)
        remote["where"] = where_of(remote)
        return remote

    def _comment(self, cand: str, text: str) -> str | None:
        answer = self.ctx.http.call("POST", f"{cand}/comments", what="workable comment", headers=self.headers,
                                    json_body={"member_id": self.ctx.config.acting_user, "comment": {"body": text}})
        found = field_of(answer.doc, "id") or field_of(answer.doc, "comment", "id")
        return str(found) if isinstance(found, (str, int)) else None
