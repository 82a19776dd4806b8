"""Pulling: fetch what a delivery points at, with retries inside a per-application time budget."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from services.ingest import discovery
from services.ingest.model import CredentialRef
from shared.fetch import Fetched, FetchFailed, FetchRefused
from shared.settings import Settings

log = logging.getLogger(__name__)

# (url, *, deadline_s) -> Fetched; raises FetchRefused / FetchFailed (shared/fetch.py's Fetcher, bound).
Fetch = Callable[..., Fetched]
MAX_DEPTH = 2  # a page or baked image may point at one more URL, and that one at one more: no further


@dataclass(frozen=True)
class Unavailable:
    """A credential the candidate pointed at that could not be retrieved, and why (for the recruiter)."""
    provenance: str
    reason: str


@dataclass
class Pulled:
    credentials: list[CredentialRef] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)


class Budget:
    """The time one application may spend on outbound fetches, so one slow host cannot hold the partition."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._ends = clock() + seconds

    def remaining(self) -> float:
        return max(self._ends - self._clock(), 0.0)


class Retrier:
    """Runs a fetch with retries and doubling backoff for transient failures, never past the budget."""

    def __init__(self, settings: Settings, budget: Budget, *, sleep: Callable[[float], None] = time.sleep):
        self.settings, self.budget, self._sleep = settings, budget, sleep

    def run(self, attempt: Callable[[float], object], *, retryable=lambda exc: isinstance(exc, FetchFailed)):
        """Calls attempt(deadline_s) until it returns; re-raises the last error (or BudgetSpent)."""
        delay = self.settings.ingest_pull_backoff_s
        for n in range(1, self.settings.ingest_pull_attempts + 1):
            if self.budget.remaining() <= 0:
                raise BudgetSpent()
            try:
                return attempt(min(self.settings.fetch_deadline_s, self.budget.remaining()))
            except Exception as exc:  # noqa: BLE001 - never swallowed: re-raised unless `retryable` names it
                if not retryable(exc) or n == self.settings.ingest_pull_attempts:
                    raise
                if self.budget.remaining() <= delay:
                    raise
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover


class BudgetSpent(Exception):
    """The application's fetch budget ran out before this fetch could be tried."""


class Puller:
    """Turns a delivery's credential references and candidate links into credentials, or reasons why not."""

    def __init__(self, *, fetch: Fetch, settings: Settings, retrier: Retrier):
        self._fetch, self.settings, self._retrier = fetch, settings, retrier

    def pull(self, *, credentials: list[dict], links: list[dict]) -> Pulled:
        out = Pulled()
        for ref in credentials:
            if ref.get("url") and not (ref.get("jwt") or ref.get("document")):
                self._resolve(ref["url"], ref["provenance"], out=out, explicit=True, depth=0)
            else:
                self._admit(CredentialRef(provenance=ref["provenance"], document=ref.get("document"),
                                          jwt=ref.get("jwt"), url=ref.get("url")), out=out)
        for link in links:
            for lead in discovery.leads_in_link(link):
                self._take(lead, out=out, explicit=False, depth=0)
        return _bounded(_deduplicated(out), self.settings.ingest_max_credentials)

    def _admit(self, ref: CredentialRef, *, out: Pulled) -> None:
        """Forwards the credential unless it is too large to travel as one event: then the recruiter sees why."""
        size = encoded_size(ref)
        if size > self.settings.ingest_max_document_bytes:
            out.unavailable.append(Unavailable(ref.provenance, f"too large: the credential is {size} bytes once encoded; "
                                                               f"credentials over {self.settings.ingest_max_document_bytes} "
                                                               "bytes are not accepted"))
        else:
            out.credentials.append(ref)

    def _take(self, lead: discovery.Lead, *, out: Pulled, explicit: bool, depth: int) -> None:
        if lead.jwt:
            self._admit(CredentialRef(provenance=lead.provenance, jwt=lead.jwt), out=out)
        elif lead.url:
            self._resolve(lead.url, lead.provenance, out=out, explicit=explicit, depth=depth)

    def _resolve(self, url: str, provenance: str, *, out: Pulled, explicit: bool, depth: int) -> None:
        badge_id = discovery.credly_badge_id(url)
        if badge_id:
            url, provenance = discovery.credly_assertion_url(badge_id, self.settings.credly_api_base), f"{provenance} -> Credly badge"
        fetched = self._get(url, provenance, out=out)
        if fetched is None:
            return
        if fetched.status >= 400:
            out.unavailable.append(Unavailable(provenance, f"could not be retrieved: the host answered {fetched.status}"))
            return
        found = discovery.classify(fetched.content_type, fetched.body)
        where = f"{provenance} -> {found.label}"
        if found.document is not None or found.jwt is not None:
            self._admit(CredentialRef(provenance=where, document=found.document, jwt=found.jwt), out=out)
        elif found.follow and depth < MAX_DEPTH:
            self._resolve(found.follow, where, out=out, explicit=True, depth=depth + 1)
        elif found.leads and depth < MAX_DEPTH:
            for lead in found.leads:
                self._take(discovery.Lead(provenance=f"{provenance} -> {lead.provenance}", url=lead.url, jwt=lead.jwt),
                           out=out, explicit=False, depth=depth + 1)
        elif explicit:
            out.unavailable.append(Unavailable(provenance, f"no credential found there: {found.problem or 'nested too deeply'}"))

    def _get(self, url: str, provenance: str, *, out: Pulled) -> Fetched | None:
        try:
            return self._retrier.run(lambda deadline_s: self._fetch(url, deadline_s=deadline_s))
        except FetchRefused as exc:
            reason = f"refused by the fetch policy: {exc}"
        except FetchFailed as exc:
            reason = f"could not be retrieved after retrying: {exc}"
        except BudgetSpent:
            reason = "not retrieved: the time allowed for this application's fetches ran out"
        log.info("credential not retrievable", extra={"reason": reason.split(":", 1)[0]})
        out.unavailable.append(Unavailable(provenance, reason))
        return None


def encoded_size(ref: CredentialRef) -> int:
    """The credential's bytes as its credentials.submitted event carries them (escaped as shared.events encodes)."""
    if ref.jwt is not None:
        return len(json.dumps(ref.jwt))
    return len(json.dumps(ref.document, separators=(",", ":"))) if ref.document is not None else 0


def _bounded(pulled: Pulled, most: int) -> Pulled:
    """At most `most` credentials and as many unavailable ones: an application's events are published as one batch,
    and a profile listing thousands of badges must not make that batch unbounded."""
    extra = len(pulled.credentials) - most
    unavailable = pulled.unavailable[:most]
    if extra > 0:
        unavailable.append(Unavailable("application", f"too many credentials: {len(pulled.credentials)} found, "
                                                      f"only the first {most} are verified"))
    return Pulled(credentials=pulled.credentials[:most], unavailable=unavailable)


def _deduplicated(pulled: Pulled) -> Pulled:
    """The same credential found twice (a link and a baked copy) is submitted once, under its first provenance."""
    seen, creds = set(), []
    for ref in pulled.credentials:
        if ref.fingerprint() not in seen:
            seen.add(ref.fingerprint())
            creds.append(ref)
    unavailable = list(dict.fromkeys(pulled.unavailable))
    return Pulled(credentials=creds, unavailable=unavailable)
