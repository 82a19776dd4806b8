"""A poll batch of credential.submitted events handled as a batch: verdicts stored in one bulk write, published at once.

Per event, the worker still reads the stored verdict (a redelivered credential is never verified again) and
verifies; what it found is held until the batch ends. `flush` (the consumer loop's `batch_end`, run before the
batch's offsets are committed) stores every new verdict in one bulk upsert, reads back only those another delivery
stored first (the first verdict wins), and publishes the batch's credential.verified events in one call. MongoDB
or the broker being away propagates from `flush`, and the loop reads the whole batch again: every step is
idempotent, so the events it publishes are the same ids with the same stored reports.

The stored verdicts of a whole poll batch are read in one query before it is handled (`read_ahead`, the consumer
loop's `batch_start`); a credential it could not read is read on its own when handled.

Before the verifier waits on the web (a status list, a DID document), `send_held` stores and publishes what the
batch holds so far (`sending_first` wraps the verifier's fetch), so a quick credential's verdict never waits behind
a slow one's fetches; it is best-effort, and what it could not send stays held for `flush`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from services.verification.handlers import Publish, _utcnow, publishable, verified_event, verify_submission
from services.verification.repository import Verdict, VerdictRepository
from services.verification.verifier import Verifier
from shared import logs
from shared.consumer import TRANSIENT
from shared.events import Event
from shared.settings import Settings

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (tenant, credential_id)


@dataclass(frozen=True)
class _Held:
    key: Key
    trace_id: str


class VerdictBatch:
    def __init__(self, *, repo: VerdictRepository, publish: Publish, settings: Settings,
                 verifier: Verifier | None = None, now: Callable[[], datetime] = _utcnow):
        self.repo, self.publish, self.settings, self.verifier, self.now = repo, publish, settings, verifier, now
        self._new: dict[Key, Verdict] = {}    # verified in this batch, not stored yet
        self._stored: dict[Key, dict] = {}   # already stored before this batch
        self._held: list[_Held] = []          # one per event, in the order handled: what flush publishes
        self._ahead: dict[Key, dict | None] = {}  # read by read_ahead for this batch (None: no stored verdict)

    def read_ahead(self, values: list[bytes]) -> None:
        """Reads the stored verdicts of the batch's credentials in one query, for `handle` to use. Tolerates any
        bytes (a malformed record is the consumer loop's to dead-letter) and MongoDB being away (then each is read
        when handled)."""
        keys = {key for value in values if (key := _submitted_key(value)) is not None}
        try:
            found = self.repo.get_many(sorted(keys))
        except TRANSIENT as exc:
            log.warning("verdict read-ahead failed; reading each when handled", extra={"error": type(exc).__name__})
            return
        self._ahead = {key: found.get(key) for key in keys}

    def handle(self, event: Event) -> None:
        """Verifies the event's credential unless it is stored (or was verified earlier in this batch)."""
        key = (event.tenant, event.payload["credential_id"])
        if key not in self._new and key not in self._stored:
            stored = self._ahead.pop(key) if key in self._ahead else self.repo.get(*key)
            if stored is not None:
                self._stored[key] = stored
            else:
                self._new[key] = verify_submission(event, settings=self.settings, verifier=self.verifier, now=self.now)
        self._held.append(_Held(key, event.trace_id))

    def flush(self) -> int:
        """Stores the batch's new verdicts, then publishes one credential.verified per event; returns how many."""
        new, stored, held = self._new, self._stored, self._held
        self._new, self._stored, self._held, self._ahead = {}, {}, [], {}
        return self._send(new, stored, held)

    def send_held(self) -> None:
        """Stores and publishes what is held now, unless MongoDB or the broker is away (then it stays held)."""
        try:
            self._send(self._new, self._stored, self._held)
        except TRANSIENT:
            return
        self._new, self._stored, self._held = {}, {}, []

    def sending_first(self, fetch: Callable) -> Callable:
        """`fetch`, calling send_held before each fetch."""
        def fetch_after_sending(*args, **kwargs):
            self.send_held()
            return fetch(*args, **kwargs)
        return fetch_after_sending

    def _send(self, new: dict[Key, Verdict], stored: dict[Key, dict], held: list[_Held]) -> int:
        if not held:
            return 0
        stored = {**stored, **dict(zip(new, self.repo.save_many(list(new.values())), strict=True))}
        self.publish([verified_event(publishable(stored[h.key], self.settings), trace_id=h.trace_id) for h in held])
        for h in held:
            report = stored[h.key]["report"]
            with logs.trace(h.trace_id):
                log.info("verdict published", extra={"tenant": h.key[0], "verdict": report["verdict"],
                                                     "format": report["format"]})
        return len(held)


def _submitted_key(value: bytes) -> Key | None:
    """(tenant, credential_id) of a credential.submitted record, or None for anything else or unreadable."""
    try:
        doc = json.loads(value)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("type") != "credential.submitted" or not isinstance(doc.get("payload"), dict):
        return None
    tenant, credential_id = doc.get("tenant"), doc["payload"].get("credential_id")
    return (tenant, credential_id) if isinstance(tenant, str) and isinstance(credential_id, str) else None
