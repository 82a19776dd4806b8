"""One client per ATS write API; each turns a Content into that ATS's requests and remembers the ids it made.

A client's `write(origin=, content=, remote=, checkpoint=)` returns the new `remote` (the ids of the note, field
and tags it now owns in the ATS). It calls `checkpoint(remote)` after each step that created something, so an
attempt cut short is resumed by the next one instead of creating that thing twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

from services.writeback.config import WritebackConfig
from services.writeback.content import Content
from services.writeback.http import AtsHttp
from shared.oauth import TOKENS, TokenCache

Checkpoint = Callable[[dict], None]


@dataclass(frozen=True)
class Origin:
    """Where an application lives in its ATS: the ids its webhook (and ingest's enrichment) named."""
    tenant: str
    application_id: str
    provider: str
    candidate_id: str | None = None
    refs: dict = field(default_factory=dict)   # e.g. {"lever.opportunity": "<opportunity id>"}


class Client(Protocol):
    def write(self, *, origin: Origin, content: Content, remote: dict, checkpoint: Checkpoint) -> dict: ...


@dataclass(frozen=True)
class ConnectionContext:
    """What a client is built from: the connection's write-back configuration, its webhook secret, the HTTP."""
    config: WritebackConfig
    http: AtsHttp
    webhook_secret: str | None = None
    tokens: TokenCache = TOKENS   # OAuth tokens (shared/oauth.py), reused until they expire


def build(ctx: ConnectionContext) -> Client:
    from services.writeback.clients import (ashby, generic, greenhouse, greenhouse_assessment, lever, smartrecruiters,
                                            teamtailor, workable)
    if ctx.config.provider == "greenhouse" and ctx.config.assessment:
        return greenhouse_assessment.GreenhouseAssessment(ctx)
    makers: dict[str, Callable[[ConnectionContext], Client]] = {
        "generic": generic.GenericCallback, "greenhouse": greenhouse.Greenhouse, "lever": lever.Lever,
        "workable": workable.Workable, "ashby": ashby.Ashby, "smartrecruiters": smartrecruiters.SmartRecruiters,
        "teamtailor": teamtailor.Teamtailor}
    return makers[ctx.config.provider](ctx)
