"""One adapter per ATS: authenticate a delivery and normalise it to an Application (or acknowledge a ping)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from werkzeug.datastructures import Headers

from services.ingest.model import Application

DAY = 24 * 3600


@dataclass(frozen=True)
class Delivery:
    """What an adapter sees of one webhook request."""
    tenant: str
    headers: Headers  # case-insensitive, as HTTP headers are: adapters look them up as their ATS documents them
    body: bytes
    now: float
    mimetype: str = "application/json"


@dataclass(frozen=True)
class Ack:
    """A delivery that succeeds and publishes nothing: a ping, a test event, an activation handshake."""
    status: int
    reason: str
    headers: dict = field(default_factory=dict)


class EnrichError(Exception):
    """The ATS API did not give the application; `retryable` says whether trying again later may help."""

    def __init__(self, reason: str, *, retryable: bool):
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


# (url, headers=...) -> (status, headers, body); the worker binds it to shared/fetch.py's safe fetcher.
Get = Callable[..., tuple]


@dataclass(frozen=True)
class Adapter:
    name: str
    success_status: int
    # (delivery, doc, *, secrets, options, settings) -> None; raises AuthError. doc is the parsed body.
    authenticate: Callable[..., None]
    normalise: Callable[[Delivery, dict], "Application | Ack"]
    dedupe_ttl_s: int                         # longer than the provider's whole retry schedule
    handshake: Callable[[Delivery], "Ack | None"] | None = None   # before authentication (activation echo)
    enrich: Callable[..., dict] | None = None  # (application_payload, *, connection, get) -> completed fields
    mimetypes: tuple[str, ...] = ("application/json",)
    # (delivery, doc) -> the delivery's identity by what is signed, for providers whose signature leaves the rest of
    # the body open (Lever): remembered for acknowledged deliveries too, so their signatures cannot be replayed.
    replay_key: Callable[[Delivery, dict], str] | None = None


def registry() -> dict[str, Adapter]:
    from services.ingest.providers import ashby, generic, greenhouse, lever, smartrecruiters, teamtailor, workable
    adapters = (generic, greenhouse, lever, workable, ashby, smartrecruiters, teamtailor)
    return {m.ADAPTER.name: m.ADAPTER for m in adapters}
