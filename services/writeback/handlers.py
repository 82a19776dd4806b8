"""Kafka handlers: note where each application lives in its ATS, and which score it should show there.

Both only store (idempotently: an upsert on the application, the newest `computed_at` wins); the dispatcher does
the ATS calls, so a slow or rate-limited ATS never holds up a partition and other tenants' events behind it.
In the worker, origins are noted in an `OriginBatch` and written once per poll batch, before it is committed.
"""
from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from typing import Callable

from shared.events import Event

from services.writeback import metrics
from services.writeback.content import Score
from services.writeback.repository import OriginNote, WritebackRepository, application_key, utcnow

PENDING_CANDIDATE = "pending:"   # ingest's placeholder until a thin ATS's API names the candidate
REMEMBERED_ORIGINS = 20_000      # per worker process: what it wrote last, so a repeat is not written again


class OriginBatch:
    """The origins a poll batch's handlers noted, written by `flush` (the consumer loop's batch end): one bulk upsert
    and one wake for them all, instead of two round trips per event.

    It also remembers, for the last REMEMBERED_ORIGINS applications, the origin this process wrote: an event that
    changes nothing (applications.ready usually repeats applications.received) is not written again, and a score
    finds its application's provider without a read. Only this worker writes origins from events, and an
    application's events share a partition, so what it remembers is what is stored (or older, never newer: a
    remembered origin is only ever a subset of the stored one's refs, and the same provider).
    """

    def __init__(self, repo: WritebackRepository, *, clock: Callable[[], datetime] = utcnow,
                 remember: int = REMEMBERED_ORIGINS):
        self.repo, self.clock, self.remember = repo, clock, remember
        self._pending: dict[str, OriginNote] = {}
        self._written: OrderedDict[str, OriginNote] = OrderedDict()

    def note(self, note: OriginNote) -> None:
        held = self._pending.get(note.key)
        self._pending[note.key] = held.then(note) if held is not None else note

    def provider(self, tenant: str, application_id: str) -> str | None:
        """The application's provider if this batch noted it or this process wrote it; None: not known here."""
        key = application_key(tenant, application_id)
        held = self._pending.get(key) or self._written.get(key)
        return held.provider if held is not None else None

    def write_now(self, tenant: str, application_id: str) -> None:
        """A score to write back is about to be stored: its application's noted origin goes first (with the rest)."""
        if application_key(tenant, application_id) in self._pending:
            self.flush()

    def flush(self) -> None:
        """Writes what changed; MongoDB away: raises, the batch is read again and notes everything again."""
        pending, self._pending = self._pending, {}
        changed = {}
        for key, note in pending.items():
            before = self._written.get(key)
            after = before.then(note) if before is not None else note
            if after != before:
                changed[key] = (note, after)
        self.repo.record_origins([note for note, _ in changed.values()], now=self.clock())
        for key, (_, after) in changed.items():
            self._written[key] = after
            self._written.move_to_end(key)
        while len(self._written) > self.remember:
            self._written.popitem(last=False)


def handle_application(event: Event, *, repo: WritebackRepository, clock: Callable[[], datetime] = utcnow,
                       batch: OriginBatch | None = None) -> None:
    """applications.received / applications.ready: the provider, the candidate id and the ATS's own refs.
    Without a batch the origin is written at once."""
    p = event.payload
    application_id, candidate_id = p["application"]["id"], p["candidate"]["id"]
    enrich = p.get("enrich")
    refs = {}
    if isinstance(enrich, dict) and isinstance(enrich.get("kind"), str) and isinstance(enrich.get("ref"), str):
        refs[enrich["kind"]] = enrich["ref"]     # e.g. Lever's opportunity id, which its notes hang off
    note = OriginNote(event.tenant, application_id, p["provider"],
                      None if candidate_id.startswith(PENDING_CANDIDATE) else candidate_id, refs)
    if batch is None:
        repo.record_origins([note], now=clock())
    else:
        batch.note(note)


def handle_score(event: Event, *, repo: WritebackRepository, wake: Callable[[], None],
                 clock: Callable[[], datetime] = utcnow, batch: OriginBatch | None = None) -> None:
    """scores.computed (final scores only): the score to show, if its connection writes back."""
    score = Score.from_payload(event.payload)
    provider = batch.provider(event.tenant, score.application_id) if batch is not None else None
    if provider is None:
        origin = repo.origin(event.tenant, score.application_id)
        provider = origin.provider if origin is not None else None
    if provider is not None and not repo.config(event.tenant, provider).enabled:
        metrics.SCORES.labels(result="not_enabled").inc()
        return
    if batch is not None:
        batch.write_now(event.tenant, score.application_id)  # the dispatcher, woken below, reads the origin
    stored = repo.want(event.tenant, score.application_id, provider=provider,
                       desired=score.to_dict(), computed_at=datetime.fromisoformat(score.computed_at), now=clock())
    metrics.SCORES.labels(result="scheduled" if stored else "superseded").inc()
    if stored:
        wake()
